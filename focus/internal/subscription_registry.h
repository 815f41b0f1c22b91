// Private to //focus. The live subscriptions by (conference, id), so a
// refresh finds the subscription it continues, and the per-conference
// channels their deliveries share. Sharded; each shard's lock is held for one
// map operation (and, when a conference's first channel is opened, for its
// store subscription, which takes one store shard lock and calls nothing
// back).

#ifndef CONF_FOCUS_INTERNAL_SUBSCRIPTION_REGISTRY_H_
#define CONF_FOCUS_INTERNAL_SUBSCRIPTION_REGISTRY_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/internal/subscription_state.h"

namespace conf {
namespace focus {
namespace internal {

class SubscriptionRegistry {
 public:
  static constexpr size_t kShardCount = 16;

  SubscriptionRegistry();
  ~SubscriptionRegistry();
  SubscriptionRegistry(const SubscriptionRegistry&) = delete;
  SubscriptionRegistry& operator=(const SubscriptionRegistry&) = delete;

  // The live subscription `id` of `conference`, or nullptr.
  std::shared_ptr<SubscriptionState> Find(absl::string_view conference,
                                          absl::string_view id);

  // Registers `state` under its conference and id, replacing any other.
  void Put(const std::shared_ptr<SubscriptionState>& state);

  // Removes the entry for `state`'s conference and id if it is `state`.
  void Erase(const SubscriptionState& state);

  // The open channel of `conference`, opened on first use (subscribed to
  // `store`, keeping `capacity` deltas) and shared while any subscription
  // holds it; a channel whose conference was deleted is replaced.
  // kNotFound for an unknown conference.
  absl::StatusOr<std::shared_ptr<ConferenceChannel>> ChannelFor(
      engine::ConferenceStore* store, const engine::ConferenceId& conference,
      size_t capacity);

 private:
  struct alignas(64) Shard {
    Mutex mu;
    absl::flat_hash_map<std::string, std::weak_ptr<SubscriptionState>>
        subscriptions ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, std::weak_ptr<ConferenceChannel>> channels
        ABSL_GUARDED_BY(mu);
    // Expired channel entries are swept when the map reaches this size.
    size_t sweep_at ABSL_GUARDED_BY(mu) = 64;
  };

  Shard& ShardFor(absl::string_view conference);

  std::unique_ptr<Shard[]> shards_;
};

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_SUBSCRIPTION_REGISTRY_H_
