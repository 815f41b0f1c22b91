#include "tools/load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace conf {
namespace load {

// Bucket layout: values < kSubBuckets map to themselves. A larger value with
// its highest set bit at position h (h >= kSubBucketBits) keeps its top
// kSubBucketBits + 1 bits; the leading one selects the power-of-two group
// (h - kSubBucketBits + 1) and the next kSubBucketBits bits the sub-bucket.
int LatencyHistogram::BucketOf(uint64_t value) {
  if (value < static_cast<uint64_t>(kSubBuckets))
    return static_cast<int>(value);
  const int high_bit = 63 - __builtin_clzll(value);
  const int shift = high_bit - kSubBucketBits;
  const int group = shift + 1;
  const int sub = static_cast<int>((value >> shift) & (kSubBuckets - 1));
  return group * kSubBuckets + sub;
}

uint64_t LatencyHistogram::UpperBoundOf(int bucket) {
  if (bucket < kSubBuckets)
    return static_cast<uint64_t>(bucket);
  const int group = bucket / kSubBuckets;
  const int sub = bucket % kSubBuckets;
  const int shift = group - 1;
  const uint64_t base = (static_cast<uint64_t>(kSubBuckets) + sub) << shift;
  return base + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(int64_t nanos) {
  const uint64_t value = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
  ++counts_[BucketOf(value)];
  ++count_;
  max_ = std::max<int64_t>(max_, static_cast<int64_t>(value));
  sum_ += static_cast<double>(value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void LatencyHistogram::Reset() { *this = LatencyHistogram(); }

double LatencyHistogram::Mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

int64_t LatencyHistogram::Percentile(double percentile) const {
  if (count_ == 0)
    return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the value asked for, 1-based: ceil(p% of count), at least 1.
  int64_t rank = static_cast<int64_t>(
      std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::min<int64_t>(static_cast<int64_t>(UpperBoundOf(i)), max_);
    }
  }
  return max_;
}

}  // namespace load
}  // namespace conf
