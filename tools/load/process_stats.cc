#include "tools/load/process_stats.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
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

// A dependent chain of multiplies, adds and shifts (xorshift-multiply);
// the result is returned so that the compiler keeps the loop.
uint64_t ProbeLoop(uint64_t x) {
  for (int i = 0; i < 50'000; ++i) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9u;
    x += static_cast<uint64_t>(i);
  }
  return x;
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

int64_t MachineProbeNanos() {
  static volatile uint64_t sink = 1;
  std::array<int64_t, 5> runs;
  for (int64_t& run : runs) {
    const int64_t start = ThreadCpuNanos();
    sink = ProbeLoop(sink);
    const int64_t end = ThreadCpuNanos();
    if (start == 0 || end == 0)
      return 0;
    run = end - start;
  }
  std::nth_element(runs.begin(), runs.begin() + 2, runs.end());
  return runs[2];
}

}  // namespace load
}  // namespace conf
