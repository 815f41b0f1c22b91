#include "server/transport.h"

#include <algorithm>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "base/check.h"
#include "base/mutex.h"
#include "server/connection.h"
#include "server/internal/asio.h"
#include "server/internal/loop.h"

namespace conf {
namespace server {
namespace internal {
namespace {

// After a failed accept (e.g. EMFILE), wait this long before retrying.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// An OS error as a status that says what was being done.
absl::Status OsError(absl::string_view context, const std::error_code& ec) {
  if (ec.category() == asio::error::get_system_category() ||
      ec.category() == std::system_category()) {
    return absl::ErrnoToStatus(ec.value(), context);
  }
  return absl::InternalError(absl::StrCat(context, ": ", ec.message()));
}

}  // namespace

// A listening socket, serviced by its home loop's thread; accepted sockets
// are made on the loop they will be pinned to.
class Listener {
 public:
  Listener(Shared* shared, Loop* home, std::vector<Loop*> loops,
           asio::ip::tcp::acceptor acceptor, std::string name)
      : shared_(*shared),
        home_(*home),
        loops_(std::move(loops)),
        acceptor_(std::move(acceptor)),
        retry_timer_(home->io()),
        name_(std::move(name)) {}

  Loop& home() { return home_; }

  void StartAccepting() {
    asio::post(home_.io(), [this]() { AcceptNext(); });
  }

  // On the home loop's thread, or when no loop thread runs.
  void Close() {
    closed_ = true;
    std::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  }

 private:
  void AcceptNext() {
    if (closed_)
      return;
    const size_t index = shared_.next_loop.fetch_add(1) % loops_.size();
    Loop* target = loops_[index];
    acceptor_.async_accept(
        target->io(),
        [this, target](std::error_code ec, asio::ip::tcp::socket socket) {
          OnAccepted(ec, std::move(socket), target);
        });
  }

  void OnAccepted(std::error_code ec, asio::ip::tcp::socket socket,
                  Loop* target);
  void Refuse(asio::ip::tcp::socket socket, const std::string& address,
              ConnectionLimiter::Admission admission);

  Shared& shared_;
  Loop& home_;
  const std::vector<Loop*> loops_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  const std::string name_;
  bool closed_ = false;
  uint64_t accept_errors_ = 0;
};

void Listener::OnAccepted(std::error_code ec, asio::ip::tcp::socket socket,
                          Loop* target) {
  if (closed_)
    return;
  if (ec == asio::error::connection_aborted) {
    AcceptNext();  // that peer gave up; the next one may be waiting
    return;
  }
  if (ec) {
    // EMFILE, ENFILE, ENOBUFS: retry later rather than spin.
    if (IsPowerOfTwo(++accept_errors_)) {
      shared_.Log(absl::StrCat("transport: accept on ", name_,
                               " failed: ", ec.message(), " (", accept_errors_,
                               " failures)"));
    }
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([this](std::error_code timer_ec) {
      if (!timer_ec)
        AcceptNext();
    });
    return;
  }
  std::error_code endpoint_ec;
  const asio::ip::tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
  if (endpoint_ec) {
    // Gone already.
    std::error_code ignored;
    socket.close(ignored);
    AcceptNext();
    return;
  }
  asio::ip::address address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  PeerInfo peer;
  peer.address = address.to_string();
  peer.port = remote.port();
  peer.transport = TransportKind::kTcp;
  peer.trusted = shared_.options.trusted_peers.Contains(peer.address);
  const ConnectionLimiter::Admission admission =
      shared_.limiter.Acquire(peer.address);
  if (admission != ConnectionLimiter::Admission::kAdmitted) {
    Refuse(std::move(socket), peer.address, admission);
  } else {
    Add(home_.counters().accepted, 1);
    asio::post(target->io(), [target, socket = std::move(socket),
                              peer = std::move(peer)]() mutable {
      target->Admit(std::move(socket), std::move(peer));
    });
  }
  AcceptNext();
}

void Listener::Refuse(asio::ip::tcp::socket socket, const std::string& address,
                      ConnectionLimiter::Admission admission) {
  const bool total = admission == ConnectionLimiter::Admission::kOverLimit;
  std::atomic<uint64_t>& counter =
      total ? home_.counters().refused_limit
            : home_.counters().refused_per_peer_limit;
  // Counted before the peer can see the close.
  const uint64_t refused = counter.fetch_add(1) + 1;
  std::error_code ignored;
  socket.close(ignored);
  // Logged at the 1st, 2nd, 4th, 8th... refusal of each kind on this loop.
  if (IsPowerOfTwo(refused)) {
    shared_.Log(absl::StrCat(
        "transport: refused a connection from ", address, " on ", name_, ": ",
        total ? absl::StrCat("max_connections (",
                             shared_.options.max_connections, ")")
              : absl::StrCat("max_connections_per_peer (",
                             shared_.options.max_connections_per_peer, ")"),
        " reached (", refused, " refused)"));
  }
}

}  // namespace internal

using internal::Loop;

absl::StatusOr<std::unique_ptr<Transport>> Transport::Create(
    TransportOptions options, HandlerFactory factory) {
  const auto invalid = [](absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("transport: options.", field, " ", what));
  };
  if (options.loops < 0)
    return invalid("loops", "must not be negative");
  if (options.max_connections <= 0)
    return invalid("max_connections", "must be positive");
  if (options.max_connections_per_peer <= 0)
    return invalid("max_connections_per_peer", "must be positive");
  if (options.message_deadline <= absl::ZeroDuration())
    return invalid("message_deadline", "must be positive");
  if (options.idle_timeout <= absl::ZeroDuration())
    return invalid("idle_timeout", "must be positive");
  if (options.close_flush_timeout < absl::ZeroDuration())
    return invalid("close_flush_timeout", "must not be negative");
  if (options.max_send_queue_bytes < 2)
    return invalid("max_send_queue_bytes", "must be at least 2");
  if (factory == nullptr)
    return absl::InvalidArgumentError("transport: no handler factory");
  if (options.loops == 0) {
    options.loops =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  return std::unique_ptr<Transport>(
      new Transport(std::move(options), std::move(factory)));
}

Transport::Transport(TransportOptions options, HandlerFactory factory)
    : shared_(std::make_unique<internal::Shared>(std::move(options),
                                                 std::move(factory))) {
  for (int i = 0; i < shared_->options.loops; ++i)
    loops_.push_back(std::make_unique<Loop>(shared_.get()));
}

Transport::~Transport() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<uint16_t> Transport::ListenTcp(absl::string_view host,
                                              uint16_t port) {
  if (shut_down_)
    return absl::FailedPreconditionError("transport: listen after shutdown");
  std::error_code ec;
  const std::string host_string(host);
  const asio::ip::address address = asio::ip::make_address(host_string, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "transport: listen address \"", absl::CEscape(host.substr(0, 64)),
        "\" is not a numeric IPv4 or IPv6 address"));
  }
  const asio::ip::tcp::endpoint endpoint(address, port);
  const std::string name =
      address.is_v6() ? absl::StrCat("[", address.to_string(), "]:", port)
                      : absl::StrCat(address.to_string(), ":", port);
  Loop& home = *loops_[listeners_.size() % loops_.size()];
  asio::ip::tcp::acceptor acceptor(home.io());
  // Each step leaves `ec` set on failure and is skipped after one.
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  asio::ip::tcp::endpoint bound;
  if (!ec)
    bound = acceptor.local_endpoint(ec);
  if (ec) {
    return internal::OsError(
        absl::StrCat("transport: cannot listen on tcp ", name), ec);
  }
  std::vector<Loop*> loops;
  for (const std::unique_ptr<Loop>& loop : loops_)
    loops.push_back(loop.get());
  listeners_.push_back(std::make_unique<internal::Listener>(
      shared_.get(), &home, std::move(loops), std::move(acceptor), name));
  listeners_.back()->StartAccepting();
  shared_->Log(absl::StrCat(
      "transport: listening on tcp ", name,
      port == 0 ? absl::StrCat(" (port ", bound.port(), ")") : ""));
  return bound.port();
}

void Transport::Start() {
  CONF_CHECK(!started_ && !shut_down_);
  started_ = true;
  for (const std::unique_ptr<Loop>& loop : loops_)
    loop->Start();
}

bool Transport::OnLoopThread() const {
  const std::thread::id self = std::this_thread::get_id();
  for (const std::unique_ptr<Loop>& loop : loops_) {
    if (loop->thread_id() == self)
      return true;
  }
  return false;
}

void Transport::RunOnEveryLoop(const std::function<void(Loop&)>& fn) {
  CONF_CHECK(!OnLoopThread());
  if (!started_) {
    // No thread runs the loops: nothing else touches them.
    for (const std::unique_ptr<Loop>& loop : loops_)
      fn(*loop);
    return;
  }
  Mutex mu;
  CondVar done_cv;
  size_t done = 0;  // guarded by mu
  for (const std::unique_ptr<Loop>& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->io(), [&, l]() {
      fn(*l);
      MutexLock lock(&mu);
      ++done;
      done_cv.SignalAll();
    });
  }
  MutexLock lock(&mu);
  while (done < loops_.size())
    done_cv.Wait(&mu);
}

void Transport::CloseListeners() {
  RunOnEveryLoop([this](Loop& loop) {
    for (const std::unique_ptr<internal::Listener>& listener : listeners_) {
      if (&listener->home() == &loop)
        listener->Close();
    }
  });
}

void Transport::StopAccepting() {
  if (!shut_down_)
    CloseListeners();
}

void Transport::Shutdown(absl::Duration grace) {
  if (shut_down_)
    return;
  CloseListeners();
  shut_down_ = true;
  shared_->stopping.store(true);
  if (!started_)
    return;
  // Admissions posted by a listener before it closed run before these
  // tasks on their loops (each loop runs its tasks in order), and close
  // at once since `stopping` is set.
  RunOnEveryLoop([](Loop& loop) { loop.CloseAll(/*graceful=*/true); });
  shared_->limiter.WaitForNone(internal::SteadyClock::now() +
                               internal::ToChrono(grace));
  RunOnEveryLoop([](Loop& loop) { loop.CloseAll(/*graceful=*/false); });
  for (const std::unique_ptr<Loop>& loop : loops_)
    loop->Stop();
}

void Transport::ForEachConnection(std::function<void(ConnectionHandler&)> fn) {
  // Shared, read-only, by the loops.
  auto shared_fn =
      std::make_shared<const std::function<void(ConnectionHandler&)>>(
          std::move(fn));
  for (const std::unique_ptr<Loop>& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->io(), [l, shared_fn]() {
      for (const auto& connection : l->Connections()) {
        if (ConnectionHandler* handler = connection->open_handler())
          (*shared_fn)(*handler);
      }
    });
  }
}

TransportStats Transport::stats() const {
  TransportStats stats;
  const auto get = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  for (const std::unique_ptr<Loop>& loop : loops_) {
    const internal::Counters& c = loop->counters();
    stats.accepted_total += get(c.accepted);
    stats.refused_limit += get(c.refused_limit);
    stats.refused_per_peer_limit += get(c.refused_per_peer_limit);
    using internal::CloseReason;
    const auto closed = [&](CloseReason reason) {
      return get(c.closed[static_cast<size_t>(reason)]);
    };
    stats.closed_peer += closed(CloseReason::kPeer);
    stats.closed_framing_error += closed(CloseReason::kFramingError);
    stats.closed_message_deadline += closed(CloseReason::kMessageDeadline);
    stats.closed_idle += closed(CloseReason::kIdle);
    stats.closed_server += closed(CloseReason::kServer);
    stats.bytes_read += get(c.bytes_read);
    stats.bytes_written += get(c.bytes_written);
    stats.send_queue_full_total += get(c.send_queue_full);
  }
  stats.connections_open = static_cast<uint64_t>(shared_->limiter.open());
  return stats;
}

}  // namespace server
}  // namespace conf
