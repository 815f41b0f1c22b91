// Private to //engine/focus. One subscription's notification queue, and the
// per-conference cache of encoded partial documents its deliveries share.
//
// Lock order: SubscriptionState::mu_ and ConferenceChannel::mu_ are leaves:
// each is held only for queue or cache bookkeeping, never while encoding,
// calling the store or running a callback, and never together.

#ifndef CONF_ENGINE_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_
#define CONF_ENGINE_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

#include "base/mutex.h"
#include "codec/conference_info.h"
#include "engine/conference_store.h"
#include "engine/focus/focus.h"
#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {

// Encodes each delta once per shared view (leader, attendee) for all of a
// conference's subscriptions. Lobby users see only themselves, so their
// documents are encoded per subscriber.
class ConferenceChannel {
 public:
  // The partial document of `delta` for `viewer`, or std::nullopt when
  // nothing in it is visible to the viewer.
  std::optional<codec::EncodedDocument> PartialFor(
      const std::shared_ptr<const engine::ConferenceDelta>& delta,
      const codec::Viewer& viewer);

 private:
  struct Cached {
    std::shared_ptr<const engine::ConferenceDelta> delta;
    // Index 0: leader view, 1: attendee view. Outer optional: encoded yet.
    std::optional<std::optional<codec::EncodedDocument>> documents[2];
  };

  Mutex mu_;
  Cached cached_ ABSL_GUARDED_BY(mu_);
};

// Folds consecutive deltas into one that takes a subscriber from the first
// one's base version to the last one's version: every changed user, view and
// atomic element in its final form. Used for coalesced notifications.
engine::ConferenceDelta MergeDeltas(
    const std::vector<std::shared_ptr<const engine::ConferenceDelta>>& deltas);

// The view `user` gets of `snapshot`.
codec::Viewer ViewerFor(const engine::ConferenceSnapshot& snapshot,
                        const engine::UserId& user);

struct SubscriptionConfig {
  std::string id;
  engine::UserId user;
  engine::ConferenceId conference;
  size_t max_queued = 64;
  absl::Duration interval = absl::ZeroDuration();
  std::function<void()> on_ready;
};

// One subscription. The store calls OnDelta (in version order, never
// concurrently for one conference); the embedder calls Poll from its own
// thread. Versions are assigned when notifications are handed out, so the
// ones a subscriber sees always rise by exactly one.
class SubscriptionState
    : public engine::SubscriptionSink,
      public std::enable_shared_from_this<SubscriptionState> {
 public:
  SubscriptionState(SubscriptionConfig config, engine::ConferenceStore* store,
                    std::shared_ptr<ConferenceChannel> channel);

  // A partial document that catches a refreshed subscription up, and the
  // conference version it brings the subscriber to.
  struct Replayed {
    codec::EncodedDocument document;
    uint64_t conference_version;
  };

  // Sets where the subscription starts: `first_version` is the version its
  // first notification gets; `start` the snapshot the store subscribed it
  // at. With `replay` set (possibly empty), the subscription continues with
  // those partial documents; otherwise it starts with a full document of
  // `start`. Encodes outside any lock.
  void Start(uint32_t first_version,
             const std::shared_ptr<const engine::ConferenceSnapshot>& start,
             std::optional<std::vector<Replayed>> replay);

  void OnDelta(
      const engine::Subscriber& subscriber,
      const std::shared_ptr<const engine::ConferenceDelta>& delta) override;

  std::vector<Notification> Poll(absl::Time now);
  std::optional<absl::Time> NextDue() const;

  // Stops deliveries and queues nothing more. Does not unsubscribe from the
  // store (the caller does, outside any lock). Returns true the first time
  // only, so that exactly one caller unsubscribes this state from the store
  // (a refresh takes over its id: a second Unsubscribe would end the
  // refresh).
  bool End();
  bool ended() const;

  // The version the next notification would get.
  uint32_t next_version() const;
  // The conference version that the notification numbered `version` left
  // the subscriber at, if still remembered (for refresh catch-up).
  std::optional<uint64_t> ConferenceVersionAt(uint32_t version) const;
  // The viewer role of the latest notification handed out.
  engine::ViewerRole role() const;

  uint64_t resynchronizations() const;
  const SubscriptionConfig& config() const { return config_; }

 private:
  struct Queued {
    DocumentKind kind;
    codec::EncodedDocument document;
    uint64_t conference_version;
  };

  // Marks that the next Poll must send a full document of the current state
  // instead of whatever is queued. Returns true if the embedder should be
  // told (the queue was empty and nothing was due).
  bool RequestResyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify();

  const SubscriptionConfig config_;
  engine::ConferenceStore* const store_;
  const std::shared_ptr<ConferenceChannel> channel_;

  mutable Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
  bool resync_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped whenever queued or pending work is invalidated (resync, view
  // change, deletion), so work done outside the lock can tell it is stale.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  // The conference version the queue (or the last resync) brings the
  // subscriber to; deltas at or below it are already covered.
  uint64_t covered_ ABSL_GUARDED_BY(mu_) = 0;
  codec::Viewer viewer_ ABSL_GUARDED_BY(mu_);
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // Coalescing: deltas not yet turned into a notification.
  std::vector<std::shared_ptr<const engine::ConferenceDelta>> pending_
      ABSL_GUARDED_BY(mu_);
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Subscription version -> conference version, the latest few.
  std::deque<std::pair<uint32_t, uint64_t>> history_ ABSL_GUARDED_BY(mu_);
  uint64_t resyncs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_ENGINE_FOCUS_INTERNAL_SUBSCRIPTION_STATE_H_
