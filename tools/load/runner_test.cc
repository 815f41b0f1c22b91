#include "tools/load/runner.h"

#include <atomic>
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

}  // namespace
}  // namespace load
}  // namespace conf
