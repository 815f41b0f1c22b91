// Private to //focus. A conference's notification log, shared by all
// of its subscriptions, and one subscription's cursor into it.
//
//   ConferenceStore ── OnDelta (one sink per conference) ──► ConferenceChannel
//                                                            ring of the last
//                                                            N deltas, each
//                                                            with its encoded
//                                                            leader/attendee
//                                                            documents
//   Subscription::Poll ─► SubscriptionState (cursor: the conference version
//                         it covers) ─► copies the shared documents it has
//                         not seen yet, numbering them with its versions
//
// A delta reaches the channel once, whatever the number of subscribers; it is
// encoded at most once per shared view (leader, attendee), by the first
// subscription of that view to poll it, and every subscription of the view
// hands out the same bytes. Lobby users see only themselves, so their
// documents are encoded per subscriber. A subscription that falls more than N
// changes behind is resynchronized with a full document; full documents are
// shared too when subscriptions of one view start at the same version.
//
// Wake-ups: a subscription with an on_ready function is "armed" once a Poll
// has handed out everything; the channel's delivery disarms it and calls
// on_ready (with no lock held) for the first later change it can see. The
// armed flag and the count of on_ready calls running are one atomic word, so
// the delivery claims a subscription with one atomic operation and releases
// it with another. It holds subscriptions by plain pointer while it calls
// them: one that ends from inside an on_ready call (which may not wait for
// the deliveries under way) is kept alive by the channel until they finish.
//
// Lock order: SubscriptionState::mu_ before ConferenceChannel::mu_. The
// channel's lock is held only to copy pointers in or out of the ring, never
// while encoding, calling the store or running a callback; the store's
// delivery thread takes only the channel's lock.

#ifndef CONF_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_
#define CONF_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "base/mutex.h"
#include "codec/conference_info.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/internal/membership.h"
#include "focus/notification.h"

namespace conf {
namespace focus {
namespace internal {

class SubscriptionState;

// Whether the partial document of `delta` for `viewer` has anything in it
// (the rule codec::EncodeConferenceInfoDelta applies before encoding).
bool DeltaVisibleTo(const engine::ConferenceDelta& delta,
                    const codec::Viewer& viewer);

// The hash of a user's entity that channel slots record.
size_t UserHash(const engine::UserId& user);

// The role `user` has after `delta`, if the delta says anything about it.
std::optional<engine::ViewerRole> RoleAfter(
    const engine::ConferenceDelta& delta, const engine::UserId& user);

// Folds consecutive deltas into one that takes a subscriber from the first
// one's base version to the last one's version: every changed user, view and
// atomic element in its final form. Used for coalesced notifications.
engine::ConferenceDelta MergeDeltas(
    const std::vector<std::shared_ptr<const engine::ConferenceDelta>>& deltas);

// One conference's log of recent deltas and their encoded documents, fed by
// one store subscription and read by every SubscriptionState of the
// conference. Created by SubscriptionRegistry::ChannelFor; unsubscribes from
// the store when the last subscription lets go of it.
class ConferenceChannel
    : public engine::SubscriptionSink,
      public std::enable_shared_from_this<ConferenceChannel> {
 public:
  // Subscribes a new channel to `conference`, keeping the last `capacity`
  // deltas (at least 1). kNotFound for an unknown conference.
  static absl::StatusOr<std::shared_ptr<ConferenceChannel>> Open(
      engine::ConferenceStore* store, const engine::ConferenceId& conference,
      size_t capacity);

  ~ConferenceChannel() override;
  ConferenceChannel(const ConferenceChannel&) = delete;
  ConferenceChannel& operator=(const ConferenceChannel&) = delete;

  void OnDelta(
      const engine::Subscriber& subscriber,
      const std::shared_ptr<const engine::ConferenceDelta>& delta) override;

  // The full document of `snapshot` for `viewer`: shared with the last
  // caller that asked for the same snapshot and shared view.
  codec::EncodedDocument FullFor(
      const std::shared_ptr<const engine::ConferenceSnapshot>& snapshot,
      const codec::Viewer& viewer);

  // The latest conference version in the log (0 before the first delta).
  uint64_t head() const { return head_.load(); }
  // True once the conference's deleted delta arrived: no delta follows.
  bool closed() const { return closed_.load(); }

 private:
  friend class SubscriptionState;

  // One shared view's document of a slot: not encoded yet, nothing visible,
  // or the document.
  enum class Encoded : uint8_t { kNotYet, kInvisible, kDocument };
  struct ViewDocument {
    Encoded state = Encoded::kNotYet;
    std::optional<codec::EncodedDocument> document;
  };
  struct Slot {
    uint64_t version = 0;  // 0: empty.
    std::shared_ptr<const engine::ConferenceDelta> delta;
    // Index 0: leader view, 1: attendee view.
    ViewDocument views[2];
    // The deleted document, for a kConferenceDeleted delta.
    std::optional<codec::EncodedDocument> deleted;
    // UserHash of each user the delta changes: a subscriber whose hash is
    // not among them need not look for a change of its own view.
    absl::InlinedVector<size_t, 2> users;
  };
  struct FullCache {
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot;
    std::optional<codec::EncodedDocument> document;
  };

  ConferenceChannel(engine::ConferenceStore* store,
                    engine::ConferenceId conference, size_t capacity);

  Slot& SlotFor(uint64_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ring_[version & mask_];
  }

  void AddWaiter(SubscriptionState* state);
  // Takes `state` out of the waiters. With `retire` (an End() that may not
  // wait for on_ready calls under way), a state some delivery still calls
  // is kept alive until the deliveries under way have finished.
  void RemoveWaiter(SubscriptionState* state, bool retire);

  engine::ConferenceStore* const store_;
  const engine::ConferenceId conference_;
  const engine::SubscriptionId id_;
  // Deltas a subscriber may be behind and still catch up from the log.
  const size_t capacity_;
  // The ring's size is the power of two at or above capacity_, minus one.
  const uint64_t mask_;

  // Written under mu_; read without it by wake-up checks and NextDue.
  std::atomic<uint64_t> head_{0};
  std::atomic<bool> closed_{false};

  Mutex mu_;
  // Version v sits at ring_[v & mask_] while it is among the latest.
  std::vector<Slot> ring_ ABSL_GUARDED_BY(mu_);
  // Subscriptions with an on_ready function.
  std::vector<SubscriptionState*> waiters_ ABSL_GUARDED_BY(mu_);
  FullCache full_[2] ABSL_GUARDED_BY(mu_);
  // OnDelta calls whose wake-up loop is under way, and the states that
  // ended meanwhile from inside an on_ready call while still claimed; the
  // last loop to finish lets them go.
  int wake_loops_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<SubscriptionState>> retired_ ABSL_GUARDED_BY(mu_);
  // Reused by OnDelta (never called concurrently for one conference). Each
  // entry is claimed (SubscriptionState::TryClaimWake) until its on_ready
  // call has returned.
  std::vector<SubscriptionState*> wake_;
};

struct SubscriptionConfig {
  std::string id;
  engine::UserId user;
  engine::ConferenceId conference;
  absl::Duration interval = absl::ZeroDuration();
  std::function<void()> on_ready;
};

// One subscription: a cursor into its conference's channel. Versions are
// assigned when notifications are handed out, so the ones a subscriber sees
// always rise by exactly one.
class SubscriptionState
    : public std::enable_shared_from_this<SubscriptionState> {
 public:
  SubscriptionState(SubscriptionConfig config, engine::ConferenceStore* store,
                    std::shared_ptr<ConferenceChannel> channel);
  ~SubscriptionState();
  SubscriptionState(const SubscriptionState&) = delete;
  SubscriptionState& operator=(const SubscriptionState&) = delete;

  // A partial document that catches a refreshed subscription up, and the
  // conference version it brings the subscriber to.
  struct Replayed {
    codec::EncodedDocument document;
    uint64_t conference_version;
  };

  // Sets where the subscription starts: `first_version` is the version its
  // first notification gets; `start` a snapshot read after the channel was
  // opened. With `replay` set (possibly empty), the subscription continues
  // with those partial documents; otherwise it starts with a full document
  // of `start`.
  void Start(uint32_t first_version,
             const std::shared_ptr<const engine::ConferenceSnapshot>& start,
             std::optional<std::vector<Replayed>> replay);

  // Appends every notification ready now to `out`; returns how many.
  size_t Poll(absl::Time now, std::vector<Notification>* out);
  std::optional<absl::Time> NextDue() const;

  // Ends the subscription: Poll returns nothing more and on_ready is not
  // called again. Waits for an on_ready call running on another thread.
  // Returns true the first time only (a refresh takes over the id; only the
  // first caller may forget it).
  bool End();
  bool ended() const;

  // The version the next notification would get.
  uint32_t next_version() const;
  // The conference version that the notification numbered `version` left
  // the subscriber at, if still remembered (for refresh catch-up).
  std::optional<uint64_t> ConferenceVersionAt(uint32_t version) const;
  // True once the conference this subscription followed was deleted: its
  // versions say nothing about a conference created later with the same
  // focus URI.
  bool conference_deleted() const { return channel_->closed(); }
  // The viewer role of the latest notification handed out.
  engine::ViewerRole role() const;

  uint64_t resynchronizations() const;
  const SubscriptionConfig& config() const { return config_; }

 private:
  friend class ConferenceChannel;

  // How many (subscription version -> conference version) pairs are
  // remembered for refresh catch-up.
  static constexpr size_t kHistoryLength = 64;

  struct Queued {
    DocumentKind kind;
    codec::EncodedDocument document;
    uint64_t conference_version;
  };

  // Whether the channel's delivery of `delta` should wake this subscription
  // (it can see the change, or its own view changes). Reads only immutable
  // fields and atomics.
  bool WouldSee(const ConferenceChannel::Slot& slot) const;
  // Whether `slot`'s delta may change this subscriber's own view.
  bool MayChangeRole(const ConferenceChannel::Slot& slot) const;
  enum class Outcome {
    kCaughtUp,  // Everything in the log is handed out.
    kWaiting,   // Coalescing: changes wait for the interval to pass.
    kResync,    // A full document is needed (fell behind, view changed).
    kDeleted,   // The deleted document was handed out.
    kGone,      // The conference is being deleted; its document follows.
  };

  // Appends a notification numbered with the next version.
  void AppendLocked(std::vector<Notification>* out, DocumentKind kind,
                    codec::EncodedDocument document,
                    uint64_t conference_version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes back what this Poll appended from `first` on, and its versions.
  void DropLocked(std::vector<Notification>* out, size_t first)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces what this Poll appended by a full document of the current
  // state. False when the conference is gone (its deleted document is on
  // the way).
  bool ResyncLocked(std::vector<Notification>* out, size_t first)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends what the channel's log holds beyond covered_.
  Outcome ReadLogLocked(absl::Time now, std::vector<Notification>* out,
                        size_t first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify();

  // wake_state_: bit 0 is the armed flag, the bits above it count the
  // channel's on_ready calls under way (claims).
  static constexpr uint32_t kArmed = 1;
  static constexpr uint32_t kWaking = 2;
  // Sets the armed flag (a full barrier: the caller reads the channel's
  // head after it).
  void Arm() { wake_state_.fetch_or(kArmed); }
  // Clears the armed flag and adds `add` to the word, in one atomic
  // operation; false (and nothing changed) if the flag was not set.
  bool TakeArmed(uint32_t add);
  // Clears the armed flag; true if it was set.
  bool TryDisarm() { return TakeArmed(0); }
  // Clears the armed flag and counts one on_ready call under way; false if
  // the flag was not set. Called by the channel under its lock.
  bool TryClaimWake() { return TakeArmed(kWaking); }
  // Ends a claim once its on_ready call has returned. The state may be gone
  // as soon as this returns.
  void ReleaseWake() {
    wake_state_.fetch_sub(kWaking, std::memory_order_release);
  }
  bool ClaimedForWake() const {
    return wake_state_.load(std::memory_order_acquire) >= kWaking;
  }
  // Waits for the claims under way, unless called from inside an on_ready
  // call (which may be one of them).
  void WaitForWakes() const;

  const SubscriptionConfig config_;
  const size_t user_hash_;
  engine::ConferenceStore* const store_;
  const std::shared_ptr<ConferenceChannel> channel_;

  // Wake-up state, shared with the channel's delivery thread.
  std::atomic<uint32_t> wake_state_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<engine::ViewerRole> shared_role_{engine::ViewerRole::kLobbySelf};

  mutable Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  // The conference version the subscriber has been brought to; the channel's
  // deltas above it are still to be handed out.
  uint64_t covered_ ABSL_GUARDED_BY(mu_) = 0;
  codec::Viewer viewer_ ABSL_GUARDED_BY(mu_);
  // The first documents (a full document or a refresh's replay).
  std::vector<Queued> initial_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // history_[v % kHistoryLength] = {v, conference version}.
  std::array<std::pair<uint32_t, uint64_t>, kHistoryLength> history_
      ABSL_GUARDED_BY(mu_) = {};
  uint64_t resyncs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_
