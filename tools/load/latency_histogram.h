// LatencyHistogram: a log-bucketed histogram of durations in nanoseconds, for
// the load-test report (p50/p90/p99/p99.9/max).
//
// Values are grouped by their power of two and, within it, into
// 2^kSubBucketBits linear sub-buckets, so every recorded value is known to
// within 1/2^kSubBucketBits (3.1%) of itself, from 1 ns to 2^63 ns, in a
// fixed 16 KiB of counters and without allocation. The maximum and the sum
// are exact.
//
// Thread-compatible, not thread-safe: each worker thread records into its own
// histogram and the reporter merges them with Merge().
//
// Example:
//   LatencyHistogram h;
//   h.Record(absl::ToInt64Nanoseconds(elapsed));
//   int64_t p99 = h.Percentile(99.0);

#ifndef CONF_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
#define CONF_TOOLS_LOAD_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace conf {
namespace load {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // Values below kSubBuckets have a bucket each; then 32 per power of two.
  static constexpr int kBucketCount = kSubBuckets * (64 - kSubBucketBits + 1);

  LatencyHistogram() { counts_.fill(0); }

  // Records one value; negative values count as 0.
  void Record(int64_t nanos);

  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);

  // Forgets everything.
  void Reset();

  int64_t count() const { return count_; }
  int64_t max() const { return max_; }
  double Mean() const;

  // The smallest recorded value v such that at least `percentile` percent of
  // the values are <= v, within the bucket precision (the bucket's upper
  // bound, capped at the exact maximum). 0 when empty. `percentile` is
  // clamped to [0, 100].
  int64_t Percentile(double percentile) const;

 private:
  static int BucketOf(uint64_t value);
  static uint64_t UpperBoundOf(int bucket);

  std::array<int64_t, kBucketCount> counts_;
  int64_t count_ = 0;
  int64_t max_ = 0;
  // Sum in nanoseconds; a double so a long soak cannot overflow it.
  double sum_ = 0;
};

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
