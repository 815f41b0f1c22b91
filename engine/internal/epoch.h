// Epoch-based reclamation: lets readers follow pointers into shared data
// with no lock and no reference count, while writers replace and retire
// objects that readers may still be looking at.
//
// A reader pins the domain (EpochDomain::Guard) for the duration of one
// lookup: it publishes the domain's current epoch in a slot of its own (one
// cache line per thread, so readers on different cores write to no shared
// line). A writer unlinks an object (a sequentially consistent store of the
// replacement pointer), then tags it with RetireEpoch() and keeps it in a
// RetireList. The object may be destroyed once SafeBound() exceeds its tag:
// every thread pinned at that moment pinned after the object was unlinked,
// so none can reach it. Writers never wait for readers; an object outlives
// its unlinking by at most the longest pin that overlaps it.
//
// The epoch advances only when a retired object is still held by a pin
// (RetireList::Reclaim), so that pins taken afterwards do not hold it too:
// a writer whose objects no pinned thread can reach writes no shared line,
// and readers find the epoch's line in their cache.
//
// Threads get a slot index on first use, shared by every domain and
// returned when the thread exits. Beyond kMaxEpochThreads concurrent
// threads a pin fails (Guard::pinned() is false) and the caller must take a
// slower path.
//
// Thread safety: Guard, RetireEpoch, SafeBound and AdvancePast are
// thread-safe. RetireList is not: its owner guards it (the store's shard
// mutex). The atomics follow the argument in epoch.cc; readers must load
// the pointers they follow with sequentially consistent loads (plain loads
// on x86).
//
// Example:
//   EpochDomain domain;
//   std::atomic<const Foo*> current;
//   {  // Reader.
//     EpochDomain::Guard guard(domain);
//     const Foo* foo = current.load();  // Valid until `guard` ends.
//   }
//   // Writer, holding the lock that guards `retired`.
//   const Foo* old = current.exchange(replacement);
//   retired.Add(domain.RetireEpoch(), std::shared_ptr<const void>(old));
//   std::vector<std::shared_ptr<const void>> freed;
//   retired.Reclaim(domain, &freed);
//   // Release the lock, then let `freed` go out of scope.

#ifndef CONF_ENGINE_INTERNAL_EPOCH_H_
#define CONF_ENGINE_INTERNAL_EPOCH_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace conf {
namespace engine {
namespace internal {

// Threads that can be pinned at the same time, in all domains together.
inline constexpr size_t kMaxEpochThreads = 512;

class EpochDomain {
 private:
  struct alignas(64) Slot {
    // The epoch the owning thread pinned, or 0 when it is not pinned.
    std::atomic<uint64_t> pinned{0};
    // Nesting depth of the owner's guards; only the owner touches it.
    uint32_t depth = 0;
  };

 public:
  EpochDomain();
  // No thread may be pinned on the domain.
  ~EpochDomain();
  EpochDomain(const EpochDomain&) = delete;
  EpochDomain& operator=(const EpochDomain&) = delete;

  // Pins the calling thread for its scope. Guards nest. A guard must end on
  // the thread that created it and should be short: it delays the
  // destruction of everything retired while it lasts.
  class Guard {
   public:
    explicit Guard(const EpochDomain& domain) : slot_(domain.Pin()) {}
    ~Guard() {
      if (slot_ != nullptr) {
        Unpin(slot_);
      }
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

    // False when the thread has no slot (more than kMaxEpochThreads threads
    // are using domains): nothing is protected then.
    bool pinned() const { return slot_ != nullptr; }

    // Ends the pin before the scope does; pinned() is false afterwards.
    void Release() {
      if (slot_ != nullptr) {
        Unpin(slot_);
        slot_ = nullptr;
      }
    }

   private:
    Slot* slot_;
  };

  // The tag of an object unlinked (with a sequentially consistent store)
  // before this call.
  uint64_t RetireEpoch() const {
    return epoch_->value.load(std::memory_order_seq_cst);
  }

  // The bound below which tagged objects are unreachable: the oldest epoch a
  // thread is pinned at, or UINT64_MAX when none is pinned. Reads the
  // threads' slots only.
  uint64_t SafeBound() const;

  // Makes the epoch greater than `epoch` (a tag), unless it already is, so
  // that threads pinning from now on do not hold objects tagged `epoch`.
  void AdvancePast(uint64_t epoch);

 private:
  Slot* Pin() const;
  static void Unpin(Slot* slot) {
    if (--slot->depth == 0) {
      slot->pinned.store(0, std::memory_order_release);
    }
  }

  // On a line of its own, out of line: an over-aligned member would make
  // every object holding a domain over-aligned, which stack frames under
  // ASan's use-after-return detection do not honour.
  struct alignas(64) Epoch {
    std::atomic<uint64_t> value{1};
  };

  const std::unique_ptr<Epoch> epoch_;
  const std::unique_ptr<Slot[]> slots_;
};

// Objects retired from one structure, each with its RetireEpoch() tag. Not
// thread-safe: guarded by the owner's lock.
class RetireList {
 public:
  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;

  // Keeps `object` alive until TakeBefore() returns it.
  void Add(uint64_t epoch, std::shared_ptr<const void> object);

  // Moves every object tagged before `bound` (a SafeBound()) to the end of
  // `out`, for the caller to release once it holds no lock. Keeps the order
  // of the others.
  void TakeBefore(uint64_t bound,
                  std::vector<std::shared_ptr<const void>>* out);

  // Moves to `out` every object no thread pinned on `domain` can reach and,
  // when some stay, advances the epoch past them so that a later call can
  // take them once the pins that hold them end.
  void Reclaim(EpochDomain& domain,
               std::vector<std::shared_ptr<const void>>* out);

  size_t size() const { return retired_.size(); }

 private:
  struct Retired {
    uint64_t epoch;
    std::shared_ptr<const void> object;
  };
  std::vector<Retired> retired_;
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_EPOCH_H_
