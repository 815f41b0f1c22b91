#include "server/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "base/mutex.h"
#include "server/cidr.h"
#include "server/connection.h"
#include "sip/framer.h"
#include "testing/status_matchers.h"

namespace conf {
namespace server {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// How long a test waits for something that should happen at once: a
// guard against hanging, not a timing assumption.
constexpr auto kPatience = std::chrono::seconds(5);

std::string Request(int n, absl::string_view body = "") {
  return absl::StrCat("OPTIONS sip:focus@example.com SIP/2.0\r\n",
                      "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK", n,
                      "\r\n", "From: <sip:alice@example.com>;tag=a\r\n",
                      "To: <sip:focus@example.com>\r\n", "Call-ID: call-", n,
                      "\r\n", "CSeq: ", n, " OPTIONS\r\n",
                      "Content-Length: ", body.size(), "\r\n\r\n", body);
}

constexpr absl::string_view kBadRequest =
    "SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

// Polls `condition` until it holds or kPatience has passed.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// What one handler saw.
struct HandlerLog {
  // For Post() from the test thread; nothing else may be called there.
  Connection* connection = nullptr;
  PeerInfo peer;                    // copied on the loop thread
  std::thread::id thread;           // where the factory made it
  std::vector<std::string> frames;  // message bytes, or "PING"
  std::vector<absl::Status> framing_errors;
  int writable = 0;
  int timers = 0;
  bool closed = false;
  bool wrong_thread = false;  // a call on a thread other than `thread`
};

// Every handler's log, shared with the test thread.
class Recorder {
 public:
  int Add(Connection* connection) {
    MutexLock lock(&mu_);
    logs_.emplace_back();
    logs_.back().connection = connection;
    logs_.back().peer = connection->peer();
    logs_.back().thread = std::this_thread::get_id();
    return static_cast<int>(logs_.size()) - 1;
  }
  template <typename F>
  void Update(int id, F f) {
    MutexLock lock(&mu_);
    HandlerLog& log = logs_[id];
    if (std::this_thread::get_id() != log.thread)
      log.wrong_thread = true;
    f(log);
  }
  HandlerLog Get(int id) {
    MutexLock lock(&mu_);
    return logs_.at(id);
  }
  int count() {
    MutexLock lock(&mu_);
    return static_cast<int>(logs_.size());
  }
  // Waits until handler `id` exists and `condition` holds for its log.
  bool WaitFor(int id, const std::function<bool(const HandlerLog&)>& cond) {
    return Eventually([&]() {
      MutexLock lock(&mu_);
      return id < static_cast<int>(logs_.size()) && cond(logs_[id]);
    });
  }
  bool WaitClosed(int id) {
    return WaitFor(id, [](const HandlerLog& log) { return log.closed; });
  }

 private:
  Mutex mu_;
  std::deque<HandlerLog> logs_ ABSL_GUARDED_BY(mu_);
};

// Hooks replacing the handler's default behaviour (echo each message and
// answer pings); set before the transport starts, read by the loops.
struct Behavior {
  std::function<void(Connection&, const sip::Frame&)> on_frame;
  std::function<void(Connection&)> on_writable;
  std::function<void(Connection&)> on_closed;
};

class TestHandler : public ConnectionHandler {
 public:
  TestHandler(Recorder* recorder, const Behavior* behavior,
              Connection* connection)
      : recorder_(*recorder),
        behavior_(*behavior),
        connection_(*connection),
        id_(recorder->Add(connection)) {}

  Connection& connection() { return connection_; }

  void OnFrame(sip::Frame frame) override {
    recorder_.Update(id_, [&](HandlerLog& log) {
      log.frames.emplace_back(frame.type() == sip::FrameType::kKeepAlivePing
                                  ? absl::string_view("PING")
                                  : frame.bytes());
    });
    if (behavior_.on_frame) {
      behavior_.on_frame(connection_, frame);
    } else if (frame.type() == sip::FrameType::kKeepAlivePing) {
      connection_.Send(sip::kKeepAlivePong);
    } else {
      connection_.Send(frame.bytes());
    }
  }
  void OnFramingError(const absl::Status& status) override {
    recorder_.Update(
        id_, [&](HandlerLog& log) { log.framing_errors.push_back(status); });
    connection_.Send(kBadRequest);
  }
  void OnWritable() override {
    recorder_.Update(id_, [](HandlerLog& log) { ++log.writable; });
    if (behavior_.on_writable)
      behavior_.on_writable(connection_);
  }
  void OnTimer(absl::Time) override {
    recorder_.Update(id_, [](HandlerLog& log) { ++log.timers; });
  }
  void OnClosed() override {
    if (behavior_.on_closed)
      behavior_.on_closed(connection_);
    recorder_.Update(id_, [](HandlerLog& log) { log.closed = true; });
  }

 private:
  Recorder& recorder_;
  const Behavior& behavior_;
  Connection& connection_;
  const int id_;
};

// A blocking POSIX client on 127.0.0.1.
class Client {
 public:
  // Connects from `from` (a local address to bind) to 127.0.0.1:`port`,
  // with SO_RCVBUF set to `receive_buffer` if it is not 0.
  explicit Client(uint16_t port, const char* from = "127.0.0.1",
                  int receive_buffer = 0)
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (receive_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                 sizeof(receive_buffer));
    }
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from, &local.sin_addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    EXPECT_EQ(
        connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof(server)), 0);
  }
  ~Client() {
    if (fd_ >= 0)
      close(fd_);
  }

  uint16_t local_port() const {
    sockaddr_in local{};
    socklen_t size = sizeof(local);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size);
    return ntohs(local.sin_port);
  }

  void Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send failed";
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  struct ReadResult {
    std::string bytes;
    bool closed = false;  // the server closed (or reset) the connection
  };

  // Reads until `size` bytes have arrived, the server closed, or
  // kPatience has passed. Once the server has closed, closes too, as a
  // peer does (the server waits for that before it lets go).
  ReadResult Read(size_t size) {
    ReadResult result;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    char buffer[64 << 10];
    while (result.bytes.size() < size) {
      const auto left = deadline - std::chrono::steady_clock::now();
      pollfd pfd{fd_, POLLIN, 0};
      const int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
      if (ms <= 0 || poll(&pfd, 1, ms) <= 0)
        break;
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        result.closed = true;
        Close();
        break;
      }
      result.bytes.append(buffer, static_cast<size_t>(n));
    }
    return result;
  }

  // Reads until the server closes the connection.
  ReadResult ReadToEnd() { return Read(SIZE_MAX); }

  // Closes; with `reset`, with an RST rather than a FIN.
  void Close(bool reset = false) {
    if (fd_ < 0)
      return;
    if (reset) {
      const linger abortive{1, 0};
      setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
    }
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class TransportTest : public ::testing::Test {
 protected:
  // Creates a transport with `options` (2 loops unless set) and `factory`
  // (TestHandlers by default), listens on 127.0.0.1 and starts it.
  void StartTransport(TransportOptions options = {},
                      HandlerFactory factory = nullptr) {
    if (options.loops == 0)
      options.loops = 2;
    if (factory == nullptr) {
      factory = [this](Connection* connection) {
        return std::make_unique<TestHandler>(&recorder_, &behavior_,
                                             connection);
      };
    }
    absl::StatusOr<std::unique_ptr<Transport>> transport =
        Transport::Create(std::move(options), std::move(factory));
    ASSERT_THAT(transport, IsOk());
    transport_ = *std::move(transport);
    absl::StatusOr<uint16_t> port = transport_->ListenTcp("127.0.0.1", 0);
    ASSERT_THAT(port, IsOk());
    port_ = *port;
    transport_->Start();
  }

  // Sends a request on `client` and checks that it is echoed.
  void ExpectEcho(Client& client, int n) {
    const std::string request = Request(n);
    client.Send(request);
    EXPECT_EQ(client.Read(request.size()).bytes, request);
  }

  Recorder recorder_;
  Behavior behavior_;
  // Last: destroyed (and shut down) before the handlers' recorder.
  std::unique_ptr<Transport> transport_;
  uint16_t port_ = 0;
};

TEST_F(TransportTest, DeliversPipelinedMessagesInOrder) {
  StartTransport();
  Client client(port_);
  const std::string all = Request(1) + Request(2, "body") + Request(3);
  client.Send(all);
  EXPECT_EQ(client.Read(all.size()).bytes, all);
  const HandlerLog log = recorder_.Get(0);
  EXPECT_THAT(log.frames,
              ElementsAre(Request(1), Request(2, "body"), Request(3)));
  EXPECT_NE(log.thread, std::this_thread::get_id());
  EXPECT_FALSE(log.wrong_thread);
  EXPECT_EQ(transport_->stats().bytes_read, all.size());
  EXPECT_TRUE(Eventually(
      [&]() { return transport_->stats().bytes_written == all.size(); }));
}

TEST_F(TransportTest, DeliversMessagesSplitByteByByte) {
  StartTransport();
  Client client(port_);
  const std::string all = Request(1, "split") + Request(2);
  for (const char c : all)
    client.Send(absl::string_view(&c, 1));
  EXPECT_EQ(client.Read(all.size()).bytes, all);
  EXPECT_THAT(recorder_.Get(0).frames,
              ElementsAre(Request(1, "split"), Request(2)));
}

TEST_F(TransportTest, ReportsKeepAlivePing) {
  StartTransport();
  Client client(port_);
  client.Send("\r\n\r\n");
  EXPECT_EQ(client.Read(2).bytes, "\r\n");
  EXPECT_THAT(recorder_.Get(0).frames, ElementsAre("PING"));
}

TEST_F(TransportTest, PeerInfoNamesAddressPortAndTrust) {
  TransportOptions options;
  options.trusted_peers = *CidrList::Parse("127.0.0.1");
  StartTransport(std::move(options));
  Client trusted(port_);
  ExpectEcho(trusted, 1);
  Client untrusted(port_, "127.0.0.2");
  ExpectEcho(untrusted, 2);
  const PeerInfo first = recorder_.Get(0).peer;
  EXPECT_EQ(first.address, "127.0.0.1");
  EXPECT_EQ(first.port, trusted.local_port());
  EXPECT_EQ(first.transport, TransportKind::kTcp);
  EXPECT_TRUE(first.trusted);
  EXPECT_EQ(first.certificate_identity, "");
  const PeerInfo second = recorder_.Get(1).peer;
  EXPECT_EQ(second.address, "127.0.0.2");
  EXPECT_FALSE(second.trusted);
}

TEST_F(TransportTest, FramingErrorClosesAfterFlushAndServerKeepsServing) {
  StartTransport();
  Client client(port_);
  // A good message, then one without Content-Length (RFC 3261 §18.3).
  const std::string no_length =
      "OPTIONS sip:focus@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
  client.Send(Request(1) + no_length);
  const Client::ReadResult result = client.ReadToEnd();
  EXPECT_TRUE(result.closed);
  EXPECT_EQ(result.bytes, absl::StrCat(Request(1), kBadRequest));
  ASSERT_TRUE(recorder_.WaitClosed(0));
  const HandlerLog log = recorder_.Get(0);
  EXPECT_THAT(log.frames, ElementsAre(Request(1)));
  ASSERT_EQ(log.framing_errors.size(), 1u);
  EXPECT_THAT(log.framing_errors[0],
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing Content-Length")));
  EXPECT_EQ(transport_->stats().closed_framing_error, 1u);

  Client next(port_);
  ExpectEcho(next, 2);
}

TEST_F(TransportTest, OversizedHeaderIsAFramingError) {
  TransportOptions options;
  options.parse.max_header_bytes = 1024;
  StartTransport(std::move(options));
  Client client(port_);
  client.Send("OPTIONS sip:focus@example.com SIP/2.0\r\nX-Pad: " +
              std::string(2000, 'a'));
  const Client::ReadResult result = client.ReadToEnd();
  EXPECT_TRUE(result.closed);
  EXPECT_EQ(result.bytes, kBadRequest);
  ASSERT_TRUE(recorder_.WaitClosed(0));
  EXPECT_THAT(recorder_.Get(0).framing_errors,
              ElementsAre(StatusIs(absl::StatusCode::kResourceExhausted)));
  EXPECT_EQ(transport_->stats().closed_framing_error, 1u);
}

TEST_F(TransportTest, MessageDeadlineClosesStalledMessage) {
  TransportOptions options;
  options.message_deadline = absl::Milliseconds(100);
  StartTransport(std::move(options));
  Client client(port_);
  const std::string request = Request(1);
  client.Send(absl::string_view(request).substr(0, request.size() / 2));
  EXPECT_TRUE(client.ReadToEnd().closed);
  ASSERT_TRUE(recorder_.WaitClosed(0));
  EXPECT_TRUE(recorder_.Get(0).frames.empty());
  EXPECT_EQ(transport_->stats().closed_message_deadline, 1u);
  EXPECT_EQ(transport_->stats().connections_open, 0u);
}

// Each message completes within the deadline, the conversation outlasts
// it several times. Needs real time to pass: the sleeps are the test.
TEST_F(TransportTest, MessageDeadlineRunsFromEachMessagesFirstByte) {
  TransportOptions options;
  options.message_deadline = absl::Milliseconds(300);
  StartTransport(std::move(options));
  Client client(port_);
  constexpr int kMessages = 8;
  std::string expected;
  std::string carry;  // the second half of the previous message
  for (int i = 0; i < kMessages; ++i) {
    const std::string request = Request(i);
    expected += request;
    const size_t half = request.size() / 2;
    client.Send(carry + request.substr(0, half));
    carry = request.substr(half);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  client.Send(carry);
  EXPECT_EQ(client.Read(expected.size()).bytes, expected);
  EXPECT_EQ(recorder_.Get(0).frames.size(), static_cast<size_t>(kMessages));
  EXPECT_FALSE(recorder_.Get(0).closed);
  EXPECT_EQ(transport_->stats().closed_message_deadline, 0u);
}

TEST_F(TransportTest, IdleTimeoutClosesSilentConnection) {
  TransportOptions options;
  options.idle_timeout = absl::Milliseconds(100);
  StartTransport(std::move(options));
  Client client(port_);
  EXPECT_TRUE(client.ReadToEnd().closed);
  ASSERT_TRUE(recorder_.WaitClosed(0));
  EXPECT_EQ(transport_->stats().closed_idle, 1u);
}

TEST_F(TransportTest, RefusesConnectionsPastMaxConnections) {
  TransportOptions options;
  options.max_connections = 2;
  StartTransport(std::move(options));
  auto first = std::make_unique<Client>(port_);
  Client second(port_);
  ExpectEcho(*first, 1);
  ExpectEcho(second, 2);

  Client refused(port_);
  EXPECT_TRUE(refused.ReadToEnd().closed);
  EXPECT_EQ(transport_->stats().refused_limit, 1u);
  EXPECT_EQ(recorder_.count(), 2);
  ExpectEcho(second, 3);
  EXPECT_EQ(transport_->stats().connections_open, 2u);

  // A slot frees when a connection closes.
  first->Close();
  ASSERT_TRUE(recorder_.WaitClosed(0));
  Client third(port_);
  ExpectEcho(third, 4);
  EXPECT_EQ(transport_->stats().accepted_total, 3u);
}

TEST_F(TransportTest, RefusesConnectionsPastPerPeerLimit) {
  TransportOptions options;
  options.max_connections_per_peer = 1;
  StartTransport(std::move(options));
  Client first(port_);
  ExpectEcho(first, 1);
  Client refused(port_);
  EXPECT_TRUE(refused.ReadToEnd().closed);
  EXPECT_EQ(transport_->stats().refused_per_peer_limit, 1u);
  // Another peer address has its own allowance.
  Client other(port_, "127.0.0.2");
  ExpectEcho(other, 2);
  ExpectEcho(first, 3);
  EXPECT_EQ(transport_->stats().refused_limit, 0u);
}

// A handler that streams kTotal bytes, as much as Send() takes each time,
// to a client that does not read at first.
TEST_F(TransportTest, SendQueueIsBoundedAndSignalsWritable) {
  constexpr size_t kMaxQueue = 64 << 10;
  // More than the kernel buffers on both sides can hold (tcp_wmem's
  // maximum is 4 MiB; the client's receive buffer is small).
  constexpr size_t kTotal = 16 << 20;
  struct Progress {
    Mutex mu;
    size_t sent ABSL_GUARDED_BY(mu) = 0;
    int refusals ABSL_GUARDED_BY(mu) = 0;
    size_t max_queued ABSL_GUARDED_BY(mu) = 0;
  } progress;
  const auto fill = [&](Connection& connection) {
    MutexLock lock(&progress.mu);
    std::string chunk(16 << 10, '\0');
    while (progress.sent < kTotal) {
      for (size_t i = 0; i < chunk.size(); ++i)
        chunk[i] = static_cast<char>((progress.sent + i) % 251);
      if (!connection.Send(chunk)) {
        ++progress.refusals;
        return;
      }
      progress.sent += chunk.size();
      progress.max_queued =
          std::max(progress.max_queued, connection.queued_bytes());
    }
  };
  behavior_.on_frame = [&](Connection& c, const sip::Frame&) { fill(c); };
  behavior_.on_writable = fill;
  TransportOptions options;
  options.max_send_queue_bytes = kMaxQueue;
  StartTransport(std::move(options));
  Client client(port_, "127.0.0.1", 4096);
  client.Send(Request(1));

  ASSERT_TRUE(Eventually([&]() {
    MutexLock lock(&progress.mu);
    return progress.refusals > 0;
  }));
  // While the client reads nothing, the handler cannot get far.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    MutexLock lock(&progress.mu);
    EXPECT_LT(progress.sent, kTotal);
  }

  const std::string received = client.Read(kTotal).bytes;
  ASSERT_EQ(received.size(), kTotal);
  for (size_t i = 0; i < kTotal; ++i) {
    if (received[i] != static_cast<char>(i % 251)) {
      ADD_FAILURE() << "byte " << i << " differs";
      break;
    }
  }
  const TransportStats stats = transport_->stats();
  transport_.reset();  // before `progress` goes
  MutexLock lock(&progress.mu);
  EXPECT_LE(progress.max_queued, kMaxQueue);
  EXPECT_GE(recorder_.Get(0).writable, 1);
  EXPECT_EQ(recorder_.Get(0).writable, progress.refusals);
  EXPECT_EQ(stats.send_queue_full_total,
            static_cast<uint64_t>(progress.refusals));
}

TEST_F(TransportTest, PostRunsTaskOnTheLoopThread) {
  StartTransport();
  Client client(port_);
  ExpectEcho(client, 1);
  const HandlerLog log = recorder_.Get(0);
  std::atomic<bool> on_loop{false};
  log.connection->Post([&on_loop, &log]() {
    on_loop = std::this_thread::get_id() == log.thread;
    log.connection->Send("posted");
  });
  EXPECT_EQ(client.Read(6).bytes, "posted");
  EXPECT_TRUE(on_loop);
  transport_.reset();  // before `on_loop` goes
}

// Another thread posts while the connection closes, until the handler's
// OnClosed ends it (as a subscription would be ended), and OnClosed itself
// posts: no task runs after OnClosed, and every task is run or destroyed.
TEST_F(TransportTest, PostAfterCloseIsDropped) {
  struct Tally {
    std::atomic<int> posted{0};
    std::atomic<int> ran{0};
    std::atomic<int> destroyed{0};
    std::atomic<bool> closed{false};
    std::atomic<bool> ran_after_close{false};
    std::atomic<bool> stop{false};
    std::thread poster;
  } tally;
  struct Task {
    explicit Task(Tally* t) : tally(t) { ++tally->posted; }
    Task(const Task& other) : tally(other.tally) { ++tally->posted; }
    ~Task() { ++tally->destroyed; }
    void operator()() const {
      ++tally->ran;
      if (tally->closed)
        tally->ran_after_close = true;
    }
    Tally* tally;
  };
  behavior_.on_closed = [&](Connection& connection) {
    tally.closed = true;
    tally.stop = true;
    tally.poster.join();
    connection.Post(Task(&tally));
  };
  StartTransport();
  auto client = std::make_unique<Client>(port_);
  ExpectEcho(*client, 1);
  Connection* connection = recorder_.Get(0).connection;
  tally.poster = std::thread([&tally, connection]() {
    while (!tally.stop)
      connection->Post(Task(&tally));
  });
  ASSERT_TRUE(Eventually([&]() { return tally.ran > 100; }));
  client->Close();
  ASSERT_TRUE(recorder_.WaitClosed(0));
  transport_.reset();
  EXPECT_FALSE(tally.ran_after_close);
  // std::function copies its task: count instances, not calls to Post.
  EXPECT_EQ(tally.posted, tally.destroyed);
}

TEST_F(TransportTest, WakeAtFiresOnTimerAndLaterCallsReplaceEarlier) {
  // One loop: its timers fire in the order they expire.
  behavior_.on_frame = [](Connection& connection, const sip::Frame& frame) {
    const absl::Time now = absl::Now();
    if (frame.message().call_id() == "call-1") {
      connection.WakeAt(now + absl::Seconds(10));
      connection.WakeAt(now + absl::Milliseconds(10));  // replaces
    } else if (frame.message().call_id() == "call-2") {
      connection.WakeAt(now + absl::Milliseconds(10));
      connection.WakeAt(absl::InfiniteFuture());  // cancels
    } else {
      connection.WakeAt(now + absl::Milliseconds(100));
    }
  };
  TransportOptions options;
  options.loops = 1;
  StartTransport(std::move(options));
  Client replaced(port_);
  replaced.Send(Request(1));
  ASSERT_TRUE(recorder_.WaitFor(
      0, [](const HandlerLog& log) { return log.timers == 1; }));
  Client cancelled(port_);
  cancelled.Send(Request(2));
  ASSERT_TRUE(recorder_.WaitFor(
      1, [](const HandlerLog& log) { return log.frames.size() == 1; }));
  Client clock(port_);
  clock.Send(Request(3));
  ASSERT_TRUE(recorder_.WaitFor(
      2, [](const HandlerLog& log) { return log.timers == 1; }));
  EXPECT_EQ(recorder_.Get(1).timers, 0);
  EXPECT_EQ(recorder_.Get(0).timers, 1);
}

TEST_F(TransportTest, HandlerCloseFlushesThenCloses) {
  std::atomic<bool> sent_after_close{true};
  behavior_.on_frame = [&](Connection& connection, const sip::Frame& frame) {
    connection.Send(frame.bytes());
    connection.Close();
    sent_after_close = connection.Send("late");
  };
  StartTransport();
  Client client(port_);
  client.Send(Request(1) + Request(2));
  const Client::ReadResult result = client.ReadToEnd();
  EXPECT_TRUE(result.closed);
  EXPECT_EQ(result.bytes, Request(1));  // frames after Close() are dropped
  ASSERT_TRUE(recorder_.WaitClosed(0));
  EXPECT_FALSE(sent_after_close);
  EXPECT_EQ(transport_->stats().closed_server, 1u);
  transport_.reset();  // before `sent_after_close` goes
}

TEST_F(TransportTest, ShutdownClosesEveryConnectionAfterForEachConnection) {
  StartTransport();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ExpectEcho(*clients.back(), i);
  }
  // The peers read to the end and close, as SIP clients do.
  std::vector<Client::ReadResult> results(clients.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < clients.size(); ++i) {
    readers.emplace_back([&, i]() { results[i] = clients[i]->ReadToEnd(); });
  }
  transport_->ForEachConnection([](ConnectionHandler& handler) {
    static_cast<TestHandler&>(handler).connection().Send("bye");
  });
  transport_->Shutdown(absl::Seconds(2));
  for (std::thread& reader : readers)
    reader.join();
  for (int i = 0; i < 3; ++i) {
    const HandlerLog log = recorder_.Get(i);
    EXPECT_TRUE(log.closed);  // before Shutdown returned
    EXPECT_FALSE(log.wrong_thread);
    EXPECT_TRUE(results[i].closed);
    EXPECT_EQ(results[i].bytes, "bye");
  }
  const TransportStats stats = transport_->stats();
  EXPECT_EQ(stats.closed_server, 3u);
  EXPECT_EQ(stats.connections_open, 0u);
  // New connections are no longer accepted.
  EXPECT_THAT(transport_->ListenTcp("127.0.0.1", 0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(TransportTest, ShutdownGraceEndsAtOnceWhenPeersDoNotRead) {
  constexpr size_t kMaxQueue = 64 << 10;
  behavior_.on_frame = [](Connection& connection, const sip::Frame&) {
    while (connection.Send(std::string(16 << 10, 'x'))) {
    }
  };
  TransportOptions options;
  options.max_send_queue_bytes = kMaxQueue;
  StartTransport(std::move(options));
  Client client(port_, "127.0.0.1", 4096);
  client.Send(Request(1));
  ASSERT_TRUE(recorder_.WaitFor(
      0, [](const HandlerLog& l) { return !l.frames.empty(); }));
  // The queue cannot drain: Shutdown waits out its grace, then closes.
  transport_->Shutdown(absl::Milliseconds(50));
  EXPECT_TRUE(recorder_.Get(0).closed);
  EXPECT_EQ(transport_->stats().connections_open, 0u);
}

TEST_F(TransportTest, AbruptDisconnectMidMessageCallsOnClosed) {
  StartTransport();
  const std::string request = Request(1);
  Client closes(port_);
  closes.Send(absl::string_view(request).substr(0, 40));
  Client resets(port_);
  resets.Send(absl::string_view(request).substr(0, 40));
  ASSERT_TRUE(
      Eventually([&]() { return transport_->stats().bytes_read == 80; }));
  closes.Close();
  resets.Close(/*reset=*/true);
  ASSERT_TRUE(recorder_.WaitClosed(0));
  ASSERT_TRUE(recorder_.WaitClosed(1));
  EXPECT_TRUE(recorder_.Get(0).frames.empty());
  EXPECT_EQ(transport_->stats().closed_peer, 2u);
  EXPECT_EQ(transport_->stats().connections_open, 0u);
}

TEST(TransportCreateTest, RejectsBadOptionsNamingTheField) {
  const HandlerFactory factory = [](Connection*) { return nullptr; };
  TransportOptions options;
  options.max_connections = 0;
  EXPECT_THAT(Transport::Create(options, factory),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("options.max_connections must be positive")));
  options = TransportOptions();
  options.message_deadline = absl::ZeroDuration();
  EXPECT_THAT(Transport::Create(options, factory),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("message_deadline")));
  EXPECT_THAT(Transport::Create(TransportOptions(), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TransportListenTest, ErrorsNameTheAddress) {
  std::vector<std::string> lines;
  TransportOptions options;
  options.loops = 1;
  options.log = [&lines](absl::string_view line) { lines.emplace_back(line); };
  absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Create(
      std::move(options), [](Connection*) { return nullptr; });
  ASSERT_THAT(transport, IsOk());
  EXPECT_THAT(
      (*transport)->ListenTcp("localhost", 0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"localhost\"")));
  const absl::StatusOr<uint16_t> port = (*transport)->ListenTcp("127.0.0.1", 0);
  ASSERT_THAT(port, IsOk());
  EXPECT_THAT((*transport)->ListenTcp("127.0.0.1", *port),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("127.0.0.1:", *port)),
                             HasSubstr("in use"))));
  EXPECT_THAT(lines, ElementsAre(HasSubstr("listening on tcp 127.0.0.1:0")));
}

TEST_F(TransportTest, FactoryReturningNullClosesTheConnection) {
  StartTransport({}, [](Connection*) { return nullptr; });
  Client client(port_);
  EXPECT_TRUE(client.ReadToEnd().closed);
  EXPECT_TRUE(
      Eventually([&]() { return transport_->stats().closed_server == 1; }));
  EXPECT_EQ(transport_->stats().connections_open, 0u);
}

}  // namespace
}  // namespace server
}  // namespace conf
