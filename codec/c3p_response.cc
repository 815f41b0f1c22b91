#include "codec/c3p_response.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/conference_info.h"
#include "codec/xml_writer.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace {

enum class Code { kSuccess, kFailure };

// A command name reaches the writer as an element name, unescaped, so it
// must be an NCName (XML Namespaces §3), ASCII letters, digits, '-', '.', '_'
// here: every cccp command name is.
bool IsCommandName(absl::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool other = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!(letter || (i > 0 && other))) {
      return false;
    }
  }
  return true;
}

// ` xmlns="..." C3PVersion="1"`: the attributes every response starts with,
// written by the writer once per process rather than escaped again for
// every response.
absl::string_view ConstantResponseAttributes() {
  static const std::string* const kAttributes = [] {
    XmlWriter w(256);
    w.StartElement("response");
    const size_t start = w.size();
    w.Attribute("xmlns", kCccpNamespace);
    w.Attribute("C3PVersion", "1");
    auto* attributes = new std::string(w.view().substr(start));
    w.EndElement();
    return attributes;
  }();
  return *kAttributes;
}

// Opens `<response ...>` (MS-CONFPRO 2.2.3: requestId echoed, from = the
// request's to, to = the request's from) and, when the command name is
// usable, the command child. Returns whether the child was opened.
bool StartResponse(XmlWriter& w, const ResponseAddress& a, Code code,
                   const C3pReason* reason,
                   absl::string_view display_string = {}) {
  w.StartElement("response");
  w.RawAttributes(ConstantResponseAttributes());
  w.Attribute("requestId", a.request_id);
  w.Attribute("from", a.request_to);
  w.Attribute("to", a.request_from);
  w.Attribute("code", code == Code::kSuccess ? "success" : "failure");
  if (!display_string.empty()) {
    w.Attribute("displayString", display_string);
  }
  if (!IsCommandName(a.command_name)) {
    // No child can be named; the draft's response-level reason says why.
    if (reason != nullptr) {
      w.Attribute("reason", C3pReasonName(*reason));
    }
    return false;
  }
  w.StartElement(a.command_name);
  if (reason != nullptr) {
    w.Attribute("reason", C3pReasonName(*reason));
  }
  return true;
}

std::string FinishResponse(XmlWriter&& w, bool child_open) {
  if (child_open) {
    w.EndElement();
  }
  w.EndElement();
  return std::move(w).Finish();
}

// Writes the whole getConference envelope with nothing in the command
// child: `<response ...><getConference>` then the end tags. Returns where
// the content goes (the length of the first part).
size_t StartEnvelope(XmlWriter& w, const ResponseAddress& address) {
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  w.Raw("");  // closes the start tag: the document follows it
  const size_t head = w.size();
  if (child) {
    w.EndElement();
  }
  w.EndElement();
  return head;
}

void WriteConferenceKeys(XmlWriter& w, const engine::ConferenceId& conference) {
  w.StartElement("conferenceKeys");
  w.Attribute("confEntity", conference.value());
  w.EndElement();
}

std::string EntityResponse(const ResponseAddress& address,
                           const engine::ConferenceId& entity) {
  XmlWriter w(512);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  // Produced by our own conference_info encoder: Raw() input of kind (1).
  w.Raw(EncodeConferenceEntityFragment(entity));
  return FinishResponse(std::move(w), child);
}

}  // namespace

ResponseAddress ResponseAddressFor(const C3pRequest& request) {
  return ResponseAddress{request.request_id, request.from, request.to,
                         request.command_name};
}

ResponseAddress ResponseAddressFor(const C3pEnvelope& envelope) {
  return ResponseAddress{envelope.request_id, envelope.from, envelope.to,
                         envelope.command_name};
}

std::string EncodeFailureResponse(const ResponseAddress& address,
                                  C3pReason reason) {
  XmlWriter w(512);
  const bool child = StartResponse(w, address, Code::kFailure, &reason);
  return FinishResponse(std::move(w), child);
}

std::string EncodeFailureResponse(const ResponseAddress& address,
                                  C3pReason reason,
                                  absl::string_view display_string) {
  XmlWriter w(512);
  const bool child =
      StartResponse(w, address, Code::kFailure, &reason, display_string);
  return FinishResponse(std::move(w), child);
}

std::string EncodeSuccessResponse(const ResponseAddress& address) {
  XmlWriter w(512);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  return FinishResponse(std::move(w), child);
}

std::string EncodeAddConferenceResponse(const ResponseAddress& address,
                                        const engine::ConferenceId& entity) {
  return EntityResponse(address, entity);
}

std::string EncodeDeleteConferenceResponse(const ResponseAddress& address,
                                           const engine::ConferenceId& entity) {
  return EntityResponse(address, entity);
}

std::string EncodeGetConferenceResponse(const ResponseAddress& address,
                                        const EncodedDocument& document) {
  XmlWriter w(512);
  const size_t head = StartEnvelope(w, address);
  const absl::string_view envelope = w.view();
  const absl::string_view prefix = document.prefix(XmlDeclaration::kOmit);
  const absl::string_view suffix = document.suffix();
  char digits[absl::numbers_internal::kFastToBufferSize];
  const absl::string_view version(
      digits, static_cast<size_t>(absl::numbers_internal::FastIntToBuffer(
                                      document.default_version(), digits) -
                                  digits));
  // The document's own bytes, written by conference_info (Raw() input of
  // kind (1)); only its version digits are added here. Appended into an
  // exactly reserved string: one copy, no zero fill.
  std::string out;
  out.reserve(envelope.size() + prefix.size() + version.size() + suffix.size());
  out.append(envelope.data(), head);
  out.append(prefix.data(), prefix.size());
  out.append(version.data(), version.size());
  out.append(suffix.data(), suffix.size());
  out.append(envelope.data() + head, envelope.size() - head);
  return out;
}

void EncodeGetConferenceResponse(const ResponseAddress& address,
                                 const engine::ConferenceSnapshot& snapshot,
                                 const Viewer& viewer,
                                 const DocumentSecrets* secrets,
                                 std::string* out) {
  char scratch[512];  // the envelope: its address and namespaces
  XmlWriter w(scratch, sizeof(scratch));
  const size_t head = StartEnvelope(w, address);
  const absl::string_view envelope = w.view();
  // The document is written by conference_info between the envelope's
  // start and end tags, also written here by an XmlWriter (Raw() input of
  // kind (1) on both sides).
  internal::EncodeConferenceInfoBetween(
      snapshot, viewer, secrets, XmlDeclaration::kOmit,
      envelope.substr(0, head), envelope.substr(head), out);
}

std::string EncodeGetConferencesResponse(
    const ResponseAddress& address,
    const std::vector<engine::ConferenceId>& conferences) {
  XmlWriter w(512 + conferences.size() * 128);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  for (const engine::ConferenceId& c : conferences) {
    w.Raw(EncodeConferenceEntityFragment(c));
  }
  return FinishResponse(std::move(w), child);
}

std::string EncodeGetAvailableMcuTypesResponse(
    const ResponseAddress& address, const std::vector<std::string>& mcu_types) {
  XmlWriter w(512);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  w.StartElement("mcu-types");
  for (const std::string& t : mcu_types) {
    w.TextElement("mcuType", t);
  }
  w.EndElement();
  return FinishResponse(std::move(w), child);
}

std::string EncodeGetConferencingCapabilitiesResponse(
    const ResponseAddress& address,
    const ConferencingCapabilities& capabilities) {
  XmlWriter w(1024);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  w.StartElement("mcu-types");
  for (const std::string& t : capabilities.mcu_types) {
    w.TextElement("mcuType", t);
  }
  w.EndElement();
  if (!capabilities.regions.empty() || !capabilities.default_region.empty()) {
    // Shape read by SIPE (process_conf_get_capabilities).
    w.StartElement("pstn-bridging");
    w.StartElement("access-numbers");
    for (const AccessNumberRegion& r : capabilities.regions) {
      w.StartElement("region");
      w.Attribute("name", r.name);
      for (const std::string& n : r.numbers) {
        w.StartElement("access-number");
        w.TextElement("number", n);
        w.EndElement();
      }
      w.EndElement();
    }
    // SIPE reads pstn-bridging/access-numbers/default-region.
    if (!capabilities.default_region.empty()) {
      w.TextElement("default-region", capabilities.default_region);
    }
    w.EndElement();  // access-numbers
    w.EndElement();  // pstn-bridging
  }
  return FinishResponse(std::move(w), child);
}

std::string EncodeAddUserResponse(const ResponseAddress& address,
                                  const engine::ConferenceId& conference,
                                  const engine::User& granted) {
  XmlWriter w(2048);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  WriteConferenceKeys(w, conference);
  // Written by conference_info with its namespaces declared on the user
  // (Raw() input of kind (1)).
  w.Raw(EncodeUserFragment(granted));
  return FinishResponse(std::move(w), child);
}

std::string EncodeEndorseUserResponse(const ResponseAddress& address,
                                      const engine::ConferenceId& conference) {
  XmlWriter w(512);
  const bool child = StartResponse(w, address, Code::kSuccess, nullptr);
  if (child) {
    w.Attribute("result", "success");
  }
  WriteConferenceKeys(w, conference);
  return FinishResponse(std::move(w), child);
}

}  // namespace codec
}  // namespace conf
