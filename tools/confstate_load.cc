// confstate-load: drives an embedded focus the way a busy focus cluster's
// clients would, verifies every response and every subscriber's roster, and
// reports throughput, latency, notifications and memory.
//
//   confstate-load --scenario=mixed --duration=20s
//   confstate-load --scenario=soak --rate=3000 --duration=10m --json=soak.json
//
// Exits 0 when every response was as expected and verification passed, 1
// when not, 2 on bad flags or a failed setup.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "tools/load/report.h"
#include "tools/load/runner.h"
#include "tools/load/scenarios.h"

ABSL_FLAG(std::string, scenario, "mixed",
          "getconference-flood, join-storm, roster-churn, mixed or soak");
// A string parsed with absl::ParseDuration rather than an absl::Duration
// flag: the latter's sequence lock does not build under GCC's TSan.
ABSL_FLAG(std::string, duration, "",
          "how long to run (e.g. 20s, 10m); default: the scenario's, or no "
          "time bound when --requests is set");
ABSL_FLAG(int64_t, requests, 0, "stop after this many requests (0: no bound)");
ABSL_FLAG(int, threads, 0, "worker threads (0: the scenario's, 2)");
ABSL_FLAG(double, rate, -1,
          "open loop: arrivals per second over all workers; 0 for closed "
          "loop; default: the scenario's");
ABSL_FLAG(int, conferences, 0, "conferences (0: the scenario's)");
ABSL_FLAG(int, users, 0, "users per conference (0: the scenario's)");
ABSL_FLAG(int, subscribers, 0,
          "subscriptions per conference (0: the "
          "scenario's)");
ABSL_FLAG(double, hostile_share, -1,
          "share of hostile requests in [0, 1] (default: the scenario's)");
ABSL_FLAG(std::string, json, "", "also write the report as JSON to this path");
ABSL_FLAG(std::string, plot, "",
          "also write a PNG of latency over time and throughput (gnuplot)");
ABSL_FLAG(uint64_t, seed, 1, "seed for every random choice");
ABSL_FLAG(std::string, state_dir, "",
          "run the focus durably in this (empty) state directory: every "
          "change is journaled and synced before its response");
ABSL_FLAG(bool, progress, true,
          "progress: a live line on a terminal, plain lines otherwise");

namespace conf {
namespace load {
namespace {

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "load-tests an embedded confstate focus; see --helpfull");
  absl::ParseCommandLine(argc, argv);

  const std::string name = absl::GetFlag(FLAGS_scenario);
  const ScenarioPreset* preset = FindScenario(name);
  if (preset == nullptr) {
    std::string names;
    for (const ScenarioPreset& p : ScenarioPresets())
      absl::StrAppend(&names, names.empty() ? "" : ", ", p.name);
    std::fprintf(stderr, "confstate-load: unknown scenario '%s' (one of %s)\n",
                 name.c_str(), names.c_str());
    return 2;
  }
  ScenarioOptions options = preset->options;
  if (absl::GetFlag(FLAGS_conferences) > 0)
    options.conferences = absl::GetFlag(FLAGS_conferences);
  if (absl::GetFlag(FLAGS_users) > 0)
    options.users = absl::GetFlag(FLAGS_users);
  if (absl::GetFlag(FLAGS_subscribers) > 0)
    options.subscribers = absl::GetFlag(FLAGS_subscribers);
  if (absl::GetFlag(FLAGS_hostile_share) >= 0)
    options.hostile_share = absl::GetFlag(FLAGS_hostile_share);
  if (absl::GetFlag(FLAGS_threads) > 0)
    options.threads = absl::GetFlag(FLAGS_threads);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.state_dir = absl::GetFlag(FLAGS_state_dir);

  RunOptions run;
  run.threads = options.threads;
  run.max_requests = absl::GetFlag(FLAGS_requests);
  run.duration = absl::ZeroDuration();
  if (const std::string d = absl::GetFlag(FLAGS_duration);
      !d.empty() && !absl::ParseDuration(d, &run.duration)) {
    std::fprintf(stderr,
                 "confstate-load: --duration=%s is not a duration (e.g. 20s, "
                 "10m)\n",
                 d.c_str());
    return 2;
  }
  if (run.duration <= absl::ZeroDuration() && run.max_requests <= 0)
    run.duration = preset->duration;
  if (run.max_requests < 0 || run.duration < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "confstate-load: --requests and --duration must not "
                 "be negative\n");
    return 2;
  }
  run.rate_per_second = absl::GetFlag(FLAGS_rate) >= 0
                            ? absl::GetFlag(FLAGS_rate)
                            : preset->rate_per_second;
  run.progress =
      absl::GetFlag(FLAGS_progress) ? ProgressMode::kAuto : ProgressMode::kOff;

  std::fprintf(
      stderr,
      "confstate-load: %s: %d conferences x %d users, %d "
      "subscriptions each, %d threads, %s, hostile share %.2f\n",
      name.c_str(), options.conferences, options.users, options.subscribers,
      options.threads,
      run.rate_per_second > 0
          ? absl::StrCat("open loop at ", run.rate_per_second, "/s").c_str()
          : "closed loop",
      options.hostile_share);
  absl::StatusOr<std::unique_ptr<LoadScenario>> scenario =
      LoadScenario::Create(name, options);
  if (!scenario.ok()) {
    std::fprintf(stderr, "confstate-load: %s\n",
                 std::string(scenario.status().message()).c_str());
    return 2;
  }
  RunReport report = RunLoad(**scenario, run);
  (*scenario)->Finish(report);
  AddTimelineFigures(report);

  std::fputs(FormatReportTable(name, report).c_str(), stdout);
  std::fflush(stdout);
  int exit_code = report.unexpected == 0 && report.failures.empty() ? 0 : 1;
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << FormatReportJson(name, report);
    if (!out.good()) {
      std::fprintf(stderr, "confstate-load: cannot write %s\n", path.c_str());
      exit_code = exit_code == 0 ? 2 : exit_code;
    }
  }
  if (const std::string path = absl::GetFlag(FLAGS_plot); !path.empty()) {
    absl::Status plotted = WriteReportPlot(name, report, path);
    if (!plotted.ok()) {
      std::fprintf(stderr, "confstate-load: plot: %s\n",
                   std::string(plotted.message()).c_str());
      exit_code = exit_code == 0 ? 2 : exit_code;
    }
  }
  if (exit_code == 1) {
    std::fprintf(stderr,
                 "confstate-load: FAILED: %lld unexpected responses, %zu "
                 "verification failures listed\n",
                 static_cast<long long>(report.unexpected),
                 report.failures.size());
  }
  return exit_code;
}

}  // namespace
}  // namespace load
}  // namespace conf

int main(int argc, char** argv) { return conf::load::Run(argc, argv); }
