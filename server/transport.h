// confstated's stream transport: listening sockets, event loops and
// connections, with the SIP framing of RFC 3261 §18.3 on top. It turns the
// bytes of each connection into sip::Frames for that connection's
// ConnectionHandler (server/connection.h) and writes what the handler
// sends, within bounds set by TransportOptions:
//
//   - memory: the framer bounds a message in progress, the send queue is
//     bounded per connection, and connections are capped in total and per
//     peer address (refused ones are accepted and closed at once, so that
//     the listening socket never stops being serviced);
//   - time: a message must be complete within `message_deadline` of its
//     first byte (a slowloris defence), and a connection on which no byte
//     moved for `idle_timeout` is closed.
//
// Event loops: `loops` threads, each running its own asio::io_context.
// Accepted connections are spread over the loops round-robin and stay on
// theirs; their handlers are made and called there (server/connection.h).
// TCP only for now; a TLS stream (BoringSSL libssl over memory BIOs) slots
// in under the same Connection.
//
// Ownership and thread-safety: the caller owns the Transport. ListenTcp,
// Start, StopAccepting and Shutdown are called from one control thread,
// never from a loop thread. stats() and ForEachConnection may be called
// from any thread. The HandlerFactory is called on the loop threads, so
// concurrently, and must be thread-safe.
//
// Example:
//   TransportOptions options;
//   CONF_ASSIGN_OR_RETURN(options.trusted_peers,
//                         CidrList::Parse(flags.trusted_peers));
//   CONF_ASSIGN_OR_RETURN(std::unique_ptr<Transport> transport,
//                         Transport::Create(options, [&](Connection* c) {
//                           return std::make_unique<SipHandler>(c, focus);
//                         }));
//   CONF_ASSIGN_OR_RETURN(uint16_t port, transport->ListenTcp("::", 5060));
//   transport->Start();
//   ...
//   transport->ForEachConnection(
//       [](ConnectionHandler& h) { static_cast<SipHandler&>(h).Terminate(); });
//   transport->Shutdown(absl::Seconds(5));

#ifndef CONF_SERVER_TRANSPORT_H_
#define CONF_SERVER_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "server/cidr.h"
#include "server/connection.h"
#include "sip/message.h"

namespace conf {
namespace server {

struct TransportOptions {
  // Event loop threads; 0 means std::thread::hardware_concurrency() (at
  // least 1).
  int loops = 0;
  // Open connections at most, in total and per peer IP address. Past
  // either, a new connection is accepted and closed at once.
  int max_connections = 10000;
  int max_connections_per_peer = 256;
  // Once the first byte of a SIP message has arrived, the whole message
  // must arrive within this, or the connection is closed.
  absl::Duration message_deadline = absl::Seconds(10);
  // A connection on which no byte was read or written for this long is
  // closed. RFC 5626 keep-alive pings count as bytes.
  absl::Duration idle_timeout = absl::Minutes(15);
  // A connection being closed (Close(), a framing error, Shutdown) gets
  // this long to write what is queued and see the peer's end of stream.
  absl::Duration close_flush_timeout = absl::Seconds(5);
  // Bytes queued per connection at most: Connection::Send() refuses past
  // it, and the handler's OnWritable() follows once the queue is below
  // half of it. A single Send() larger than the bound is always refused.
  size_t max_send_queue_bytes = 4 << 20;
  // Bounds on each message, for the framer.
  sip::ParseLimits parse;
  // Peers whose address is in this list get PeerInfo::trusted.
  CidrList trusted_peers;
  // Rare events (listening, limits reached, accept errors), one line each
  // without a newline; never per message. May be called from any thread,
  // concurrently. Empty: no logging.
  std::function<void(absl::string_view)> log;
};

// Counters since Create(), read without stopping the loops; fields are
// each exact but not a consistent snapshot of one instant.
struct TransportStats {
  uint64_t connections_open = 0;
  uint64_t accepted_total = 0;  // admitted, refused ones excluded
  // Accepted and closed at once: max_connections, max_connections_per_peer.
  uint64_t refused_limit = 0;
  uint64_t refused_per_peer_limit = 0;
  // Closed, by why: the peer closed or reset it (or a read or write
  // failed); its stream could not be framed; a message missed its
  // deadline; nothing moved for idle_timeout; this side closed it
  // (Connection::Close(), Shutdown(), or the factory refused it).
  uint64_t closed_peer = 0;
  uint64_t closed_framing_error = 0;
  uint64_t closed_message_deadline = 0;
  uint64_t closed_idle = 0;
  uint64_t closed_server = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  // Connection::Send() calls refused because the queue was full.
  uint64_t send_queue_full_total = 0;
};

namespace internal {
class Listener;
class Loop;
struct Shared;
}  // namespace internal

class Transport {
 public:
  // Checks `options` and builds the loops (threads start in Start()).
  // Returns kInvalidArgument, naming the field, for a negative `loops`, a
  // limit or duration that is not positive, or a max_send_queue_bytes
  // smaller than 2. `factory` is called once per admitted connection, on
  // its loop thread; it may return nullptr to close the connection.
  static absl::StatusOr<std::unique_ptr<Transport>> Create(
      TransportOptions options, HandlerFactory factory);

  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Shutdown(absl::ZeroDuration()) unless Shutdown has run.
  ~Transport();

  // Listens for TCP on `host`, a numeric IPv4 or IPv6 address ("0.0.0.0",
  // "::", "127.0.0.1"), and `port` (0: an ephemeral port). Before or after
  // Start(), not after Shutdown(). Returns the bound port, or an error
  // that names the address: kInvalidArgument for a host that is not a
  // numeric address; when the socket cannot be bound, absl::ErrnoToStatus's
  // code for the errno (kFailedPrecondition for a port in use,
  // kPermissionDenied for a privileged one); kFailedPrecondition after
  // Shutdown().
  absl::StatusOr<uint16_t> ListenTcp(absl::string_view host, uint16_t port);

  // Starts the loop threads. Connections are accepted from then on. Once.
  void Start();

  // Closes the listening sockets; connections already open stay open.
  // Connections whose accept completed concurrently may still be
  // admitted (Shutdown closes them).
  void StopAccepting();

  // Stops accepting, then closes every connection as Connection::Close()
  // does (queued bytes are written first) and waits up to `grace` for
  // them to close; those still open then are closed at once. Every handler
  // gets OnClosed() on its loop thread before this returns, and the loop
  // threads are joined. Later calls do nothing. Not from a loop thread.
  void Shutdown(absl::Duration grace);

  // Calls `fn` once for the handler of every connection open at the time
  // it reaches that connection's loop, on that loop's thread; connections
  // already closing are skipped. Returns at once: `fn` runs later. Any
  // thread, before Shutdown(). Each loop runs its tasks in order, so a
  // Shutdown() that follows closes each connection only after `fn` has
  // run for it (and then writes what `fn` queued before closing): the SIP
  // layer's terminating NOTIFYs go out this way.
  void ForEachConnection(std::function<void(ConnectionHandler&)> fn);

  TransportStats stats() const;

  // The number of loops (resolved from options.loops).
  int loop_count() const { return static_cast<int>(loops_.size()); }

 private:
  Transport(TransportOptions options, HandlerFactory factory);

  void CloseListeners();
  // Runs `fn` on every loop and waits until each has run it.
  void RunOnEveryLoop(const std::function<void(internal::Loop&)>& fn);
  bool OnLoopThread() const;

  // Declared first, destroyed last: loops and listeners use it.
  std::unique_ptr<internal::Shared> shared_;
  std::vector<std::unique_ptr<internal::Loop>> loops_;
  // Destroyed before the loops whose io_contexts they use.
  std::vector<std::unique_ptr<internal::Listener>> listeners_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_TRANSPORT_H_
