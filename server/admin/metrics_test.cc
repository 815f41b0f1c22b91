#include "server/admin/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>  // NOLINT(build/c++11)

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace conf {
namespace server {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(MetricsRegistryTest, RendersCounter) {
  MetricsRegistry registry;
  Counter* counter = registry.AddCounter("requests_total", "Requests.");
  counter->Increment();
  counter->Increment(41);
  EXPECT_EQ(counter->value(), 42u);
  EXPECT_EQ(registry.Render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total 42\n");
}

TEST(MetricsRegistryTest, RendersLabeledCounterFamilyOnce) {
  MetricsRegistry registry;
  Counter* ok =
      registry.AddCounter("sip_requests_total", "SIP requests.",
                          {{"method", "INFO"}, {"outcome", "success"}});
  Counter* failed =
      registry.AddCounter("sip_requests_total", "SIP requests.",
                          {{"method", "INFO"}, {"outcome", "failure"}});
  ok->Increment(3);
  failed->Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP sip_requests_total SIP requests.\n"
            "# TYPE sip_requests_total counter\n"
            "sip_requests_total{method=\"INFO\",outcome=\"success\"} 3\n"
            "sip_requests_total{method=\"INFO\",outcome=\"failure\"} 1\n");
}

TEST(MetricsRegistryTest, RendersGauge) {
  MetricsRegistry registry;
  Gauge* gauge = registry.AddGauge("queue_depth", "Queued items.");
  gauge->Set(10);
  gauge->Add(-2.5);
  EXPECT_EQ(gauge->value(), 7.5);
  EXPECT_EQ(registry.Render(),
            "# HELP queue_depth Queued items.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 7.5\n");
}

TEST(MetricsRegistryTest, RendersSpecialGaugeValues) {
  MetricsRegistry registry;
  registry.AddGauge("a", "A.")->Set(kInf);
  registry.AddGauge("b", "B.")->Set(-kInf);
  registry.AddGauge("c", "C.")->Set(kNan);
  registry.AddGauge("d", "D.")->Set(1e-7);
  registry.AddGauge("e", "E.")->Set(-1e6);
  registry.AddGauge("f", "F.")->Set(1e300);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("\na +Inf\n"));
  EXPECT_THAT(text, HasSubstr("\nb -Inf\n"));
  EXPECT_THAT(text, HasSubstr("\nc NaN\n"));
  EXPECT_THAT(text, HasSubstr("\nd 1e-07\n"));
  EXPECT_THAT(text, HasSubstr("\ne -1000000\n"));
  EXPECT_THAT(text, HasSubstr("\nf 1e+300\n"));
}

TEST(MetricsRegistryTest, CallbackGaugeIsReadAtEachRender) {
  MetricsRegistry registry;
  int open = 3;
  registry.AddCallbackGauge("connections_open", "Open connections.",
                            {{"transport", "tls"}}, [&open] { return open; });
  EXPECT_EQ(registry.Render(),
            "# HELP connections_open Open connections.\n"
            "# TYPE connections_open gauge\n"
            "connections_open{transport=\"tls\"} 3\n");
  open = 5;
  EXPECT_THAT(registry.Render(),
              HasSubstr("connections_open{transport=\"tls\"} 5\n"));
}

TEST(MetricsRegistryTest, RendersHistogramCumulatively) {
  MetricsRegistry registry;
  const double bounds[] = {0.25, 0.5, 1};
  Histogram* histogram = registry.AddHistogram("request_seconds", "Latency.",
                                               bounds, {{"op", "add"}});
  // Exactly representable, so that the sum is exact. 0.25 sits on a bound
  // and counts in its bucket (le is "less or equal").
  for (const double value : {0.125, 0.25, 0.5, 2.0}) {
    histogram->Observe(value);
  }
  EXPECT_EQ(registry.Render(),
            "# HELP request_seconds Latency.\n"
            "# TYPE request_seconds histogram\n"
            "request_seconds_bucket{op=\"add\",le=\"0.25\"} 2\n"
            "request_seconds_bucket{op=\"add\",le=\"0.5\"} 3\n"
            "request_seconds_bucket{op=\"add\",le=\"1\"} 3\n"
            "request_seconds_bucket{op=\"add\",le=\"+Inf\"} 4\n"
            "request_seconds_sum{op=\"add\"} 2.875\n"
            "request_seconds_count{op=\"add\"} 4\n");
}

TEST(MetricsRegistryTest, RendersEmptyUnlabeledHistogram) {
  MetricsRegistry registry;
  registry.AddHistogram("idle_seconds", "Idle.", {});
  EXPECT_EQ(registry.Render(),
            "# HELP idle_seconds Idle.\n"
            "# TYPE idle_seconds histogram\n"
            "idle_seconds_bucket{le=\"+Inf\"} 0\n"
            "idle_seconds_sum 0\n"
            "idle_seconds_count 0\n");
}

TEST(MetricsRegistryTest, NanObservationCountsInInfBucket) {
  MetricsRegistry registry;
  const double bounds[] = {1};
  registry.AddHistogram("x_seconds", "X.", bounds)->Observe(kNan);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{le=\"1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_sum NaN\n"));
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddCounter("escapes_total", "Back\\slash \"quoted\"\nnext line.",
                      {{"value", "a\\b\"c\nd"}});
  // HELP escapes backslash and newline only; label values also the quote.
  EXPECT_EQ(registry.Render(),
            "# HELP escapes_total Back\\\\slash \"quoted\"\\nnext line.\n"
            "# TYPE escapes_total counter\n"
            "escapes_total{value=\"a\\\\b\\\"c\\nd\"} 0\n");
}

TEST(MetricsRegistryTest, RendersFamiliesInRegistrationOrder) {
  MetricsRegistry registry;
  registry.AddGauge("zeta", "Z.");
  registry.AddCounter("alpha_total", "A.", {{"k", "1"}});
  registry.AddGauge("mid", "M.");
  registry.AddCounter("alpha_total", "A.", {{"k", "2"}});
  EXPECT_EQ(registry.Render(),
            "# HELP zeta Z.\n# TYPE zeta gauge\nzeta 0\n"
            "# HELP alpha_total A.\n# TYPE alpha_total counter\n"
            "alpha_total{k=\"1\"} 0\nalpha_total{k=\"2\"} 0\n"
            "# HELP mid M.\n# TYPE mid gauge\nmid 0\n");
}

TEST(MetricsRegistryTest, ConcurrentUpdatesSumExactly) {
  MetricsRegistry registry;
  Counter* counter = registry.AddCounter("hits_total", "Hits.");
  Gauge* gauge = registry.AddGauge("level", "Level.");
  const double bounds[] = {0.5, 1.5};
  Histogram* histogram = registry.AddHistogram("work_seconds", "W.", bounds);
  constexpr int kPerThread = 100000;
  auto work = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      counter->Increment();
      gauge->Add(1);
      histogram->Observe(1);  // Integers: the double sum stays exact.
    }
  };
  std::thread first(work);
  std::thread second(work);
  // Rendering races with the updates; TSan checks it under --config=tsan.
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(registry.Render(), HasSubstr("# TYPE hits_total counter\n"));
  }
  first.join();
  second.join();
  EXPECT_EQ(counter->value(), 2u * kPerThread);
  EXPECT_EQ(gauge->value(), 2.0 * kPerThread);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("\nhits_total 200000\n"));
  EXPECT_THAT(text, HasSubstr("\nlevel 200000\n"));
  EXPECT_THAT(text, HasSubstr("work_seconds_bucket{le=\"0.5\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("work_seconds_bucket{le=\"1.5\"} 200000\n"));
  EXPECT_THAT(text, HasSubstr("work_seconds_sum 200000\n"));
  EXPECT_THAT(text, HasSubstr("work_seconds_count 200000\n"));
}

TEST(MetricsRegistryTest, RegistrationConcurrentWithRender) {
  MetricsRegistry registry;
  std::thread registrar([&registry] {
    for (int i = 0; i < 200; ++i) {
      const std::string value = std::to_string(i);
      registry.AddCounter("series_total", "S.", {{"i", value}})->Increment();
    }
  });
  for (int i = 0; i < 50; ++i) {
    registry.Render();
  }
  registrar.join();
  EXPECT_THAT(registry.Render(), HasSubstr("series_total{i=\"199\"} 1\n"));
}

using MetricsRegistryDeathTest = ::testing::Test;

TEST(MetricsRegistryDeathTest, InvalidNamesAbort) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.AddCounter("1st_total", "X."),
               "metrics: 1st_total: invalid metric name");
  EXPECT_DEATH(registry.AddCounter("a-b", "X."), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("", "X."), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("ok_total", "X.", {{"a:b", "v"}}),
               "invalid label name a:b");
  EXPECT_DEATH(registry.AddCounter("ok_total", "X.", {{"__name", "v"}}),
               "invalid label name __name");
  EXPECT_DEATH(registry.AddCounter("ok_total", "X.", {{"a", "1"}, {"a", "2"}}),
               "repeated label a");
}

TEST(MetricsRegistryTest, AcceptsColonsAndLeadingUnderscores) {
  MetricsRegistry registry;
  registry.AddCounter("job:requests:rate_total", "Recorded.");
  registry.AddGauge("_private", "Underscore.");
  SUCCEED();
}

TEST(MetricsRegistryDeathTest, ConflictingRegistrationsAbort) {
  MetricsRegistry registry;
  registry.AddCounter("x_total", "X.", {{"k", "v"}});
  EXPECT_DEATH(registry.AddGauge("x_total", "X.", {{"k", "w"}}),
               "another type, help or labels");
  EXPECT_DEATH(registry.AddCounter("x_total", "Other.", {{"k", "w"}}),
               "another type, help or labels");
  EXPECT_DEATH(registry.AddCounter("x_total", "X.", {{"j", "v"}}),
               "another type, help or labels");
  EXPECT_DEATH(registry.AddCounter("x_total", "X.", {{"k", "v"}}),
               "series registered twice");
}

TEST(MetricsRegistryDeathTest, BadHistogramsAbort) {
  MetricsRegistry registry;
  const double unsorted[] = {1, 0.5};
  const double repeated[] = {1, 1};
  const double infinite[] = {1, kInf};
  EXPECT_DEATH(registry.AddHistogram("h", "H.", unsorted), "strictly");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", repeated), "strictly");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", infinite), "finite");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {}, {{"le", "1"}}),
               "label \"le\" on histogram");
}

}  // namespace
}  // namespace server
}  // namespace conf
