#include "server/admin/admin_server.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "asio.hpp"
#include "server/admin/metrics.h"
#include "testing/status_matchers.h"

namespace conf {
namespace server {
namespace {

using ::asio::ip::tcp;
using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A blocking loopback client: one socket, raw bytes.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_context_) {
    asio::error_code error;
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                    error);
    EXPECT_FALSE(error) << error.message();
  }

  // Errors are ignored: a server that refuses a connection may reset it
  // under the write; the reply (or its absence) tells.
  void Send(absl::string_view bytes) {
    asio::error_code ignored;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ignored);
  }

  // Everything the server sends until it closes the connection.
  std::string ReadToEnd() {
    std::string reply;
    char buffer[4096];
    asio::error_code error;
    while (!error) {
      const size_t n = socket_.read_some(asio::buffer(buffer), error);
      reply.append(buffer, n);
    }
    return reply;
  }

  void Close() {
    asio::error_code ignored;
    socket_.close(ignored);
  }

 private:
  asio::io_context io_context_;
  tcp::socket socket_;
};

std::string Exchange(uint16_t port, absl::string_view request) {
  Client client(port);
  client.Send(request);
  return client.ReadToEnd();
}

std::string Get(uint16_t port, absl::string_view path) {
  return Exchange(
      port, absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
}

absl::string_view Body(absl::string_view reply) {
  const size_t end = reply.find("\r\n\r\n");
  return end == absl::string_view::npos ? "" : reply.substr(end + 4);
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("hits_total", "Hits.", {{"path", "/x"}})->Increment(2);
    StartServer(AdminServerOptions());
  }

  void StartServer(const AdminServerOptions& options) {
    absl::StatusOr<std::unique_ptr<AdminServer>> server = AdminServer::Start(
        "127.0.0.1", 0, &registry_, [this] { return ready_.load(); }, options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  MetricsRegistry registry_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<AdminServer> server_;
  uint16_t port_ = 0;
};

TEST_F(AdminServerTest, MetricsReturnsTheRegistryText) {
  const std::string reply = Get(port_, "/metrics");
  const std::string text = registry_.Render();
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4; "
                               "charset=utf-8\r\n"));
  EXPECT_THAT(reply, HasSubstr(absl::StrCat("\r\nContent-Length: ", text.size(),
                                            "\r\n")));
  EXPECT_THAT(reply, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_EQ(Body(reply), text);
  EXPECT_THAT(text, HasSubstr("hits_total{path=\"/x\"} 2\n"));
}

TEST_F(AdminServerTest, QueryStringIsIgnored) {
  EXPECT_EQ(Body(Get(port_, "/metrics?name[]=hits_total")), registry_.Render());
}

TEST_F(AdminServerTest, HeadSendsHeadersWithoutBody) {
  const std::string reply =
      Exchange(port_, "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr(absl::StrCat("\r\nContent-Length: ",
                                            registry_.Render().size())));
  EXPECT_THAT(Body(reply), IsEmpty());
}

TEST_F(AdminServerTest, ReadyFollowsTheCallback) {
  std::string reply = Get(port_, "/ready");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_EQ(Body(reply), "not ready\n");
  ready_ = true;
  reply = Get(port_, "/ready");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(reply), "ready\n");
  ready_ = false;
  EXPECT_THAT(Get(port_, "/ready"), StartsWith("HTTP/1.1 503 "));
}

TEST_F(AdminServerTest, HealthzIsOk) {
  const std::string reply = Get(port_, "/healthz");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(reply), "ok\n");
}

TEST_F(AdminServerTest, UnknownPathIsNotFound) {
  for (const char* path : {"/", "/metricsx", "/metrics/", "/%2e%2e/etc"}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(Get(port_, path), StartsWith("HTTP/1.1 404 Not Found\r\n"));
  }
}

TEST_F(AdminServerTest, OtherMethodsAreNotAllowed) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
    SCOPED_TRACE(method);
    const std::string reply =
        Exchange(port_, absl::StrCat(method,
                                     " /metrics HTTP/1.1\r\nHost: h\r\n"
                                     "Content-Length: 3\r\n\r\nabc"));
    EXPECT_THAT(reply, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
    EXPECT_THAT(reply, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  }
}

TEST_F(AdminServerTest, MalformedRequestsAreBadRequests) {
  static constexpr char kNulInValue[] =
      "GET /metrics HTTP/1.1\r\nHost: h\0x\r\n\r\n";
  const absl::string_view kCases[] = {
      "\r\n\r\n",
      "GET\r\n\r\n",
      "GET /metrics\r\nHost: h\r\n\r\n",
      "GET  /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /met rics HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET metrics HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET http://h/metrics HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /metrics HTTP/1.x\r\nHost: h\r\n\r\n",
      "GET /metrics HTTP/1.1\r\n\r\n",                        // No Host.
      "GET /metrics HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",  // Two.
      "GET /metrics HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
      "GET /metrics HTTP/1.1\nHost: h\r\n\r\n",
      "G\x80T /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
      absl::string_view(kNulInValue, sizeof(kNulInValue) - 1),
  };
  for (const absl::string_view request : kCases) {
    SCOPED_TRACE(absl::CEscape(request));
    const std::string reply = Exchange(port_, request);
    EXPECT_THAT(reply, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(reply, HasSubstr("\r\nConnection: close\r\n"));
  }
}

TEST_F(AdminServerTest, Http10WithoutHostIsServed) {
  EXPECT_THAT(Exchange(port_, "GET /healthz HTTP/1.0\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(AdminServerTest, OtherMajorVersionIsNotSupported) {
  EXPECT_THAT(Exchange(port_, "GET /metrics HTTP/2.0\r\nHost: h\r\n\r\n"),
              StartsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"));
}

TEST_F(AdminServerTest, OversizedHeadIsRefusedAndServingContinues) {
  // Just over 8 KiB, and far over (the server drains what it did not read,
  // so the client still gets the 431 rather than a reset).
  for (const size_t header_bytes : {size_t{8} << 10, size_t{256} << 10}) {
    SCOPED_TRACE(header_bytes);
    const std::string request =
        absl::StrCat("GET /metrics HTTP/1.1\r\nHost: h\r\nX-Big: ",
                     std::string(header_bytes, 'a'), "\r\n\r\n");
    EXPECT_THAT(Exchange(port_, request),
                StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  }
  EXPECT_EQ(Body(Get(port_, "/metrics")), registry_.Render());
}

TEST_F(AdminServerTest, HeadOfExactlyTheLimitIsServed) {
  std::string request = "GET /healthz HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const size_t limit = AdminServerOptions().max_request_head_bytes;
  ASSERT_EQ(limit, size_t{8} << 10);  // The documented default.
  request.append(limit - request.size() - end.size(), 'p');
  request.append(end);
  ASSERT_EQ(request.size(), limit);
  EXPECT_THAT(Exchange(port_, request), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(AdminServerTest, RequestSentByteByByteIsAnswered) {
  Client client(port_);
  for (const char c :
       absl::string_view("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
    client.Send(absl::string_view(&c, 1));
  }
  EXPECT_EQ(Body(client.ReadToEnd()), "ok\n");
}

TEST_F(AdminServerTest, ClientThatLeavesEarlyDoesNotDisturbOthers) {
  Client leaver(port_);
  leaver.Send("GET /metr");
  leaver.Close();
  Client silent(port_);
  silent.Close();
  EXPECT_THAT(Get(port_, "/healthz"), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(AdminServerTest, StalledRequestIsClosedAtTheDeadline) {
  server_.reset();
  AdminServerOptions options;
  options.connection_deadline = absl::Milliseconds(50);
  StartServer(options);
  Client stalled(port_);
  stalled.Send("GET /metrics HTTP/1.1\r\n");  // And never the rest.
  EXPECT_THAT(stalled.ReadToEnd(), IsEmpty());
}

TEST_F(AdminServerTest, ConnectionsOverTheLimitAreClosedUnanswered) {
  server_.reset();
  AdminServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  Client first(port_);
  Client second(port_);
  first.Send("GET /healthz HTTP/1.1\r\n");
  second.Send("GET /healthz HTTP/1.1\r\n");
  // The server accepts in connection order, so this one is the third.
  Client third(port_);
  EXPECT_THAT(third.ReadToEnd(), IsEmpty());
  first.Send("Host: h\r\n\r\n");
  EXPECT_THAT(first.ReadToEnd(), StartsWith("HTTP/1.1 200 OK\r\n"));
  first.Close();
  second.Close();
  // The slots free once the server has seen both closes, which it may do
  // after accepting the next connection; so try a bounded number of times.
  std::string reply;
  for (int attempt = 0; attempt < 1000 && reply.empty(); ++attempt) {
    reply = Get(port_, "/healthz");
  }
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(AdminServerTest, StopIsIdempotentAndClosesTheListener) {
  Client idle(port_);
  server_->Stop();
  server_->Stop();
  EXPECT_THAT(idle.ReadToEnd(), IsEmpty());
  asio::io_context io_context;
  tcp::socket socket(io_context);
  asio::error_code error;
  socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_), error);
  EXPECT_EQ(error, asio::error::connection_refused);
}

TEST(AdminServerStartTest, RejectsNonNumericHost) {
  MetricsRegistry registry;
  EXPECT_THAT(AdminServer::Start("localhost", 0, &registry, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a numeric address")));
}

TEST(AdminServerStartTest, RejectsInvalidOptions) {
  MetricsRegistry registry;
  AdminServerOptions options;
  options.max_connections = 0;
  EXPECT_THAT(AdminServer::Start("127.0.0.1", 0, &registry, nullptr, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AdminServerStartTest, ReportsPortInUse) {
  MetricsRegistry registry;
  absl::StatusOr<std::unique_ptr<AdminServer>> first =
      AdminServer::Start("127.0.0.1", 0, &registry, nullptr);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(
      AdminServer::Start("127.0.0.1", (*first)->port(), &registry, nullptr),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("admin: cannot listen on 127.0.0.1:")));
}

TEST(AdminServerStartTest, ServesOnIpv6Loopback) {
  MetricsRegistry registry;
  absl::StatusOr<std::unique_ptr<AdminServer>> server =
      AdminServer::Start("::1", 0, &registry, nullptr);
  if (!server.ok()) {
    GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  }
  asio::io_context io_context;
  tcp::socket socket(io_context);
  asio::error_code error;
  socket.connect(
      tcp::endpoint(asio::ip::address_v6::loopback(), (*server)->port()),
      error);
  ASSERT_FALSE(error) << error.message();
  const absl::string_view request = "GET /ready HTTP/1.1\r\nHost: h\r\n\r\n";
  asio::write(socket, asio::buffer(request.data(), request.size()), error);
  char buffer[256];
  const size_t n = asio::read(socket, asio::buffer(buffer), error);
  EXPECT_THAT(std::string(buffer, n), StartsWith("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
}  // namespace server
}  // namespace conf
