// Focus: the conference-state backend a SIP conferencing focus embeds.
//
// It joins the three layers below it: C3P request bodies are parsed by the
// codec, applied to the engine's ConferenceStore, answered with a C3P
// response, and every change reaches the conference's subscribers as RFC 4575
// partial documents of their own view; getConference answers carry the
// conference key and web-join URIs wrapped for the caller's certificate by
// crypto's RecipientPool.
//
//   SIP INFO/SERVICE body ─► HandleRequest(identity, body) ─► response body
//                                 │ ParseC3pRequest, checks, Apply*
//                                 ▼
//                          ConferenceStore ── delta ──► conference's log
//   SIP SUBSCRIBE ─► Subscribe(...) ─► full document      │ partial documents
//                                                        ▼ (read by cursor)
//                                       Subscription::Poll() ─► NOTIFY bodies
//
// Requests (docs/FOCUS.md has the rules): the envelope's `from` must equal
// the identity the SIP layer authenticated (else failure `unauthorized`);
// `to` must name the addressed conference, or the sender's focus factory for
// the commands that go there (else `requestMalformed`); roles are checked by
// the store (only leaders lock, eject, promote, admit, modify MCU state;
// failure `unauthorized`). A response only acknowledges a command: clients
// learn the new state from notifications (PROTOCOL.md §2.5).
//
// Notifications: each subscription has its own document versions, starting
// at 1 with a full document and rising by exactly one per notification. Each
// conference keeps a log of its last `max_queued_notifications` changes that
// its subscriptions read from; a subscription that falls further behind gets
// one full document of the current state from its next Poll() instead, so a
// slow subscriber never holds up the others. Documents are encoded once per
// change and view and shared; only the version differs.
//
// Thread safety: every method may be called from any number of threads.
//
// Example:
//   conf::focus::Focus focus;
//   absl::StatusOr<conf::focus::C3pResult> r =
//       focus.HandleRequest("sip:alice@contoso.com", body);
//   if (!r.ok()) { /* not C3P at all: answer SIP 400 */ }
//   send(r->body);
//
//   conf::focus::SubscribeRequest s{"dialog-1", "sip:bob@contoso.com",
//                                   focus_uri};
//   auto sub = focus.Subscribe(s);
//   for (const conf::focus::Notification& n : (*sub)->Poll()) {
//     send_notify(n.Bytes());
//   }

#ifndef CONF_FOCUS_FOCUS_H_
#define CONF_FOCUS_FOCUS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "base/mutex.h"
#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/c3p_response.h"
#include "codec/conference_info.h"
#include "crypto/recipient_pool.h"
#include "engine/conference_store.h"
#include "focus/notification.h"
#include "journal/durable_store.h"
#include "journal/file_system.h"

namespace conf {
namespace focus {

class Focus;

namespace internal {
class MemberCertificates;
class SubscriptionState;
class SubscriptionRegistry;
struct FocusParts;
}  // namespace internal

struct FocusOptions {
  // Store limits, delta log length, web-join URI bases, randomness.
  engine::StoreOptions store;
  // Request size, depth and count limits.
  codec::ParseLimits parse;
  // Certificate limits, cipher, pool and blob-cache bounds, wrap threads.
  crypto::RecipientPoolOptions crypto;
  // Changes kept per conference for its subscriptions to read: one that
  // falls further behind is resynchronized with a full document.
  size_t max_queued_notifications = 64;
  // Coalescing (RFC 4575 §3.9 recommends at most one NOTIFY per 5 s): with a
  // positive interval a subscription gathers changes and Poll(now) returns at
  // most one partial document per interval. Zero delivers every change.
  absl::Duration notification_interval = absl::ZeroDuration();
  // getAvailableMcuTypes / getConferencingCapabilities.
  std::vector<std::string> mcu_types = {"audio-video", "chat", "meeting",
                                        "phone-conf", "applicationsharing"};
  std::vector<codec::AccessNumberRegion> pstn_regions;
  std::string default_pstn_region;
  // The time msci:expiry-time is compared with: a request to a conference
  // past its expiry finds none (conferenceDoesntExist), and removes it.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Rotates the conference key when a leader ejects a user (deleteUser of
  // someone else), so that the ejected user cannot read what follows.
  bool rotate_key_on_ejection = true;
};

// How the SIP layer established who is asking (docs/FOCUS.md, "Who is
// asking").
// Where a durable focus (Focus::Open) keeps its state.
struct DurabilityOptions {
  // The state directory: journal segments, snapshots and, by default, the
  // node key. Created 0700 when missing.
  std::string state_dir;
  // The node key that seals conference keys and web-join URIs at rest;
  // empty: "<state_dir>/node.key", created (0600) on first start.
  std::string node_key_file;
  // Not owned; null: the POSIX file system (tests inject faults here).
  journal::FileSystem* file_system = nullptr;
  uint64_t segment_bytes = uint64_t{64} << 20;
  // A snapshot is written once this many changes were journaled since the
  // last one, checked every `maintenance_interval` by a background thread
  // (zero: no thread; call Focus::WriteSnapshot).
  uint64_t snapshot_every_changes = 100000;
  absl::Duration maintenance_interval = absl::Seconds(1);
  // Operator-facing messages: recovery, torn tails, snapshots, failures.
  std::function<void(absl::string_view)> log;
};

enum class IdentityAssurance {
  // A configured trusted peer (a proxy that authenticated the user) asserted
  // the identity (P-Asserted-Identity, RFC 3325).
  kTrustedPeer,
  // The client proved it itself: a TLS client certificate, or digest.
  kAuthenticated,
  // Nobody vouches for it: an anonymous participant. Joins as an attendee,
  // and only where the conference's admission policy lets anonymous users in.
  kAnonymous,
};

// What the SIP layer knows of one request besides its body. The views must
// stay valid for the call.
struct RequestContext {
  // The identity the SIP layer established (a SIP URI).
  absl::string_view identity;
  IdentityAssurance assurance = IdentityAssurance::kAuthenticated;
  // The Contact of the requesting endpoint (its GRUU): a join's focus
  // endpoint takes it as msci:endpoint-uri. Empty when unknown.
  absl::string_view contact;
  // The endpoint's epid (the `epid` parameter of From), when it sent one.
  absl::string_view epid;

  // An identity the client authenticated itself, with nothing else known.
  static RequestContext Authenticated(absl::string_view identity) {
    RequestContext context;
    context.identity = identity;
    return context;
  }
};

// The answer to one C3P request.
struct C3pResult {
  // The C3P `response` document.
  std::string body;
  // Why the command failed (the response's code is failure), or
  // std::nullopt when it succeeded. A default result is a failure.
  std::optional<codec::C3pReason> failure = codec::C3pReason::kOtherFailure;

  bool success() const { return !failure.has_value(); }
};

struct SubscribeRequest {
  // The SIP dialog's id: unique per conference among live subscriptions.
  std::string subscription_id;
  // The authenticated subscriber.
  std::string user;
  // The focus URI (conference-info entity).
  std::string conference;
  // On a refresh of an existing subscription: the last version the client
  // applied. The focus then replays what it missed when it still can, and
  // sends a full document otherwise.
  std::optional<uint32_t> last_seen_version;
  // Called, with no lock held, for the first change the subscriber can see
  // (or that changes its view) after a Poll handed out everything, and when
  // the first document is ready, so the embedder can schedule a Poll. Not
  // called again once the subscription ended. Must not block; may be
  // empty.
  std::function<void()> on_ready;
};

// A live subscription. Owned by the embedder; destroying it (or calling
// Focus::Unsubscribe) ends it.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Every notification ready now, oldest first, with versions rising by
  // exactly one across calls. The first call returns the full document the
  // subscription starts with. `now` drives coalescing (ignored without it).
  std::vector<Notification> Poll(absl::Time now = absl::InfinitePast());

  // As above, appended to `out` (an event loop's buffer, reused from poll to
  // poll); returns how many were appended.
  size_t Poll(std::vector<Notification>* out,
              absl::Time now = absl::InfinitePast());

  // When the next coalesced notification is due, if changes are waiting.
  std::optional<absl::Time> NextDue() const;

  // True once the conference was deleted (the last notification returned is
  // the deleted document) or the subscription was ended.
  bool ended() const;

  // Counters for monitoring.
  uint64_t resynchronizations() const;

  const std::string& id() const;
  absl::string_view conference() const;

 private:
  friend class Focus;
  Subscription(Focus* focus,
               std::shared_ptr<internal::SubscriptionState> state);

  Focus* const focus_;
  const std::shared_ptr<internal::SubscriptionState> state_;
};

class Focus {
 public:
  Focus();
  explicit Focus(FocusOptions options);
  ~Focus();

  // A durable focus: recovers `durability.state_dir` (the latest snapshot,
  // then the journal after it) and journals every accepted change there
  // before its response is released or any subscriber sees it
  // (docs/JOURNAL.md). kDataLoss when the directory is corrupt (the error
  // names the file, offset and version); other errors from the file system
  // or the node key.
  static absl::StatusOr<std::unique_ptr<Focus>> Open(
      FocusOptions options, DurabilityOptions durability);
  Focus(const Focus&) = delete;
  Focus& operator=(const Focus&) = delete;

  // Handles one C3P request body sent by `authenticated_user` (the identity
  // the SIP layer authenticated). Returns the response: success, or failure
  // with a reason (requestMalformed / requestTooLarge for bodies that parse
  // far enough to be answered, notSupported for unknown commands, and the
  // command-specific reasons of PROTOCOL.md §2.4). Returns kInvalidArgument
  // or kResourceExhausted only when the body cannot be answered in C3P at
  // all (no readable envelope): the SIP layer answers 400.
  absl::StatusOr<C3pResult> HandleRequest(const RequestContext& context,
                                          absl::string_view body);
  absl::StatusOr<C3pResult> HandleRequest(const RequestContext& context,
                                          std::vector<char> body);

  // The same, for a requester known only by its authenticated identity
  // (IdentityAssurance::kAuthenticated, no Contact): tools and tests.
  absl::StatusOr<C3pResult> HandleRequest(absl::string_view authenticated_user,
                                          absl::string_view body) {
    return HandleRequest(RequestContext::Authenticated(authenticated_user),
                         body);
  }
  absl::StatusOr<C3pResult> HandleRequest(absl::string_view authenticated_user,
                                          std::vector<char> body) {
    return HandleRequest(RequestContext::Authenticated(authenticated_user),
                         std::move(body));
  }

  // The same answer, written into `*result` (replaced), whose body's
  // capacity is reused: a SIP thread that keeps one C3pResult as its send
  // buffer allocates nothing for a getConference response once warm, and
  // the full document is written straight into it, once. Returns the status
  // the overloads above return when the body cannot be answered in C3P at
  // all; `*result` is then unspecified.
  //
  // Example:
  //   conf::focus::C3pResult reply;  // one per thread, kept across requests
  //   if (!focus.HandleRequest(identity, body, &reply).ok()) { /* 400 */ }
  //   send(reply.body);
  absl::Status HandleRequest(const RequestContext& context,
                             absl::string_view body, C3pResult* result);
  absl::Status HandleRequest(absl::string_view authenticated_user,
                             absl::string_view body, C3pResult* result) {
    return HandleRequest(RequestContext::Authenticated(authenticated_user),
                         body, result);
  }

  // As HandleRequest, without waiting for the disk: `done` receives the
  // answer once what it reflects is durable (at once for an in-memory
  // focus), on the journal's completion thread or the calling one. For a SIP
  // thread that must not block on a sync. `done` must not block either.
  void HandleRequestAsync(const RequestContext& context, absl::string_view body,
                          std::function<void(absl::StatusOr<C3pResult>)> done);

  // A durable focus: writes a snapshot of every conference now. OK and
  // nothing done for an in-memory focus.
  absl::Status WriteSnapshot();
  // The durable state, or nullptr for an in-memory focus.
  const journal::DurableStore* durable() const { return durable_.get(); }

  // Removes every conference whose msci:expiry-time is at or before `now`:
  // subscribers get the deleted document, later requests find none. Returns
  // how many it removed. An embedder calls it periodically; requests to an
  // expired conference also remove it.
  size_t ExpireConferences(absl::Time now);

  // Rotates the conference key of `conference` to a new epoch, for a
  // leader (`context.identity`) or the focus itself (an empty identity):
  // every current member's key is wrapped again in one batch, on the
  // recipient pool's threads, for the certificates they have fetched it
  // with; blobs of the old epoch are dropped and never served again. Members
  // are notified (the description is re-sent) and fetch the new key with
  // getConference. kNotFound: no such conference; kPermissionDenied: not a
  // leader.
  absl::Status RotateConferenceKey(const RequestContext& context,
                                   absl::string_view conference);

  // Subscribes a SIP dialog to a conference's state. The first Poll()
  // returns a full document or, for a refresh whose `last_seen_version` the
  // focus can still catch up from its delta log, the missed partial
  // documents. A refresh (an id that is live on the conference) ends the old
  // subscription and continues its version sequence. kNotFound: no such
  // conference; kPermissionDenied: `user` is neither the organizer nor in the
  // roster or lobby. The Focus must outlive the returned subscription.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      SubscribeRequest request);

  // The store, for events the focus itself observes (an endpoint's SIP
  // dialog ends, a user signs out). Changes made through it are notified
  // like any other.
  engine::ConferenceStore& store() { return store_; }
  crypto::RecipientPool& recipients() { return recipients_; }
  const FocusOptions& options() const { return options_; }

 private:
  friend class Subscription;

  // Parses and answers `body`; the response is written into `buffer`'s
  // storage where it is large enough (see HandleRequest(..., C3pResult*)).
  // For a durable focus: whether the request may change state (anything
  // but a read), and if so the failure to answer with should the change not
  // become durable (written while the request's addresses are at hand).
  struct Durability {
    bool changes = false;
    std::string cannot_store;
  };
  absl::StatusOr<C3pResult> Answer(const RequestContext& context,
                                   std::vector<char> body, std::string buffer,
                                   Durability* durability = nullptr);
  // Answer, then AfterDurable: what the synchronous calls return.
  absl::StatusOr<C3pResult> AnswerDurably(const RequestContext& context,
                                          std::vector<char> body,
                                          std::string buffer);

  // The parts a request reaches.
  internal::FocusParts Parts();

  // Stops `state`, unsubscribes it from the store and forgets it.
  void EndSubscription(
      const std::shared_ptr<internal::SubscriptionState>& state);

  Focus(FocusOptions options, std::unique_ptr<journal::DurableStore> durable);
  // The answer once what it reflects is durable: `answer` itself, or the
  // failure that says the focus cannot store changes (a read is answered
  // even then).
  static absl::StatusOr<C3pResult> AfterDurable(
      absl::StatusOr<C3pResult> answer, const absl::Status& durable,
      Durability durability);
  // Runs the snapshots of a durable focus.
  void MaintenanceLoop();

  // Declared first: destroyed after the store, whose deliveries it
  // completes (~Focus stops it first).
  std::unique_ptr<journal::DurableStore> durable_;
  const FocusOptions options_;
  engine::ConferenceStore store_;
  crypto::RecipientPool recipients_;
  // The certificates members fetched keys with (for key rotation).
  std::unique_ptr<internal::MemberCertificates> members_;
  std::unique_ptr<internal::SubscriptionRegistry> subscriptions_;
  // Maintenance of a durable focus.
  DurabilityOptions durability_;
  conf::Mutex maintenance_mu_;
  conf::CondVar maintenance_cv_;
  bool stopping_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  std::thread maintenance_;
};

}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_FOCUS_H_
