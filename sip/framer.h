// Message framing on a stream transport (TCP, TLS): bytes in as they are
// read, complete SIP messages out, delimited by the blank line that ends
// the headers and by Content-Length (RFC 3261 §18.3).
//
//   - Messages may be pipelined (several in one read) or split across
//     reads at any byte; the output is the same.
//   - CRLFs between messages are skipped (RFC 3261 §7.5). Each CRLF CRLF
//     there is an RFC 5626 §3.5.1 keep-alive ping, which Next() reports so
//     that the caller can answer it with kKeepAlivePong.
//   - Memory is bounded before the blank line arrives: a head that grows
//     past `max_header_bytes` fails at once, so a slow or endless header
//     holds at most that much. A body is bounded by `max_body_bytes`.
//   - A message without Content-Length is an error: on a stream its end
//     cannot be known (RFC 3261 §18.3).
//
// Errors are final: the stream cannot be resynchronized, so after Feed()
// fails every later call returns the same status and the caller closes the
// connection (after sending a 400 if it can). Messages completed before the
// error can still be taken with Next().
//
// Each Frame owns its bytes (one copy out of the read buffer), so a message
// can outlive the reads it came from, e.g. in a server transaction.
//
// Thread-safety: a StreamFramer is used by one connection's reader; it is
// not safe to share without external locking.
//
// Example:
//   StreamFramer framer;
//   while (size_t n = Read(fd, buf, sizeof(buf))) {
//     CONF_RETURN_IF_ERROR(framer.Feed(absl::string_view(buf, n)));
//     while (std::optional<Frame> frame = framer.Next()) {
//       if (frame->type() == FrameType::kKeepAlivePing) {
//         Write(fd, kKeepAlivePong);
//       } else {
//         Dispatch(*std::move(frame));
//       }
//     }
//   }

#ifndef CONF_SIP_FRAMER_H_
#define CONF_SIP_FRAMER_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "sip/message.h"

namespace conf {
namespace sip {

// The answer to a keep-alive ping (RFC 5626 §3.5.1).
inline constexpr absl::string_view kKeepAlivePong = "\r\n";

enum class FrameType { kMessage, kKeepAlivePing };

// One item framed from the stream: a parsed message that owns its bytes, or
// a keep-alive ping. Movable, not copyable.
class Frame {
 public:
  Frame(Frame&&) = default;
  Frame& operator=(Frame&&) = default;

  FrameType type() const { return type_; }

  // The message (type() == kMessage only). Its views point into bytes()
  // and stay valid while this Frame lives, including across moves.
  const Message& message() const { return *message_; }

  // The message's bytes as received, start line to the end of the body
  // (empty for a ping).
  absl::string_view bytes() const {
    return absl::string_view(bytes_.data(), bytes_.size());
  }

 private:
  friend class StreamFramer;
  Frame() = default;

  FrameType type_ = FrameType::kKeepAlivePing;
  // A std::vector, not a std::string: moving a short std::string moves its
  // bytes and would leave the message's views dangling.
  std::vector<char> bytes_;
  // On the heap: GCC 12 at -O2 reports a moved std::optional<Message> as
  // maybe-uninitialized, and one allocation beside a parse is noise.
  std::unique_ptr<const Message> message_;
};

class StreamFramer {
 public:
  // `limits` bound every message, as in ParseMessage.
  explicit StreamFramer(const ParseLimits& limits = {});

  StreamFramer(const StreamFramer&) = delete;
  StreamFramer& operator=(const StreamFramer&) = delete;

  // Consumes `bytes`, the next bytes read from the connection; they need
  // not outlive the call. Complete messages and pings are queued for
  // Next(). Returns OK, or:
  //   - kInvalidArgument: a malformed message (ParseMessage's error), stray
  //     bytes between messages, or a message without Content-Length;
  //   - kResourceExhausted: a head over `max_header_bytes` (reported as
  //     soon as the buffered head passes it), or a limit of ParseMessage.
  // After an error, every later call returns the same status.
  absl::Status Feed(absl::string_view bytes);

  // Removes and returns the oldest complete frame, or std::nullopt if none
  // is complete yet.
  std::optional<Frame> Next();

  // Bytes held for the message in progress (for tests and metrics). Never
  // above max_header_bytes while the head is incomplete, nor above
  // max_header_bytes + max_body_bytes afterwards.
  size_t buffered_bytes() const { return partial_.size(); }

 private:
  enum class State { kBetween, kHead, kBody, kFailed };

  absl::Status FeedBetween(absl::string_view& bytes);
  absl::Status FeedHead(absl::string_view& bytes);
  absl::Status FeedBody(absl::string_view& bytes);
  absl::Status CompleteMessage();
  absl::Status Fail(absl::Status status);

  const ParseLimits limits_;
  State state_ = State::kBetween;
  absl::Status error_;
  // Between messages: CR and LF seen since the last message or ping, as a
  // small state machine over "\r\n\r\n".
  int crlf_state_ = 0;
  // The message in progress: its head, then its body.
  std::vector<char> partial_;
  size_t head_size_ = 0;  // once the blank line has arrived
  size_t body_size_ = 0;
  std::deque<Frame> ready_;
  // Bytes consumed so far, and where the message in progress started: for
  // error messages.
  size_t stream_offset_ = 0;
  size_t message_start_ = 0;
};

}  // namespace sip
}  // namespace conf

#endif  // CONF_SIP_FRAMER_H_
