// libFuzzer target for parse-then-emit: every request ParseC3pRequest
// accepts, and every one it refuses with an envelope, gets a C3P response
// that must itself be well-formed, namespace-correct XML addressed back to
// the sender (requestId echoed, from and to swapped, MS-CONFPRO 2.2.3).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/c3p_response.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// Parses `response` back and checks its envelope against `address`.
void CheckResponse(const std::string& response,
                   const ResponseAddress& address) {
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      std::vector<char>(response.begin(), response.end()),
      ParseLimits{response.size() + 1, 256, 1 << 20, 1 << 20});
  if (!doc.ok())
    std::abort();  // the writer produced malformed XML
  const XmlElement& root = doc->root();
  if (!root.Is(kCccpNamespace, "response"))
    std::abort();
  const XmlAttribute* id = root.FindAttribute("", "requestId");
  const XmlAttribute* from = root.FindAttribute("", "from");
  const XmlAttribute* to = root.FindAttribute("", "to");
  if (id == nullptr || from == nullptr || to == nullptr)
    std::abort();
  if (id->value != address.request_id || from->value != address.request_to ||
      to->value != address.request_from) {
    std::abort();
  }
}

int FuzzOne(const uint8_t* data, size_t size) {
  std::vector<char> body(reinterpret_cast<const char*>(data),
                         reinterpret_cast<const char*>(data) + size);
  absl::StatusOr<C3pRequest> request = ParseC3pRequest(std::move(body));
  if (!request.ok()) {
    std::optional<C3pEnvelope> envelope =
        C3pEnvelopeFromStatus(request.status());
    if (!envelope.has_value())
      return 0;  // SIP 400
    const ResponseAddress address = ResponseAddressFor(*envelope);
    CheckResponse(EncodeFailureResponse(address, C3pReason::kRequestMalformed),
                  address);
    return 0;
  }
  const ResponseAddress address = ResponseAddressFor(*request);
  if (request->command_type == C3pCommand::kUnknown) {
    CheckResponse(EncodeFailureResponse(address, C3pReason::kNotSupported),
                  address);
    return 0;
  }
  CheckResponse(EncodeSuccessResponse(address), address);
  CheckResponse(EncodeFailureResponse(address, C3pReason::kOtherFailure),
                address);
  return 0;
}

}  // namespace
}  // namespace codec
}  // namespace conf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return conf::codec::FuzzOne(data, size);
}
