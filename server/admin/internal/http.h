// The sliver of HTTP/1.1 (RFC 9112) the admin server speaks: parsing a
// request head and encoding a complete response that closes the
// connection. Private to //server/admin.
//
// Thread-safety: pure functions.

#ifndef CONF_SERVER_ADMIN_INTERNAL_HTTP_H_
#define CONF_SERVER_ADMIN_INTERNAL_HTTP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace server {
namespace internal {

// The status codes the admin server sends; the value is the code.
enum class HttpStatus {
  kOk = 200,
  kBadRequest = 400,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kRequestHeaderFieldsTooLarge = 431,  // RFC 6585 §5
  kServiceUnavailable = 503,
  kHttpVersionNotSupported = 505,
};

// What the admin server needs of a request. Views into the parsed head.
struct HttpRequestHead {
  absl::string_view method;
  // The request target's path, without the query.
  absl::string_view path;
};

// Parses `head`: the request line and header field lines, each ending in
// CRLF, without the blank line that ends the head. Only the origin form of
// the request target ("/path?query") is accepted. Returns kInvalidArgument
// for any syntax error (RFC 9112 §3, §5), for a header line folded with
// leading whitespace (§5.2), and for an HTTP/1.1 request without exactly
// one Host field (§3.2); kUnimplemented for a major version other than 1.
// The result's views point into `head`.
absl::StatusOr<HttpRequestHead> ParseRequestHead(absl::string_view head);

enum class BodyPolicy { kInclude, kOmit };

// A response with Content-Type, Content-Length and `Connection: close`
// (RFC 9112 §9.6), plus `Allow: GET, HEAD` for 405 (RFC 9110 §15.5.6).
// kOmit (for HEAD) sends the headers of the full response without its body.
std::string EncodeResponse(HttpStatus status, absl::string_view content_type,
                           absl::string_view body, BodyPolicy policy);

}  // namespace internal
}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_ADMIN_INTERNAL_HTTP_H_
