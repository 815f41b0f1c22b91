#include "focus/internal/member_certificates.h"

#include "absl/hash/hash.h"

namespace conf {
namespace focus {
namespace internal {

MemberCertificates::MemberCertificates() : shards_(new Shard[kShards]) {}

MemberCertificates::Shard& MemberCertificates::ShardOf(
    const engine::ConferenceId& conference) const {
  return shards_[absl::Hash<engine::ConferenceId>()(conference) % kShards];
}

void MemberCertificates::Remember(
    const engine::ConferenceId& conference, const engine::UserId& user,
    std::shared_ptr<const crypto::Recipient> recipient) {
  Shard& shard = ShardOf(conference);
  std::shared_ptr<const crypto::Recipient> replaced;
  MutexLock lock(&shard.mu);
  std::shared_ptr<const crypto::Recipient>& slot =
      shard.conferences[conference][user];
  // The old recipient is released after the lock (by `replaced`).
  replaced = std::exchange(slot, std::move(recipient));
}

std::vector<MemberCertificates::Entry> MemberCertificates::Of(
    const engine::ConferenceId& conference) const {
  std::vector<Entry> entries;
  Shard& shard = ShardOf(conference);
  MutexLock lock(&shard.mu);
  auto it = shard.conferences.find(conference);
  if (it != shard.conferences.end()) {
    entries.reserve(it->second.size());
    for (const auto& [user, recipient] : it->second) {
      entries.emplace_back(user, recipient);
    }
  }
  return entries;
}

void MemberCertificates::Forget(const engine::ConferenceId& conference) {
  Shard& shard = ShardOf(conference);
  absl::flat_hash_map<engine::UserId, std::shared_ptr<const crypto::Recipient>>
      dropped;
  MutexLock lock(&shard.mu);
  auto it = shard.conferences.find(conference);
  if (it != shard.conferences.end()) {
    dropped = std::move(it->second);
    shard.conferences.erase(it);
  }
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
