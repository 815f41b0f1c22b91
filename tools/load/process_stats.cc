#include "tools/load/process_stats.h"

#include <sys/resource.h>
#include <time.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace conf {
namespace load {
namespace {

// Parses "VmRSS:     1234 kB" style values (kibibytes).
bool ParseKib(absl::string_view line, absl::string_view key, int64_t* bytes) {
  if (!absl::ConsumePrefix(&line, key))
    return false;
  line = absl::StripAsciiWhitespace(line);
  if (!absl::ConsumeSuffix(&line, "kB"))
    return false;
  int64_t kib = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib))
    return false;
  *bytes = kib * 1024;
  return true;
}

}  // namespace

absl::StatusOr<MemoryStats> ReadMemoryStats() {
  std::ifstream in("/proc/self/status");
  if (!in) {
    return absl::UnavailableError(
        "process stats: cannot read /proc/self/status");
  }
  MemoryStats stats;
  bool have_rss = false;
  bool have_peak = false;
  std::string line;
  while (std::getline(in, line)) {
    have_rss |= ParseKib(line, "VmRSS:", &stats.rss_bytes);
    have_peak |= ParseKib(line, "VmHWM:", &stats.peak_rss_bytes);
  }
  if (!have_rss || !have_peak) {
    return absl::UnavailableError(
        "process stats: no VmRSS/VmHWM in /proc/self/status");
  }
  return stats;
}

int64_t ProcessCpuNanos() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return 0;
  }
  auto nanos = [](const struct timeval& t) {
    return int64_t{t.tv_sec} * 1'000'000'000 + int64_t{t.tv_usec} * 1'000;
  };
  return nanos(usage.ru_utime) + nanos(usage.ru_stime);
}

int64_t ThreadCpuNanos() {
  struct timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) {
    return 0;
  }
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

}  // namespace load
}  // namespace conf
