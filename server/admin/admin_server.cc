#include "server/admin/admin_server.h"

#include <chrono>  // NOLINT(build/c++11)
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "asio.hpp"
#include "base/check.h"
#include "base/status_macros.h"
#include "server/admin/internal/http.h"

namespace conf {
namespace server {
namespace {

using asio::ip::tcp;
using internal::BodyPolicy;
using internal::EncodeResponse;
using internal::HttpStatus;

constexpr absl::string_view kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";
constexpr absl::string_view kTextContentType = "text/plain; charset=utf-8";
// After a failed accept (EMFILE and the like), wait before trying again
// rather than spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay(100);

std::string ToString(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return endpoint.address().is_v6()
             ? absl::StrCat("[", address, "]:", endpoint.port())
             : absl::StrCat(address, ":", endpoint.port());
}

absl::Status ListenError(const asio::error_code& error,
                         const tcp::endpoint& endpoint) {
  const std::string context =
      absl::StrCat("admin: cannot listen on ", ToString(endpoint));
  if (error.category() == asio::system_category()) {
    return absl::ErrnoToStatus(error.value(), context);
  }
  return absl::InternalError(absl::StrCat(context, ": ", error.message()));
}

absl::Status ValidateOptions(const AdminServerOptions& options) {
  if (options.max_request_head_bytes == 0 || options.max_connections <= 0 ||
      options.connection_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "admin: head size, connection count and deadline must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

// Owns the io_context, its thread, the acceptor and the connections. Every
// method but the constructor, Listen(), Run() and Stop() runs on the admin
// thread, so the fields below need no lock.
class AdminServer::Impl {
 public:
  Impl(const MetricsRegistry* registry, std::function<bool()> ready,
       const AdminServerOptions& options)
      : registry_(registry), ready_(std::move(ready)), options_(options) {}
  ~Impl() { Stop(); }

  // Opens, binds and listens; returns the port bound.
  absl::StatusOr<uint16_t> Listen(const tcp::endpoint& endpoint);
  // Starts accepting on the admin thread.
  void Run();
  void Stop();

 private:
  class Connection;

  void Accept();
  void OnAccept(const asio::error_code& error, tcp::socket socket);
  // The complete response to a request head (request line and header lines,
  // each with its CRLF).
  std::string Answer(absl::string_view head) const;
  std::string Route(const internal::HttpRequestHead& request) const;

  const MetricsRegistry* const registry_;
  const std::function<bool()> ready_;
  const AdminServerOptions options_;
  asio::io_context io_context_{/*concurrency_hint=*/1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{
      io_context_.get_executor()};
  tcp::acceptor acceptor_{io_context_};
  asio::steady_timer accept_retry_{io_context_};
  // Every connection object, open or waiting for its cancelled operations.
  absl::flat_hash_map<Connection*, std::unique_ptr<Connection>> connections_;
  int open_connections_ = 0;
  std::thread thread_;
};

// One exchange: read a request head, write the response, read (and drop)
// whatever else the client sends until it closes, so that closing never
// resets a connection whose response the client has not read yet. A timer
// bounds the whole exchange.
//
// Lifetime: every asynchronous operation is counted in `pending_`; once the
// connection is closed and the count is zero, the last completion handler
// asks the server to destroy it. Handlers run on the admin thread only.
class AdminServer::Impl::Connection {
 public:
  Connection(Impl* server, tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        deadline_(server->io_context_),
        buffer_(server->options_.max_request_head_bytes, '\0') {}

  void Start();

 private:
  // Wraps a member function as a counted completion handler.
  template <typename... Args>
  auto Counted(void (Connection::*handler)(Args...)) {
    ++pending_;
    return [this, handler](Args... args) {
      --pending_;
      (this->*handler)(args...);
      if (closed_ && pending_ == 0) {
        server_->connections_.erase(this);  // Destroys *this: return now.
      }
    };
  }

  void ReadHead();
  void OnHeadRead(const asio::error_code& error, size_t bytes);
  void Respond(std::string response);
  void OnWritten(const asio::error_code& error, size_t bytes);
  void Drain();
  void OnDrained(const asio::error_code& error, size_t bytes);
  void OnDeadline(const asio::error_code& error);
  // Closes the socket and cancels the timer. Idempotent.
  void Close();

  Impl* const server_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::string buffer_;  // The request head as read; later, drained bytes.
  size_t filled_ = 0;
  std::string response_;
  int pending_ = 0;
  bool closed_ = false;
};

void AdminServer::Impl::Connection::Start() {
  deadline_.expires_after(
      absl::ToChronoNanoseconds(server_->options_.connection_deadline));
  deadline_.async_wait(Counted(&Connection::OnDeadline));
  ReadHead();
}

void AdminServer::Impl::Connection::ReadHead() {
  socket_.async_read_some(
      asio::buffer(&buffer_[filled_], buffer_.size() - filled_),
      Counted(&Connection::OnHeadRead));
}

void AdminServer::Impl::Connection::OnHeadRead(const asio::error_code& error,
                                               size_t bytes) {
  if (closed_) {
    return;
  }
  if (error) {  // Closed or reset before a whole head arrived.
    Close();
    return;
  }
  // The blank line may straddle two reads.
  const size_t search_from = filled_ < 3 ? 0 : filled_ - 3;
  filled_ += bytes;
  const absl::string_view data(buffer_.data(), filled_);
  const size_t end = data.find("\r\n\r\n", search_from);
  if (end != absl::string_view::npos) {
    Respond(server_->Answer(data.substr(0, end + 2)));
  } else if (filled_ == buffer_.size()) {
    Respond(EncodeResponse(HttpStatus::kRequestHeaderFieldsTooLarge,
                           kTextContentType, "request head too large\n",
                           BodyPolicy::kInclude));
  } else {
    ReadHead();
  }
}

void AdminServer::Impl::Connection::Respond(std::string response) {
  response_ = std::move(response);
  asio::async_write(socket_, asio::buffer(response_),
                    Counted(&Connection::OnWritten));
}

void AdminServer::Impl::Connection::OnWritten(const asio::error_code& error,
                                              size_t /*bytes*/) {
  if (closed_) {
    return;
  }
  if (error) {
    Close();
    return;
  }
  asio::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  Drain();
}

void AdminServer::Impl::Connection::Drain() {
  socket_.async_read_some(asio::buffer(buffer_),
                          Counted(&Connection::OnDrained));
}

void AdminServer::Impl::Connection::OnDrained(const asio::error_code& error,
                                              size_t /*bytes*/) {
  if (closed_) {
    return;
  }
  if (error) {  // Usually EOF: the client read the response and closed.
    Close();
    return;
  }
  Drain();
}

void AdminServer::Impl::Connection::OnDeadline(const asio::error_code& error) {
  if (!closed_ && error != asio::error::operation_aborted) {
    Close();
  }
}

void AdminServer::Impl::Connection::Close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  --server_->open_connections_;
  asio::error_code ignored;
  socket_.close(ignored);  // Completes the pending read or write, aborted.
  deadline_.cancel();
}

absl::StatusOr<uint16_t> AdminServer::Impl::Listen(
    const tcp::endpoint& endpoint) {
  asio::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (!error) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  }
  if (!error) {
    acceptor_.bind(endpoint, error);
  }
  if (!error) {
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
  }
  tcp::endpoint local;
  if (!error) {
    local = acceptor_.local_endpoint(error);
  }
  if (error) {
    return ListenError(error, endpoint);
  }
  return local.port();
}

void AdminServer::Impl::Run() {
  Accept();
  thread_ = std::thread([this] { io_context_.run(); });
}

void AdminServer::Impl::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  io_context_.stop();
  thread_.join();
  // The admin thread is gone: no handler runs again. Closing the sockets
  // queues their cancelled handlers, which ~io_context destroys uncalled.
  connections_.clear();
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void AdminServer::Impl::Accept() {
  acceptor_.async_accept(
      [this](const asio::error_code& error, tcp::socket socket) {
        OnAccept(error, std::move(socket));
      });
}

void AdminServer::Impl::OnAccept(const asio::error_code& error,
                                 tcp::socket socket) {
  if (error == asio::error::operation_aborted) {
    return;
  }
  if (error) {
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](const asio::error_code& wait_error) {
      if (!wait_error) {
        Accept();
      }
    });
    return;
  }
  if (open_connections_ >= options_.max_connections) {
    asio::error_code ignored;
    socket.close(ignored);
  } else {
    ++open_connections_;
    auto connection = std::make_unique<Connection>(this, std::move(socket));
    Connection* started = connection.get();
    connections_.emplace(started, std::move(connection));
    started->Start();
  }
  Accept();
}

std::string AdminServer::Impl::Answer(absl::string_view head) const {
  const absl::StatusOr<internal::HttpRequestHead> request =
      internal::ParseRequestHead(head);
  if (request.ok()) {
    return Route(*request);
  }
  const HttpStatus status =
      request.status().code() == absl::StatusCode::kUnimplemented
          ? HttpStatus::kHttpVersionNotSupported
          : HttpStatus::kBadRequest;
  return EncodeResponse(status, kTextContentType,
                        absl::StrCat(request.status().message(), "\n"),
                        BodyPolicy::kInclude);
}

std::string AdminServer::Impl::Route(
    const internal::HttpRequestHead& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    return EncodeResponse(HttpStatus::kMethodNotAllowed, kTextContentType,
                          "method not allowed\n", BodyPolicy::kInclude);
  }
  // RFC 9110 §9.3.2: HEAD gets GET's headers, Content-Length included.
  const BodyPolicy policy =
      request.method == "HEAD" ? BodyPolicy::kOmit : BodyPolicy::kInclude;
  if (request.path == "/metrics") {
    return EncodeResponse(HttpStatus::kOk, kMetricsContentType,
                          registry_->Render(), policy);
  }
  if (request.path == "/ready") {
    const bool ready = !ready_ || ready_();
    return EncodeResponse(
        ready ? HttpStatus::kOk : HttpStatus::kServiceUnavailable,
        kTextContentType, ready ? "ready\n" : "not ready\n", policy);
  }
  if (request.path == "/healthz") {
    return EncodeResponse(HttpStatus::kOk, kTextContentType, "ok\n", policy);
  }
  return EncodeResponse(HttpStatus::kNotFound, kTextContentType, "not found\n",
                        policy);
}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    absl::string_view host, uint16_t port, const MetricsRegistry* registry,
    std::function<bool()> ready, const AdminServerOptions& options) {
  CONF_CHECK(registry != nullptr);
  CONF_RETURN_IF_ERROR(ValidateOptions(options));
  asio::error_code error;
  const asio::ip::address address =
      asio::ip::make_address(std::string{host}, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin: host is not a numeric address: \"",
                     absl::CEscape(host.substr(0, 64)), "\""));
  }
  auto impl = std::make_unique<Impl>(registry, std::move(ready), options);
  CONF_ASSIGN_OR_RETURN(const uint16_t bound,
                        impl->Listen(tcp::endpoint(address, port)));
  impl->Run();
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl), bound));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl, uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Stop() { impl_->Stop(); }

}  // namespace server
}  // namespace conf
