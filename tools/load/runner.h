// The load-test runner: drives a Workload from N worker threads, closed loop
// (as fast as possible) or open loop (a fixed arrival rate, so queueing shows
// in latency), bounded by a duration and/or a request count, and collects
// per-type latency histograms, outcome counts, a per-interval timeline and
// memory figures for the report.
//
// Open loop follows the "coordinated omission" rule: each request has a
// scheduled start time (worker w takes arrivals w, w + N, w + 2N, ... of a
// uniform schedule at `rate_per_second`), and its latency is measured from
// that time, so a stalled engine shows up as latency rather than as fewer
// requests.
//
// Where the time goes: each operation reports the time it spent inside the
// system under test (OpResult::engine_ns); the runner adds it up per worker
// and per interval, and reads each worker's CPU time (at its start and end)
// and the process's, so the report can say how much of the run's CPU the
// system under test used and how much the load tool itself.
//
// Thread-safety: RunLoad() is called once at a time; it calls
// Workload::RunOne concurrently from `threads` workers.

#ifndef CONF_TOOLS_LOAD_RUNNER_H_
#define CONF_TOOLS_LOAD_RUNNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "tools/load/latency_histogram.h"
#include "tools/load/process_stats.h"

namespace conf {
namespace load {

// What one operation did, as the workload judged it.
struct OpResult {
  // Index into Workload::OpTypes().
  int type = 0;
  // True when the response was what the workload expected (success for a
  // valid request, the specific failure for a hostile or invalid one).
  bool as_expected = true;
  // The response's outcome: "success" or the C3P failure reason. Must point
  // to storage that outlives the run (a string literal or a static table).
  absl::string_view outcome = "success";
  // Wall-clock time the operation spent inside the system under test (its
  // calls into the engine), in nanoseconds; the rest of the operation is
  // the load tool's own work, or waiting for the tool's own locks:
  int64_t engine_ns = 0;
  // Wall-clock time it waited for a lock of the load tool (running
  // neither the tool nor the engine), in nanoseconds.
  int64_t wait_ns = 0;
};

class Workload {
 public:
  virtual ~Workload() = default;

  // The names of the operation types, indexed by OpResult::type.
  virtual std::vector<std::string> OpTypes() const = 0;

  // Runs one operation for worker `worker` (0 <= worker < threads). Called
  // concurrently from every worker.
  virtual OpResult RunOne(int worker) = 0;

  // Figures of the system's state (e.g. users in rosters) that the runner
  // records with each timeline point, so that a change of throughput over a
  // run can be set against them. Called once per interval from the
  // reporting thread, concurrently with RunOne.
  virtual std::map<std::string, int64_t> Gauges() { return {}; }
};

enum class ProgressMode {
  kAuto,  // a live line on a terminal, plain lines otherwise
  kLive,
  kLines,
  kOff,
};

struct RunOptions {
  int threads = 2;
  // The run ends at whichever bound comes first; at least one must be set.
  absl::Duration duration = absl::Seconds(10);
  int64_t max_requests = 0;  // 0: no count bound
  // Arrivals per second over all workers; 0 means closed loop.
  double rate_per_second = 0;
  ProgressMode progress = ProgressMode::kAuto;
  // Timeline resolution (and progress cadence on a terminal).
  absl::Duration interval = absl::Seconds(1);
};

struct TypeReport {
  std::string name;
  LatencyHistogram latency;
  int64_t unexpected = 0;
  // Outcome ("success" or reason) -> count.
  std::map<std::string, int64_t> outcomes;
};

// One timeline point, covering (t - interval, t].
struct IntervalSample {
  double t_seconds = 0;
  int64_t requests = 0;
  int64_t unexpected = 0;
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
  int64_t rss_bytes = 0;
  // Time inside the system under test over all workers, and the process's
  // CPU time, in the interval.
  int64_t engine_ns = 0;
  int64_t process_cpu_ns = 0;
  // MachineProbeNanos() on the reporting thread at the end of the interval.
  int64_t probe_ns = 0;
  // Workload::Gauges() at the end of the interval.
  std::map<std::string, int64_t> gauges;
};

// One worker's times over the run.
struct WorkerTimes {
  int64_t wall_ns = 0;    // from its first operation to its exit
  int64_t cpu_ns = 0;     // CLOCK_THREAD_CPUTIME_ID over the same span
  int64_t engine_ns = 0;  // the sum of its operations' engine_ns
  int64_t wait_ns = 0;    // the sum of its operations' wait_ns
};

struct RunReport {
  double elapsed_seconds = 0;
  int64_t requests = 0;
  int64_t unexpected = 0;
  double rate_per_second = 0;  // the configured open-loop rate, 0 if closed
  int threads = 0;
  std::vector<TypeReport> types;
  LatencyHistogram all_latency;
  std::vector<IntervalSample> timeline;
  MemoryStats memory_start;
  MemoryStats memory_end;
  std::vector<WorkerTimes> workers;
  // The process's CPU time (user + system, every thread) over the run.
  int64_t process_cpu_ns = 0;
  // Filled by the scenario: time inside the system under test by call
  // ("HandleRequest", "Poll", ...), summed over workers. Their sum need not
  // equal the workers' engine_ns exactly (set-up and final checks are left
  // out of both).
  std::map<std::string, int64_t> engine_ns_by_call;
  // Filled by the scenario after the run: named counters and histograms
  // (notifications delivered, notification lag, verification failures...).
  std::map<std::string, int64_t> counters;
  std::map<std::string, LatencyHistogram> histograms;
  // Human-readable verification failures; any entry fails the run.
  std::vector<std::string> failures;
};

// Runs `workload` as `options` say. `options.threads` must be >= 1 and one of
// duration / max_requests must be positive (checked by the caller's flag
// parsing; violating it is a programming error).
RunReport RunLoad(Workload& workload, const RunOptions& options);

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_RUNNER_H_
