#include "tools/load/version_log.h"

#include <atomic>
#include <cstdint>
#include <optional>

namespace conf {
namespace load {

// A sequence lock with one writer, in sequentially consistent operations
// (ThreadSanitizer does not model fences): the writer empties the tag,
// writes the time, then publishes the tag; a reader that saw the tag before
// and after reading the time read the time written with it, because a
// later writer's emptying of the tag comes before its time in the single
// total order.

void VersionLog::Record(uint64_t version, int64_t start_ns) {
  Slot& slot = slots_[version % kSlots];
  slot.tag.store(0);
  slot.start_ns.store(start_ns);
  slot.tag.store(TagOf(version));
}

std::optional<int64_t> VersionLog::Find(uint64_t version) const {
  const Slot& slot = slots_[version % kSlots];
  const uint64_t tag = TagOf(version);
  if (slot.tag.load() != tag) {
    return std::nullopt;
  }
  const int64_t start_ns = slot.start_ns.load();
  if (slot.tag.load() != tag) {
    return std::nullopt;  // overwritten while we read
  }
  return start_ns;
}

}  // namespace load
}  // namespace conf
