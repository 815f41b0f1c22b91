// confstated's admin port: a minimal HTTP/1.1 server for Prometheus scrapes
// and orchestrator probes. It runs its own Asio io_context on one thread of
// its own, so a stuck SIP loop cannot hide its metrics.
//
//   GET /metrics  200, text/plain; version=0.0.4; charset=utf-8, the
//                 registry's Render() (called on the admin thread).
//   GET /ready    200 "ready\n" while ready() returns true, else 503.
//   GET /healthz  200 "ok\n" while the admin thread answers.
//   HEAD          as GET without the body (RFC 9110 §9.3.2).
//   other paths   404; other methods 405 with `Allow: GET, HEAD`;
//   a malformed request head 400; a head over the limit 431; an HTTP major
//   version other than 1, 505.
//
// Every response carries `Connection: close` and the server closes the
// connection after it: one request per connection. Resources are bounded
// by AdminServerOptions: head size, connection lifetime, connections open.
// A connection over the limit is accepted and closed at once, unanswered.
// Nothing a client sends makes the server crash or grow without bound.
//
// Thread-safety: port() may be called from any thread. Stop() and the
// destructor must be called by the owner, not from the admin thread (not
// from ready() or a callback gauge), and not concurrently with each other.
//
// Example:
//   CONF_ASSIGN_OR_RETURN(
//       std::unique_ptr<AdminServer> admin,
//       AdminServer::Start("127.0.0.1", 9464, &registry,
//                          [&recovered] { return recovered.load(); }));
//   ...
//   admin->Stop();  // or let it go out of scope

#ifndef CONF_SERVER_ADMIN_ADMIN_SERVER_H_
#define CONF_SERVER_ADMIN_ADMIN_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "server/admin/metrics.h"

namespace conf {
namespace server {

struct AdminServerOptions {
  // The request line and header lines, blank line included; more is 431.
  size_t max_request_head_bytes = 8 * 1024;
  // A connection's whole life from accept: reading the request, writing the
  // response and reading whatever else the client sent. Then it is closed.
  absl::Duration connection_deadline = absl::Seconds(5);
  // Connections open at once.
  int max_connections = 64;
};

class AdminServer {
 public:
  // Listens on `host` (a numeric IPv4 or IPv6 address, never resolved) and
  // `port` (0 picks a free port; see port()) and starts the admin thread.
  // `registry` must be non-null (CHECKed) and outlive the server. `ready` runs
  // on the admin thread for each GET /ready and must be thread-safe; empty
  // means always ready. Returns kInvalidArgument when `host` is not a numeric
  // address, and the code absl::ErrnoToStatus gives the errno (e.g.
  // kFailedPrecondition for EADDRINUSE, kPermissionDenied for EACCES) when the
  // socket cannot be opened, bound or listened on, with a message naming the
  // address.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      absl::string_view host, uint16_t port, const MetricsRegistry* registry,
      std::function<bool()> ready, const AdminServerOptions& options = {});

  // Stops the server (see Stop()).
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The port listened on, the chosen one when Start() was given 0.
  uint16_t port() const { return port_; }

  // Stops the admin thread, joins it, and closes the listening socket and
  // every connection, answered or not. ready() and the registry are not
  // called after it returns. Idempotent.
  void Stop();

 private:
  class Impl;

  AdminServer(std::unique_ptr<Impl> impl, uint16_t port);

  const std::unique_ptr<Impl> impl_;
  const uint16_t port_;
};

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_ADMIN_ADMIN_SERVER_H_
