#include "engine/conference_store.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "base/status_macros.h"
#include "engine/internal/indexed_snapshot.h"
#include "engine/internal/messages.h"
#include "engine/internal/mutations.h"
#include "engine/internal/new_conference_policy.h"
#include "engine/internal/prefetch.h"
#include "engine/internal/shard_index.h"

namespace conf {
namespace engine {

using internal::CannotStore;
using internal::ConferenceNotFound;
using internal::DefaultRandomBytes;
using internal::GenerateConferenceIdString;
using internal::kSnapshotLines;
using internal::PrefetchDeltaParts;
using internal::PrefetchForRead;
using internal::PrefetchForWrite;
using internal::PrefetchShared;
using internal::PrefetchSnapshotParts;
using internal::Quote;
using internal::ShardIndex;

// ---------------------------------------------------------------------------
// Private types.

struct ConferenceStore::SubscriberEntry {
  Subscriber subscriber;
  SubscriptionSink* sink = nullptr;
  // Set by Unsubscribe; checked before every delivery.
  std::atomic<bool> cancelled{false};
  // Deliveries to `sink` in progress; Unsubscribe waits for zero. Together
  // with `cancelled` (both sequentially consistent) this guarantees that once
  // Unsubscribe returns, no call to `sink` runs or starts.
  std::atomic<int> active{0};
};

struct ConferenceStore::DeliveryItem {
  std::shared_ptr<const ConferenceDelta> delta;
  std::shared_ptr<const ConferenceSnapshot> after;
  std::shared_ptr<const SubscriberList> subscribers;
  uint64_t incarnation = 0;
};

// Orders one conference's deltas for delivery (see the header).
struct ConferenceStore::DeliveryQueue {
  conf::Mutex mu;
  uint64_t next_version ABSL_GUARDED_BY(mu) = 1;
  bool draining ABSL_GUARDED_BY(mu) = false;
  absl::flat_hash_map<uint64_t, DeliveryItem> pending ABSL_GUARDED_BY(mu);
};

namespace {

// A slot of the open-addressing read index. Empty: tag 0 (ends a probe).
// Live: its conference's current snapshot. Deleted: a tag and no snapshot
// (probes go on past it). A slot holds one conference for the life of its
// table; readers check the key on the snapshot itself. Writers store the
// snapshot before the tag.
struct alignas(16) IndexSlot {
  std::atomic<uint64_t> tag{0};
  std::atomic<const ConferenceSnapshot*> snapshot{nullptr};
};

// A shard's read index: linear probing over a power-of-two table kept at
// most half full (deleted slots included), so every probe ends.
struct IndexTable {
  explicit IndexTable(size_t capacity)
      : mask(capacity - 1), slots(new IndexSlot[capacity]) {}
  const size_t mask;
  const std::unique_ptr<IndexSlot[]> slots;
};

// A table entry's tag: the full hash, never 0 (0 marks an empty slot).
uint64_t IndexTag(size_t hash) { return static_cast<uint64_t>(hash) | 1; }

}  // namespace

struct ConferenceStore::Entry {
  // Made by internal::IndexedSnapshot::Make.
  std::shared_ptr<const ConferenceSnapshot> snapshot;
  // This conference's tag in the shard's read index, and its slot in the
  // shard's current table.
  uint64_t tag = 0;
  size_t slot = 0;
  std::shared_ptr<const SubscriberList> subscribers;
  std::shared_ptr<DeliveryQueue> delivery;
  // Ring of the latest deltas: version v sits at (v - 1) % capacity.
  std::vector<std::shared_ptr<const ConferenceDelta>> log;
  // Distinguishes a conference from a later one with the same entity in the
  // user index.
  uint64_t incarnation = 0;
  // The commit log's ticket for the change that made `snapshot` (0 without
  // a commit log).
  uint64_t last_commit = 0;
};

namespace {

// A conference id with its hash computed once, for both the shard choice and
// the table probe (the hash of a focus URI is the largest cost of a read).
struct HashedConferenceId {
  const ConferenceId* id;
  size_t hash;
};

struct ConferenceIdHash {
  using is_transparent = void;
  size_t operator()(const ConferenceId& id) const {
    return internal::ConferenceKeyHash(id.value());
  }
  size_t operator()(const HashedConferenceId& key) const { return key.hash; }
};

struct ConferenceIdEq {
  using is_transparent = void;
  bool operator()(const ConferenceId& a, const ConferenceId& b) const {
    return a == b;
  }
  bool operator()(const ConferenceId& a, const HashedConferenceId& b) const {
    return a == *b.id;
  }
  bool operator()(const HashedConferenceId& a, const ConferenceId& b) const {
    return *a.id == b;
  }
};

}  // namespace

struct alignas(64) ConferenceStore::ConferenceShard {
  // A reclamation pass runs on every retirement: it reads every thread's
  // slot, frees what no pinned reader can reach and advances the epoch only
  // when something stays. Deferring frees costs more: a join into a
  // 1000-user conference took 1.26x a join into a 1-user one with a pass
  // per retirement, 2.3x every 4 and 4.4x every 16 retirements (engine_bench,
  // BM_Store_ApplyAddUser), as bursts of freed snapshots overflow the
  // allocator's thread cache.

  ~ConferenceShard() { delete table.load(); }

  // Publishes `entry` (already in `conferences`) in the read index,
  // rebuilding it when it would be over half full.
  void IndexInsert(Entry& entry, internal::EpochDomain& epoch,
                   std::vector<std::shared_ptr<const void>>& freed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Publishes `entry`'s new snapshot.
  void IndexPublish(const Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    table.load(std::memory_order_relaxed)
        ->slots[entry.slot]
        .snapshot.store(entry.snapshot.get());
  }
  // Unlinks `entry` from the read index (leaving a deleted slot).
  void IndexErase(const Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Keeps `object`, just unlinked from the read index, until no pinned
  // reader can reach it, and appends to `freed` what is no longer reachable:
  // the caller destroys it after unlocking.
  void Retire(std::shared_ptr<const void> object, internal::EpochDomain& epoch,
              std::vector<std::shared_ptr<const void>>& freed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  mutable conf::Mutex mu;
  absl::flat_hash_map<ConferenceId, Entry, ConferenceIdHash, ConferenceIdEq>
      conferences ABSL_GUARDED_BY(mu);
  // The read index, published for lock-free readers; replaced under `mu`.
  std::atomic<const IndexTable*> table{nullptr};
  // Non-empty slots (live and deleted) of `table`.
  size_t table_used ABSL_GUARDED_BY(mu) = 0;
  // Snapshots and tables unlinked from the read index, destroyed once
  // no pinned reader can reach them.
  internal::RetireList retired ABSL_GUARDED_BY(mu);
};

struct alignas(64) ConferenceStore::ConferenceIdShard {
  mutable conf::Mutex mu;
  absl::flat_hash_map<std::string, ConferenceId> ids ABSL_GUARDED_BY(mu);
};

void ConferenceStore::ConferenceShard::IndexInsert(
    Entry& entry, internal::EpochDomain& epoch,
    std::vector<std::shared_ptr<const void>>& freed) {
  const IndexTable* current = table.load(std::memory_order_relaxed);
  if (current == nullptr || (table_used + 1) * 2 > current->mask + 1) {
    // Rebuild without deleted slots, at most a quarter full, so that the
    // next rebuild is at least as many inserts away as this one costs.
    size_t capacity = 16;
    while (capacity < 4 * (conferences.size() + 1)) {
      capacity *= 2;
    }
    auto* rebuilt = new IndexTable(capacity);
    for (auto& [id, live] : conferences) {
      size_t i = live.tag & rebuilt->mask;
      while (rebuilt->slots[i].tag.load(std::memory_order_relaxed) != 0) {
        i = (i + 1) & rebuilt->mask;
      }
      IndexSlot& slot = rebuilt->slots[i];
      slot.snapshot.store(live.snapshot.get(), std::memory_order_relaxed);
      slot.tag.store(live.tag, std::memory_order_relaxed);
      live.slot = i;
    }
    table_used = conferences.size();
    table.store(rebuilt);  // Publishes the slots written above.
    if (current != nullptr) {
      Retire(std::shared_ptr<const void>(current), epoch, freed);
    }
    return;  // `entry` was in `conferences`.
  }
  // Only empty slots are taken: a deleted one keeps its place in probes.
  size_t i = entry.tag & current->mask;
  while (current->slots[i].tag.load(std::memory_order_relaxed) != 0) {
    i = (i + 1) & current->mask;
  }
  IndexSlot& slot = current->slots[i];
  slot.snapshot.store(entry.snapshot.get());
  slot.tag.store(entry.tag);
  entry.slot = i;
  ++table_used;
}

void ConferenceStore::ConferenceShard::IndexErase(const Entry& entry) {
  IndexSlot& slot = table.load(std::memory_order_relaxed)->slots[entry.slot];
  // The tag stays: probes go on past it.
  slot.snapshot.store(nullptr);
}

void ConferenceStore::ConferenceShard::Retire(
    std::shared_ptr<const void> object, internal::EpochDomain& epoch,
    std::vector<std::shared_ptr<const void>>& freed) {
  retired.Add(epoch.RetireEpoch(), std::move(object));
  retired.Reclaim(epoch, &freed);
}

namespace {

// The thread's vector for FreedBatch, kept across calls so that a mutation
// allocates nothing to carry what it frees; in use while a batch holds it.
thread_local std::vector<std::shared_ptr<const void>> t_freed;
thread_local bool t_freed_in_use = false;

// Objects a thread took from a retire list under a shard lock; destroyed
// when the batch leaves scope, after the lock. Uses the thread's vector
// unless an enclosing batch on this thread (a mutation made by a sink during
// a delivery) holds it.
class FreedBatch {
 public:
  FreedBatch() : nested_(t_freed_in_use), objects_(nested_ ? &own_ : &t_freed) {
    t_freed_in_use = true;
  }
  ~FreedBatch() {
    objects_->clear();
    t_freed_in_use = nested_;
  }
  FreedBatch(const FreedBatch&) = delete;
  FreedBatch& operator=(const FreedBatch&) = delete;

  std::vector<std::shared_ptr<const void>>& objects() { return *objects_; }

 private:
  const bool nested_;
  std::vector<std::shared_ptr<const void>> own_;
  std::vector<std::shared_ptr<const void>>* const objects_;
};

// Slots of a delta log's first allocation: one cache line of pointers.
constexpr size_t kLogFirstSlots =
    64 / sizeof(std::shared_ptr<const ConferenceDelta>);

}  // namespace

namespace {

// How many delivery callbacks the current thread is inside.
thread_local int t_delivery_depth = 0;

}  // namespace

// ---------------------------------------------------------------------------
// Store.

ConferenceStore::ConferenceStore(StoreOptions options)
    : options_(std::move(options)),
      shards_(new ConferenceShard[kShardCount]),
      id_shards_(new ConferenceIdShard[kShardCount]) {}

ConferenceStore::~ConferenceStore() = default;

ConferenceStore::ConferenceShard& ConferenceStore::ShardFor(
    const ConferenceId& conference) const {
  return shards_[ShardIndex(internal::ConferenceKeyHash(conference.value()))];
}

ConferenceStore::ConferenceIdShard& ConferenceStore::IdShardFor(
    absl::string_view conference_id) const {
  return id_shards_[ShardIndex(absl::Hash<absl::string_view>()(conference_id))];
}

std::shared_ptr<const ConferenceSnapshot> ConferenceStore::FindSnapshot(
    const ConferenceId& conference) const {
  const HashedConferenceId key{&conference,
                               internal::ConferenceKeyHash(conference.value())};
  ConferenceShard& shard = shards_[ShardIndex(key.hash)];
  conf::MutexLock lock(&shard.mu);
  auto it = shard.conferences.find(key);
  if (it == shard.conferences.end()) {
    return nullptr;
  }
  return it->second.snapshot;
}

const ConferenceSnapshot* ConferenceStore::FindPinned(
    const ConferenceId& conference) const {
  const absl::string_view key = conference.value();
  return FindPinned(key, internal::ConferenceKeyHash(key));
}

const ConferenceSnapshot* ConferenceStore::FindPinned(absl::string_view key,
                                                      size_t hash) const {
  const IndexTable* table = shards_[ShardIndex(hash)].table.load();
  if (table == nullptr) {
    return nullptr;
  }
  const uint64_t tag = IndexTag(hash);
  for (size_t i = tag & table->mask;; i = (i + 1) & table->mask) {
    const IndexSlot& slot = table->slots[i];
    const uint64_t slot_tag = slot.tag.load();
    if (slot_tag == 0) {
      return nullptr;
    }
    if (slot_tag != tag) {
      continue;
    }
    const ConferenceSnapshot* snapshot = slot.snapshot.load();
    if (snapshot != nullptr) {
      // The key and `version` (the caller's first read) at once.
      internal::IndexedSnapshot::Prefetch(snapshot);
      if (internal::IndexedSnapshot::Of(snapshot).HasKey(key)) {
        return snapshot;
      }
    }
  }
}

void ConferenceStore::FindPinnedGroup(const ConferenceId* ids, size_t count,
                                      const ConferenceSnapshot** out) const {
  assert(count <= kReadBatchGroup);
  absl::string_view keys[kReadBatchGroup];
  size_t hashes[kReadBatchGroup];
  const IndexTable* tables[kReadBatchGroup];
  // Stage 1: hash every key and prefetch the line of its first slot.
  for (size_t i = 0; i < count; ++i) {
    keys[i] = ids[i].value();
    hashes[i] = internal::ConferenceKeyHash(keys[i]);
    tables[i] = shards_[ShardIndex(hashes[i])].table.load();
    if (tables[i] != nullptr) {
      __builtin_prefetch(
          &tables[i]->slots[IndexTag(hashes[i]) & tables[i]->mask]);
    }
  }
  // Stage 2: probe as FindPinned does, short of the key check, and prefetch
  // the key and the head of the snapshot of the slot found.
  for (size_t i = 0; i < count; ++i) {
    out[i] = nullptr;
    const IndexTable* table = tables[i];
    if (table == nullptr) {
      continue;
    }
    const uint64_t tag = IndexTag(hashes[i]);
    for (size_t s = tag & table->mask;; s = (s + 1) & table->mask) {
      const IndexSlot& slot = table->slots[s];
      const uint64_t slot_tag = slot.tag.load();
      if (slot_tag == 0) {
        break;
      }
      if (slot_tag != tag) {
        continue;
      }
      const ConferenceSnapshot* snapshot = slot.snapshot.load();
      if (snapshot != nullptr) {
        internal::IndexedSnapshot::Prefetch(snapshot);
        out[i] = snapshot;
        break;
      }
    }
  }
  // Stage 3: check the keys. A slot whose full 64-bit tag matched another
  // key (rare) sends its item back through FindPinned, which probes on.
  for (size_t i = 0; i < count; ++i) {
    if (out[i] != nullptr &&
        !internal::IndexedSnapshot::Of(out[i]).HasKey(keys[i])) {
      out[i] = FindPinned(keys[i], hashes[i]);
    }
  }
}

absl::Status ConferenceStore::ReadLocked(
    const ConferenceId& conference,
    absl::FunctionRef<void(const ConferenceSnapshot&)> fn) const {
  std::shared_ptr<const ConferenceSnapshot> snapshot = FindSnapshot(conference);
  if (snapshot == nullptr) {
    return ReadNotFound(conference);
  }
  fn(*snapshot);
  return absl::OkStatus();
}

absl::Status ConferenceStore::ReadNotFound(const ConferenceId& conference) {
  return ConferenceNotFound(conference);
}

absl::StatusOr<std::shared_ptr<const ConferenceSnapshot>>
ConferenceStore::GetSnapshot(const ConferenceId& conference) const {
  std::shared_ptr<const ConferenceSnapshot> snapshot = FindSnapshot(conference);
  if (snapshot == nullptr) {
    return ConferenceNotFound(conference);
  }
  return snapshot;
}

std::shared_ptr<const ConferenceSnapshot>
ConferenceStore::FindSnapshotByConferenceId(
    absl::string_view conference_id) const {
  ConferenceId entity;
  {
    ConferenceIdShard& shard = IdShardFor(conference_id);
    conf::MutexLock lock(&shard.mu);
    auto it = shard.ids.find(conference_id);
    if (it == shard.ids.end()) {
      return nullptr;
    }
    entity = it->second;
  }
  return FindSnapshot(entity);
}

absl::StatusOr<std::vector<std::shared_ptr<const ConferenceDelta>>>
ConferenceStore::DeltasSince(const ConferenceId& conference,
                             uint64_t version) const {
  ConferenceShard& shard = ShardFor(conference);
  std::vector<std::shared_ptr<const ConferenceDelta>> out;
  conf::MutexLock lock(&shard.mu);
  auto it = shard.conferences.find(conference);
  if (it == shard.conferences.end()) {
    return ConferenceNotFound(conference);
  }
  const Entry& entry = it->second;
  uint64_t current = entry.snapshot->version;
  if (version > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("version ", version, " is ahead of conference ",
                     Quote(conference.value()), " at version ", current));
  }
  uint64_t count = current - version;
  if (count > entry.log.size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "conference ", Quote(conference.value()), " keeps no deltas after ",
        version, ": full document needed"));
  }
  out.reserve(count);
  for (uint64_t v = version + 1; v <= current; ++v) {
    const std::shared_ptr<const ConferenceDelta>& delta =
        entry.log[(v - 1) % options_.delta_log_capacity];
    if (delta == nullptr) {
      // Before a Restore: the conference came back without its deltas.
      return absl::OutOfRangeError(absl::StrCat(
          "conference ", Quote(conference.value()), " keeps no deltas after ",
          version, " since it was restored: full document needed"));
    }
    out.push_back(delta);
  }
  return out;
}

absl::StatusOr<MutationResult> ConferenceStore::Mutate(
    const ConferenceId& conference, const BuildFn& build) {
  // Hashed once: the hash of a focus URI is a large part of a lookup.
  const HashedConferenceId key{&conference,
                               internal::ConferenceKeyHash(conference.value())};
  ConferenceShard& shard = shards_[ShardIndex(key.hash)];
  while (true) {
    // The base is held by a reference, not by a pin on the read path's
    // epoch: a thread that only mutates then never holds what other
    // mutations retire, so they free it at once and the epoch stays put (two
    // threads mutating share no line through it). The map lines looked up
    // here are the ones the install below needs, and the reference rules
    // out a freed-and-reused address passing its compare.
    std::shared_ptr<const ConferenceSnapshot> owned;
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(key);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      const Entry& entry = it->second;
      // The lines the install below writes and the snapshot, asked for
      // before the reference count update waits for the snapshot's first.
      PrefetchShared(entry.snapshot);
      PrefetchForRead(entry.snapshot.get(), kSnapshotLines);
      PrefetchForWrite(
          &shard.table.load(std::memory_order_relaxed)->slots[entry.slot], 1);
      PrefetchForWrite(entry.log.data(), 1);
      PrefetchShared(entry.delivery);
      PrefetchForWrite(entry.delivery.get(), 1);
      owned = entry.snapshot;
    }
    const ConferenceSnapshot* base = owned.get();
    PrefetchSnapshotParts(*base);
    // Built in place: the change starts as a copy of the base and is moved
    // once, into the published snapshot and delta.
    Change change{*base, {}};
    CONF_RETURN_IF_ERROR(build(*base, change));
    const uint64_t version = base->version + 1;
    change.next.version = version;
    change.delta.version = version;
    // The snapshot's id, not the request's: the delta then shares the bytes
    // the store holds (a line the snapshot copy has just updated) rather
    // than keeping the request's alive in the log.
    change.delta.conference = base->entity;
    std::shared_ptr<const ConferenceSnapshot> snapshot =
        internal::IndexedSnapshot::Make(std::move(change.next));
    auto delta =
        std::make_shared<const ConferenceDelta>(std::move(change.delta));
    const bool deleted = delta->kind == DeltaKind::kConferenceDeleted;
    CommitLog* const commit_log = options_.commit_log;
    std::string record;
    if (commit_log != nullptr) {
      record = commit_log->Prepare(*delta, *snapshot);
    }
    uint64_t ticket = 0;
    std::string deleted_id_string;
    if (deleted) {
      deleted_id_string = base->description->conference_id;
    }

    DeliveryItem item;
    item.delta = delta;
    item.after = snapshot;
    std::shared_ptr<DeliveryQueue> queue;
    // Released after the lock: nothing is freed under it.
    Entry removed;
    std::shared_ptr<const ConferenceDelta> evicted;
    FreedBatch batch;
    std::vector<std::shared_ptr<const void>>& freed = batch.objects();
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(key);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      Entry& entry = it->second;
      if (entry.snapshot.get() != base) {
        continue;  // Another mutation won; rebuild from its snapshot.
      }
      if (commit_log != nullptr) {
        absl::StatusOr<uint64_t> appended =
            commit_log->Append(*delta, std::move(record));
        if (!appended.ok()) {
          return CannotStore(appended.status());
        }
        ticket = *appended;
        entry.last_commit = ticket;
      }
      item.subscribers = entry.subscribers;
      item.incarnation = entry.incarnation;
      queue = entry.delivery;
      if (deleted) {
        removed = std::move(entry);
        shard.conferences.erase(it);
        shard.IndexErase(removed);
        shard.Retire(std::move(removed.snapshot), epoch_, freed);
      } else {
        std::shared_ptr<const ConferenceSnapshot> replaced =
            std::exchange(entry.snapshot, snapshot);
        shard.IndexPublish(entry);
        shard.Retire(std::move(replaced), epoch_, freed);
        const size_t capacity = options_.delta_log_capacity;
        if (capacity > 0) {
          if (entry.log.size() < capacity) {
            // A cache line's worth of ring to start with (the whole ring
            // when it is that short), not one, two and then four slots.
            if (entry.log.empty()) {
              entry.log.reserve(std::min<size_t>(capacity, kLogFirstSlots));
            }
            entry.log.push_back(delta);
          } else {
            std::shared_ptr<const ConferenceDelta>& slot =
                entry.log[(version - 1) % capacity];
            // Destroyed last, after the delivery: its lines arrive
            // meanwhile.
            PrefetchShared(slot);
            evicted = std::move(slot);
            slot = delta;
          }
        }
      }
    }
    if (commit_log == nullptr) {
      Deliver(queue, std::move(item));
    } else {
      DeliverWhenDurable(ticket, std::move(queue), std::move(item));
    }
    if (evicted != nullptr) {
      PrefetchDeltaParts(*evicted);
    }
    if (deleted) {
      const std::string& id_string = deleted_id_string;
      ConferenceIdShard& id_shard = IdShardFor(id_string);
      {
        conf::MutexLock lock(&id_shard.mu);
        auto it = id_shard.ids.find(id_string);
        if (it != id_shard.ids.end() && it->second == conference) {
          id_shard.ids.erase(it);
        }
      }
      conference_count_.fetch_sub(1, std::memory_order_relaxed);
    }
    return MutationResult{std::move(delta), std::move(snapshot), ticket};
  }
}

void ConferenceStore::DeliverWhenDurable(uint64_t ticket,
                                         std::shared_ptr<DeliveryQueue> queue,
                                         DeliveryItem item) {
  if (options_.commit_log == nullptr) {
    Deliver(queue, std::move(item));
    return;
  }
  // A change the log never makes durable is never delivered: the log has
  // stopped, and so has every later change (engine/commit_log.h).
  options_.commit_log->OnDurable(
      ticket, [this, queue = std::move(queue),
               item = std::move(item)](const absl::Status& status) {
        if (status.ok()) {
          Deliver(queue, item);
        }
      });
}

void ConferenceStore::Deliver(const std::shared_ptr<DeliveryQueue>& queue,
                              DeliveryItem item) {
  bool in_order = false;
  {
    conf::MutexLock lock(&queue->mu);
    const uint64_t version = item.delta->version;
    if (!queue->draining && version == queue->next_version) {
      // The common case: the queue is idle and this is the next delta. It
      // is delivered straight away, without a trip through `pending`.
      ++queue->next_version;
      in_order = true;
    } else {
      // A copy (a few reference counts, on this rarer path): `item` is
      // delivered below when it is in order.
      queue->pending.emplace(version, item);
      if (queue->draining) {
        return;  // The draining thread will deliver it in order.
      }
    }
    queue->draining = true;
  }
  if (in_order) {
    DeliverNow(item);
  }
  while (true) {
    DeliveryItem next;
    {
      conf::MutexLock lock(&queue->mu);
      auto it = queue->pending.empty()
                    ? queue->pending.end()
                    : queue->pending.find(queue->next_version);
      if (it == queue->pending.end()) {
        queue->draining = false;  // A gap: its owner will resume draining.
        return;
      }
      next = std::move(it->second);
      queue->pending.erase(it);
      ++queue->next_version;
    }
    DeliverNow(next);
  }
}

void ConferenceStore::DeliverNow(const DeliveryItem& item) {
  user_index_.IndexDelta(*item.delta, *item.after, item.incarnation);
  if (item.subscribers == nullptr) {
    return;
  }
  for (const auto& subscriber : *item.subscribers) {
    subscriber->active.fetch_add(1);
    if (!subscriber->cancelled.load()) {
      ++t_delivery_depth;
      subscriber->sink->OnDelta(subscriber->subscriber, item.delta);
      --t_delivery_depth;
    }
    subscriber->active.fetch_sub(1, std::memory_order_release);
  }
}

std::vector<ConferenceId> ConferenceStore::ListExpired(absl::Time now) const {
  std::vector<ConferenceId> expired;
  for (size_t i = 0; i < kShardCount; ++i) {
    ConferenceShard& shard = shards_[i];
    MutexLock lock(&shard.mu);
    for (const auto& [id, entry] : shard.conferences) {
      if (entry.snapshot->expires_at <= now)
        expired.push_back(id);
    }
  }
  return expired;
}

std::vector<ConferenceId> ConferenceStore::ListConferencesOrganizedBy(
    const UserId& user) const {
  return user_index_.List(user, internal::UserIndex::IndexList::kOrganized);
}

std::vector<ConferenceId> ConferenceStore::ListConferencesOf(
    const UserId& user) const {
  return user_index_.List(user, internal::UserIndex::IndexList::kMember);
}

std::vector<MutationResult> ConferenceStore::RemoveUserEverywhere(
    const UserId& user) {
  std::vector<MutationResult> out;
  for (const ConferenceId& conference : ListConferencesOf(user)) {
    DeleteUserRequest request;
    request.conference = conference;
    request.user = user;
    absl::StatusOr<MutationResult> result = ApplyDeleteUser(request);
    // A conference deleted, or a user removed, since the listing is fine:
    // the user is gone from it either way.
    if (result.ok()) {
      out.push_back(*std::move(result));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Subscriptions.

absl::StatusOr<SubscriptionStart> ConferenceStore::Subscribe(
    const ConferenceId& conference, Subscriber subscriber,
    SubscriptionSink* sink) {
  if (sink == nullptr) {
    return absl::InvalidArgumentError("subscribe: sink is null");
  }
  if (subscriber.id.empty()) {
    return absl::InvalidArgumentError("subscribe: subscription id is empty");
  }
  auto entry = std::make_shared<SubscriberEntry>();
  entry->subscriber = std::move(subscriber);
  entry->sink = sink;
  ConferenceShard& shard = ShardFor(conference);
  while (true) {
    std::shared_ptr<const SubscriberList> base;
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(conference);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      base = it->second.subscribers;
    }
    auto list = std::make_shared<SubscriberList>();
    if (base != nullptr) {
      for (const auto& existing : *base) {
        if (existing->subscriber.id == entry->subscriber.id) {
          return absl::AlreadyExistsError(absl::StrCat(
              "subscription ", Quote(entry->subscriber.id.value()),
              " already exists on conference ", Quote(conference.value())));
        }
      }
      list->reserve(base->size() + 1);
      *list = *base;
    }
    list->push_back(entry);
    std::shared_ptr<const SubscriberList> installed = std::move(list);
    SubscriptionStart start;
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(conference);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      if (it->second.subscribers != base) {
        continue;
      }
      it->second.subscribers.swap(installed);
      start.snapshot = it->second.snapshot;
    }
    return start;
  }
}

absl::Status ConferenceStore::Unsubscribe(const ConferenceId& conference,
                                          const SubscriptionId& id) {
  ConferenceShard& shard = ShardFor(conference);
  while (true) {
    std::shared_ptr<const SubscriberList> base;
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(conference);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      base = it->second.subscribers;
    }
    std::shared_ptr<SubscriberEntry> removed;
    auto list = std::make_shared<SubscriberList>();
    if (base != nullptr) {
      for (const auto& existing : *base) {
        if (existing->subscriber.id == id) {
          removed = existing;
        } else {
          list->push_back(existing);
        }
      }
    }
    if (removed == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "subscription ", Quote(id.value()), " does not exist on conference ",
          Quote(conference.value())));
    }
    std::shared_ptr<const SubscriberList> installed = std::move(list);
    {
      conf::MutexLock lock(&shard.mu);
      auto it = shard.conferences.find(conference);
      if (it == shard.conferences.end()) {
        return ConferenceNotFound(conference);
      }
      if (it->second.subscribers != base) {
        continue;
      }
      it->second.subscribers.swap(installed);
    }
    removed->cancelled.store(true);
    // Wait out a delivery running on another thread (callbacks are short and
    // never block on the store). From inside a callback, waiting could
    // deadlock against a callback that waits for us, so do not.
    if (t_delivery_depth == 0) {
      while (removed->active.load(std::memory_order_acquire) != 0) {
        std::this_thread::yield();
      }
    }
    return absl::OkStatus();
  }
}

// ---------------------------------------------------------------------------
// Commands.

absl::StatusOr<MutationResult> ConferenceStore::ApplyAddConference(
    AddConferenceRequest request) {
  const StoreLimits& limits = options_.limits;
  CONF_RETURN_IF_ERROR(internal::ValidateAddConference(request, limits));
  const bool generate_id = request.description.conference_id.empty();

  // Count first so that a full store rejects before doing any work.
  if (conference_count_.fetch_add(1, std::memory_order_relaxed) >=
      limits.max_conferences) {
    conference_count_.fetch_sub(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(
        absl::StrCat("addConference: the store holds the maximum of ",
                     limits.max_conferences, " conferences"));
  }
  const RandomBytesFunction& random =
      options_.random_bytes ? options_.random_bytes
                            : RandomBytesFunction(DefaultRandomBytes);

  // Reserve the conference-id (generated ids retry on collision).
  std::string id_string = request.description.conference_id;
  ConferenceId entity;
  constexpr int kMaxIdAttempts = 16;
  for (int attempt = 0;; ++attempt) {
    if (generate_id) {
      id_string = GenerateConferenceIdString(random);
    }
    entity = FocusUriFor(request.organizer, id_string);
    ConferenceIdShard& id_shard = IdShardFor(id_string);
    bool inserted;
    {
      conf::MutexLock lock(&id_shard.mu);
      inserted = id_shard.ids.try_emplace(id_string, entity).second;
    }
    if (inserted) {
      break;
    }
    if (!generate_id || attempt + 1 == kMaxIdAttempts) {
      conference_count_.fetch_sub(1, std::memory_order_relaxed);
      return absl::AlreadyExistsError(
          absl::StrCat("addConference: conference-id ", Quote(id_string),
                       " already exists"));
    }
  }

  Change first = internal::BuildNewConference(std::move(request), entity,
                                              id_string, options_, random);
  std::shared_ptr<const ConferenceSnapshot> frozen =
      internal::IndexedSnapshot::Make(std::move(first.next));
  std::shared_ptr<const ConferenceDelta> frozen_delta =
      std::make_shared<const ConferenceDelta>(std::move(first.delta));

  Entry entry;
  entry.snapshot = frozen;
  entry.delivery = std::make_shared<DeliveryQueue>();
  if (options_.delta_log_capacity > 0) {
    entry.log.reserve(std::min<size_t>(options_.delta_log_capacity, 4));
    entry.log.push_back(frozen_delta);
  }
  entry.incarnation = next_incarnation_.fetch_add(1, std::memory_order_relaxed);
  DeliveryItem item;
  item.delta = frozen_delta;
  item.after = frozen;
  item.incarnation = entry.incarnation;
  std::shared_ptr<DeliveryQueue> queue = entry.delivery;

  CommitLog* const commit_log = options_.commit_log;
  std::string record;
  if (commit_log != nullptr) {
    record = commit_log->Prepare(*frozen_delta, *frozen);
  }
  uint64_t ticket = 0;
  absl::Status append_status;

  const size_t hash = internal::ConferenceKeyHash(entity.value());
  entry.tag = IndexTag(hash);
  ConferenceShard& shard = shards_[ShardIndex(hash)];
  bool inserted = false;
  // Released after the lock: nothing is freed under it.
  std::vector<std::shared_ptr<const void>> freed;
  {
    conf::MutexLock lock(&shard.mu);
    if (!shard.conferences.contains(entity)) {
      if (commit_log != nullptr) {
        absl::StatusOr<uint64_t> appended =
            commit_log->Append(*frozen_delta, std::move(record));
        if (appended.ok()) {
          ticket = *appended;
        } else {
          append_status = appended.status();
        }
      }
      if (append_status.ok()) {
        entry.last_commit = ticket;
        auto it = shard.conferences.try_emplace(entity, std::move(entry)).first;
        shard.IndexInsert(it->second, epoch_, freed);
        inserted = true;
      }
    }
  }
  if (!append_status.ok()) {
    ConferenceIdShard& id_shard = IdShardFor(id_string);
    {
      conf::MutexLock lock(&id_shard.mu);
      id_shard.ids.erase(id_string);
    }
    conference_count_.fetch_sub(1, std::memory_order_relaxed);
    return CannotStore(append_status);
  }
  if (!inserted) {
    // Unreachable while conference-ids are unique, kept for safety.
    ConferenceIdShard& id_shard = IdShardFor(id_string);
    {
      conf::MutexLock lock(&id_shard.mu);
      id_shard.ids.erase(id_string);
    }
    conference_count_.fetch_sub(1, std::memory_order_relaxed);
    return absl::AlreadyExistsError(absl::StrCat("addConference: conference ",
                                                 Quote(entity.value()),
                                                 " already exists"));
  }
  DeliverWhenDurable(ticket, std::move(queue), std::move(item));
  return MutationResult{std::move(frozen_delta), std::move(frozen), ticket};
}

// ---------------------------------------------------------------------------
// Durability.

absl::Status ConferenceStore::Restore(ConferenceSnapshot snapshot,
                                      uint64_t last_commit) {
  if (snapshot.description == nullptr || snapshot.state == nullptr ||
      snapshot.version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("restore: conference ", Quote(snapshot.entity.value()),
                     " has no description, state or version"));
  }
  if (conference_count_.fetch_add(1, std::memory_order_relaxed) >=
      options_.limits.max_conferences) {
    conference_count_.fetch_sub(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(
        absl::StrCat("restore: the store holds the maximum of ",
                     options_.limits.max_conferences, " conferences"));
  }
  const std::string id_string = snapshot.description->conference_id;
  const ConferenceId entity = snapshot.entity;
  ConferenceIdShard& id_shard = IdShardFor(id_string);
  {
    conf::MutexLock lock(&id_shard.mu);
    if (!id_shard.ids.try_emplace(id_string, entity).second) {
      conference_count_.fetch_sub(1, std::memory_order_relaxed);
      return absl::AlreadyExistsError(absl::StrCat(
          "restore: conference-id ", Quote(id_string), " already exists"));
    }
  }

  // The user index learns the conference as from its creation: the
  // organizer, and every user of the roster and the lobby.
  ConferenceDelta created;
  created.conference = entity;
  created.version = 1;
  for (const auto& [list, users] :
       {std::pair<UserList, const UserMap*>{UserList::kRoster, &snapshot.users},
        std::pair<UserList, const UserMap*>{UserList::kLobby,
                                            &snapshot.lobby}}) {
    for (const std::shared_ptr<const User>& user : *users) {
      UserChange change;
      change.list = list;
      change.entity = user->entity;
      change.user = user;
      created.users.push_back(std::move(change));
    }
  }

  Entry entry;
  entry.snapshot = internal::IndexedSnapshot::Make(std::move(snapshot));
  entry.delivery = std::make_shared<DeliveryQueue>();
  {
    conf::MutexLock lock(&entry.delivery->mu);
    entry.delivery->next_version = entry.snapshot->version + 1;
  }
  entry.incarnation = next_incarnation_.fetch_add(1, std::memory_order_relaxed);
  entry.last_commit = last_commit;
  // A full ring of empty slots: version v's delta still goes to slot
  // (v - 1) % capacity, and DeltasSince finds no delta from before.
  entry.log.assign(options_.delta_log_capacity, nullptr);
  const size_t hash = internal::ConferenceKeyHash(entity.value());
  entry.tag = IndexTag(hash);
  const std::shared_ptr<const ConferenceSnapshot> restored = entry.snapshot;
  const uint64_t incarnation = entry.incarnation;
  ConferenceShard& shard = shards_[ShardIndex(hash)];
  bool inserted = false;
  std::vector<std::shared_ptr<const void>> freed;
  {
    conf::MutexLock lock(&shard.mu);
    auto [it, fresh] = shard.conferences.try_emplace(entity, std::move(entry));
    if (fresh) {
      shard.IndexInsert(it->second, epoch_, freed);
      inserted = true;
    }
  }
  if (!inserted) {
    {
      conf::MutexLock lock(&id_shard.mu);
      id_shard.ids.erase(id_string);
    }
    conference_count_.fetch_sub(1, std::memory_order_relaxed);
    return absl::AlreadyExistsError(absl::StrCat(
        "restore: conference ", Quote(entity.value()), " already exists"));
  }
  user_index_.IndexDelta(created, *restored, incarnation);
  return absl::OkStatus();
}

std::vector<CapturedConference> ConferenceStore::Capture() const {
  std::vector<CapturedConference> captured;
  captured.reserve(conference_count());
  for (size_t i = 0; i < kShardCount; ++i) {
    ConferenceShard& shard = shards_[i];
    conf::MutexLock lock(&shard.mu);
    for (const auto& [id, entry] : shard.conferences) {
      captured.push_back(CapturedConference{entry.snapshot, entry.last_commit});
    }
  }
  return captured;
}

}  // namespace engine
}  // namespace conf
