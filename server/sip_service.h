// The focus over SIP: what confstated does with the messages of each
// connection (docs/SERVER.md). A SipService wraps one focus::Focus and makes
// a ConnectionHandler per accepted connection:
//
//   SERVICE (factory)  C3P in the body; the C3P response in the 200.
//   INVITE (join)      C3P addUser; 200 with the C3P response, retransmitted
//                      until the ACK (RFC 3261 §13.3.1.4); BYE removes the
//                      user (a deleteUser of itself).
//   INFO               C3P; 202 Accepted at once, then the C3P response in
//                      an INFO from the focus on the same connection, as in
//                      the specification's example (MS-CONFBAS 4.4.7).
//   SUBSCRIBE          Event: conference (RFC 4575, RFC 6665). With
//                      `Supported: ms-benotify` the 200 carries the full
//                      document and changes follow as BENOTIFY (MS-SIP 4.4);
//                      otherwise 200, then NOTIFYs, the first one full.
//   OPTIONS            200 (keep-alive, capabilities).
//
// Everything else gets its final response (400, 403, 404, 405, 415, 481,
// 489, 500, 503 with Retry-After). Subscriptions end with their connection;
// Terminate() ends them with a reason clients act on.
//
// Thread-safety: NewHandler() and stats() may be called from any thread. A
// handler runs on its connection's loop (server/connection.h).

#ifndef CONF_SERVER_SIP_SERVICE_H_
#define CONF_SERVER_SIP_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "focus/focus.h"
#include "server/connection.h"

namespace conf {
namespace server {

// The request kinds the service counts; kOther is any other method.
enum class SipMethod {
  kService,
  kInvite,
  kAck,
  kBye,
  kInfo,
  kSubscribe,
  kOptions,
  kCancel,
  kOther,
};
inline constexpr int kSipMethodCount = 9;
absl::string_view SipMethodName(SipMethod method);

// How a request ended, for metrics: the C3P outcome where there is one.
enum class SipOutcome {
  kSuccess,      // 2xx and, for C3P, code="success"
  kC3pFailure,   // 2xx (or 603 for a join) with a C3P failure
  kRefused,      // 4xx: malformed, unauthorized, unknown dialog, ...
  kOverloaded,   // 503
  kServerError,  // 500
};
inline constexpr int kSipOutcomeCount = 5;
absl::string_view SipOutcomeName(SipOutcome outcome);

struct SipServiceOptions {
  // The host[:port] this server writes in the Via of its own requests.
  std::string via_host = "127.0.0.1";
  // Take From as the identity of requests that no trusted peer or client
  // certificate vouches for. For development only: anyone can claim to be
  // anyone. Off, such requests get 403.
  bool identity_from_from_header = false;
  // Subscription durations: the default when SUBSCRIBE has no Expires, and
  // the longest granted (RFC 4575 §3.4: 3600 s default).
  absl::Duration default_subscription = absl::Seconds(3600);
  absl::Duration max_subscription = absl::Seconds(3600);
  // C3P requests in flight (answered by the focus, not yet sent) over all
  // connections; past it a request gets 503 with Retry-After.
  int64_t max_requests_in_flight = 4096;
  absl::Duration retry_after = absl::Seconds(1);
  // Our requests (INFO, NOTIFY, BYE) that get no final response within
  // this (64*T1, RFC 3261 §17.1.2.2) are given up; a NOTIFY's subscription
  // ends with it (RFC 6665 §4.2.2).
  absl::Duration transaction_timeout = absl::Seconds(32);
  // Called when a request has been answered, with its latency from arrival
  // to the final response (for a C3P INFO: to the response INFO). Any
  // loop thread; must not block. May be empty.
  std::function<void(SipMethod, SipOutcome, absl::Duration)> on_request;
  // Operator messages: refused identities, dropped subscriptions. May be
  // empty.
  std::function<void(absl::string_view)> log;
  // The clock for timers and expiry.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

struct SipServiceStats {
  std::atomic<int64_t> dialogs{0};        // join dialogs open
  std::atomic<int64_t> subscriptions{0};  // subscriptions active
  std::atomic<int64_t> notifications_sent{0};
  // Subscriptions whose connection could not take a NOTIFY, caught up
  // later by a refresh of their focus subscription (a full document when
  // the focus's log no longer reaches back).
  std::atomic<int64_t> notifications_deferred{0};
  std::atomic<int64_t> requests_in_flight{0};
  std::atomic<int64_t> transactions_timed_out{0};
};

class SipService {
 public:
  // `focus` must outlive the service and every handler it made.
  SipService(focus::Focus* focus, SipServiceOptions options);
  ~SipService();
  SipService(const SipService&) = delete;
  SipService& operator=(const SipService&) = delete;

  // The handler for a newly accepted connection (a HandlerFactory).
  std::unique_ptr<ConnectionHandler> NewHandler(Connection* connection);

  // Ends every subscription of `handler` (which this service made) with a
  // final NOTIFY `Subscription-State: terminated;reason=<reason>`, e.g.
  // "deactivated" when the server shuts down (RFC 6665 §4.1.3: the client
  // subscribes again at once, to this node's successor). On the handler's
  // loop thread.
  static void Terminate(ConnectionHandler& handler, absl::string_view reason);

  const SipServiceStats& stats() const { return stats_; }

  // For handlers (internal).
  focus::Focus& focus() { return *focus_; }
  const SipServiceOptions& options() const { return options_; }
  SipServiceStats& mutable_stats() { return stats_; }

 private:
  focus::Focus* const focus_;
  const SipServiceOptions options_;
  SipServiceStats stats_;
};

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_SIP_SERVICE_H_
