#include "tools/load/report.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace conf {
namespace load {
namespace {

constexpr double kPercentiles[] = {50, 90, 99, 99.9};

std::string Micros(int64_t ns) { return absl::StrFormat("%.1f", ns / 1e3); }

std::string MiB(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

void AppendHistogramRow(absl::string_view name, int64_t unexpected,
                        const LatencyHistogram& h, std::string* out) {
  absl::StrAppendFormat(out, "  %-28s %10d %10d", name, h.count(), unexpected);
  for (double p : kPercentiles) {
    absl::StrAppendFormat(out, " %9s", Micros(h.Percentile(p)));
  }
  absl::StrAppendFormat(out, " %9s\n", Micros(h.max()));
}

// Escapes `s` for a JSON string literal.
std::string Json(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string HistogramJson(const LatencyHistogram& h) {
  return absl::StrFormat(
      "{\"count\": %d, \"mean_ns\": %.0f, \"p50_ns\": %d, \"p90_ns\": %d, "
      "\"p99_ns\": %d, \"p999_ns\": %d, \"max_ns\": %d}",
      h.count(), h.Mean(), h.Percentile(50), h.Percentile(90), h.Percentile(99),
      h.Percentile(99.9), h.max());
}

// RSS growth over the run in bytes per second, by least squares over the
// timeline's samples (the first sample excluded: it includes set-up).
double RssSlope(const RunReport& report) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 1; i < report.timeline.size(); ++i) {
    const double x = report.timeline[i].t_seconds;
    const double y = static_cast<double>(report.timeline[i].rss_bytes);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double denominator = n * sxx - sx * sx;
  if (n < 2 || denominator == 0)
    return 0;
  return (n * sxy - sx * sy) / denominator;
}

std::string Seconds(int64_t ns) { return absl::StrFormat("%.1f s", ns / 1e9); }

std::string Percent(double share) {
  return absl::StrFormat("%.1f%%", 100 * share);
}

// The headline: what the throughput measures, how it held up, where the
// CPU went.
void AppendHeadline(const RunReport& report, std::string* out) {
  absl::StrAppendFormat(
      out,
      "  throughput: %d requests, %.0f/s, %d unexpected (the whole loop: the "
      "tool builds\n"
      "    each request, the focus answers it, the tool polls and checks "
      "every notification\n"
      "    it caused; the focus's share of the CPU is below)\n",
      report.requests, report.requests / std::max(report.elapsed_seconds, 1e-9),
      report.unexpected);
  auto first = report.counters.find("requests_per_second_first_window");
  auto last = report.counters.find("requests_per_second_last_window");
  auto window = report.counters.find("timeline_window_seconds");
  if (first != report.counters.end() && last != report.counters.end() &&
      window != report.counters.end() && first->second > 0) {
    const auto p99 = [&](const char* name) {
      auto it = report.counters.find(name);
      return it == report.counters.end() ? std::string("?")
                                         : Micros(it->second) + " us";
    };
    absl::StrAppendFormat(
        out, "  first %d s: %d/s, p99 %s; last %d s: %d/s (%+.1f%%), p99 %s\n",
        window->second, first->second, p99("p99_first_window_ns"),
        window->second, last->second,
        100.0 * (static_cast<double>(last->second) / first->second - 1),
        p99("p99_last_window_ns"));
    // Whether a change between the windows is the work's or the machine's:
    // requests per CPU-second of the process, and a fixed loop's CPU time.
    const auto counter = [&](const char* name) {
      auto it = report.counters.find(name);
      return it == report.counters.end() ? int64_t{0} : it->second;
    };
    const int64_t cpu_first = counter("requests_per_cpu_second_first_window");
    const int64_t cpu_last = counter("requests_per_cpu_second_last_window");
    const int64_t probe_first = counter("probe_ns_first_window");
    const int64_t probe_last = counter("probe_ns_last_window");
    const int64_t cores_first = counter("cpu_millicores_first_window");
    const int64_t cores_last = counter("cpu_millicores_last_window");
    const auto change = [](int64_t from, int64_t to) {
      return 100.0 * (static_cast<double>(to) / from - 1);
    };
    if (cpu_first > 0 && cpu_last > 0 && probe_first > 0 && probe_last > 0 &&
        cores_first > 0 && cores_last > 0) {
      // requests/s = requests per CPU-second x CPU-seconds per second.
      absl::StrAppendFormat(
          out,
          "    = per CPU-second %d, then %d (%+.1f%%) x CPU %.2f cores, then "
          "%.2f (%+.1f%%); a fixed loop took %s us, then %s us (%+.1f%%)\n",
          cpu_first, cpu_last, change(cpu_first, cpu_last), cores_first / 1e3,
          cores_last / 1e3, change(cores_first, cores_last),
          Micros(probe_first), Micros(probe_last),
          change(probe_first, probe_last));
    }
  }
  const CpuSplit cpu = SplitCpu(report);
  if (cpu.process_cpu_ns <= 0) {
    return;
  }
  std::string calls;
  const int64_t running = cpu.worker_wall_ns - cpu.worker_wait_ns;
  const double on_cpu =
      running > 0 ? std::min(1.0, static_cast<double>(cpu.worker_cpu_ns) /
                                      static_cast<double>(running))
                  : 0;
  for (const auto& [call, ns] : report.engine_ns_by_call) {
    absl::StrAppend(&calls, calls.empty() ? " (" : ", ", call, " ",
                    Percent(ns * on_cpu / cpu.process_cpu_ns));
  }
  if (!calls.empty()) {
    calls += ")";
  }
  absl::StrAppendFormat(
      out,
      "  CPU: %s over %.1f s (%.2f cores): the focus %s%s, the tool %s, "
      "other threads %s\n",
      Seconds(cpu.process_cpu_ns), report.elapsed_seconds,
      cpu.process_cpu_ns / 1e9 / std::max(report.elapsed_seconds, 1e-9),
      Percent(cpu.engine_share), calls, Percent(cpu.tool_share),
      Percent(cpu.other_share));
  std::string workers;
  for (const WorkerTimes& w : report.workers) {
    absl::StrAppend(&workers, workers.empty() ? "" : "; ", "CPU ",
                    Seconds(w.cpu_ns), " of ", Seconds(w.wall_ns),
                    ", inside the focus ", Seconds(w.engine_ns),
                    ", waiting for the tool's locks ", Seconds(w.wait_ns));
  }
  absl::StrAppendFormat(out, "  workers: %s\n", workers);
}

}  // namespace

CpuSplit SplitCpu(const RunReport& report) {
  CpuSplit split;
  split.process_cpu_ns = report.process_cpu_ns;
  for (const WorkerTimes& w : report.workers) {
    split.worker_cpu_ns += w.cpu_ns;
    split.worker_wall_ns += w.wall_ns;
    split.worker_wait_ns += w.wait_ns;
    split.engine_wall_ns += w.engine_ns;
    if (w.wall_ns > 0) {
      const double running = static_cast<double>(w.wall_ns - w.wait_ns);
      split.engine_cpu_ns +=
          static_cast<double>(w.engine_ns) *
          std::min(1.0, static_cast<double>(w.cpu_ns) / std::max(running, 1.0));
    }
  }
  if (split.process_cpu_ns > 0) {
    const double total = static_cast<double>(split.process_cpu_ns);
    split.engine_share = std::min(1.0, split.engine_cpu_ns / total);
    split.tool_share = std::max(
        0.0, std::min(1.0, split.worker_cpu_ns / total) - split.engine_share);
    split.other_share =
        std::max(0.0, 1.0 - split.engine_share - split.tool_share);
  }
  return split;
}

std::string FormatReportTable(absl::string_view scenario,
                              const RunReport& report) {
  std::string out;
  absl::StrAppendFormat(
      &out, "confstate-load: scenario %s, %d threads, %s, %.1f s\n", scenario,
      report.threads,
      report.rate_per_second > 0
          ? absl::StrFormat("open loop at %.0f/s", report.rate_per_second)
          : std::string("closed loop"),
      report.elapsed_seconds);
  AppendHeadline(report, &out);
  out += "\n";
  absl::StrAppendFormat(&out, "  %-28s %10s %10s %9s %9s %9s %9s %9s\n",
                        "latency (us)", "requests", "unexpected", "p50", "p90",
                        "p99", "p99.9", "max");
  for (const TypeReport& t : report.types) {
    if (t.latency.count() == 0)
      continue;
    AppendHistogramRow(t.name, t.unexpected, t.latency, &out);
  }
  AppendHistogramRow("all", report.unexpected, report.all_latency, &out);
  for (const auto& [name, h] : report.histograms) {
    AppendHistogramRow(name, 0, h, &out);
  }

  out += "\n  outcomes\n";
  for (const TypeReport& t : report.types) {
    for (const auto& [outcome, n] : t.outcomes) {
      absl::StrAppendFormat(&out, "  %-28s %-28s %10d\n", t.name, outcome, n);
    }
  }
  if (!report.counters.empty()) {
    out += "\n  counters\n";
    for (const auto& [name, n] : report.counters) {
      absl::StrAppendFormat(&out, "  %-57s %10d\n", name, n);
    }
  }
  absl::StrAppendFormat(
      &out,
      "\n  memory: rss %s at start, %s at end, peak %s, slope %.1f KiB/s\n",
      MiB(report.memory_start.rss_bytes), MiB(report.memory_end.rss_bytes),
      MiB(report.memory_end.peak_rss_bytes), RssSlope(report) / 1024.0);
  if (report.failures.empty()) {
    out += "  verification: passed\n";
  } else {
    absl::StrAppendFormat(&out, "  verification: FAILED (%d)\n",
                          report.failures.size());
    for (const std::string& f : report.failures) {
      absl::StrAppendFormat(&out, "    %s\n", f);
    }
  }
  return out;
}

std::string FormatReportJson(absl::string_view scenario,
                             const RunReport& report) {
  std::string out = "{\n";
  absl::StrAppendFormat(&out, "  \"scenario\": %s,\n", Json(scenario));
  absl::StrAppendFormat(&out, "  \"threads\": %d,\n", report.threads);
  absl::StrAppendFormat(&out, "  \"open_loop_rate\": %.3f,\n",
                        report.rate_per_second);
  absl::StrAppendFormat(&out, "  \"elapsed_seconds\": %.3f,\n",
                        report.elapsed_seconds);
  absl::StrAppendFormat(&out, "  \"requests\": %d,\n", report.requests);
  absl::StrAppendFormat(&out, "  \"unexpected\": %d,\n", report.unexpected);
  absl::StrAppendFormat(&out, "  \"latency\": %s,\n",
                        HistogramJson(report.all_latency));
  const CpuSplit cpu = SplitCpu(report);
  absl::StrAppendFormat(
      &out,
      "  \"cpu\": {\"process_ns\": %d, \"workers_ns\": %d, "
      "\"workers_wall_ns\": %d, \"workers_wait_ns\": %d, "
      "\"engine_wall_ns\": %d, "
      "\"engine_cpu_ns\": %.0f, \"engine_share\": %.4f, "
      "\"tool_share\": %.4f, \"other_share\": %.4f, \"engine_by_call_ns\": "
      "{",
      cpu.process_cpu_ns, cpu.worker_cpu_ns, cpu.worker_wall_ns,
      cpu.worker_wait_ns, cpu.engine_wall_ns, cpu.engine_cpu_ns,
      cpu.engine_share, cpu.tool_share, cpu.other_share);
  bool first_call = true;
  for (const auto& [call, ns] : report.engine_ns_by_call) {
    absl::StrAppendFormat(&out, "%s%s: %d", first_call ? "" : ", ", Json(call),
                          ns);
    first_call = false;
  }
  out += "}},\n";
  out += "  \"types\": [";
  for (size_t i = 0; i < report.types.size(); ++i) {
    const TypeReport& t = report.types[i];
    std::vector<std::string> outcomes;
    for (const auto& [outcome, n] : t.outcomes) {
      outcomes.push_back(absl::StrFormat("%s: %d", Json(outcome), n));
    }
    absl::StrAppendFormat(
        &out,
        "%s\n    {\"name\": %s, \"unexpected\": %d, \"latency\": %s, "
        "\"outcomes\": {%s}}",
        i == 0 ? "" : ",", Json(t.name), t.unexpected, HistogramJson(t.latency),
        absl::StrJoin(outcomes, ", "));
  }
  out += "\n  ],\n  \"histograms\": {";
  bool first = true;
  for (const auto& [name, h] : report.histograms) {
    absl::StrAppendFormat(&out, "%s\n    %s: %s", first ? "" : ",", Json(name),
                          HistogramJson(h));
    first = false;
  }
  out += "\n  },\n  \"counters\": {";
  first = true;
  for (const auto& [name, n] : report.counters) {
    absl::StrAppendFormat(&out, "%s\n    %s: %d", first ? "" : ",", Json(name),
                          n);
    first = false;
  }
  absl::StrAppendFormat(
      &out,
      "\n  },\n  \"memory\": {\"rss_start\": %d, \"rss_end\": %d, "
      "\"peak_rss\": %d, \"rss_slope_bytes_per_second\": %.1f},\n",
      report.memory_start.rss_bytes, report.memory_end.rss_bytes,
      report.memory_end.peak_rss_bytes, RssSlope(report));
  out += "  \"timeline\": [";
  for (size_t i = 0; i < report.timeline.size(); ++i) {
    const IntervalSample& s = report.timeline[i];
    absl::StrAppendFormat(
        &out,
        "%s\n    {\"t\": %.3f, \"requests\": %d, \"unexpected\": %d, "
        "\"p50_ns\": %d, \"p99_ns\": %d, \"max_ns\": %d, \"rss\": %d, "
        "\"engine_ns\": %d, \"process_cpu_ns\": %d, \"probe_ns\": %d",
        i == 0 ? "" : ",", s.t_seconds, s.requests, s.unexpected, s.p50_ns,
        s.p99_ns, s.max_ns, s.rss_bytes, s.engine_ns, s.process_cpu_ns,
        s.probe_ns);
    for (const auto& [name, value] : s.gauges) {
      absl::StrAppendFormat(&out, ", %s: %d", Json(name), value);
    }
    out += "}";
  }
  out += "\n  ],\n  \"failures\": [";
  for (size_t i = 0; i < report.failures.size(); ++i) {
    absl::StrAppendFormat(&out, "%s%s", i == 0 ? "" : ", ",
                          Json(report.failures[i]));
  }
  out += "]\n}\n";
  return out;
}

absl::Status WriteReportPlot(absl::string_view scenario,
                             const RunReport& report,
                             const std::string& png_path) {
  const std::string data_path = png_path + ".dat";
  {
    std::ofstream data(data_path);
    if (!data) {
      return absl::UnavailableError(
          absl::StrCat("plot: cannot write ", data_path));
    }
    double previous_t = 0;
    for (const IntervalSample& s : report.timeline) {
      const double span = std::max(s.t_seconds - previous_t, 1e-9);
      data << absl::StrFormat("%.3f %.3f %.3f %.3f %.1f\n", s.t_seconds,
                              s.p50_ns / 1e3, s.p99_ns / 1e3, s.max_ns / 1e3,
                              s.requests / span);
      previous_t = s.t_seconds;
    }
  }
  const std::string script = absl::StrFormat(
      "set terminal pngcairo size 1000,600 noenhanced\n"
      "set output '%s'\n"
      "set title 'confstate-load %s: latency and throughput'\n"
      "set xlabel 'seconds'\n"
      "set ylabel 'latency (us)'\n"
      "set logscale y\n"
      "set y2label 'requests/s'\n"
      "set y2tics\n"
      "set ytics nomirror\n"
      "set key outside bottom center horizontal\n"
      "plot '%s' using 1:2 with lines title 'p50', "
      "'' using 1:3 with lines title 'p99', "
      "'' using 1:4 with lines title 'max', "
      "'' using 1:5 axes x1y2 with lines lw 2 title 'requests/s'\n",
      png_path, scenario, data_path);
  FILE* gnuplot = popen("gnuplot 2>&1", "w");
  if (gnuplot == nullptr) {
    return absl::UnavailableError("plot: cannot run gnuplot");
  }
  std::fputs(script.c_str(), gnuplot);
  const int rc = pclose(gnuplot);
  std::remove(data_path.c_str());
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("plot: gnuplot exited with status ", rc));
  }
  return absl::OkStatus();
}

}  // namespace load
}  // namespace conf
