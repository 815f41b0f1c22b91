// Private to the transport (server/transport.h): one event loop, the
// connections pinned to it, and what the loops share.
//
//   Transport --owns--> Loop x N --registry--> StreamConnection --> Stream
//       |                 | io_context, thread      | handler, framer,
//       +--> Shared <-----+ Counters                | send queue, timers
//            options, factory, ConnectionLimiter <--+ (slot released on
//                                                       close)
//
// Threading: a Loop's io_context runs on its one thread. A connection's
// state, its registry entry and its handler are touched only there; the
// Counters are atomics that Transport::stats() sums from any thread, and
// the ConnectionLimiter has its own lock.

#ifndef CONF_SERVER_INTERNAL_LOOP_H_
#define CONF_SERVER_INTERNAL_LOOP_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "base/check.h"
#include "base/mutex.h"
#include "server/connection.h"
#include "server/internal/asio.h"
#include "server/internal/stream.h"
#include "server/transport.h"
#include "sip/framer.h"

namespace conf {
namespace server {
namespace internal {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

// Durations past this are "never"; it keeps steady_clock sums in range.
inline constexpr absl::Duration kMaxTimerDuration = absl::Hours(24 * 365 * 10);
// Each loop's read buffer, shared by its connections: a connection holds
// no read buffer of its own, only the framer's message in progress.
inline constexpr size_t kReadBufferBytes = 64 << 10;

// `d` for steady_clock arithmetic, clamped to [0, kMaxTimerDuration].
inline std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(
      std::clamp(d, absl::ZeroDuration(), kMaxTimerDuration));
}

enum class CloseReason {
  kPeer,
  kFramingError,
  kMessageDeadline,
  kIdle,
  kServer
};
inline constexpr size_t kCloseReasonCount =
    static_cast<size_t>(CloseReason::kServer) + 1;  // the last one

// Counters a loop's thread updates; summed by Transport::stats().
struct alignas(64) Counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_limit{0};
  std::atomic<uint64_t> refused_per_peer_limit{0};
  std::array<std::atomic<uint64_t>, kCloseReasonCount> closed{};
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> send_queue_full{0};
};

inline void Add(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Open connections in total and per peer address. Acquired when a
// connection is accepted (on a listener's loop), released when it closes
// (on its own loop).
class ConnectionLimiter {
 public:
  enum class Admission { kAdmitted, kOverLimit, kOverPeerLimit };

  ConnectionLimiter(int max_total, int max_per_peer)
      : max_total_(max_total), max_per_peer_(max_per_peer) {}

  Admission Acquire(const std::string& peer) {
    MutexLock lock(&mu_);
    if (open_ >= max_total_)
      return Admission::kOverLimit;
    auto it = per_peer_.find(peer);
    if (it != per_peer_.end() && it->second >= max_per_peer_)
      return Admission::kOverPeerLimit;
    if (it == per_peer_.end()) {
      per_peer_.emplace(peer, 1);
    } else {
      ++it->second;
    }
    ++open_;
    return Admission::kAdmitted;
  }

  void Release(const std::string& peer) {
    MutexLock lock(&mu_);
    auto it = per_peer_.find(peer);
    CONF_CHECK(it != per_peer_.end() && open_ > 0);
    if (--it->second == 0)
      per_peer_.erase(it);
    if (--open_ == 0)
      none_open_.SignalAll();
  }

  int open() const {
    MutexLock lock(&mu_);
    return open_;
  }

  // Waits until no connection is open or `deadline` has passed.
  void WaitForNone(SteadyTime deadline) {
    MutexLock lock(&mu_);
    while (open_ > 0) {
      const SteadyTime now = SteadyClock::now();
      if (now >= deadline)
        return;
      none_open_.WaitFor(&mu_, deadline - now);
    }
  }

 private:
  const int max_total_;
  const int max_per_peer_;
  mutable Mutex mu_;
  CondVar none_open_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_peer_ ABSL_GUARDED_BY(mu_);
};

// What the loops, listeners and connections share.
struct Shared {
  Shared(TransportOptions o, HandlerFactory f)
      : options(std::move(o)),
        factory(std::move(f)),
        limiter(options.max_connections, options.max_connections_per_peer) {}

  void Log(absl::string_view line) const {
    if (options.log)
      options.log(line);
  }

  const TransportOptions options;
  const HandlerFactory factory;
  ConnectionLimiter limiter;
  // Set by Shutdown: connections admitted from then on close at once.
  std::atomic<bool> stopping{false};
  // Round-robin over the loops, for every listener.
  std::atomic<size_t> next_loop{0};
};

class StreamConnection;

// One event loop: an io_context, its thread, and the connections pinned
// to it.
class Loop {
 public:
  explicit Loop(Shared* shared)
      : shared_(*shared),
        work_(asio::make_work_guard(io_)),
        read_buffer_(kReadBufferBytes) {}

  asio::io_context& io() { return io_; }
  Shared& shared() { return shared_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  std::thread::id thread_id() const { return thread_.get_id(); }

  void Start() {
    thread_ = std::thread([this]() { io_.run(); });
  }

  // Lets run() return once the work at hand is done, stops it, joins.
  void Stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  // The rest runs on the loop thread only.
  asio::mutable_buffer read_buffer() { return asio::buffer(read_buffer_); }
  void Admit(asio::ip::tcp::socket socket, PeerInfo peer);
  void Forget(StreamConnection* connection) { connections_.erase(connection); }
  std::vector<std::shared_ptr<StreamConnection>> Connections() const;
  // Closes every connection: after flushing, or at once.
  void CloseAll(bool graceful);

 private:
  Shared& shared_;
  // Declared before the registry, so destroyed after it: connections'
  // sockets and timers need it, and the operations and posted tasks it
  // still holds (each holding its connection) are destroyed with it.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  Counters counters_;
  std::vector<char> read_buffer_;
  absl::flat_hash_map<StreamConnection*, std::shared_ptr<StreamConnection>>
      connections_;
};

// The Connection the handlers see. Lives in its loop's registry until
// closed, and after that while an asio operation or a posted task holds
// it. Every member but Post() runs on the loop thread.
class StreamConnection final
    : public Connection,
      public std::enable_shared_from_this<StreamConnection> {
 public:
  StreamConnection(Loop* loop, std::unique_ptr<Stream> stream, PeerInfo peer)
      : loop_(*loop),
        options_(loop->shared().options),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        framer_(options_.parse),
        wake_timer_(loop->io()),
        guard_timer_(loop->io()) {}

  const PeerInfo& peer() const override { return peer_; }
  bool Send(absl::string_view bytes) override;
  size_t queued_bytes() const override { return queued_bytes_; }
  void Close() override {
    BeginClose(framing_failed_ ? CloseReason::kFramingError
                               : CloseReason::kServer);
  }
  void Post(std::function<void()> task) override;
  void WakeAt(absl::Time when) override;

  // Makes the handler and starts reading.
  void Begin();
  // Stops reading frames, writes what is queued, then closes.
  void BeginClose(CloseReason reason);
  // Closes at once and calls OnClosed(). Never inside a handler call.
  void FinishClose(CloseReason reason);
  // The handler while the connection is open, else nullptr.
  ConnectionHandler* open_handler() {
    return state_ == State::kOpen ? handler_.get() : nullptr;
  }

 private:
  enum class State {
    kOpen,
    kFlushing,   // closing: writing what is queued
    kLingering,  // closing: our end sent, reading to the peer's end
    kClosed,
  };
  // The reason to close with when reading or writing fails.
  CloseReason FailureReason() const {
    return state_ == State::kOpen ? CloseReason::kPeer : close_reason_;
  }

  void WaitReadable();
  void OnReadable(std::error_code ec);
  void HandleBytes(absl::string_view bytes, SteadyTime now);
  void StartWrite();
  void OnWritten(std::error_code ec, size_t bytes);
  void ShutdownSend();
  SteadyTime NextGuardTime() const;
  void ArmGuard();
  void OnGuard(std::error_code ec, uint64_t generation);

  Loop& loop_;
  const TransportOptions& options_;
  std::unique_ptr<Stream> stream_;
  const PeerInfo peer_;
  std::unique_ptr<ConnectionHandler> handler_;
  sip::StreamFramer framer_;
  State state_ = State::kOpen;
  CloseReason close_reason_ = CloseReason::kServer;
  bool framing_failed_ = false;
  bool peer_ended_ = false;  // the peer's end of stream was read

  // The send queue: the first `in_flight_chunks_` are being written.
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  size_t in_flight_chunks_ = 0;
  std::vector<asio::const_buffer> write_buffers_;
  bool writing_ = false;
  bool wants_writable_ = false;  // a Send was refused

  // WakeAt's timer; completions of replaced requests are ignored.
  asio::steady_timer wake_timer_;
  uint64_t wake_generation_ = 0;
  // One timer for the message deadline, the idle timeout and the close
  // flush; it may fire early and is then re-armed (reads only update the
  // times below, so they cost no timer operations).
  asio::steady_timer guard_timer_;
  uint64_t guard_generation_ = 0;
  bool guard_armed_ = false;
  SteadyTime guard_expiry_;
  SteadyTime last_activity_;
  std::optional<SteadyTime> message_started_;
  SteadyTime close_deadline_;
};

}  // namespace internal
}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_INTERNAL_LOOP_H_
