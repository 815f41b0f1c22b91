#include "sip/framer.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace sip {
namespace {

constexpr absl::string_view kHeadEnd = "\r\n\r\n";

// Adds where the message started, since ParseMessage's offsets count from
// the start line.
absl::Status InStream(const absl::Status& status, size_t message_start) {
  return absl::Status(status.code(), absl::StrCat(status.message(),
                                                  " (message at stream offset ",
                                                  message_start, ")"));
}

}  // namespace

StreamFramer::StreamFramer(const ParseLimits& limits) : limits_(limits) {}

absl::Status StreamFramer::Feed(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t before = bytes.size();
    absl::Status status;
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kBetween:
        status = FeedBetween(bytes);
        break;
      case State::kHead:
        status = FeedHead(bytes);
        break;
      case State::kBody:
        status = FeedBody(bytes);
        break;
    }
    stream_offset_ += before - bytes.size();
    if (!status.ok())
      return Fail(std::move(status));
  }
  return state_ == State::kFailed ? error_ : absl::OkStatus();
}

std::optional<Frame> StreamFramer::Next() {
  if (ready_.empty())
    return std::nullopt;
  Frame frame = std::move(ready_.front());
  ready_.pop_front();
  return frame;
}

// RFC 3261 §7.5: CRLFs before a start line are ignored; RFC 5626 §3.5.1:
// CRLF CRLF there is a ping. crlf_state_ counts the bytes of "\r\n\r\n"
// matched so far.
absl::Status StreamFramer::FeedBetween(absl::string_view& bytes) {
  size_t consumed = 0;
  while (!bytes.empty()) {
    const char c = bytes[0];
    const bool expect_cr = crlf_state_ == 0 || crlf_state_ == 2;
    if (c == '\r' && expect_cr) {
      ++crlf_state_;
    } else if (c == '\n' && !expect_cr) {
      if (crlf_state_ == 3) {
        Frame ping;
        ping.type_ = FrameType::kKeepAlivePing;
        ready_.push_back(std::move(ping));
        crlf_state_ = 0;
      } else {
        crlf_state_ = 2;
      }
    } else if (!expect_cr || c == '\n') {
      return absl::InvalidArgumentError(
          absl::StrCat("sip: bare CR or LF between messages at stream offset ",
                       stream_offset_ + consumed));
    } else {
      // The first byte of a start line. A lone CRLF before it is ignored.
      crlf_state_ = 0;
      state_ = State::kHead;
      message_start_ = stream_offset_ + consumed;
      return absl::OkStatus();
    }
    bytes.remove_prefix(1);
    ++consumed;
  }
  return absl::OkStatus();
}

absl::Status StreamFramer::FeedHead(absl::string_view& bytes) {
  if (partial_.size() >= limits_.max_header_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "sip: header section exceeds ", limits_.max_header_bytes,
        " bytes at stream offset ", message_start_ + partial_.size()));
  }
  // Take no more than the head may still grow, so that a head which never
  // ends holds at most max_header_bytes.
  const size_t room = limits_.max_header_bytes - partial_.size();
  const absl::string_view chunk = bytes.substr(0, room);
  const size_t old_size = partial_.size();
  partial_.insert(partial_.end(), chunk.begin(), chunk.end());
  // The terminator may straddle the previous read: look back 3 bytes.
  const size_t from = old_size < 3 ? 0 : old_size - 3;
  const absl::string_view buffered(partial_.data(), partial_.size());
  const size_t end = buffered.find(kHeadEnd, from);
  if (end == absl::string_view::npos) {
    bytes.remove_prefix(chunk.size());
    return absl::OkStatus();
  }
  head_size_ = end + kHeadEnd.size();
  // Give back what belongs to the body or to the next message.
  bytes.remove_prefix(head_size_ - old_size);
  partial_.resize(head_size_);

  absl::StatusOr<Message> head = ParseMessageHead(
      absl::string_view(partial_.data(), partial_.size()), limits_);
  if (!head.ok())
    return InStream(head.status(), message_start_);
  if (!head->content_length().has_value()) {
    // RFC 3261 §18.3: on a stream, Content-Length MUST be present.
    return absl::InvalidArgumentError(absl::StrCat(
        "sip: missing Content-Length on a stream transport at stream offset ",
        message_start_));
  }
  body_size_ = *head->content_length();
  if (body_size_ == 0)
    return CompleteMessage();
  partial_.reserve(head_size_ + body_size_);
  state_ = State::kBody;
  return absl::OkStatus();
}

absl::Status StreamFramer::FeedBody(absl::string_view& bytes) {
  const size_t want = head_size_ + body_size_ - partial_.size();
  const absl::string_view chunk = bytes.substr(0, want);
  partial_.insert(partial_.end(), chunk.begin(), chunk.end());
  bytes.remove_prefix(chunk.size());
  if (chunk.size() == want)
    return CompleteMessage();
  return absl::OkStatus();
}

absl::Status StreamFramer::CompleteMessage() {
  Frame frame;
  frame.type_ = FrameType::kMessage;
  frame.bytes_ = std::move(partial_);
  partial_ = std::vector<char>();
  absl::StatusOr<Message> message = ParseMessage(frame.bytes(), limits_);
  if (!message.ok())
    return InStream(message.status(), message_start_);
  frame.message_ = std::make_unique<const Message>(*std::move(message));
  ready_.push_back(std::move(frame));
  state_ = State::kBetween;
  head_size_ = 0;
  body_size_ = 0;
  return absl::OkStatus();
}

absl::Status StreamFramer::Fail(absl::Status status) {
  state_ = State::kFailed;
  error_ = std::move(status);
  partial_ = std::vector<char>();  // release the memory now
  return error_;
}

}  // namespace sip
}  // namespace conf
