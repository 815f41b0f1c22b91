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

// The report as an aligned text table: totals, per-type percentiles
// (p50/p90/p99/p99.9/max), outcomes by reason, the scenario's counters and
// histograms, memory, and any verification failures.
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
