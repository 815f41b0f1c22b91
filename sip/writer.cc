#include "sip/writer.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "sip/internal/token.h"

namespace conf {
namespace sip {
namespace {

using internal::IsToken;

// No CTL but HTAB: above all no CR or LF, which would end the header.
bool IsText(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f)
      return false;
  }
  return true;
}

// A Request-URI: visible characters only (RFC 3261 §7.1, no SP).
bool IsVisible(absl::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return false;
  }
  return true;
}

}  // namespace

void MessageWriter::Reset() {
  out_.clear();
  error_ = absl::OkStatus();
}

void MessageWriter::SetError(absl::string_view what, absl::string_view value) {
  if (error_.ok()) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("sip writer: bad ", what, " \"",
                     absl::CEscape(value.substr(0, 64)), "\""));
  }
}

void MessageWriter::StartRequest(absl::string_view method,
                                 absl::string_view request_uri) {
  Reset();
  if (!IsToken(method))
    SetError("method", method);
  if (!IsVisible(request_uri))
    SetError("Request-URI", request_uri);
  absl::StrAppend(&out_, method, " ", request_uri, " SIP/2.0\r\n");
}

void MessageWriter::StartResponse(int status_code,
                                  absl::string_view reason_phrase) {
  Reset();
  if (status_code < 100 || status_code > 699)
    SetError("status code", absl::StrCat(status_code));
  if (!IsText(reason_phrase))
    SetError("reason phrase", reason_phrase);
  absl::StrAppend(&out_, "SIP/2.0 ", status_code, " ", reason_phrase, "\r\n");
}

void MessageWriter::StartResponseTo(const Message& request, int status_code,
                                    absl::string_view reason_phrase,
                                    absl::string_view to_tag) {
  StartResponse(status_code, reason_phrase);
  // RFC 3261 §8.2.6.2: the same Via values in the same order, and the same
  // From, Call-ID and CSeq; To gains the UAS's tag if it had none.
  for (const Header& h : request.headers()) {
    if (absl::EqualsIgnoreCase(h.name, "Via"))
      AddHeader("Via", h.value);
  }
  if (std::optional<absl::string_view> from = request.FindHeader("From"))
    AddHeader("From", *from);
  if (std::optional<absl::string_view> to = request.FindHeader("To")) {
    if (request.to().has_value() && request.to()->tag.empty() &&
        !to_tag.empty()) {
      if (!IsToken(to_tag))
        SetError("To tag", to_tag);
      absl::StrAppend(&out_, "To: ", *to, ";tag=", to_tag, "\r\n");
    } else {
      AddHeader("To", *to);
    }
  }
  if (std::optional<absl::string_view> id = request.FindHeader("Call-ID"))
    AddHeader("Call-ID", *id);
  if (std::optional<absl::string_view> cseq = request.FindHeader("CSeq"))
    AddHeader("CSeq", *cseq);
}

void MessageWriter::AddHeader(absl::string_view name, absl::string_view value) {
  if (!IsToken(name))
    SetError("header name", name);
  if (!IsText(value))
    SetError(absl::StrCat(name, " value"), value);
  absl::StrAppend(&out_, name, ": ", value, "\r\n");
}

absl::StatusOr<absl::string_view> MessageWriter::Finish(
    absl::string_view content_type, absl::string_view body) {
  if (!body.empty()) {
    if (content_type.empty())
      SetError("Content-Type", content_type);
    AddHeader("Content-Type", content_type);
  }
  // RFC 3261 §20.14: always, even for an empty body.
  absl::StrAppend(&out_, "Content-Length: ", body.size(), "\r\n\r\n", body);
  if (!error_.ok())
    return error_;
  return absl::string_view(out_);
}

}  // namespace sip
}  // namespace conf
