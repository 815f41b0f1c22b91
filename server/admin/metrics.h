// A Prometheus metrics registry: counters, gauges, callback gauges and
// histograms, rendered in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// A metric family is a name, a help text and a type. Each Add*() call adds
// one series to a family: the family's name plus a fixed set of label
// values chosen at registration, e.g.
//
//   sip_requests_total{method="INFO",outcome="success"}
//
// and returns a handle that the registry owns and keeps at a stable address
// for its whole life. Series are never removed.
//
// Errors: names, label names and the shape of a family are code constants,
// so a mistake in them is a programming error and Add*() CONF_CHECK-fails
// (aborts) at startup, as Go's MustRegister panics. Add*() aborts when:
//   - the metric name does not match [a-zA-Z_:][a-zA-Z0-9_:]*;
//   - a label name does not match [a-zA-Z_][a-zA-Z0-9_]* or starts with
//     "__" (reserved), or is "le" on a histogram, or repeats in one series;
//   - the name is already registered with another type or help text, or
//     with other label names (names and order must match across a family);
//   - the same name and label values are registered twice;
//   - histogram bounds are not finite and strictly increasing.
// Label values and help texts are free text: Render() escapes them.
//
// Thread-safety: every method may be called from any thread. Registration
// takes the registry's mutex; handle updates are lock-free (relaxed
// atomics); Render() takes the mutex only to copy the list of series, then
// reads the atomics and calls the callback gauges without it, so it runs
// concurrently with updates and registration. A Render() concurrent with
// updates sees each value at some point during the call, not one snapshot
// of all of them.
//
// Example:
//   MetricsRegistry registry;
//   Counter* info_ok = registry.AddCounter(
//       "sip_requests_total", "SIP requests by method and outcome.",
//       {{"method", "INFO"}, {"outcome", "success"}});
//   Histogram* latency = registry.AddHistogram(
//       "c3p_request_duration_seconds", "Time to apply a C3P request.",
//       kLatencyBoundsSeconds);
//   registry.AddCallbackGauge("sip_connections_open", "Open connections.",
//                             {}, [&transport] { return transport.open(); });
//   info_ok->Increment();
//   latency->Observe(0.0042);
//   std::string text = registry.Render();

#ifndef CONF_SERVER_ADMIN_METRICS_H_
#define CONF_SERVER_ADMIN_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "base/mutex.h"

namespace conf {
namespace server {

// One label of a series: name and value. The registry copies both.
using Label = std::pair<absl::string_view, absl::string_view>;

// Upper bounds (seconds) for request latencies, from 0.5 ms to 2.5 s.
inline constexpr double kLatencyBoundsSeconds[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

// A monotonically increasing count. Lock-free; any thread.
class Counter {
 public:
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `n`; wraps at 2^64 (never, in practice).
  void Increment(uint64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  // The count now; rendering reads this.
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  Counter() = default;

  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Lock-free; any thread.
class Gauge {
 public:
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  // Replaces the value.
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // Adds `delta` (negative to subtract) with a compare-and-swap loop.
  void Add(double delta);
  // The value now; rendering reads this.
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  Gauge() = default;

  std::atomic<double> value_{0.0};
};

// Observations counted in fixed buckets, with their sum and count. An
// observation v falls in the first bucket whose upper bound b has v <= b,
// else in +Inf; a NaN falls in +Inf and makes the sum NaN. Lock-free (one
// relaxed increment and one compare-and-swap add); any thread.
class Histogram {
 public:
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one observation, in seconds for a duration.
  void Observe(double value);

 private:
  friend class MetricsRegistry;
  explicit Histogram(absl::Span<const double> bounds);

  // Appends the _bucket (cumulative), _sum and _count samples. _count is the
  // +Inf bucket, so the two always agree.
  void AppendSamples(absl::string_view name, absl::string_view labels,
                     std::string* out) const;

  const std::vector<double> bounds_;
  // Per bucket, not cumulative; bounds_.size() + 1 entries, the last +Inf.
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
};

// Owns every metric of a process and renders them. See the file comment.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each adds the series `name`{`labels`} to the family `name` (created on
  // first use with `help`) and returns its handle, owned by the registry and
  // valid for its life. CHECK-fails on the errors the file comment lists.
  Counter* AddCounter(absl::string_view name, absl::string_view help,
                      absl::Span<const Label> labels = {});
  Gauge* AddGauge(absl::string_view name, absl::string_view help,
                  absl::Span<const Label> labels = {});
  // `bounds` are the buckets' upper bounds, finite and strictly increasing;
  // the +Inf bucket is implicit. Every series of a family should use the
  // same bounds.
  Histogram* AddHistogram(absl::string_view name, absl::string_view help,
                          absl::Span<const double> bounds,
                          absl::Span<const Label> labels = {});

  // A gauge whose value is `read()`, called by every Render() on the
  // rendering thread (the admin server's) with no registry lock held, for
  // values owned elsewhere (connections open, journal sizes). `read` must
  // be thread-safe, and whatever it reads must outlive every Render() call:
  // stop the admin server before destroying it.
  void AddCallbackGauge(absl::string_view name, absl::string_view help,
                        absl::Span<const Label> labels,
                        std::function<double()> read);

  // The text exposition format 0.0.4: per family, in registration order,
  // `# HELP`, `# TYPE`, then its samples in registration order.
  std::string Render() const;

 private:
  struct Family;
  struct Series;
  enum class Type { kCounter, kGauge, kHistogram };

  // Finds or creates the family and appends a series with `labels`; returns
  // it for the caller to fill in.
  Series* AddSeries(absl::string_view name, absl::string_view help, Type type,
                    absl::Span<const Label> labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static absl::string_view TypeName(Type type);
  // Appends the samples of one series; calls a callback gauge's function.
  static void AppendSeries(const Family& family, const Series& series,
                           std::string* out);

  mutable Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Family*> families_by_name_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_ADMIN_METRICS_H_
