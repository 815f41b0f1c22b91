#include "tools/load/runner.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tools/load/report.h"

namespace conf {
namespace load {
namespace {

using ::testing::HasSubstr;

// Every third operation is "bad" and reported as an unexpected failure.
class CountingWorkload : public Workload {
 public:
  std::vector<std::string> OpTypes() const override { return {"good", "bad"}; }

  OpResult RunOne(int worker) override {
    const int n = calls_.fetch_add(1);
    per_worker_[worker].fetch_add(1);
    OpResult r;
    if (n % 3 == 2) {
      r.type = 1;
      r.as_expected = false;
      r.outcome = "otherFailure";
    }
    return r;
  }

  int calls() const { return calls_.load(); }
  int per_worker(int w) const { return per_worker_[w].load(); }

 private:
  std::atomic<int> calls_{0};
  std::atomic<int> per_worker_[2] = {};
};

RunOptions CountBound(int64_t n) {
  RunOptions options;
  options.threads = 2;
  options.duration = absl::ZeroDuration();
  options.max_requests = n;
  options.progress = ProgressMode::kOff;
  return options;
}

TEST(RunLoadTest, IssuesExactlyTheRequestedCountAcrossWorkers) {
  CountingWorkload workload;
  const RunReport report = RunLoad(workload, CountBound(3000));
  EXPECT_EQ(workload.calls(), 3000);
  EXPECT_EQ(report.requests, 3000);
  EXPECT_EQ(report.types[0].latency.count() + report.types[1].latency.count(),
            3000);
  EXPECT_EQ(report.unexpected, 1000);
  EXPECT_EQ(report.types[1].outcomes.at("otherFailure"), 1000);
  EXPECT_EQ(report.types[0].outcomes.at("success"), 2000);
  EXPECT_EQ(workload.per_worker(0) + workload.per_worker(1), 3000);
  EXPECT_FALSE(report.timeline.empty());
  int64_t timeline_total = 0;
  for (const IntervalSample& s : report.timeline)
    timeline_total += s.requests;
  EXPECT_EQ(timeline_total, 3000);
}

TEST(RunLoadTest, OpenLoopHonoursTheCountBound) {
  CountingWorkload workload;
  RunOptions options = CountBound(200);
  options.rate_per_second = 1e6;  // fast enough to finish at once
  const RunReport report = RunLoad(workload, options);
  EXPECT_EQ(report.requests, 200);
  EXPECT_EQ(report.rate_per_second, 1e6);
}

TEST(ReportTest, TableAndJsonCarryTypesOutcomesAndFailures) {
  CountingWorkload workload;
  RunReport report = RunLoad(workload, CountBound(30));
  report.counters["notifications delivered"] = 42;
  report.failures.push_back("subscriber 3: roster differs");
  const std::string table = FormatReportTable("mixed", report);
  EXPECT_THAT(table, HasSubstr("scenario mixed"));
  EXPECT_THAT(table, HasSubstr("good"));
  EXPECT_THAT(table, HasSubstr("otherFailure"));
  EXPECT_THAT(table, HasSubstr("notifications delivered"));
  EXPECT_THAT(table, HasSubstr("verification: FAILED (1)"));
  const std::string json = FormatReportJson("mixed", report);
  EXPECT_THAT(json, HasSubstr("\"requests\": 30"));
  EXPECT_THAT(json, HasSubstr("\"otherFailure\": 10"));
  EXPECT_THAT(json, HasSubstr("\"notifications delivered\": 42"));
  EXPECT_THAT(json,
              HasSubstr("\"failures\": [\"subscriber 3: roster differs\"]"));
}

TEST(RunLoadTest, ReportsTimeInsideTheEngineAndCpu) {
  // Each operation says it spent 1 us inside the engine.
  class EngineWorkload : public CountingWorkload {
   public:
    OpResult RunOne(int worker) override {
      OpResult r = CountingWorkload::RunOne(worker);
      r.engine_ns = 1000;
      return r;
    }
    std::map<std::string, int64_t> Gauges() override {
      return {{"calls", calls()}};
    }
  } workload;
  const RunReport report = RunLoad(workload, CountBound(3000));
  ASSERT_EQ(report.workers.size(), 2u);
  EXPECT_EQ(report.workers[0].engine_ns + report.workers[1].engine_ns,
            3000 * 1000);
  EXPECT_GT(report.workers[0].wall_ns, 0);
  int64_t interval_engine_ns = 0;
  for (const IntervalSample& s : report.timeline)
    interval_engine_ns += s.engine_ns;
  EXPECT_EQ(interval_engine_ns, 3000 * 1000);
  // Each point records the workload's gauges at its end, and the machine
  // probe's time.
  EXPECT_EQ(report.timeline.back().gauges.at("calls"), 3000);
  for (const IntervalSample& s : report.timeline)
    EXPECT_GT(s.probe_ns, 0);
}

TEST(ReportTest, SplitsCpuBetweenEngineToolAndOtherThreads) {
  RunReport report;
  report.process_cpu_ns = 12'000'000'000;
  // Two workers, each on a CPU half of its 10 s, 4 s of them inside the
  // engine: 2 s of engine CPU each.
  report.workers = {{10'000'000'000, 5'000'000'000, 4'000'000'000},
                    {10'000'000'000, 5'000'000'000, 4'000'000'000}};
  const CpuSplit split = SplitCpu(report);
  EXPECT_DOUBLE_EQ(split.engine_cpu_ns, 4e9);
  EXPECT_NEAR(split.engine_share, 4.0 / 12, 1e-9);
  EXPECT_NEAR(split.tool_share, 6.0 / 12, 1e-9);
  EXPECT_NEAR(split.other_share, 2.0 / 12, 1e-9);

  report.elapsed_seconds = 10;
  report.requests = 1000;
  report.engine_ns_by_call = {{"HandleRequest", 6'000'000'000},
                              {"Poll", 2'000'000'000}};
  report.counters = {{"requests_per_second_first_window", 100},
                     {"requests_per_second_last_window", 90},
                     {"timeline_window_seconds", 2},
                     {"requests_per_cpu_second_first_window", 200},
                     {"requests_per_cpu_second_last_window", 150},
                     {"probe_ns_first_window", 100'000},
                     {"probe_ns_last_window", 125'000},
                     {"cpu_millicores_first_window", 1'000},
                     {"cpu_millicores_last_window", 1'200}};
  const std::string table = FormatReportTable("mixed", report);
  EXPECT_THAT(table, HasSubstr("1000 requests, 100/s"));
  EXPECT_THAT(table, HasSubstr("first 2 s: 100/s"));
  EXPECT_THAT(table, HasSubstr("last 2 s: 90/s (-10.0%)"));
  EXPECT_THAT(table, HasSubstr("= per CPU-second 200, then 150 (-25.0%) x "
                               "CPU 1.00 cores, then 1.20 (+20.0%); a fixed "
                               "loop took 100.0 us, then 125.0 us (+25.0%)"));
  EXPECT_THAT(table, HasSubstr("the focus 33.3% (HandleRequest 25.0%, "
                               "Poll 8.3%), the tool 50.0%, other threads "
                               "16.7%"));
  EXPECT_THAT(FormatReportJson("mixed", report),
              HasSubstr("\"engine_share\": 0.3333"));
}

}  // namespace
}  // namespace load
}  // namespace conf
