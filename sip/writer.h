// Builds SIP requests and responses (RFC 3261 §7) into one std::string
// that the writer reuses, so a connection's writer stops allocating once
// its buffer has grown to the largest message it sends.
//
// A message is Start*(), any number of AddHeader(), then Finish(), which
// writes Content-Length (always: RFC 3261 §18.3 makes it mandatory on
// streams, and we never guess the transport), Content-Type when there is a
// body, the blank line and the body. StartResponseTo() copies the headers
// RFC 3261 §8.2.6.2 requires from the request.
//
// Names and values are checked as they are added, like BoringSSL's CBB:
// the first bad one (a CR, LF or other control character, which would let
// a value inject headers; a name that is not a token; a status code out of
// 100-699) makes Finish() return kInvalidArgument naming it. Nothing is
// escaped or folded.
//
// Thread-safety: a MessageWriter is not thread-safe; use one per thread or
// connection.
//
// Example:
//   MessageWriter writer;
//   writer.StartResponseTo(request, 200, "OK", local_tag);
//   writer.AddHeader("Supported", "ms-benotify");
//   absl::StatusOr<absl::string_view> bytes =
//       writer.Finish("application/cccp+xml", c3p_response);
//   if (bytes.ok()) Send(*bytes);

#ifndef CONF_SIP_WRITER_H_
#define CONF_SIP_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sip/message.h"

namespace conf {
namespace sip {

class MessageWriter {
 public:
  MessageWriter() = default;
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // Begins a request: `method` SP `request_uri` SP "SIP/2.0" (RFC 3261
  // §7.1). Discards any message in progress, keeping the buffer.
  void StartRequest(absl::string_view method, absl::string_view request_uri);

  // Begins a response: "SIP/2.0" SP `status_code` SP `reason_phrase` (RFC
  // 3261 §7.2). Discards any message in progress, keeping the buffer.
  void StartResponse(int status_code, absl::string_view reason_phrase);

  // Begins a response to `request` and copies, per RFC 3261 §8.2.6.2, its
  // Via values (all, in order), From, To, Call-ID and CSeq. When the
  // request's To has no tag and `to_tag` is not empty, ";tag=<to_tag>" is
  // appended to To; a To that already has a tag is copied unchanged.
  // Headers the request lacks are not written.
  void StartResponseTo(const Message& request, int status_code,
                       absl::string_view reason_phrase,
                       absl::string_view to_tag);

  // Appends `name: value` CRLF.
  void AddHeader(absl::string_view name, absl::string_view value);

  // Writes Content-Type (when `body` is not empty; `content_type` must then
  // not be empty), Content-Length, the blank line and `body`. Returns the
  // whole message, valid until the next Start*() call or the writer's
  // destruction, or kInvalidArgument for the first bad input since Start*()
  // (the buffer then holds no usable message).
  absl::StatusOr<absl::string_view> Finish(absl::string_view content_type,
                                           absl::string_view body);

 private:
  void Reset();
  void SetError(absl::string_view what, absl::string_view value);

  std::string out_;
  absl::Status error_;
};

}  // namespace sip
}  // namespace conf

#endif  // CONF_SIP_WRITER_H_
