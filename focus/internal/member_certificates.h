// Private to //focus. The certificates members have fetched a conference's
// key with (getConference with msci:encryption-key): what a key rotation
// wraps the new key for, in one batch, before they ask again.
//
// Recorded when a member's secrets are wrapped or found in the pool's shared
// cache, not on the per-thread cache hits of repeated requests (those
// members were recorded by their first). Bounded by the users a conference
// has had; Forget drops a conference's.
//
// Thread-safe: sharded by conference, one lock per shard, held only to copy
// pointers in or out.

#ifndef CONF_FOCUS_INTERNAL_MEMBER_CERTIFICATES_H_
#define CONF_FOCUS_INTERNAL_MEMBER_CERTIFICATES_H_

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "base/mutex.h"
#include "crypto/recipient_pool.h"
#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {

class MemberCertificates {
 public:
  using Entry =
      std::pair<engine::UserId, std::shared_ptr<const crypto::Recipient>>;

  MemberCertificates();
  MemberCertificates(const MemberCertificates&) = delete;
  MemberCertificates& operator=(const MemberCertificates&) = delete;

  // Records that `user` fetched `conference`'s key for `recipient` (the
  // latest certificate per user wins).
  void Remember(const engine::ConferenceId& conference,
                const engine::UserId& user,
                std::shared_ptr<const crypto::Recipient> recipient);

  // Every (user, recipient) recorded for `conference`.
  std::vector<Entry> Of(const engine::ConferenceId& conference) const;

  // Drops what was recorded for `conference` (deleted or expired).
  void Forget(const engine::ConferenceId& conference);

 private:
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    mutable Mutex mu;
    absl::flat_hash_map<
        engine::ConferenceId,
        absl::flat_hash_map<engine::UserId,
                            std::shared_ptr<const crypto::Recipient>>>
        conferences ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(const engine::ConferenceId& conference) const;

  std::unique_ptr<Shard[]> shards_;
};

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_MEMBER_CERTIFICATES_H_
