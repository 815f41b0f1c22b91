#include "server/admin/internal/http.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "base/status_macros.h"

namespace conf {
namespace server {
namespace internal {
namespace {

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("!#$%&'*+-.^_`|~", c);
}

bool IsToken(absl::string_view text) {
  for (const char c : text) {
    if (!IsTokenChar(c)) {
      return false;
    }
  }
  return !text.empty();
}

// RFC 9110 §5.5 field-value: VCHAR, SP, HTAB and obs-text, no controls.
bool IsFieldValue(absl::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      return false;
    }
  }
  return true;
}

absl::Status BadRequest(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("http: ", what));
}

struct RequestLine {
  HttpRequestHead head;
  int minor_version = 0;
};

// RFC 9112 §3: method SP request-target SP HTTP-version.
absl::StatusOr<RequestLine> ParseRequestLine(absl::string_view line) {
  const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3 || !IsToken(parts[0])) {
    return BadRequest("invalid request line");
  }
  const absl::string_view target = parts[1];
  // §3.2.1 origin-form only; visible ASCII (RFC 3986 characters).
  if (target.empty() || target[0] != '/' ||
      !std::all_of(target.begin(), target.end(),
                   [](char c) { return c > 0x20 && c < 0x7f; })) {
    return BadRequest("invalid request target");
  }
  const absl::string_view version = parts[2];  // §2.3 HTTP/DIGIT.DIGIT
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/") ||
      !absl::ascii_isdigit(version[5]) || version[6] != '.' ||
      !absl::ascii_isdigit(version[7])) {
    return BadRequest("invalid HTTP version");
  }
  if (version[5] != '1') {
    return absl::UnimplementedError("http: unsupported HTTP major version");
  }
  RequestLine result;
  result.head.method = parts[0];
  result.head.path = target.substr(0, target.find('?'));
  result.minor_version = version[7] - '0';
  return result;
}

// RFC 9112 §5: field-name ":" OWS field-value OWS. Returns the name.
absl::StatusOr<absl::string_view> ParseFieldLine(absl::string_view line) {
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    return BadRequest("obsolete line folding");  // §5.2
  }
  const size_t colon = line.find(':');
  // No whitespace is allowed between the name and the colon (§5.1).
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
    return BadRequest("invalid header field name");
  }
  if (!IsFieldValue(line.substr(colon + 1))) {
    return BadRequest("invalid header field value");
  }
  return line.substr(0, colon);
}

absl::string_view ReasonPhrase(HttpStatus status) {
  switch (status) {
    case HttpStatus::kOk:
      return "OK";
    case HttpStatus::kBadRequest:
      return "Bad Request";
    case HttpStatus::kNotFound:
      return "Not Found";
    case HttpStatus::kMethodNotAllowed:
      return "Method Not Allowed";
    case HttpStatus::kRequestHeaderFieldsTooLarge:
      return "Request Header Fields Too Large";
    case HttpStatus::kServiceUnavailable:
      return "Service Unavailable";
    case HttpStatus::kHttpVersionNotSupported:
      return "HTTP Version Not Supported";
  }
  return "";  // Unreachable; -Wswitch catches a missing case.
}

}  // namespace

absl::StatusOr<HttpRequestHead> ParseRequestHead(absl::string_view head) {
  if (!absl::ConsumeSuffix(&head, "\r\n")) {
    return BadRequest("head does not end in CRLF");
  }
  const std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  CONF_ASSIGN_OR_RETURN(const RequestLine request_line,
                        ParseRequestLine(lines[0]));
  int hosts = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    CONF_ASSIGN_OR_RETURN(const absl::string_view name,
                          ParseFieldLine(lines[i]));
    hosts += absl::EqualsIgnoreCase(name, "Host") ? 1 : 0;
  }
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one before.
  if (hosts > 1 || (request_line.minor_version >= 1 && hosts == 0)) {
    return BadRequest("missing or repeated Host");
  }
  return request_line.head;
}

std::string EncodeResponse(HttpStatus status, absl::string_view content_type,
                           absl::string_view body, BodyPolicy policy) {
  const absl::string_view allow =
      status == HttpStatus::kMethodNotAllowed ? "Allow: GET, HEAD\r\n" : "";
  return absl::StrCat("HTTP/1.1 ", static_cast<int>(status), " ",
                      ReasonPhrase(status), "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n", allow, "\r\n",
                      policy == BodyPolicy::kInclude ? body : "");
}

}  // namespace internal
}  // namespace server
}  // namespace conf
