// Benchmarks of the conference store (engine/conference_store.h).
//
//   BM_Limit_DependentMisses    the memory work any hash-indexed snapshot
//                               read must do: per item two dependent random
//                               cache-line loads (an index slot, then the
//                               snapshot it points to) over as many bytes as
//                               the 100k-conference store holds, as one
//                               pointer chase (no overlap), 1 and 2 threads;
//                               counter ns_per_miss
//   BM_Limit_DependentMisses_Overlapped  the same loads, items independent
//                               (the core overlaps their misses)
//   BM_Store_FindSnapshot       snapshot reads through FindSnapshot (shard
//                               mutex, shared_ptr copy) on a 100k-conference
//                               store, uniformly random keys, 1 and 2
//                               threads: the baseline of the next row
//   BM_Store_GetSnapshot        the same reads through ConferenceStore::Read
//                               (lock-free); counters scaling_vs_1_thread,
//                               x_find_snapshot (over the baseline) and
//                               of_limit (over BM_Limit_DependentMisses's
//                               chase, timed right after on as many threads)
//   BM_Store_GetSnapshot_Batched  the same reads through
//                               ConferenceStore::ReadBatch, `width` keys of
//                               the stream per call (16, 64), 1 and 2
//                               threads; counters scaling_vs_1_thread,
//                               x_single_read (over BM_Store_GetSnapshot at
//                               as many threads) and of_overlapped_limit
//                               (over BM_Limit_DependentMisses_Overlapped's
//                               loads, timed right after)
//   BM_Store_FindSnapshot_Hot,  the same two over 1000 hot conferences
//   BM_Store_GetSnapshot_Hot
//   BM_Store_ApplyLock          mutations (modifyConferenceLock) on the same
//                               store, 1 and 2 threads, after an untimed
//                               pass that brings every conference to its
//                               steady state (delta log full); same counter
//   BM_Store_ApplyAddUser       a join into a conference of 1 or 1000 users;
//                               counter vs_1_user (the 1000-user run divided
//                               by the 1-user run of the same binary)
//   BM_Store_MemoryPerUser      heap bytes per user with one endpoint and two
//                               media (mallinfo2 delta), for the whole store
//                               and for the snapshot's users alone
//
// Run:
//   bazel run -c opt //bench:engine_bench -- --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "benchmark/benchmark.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace {

constexpr int kStoreConferences = 100000;

// Fast deterministic bytes: the benchmark measures the store, not the CSPRNG.
void SplitMixBytes(uint8_t* out, size_t size) {
  static std::atomic<uint64_t> state{0x9E3779B97F4A7C15ull};
  for (size_t i = 0; i < size; i += 8) {
    uint64_t z = state.fetch_add(0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < size; ++j) {
      out[i + j] = static_cast<uint8_t>(z >> (8 * j));
    }
  }
}

StoreOptions BenchOptions() {
  StoreOptions options;
  options.random_bytes = SplitMixBytes;
  options.limits.max_conferences = 2 * kStoreConferences;
  options.limits.max_users_per_conference = 100000;
  options.delta_log_capacity = 4;
  return options;
}

// Keys in the order requests bring them: kStreamLength conference entities
// drawn at random (seeded), laid out one after the other as a focus holds
// the entity of the request it just received. Reading the next key is then
// not a cache miss of its own, which a random index into `ids` (the vector
// slot, then the string's bytes) would add to every read.
constexpr size_t kStreamLength = size_t{1} << 17;

// The 100k-conference store shared by the read and mutation benchmarks,
// built on first use and kept for the process.
struct BigStore {
  ConferenceStore store{BenchOptions()};
  // Heap bytes the store took while it was filled (malloc arenas and
  // mmapped blocks), the working set of BM_Limit_DependentMisses.
  size_t store_bytes = 0;
  std::vector<ConferenceId> ids;
  std::vector<ConferenceId> stream;      // Uniform over `ids`.
  std::vector<ConferenceId> hot_stream;  // Uniform over kHot of them.
  static constexpr size_t kHot = 1000;
};

std::vector<ConferenceId> MakeStream(const std::vector<ConferenceId>& ids,
                                     size_t population, size_t stride,
                                     uint64_t seed) {
  std::vector<ConferenceId> stream;
  stream.reserve(kStreamLength);
  uint64_t x = seed;
  for (size_t n = 0; n < kStreamLength; ++n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // A copy of its own bytes, as parsed from a request (copying the id
    // would share the store's bytes).
    stream.push_back(ConferenceId(
        absl::string_view(ids[((x >> 33) % population) * stride].value())));
  }
  return stream;
}

BigStore& GetBigStore() {
  static BigStore* big = [] {
    auto* b = new BigStore();
    b->ids.reserve(kStoreConferences);
    const struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < kStoreConferences; ++i) {
      AddConferenceRequest request;
      request.organizer =
          UserId(absl::StrCat("sip:organizer", i % 5000, "@fabrikam.com"));
      request.description.subject = "benchmark";
      request.mcu_types = {"chat", "audio-video"};
      absl::StatusOr<MutationResult> result =
          b->store.ApplyAddConference(std::move(request));
      if (!result.ok()) {
        return static_cast<BigStore*>(nullptr);
      }
      b->ids.push_back(result->snapshot->entity);
    }
    const struct mallinfo2 after = mallinfo2();
    // Sanitizer allocators report no arena figures: the working set then
    // falls back to GetLimitMemory's minimum.
    const size_t grown_from = before.uordblks + before.hblkhd;
    const size_t grown_to = after.uordblks + after.hblkhd;
    const size_t ids_bytes = b->ids.capacity() * sizeof(ConferenceId);
    b->store_bytes = grown_to > grown_from + ids_bytes
                         ? grown_to - grown_from - ids_bytes
                         : 0;
    b->stream = MakeStream(b->ids, b->ids.size(), 1, 0x5EED1);
    b->hot_stream = MakeStream(b->ids, BigStore::kHot,
                               b->ids.size() / BigStore::kHot, 0x5EED2);
    return b;
  }();
  return *big;
}

// Ops per second of the single-thread runs, for the 2-thread runs' ratios,
// and of the FindSnapshot baselines at each thread count, for the read
// path's ratio.
std::atomic<double> g_reads_1_thread{0};
std::atomic<double> g_batched_1_thread{0};
std::atomic<double> g_read_rate[3] = {};
std::atomic<double> g_hot_reads_1_thread{0};
std::atomic<double> g_locks_1_thread{0};
std::atomic<double> g_find_1_thread{0};
std::atomic<double> g_hot_find_1_thread{0};
std::atomic<double> g_find_rate[3] = {};
std::atomic<double> g_hot_find_rate[3] = {};

// Runs `step()` (`items_per_step` ops) in the benchmark loop and returns the
// ops/s of all threads together on thread 0 (0 elsewhere); reports
// scaling_vs_1_thread on the multi-threaded run: its ops/s (every thread
// runs the same number of iterations) over the ops/s of the last
// single-thread run.
template <typename Step>
double TimeThreadedItems(benchmark::State& state, std::atomic<double>& single,
                         size_t items_per_step, Step step) {
  // Timed from the first iteration (after the start barrier) to the end of
  // the loop (after the stop barrier, when every thread is done).
  std::chrono::steady_clock::time_point start;
  bool first = true;
  for (auto _ : state) {
    if (first) {
      start = std::chrono::steady_clock::now();
      first = false;
    }
    step();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const int64_t items =
      state.iterations() * static_cast<int64_t>(items_per_step);
  state.SetItemsProcessed(items);
  if (state.thread_index() != 0 || seconds <= 0) {
    return 0;
  }
  double rate = static_cast<double>(items) * state.threads() / seconds;
  if (state.threads() == 1) {
    single.store(rate);
  } else if (single.load() > 0) {
    state.counters["scaling_vs_1_thread"] = rate / single.load();
  }
  return rate;
}

// TimeThreadedItems with one item per step.
template <typename Step>
double TimeThreaded(benchmark::State& state, std::atomic<double>& single,
                    Step step) {
  return TimeThreadedItems(state, single, 1, step);
}

// `op(index)` over uniformly random indexes of the store's conferences.
template <typename Op>
double RunThreaded(benchmark::State& state, std::atomic<double>& single,
                   Op op) {
  const size_t count = GetBigStore().ids.size();
  uint64_t x = 0x12345u + static_cast<uint64_t>(state.thread_index()) * 7919u;
  return TimeThreaded(state, single, [&] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    op(static_cast<size_t>((x >> 33) % count));
  });
}

// `op(key)` over `stream`, each thread from its own offset.
template <typename Op>
double RunStream(benchmark::State& state,
                 const std::vector<ConferenceId>& stream,
                 std::atomic<double>& single, Op op) {
  size_t position = static_cast<size_t>(state.thread_index()) * 7919;
  return TimeThreaded(state, single, [&] {
    op(stream[position & (kStreamLength - 1)]);
    ++position;
  });
}

// Ratio of a read path's rate to its FindSnapshot baseline at the same
// thread count (run just before it).
void ReportVsFindSnapshot(benchmark::State& state, double rate,
                          std::atomic<double>* baseline) {
  const double base = baseline[std::min(state.threads(), 2)].load();
  if (rate > 0 && base > 0) {
    state.counters["x_find_snapshot"] = rate / base;
  }
}

// The floor of a hash-indexed read over the store: lines placed at random in
// a block of the store's heap size, kStoreConferences of them "slots" that
// each point at one of kStoreConferences "snapshot" lines. An item loads a
// slot, then the snapshot it names: two dependent random cache-line loads
// and nothing else (no hash, no key check, no pin). Built once, every page
// touched before timing.
struct LimitMemory {
  struct alignas(64) Line {
    const Line* next;  // Slot: its snapshot. Snapshot: the next slot (chain).
    uint64_t value;
  };
  std::unique_ptr<Line[]> lines;
  size_t line_count = 0;
  std::vector<const Line*> stream;  // Slots, uniform, as keys arrive.
  const Line* chain_start = nullptr;
};

const LimitMemory& GetLimitMemory() {
  static const LimitMemory* limit = [] {
    auto* m = new LimitMemory();
    // At least the lines themselves, at most 4 GiB.
    const size_t bytes = std::min<size_t>(
        std::max<size_t>(GetBigStore().store_bytes, 2 * kStoreConferences * 64),
        size_t{1} << 32);
    m->line_count = bytes / sizeof(LimitMemory::Line);
    m->lines.reset(new LimitMemory::Line[m->line_count]);
    // A random permutation of the lines: the first kStoreConferences are
    // slots, the next kStoreConferences their snapshots.
    std::vector<uint32_t> order(m->line_count);
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = static_cast<uint32_t>(i);
    }
    uint64_t x = 0x5EED3;
    for (size_t i = order.size() - 1; i > 0; --i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      std::swap(order[i], order[(x >> 33) % (i + 1)]);
    }
    LimitMemory::Line* base = m->lines.get();
    const size_t n = kStoreConferences;
    for (size_t i = 0; i < n; ++i) {
      LimitMemory::Line& slot = base[order[i]];
      LimitMemory::Line& snapshot = base[order[n + i]];
      slot.next = &snapshot;
      slot.value = i;
      snapshot.next = &base[order[(i + 1) % n]];  // One cycle over all slots.
      snapshot.value = i;
    }
    m->chain_start = &base[order[0]];
    m->stream.reserve(kStreamLength);
    for (size_t k = 0; k < kStreamLength; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      m->stream.push_back(&base[order[(x >> 33) % n]]);
    }
    return m;
  }();
  return *limit;
}

std::atomic<double> g_limit_1_thread{0};
std::atomic<double> g_overlapped_1_thread{0};

// The limit: per item a slot, then the snapshot it names, as one pointer
// chase over a random permutation of the lines (the snapshot line names the
// next item's slot), so no two misses overlap. ns_per_miss is the memory
// latency over the store's footprint; a read whose misses did not overlap
// with the next reads' would cost two of them (of_limit = 1).
void BM_Limit_DependentMisses(benchmark::State& state) {
  if (GetBigStore().ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  const LimitMemory& m = GetLimitMemory();
  const LimitMemory::Line* slot = m.chain_start;
  for (size_t i = 0; i < static_cast<size_t>(state.thread_index()) * 7919;
       ++i) {
    slot = slot->next->next;
  }
  const double rate =
      TimeThreaded(state, g_limit_1_thread, [&] { slot = slot->next->next; });
  benchmark::DoNotOptimize(slot);
  if (state.thread_index() == 0 && rate > 0) {
    state.counters["ns_per_miss"] = 1e9 * state.threads() / rate / 2;
    state.counters["working_set_mb"] =
        static_cast<double>(m.line_count * sizeof(LimitMemory::Line)) / 1e6;
  }
}
BENCHMARK(BM_Limit_DependentMisses)->ThreadRange(1, 2)->UseRealTime();

// The same two loads per item with items independent of each other (each
// starts from the next slot of a stream, as each read starts from the next
// request's key), so the core overlaps the misses of many items: the rate
// of the memory system itself, which only a read that prefetches across
// requests could approach.
void BM_Limit_DependentMisses_Overlapped(benchmark::State& state) {
  if (GetBigStore().ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  const LimitMemory& m = GetLimitMemory();
  size_t position = static_cast<size_t>(state.thread_index()) * 7919;
  const double rate = TimeThreaded(state, g_overlapped_1_thread, [&] {
    const LimitMemory::Line* slot = m.stream[position & (kStreamLength - 1)];
    benchmark::DoNotOptimize(slot->next->value);
    ++position;
  });
  benchmark::DoNotOptimize(rate);
}
BENCHMARK(BM_Limit_DependentMisses_Overlapped)
    ->ThreadRange(1, 2)
    ->UseRealTime();

// Items per second of BM_Limit_DependentMisses's chase on the calling
// thread, timed over a bounded number of items (each thread starts at its
// own place in the cycle).
double ChaseRate(const benchmark::State& state) {
  const LimitMemory& m = GetLimitMemory();
  const LimitMemory::Line* slot = m.chain_start;
  for (size_t i = 0; i < static_cast<size_t>(state.thread_index()) * 7919;
       ++i) {
    slot = slot->next->next;
  }
  const size_t steps =
      std::min<size_t>(static_cast<size_t>(state.iterations()), 100000);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < steps; ++i) {
    slot = slot->next->next;
  }
  benchmark::DoNotOptimize(slot);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return seconds > 0 ? static_cast<double>(steps) / seconds : 0;
}

// The baseline: FindSnapshot, which takes the shard mutex and copies the
// shared_ptr (two writes to shared lines per read).
void BM_Store_FindSnapshot(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  const double rate = RunStream(state, big.stream, g_find_1_thread,
                                [&](const ConferenceId& id) {
                                  std::shared_ptr<const ConferenceSnapshot> s =
                                      big.store.FindSnapshot(id);
                                  benchmark::DoNotOptimize(s->version);
                                });
  if (rate > 0) {  // Thread 0 only: the others report 0.
    g_find_rate[std::min(state.threads(), 2)].store(rate);
  }
}
BENCHMARK(BM_Store_FindSnapshot)->ThreadRange(1, 2)->UseRealTime();

// Snapshot reads as a focus makes them per request: ConferenceStore::Read
// (lock-free, no reference count), uniformly over the 100k conferences.
// Counters: x_find_snapshot, this rate over BM_Store_FindSnapshot's; of_limit,
// this rate over BM_Limit_DependentMisses's pointer chase run right after on
// as many threads (1 = a read costs two serialized cache misses).
void BM_Store_GetSnapshot(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  bool failed = false;
  const double rate = RunStream(
      state, big.stream, g_reads_1_thread, [&](const ConferenceId& id) {
        failed |= !big.store
                       .Read(id,
                             [](const ConferenceSnapshot& s) {
                               benchmark::DoNotOptimize(s.version);
                             })
                       .ok();
      });
  if (failed) {
    state.SkipWithError("a read failed");
  }
  ReportVsFindSnapshot(state, rate, g_find_rate);
  if (rate > 0) {  // Thread 0 only: the others report 0.
    g_read_rate[std::min(state.threads(), 2)].store(rate);
  }
  // The limit timed right after the reads, on the same threads, so that
  // the ratio holds when the machine's speed drifts between benchmarks.
  const double limit = ChaseRate(state) * state.threads();
  if (state.thread_index() == 0 && rate > 0 && limit > 0) {
    state.counters["of_limit"] = rate / limit;
  }
}
BENCHMARK(BM_Store_GetSnapshot)->ThreadRange(1, 2)->UseRealTime();

// Items per second of BM_Limit_DependentMisses_Overlapped's loads on the
// calling thread, timed over a bounded number of items.
double OverlappedRate(const benchmark::State& state) {
  const LimitMemory& m = GetLimitMemory();
  size_t position = static_cast<size_t>(state.thread_index()) * 7919;
  const size_t steps =
      std::min<size_t>(static_cast<size_t>(state.iterations()) * 16, 1000000);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < steps; ++i) {
    const LimitMemory::Line* slot = m.stream[position & (kStreamLength - 1)];
    benchmark::DoNotOptimize(slot->next->value);
    ++position;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return seconds > 0 ? static_cast<double>(steps) / seconds : 0;
}

// The same reads as BM_Store_GetSnapshot, the same uniform stream on the
// same store, as a focus that drains its request queue a batch at a time
// makes them: ConferenceStore::ReadBatch over the next `width` keys of the
// stream (range(0)). Counters: x_single_read, this rate over
// BM_Store_GetSnapshot's at as many threads (run just before it);
// of_overlapped_limit, this rate over BM_Limit_DependentMisses_Overlapped's
// loads timed right after on as many threads (1 = the memory system's rate
// for two random lines per read).
void BM_Store_GetSnapshot_Batched(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  const size_t width = static_cast<size_t>(state.range(0));
  if (width == 0 || (width & (width - 1)) != 0 || width > kStreamLength) {
    state.SkipWithError("the batch width must be a power of two");
    return;
  }
  const absl::Span<const ConferenceId> stream(big.stream);
  // Batches do not wrap: `width` divides the stream's length.
  size_t position = static_cast<size_t>(state.thread_index()) * 7919 * width;
  bool failed = false;
  const double rate = TimeThreadedItems(state, g_batched_1_thread, width, [&] {
    big.store.ReadBatch(stream.subspan(position & (kStreamLength - 1), width),
                        [&](size_t, const ConferenceSnapshot* s) {
                          if (s == nullptr) {
                            failed = true;
                            return;
                          }
                          benchmark::DoNotOptimize(s->version);
                        });
    position += width;
  });
  if (failed) {
    state.SkipWithError("a read failed");
  }
  const double single = g_read_rate[std::min(state.threads(), 2)].load();
  if (rate > 0 && single > 0) {
    state.counters["x_single_read"] = rate / single;
  }
  const double limit = OverlappedRate(state) * state.threads();
  if (state.thread_index() == 0 && rate > 0 && limit > 0) {
    state.counters["of_overlapped_limit"] = rate / limit;
  }
}
BENCHMARK(BM_Store_GetSnapshot_Batched)
    ->Arg(16)
    ->Arg(64)
    ->ThreadRange(1, 2)
    ->UseRealTime();

// The same reads restricted to 1000 hot conferences of the 100k store: the
// cost of the read path itself once its lines are cached, where the uniform
// variant above mostly measures cache misses.
void BM_Store_FindSnapshot_Hot(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  const double rate = RunStream(state, big.hot_stream, g_hot_find_1_thread,
                                [&](const ConferenceId& id) {
                                  std::shared_ptr<const ConferenceSnapshot> s =
                                      big.store.FindSnapshot(id);
                                  benchmark::DoNotOptimize(s->version);
                                });
  if (rate > 0) {  // Thread 0 only: the others report 0.
    g_hot_find_rate[std::min(state.threads(), 2)].store(rate);
  }
}
BENCHMARK(BM_Store_FindSnapshot_Hot)->ThreadRange(1, 2)->UseRealTime();

void BM_Store_GetSnapshot_Hot(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  bool failed = false;
  const double rate = RunStream(
      state, big.hot_stream, g_hot_reads_1_thread, [&](const ConferenceId& id) {
        failed |= !big.store
                       .Read(id,
                             [](const ConferenceSnapshot& s) {
                               benchmark::DoNotOptimize(s.version);
                             })
                       .ok();
      });
  if (failed) {
    state.SkipWithError("a read failed");
  }
  ReportVsFindSnapshot(state, rate, g_hot_find_rate);
}
BENCHMARK(BM_Store_GetSnapshot_Hot)->ThreadRange(1, 2)->UseRealTime();

// Brings every conference of the store to the steady state of its
// mutations, untimed: a conference's first mutations allocate its delta
// log's ring and fill it, and later ones evict from it. Without this the
// first timed row (one thread) would time mostly first mutations and the
// next (two threads) steady ones. The lock requested is drawn at random,
// as in the timed loop, so the deltas left in the logs (which the timed
// mutations evict and free) change the views as often as theirs do.
// Returns false if a mutation failed.
bool WarmForMutations(BigStore& big) {
  const size_t passes = BenchOptions().delta_log_capacity;
  uint64_t x = 0x5EED3;
  for (size_t pass = 0; pass < passes; ++pass) {
    for (const ConferenceId& id : big.ids) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      ModifyConferenceLockRequest request;
      request.conference = id;
      request.lock = (x >> 63) ? LockState::kLocked : LockState::kUnlocked;
      if (!big.store.ApplyModifyConferenceLock(request).ok()) {
        return false;
      }
    }
  }
  return true;
}

void BM_Store_ApplyLock(benchmark::State& state) {
  BigStore& big = GetBigStore();
  if (big.ids.empty()) {
    state.SkipWithError("building the store failed");
    return;
  }
  // Once per process, before the first timed row; a second thread waits
  // for it here.
  static const bool kWarmed = WarmForMutations(big);
  if (!kWarmed) {
    state.SkipWithError("a warm-up mutation failed");
    return;
  }
  bool failed = false;
  uint64_t n = 0;
  RunThreaded(state, g_locks_1_thread, [&](size_t i) {
    ModifyConferenceLockRequest request;
    request.conference = big.ids[i];
    request.lock = (++n & 1) ? LockState::kLocked : LockState::kUnlocked;
    absl::StatusOr<MutationResult> result =
        big.store.ApplyModifyConferenceLock(request);
    failed |= !result.ok();
    benchmark::DoNotOptimize(result);
  });
  if (failed) {
    state.SkipWithError("a mutation failed");
  }
}
BENCHMARK(BM_Store_ApplyLock)->ThreadRange(1, 2)->UseRealTime();

// A joining user as a client sends it: one endpoint with two media.
User MakeJoiningUser(int i) {
  User user;
  user.entity = UserId(absl::StrCat("sip:user", i, "@fabrikam.com"));
  user.display_text = absl::StrCat("User ", i);
  user.role = Role::kAttendee;
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->entity = EndpointId(
      absl::StrCat("{09AA504C-BA41-4458-8669-", 100000000000 + i, "}"));
  endpoint->status = EndpointStatus::kConnected;
  endpoint->joining_method = JoiningMethod::kDialedIn;
  endpoint->session_type = "audio-video";
  auto audio = std::make_shared<Media>();
  audio->id = MediaId("1");
  audio->type = "audio";
  audio->label = "main-audio";
  audio->status = MediaStatus::kSendRecv;
  auto video = std::make_shared<Media>();
  video->id = MediaId("2");
  video->type = "video";
  video->label = "main-video";
  video->status = MediaStatus::kSendRecv;
  endpoint->media = {std::move(audio), std::move(video)};
  user.endpoints.push_back(std::move(endpoint));
  return user;
}

// Mean seconds per join of the 1-user run, for the 1000-user run's ratio.
std::atomic<double> g_join_1_user{0};

void BM_Store_ApplyAddUser(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  ConferenceStore store(BenchOptions());
  AddConferenceRequest add;
  add.organizer = UserId("sip:alice@fabrikam.com");
  add.mcu_types = {"chat", "audio-video"};
  absl::StatusOr<MutationResult> created = store.ApplyAddConference(add);
  if (!created.ok()) {
    state.SkipWithError("addConference failed");
    return;
  }
  const ConferenceId id = created->snapshot->entity;
  for (int i = 0; i < users; ++i) {
    AddUserRequest request{id,
                           {},
                           JoinKind::kJoin,
                           Authentication::kAuthenticated,
                           MakeJoiningUser(i)};
    if (!store.ApplyAddUser(std::move(request)).ok()) {
      state.SkipWithError("populating failed");
      return;
    }
  }
  // Requests are built outside the timed region; each join is timed alone
  // and the user leaves again (untimed) so the size stays `users`.
  double total = 0;
  int next = users;
  for (auto _ : state) {
    AddUserRequest request{id,
                           {},
                           JoinKind::kJoin,
                           Authentication::kAuthenticated,
                           MakeJoiningUser(next)};
    const UserId user = request.user.entity;
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<MutationResult> result =
        store.ApplyAddUser(std::move(request));
    auto end = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(end - start).count();
    state.SetIterationTime(seconds);
    total += seconds;
    if (!result.ok() || !store.ApplyDeleteUser({id, {}, user}).ok()) {
      state.SkipWithError("join or leave failed");
      return;
    }
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
  double mean = total / static_cast<double>(state.iterations());
  if (users == 1) {
    g_join_1_user.store(mean);
  } else if (g_join_1_user.load() > 0) {
    state.counters["vs_1_user"] = mean / g_join_1_user.load();
  }
}
BENCHMARK(BM_Store_ApplyAddUser)
    ->ArgNames({"users"})
    ->Arg(1)
    ->Arg(1000)
    ->UseManualTime();

size_t HeapInUse() { return mallinfo2().uordblks; }

void BM_Store_MemoryPerUser(benchmark::State& state) {
  constexpr int kUsers = 1000;
  double store_bytes = 0;
  double snapshot_bytes = 0;
  for (auto _ : state) {
    // Whole store: snapshot, user index, delta log.
    {
      ConferenceStore store(BenchOptions());
      AddConferenceRequest add;
      add.organizer = UserId("sip:alice@fabrikam.com");
      absl::StatusOr<MutationResult> created = store.ApplyAddConference(add);
      if (!created.ok()) {
        state.SkipWithError("addConference failed");
        return;
      }
      const ConferenceId id = created->snapshot->entity;
      created = absl::UnknownError("released");
      const size_t before = HeapInUse();
      for (int i = 0; i < kUsers; ++i) {
        AddUserRequest request{id,
                               {},
                               JoinKind::kJoin,
                               Authentication::kAuthenticated,
                               MakeJoiningUser(i)};
        if (!store.ApplyAddUser(std::move(request)).ok()) {
          state.SkipWithError("join failed");
          return;
        }
      }
      store_bytes = static_cast<double>(HeapInUse() - before) /
                    static_cast<double>(kUsers);
    }
    // The snapshot's users alone (persistent map + model objects).
    {
      const size_t before = HeapInUse();
      UserMap users;
      for (int i = 0; i < kUsers; ++i) {
        users = users.Set(std::make_shared<const User>(MakeJoiningUser(i)));
      }
      snapshot_bytes = static_cast<double>(HeapInUse() - before) /
                       static_cast<double>(kUsers);
      benchmark::DoNotOptimize(users);
    }
  }
  state.counters["bytes_per_user"] = store_bytes;
  state.counters["snapshot_bytes_per_user"] = snapshot_bytes;
}
BENCHMARK(BM_Store_MemoryPerUser)->Iterations(1);

}  // namespace
}  // namespace engine
}  // namespace conf

BENCHMARK_MAIN();
