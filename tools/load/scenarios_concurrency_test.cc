// Two workers on few conferences, so that they often meet on one: requests
// to a conference are ordered, notifications are polled by whichever worker
// gets there, and every check still holds. Run under --config=tsan too.

#include <memory>

#include "absl/time/time.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"
#include "tools/load/runner.h"
#include "tools/load/scenarios.h"

namespace conf {
namespace load {
namespace {

using ::conf::testing::IsOk;

TEST(ScenariosConcurrencyTest, TwoWorkersOnTwoConferencesStayConsistent) {
  for (const char* name : {"mixed", "roster-churn", "join-storm"}) {
    SCOPED_TRACE(name);
    ScenarioOptions options;
    options.conferences = 2;
    options.users = 16;
    options.subscribers = 3;
    options.hostile_share = 0.05;
    options.threads = 2;
    auto scenario = LoadScenario::Create(name, options);
    ASSERT_THAT(scenario, IsOk());
    RunOptions run;
    run.threads = 2;
    run.duration = absl::ZeroDuration();
    run.max_requests = 4000;
    run.progress = ProgressMode::kOff;
    RunReport report = RunLoad(**scenario, run);
    (*scenario)->Finish(report);
    EXPECT_EQ(report.unexpected, 0);
    EXPECT_TRUE(report.failures.empty()) << report.failures[0];
    EXPECT_EQ(report.histograms["notification_lag"].count(),
              report.counters["notifications_delivered"]);
  }
}

}  // namespace
}  // namespace load
}  // namespace conf
