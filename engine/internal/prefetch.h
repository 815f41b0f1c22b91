// Prefetches for the store's mutations, and the addresses of the reference
// counts they ask for. Private to the store.

#ifndef CONF_ENGINE_INTERNAL_PREFETCH_H_
#define CONF_ENGINE_INTERNAL_PREFETCH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "engine/boxed.h"
#include "engine/compact_string.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// ---------------------------------------------------------------------------
// Reference count addresses.
//
// The store prefetches the lines a mutation will update before it updates
// them (docs/ENGINE.md, "Mutations on two threads"). Each shared type names
// the address of its own reference count (CompactString::block_address(),
// and PrefetchAccess below for the model's types), so a change of layout
// changes the address with it instead of leaving a prefetch at a stale
// offset.

// The control block (reference counts) of what `p` owns, or nullptr when `p`
// owns nothing: the line that copying or destroying `p` updates. Read from
// `p` itself, so it holds however the object was allocated (make_shared, a
// separate new, an aliasing pointer). libstdc++, libc++ and the MSVC library
// all lay a shared_ptr out as the stored pointer and then the control block
// pointer; with another library this returns the stored pointer, which is
// only a less useful prefetch.
template <typename T>
const void* SharedCountAddress(const std::shared_ptr<T>& p) {
  static_assert(sizeof(p) == 2 * sizeof(void*),
                "a shared_ptr is a stored pointer and a control block pointer");
#if defined(__GLIBCXX__) || defined(_LIBCPP_VERSION) || defined(_MSC_VER)
  const void* control = nullptr;
  std::memcpy(&control, reinterpret_cast<const char*>(&p) + sizeof(void*),
              sizeof(control));
  return control;
#else
  return p.get();
#endif
}

// The line of the reference count that copying or destroying a model object
// updates: a friend of the types that keep it private (model.h).
class PrefetchAccess {
 public:
  // The shared block of the id's bytes (its reference count first), or
  // nullptr when the id is inline: CompactString::block_address().
  template <typename Tag>
  static const void* CountAddress(const StrongId<Tag>& id) {
    return id.value_.block_address();
  }
  // The box, whose first word is the reference count, or nullptr when empty.
  template <typename T>
  static const void* CountAddress(const Boxed<T>& box) {
    return box.node_;
  }
  // The shared list's box (its reference count first), or nullptr when
  // unset.
  template <typename T>
  static const void* CountAddress(const BoxedVector<T>& list) {
    return CountAddress(list.box_);
  }
  // The shared block's reference counts, or nullptr when both URIs are
  // empty.
  static const void* CountAddress(const WebJoinUris& uris) {
    return SharedCountAddress(uris.rep_);
  }
};

// The line of the reference count that copying or destroying `value`
// updates, or nullptr when it shares nothing (empty, or stored inline). For
// a StrongId, Boxed, BoxedVector or WebJoinUris, as PrefetchAccess names it.
template <typename T>
const void* CountAddress(const T& value) {
  return PrefetchAccess::CountAddress(value);
}

// The same for a CompactString (the ids' and the views' strings).
inline const void* CountAddress(const CompactString& value) {
  return value.block_address();
}

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

// The line of a reference count (an address from SharedCountAddress or
// CountAddress: each type names its own), to be written; nothing for null
// (no count).
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
  PrefetchCount(CountAddress(s.entity));
  PrefetchCount(CountAddress(s.organizer));
  PrefetchShared(s.description);
  PrefetchShared(s.host_info);
  PrefetchShared(s.state);
  __builtin_prefetch(s.views.data());
  for (const std::shared_ptr<const EntityView>& view : s.views) {
    PrefetchShared(view);
  }
  PrefetchCount(CountAddress(s.web_join));
}

// What copying `view` updates: the reference counts of its shared parts.
// `view`'s own lines are read here.
inline void PrefetchViewCopy(const EntityView& view) {
  PrefetchCount(CountAddress(view.entity));
  PrefetchCount(CountAddress(view.capabilities));
  PrefetchCount(CountAddress(view.state.media));
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
