#include "server/admin/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <variant>

#include "absl/base/optimization.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

#include "base/check.h"

namespace conf {
namespace server {
namespace {

// Registration errors are programming errors (metrics.h): say which metric
// and what is wrong, then abort.
void CheckRegistration(bool ok, absl::string_view name,
                       absl::string_view problem) {
  if (ABSL_PREDICT_TRUE(ok)) {
    return;
  }
  absl::FPrintF(stderr, "metrics: %s: %s\n", name, problem);
  CONF_CHECK(ok);
}

bool IsNameChar(char c, bool first, bool allow_colon) {
  const bool letter = absl::ascii_isalpha(static_cast<unsigned char>(c));
  const bool digit = absl::ascii_isdigit(static_cast<unsigned char>(c));
  return letter || c == '_' || (allow_colon && c == ':') || (!first && digit);
}

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidName(absl::string_view name, bool allow_colon) {
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) {
      return false;
    }
  }
  return !name.empty();
}

bool IsValidLabelName(absl::string_view name) {
  // Names beginning with "__" are reserved for Prometheus' own use.
  return IsValidName(name, /*allow_colon=*/false) &&
         !absl::StartsWith(name, "__");
}

// The exposition format escapes \ and newline in HELP text, and also " in
// label values.
std::string EscapeHelp(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\n", "\\n"}});
}

std::string EscapeLabelValue(absl::string_view value) {
  return absl::StrReplaceAll(value,
                             {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

// Go's ParseFloat syntax: +Inf, -Inf, NaN; whole numbers below 2^53 as
// integers ("200000", where the shortest form is "2e+05"); else the shortest
// decimal that reads back as the same double.
std::string FormatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::fabs(value) < kExactIntegers && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[32];
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// `name`{`labels`,`extra`} value; `labels` and `extra` are rendered label
// pairs, either possibly empty.
void AppendSample(absl::string_view name, absl::string_view labels,
                  absl::string_view extra, absl::string_view value,
                  std::string* out) {
  absl::StrAppend(out, name);
  if (!labels.empty() || !extra.empty()) {
    const absl::string_view comma = labels.empty() || extra.empty() ? "" : ",";
    absl::StrAppend(out, "{", labels, comma, extra, "}");
  }
  absl::StrAppend(out, " ", value, "\n");
}

void AddDouble(std::atomic<double>* target, double delta) {
  double old = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(old, old + delta,
                                        std::memory_order_relaxed)) {
  }
}

}  // namespace

struct MetricsRegistry::Series {
  std::string labels;  // name="escaped value",... or empty.
  std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>,
               std::unique_ptr<Histogram>, std::function<double()>>
      value;
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::string> label_names;
  std::vector<std::unique_ptr<Series>> series;
};

void Gauge::Add(double delta) { AddDouble(&value_, delta); }

Histogram::Histogram(absl::Span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    buckets_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  // First bound b with value <= b; NaN compares false with all of them.
  const size_t bucket =
      std::isnan(value)
          ? bounds_.size()
          : std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                bounds_.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  AddDouble(&sum_, value);
}

void Histogram::AppendSamples(absl::string_view name, absl::string_view labels,
                              std::string* out) const {
  const std::string bucket_name = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le =
        i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
    AppendSample(bucket_name, labels, absl::StrCat("le=\"", le, "\""),
                 absl::StrCat(cumulative), out);
  }
  AppendSample(absl::StrCat(name, "_sum"), labels, "",
               FormatValue(sum_.load(std::memory_order_relaxed)), out);
  AppendSample(absl::StrCat(name, "_count"), labels, "",
               absl::StrCat(cumulative), out);
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Counter* MetricsRegistry::AddCounter(absl::string_view name,
                                     absl::string_view help,
                                     absl::Span<const Label> labels) {
  MutexLock lock(&mu_);
  Series* series = AddSeries(name, help, Type::kCounter, labels);
  series->value = std::unique_ptr<Counter>(new Counter());
  return std::get<std::unique_ptr<Counter>>(series->value).get();
}

Gauge* MetricsRegistry::AddGauge(absl::string_view name, absl::string_view help,
                                 absl::Span<const Label> labels) {
  MutexLock lock(&mu_);
  Series* series = AddSeries(name, help, Type::kGauge, labels);
  series->value = std::unique_ptr<Gauge>(new Gauge());
  return std::get<std::unique_ptr<Gauge>>(series->value).get();
}

Histogram* MetricsRegistry::AddHistogram(absl::string_view name,
                                         absl::string_view help,
                                         absl::Span<const double> bounds,
                                         absl::Span<const Label> labels) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    CheckRegistration(
        std::isfinite(bounds[i]) && (i == 0 || bounds[i - 1] < bounds[i]), name,
        "bounds not finite and strictly increasing");
  }
  for (const Label& label : labels) {
    CheckRegistration(label.first != "le", name, "label \"le\" on histogram");
  }
  MutexLock lock(&mu_);
  Series* series = AddSeries(name, help, Type::kHistogram, labels);
  series->value = std::unique_ptr<Histogram>(new Histogram(bounds));
  return std::get<std::unique_ptr<Histogram>>(series->value).get();
}

void MetricsRegistry::AddCallbackGauge(absl::string_view name,
                                       absl::string_view help,
                                       absl::Span<const Label> labels,
                                       std::function<double()> read) {
  CheckRegistration(read != nullptr, name, "empty callback");
  MutexLock lock(&mu_);
  AddSeries(name, help, Type::kGauge, labels)->value = std::move(read);
}

MetricsRegistry::Series* MetricsRegistry::AddSeries(
    absl::string_view name, absl::string_view help, Type type,
    absl::Span<const Label> labels) {
  CheckRegistration(IsValidName(name, /*allow_colon=*/true), name,
                    "invalid metric name");
  std::vector<std::string> label_names;
  std::vector<std::string> rendered;
  for (const Label& label : labels) {
    CheckRegistration(IsValidLabelName(label.first), name,
                      absl::StrCat("invalid label name ", label.first));
    CheckRegistration(
        std::count(label_names.begin(), label_names.end(), label.first) == 0,
        name, absl::StrCat("repeated label ", label.first));
    label_names.emplace_back(label.first);
    rendered.push_back(
        absl::StrCat(label.first, "=\"", EscapeLabelValue(label.second), "\""));
  }
  Family*& family = families_by_name_[name];
  if (family == nullptr) {
    families_.push_back(std::make_unique<Family>(
        Family{std::string{name}, std::string{help}, type, label_names, {}}));
    family = families_.back().get();
  }
  CheckRegistration(family->type == type && family->help == help &&
                        family->label_names == label_names,
                    name, "registered again with another type, help or labels");
  auto series = std::make_unique<Series>();
  series->labels = absl::StrJoin(rendered, ",");
  for (const std::unique_ptr<Series>& existing : family->series) {
    CheckRegistration(
        existing->labels != series->labels, name,
        absl::StrCat("series registered twice: ", series->labels));
  }
  family->series.push_back(std::move(series));
  return family->series.back().get();
}

absl::string_view MetricsRegistry::TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";  // Unreachable; -Wswitch catches a missing case.
}

void MetricsRegistry::AppendSeries(const Family& family, const Series& series,
                                   std::string* out) {
  struct Visitor {
    const Family& family;
    const Series& series;
    std::string* out;

    void operator()(const std::unique_ptr<Counter>& counter) const {
      Append(absl::StrCat(counter->value()));
    }
    void operator()(const std::unique_ptr<Gauge>& gauge) const {
      Append(FormatValue(gauge->value()));
    }
    void operator()(const std::function<double()>& read) const {
      Append(FormatValue(read()));
    }
    void operator()(const std::unique_ptr<Histogram>& histogram) const {
      histogram->AppendSamples(family.name, series.labels, out);
    }
    void Append(absl::string_view value) const {
      AppendSample(family.name, series.labels, "", value, out);
    }
  };
  std::visit(Visitor{family, series, out}, series.value);
}

std::string MetricsRegistry::Render() const {
  // Copy the lists under the lock: registration may grow them meanwhile.
  // Families and series never move or die, and their fields other than the
  // lists are fixed once published under the lock.
  std::vector<std::pair<const Family*, std::vector<const Series*>>> families;
  {
    MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const std::unique_ptr<Family>& family : families_) {
      std::vector<const Series*> series;
      series.reserve(family->series.size());
      for (const std::unique_ptr<Series>& one : family->series) {
        series.push_back(one.get());
      }
      families.emplace_back(family.get(), std::move(series));
    }
  }
  std::string out;
  for (const auto& [family, series] : families) {
    absl::StrAppend(&out, "# HELP ", family->name, " ",
                    EscapeHelp(family->help), "\n");
    absl::StrAppend(&out, "# TYPE ", family->name, " ", TypeName(family->type),
                    "\n");
    for (const Series* one : series) {
      AppendSeries(*family, *one, &out);
    }
  }
  return out;
}

}  // namespace server
}  // namespace conf
