#include "tools/load/scenarios.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/conference_info.h"
#include "engine/model.h"
#include "testing/sample_users.h"
#include "testing/status_matchers.h"
#include "tools/load/runner.h"

namespace conf {
namespace load {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::Contains;
using ::testing::Gt;
using ::testing::HasSubstr;

ScenarioOptions Small(double hostile_share = 0) {
  ScenarioOptions options;
  options.conferences = 3;
  options.users = 12;
  options.subscribers = 3;
  options.hostile_share = hostile_share;
  options.threads = 1;
  options.seed = 42;
  return options;
}

// Runs `n` operations on worker 0, as the runner would.
RunReport RunWithoutFinish(LoadScenario& scenario, int n) {
  RunReport report;
  const std::vector<std::string> types = scenario.OpTypes();
  report.types.resize(types.size());
  for (int i = 0; i < n; ++i) {
    const OpResult r = scenario.RunOne(0);
    EXPECT_GE(r.type, 0);
    EXPECT_LT(r.type, static_cast<int>(types.size()));
    TypeReport& t = report.types[r.type];
    t.name = types[r.type];
    ++t.outcomes[std::string(r.outcome)];
    ++report.requests;
    if (!r.as_expected) {
      ++report.unexpected;
      ADD_FAILURE() << types[r.type] << " gave " << r.outcome;
    }
  }
  return report;
}

// The same, then finishes.
RunReport RunSerially(LoadScenario& scenario, int n) {
  RunReport report = RunWithoutFinish(scenario, n);
  scenario.Finish(report);
  return report;
}

TEST(ScenariosTest, EveryPresetIsFound) {
  for (const ScenarioPreset& p : ScenarioPresets()) {
    ASSERT_NE(FindScenario(p.name), nullptr) << p.name;
    EXPECT_EQ(FindScenario(p.name)->name, std::string(p.name));
  }
  EXPECT_EQ(FindScenario("nope"), nullptr);
  EXPECT_GT(FindScenario("soak")->rate_per_second, 0);
}

TEST(ScenariosTest, RejectsUnknownNamesAndBadOptions) {
  EXPECT_THAT(LoadScenario::Create("nope", Small()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ScenarioOptions few_users = Small();
  few_users.users = 3;
  EXPECT_THAT(LoadScenario::Create("mixed", few_users),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ScenarioOptions bad_share = Small(1.5);
  EXPECT_THAT(LoadScenario::Create("mixed", bad_share),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ScenariosTest, RosterChurnVerifiesEverySubscriber) {
  auto scenario = LoadScenario::Create("roster-churn", Small());
  ASSERT_THAT(scenario, IsOk());
  RunReport report = RunSerially(**scenario, 600);
  EXPECT_TRUE(report.failures.empty()) << report.failures[0];
  EXPECT_EQ(report.counters["verification_failures"], 0);
  EXPECT_EQ(report.counters["subscriptions"], 9);
  // Every mutation reaches the organizer's and the stayers' subscriptions.
  EXPECT_THAT(report.counters["notifications_delivered"], Gt(600));
  EXPECT_EQ(report.histograms["notification_lag"].count(),
            report.counters["notifications_delivered"]);
}

TEST(ScenariosTest, HostileRequestsGetTheirSpecificAnswers) {
  auto scenario = LoadScenario::Create("mixed", Small(/*hostile_share=*/1));
  ASSERT_THAT(scenario, IsOk());
  RunReport report = RunSerially(**scenario, 300);
  EXPECT_TRUE(report.failures.empty()) << report.failures[0];
  EXPECT_EQ(report.counters["hostile_requests"], 300);
  // Nothing changed, so nothing was notified.
  EXPECT_EQ(report.counters["notifications_delivered"], 0);
  std::vector<std::string> outcomes;
  for (const TypeReport& t : report.types) {
    for (const auto& [outcome, count] : t.outcomes)
      outcomes.push_back(outcome);
  }
  EXPECT_THAT(outcomes, Contains("unauthorized"));
  EXPECT_THAT(outcomes, Contains("notSupported"));
  EXPECT_THAT(outcomes, Contains("status:resource_exhausted"));
  EXPECT_THAT(outcomes, Contains("status:invalid_argument"));
}

TEST(ScenariosTest, JoinStormAndFloodStayConsistent) {
  for (const char* name : {"join-storm", "getconference-flood", "mixed"}) {
    auto scenario = LoadScenario::Create(name, Small(0.1));
    ASSERT_THAT(scenario, IsOk()) << name;
    RunReport report = RunSerially(**scenario, 300);
    EXPECT_TRUE(report.failures.empty()) << name << ": " << report.failures[0];
  }
}

// A wrong notification reaching a subscriber fails the run, whatever is
// wrong with it. Subscription 0 is the organizer's (a leader's view).
TEST(ScenariosTest, AWrongNotificationFailsTheRun) {
  const engine::ConferenceId conference(
      "sip:c0u0@load.example.com;gruu;"
      "opaque=app:conf:focus:id:LOAD0");
  codec::Viewer leader;
  leader.user = engine::UserId("sip:c0u0@load.example.com");
  leader.role = engine::ViewerRole::kLeader;
  auto document = [&](uint64_t version, engine::UserChange change) {
    engine::ConferenceDelta delta;
    delta.conference = conference;
    delta.version = version;
    delta.users.push_back(std::move(change));
    return *codec::EncodeConferenceInfoDelta(delta, leader);
  };
  const auto organizer =
      std::make_shared<const engine::User>(testing::UserWithAudio(
          "sip:c0u0@load.example.com", engine::Role::kOrganizer));
  const auto nobody =
      std::make_shared<const engine::User>(testing::UserWithAudio(
          "sip:nobody@load.example.com", engine::Role::kAttendee));
  struct Case {
    const char* name;
    codec::EncodedDocument document;
    const char* failure;
  };
  const Case kCases[] = {
      {"stale",
       document(1, {engine::UserList::kRoster,
                    engine::ChangeKind::kFull,
                    organizer->entity,
                    organizer,
                    {}}),
       "conference version 1 after"},
      {"missing user",
       document(1u << 30, {engine::UserList::kRoster,
                           engine::ChangeKind::kDeleted,
                           nobody->entity,
                           nullptr,
                           {}}),
       "sip:nobody@load.example.com"},
      {"user in the wrong state",
       document(1u << 30, {engine::UserList::kLobby,
                           engine::ChangeKind::kFull,
                           organizer->entity,
                           organizer,
                           {}}),
       "in users and in the lobby at once"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto scenario = LoadScenario::Create("roster-churn", Small());
    ASSERT_THAT(scenario, IsOk());
    RunReport report = RunWithoutFinish(**scenario, 100);
    (*scenario)->AcceptForTest(0, 0, c.document);
    (*scenario)->Finish(report);
    EXPECT_GE(report.counters["verification_failures"], 1);
    EXPECT_THAT(report.failures, Contains(HasSubstr(c.failure)));
  }
}

// Set-up joins the share of members that a run settles at, so rosters do
// not grow (and the run slow down) while it measures. In `mixed`, about 69%
// of the members who come and go are present at any time.
TEST(ScenariosTest, RostersStartAtTheirSteadyState) {
  ScenarioOptions options = Small();
  options.users = 203;  // 3 stayers and 200 who come and go
  auto scenario = LoadScenario::Create("mixed", options);
  ASSERT_THAT(scenario, IsOk());
  const int64_t at_start = (*scenario)->Gauges()["roster_users"];
  // 3 conferences x (3 + 200 x 0.692), give or take three deviations.
  EXPECT_GT(at_start, 3 * 141 - 35);
  EXPECT_LT(at_start, 3 * 141 + 35);
  RunReport report = RunWithoutFinish(**scenario, 6000);
  const int64_t later = (*scenario)->Gauges()["roster_users"];
  EXPECT_GT(later, 3 * 141 - 45);
  EXPECT_LT(later, 3 * 141 + 45);
  (*scenario)->Finish(report);
  EXPECT_TRUE(report.failures.empty()) << report.failures[0];
}

TEST(TimelineFiguresTest, ThroughputOverTheFirstAndLastWindows) {
  RunReport report;
  // Eight one-second intervals, two of them sampled late; 100 and 60
  // requests in the first two, 50 in each later one.
  for (int i = 1; i <= 8; ++i) {
    IntervalSample s;
    s.t_seconds = i == 2 || i == 8 ? i + 0.01 : i;
    s.requests = i == 1 ? 100 : (i == 2 ? 60 : 50);
    report.timeline.push_back(s);
  }
  AddTimelineFigures(report);
  EXPECT_EQ(report.counters["timeline_window_seconds"], 2);
  // 160 requests in 2.01 s; 100 in 2.01 s.
  EXPECT_EQ(report.counters["requests_per_second_first_window"], 79);
  EXPECT_EQ(report.counters["requests_per_second_last_window"], 49);
}

TEST(TimelineFiguresTest, WorkPerCpuSecondAndTheMachineProbe) {
  RunReport report;
  // Eight one-second intervals: the first two do 100 requests per 10 ms of
  // CPU with a probe of 1.0 us, the last two 50 per 20 ms with a probe of
  // 1.5 and 2.5 us.
  for (int i = 1; i <= 8; ++i) {
    IntervalSample s;
    s.t_seconds = i;
    s.requests = i <= 2 ? 100 : 50;
    s.process_cpu_ns = i >= 7 ? 20'000'000 : 10'000'000;
    s.probe_ns = i <= 2 ? 1000 : (i == 7 ? 1500 : (i == 8 ? 2500 : 1200));
    report.timeline.push_back(s);
  }
  AddTimelineFigures(report);
  EXPECT_EQ(report.counters["requests_per_cpu_second_first_window"], 10'000);
  EXPECT_EQ(report.counters["requests_per_cpu_second_last_window"], 2'500);
  // 10 ms of CPU per second, then 20: a hundredth of a core, then two.
  EXPECT_EQ(report.counters["cpu_millicores_first_window"], 10);
  EXPECT_EQ(report.counters["cpu_millicores_last_window"], 20);
  EXPECT_EQ(report.counters["probe_ns_first_window"], 1000);
  // The median of two is the upper one.
  EXPECT_EQ(report.counters["probe_ns_last_window"], 2500);
}

TEST(TimelineFiguresTest, SlopeAndWindows) {
  RunReport report;
  // Eight one-second intervals; RSS grows 1 MiB per second.
  for (int i = 1; i <= 8; ++i) {
    IntervalSample s;
    s.t_seconds = i;
    s.requests = 10;
    s.p99_ns = i <= 2 ? 100 : (i >= 7 ? 900 : 500);
    s.rss_bytes = int64_t{i} << 20;
    report.timeline.push_back(s);
  }
  AddTimelineFigures(report);
  EXPECT_EQ(report.counters["timeline_window_seconds"], 2);
  EXPECT_EQ(report.counters["p99_first_window_ns"], 100);
  EXPECT_EQ(report.counters["p99_last_window_ns"], 900);
  EXPECT_NEAR(report.counters["rss_slope_bytes_per_minute"], 60 << 20, 1);

  // Warm-up growth in the first window is not counted as drift.
  report.timeline[0].rss_bytes = 1;
  report.timeline[1].rss_bytes = 1;
  for (IntervalSample& s : report.timeline) {
    if (s.t_seconds > 2)
      s.rss_bytes = 64 << 20;
  }
  AddTimelineFigures(report);
  EXPECT_EQ(report.counters["rss_slope_bytes_per_minute"], 0);
}

}  // namespace
}  // namespace load
}  // namespace conf
