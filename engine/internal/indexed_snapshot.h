// IndexedSnapshot: a conference snapshot as the store publishes it to
// lock-free readers, with its read-index key beside it.
//
// A reader of the store's read index finds a slot by hash and must check the
// key before it trusts the snapshot the slot names. With the key in a node of
// its own, that check cost one more cache line on another page (a TLB miss
// under a hypervisor) per read of a large store. Here the key's first
// kInlineKey bytes sit just before the snapshot's fields, in the snapshot's
// own allocation: the lines a reader fetches are the slot's and the
// snapshot's head.
//
// Layout of make_shared<const IndexedSnapshot>:
//   [control block][size][key prefix ... ][entity][version] ... [rest]
//
// Thread safety: immutable once constructed.

#ifndef CONF_ENGINE_INTERNAL_INDEXED_SNAPSHOT_H_
#define CONF_ENGINE_INTERNAL_INDEXED_SNAPSHOT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// The read-index key of an IndexedSnapshot: the entity's length and its
// first kInlineKey bytes.
class IndexKey {
 public:
  // Focus URIs ("sip:<organizer>;gruu;opaque=app:conf:focus:id:<id>") are
  // 60-80 bytes; a longer key compares its tail through the entity.
  static constexpr size_t kInlineKey = 92;

  explicit IndexKey(absl::string_view key)
      : key_size_(static_cast<uint32_t>(key.size())) {
    std::memcpy(key_prefix_, key.data(), std::min(key.size(), kInlineKey));
  }

 protected:
  // An entity is a CompactString: at most UINT32_MAX bytes.
  const uint32_t key_size_;
  char key_prefix_[kInlineKey];
};

class IndexedSnapshot final : public IndexKey, public ConferenceSnapshot {
 public:
  // `snapshot.entity` is the key.
  explicit IndexedSnapshot(ConferenceSnapshot&& snapshot)
      : IndexKey(snapshot.entity.value()),
        ConferenceSnapshot(std::move(snapshot)) {}
  IndexedSnapshot(const IndexedSnapshot&) = delete;
  IndexedSnapshot& operator=(const IndexedSnapshot&) = delete;

  // A snapshot to publish in the read index, in one allocation.
  static std::shared_ptr<const ConferenceSnapshot> Make(
      ConferenceSnapshot&& snapshot) {
    return std::make_shared<const IndexedSnapshot>(std::move(snapshot));
  }

  // `snapshot` must come from Make.
  static const IndexedSnapshot& Of(const ConferenceSnapshot* snapshot) {
    return static_cast<const IndexedSnapshot&>(*snapshot);
  }

  // Whether `wanted` is this snapshot's entity. Reads this object's head
  // only, unless the key is longer than kInlineKey.
  bool HasKey(absl::string_view wanted) const {
    if (wanted.size() != key_size_) {
      return false;
    }
    if (wanted.size() <= kInlineKey) {
      return std::memcmp(key_prefix_, wanted.data(), wanted.size()) == 0;
    }
    return std::memcmp(key_prefix_, wanted.data(), kInlineKey) == 0 &&
           entity.value().substr(kInlineKey) == wanted.substr(kInlineKey);
  }

  // Prefetches what a reader touches first: the key and `version`.
  static void Prefetch(const ConferenceSnapshot* snapshot) {
    const char* head = reinterpret_cast<const char*>(
        static_cast<const IndexKey*>(&Of(snapshot)));
    __builtin_prefetch(head);
    __builtin_prefetch(head + 64);
    __builtin_prefetch(&snapshot->version);
  }
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_INDEXED_SNAPSHOT_H_
