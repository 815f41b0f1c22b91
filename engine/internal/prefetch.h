// Prefetches for the store's mutations, and the addresses of the reference
// counts they ask for. Private to the store.

#ifndef CONF_ENGINE_INTERNAL_PREFETCH_H_
#define CONF_ENGINE_INTERNAL_PREFETCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Prefetches for a mutation. On a large store every part of the conference
// it changes is a cache miss, and most are reached by an atomic reference
// count update (copying the snapshot, destroying the delta the log evicts),
// which on x86 waits for its line before anything after it runs: a
// modifyConferenceLock took about 20 such misses one after the other. Asking
// for the lines first lets them arrive together. A prefetch is a hint: a
// wrong or stale address costs a wasted load, never a fault. Lines the
// mutation only reads are asked for shared, so that readers of the same
// conference on other cores keep their copies.

// The address `offset` bytes from `p`, computed on integers: it may lie
// outside the object `p` points into, where pointer arithmetic may not go.
inline const void* Near(const void* p, intptr_t offset) {
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) +
                                       static_cast<uintptr_t>(offset));
}

// The `lines` cache lines from `p`, to be written.
inline void PrefetchForWrite(const void* p, size_t lines) {
  for (size_t i = 0; i < lines; ++i) {
    __builtin_prefetch(Near(p, static_cast<intptr_t>(64 * i)), 1);
  }
}

// The `lines` cache lines from `p`, to be read.
inline void PrefetchForRead(const void* p, size_t lines) {
  for (size_t i = 0; i < lines; ++i) {
    __builtin_prefetch(Near(p, static_cast<intptr_t>(64 * i)), 0);
  }
}

// The line of a reference count (an address from SharedCountAddress,
// block_address() or box_address(): each type names its own), to be
// written; nothing for null (no count).
inline void PrefetchCount(const void* count) {
  if (count != nullptr) {
    __builtin_prefetch(count, 1);
  }
}

// The reference counts of `p` and the start of the object it owns.
template <typename T>
inline void PrefetchShared(const std::shared_ptr<T>& p) {
  if (p != nullptr) {
    __builtin_prefetch(SharedCountAddress(p), 1);
    __builtin_prefetch(p.get(), 0);
  }
}

// Lines a ConferenceSnapshot spans (at most: it may start mid-line).
inline constexpr size_t kSnapshotLines =
    (sizeof(ConferenceSnapshot) + 63) / 64 + 1;

// What copying `s` (the base of a mutation) updates: the reference counts of
// its parts. `s`'s own lines must have been prefetched before (they are
// read here).
inline void PrefetchSnapshotParts(const ConferenceSnapshot& s) {
  PrefetchCount(s.entity.block_address());
  PrefetchCount(s.organizer.block_address());
  PrefetchShared(s.description);
  PrefetchShared(s.host_info);
  PrefetchShared(s.state);
  __builtin_prefetch(s.views.data());
  for (const std::shared_ptr<const EntityView>& view : s.views) {
    PrefetchShared(view);
  }
  PrefetchCount(s.web_join.count_address());
}

// What copying `view` updates: the reference counts of its shared parts.
// `view`'s own lines are read here.
inline void PrefetchViewCopy(const EntityView& view) {
  PrefetchCount(view.entity.block_address());
  PrefetchCount(view.capabilities.box_address());
  PrefetchCount(view.state.media.box_address());
}

// What destroying `delta` (the last reference, as the log evicts it) updates
// and frees.
inline void PrefetchDeltaParts(const ConferenceDelta& delta) {
  PrefetchShared(delta.description);
  PrefetchShared(delta.host_info);
  PrefetchShared(delta.state);
  __builtin_prefetch(delta.users.data());
  __builtin_prefetch(delta.views.data());
}

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_PREFETCH_H_
