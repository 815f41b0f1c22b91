#include "focus/internal/subscription_registry.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

// Conference URIs cannot contain NUL, so this key is unambiguous.
std::string Key(absl::string_view conference, absl::string_view id) {
  return absl::StrCat(conference, absl::string_view("\0", 1), id);
}

}  // namespace

SubscriptionRegistry::SubscriptionRegistry()
    : shards_(new Shard[kShardCount]) {}

SubscriptionRegistry::~SubscriptionRegistry() = default;

SubscriptionRegistry::Shard& SubscriptionRegistry::ShardFor(
    absl::string_view conference) {
  return shards_[absl::Hash<absl::string_view>()(conference) &
                 (kShardCount - 1)];
}

std::shared_ptr<SubscriptionState> SubscriptionRegistry::Find(
    absl::string_view conference, absl::string_view id) {
  Shard& shard = ShardFor(conference);
  MutexLock lock(&shard.mu);
  auto it = shard.subscriptions.find(Key(conference, id));
  if (it == shard.subscriptions.end())
    return nullptr;
  std::shared_ptr<SubscriptionState> state = it->second.lock();
  if (state == nullptr)
    shard.subscriptions.erase(it);
  return state;
}

void SubscriptionRegistry::Put(
    const std::shared_ptr<SubscriptionState>& state) {
  const SubscriptionConfig& config = state->config();
  Shard& shard = ShardFor(config.conference.value());
  MutexLock lock(&shard.mu);
  shard.subscriptions[Key(config.conference.value(), config.id)] = state;
}

void SubscriptionRegistry::Erase(const SubscriptionState& state) {
  const SubscriptionConfig& config = state.config();
  Shard& shard = ShardFor(config.conference.value());
  MutexLock lock(&shard.mu);
  auto it = shard.subscriptions.find(Key(config.conference.value(), config.id));
  if (it == shard.subscriptions.end())
    return;
  std::shared_ptr<SubscriptionState> current = it->second.lock();
  if (current == nullptr || current.get() == &state) {
    shard.subscriptions.erase(it);
  }
}

absl::StatusOr<std::shared_ptr<ConferenceChannel>>
SubscriptionRegistry::ChannelFor(engine::ConferenceStore* store,
                                 const engine::ConferenceId& conference,
                                 size_t capacity) {
  Shard& shard = ShardFor(conference.value());
  MutexLock lock(&shard.mu);
  std::weak_ptr<ConferenceChannel>& slot =
      shard.channels[std::string(conference.value())];
  std::shared_ptr<ConferenceChannel> channel = slot.lock();
  if (channel == nullptr || channel->closed()) {
    // Opened under the lock, so that one conference has one channel.
    absl::StatusOr<std::shared_ptr<ConferenceChannel>> opened =
        ConferenceChannel::Open(store, conference, capacity);
    if (!opened.ok())
      return opened.status();
    channel = *std::move(opened);
    slot = channel;
  }
  // Drop the entries of channels nobody holds any more, whenever the map has
  // doubled since the last sweep, so it stays bounded by the live
  // conferences at amortized constant cost.
  if (shard.channels.size() >= shard.sweep_at) {
    for (auto it = shard.channels.begin(), next = it;
         it != shard.channels.end(); it = next) {
      ++next;
      if (it->second.expired())
        shard.channels.erase(it);
    }
    shard.sweep_at = std::max<size_t>(64, 2 * shard.channels.size());
  }
  return channel;
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
