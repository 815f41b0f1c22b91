#include "engine/internal/epoch.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace conf {
namespace engine {
namespace internal {

// Why a pinned reader never sees a destroyed object. Every operation below
// on `epoch_`, a slot and the published pointers is sequentially consistent,
// so they are all ordered in one total order S:
//
//   writer:   unlink (store)  ->  E = RetireEpoch()
//   reader:   e = epoch load  ->  slot := e (exchange) -> pointer loads
//   reclaim:  slot loads (after the writer, under its lock, so after it in S)
//
// The object tagged E is destroyed only if every slot read 0 or a value > E.
// - 0 read before the reader's exchange: the exchange, and so the reader's
//   pointer loads, follow the unlink in S; they see the replacement.
// - 0 stored by the reader's unpin (release, read by an acquire load): the
//   reader's accesses happen before the destruction.
// - e > E: the epoch went from E to E + 1 after the writer's load of E (by
//   coherence, the load that returned E precedes that increment in S) and
//   before the reader's load of e, so again the reader's pointer loads
//   follow the unlink.
// Nothing here needs the epoch to advance before the slot loads; advancing
// (AdvancePast, after a pass that left objects behind) only lets pins taken
// later stop holding them.

namespace {

constexpr size_t kSlotWords = kMaxEpochThreads / 64;
static_assert(kMaxEpochThreads % 64 == 0, "whole words of slot bits");

// Which slot indexes are owned by a live thread, and one past the highest
// index ever handed out (the scan bound). Constant-initialized.
std::atomic<uint64_t> g_slot_used[kSlotWords] = {};
std::atomic<size_t> g_slot_end{0};

constexpr size_t kNoSlot = std::numeric_limits<size_t>::max();

// The calling thread's slot index plus one; 0 until assigned.
thread_local size_t t_slot = 0;

size_t ClaimSlot() {
  for (size_t word = 0; word < kSlotWords; ++word) {
    uint64_t used = g_slot_used[word].load(std::memory_order_relaxed);
    while (used != ~uint64_t{0}) {
      const int bit = __builtin_ctzll(~used);
      if (g_slot_used[word].compare_exchange_weak(
              used, used | (uint64_t{1} << bit), std::memory_order_acquire,
              std::memory_order_relaxed)) {
        const size_t index = word * 64 + static_cast<size_t>(bit);
        size_t end = g_slot_end.load(std::memory_order_relaxed);
        while (end < index + 1 &&
               !g_slot_end.compare_exchange_weak(end, index + 1,
                                                 std::memory_order_seq_cst)) {
        }
        return index;
      }
    }
  }
  return kNoSlot;
}

// Returns the thread's slot index when the thread exits. Every domain's slot
// of that index is unpinned then (depth 0), so the next owner inherits a
// clean slot; the release orders the old owner's accesses before it.
class SlotOwner {
 public:
  explicit SlotOwner(size_t index) : index_(index) {}
  ~SlotOwner() {
    g_slot_used[index_ / 64].fetch_and(~(uint64_t{1} << (index_ % 64)),
                                       std::memory_order_release);
  }
  SlotOwner(const SlotOwner&) = delete;
  SlotOwner& operator=(const SlotOwner&) = delete;

 private:
  const size_t index_;
};

// Slow path of the first pin on a thread: claims a slot index for good.
size_t AssignThreadSlot() {
  const size_t index = ClaimSlot();
  if (index == kNoSlot) {
    return kNoSlot;  // Retried on the next pin: a slot may free up.
  }
  thread_local SlotOwner owner(index);
  t_slot = index + 1;
  return t_slot;
}

}  // namespace

EpochDomain::EpochDomain()
    : epoch_(new Epoch), slots_(new Slot[kMaxEpochThreads]) {}

EpochDomain::~EpochDomain() = default;

EpochDomain::Slot* EpochDomain::Pin() const {
  size_t slot_plus_one = t_slot;
  if (slot_plus_one == 0) {
    slot_plus_one = AssignThreadSlot();
    if (slot_plus_one == kNoSlot) {
      return nullptr;
    }
  }
  Slot* slot = &slots_[slot_plus_one - 1];
  if (slot->depth++ == 0) {
    slot->pinned.exchange(epoch_->value.load(std::memory_order_seq_cst),
                          std::memory_order_seq_cst);
  }
  return slot;
}

uint64_t EpochDomain::SafeBound() const {
  uint64_t bound = std::numeric_limits<uint64_t>::max();
  const size_t end = g_slot_end.load(std::memory_order_seq_cst);
  for (size_t i = 0; i < end; ++i) {
    const uint64_t pinned = slots_[i].pinned.load(std::memory_order_seq_cst);
    if (pinned != 0) {
      bound = std::min(bound, pinned);
    }
  }
  return bound;
}

void EpochDomain::AdvancePast(uint64_t epoch) {
  uint64_t current = epoch_->value.load(std::memory_order_seq_cst);
  while (current <= epoch &&
         !epoch_->value.compare_exchange_weak(current, epoch + 1,
                                              std::memory_order_seq_cst)) {
  }
}

void RetireList::Add(uint64_t epoch, std::shared_ptr<const void> object) {
  retired_.push_back({epoch, std::move(object)});
}

void RetireList::TakeBefore(uint64_t bound,
                            std::vector<std::shared_ptr<const void>>* out) {
  size_t kept = 0;
  for (Retired& retired : retired_) {
    if (retired.epoch < bound) {
      out->push_back(std::move(retired.object));
    } else {
      if (&retired_[kept] != &retired) {
        retired_[kept] = std::move(retired);
      }
      ++kept;
    }
  }
  retired_.resize(kept);
}

void RetireList::Reclaim(EpochDomain& domain,
                         std::vector<std::shared_ptr<const void>>* out) {
  TakeBefore(domain.SafeBound(), out);
  uint64_t newest = 0;
  for (const Retired& retired : retired_) {
    newest = std::max(newest, retired.epoch);
  }
  if (!retired_.empty()) {
    domain.AdvancePast(newest);
  }
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
