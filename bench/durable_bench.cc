// The durable focus (Focus::Open): acknowledged changes against the disk's
// synced-write rate and against the same focus in memory, and recovery time
// against its budget, each ratio taken from figures measured in the same run.
//
//   BM_InMemoryJoinLeave/threads:T
//       T threads on one in-memory Focus, each alternating addUser and
//       deleteUser (a user joins, then leaves) of its own 8 users in its own
//       conference, where its organizer stays; items are acknowledged
//       changes. Run before the durable rows: its rate is their baseline.
//   BM_DurableJoinLeave/threads:T
//       the same workload on a durable focus, every change journaled and
//       synced (group commit) before HandleRequest returns. Counters:
//         limit_changes_per_s = write()+fdatasync() of the same bytes in
//                             the same batch sizes (batch_records, the
//                             row's records per sync), one thread, in the
//                             same directory, timed right after the loop:
//                             what a journal that only wrote could reach
//         x_limit           = changes/s / limit_changes_per_s (target: at
//                             least 0.5)
//         ack_p50_us, ack_p99_us = request to acknowledgment, per thread,
//                             averaged over the threads
//         syncs_per_change  = the journal's fdatasyncs / its records
//         record_bytes      = the journal's bytes / its records
//         cost_vs_in_memory = in-memory changes/s / durable changes/s with
//                             the same threads (BM_InMemoryJoinLeave of this
//                             run; absent when its row was filtered out)
//   BM_FdatasyncLimit
//       the limit alone, for the tables: one write() of record_bytes and one
//       fdatasync() per iteration, appending to a file in the state
//       directory's file system.
//   BM_Recovery/conferences:C/users:U/snapshot:S
//       Focus::Open of a state directory holding C conferences of U users
//       each (the organizer and U-1 attendees, one addUser record each),
//       built once through the focus, then reopened in the loop (only Open
//       is timed; closing is not; the files are in the page cache, having
//       just been written). snapshot:0 reads the journal alone;
//       snapshot:1 a snapshot of the C new conferences plus the C*U join
//       records after it. Counters:
//         conferences_per_s = conferences recovered per second
//         vs_1s_budget      = Open's time / 1 s (target: at most 1)
//         vs_reading_files  = Open's time / read(2) of the same files
//         records_replayed, records_skipped, snapshot_conferences: what the
//                             last Open read (RecoveryReport)
//
// State directories go under $CONFSTATE_BENCH_DIR when it is set (choose one
// on the disk under test), else $TEST_TMPDIR or /tmp, and are removed at
// exit. `--smoke` (the smoke test) shrinks recovery to 10 conferences of 5
// users and the sync calibration to 20 ms.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"

#include "codec/c3p_request_encoder.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "journal/durable_store.h"
#include "journal/journal.h"
#include "testing/focus_harness.h"
#include "testing/temp_dir.h"

namespace conf {
namespace focus {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kUsersPerThread = 8;
constexpr char kDomain[] = "contoso.com";

// Set by --smoke (main).
bool smoke = false;

// How long the synced-write limit is timed after each durable row.
double LimitSeconds() { return smoke ? 0.02 : 0.25; }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------
// State directories.

// Every directory made here, removed at exit.
std::vector<std::string>& Made() {
  static auto* const kMade = new std::vector<std::string>;
  return *kMade;
}

const bool kRemoveAtExit = [] {
  std::atexit([] {
    for (const std::string& dir : Made()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  });
  return true;
}();

// A new, empty directory under $CONFSTATE_BENCH_DIR, else $TEST_TMPDIR or
// /tmp; "" when none can be made.
std::string NewStateDir(absl::string_view prefix) {
  // Read once, before any thread of ours could change the environment.
  static const char* const kRoot =
      std::getenv("CONFSTATE_BENCH_DIR");  // NOLINT(concurrency-mt-unsafe)
  std::string dir;
  if (kRoot == nullptr || *kRoot == '\0') {
    dir = testing::NewTempDir(prefix);
  } else {
    std::string pattern = absl::StrCat(kRoot, "/", prefix, "XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return "";
    }
    dir = pattern;
  }
  Made().push_back(dir);
  return dir;
}

void RemoveStateDir(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

DurabilityOptions Durability(const std::string& dir) {
  DurabilityOptions durability;
  durability.state_dir = dir;
  // No maintenance thread: nothing but the benchmark writes snapshots.
  durability.maintenance_interval = absl::ZeroDuration();
  durability.snapshot_every_changes = std::numeric_limits<uint64_t>::max();
  return durability;
}

// The journal's counters of a durable focus.
journal::JournalStats JournalStatsOf(const Focus& focus) {
  return focus.durable()->journal_stats();
}

// write() of `bytes` bytes and fdatasync(), appending to a new file in
// `dir`, for at least `seconds` (and 5 syncs): syncs per second, or 0 on
// failure.
double SyncedWritesPerSecond(const std::string& dir, size_t bytes,
                             double seconds) {
  const std::string path = absl::StrCat(dir, "/fdatasync-limit.bin");
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return 0;
  }
  const std::string record(bytes == 0 ? 1 : bytes, 'r');
  int64_t syncs = 0;
  double elapsed = 0;
  bool ok = true;
  const Clock::time_point start = Clock::now();
  while (ok && (elapsed < seconds || syncs < 5)) {
    ok = write(fd, record.data(), record.size()) ==
             static_cast<ssize_t>(record.size()) &&
         fdatasync(fd) == 0;
    ++syncs;
    elapsed = SecondsSince(start);
  }
  close(fd);
  unlink(path.c_str());
  return ok ? static_cast<double>(syncs) / elapsed : 0;
}

// ---------------------------------------------------------------------------
// Join/leave.

bool Succeeded(const absl::StatusOr<C3pResult>& r) {
  return r.ok() && r->success();
}

// One focus (in memory, or durable in a fresh directory) with a conference
// per thread, its organizer joined, and every thread's requests encoded.
class JoinLeave {
 public:
  struct Requests {
    std::vector<std::string> users;
    std::vector<std::string> add;
    std::vector<std::string> remove;
  };

  // `durable`: in a new state directory; "" from error() when built.
  JoinLeave(bool durable, int threads) {
    if (durable) {
      dir_ = NewStateDir("durable_bench_join");
      if (dir_.empty()) {
        error_ = "cannot make a state directory";
        return;
      }
      absl::StatusOr<std::unique_ptr<Focus>> opened =
          Focus::Open(testing::SeededFocusOptions(), Durability(dir_));
      if (!opened.ok()) {
        error_ = absl::StrCat("Open: ", opened.status().ToString());
        return;
      }
      focus_ = *std::move(opened);
    } else {
      focus_ = std::make_unique<Focus>(testing::SeededFocusOptions());
    }
    for (int t = 0; t < threads && error_.empty(); ++t) {
      AddThread(t);
    }
  }

  ~JoinLeave() {
    focus_.reset();
    if (!dir_.empty()) {
      RemoveStateDir(dir_);
    }
  }

  const std::string& error() const { return error_; }
  Focus& focus() { return *focus_; }
  const std::string& dir() const { return dir_; }
  const Requests& requests(int thread) const { return requests_[thread]; }

  // Closes the focus (the directory stays until destruction).
  void Close() { focus_.reset(); }

 private:
  void AddThread(int t) {
    const std::string organizer =
        absl::StrCat("sip:organizer", t, "@", kDomain);
    codec::AddConferenceSpec spec;
    spec.subject = absl::StrCat("join and leave ", t);
    spec.conference_id = absl::StrFormat("J%07d", t);
    spec.mcu_types = {"chat", "audio-video"};
    const codec::RequestEnvelope to_factory = {absl::StrCat("c", t), organizer,
                                               testing::FactoryOf(organizer)};
    if (!Succeeded(focus_->HandleRequest(
            organizer, codec::EncodeAddConferenceRequest(to_factory, spec)))) {
      error_ = "addConference failed";
      return;
    }
    auto snapshot =
        focus_->store().FindSnapshotByConferenceId(spec.conference_id);
    if (snapshot == nullptr) {
      error_ = "the conference is missing";
      return;
    }
    const std::string conference(snapshot->entity.value());
    const codec::RequestEnvelope from_organizer = {absl::StrCat("o", t),
                                                   organizer, conference};
    if (!Succeeded(focus_->HandleRequest(
            organizer,
            codec::EncodeAddUserRequest(
                from_organizer, conference,
                testing::ClientJoin(organizer, engine::Role::kPresenter))))) {
      error_ = "the organizer could not join";
      return;
    }
    Requests r;
    for (int u = 0; u < kUsersPerThread; ++u) {
      const std::string user = absl::StrCat("sip:t", t, "u", u, "@", kDomain);
      r.users.push_back(user);
      r.add.push_back(codec::EncodeAddUserRequest(
          {absl::StrCat("a", t, "-", u), user, conference}, conference,
          testing::ClientJoin(user, engine::Role::kAttendee)));
      r.remove.push_back(codec::EncodeDeleteUserRequest(
          {absl::StrCat("d", t, "-", u), user, conference}, conference, user));
    }
    requests_.push_back(std::move(r));
  }

  std::string dir_;
  std::unique_ptr<Focus> focus_;
  std::vector<Requests> requests_;
  std::string error_;
};

// The join/leave rows of this run: in-memory changes/s by thread count.
std::map<int, double>& InMemoryRates() {
  static auto* const kRates = new std::map<int, double>;
  return *kRates;
}

// The fixture of the running row: made by thread 0 before the loop and
// destroyed by it after; every thread reads it inside the loop, after the
// barrier that starts the loop.
JoinLeave* running = nullptr;

// This thread's share of the workload: user k/2 joins on even k and leaves
// on odd k. False (and the row skipped) on a failed change.
bool JoinOrLeave(benchmark::State& state, Focus& focus,
                 const JoinLeave::Requests& r, uint64_t k, C3pResult& reply) {
  const size_t user = (k >> 1) % r.users.size();
  const std::string& body = (k & 1) == 0 ? r.add[user] : r.remove[user];
  if (!focus.HandleRequest(r.users[user], body, &reply).ok() ||
      !reply.success()) {
    state.SkipWithError((k & 1) == 0 ? "addUser failed" : "deleteUser failed");
    return false;
  }
  return true;
}

// Runs the workload; for thread 0, returns the changes per second of all
// threads (wall clock from the end of setup to the end of the loop).
double RunJoinLeave(benchmark::State& state, bool durable,
                    journal::JournalStats* before,
                    journal::JournalStats* after) {
  Clock::time_point start;
  if (state.thread_index() == 0) {
    running = new JoinLeave(durable, state.threads());
    if (running->error().empty() && durable) {
      *before = JournalStatsOf(running->focus());
    }
    start = Clock::now();
  }
  uint64_t k = 0;
  C3pResult reply;  // the SIP thread's send buffer
  // Each change's time from request to acknowledgment.
  std::vector<int64_t> latencies_ns;
  latencies_ns.reserve(1 << 16);
  for (auto _ : state) {
    JoinLeave* f = running;
    if (!f->error().empty()) {
      state.SkipWithError(f->error().c_str());
      break;
    }
    const Clock::time_point sent = Clock::now();
    if (!JoinOrLeave(state, f->focus(), f->requests(state.thread_index()), k,
                     reply)) {
      break;
    }
    latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               Clock::now() - sent)
                               .count());
    ++k;
  }
  state.SetItemsProcessed(static_cast<int64_t>(k));
  if (!latencies_ns.empty()) {
    std::sort(latencies_ns.begin(), latencies_ns.end());
    auto percentile_us = [&](double p) {
      const size_t i = std::min(
          latencies_ns.size() - 1,
          static_cast<size_t>(p * static_cast<double>(latencies_ns.size())));
      return static_cast<double>(latencies_ns[i]) / 1000.0;
    };
    // Each thread's percentile, averaged over the threads.
    state.counters["ack_p50_us"] = benchmark::Counter(
        percentile_us(0.50), benchmark::Counter::kAvgThreads);
    state.counters["ack_p99_us"] = benchmark::Counter(
        percentile_us(0.99), benchmark::Counter::kAvgThreads);
  }
  if (state.thread_index() != 0) {
    return 0;
  }
  const double seconds = SecondsSince(start);
  if (durable && running->error().empty()) {
    *after = JournalStatsOf(running->focus());
  }
  return static_cast<double>(state.iterations()) * state.threads() / seconds;
}

void BM_InMemoryJoinLeave(benchmark::State& state) {
  journal::JournalStats unused;
  const double rate = RunJoinLeave(state, false, &unused, &unused);
  if (state.thread_index() != 0) {
    return;
  }
  delete running;
  running = nullptr;
  if (!state.error_occurred()) {
    InMemoryRates()[state.threads()] = rate;
  }
}
BENCHMARK(BM_InMemoryJoinLeave)
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime();

void BM_DurableJoinLeave(benchmark::State& state) {
  journal::JournalStats before;
  journal::JournalStats after;
  const double rate = RunJoinLeave(state, true, &before, &after);
  if (state.thread_index() != 0) {
    return;
  }
  std::unique_ptr<JoinLeave> f(running);
  running = nullptr;
  if (state.error_occurred()) {
    return;
  }
  f->Close();
  const uint64_t records = after.records - before.records;
  const uint64_t syncs = after.syncs - before.syncs;
  const double record_bytes = static_cast<double>(after.bytes - before.bytes) /
                              static_cast<double>(records);
  // The limit: write()+fdatasync() of the same bytes in the same batch sizes
  // (the mean records per sync of this row), on the same disk, moments
  // later. A journal that did nothing but write could reach it.
  const double batch = static_cast<double>(records) /
                       static_cast<double>(std::max<uint64_t>(1, syncs));
  const double syncs_per_s = SyncedWritesPerSecond(
      f->dir(), static_cast<size_t>(std::lround(record_bytes * batch)),
      LimitSeconds());
  if (syncs_per_s <= 0) {
    state.SkipWithError("the fdatasync limit failed");
    return;
  }
  const double limit = syncs_per_s * batch;
  state.counters["limit_changes_per_s"] = limit;
  state.counters["x_limit"] = rate / limit;
  state.counters["batch_records"] = batch;
  state.counters["syncs_per_change"] =
      static_cast<double>(syncs) / static_cast<double>(records);
  state.counters["record_bytes"] = record_bytes;
  const auto in_memory = InMemoryRates().find(state.threads());
  if (in_memory != InMemoryRates().end()) {
    state.counters["cost_vs_in_memory"] = in_memory->second / rate;
  }
}
BENCHMARK(BM_DurableJoinLeave)
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime();

// The journal's mean join/leave record, from a short one-thread run.
size_t JoinLeaveRecordBytes() {
  static const size_t kBytes = [] {
    JoinLeave f(true, 1);
    if (!f.error().empty()) {
      return size_t{0};
    }
    const journal::JournalStats before = JournalStatsOf(f.focus());
    const JoinLeave::Requests& r = f.requests(0);
    for (size_t u = 0; u < r.users.size(); ++u) {
      if (!Succeeded(f.focus().HandleRequest(r.users[u], r.add[u])) ||
          !Succeeded(f.focus().HandleRequest(r.users[u], r.remove[u]))) {
        return size_t{0};
      }
    }
    const journal::JournalStats after = JournalStatsOf(f.focus());
    return static_cast<size_t>((after.bytes - before.bytes) /
                               (after.records - before.records));
  }();
  return kBytes;
}

void BM_FdatasyncLimit(benchmark::State& state) {
  const size_t bytes = JoinLeaveRecordBytes();
  const std::string dir = NewStateDir("durable_bench_sync");
  const std::string path = absl::StrCat(dir, "/fdatasync-limit.bin");
  const int fd =
      dir.empty() || bytes == 0
          ? -1
          : open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError("cannot open the file");
    return;
  }
  const std::string record(bytes, 'r');
  for (auto _ : state) {
    if (write(fd, record.data(), record.size()) !=
            static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  close(fd);
  RemoveStateDir(dir);
  state.SetItemsProcessed(state.iterations());
  state.counters["record_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_FdatasyncLimit)->UseRealTime();

// ---------------------------------------------------------------------------
// Recovery.

struct RecoveryDirs {
  std::string journal_only;
  std::string snapshot;
  std::string error;
};

// Builds `conferences` conferences of `users` users each through a durable
// focus in `dir` (requests sent with HandleRequestAsync, so group commit
// batches them); with `snapshot`, a snapshot is written once the
// conferences exist, so that every join is a record after it. Returns an
// error message, or "".
std::string BuildRecoveryDir(const std::string& dir, int conferences, int users,
                             bool snapshot) {
  std::atomic<int64_t> acknowledged{0};
  int64_t sent = 0;
  {
    absl::StatusOr<std::unique_ptr<Focus>> focus =
        Focus::Open(testing::SeededFocusOptions(), Durability(dir));
    if (!focus.ok()) {
      return absl::StrCat("Open: ", focus.status().ToString());
    }
    auto send = [&](const std::string& who, const std::string& body) {
      ++sent;
      (*focus)->HandleRequestAsync(
          RequestContext::Authenticated(who), body,
          [&acknowledged](const absl::StatusOr<C3pResult>& r) {
            if (Succeeded(r)) {
              acknowledged.fetch_add(1, std::memory_order_relaxed);
            }
          });
    };
    std::vector<std::string> entities;
    for (int c = 0; c < conferences; ++c) {
      const std::string organizer =
          absl::StrCat("sip:organizer", c, "@", kDomain);
      codec::AddConferenceSpec spec;
      spec.subject = absl::StrCat("meeting ", c);
      spec.conference_id = absl::StrFormat("R%07d", c);
      spec.mcu_types = {"chat", "audio-video"};
      send(organizer,
           codec::EncodeAddConferenceRequest(
               {absl::StrCat("c", c), organizer, testing::FactoryOf(organizer)},
               spec));
      // The store applied it before HandleRequestAsync returned.
      auto created =
          (*focus)->store().FindSnapshotByConferenceId(spec.conference_id);
      if (created == nullptr) {
        return "addConference failed";
      }
      entities.emplace_back(created->entity.value());
    }
    if (snapshot && !(*focus)->WriteSnapshot().ok()) {
      return "writing the snapshot failed";
    }
    for (int c = 0; c < conferences; ++c) {
      const std::string organizer =
          absl::StrCat("sip:organizer", c, "@", kDomain);
      const std::string& conference = entities[c];
      for (int u = 0; u < users; ++u) {
        const std::string user =
            u == 0 ? organizer : absl::StrCat("sip:c", c, "u", u, "@", kDomain);
        send(user,
             codec::EncodeAddUserRequest(
                 {absl::StrCat("j", c, "-", u), user, conference}, conference,
                 testing::ClientJoin(user, u == 0 ? engine::Role::kPresenter
                                                  : engine::Role::kAttendee)));
      }
    }
    // Closing syncs what was appended and runs every callback.
  }
  if (acknowledged.load() != sent) {
    return absl::StrCat(sent - acknowledged.load(), " of ", sent,
                        " changes were not acknowledged");
  }
  // An Open starts an empty segment after the last record; open it once,
  // so that every timed Open finds the files the previous one left.
  if (!Focus::Open(testing::SeededFocusOptions(), Durability(dir)).ok()) {
    return "reopening the state directory failed";
  }
  return "";
}

RecoveryDirs BuildRecoveryDirs(int conferences, int users) {
  RecoveryDirs dirs;
  dirs.journal_only = NewStateDir("durable_bench_journal");
  dirs.snapshot = NewStateDir("durable_bench_snapshot");
  if (dirs.journal_only.empty() || dirs.snapshot.empty()) {
    dirs.error = "cannot make a state directory";
    return dirs;
  }
  dirs.error = BuildRecoveryDir(dirs.journal_only, conferences, users, false);
  if (dirs.error.empty()) {
    dirs.error = BuildRecoveryDir(dirs.snapshot, conferences, users, true);
  }
  return dirs;
}

// Seconds to read every file of `dir` into memory with read(2): the floor
// under any recovery of it. Negative on failure.
double ReadFilesSeconds(const std::string& dir) {
  const Clock::time_point start = Clock::now();
  std::vector<char> buffer(1 << 20);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const int fd = open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return -1;
    }
    while (read(fd, buffer.data(), buffer.size()) > 0) {
    }
    close(fd);
  }
  return error ? -1 : SecondsSince(start);
}

const RecoveryDirs& RecoveryDirsFor(int conferences, int users) {
  static auto* const kBuilt = new std::map<std::pair<int, int>, RecoveryDirs>;
  auto it = kBuilt->find({conferences, users});
  if (it == kBuilt->end()) {
    it = kBuilt
             ->emplace(std::make_pair(conferences, users),
                       BuildRecoveryDirs(conferences, users))
             .first;
  }
  return it->second;
}

void BM_Recovery(benchmark::State& state) {
  const int conferences = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  const bool snapshot = state.range(2) != 0;
  const RecoveryDirs& dirs = RecoveryDirsFor(conferences, users);
  if (!dirs.error.empty()) {
    state.SkipWithError(dirs.error.c_str());
    return;
  }
  const std::string& dir = snapshot ? dirs.snapshot : dirs.journal_only;
  double total_seconds = 0;
  journal::RecoveryReport report;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<Focus>> focus =
        Focus::Open(testing::SeededFocusOptions(), Durability(dir));
    const double seconds = SecondsSince(start);
    if (!focus.ok()) {
      state.SkipWithError(focus.status().ToString().c_str());
      break;
    }
    report = (*focus)->durable()->recovery();
    if (report.conferences != static_cast<size_t>(conferences)) {
      state.SkipWithError("recovery lost conferences");
      break;
    }
    state.SetIterationTime(seconds);
    total_seconds += seconds;
    // Closing is not timed.
  }
  if (state.error_occurred()) {
    return;
  }
  const double mean = total_seconds / static_cast<double>(state.iterations());
  state.counters["conferences_per_s"] = conferences / mean;
  state.counters["vs_1s_budget"] = mean / 1.0;
  double reading = 0;
  for (int i = 0; i < 3; ++i) {  // the best of three reads, files cached
    const double seconds = ReadFilesSeconds(dir);
    reading = i == 0 ? seconds : std::min(reading, seconds);
  }
  if (reading > 0) {
    state.counters["vs_reading_files"] = mean / reading;
  }
  state.counters["records_replayed"] =
      static_cast<double>(report.records_replayed);
  state.counters["records_skipped"] =
      static_cast<double>(report.records_skipped);
  state.counters["snapshot_conferences"] =
      static_cast<double>(report.snapshot_conferences);
}

void RegisterRecovery() {
  const int conferences = smoke ? 10 : 1000;
  const int users = smoke ? 5 : 100;
  benchmark::RegisterBenchmark("BM_Recovery", BM_Recovery)
      ->ArgNames({"conferences", "users", "snapshot"})
      ->Args({conferences, users, 0})
      ->Args({conferences, users, 1})
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime();
}

}  // namespace
}  // namespace focus
}  // namespace conf

int main(int argc, char** argv) {
  // --smoke: tiny sizes for the smoke test; removed before Benchmark parses
  // the flags.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      conf::focus::smoke = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  conf::focus::RegisterRecovery();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
