#include "tools/load/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace conf {
namespace load {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(99), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.Mean(), 0.0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 20; ++v)
    h.Record(v);
  EXPECT_EQ(h.Percentile(50), 10);
  EXPECT_EQ(h.Percentile(100), 20);
  EXPECT_EQ(h.Percentile(0), 1);
  EXPECT_DOUBLE_EQ(h.Mean(), 10.5);
}

TEST(LatencyHistogramTest, NegativeCountsAsZero) {
  LatencyHistogram h;
  h.Record(-5);
  EXPECT_EQ(h.count(), 1);
  EXPECT_EQ(h.Percentile(100), 0);
}

// Against exact order statistics of a seeded log-normal sample: every
// percentile is within the documented 1/32 relative precision.
TEST(LatencyHistogramTest, PercentilesWithinPrecisionOfExactValues) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~22 us median.
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    SCOPED_TRACE(p);
    const auto rank = static_cast<size_t>(std::max(
        1.0, std::ceil(p / 100.0 * static_cast<double>(values.size()))));
    const int64_t exact = values[rank - 1];
    const int64_t approx = h.Percentile(p);
    EXPECT_GE(approx, exact);
    EXPECT_LE(static_cast<double>(approx),
              static_cast<double>(exact) * (1.0 + 1.0 / 32) + 1);
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.Percentile(100), values.back());
}

TEST(LatencyHistogramTest, HugeValuesDoNotOverflow) {
  LatencyHistogram h;
  h.Record(INT64_MAX);
  h.Record(1);
  EXPECT_EQ(h.Percentile(100), INT64_MAX);
  EXPECT_EQ(h.Percentile(50), 1);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(0, 5'000'000);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = dist(rng);
    (i % 2 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;
  }
  a.Reset();
  EXPECT_EQ(a.count(), 0);
}

}  // namespace
}  // namespace load
}  // namespace conf
