// Renders a RunReport: a table for people, JSON for tools, and a PNG plot
// (latency over time and throughput) through gnuplot.

#ifndef CONF_TOOLS_LOAD_REPORT_H_
#define CONF_TOOLS_LOAD_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "tools/load/runner.h"

namespace conf {
namespace load {

// Where a run's CPU went. The engine's CPU is estimated from the wall time
// the workers spent inside it (OpResult::engine_ns), scaled per worker by
// the share of its running time it was on a CPU (its CPU time over its
// wall time less the time it waited for the tool's locks), since a thread
// descheduled inside the engine accrues wall time but no CPU time. Reading
// a thread's CPU clock around each call would cost a system call per call.
struct CpuSplit {
  int64_t process_cpu_ns = 0;  // every thread, over the run
  int64_t worker_cpu_ns = 0;   // the workers
  int64_t worker_wall_ns = 0;
  int64_t worker_wait_ns = 0;  // for the tool's locks
  int64_t engine_wall_ns = 0;  // inside the engine, wall clock
  double engine_cpu_ns = 0;    // inside the engine, estimated CPU
  // Shares of process_cpu_ns, in [0, 1]: the engine, the load tool's own
  // work on the workers, and the other threads (reporter, main).
  double engine_share = 0;
  double tool_share = 0;
  double other_share = 0;
};

CpuSplit SplitCpu(const RunReport& report);

// The report as an aligned text table. It opens with what the throughput
// measures, the first and last windows' throughput (counters
// `requests_per_second_first_window` / `_last_window`, when present), and
// where the CPU went (CpuSplit, with the engine's time by call); then
// per-type percentiles (p50/p90/p99/p99.9/max), outcomes by reason, the
// scenario's counters and histograms, memory, and any verification
// failures.
std::string FormatReportTable(absl::string_view scenario,
                              const RunReport& report);

// The same as one JSON object (durations in nanoseconds, memory in bytes).
std::string FormatReportJson(absl::string_view scenario,
                             const RunReport& report);

// Writes a PNG at `png_path` with p50/p99/max latency over time and the
// request rate, by piping a script to `gnuplot`. Returns kUnavailable if
// gnuplot cannot be run and kInternal if it fails.
absl::Status WriteReportPlot(absl::string_view scenario,
                             const RunReport& report,
                             const std::string& png_path);

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_REPORT_H_
