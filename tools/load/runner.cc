#include "tools/load/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstdio>
#include <memory>
#include <thread>  // NOLINT(build/c++11)
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"

#include "base/check.h"
#include "base/mutex.h"

namespace conf {
namespace load {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NanosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// What one worker has recorded. The worker locks it per operation (an
// uncontended lock, ~20 ns against operations of microseconds); the reporter
// locks it once per interval.
struct WorkerStats {
  explicit WorkerStats(size_t types) : totals(types), outcomes(types) {}

  Mutex mu;
  std::vector<TypeReport> totals ABSL_GUARDED_BY(mu);
  // Per type, outcome -> count, keyed by the OpResult's view (static
  // storage), so that counting allocates nothing.
  std::vector<absl::flat_hash_map<absl::string_view, int64_t>> outcomes
      ABSL_GUARDED_BY(mu);
  LatencyHistogram interval ABSL_GUARDED_BY(mu);
  int64_t interval_unexpected ABSL_GUARDED_BY(mu) = 0;
  int64_t interval_engine_ns ABSL_GUARDED_BY(mu) = 0;
  WorkerTimes times ABSL_GUARDED_BY(mu);
};

std::string FormatNanos(int64_t ns) {
  if (ns < 10'000)
    return absl::StrFormat("%d ns", ns);
  if (ns < 10'000'000)
    return absl::StrFormat("%.1f us", ns / 1e3);
  return absl::StrFormat("%.1f ms", ns / 1e6);
}

// The progress line after interval `tick`: redrawn in place (kLive) or
// printed every fifth interval (kLines).
void PrintProgress(ProgressMode progress, int tick,
                   const IntervalSample& sample, int64_t done,
                   int64_t unexpected, int64_t p99_ns) {
  const std::string line = absl::StrFormat(
      "%7.1f s %12d requests %10.0f/s  unexpected %d  p99 %s  rss %d MiB",
      sample.t_seconds, done, done / std::max(sample.t_seconds, 1e-9),
      unexpected, FormatNanos(p99_ns), sample.rss_bytes >> 20);
  if (progress == ProgressMode::kLive) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else if (progress == ProgressMode::kLines && tick % 5 == 0) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

// Takes what the workers recorded since the last interval, and resets it.
void TakeInterval(const std::vector<std::unique_ptr<WorkerStats>>& stats,
                  LatencyHistogram* merged, int64_t* unexpected,
                  int64_t* engine_ns) {
  for (const auto& s : stats) {
    MutexLock lock(&s->mu);
    merged->Merge(s->interval);
    *unexpected += s->interval_unexpected;
    *engine_ns += s->interval_engine_ns;
    s->interval.Reset();
    s->interval_unexpected = 0;
    s->interval_engine_ns = 0;
  }
}

// The timeline point for the interval that ends now: what the workers
// recorded since the last one (merged into `*merged`), the process's CPU
// since `*process_cpu_sampled` (advanced), the workload's gauges, RSS and
// the machine probe.
IntervalSample TakeSample(
    const std::vector<std::unique_ptr<WorkerStats>>& stats, Workload& workload,
    Clock::time_point start, int64_t* process_cpu_sampled,
    LatencyHistogram* merged) {
  IntervalSample sample;
  TakeInterval(stats, merged, &sample.unexpected, &sample.engine_ns);
  const int64_t process_cpu = ProcessCpuNanos();
  sample.t_seconds = NanosBetween(start, Clock::now()) / 1e9;
  sample.requests = merged->count();
  sample.p50_ns = merged->Percentile(50);
  sample.p99_ns = merged->Percentile(99);
  sample.max_ns = merged->max();
  sample.gauges = workload.Gauges();
  sample.process_cpu_ns = process_cpu - *process_cpu_sampled;
  *process_cpu_sampled = process_cpu;
  // After the process's CPU is read, so that the probe's own time counts
  // in the next interval, where it is a fraction of a millisecond.
  sample.probe_ns = MachineProbeNanos();
  if (auto m = ReadMemoryStats(); m.ok())
    sample.rss_bytes = m->rss_bytes;
  return sample;
}

// The run's totals per operation type and per worker, from every worker.
void MergeTotals(const std::vector<std::unique_ptr<WorkerStats>>& stats,
                 const std::vector<std::string>& type_names,
                 RunReport* report) {
  report->types.resize(type_names.size());
  for (size_t i = 0; i < type_names.size(); ++i) {
    report->types[i].name = type_names[i];
  }
  for (const auto& s : stats) {
    MutexLock lock(&s->mu);
    for (size_t i = 0; i < type_names.size(); ++i) {
      TypeReport& into = report->types[i];
      const TypeReport& from = s->totals[i];
      into.latency.Merge(from.latency);
      into.unexpected += from.unexpected;
      for (const auto& [outcome, n] : s->outcomes[i])
        into.outcomes[std::string(outcome)] += n;
    }
    report->workers.push_back(s->times);
  }
  for (const TypeReport& t : report->types) {
    report->all_latency.Merge(t.latency);
    report->unexpected += t.unexpected;
  }
  report->requests = report->all_latency.count();
}

}  // namespace

RunReport RunLoad(Workload& workload, const RunOptions& options) {
  CONF_CHECK(options.threads >= 1);
  CONF_CHECK(options.duration > absl::ZeroDuration() ||
             options.max_requests > 0);
  const std::vector<std::string> type_names = workload.OpTypes();
  CONF_CHECK(!type_names.empty());

  RunReport report;
  report.threads = options.threads;
  report.rate_per_second = options.rate_per_second;
  if (auto m = ReadMemoryStats(); m.ok())
    report.memory_start = *m;
  const int64_t process_cpu_start = ProcessCpuNanos();
  int64_t process_cpu_sampled = process_cpu_start;

  std::vector<std::unique_ptr<WorkerStats>> stats;
  for (int w = 0; w < options.threads; ++w) {
    stats.push_back(std::make_unique<WorkerStats>(type_names.size()));
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> issued{0};
  std::atomic<int> running{options.threads};
  const Clock::time_point start = Clock::now();
  const bool open_loop = options.rate_per_second > 0;

  auto worker_main = [&](int w) {
    WorkerStats& mine = *stats[w];
    const Clock::time_point worker_start = Clock::now();
    const int64_t cpu_start = ThreadCpuNanos();
    for (int64_t k = 0; !stop.load(std::memory_order_relaxed); ++k) {
      if (options.max_requests > 0 &&
          issued.fetch_add(1, std::memory_order_relaxed) >=
              options.max_requests) {
        break;
      }
      Clock::time_point t0 = Clock::now();
      if (open_loop) {
        const double arrival = static_cast<double>(k * options.threads + w) /
                               options.rate_per_second;
        const Clock::time_point scheduled =
            start + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(arrival));
        if (scheduled > t0)
          std::this_thread::sleep_until(scheduled);
        if (stop.load(std::memory_order_relaxed))
          break;
        t0 = scheduled;  // latency includes time spent queued behind us
      }
      const OpResult result = workload.RunOne(w);
      const int64_t ns = NanosBetween(t0, Clock::now());
      MutexLock lock(&mine.mu);
      TypeReport& type = mine.totals[result.type];
      type.latency.Record(ns);
      ++mine.outcomes[result.type][result.outcome];
      mine.interval.Record(ns);
      mine.interval_engine_ns += result.engine_ns;
      mine.times.engine_ns += result.engine_ns;
      mine.times.wait_ns += result.wait_ns;
      if (!result.as_expected) {
        ++type.unexpected;
        ++mine.interval_unexpected;
      }
    }
    {
      MutexLock lock(&mine.mu);
      mine.times.cpu_ns = ThreadCpuNanos() - cpu_start;
      mine.times.wall_ns = NanosBetween(worker_start, Clock::now());
    }
    running.fetch_sub(1);
  };

  std::vector<std::thread> workers;
  workers.reserve(options.threads);
  for (int w = 0; w < options.threads; ++w)
    workers.emplace_back(worker_main, w);

  ProgressMode progress = options.progress;
  if (progress == ProgressMode::kAuto) {
    progress =
        isatty(STDERR_FILENO) ? ProgressMode::kLive : ProgressMode::kLines;
  }
  const auto interval = absl::ToChronoNanoseconds(options.interval);
  const auto deadline =
      options.duration > absl::ZeroDuration()
          ? start + absl::ToChronoNanoseconds(options.duration)
          : Clock::time_point::max();
  int64_t done = 0;
  int64_t unexpected = 0;
  LatencyHistogram so_far;
  for (int tick = 1;; ++tick) {
    Clock::time_point next = start + tick * interval;
    if (next > deadline)
      next = deadline;
    // Wake early when every worker has stopped (count bound reached).
    while (Clock::now() < next && running.load() > 0) {
      std::this_thread::sleep_for(std::min<Clock::duration>(
          next - Clock::now(), std::chrono::milliseconds(20)));
    }
    if (Clock::now() >= deadline) {
      stop.store(true);
      // Let the workers finish their last operation, so that this sample is
      // the last and holds everything.
      while (running.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    // Read before merging: once every worker has stopped, this merge takes
    // everything they recorded and is the last.
    const bool finished = running.load() == 0;
    LatencyHistogram merged;
    IntervalSample sample =
        TakeSample(stats, workload, start, &process_cpu_sampled, &merged);
    so_far.Merge(merged);
    done += merged.count();
    unexpected += sample.unexpected;
    report.timeline.push_back(sample);

    PrintProgress(progress, tick, sample, done, unexpected,
                  so_far.Percentile(99));
    if (finished)
      break;
  }
  for (std::thread& t : workers)
    t.join();
  if (progress == ProgressMode::kLive)
    std::fputc('\n', stderr);

  report.elapsed_seconds = NanosBetween(start, Clock::now()) / 1e9;
  report.process_cpu_ns = ProcessCpuNanos() - process_cpu_start;
  MergeTotals(stats, type_names, &report);
  if (auto m = ReadMemoryStats(); m.ok())
    report.memory_end = *m;
  return report;
}

}  // namespace load
}  // namespace conf
