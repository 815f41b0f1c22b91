// The seam between confstated's transport (sockets, event loops, TLS) and
// its SIP layer: a Connection is what the SIP layer may do with one stream
// to a peer, a ConnectionHandler is what the transport tells it.
//
// Threading: every connection is pinned to one event loop thread. The
// transport calls a handler only on that thread, one call at a time, and
// the handler calls its Connection only from there, except Post(), which
// any thread may call while the Connection lives (a subscription's on_ready
// runs on whichever thread changed the conference).
//
// Lifetime: the transport owns both. After OnClosed() returns it calls the
// handler no more and destroys it, then the Connection once every posted
// task has run or been dropped. A handler must therefore end whatever can
// still call Post() (its focus subscriptions) in OnClosed().

#ifndef CONF_SERVER_CONNECTION_H_
#define CONF_SERVER_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sip/framer.h"

namespace conf {
namespace server {

enum class TransportKind { kTcp, kTls };

// What the transport knows of the peer, fixed for the connection's life.
struct PeerInfo {
  // The peer's numeric address ("192.0.2.7", "::1") and port.
  std::string address;
  uint16_t port = 0;
  TransportKind transport = TransportKind::kTcp;
  // A configured trusted peer: its address is in --trusted_peers, or it
  // presented a TLS client certificate that verified against the trusted
  // proxies' CA. The SIP layer takes P-Asserted-Identity from it.
  bool trusted = false;
  // The SIP URI ("sip:alice@example.com") of a verified TLS client
  // certificate that is not a trusted proxy's (subjectAltName URI), or "".
  std::string certificate_identity;
};

// The transport's side of one connection.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual const PeerInfo& peer() const = 0;

  // Queues `bytes` to be written after everything queued before. Returns
  // false and queues nothing when that would take the queue past its bound
  // (the peer does not read fast enough): the caller drops or defers what
  // it wanted to send and may wait for OnWritable().
  virtual bool Send(absl::string_view bytes) = 0;

  // Bytes queued and not yet written.
  virtual size_t queued_bytes() const = 0;

  // Closes the connection once the bytes already queued are written (a
  // bounded wait). The handler's OnClosed() follows.
  virtual void Close() = 0;

  // Runs `task` on the connection's loop thread, unless the connection has
  // closed by then (the task is then destroyed unrun). Any thread.
  virtual void Post(std::function<void()> task) = 0;

  // Asks for one OnTimer() call at or soon after `when`; a later call
  // replaces the earlier request. absl::InfiniteFuture() cancels it.
  virtual void WakeAt(absl::Time when) = 0;
};

// The SIP layer's side of one connection, made by a HandlerFactory when the
// connection is accepted.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;

  // One complete message, or a keep-alive ping (answered by the handler
  // with sip::kKeepAlivePong).
  virtual void OnFrame(sip::Frame frame) = 0;

  // The stream could not be framed (sip::StreamFramer's error, e.g. a
  // header past the limit or a missing Content-Length); the transport
  // closes the connection after this call. A handler may Send() a final
  // 400 or 413 first.
  virtual void OnFramingError(const absl::Status& status) = 0;

  // The send queue, which had refused a Send(), has drained below half its
  // bound.
  virtual void OnWritable() = 0;

  // The time asked for with WakeAt() has come.
  virtual void OnTimer(absl::Time now) = 0;

  // The connection is closed (by either side, or by the server shutting
  // down). The last call.
  virtual void OnClosed() = 0;
};

using HandlerFactory =
    std::function<std::unique_ptr<ConnectionHandler>(Connection* connection)>;

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_CONNECTION_H_
