// How the store picks a key's shard, for each of its sharded indexes.

#ifndef CONF_ENGINE_INTERNAL_SHARD_INDEX_H_
#define CONF_ENGINE_INTERNAL_SHARD_INDEX_H_

#include <cstddef>

#include "engine/conference_store.h"

namespace conf {
namespace engine {
namespace internal {

// The shard of a key among ConferenceStore::kShardCount: the top bits of its
// hash. Not the low bits: the shard's own flat_hash_map takes its 7-bit control
// tag (H2) from the low bits of the same hash, and keys that share them would
// make every probe compare keys.
inline size_t ShardIndex(size_t hash) {
  static_assert(sizeof(size_t) == 8, "64-bit size_t expected");
  constexpr int kShardBits = __builtin_ctzll(ConferenceStore::kShardCount);
  return static_cast<size_t>(hash >> (64 - kShardBits));
}

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_SHARD_INDEX_H_
