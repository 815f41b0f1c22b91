// SIP message parsing (RFC 3261 §7, §25): one complete request or response
// in, a `Message` of views out.
//
// Zero-copy: the start line, header names and values, and the body are
// absl::string_views into the caller's buffer, which must outlive the
// Message. The one exception is the value of a folded header (a value
// continued on lines that start with SP or HTAB, RFC 3261 §7.3.1): it is
// unfolded (each line break and the white space around it become one SP)
// into storage the Message owns, and stays valid when the Message moves.
//
// What the parser accepts:
//   - lines end in CRLF; a bare CR or LF is refused;
//   - header names are case-insensitive and compact forms (`i`, `m`, `v`,
//     ...; RFC 3261 §7.3.3 and the IANA registry) are reported under their
//     full names, so `FindHeader("Call-ID")` finds an `i:` header;
//   - repeated headers are kept in order; `Values()` also splits the
//     headers that RFC 3261 §7.3.1 allows as comma-separated lists (Via,
//     Contact, Route, Supported, ...), outside quotes and angle brackets;
//   - Call-ID, CSeq, From, To, Via, Contact, Content-Length, Content-Type,
//     Expires, Event and Max-Forwards are read and checked while parsing:
//     a malformed or repeated one fails the whole message, since a server
//     could not answer it (RFC 3261 §8.1.1, §8.2.2);
//   - when Content-Length is present it must equal the body's size; when it
//     is absent the body is the rest of the buffer (the framer refuses that
//     case on stream transports, RFC 3261 §18.3).
//
// Errors never crash and never read outside the buffer:
//   - kInvalidArgument: malformed input; the message names what and the
//     byte offset, e.g. `sip: malformed CSeq "x INFO" at offset 203`;
//   - kResourceExhausted: a ParseLimits bound was exceeded.
//
// Thread-safety: a Message is immutable after parsing; share it freely.
//
// Example:
//   absl::StatusOr<sip::Message> m = sip::ParseMessage(bytes);
//   if (!m.ok()) return m.status();  // answer 400 when possible
//   if (m->is_request() && m->method() == "INFO" &&
//       absl::EqualsIgnoreCase(m->content_type(), "application/cccp+xml")) {
//     HandleC3p(m->body());
//   }

#ifndef CONF_SIP_MESSAGE_H_
#define CONF_SIP_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace sip {

// Bounds on one message. Exceeding any returns kResourceExhausted.
struct ParseLimits {
  // Start line, headers and the blank line that ends them, in bytes.
  size_t max_header_bytes = 16 << 10;
  // Header fields (a folded header counts once).
  size_t max_header_count = 128;
  // Body bytes, as announced by Content-Length or present.
  size_t max_body_bytes = 1 << 20;
  // One physical line, CRLF excluded.
  size_t max_line_length = 8 << 10;
};

// One header field. `name` is the full name for compact forms ("Call-ID"
// for `i`), otherwise as sent. `value` has no leading or trailing white
// space and, for folded headers, no line breaks.
struct Header {
  absl::string_view name;
  absl::string_view value;
};

// A From, To or Contact value: name-addr or addr-spec (RFC 3261 §20.10).
struct NameAddr {
  absl::string_view display_name;  // without the quotes; escapes as sent
  absl::string_view uri;           // without the angle brackets
  absl::string_view tag;           // the `tag` parameter's value, or ""
  absl::string_view params;        // header parameters after the URI, raw
};

// RFC 3261 §20.16.
struct CSeq {
  uint32_t number = 0;  // < 2**31
  absl::string_view method;
};

// The first value of the first Via header (RFC 3261 §20.42).
struct Via {
  absl::string_view transport;  // "TLS" in "SIP/2.0/TLS"
  absl::string_view sent_by;    // host[:port]
  absl::string_view branch;     // the `branch` parameter's value, or ""
};

enum class MessageKind { kRequest, kResponse };

class Message {
 public:
  Message(Message&&) = default;
  Message& operator=(Message&&) = default;

  MessageKind kind() const { return kind_; }
  bool is_request() const { return kind_ == MessageKind::kRequest; }

  // Request line (requests only; "" for responses).
  absl::string_view method() const { return method_; }
  absl::string_view request_uri() const { return request_uri_; }
  // Status line (responses only; 0 and "" for requests).
  int status_code() const { return status_code_; }
  absl::string_view reason_phrase() const { return reason_phrase_; }

  // Every header field in the order received.
  const std::vector<Header>& headers() const { return headers_; }

  // The value of the first header named `name` (case-insensitive; compact
  // forms are already expanded), or std::nullopt.
  std::optional<absl::string_view> FindHeader(absl::string_view name) const;

  // Every value of the headers named `name`, in order. A header RFC 3261
  // §7.3.1 allows as a list (see kListHeaders in message.cc) is split at
  // commas outside quotes and angle brackets; others give one value each.
  std::vector<absl::string_view> Values(absl::string_view name) const;

  // Typed headers, checked while parsing. "" or std::nullopt when absent.
  absl::string_view call_id() const { return call_id_; }
  const std::optional<CSeq>& cseq() const { return cseq_; }
  const std::optional<NameAddr>& from() const { return from_; }
  const std::optional<NameAddr>& to() const { return to_; }
  const std::optional<Via>& top_via() const { return top_via_; }
  // The first Contact value; its uri is "*" for `Contact: *`.
  const std::optional<NameAddr>& contact() const { return contact_; }
  std::optional<size_t> content_length() const { return content_length_; }
  // The media type without parameters, e.g. "application/cccp+xml".
  absl::string_view content_type() const { return content_type_; }
  // Delta-seconds, saturated at 2**32-1 (RFC 3261 §25 delta-seconds).
  std::optional<uint32_t> expires() const { return expires_; }
  // The event type without parameters, e.g. "conference" (RFC 6665 §8.2.1).
  absl::string_view event() const { return event_; }
  std::optional<uint32_t> max_forwards() const { return max_forwards_; }

  absl::string_view body() const { return body_; }

 private:
  friend class MessageParser;
  Message() = default;

  MessageKind kind_ = MessageKind::kRequest;
  absl::string_view method_;
  absl::string_view request_uri_;
  int status_code_ = 0;
  absl::string_view reason_phrase_;
  std::vector<Header> headers_;
  absl::string_view call_id_;
  std::optional<CSeq> cseq_;
  std::optional<NameAddr> from_;
  std::optional<NameAddr> to_;
  std::optional<Via> top_via_;
  std::optional<NameAddr> contact_;
  std::optional<size_t> content_length_;
  absl::string_view content_type_;
  std::optional<uint32_t> expires_;
  absl::string_view event_;
  std::optional<uint32_t> max_forwards_;
  absl::string_view body_;
  // Unfolded values of folded headers. Each string lives on the heap, so
  // views into it survive moves of the Message.
  std::vector<std::unique_ptr<std::string>> unfolded_;
};

// Parses `bytes`, exactly one message: start line, headers, blank line,
// body. Views in the result point into `bytes` (see the file comment).
// Returns kInvalidArgument for malformed input and kResourceExhausted when
// `limits` are exceeded; messages start with "sip: " and give an offset.
absl::StatusOr<Message> ParseMessage(absl::string_view bytes,
                                     const ParseLimits& limits = {});

// Parses the head of a message: `head` ends with the CRLF CRLF that closes
// the headers and holds no body bytes. Content-Length is read but not
// compared with a body. The framer uses this to learn how many body bytes
// to wait for. Same errors as ParseMessage.
absl::StatusOr<Message> ParseMessageHead(absl::string_view head,
                                         const ParseLimits& limits = {});

// Whether `name` is a compact form or full name of a header that RFC 3261
// §7.3.1 allows as a comma-separated list. Case-insensitive.
bool IsListHeader(absl::string_view name);

// The full name of the compact form `c` (case-insensitive), e.g. "Call-ID"
// for 'i', or "" if `c` is not a registered compact form.
absl::string_view ExpandCompactForm(char c);

}  // namespace sip
}  // namespace conf

#endif  // CONF_SIP_MESSAGE_H_
