#include "server/internal/loop.h"

#include <algorithm>
#include <chrono>  // NOLINT(build/c++11)
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "server/connection.h"
#include "server/internal/asio.h"
#include "server/internal/stream.h"
#include "sip/framer.h"

namespace conf {
namespace server {
namespace internal {
namespace {

// What one wakeup of one connection may read before the loop's other
// connections get their turn.
constexpr size_t kMaxReadPerWakeup = 256 << 10;
// Sends smaller than this are appended to the last queued chunk.
constexpr size_t kCoalesceBytes = 16 << 10;
// Chunks handed to one scatter-gather write (IOV_MAX is 1024).
constexpr size_t kMaxWriteChunks = 64;

}  // namespace

void StreamConnection::Begin() {
  if (!loop_.shared().stopping.load())
    handler_ = loop_.shared().factory(this);
  if (handler_ == nullptr) {
    FinishClose(CloseReason::kServer);
    return;
  }
  last_activity_ = SteadyClock::now();
  ArmGuard();
  WaitReadable();
}

bool StreamConnection::Send(absl::string_view bytes) {
  if (state_ != State::kOpen)
    return false;
  if (bytes.size() > options_.max_send_queue_bytes - queued_bytes_) {
    Add(loop_.counters().send_queue_full, 1);
    wants_writable_ = true;
    return false;
  }
  if (bytes.empty())
    return true;
  if (queue_.size() > in_flight_chunks_ &&
      queue_.back().size() + bytes.size() <= kCoalesceBytes) {
    queue_.back().append(bytes.data(), bytes.size());
  } else {
    queue_.emplace_back(bytes);
  }
  queued_bytes_ += bytes.size();
  if (!writing_)
    StartWrite();
  return true;
}

void StreamConnection::Post(std::function<void()> task) {
  asio::post(loop_.io(), [self = shared_from_this(), task = std::move(task)]() {
    if (self->state_ != State::kClosed)
      task();
  });
}

void StreamConnection::WakeAt(absl::Time when) {
  if (state_ == State::kClosed)
    return;
  const uint64_t generation = ++wake_generation_;
  if (when == absl::InfiniteFuture()) {
    wake_timer_.cancel();
    return;
  }
  wake_timer_.expires_after(ToChrono(when - absl::Now()));
  wake_timer_.async_wait(
      [self = shared_from_this(), generation](std::error_code ec) {
        if (ec || generation != self->wake_generation_ ||
            self->state_ != State::kOpen) {
          return;
        }
        self->handler_->OnTimer(absl::Now());
      });
}

void StreamConnection::BeginClose(CloseReason reason) {
  if (state_ != State::kOpen)
    return;
  state_ = State::kFlushing;
  close_reason_ = reason;
  close_deadline_ = SteadyClock::now() + ToChrono(options_.close_flush_timeout);
  ArmGuard();
  if (!writing_)
    ShutdownSend();  // its callback is posted, not run here
}

void StreamConnection::FinishClose(CloseReason reason) {
  if (state_ == State::kClosed)
    return;
  const std::shared_ptr<StreamConnection> self = shared_from_this();
  state_ = State::kClosed;
  stream_->Close();
  wake_timer_.cancel();
  guard_timer_.cancel();
  Add(loop_.counters().closed[static_cast<size_t>(reason)], 1);
  loop_.shared().limiter.Release(peer_.address);
  if (handler_ != nullptr) {
    handler_->OnClosed();
    handler_.reset();
  }
  loop_.Forget(this);
}

void StreamConnection::WaitReadable() {
  stream_->AsyncWaitReadable([self = shared_from_this()](std::error_code ec) {
    self->OnReadable(ec);
  });
}

void StreamConnection::OnReadable(std::error_code ec) {
  if (state_ == State::kClosed)
    return;
  if (ec) {
    FinishClose(FailureReason());
    return;
  }
  size_t total = 0;
  while (total < kMaxReadPerWakeup) {
    const Stream::ReadResult read = stream_->ReadSome(loop_.read_buffer());
    if (read.error == asio::error::would_block ||
        read.error == asio::error::try_again) {
      break;
    }
    if (read.error == asio::error::eof && state_ == State::kFlushing) {
      // Half-closed by the peer: finish writing, then close.
      peer_ended_ = true;
      return;
    }
    if (read.error) {
      FinishClose(FailureReason());
      return;
    }
    total += read.bytes;
    Add(loop_.counters().bytes_read, read.bytes);
    last_activity_ = SteadyClock::now();
    if (state_ == State::kOpen) {
      HandleBytes(
          absl::string_view(
              static_cast<const char*>(loop_.read_buffer().data()), read.bytes),
          last_activity_);
    }  // else closing: what the peer still sends is dropped
  }
  if (total >= kMaxReadPerWakeup) {
    // Let the loop's other connections have their turn.
    asio::post(loop_.io(), [self = shared_from_this()]() {
      self->OnReadable(std::error_code());
    });
  } else {
    WaitReadable();
  }
}

void StreamConnection::HandleBytes(absl::string_view bytes, SteadyTime now) {
  const absl::Status status = framer_.Feed(bytes);
  bool framed = false;
  // Frames completed before an error are still delivered.
  while (state_ == State::kOpen) {
    std::optional<sip::Frame> frame = framer_.Next();
    if (!frame.has_value())
      break;
    framed = true;
    handler_->OnFrame(*std::move(frame));
  }
  if (state_ != State::kOpen)
    return;  // the handler closed the connection
  if (!status.ok()) {
    framing_failed_ = true;
    handler_->OnFramingError(status);
    BeginClose(CloseReason::kFramingError);
    return;
  }
  // The message deadline runs from the first byte of each message. Bytes
  // held after a frame completed in this read belong to a message that
  // started in this read.
  if (framer_.buffered_bytes() == 0) {
    message_started_.reset();
  } else if (framed || !message_started_.has_value()) {
    message_started_ = now;
    ArmGuard();
  }
}

void StreamConnection::StartWrite() {
  write_buffers_.clear();
  for (const std::string& chunk : queue_) {
    if (write_buffers_.size() == kMaxWriteChunks)
      break;
    write_buffers_.emplace_back(chunk.data(), chunk.size());
  }
  in_flight_chunks_ = write_buffers_.size();
  writing_ = true;
  stream_->AsyncWrite(write_buffers_, [self = shared_from_this()](
                                          std::error_code ec, size_t n) {
    self->OnWritten(ec, n);
  });
}

void StreamConnection::OnWritten(std::error_code ec, size_t bytes) {
  writing_ = false;
  if (state_ == State::kClosed)
    return;
  if (ec) {
    FinishClose(FailureReason());
    return;
  }
  Add(loop_.counters().bytes_written, bytes);
  last_activity_ = SteadyClock::now();
  queue_.erase(queue_.begin(),
               queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_chunks_));
  in_flight_chunks_ = 0;
  queued_bytes_ -= bytes;
  if (!queue_.empty()) {
    StartWrite();
  } else if (state_ == State::kFlushing) {
    ShutdownSend();
  }
  if (wants_writable_ && state_ == State::kOpen &&
      queued_bytes_ < options_.max_send_queue_bytes / 2) {
    wants_writable_ = false;
    handler_->OnWritable();
  }
}

void StreamConnection::ShutdownSend() {
  state_ = State::kLingering;
  stream_->AsyncShutdownSend([self = shared_from_this()](std::error_code ec) {
    if (self->state_ == State::kClosed)
      return;
    // Without the peer's end already read, wait for it (OnReadable)
    // until close_deadline_: closing with unread bytes would reset
    // the connection and could discard what we just wrote.
    if (ec || self->peer_ended_)
      self->FinishClose(self->close_reason_);
  });
}

SteadyTime StreamConnection::NextGuardTime() const {
  if (state_ != State::kOpen)
    return close_deadline_;
  SteadyTime next = last_activity_ + ToChrono(options_.idle_timeout);
  if (message_started_.has_value()) {
    next =
        std::min(next, *message_started_ + ToChrono(options_.message_deadline));
  }
  return next;
}

// Arms the guard timer for NextGuardTime() unless it will fire before.
void StreamConnection::ArmGuard() {
  const SteadyTime next = NextGuardTime();
  if (guard_armed_ && guard_expiry_ <= next)
    return;
  guard_armed_ = true;
  guard_expiry_ = next;
  const uint64_t generation = ++guard_generation_;
  guard_timer_.expires_at(next);
  guard_timer_.async_wait(
      [self = shared_from_this(), generation](std::error_code ec) {
        self->OnGuard(ec, generation);
      });
}

void StreamConnection::OnGuard(std::error_code ec, uint64_t generation) {
  if (ec || state_ == State::kClosed || generation != guard_generation_)
    return;
  guard_armed_ = false;
  const SteadyTime now = SteadyClock::now();
  if (state_ != State::kOpen) {
    if (now >= close_deadline_) {
      FinishClose(close_reason_);
      return;
    }
  } else if (message_started_.has_value() &&
             now >= *message_started_ + ToChrono(options_.message_deadline)) {
    // A message that trickles in (slowloris) holds a connection slot and
    // up to max_header_bytes: drop the connection, without a response.
    FinishClose(CloseReason::kMessageDeadline);
    return;
  } else if (now >= last_activity_ + ToChrono(options_.idle_timeout)) {
    FinishClose(CloseReason::kIdle);
    return;
  }
  ArmGuard();
}

void Loop::Admit(asio::ip::tcp::socket socket, PeerInfo peer) {
  auto connection = std::make_shared<StreamConnection>(
      this, std::make_unique<TcpStream>(std::move(socket)), std::move(peer));
  connections_.emplace(connection.get(), connection);
  connection->Begin();
}

std::vector<std::shared_ptr<StreamConnection>> Loop::Connections() const {
  std::vector<std::shared_ptr<StreamConnection>> result;
  result.reserve(connections_.size());
  for (const auto& entry : connections_)
    result.push_back(entry.second);
  return result;
}

void Loop::CloseAll(bool graceful) {
  // A copy: closing removes connections from the registry.
  for (const std::shared_ptr<StreamConnection>& c : Connections()) {
    if (graceful) {
      c->BeginClose(CloseReason::kServer);
    } else {
      c->FinishClose(CloseReason::kServer);
    }
  }
}

}  // namespace internal
}  // namespace server
}  // namespace conf
