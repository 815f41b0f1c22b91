// Reads this process's memory figures from /proc/self/status.

#ifndef CONF_TOOLS_LOAD_PROCESS_STATS_H_
#define CONF_TOOLS_LOAD_PROCESS_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace conf {
namespace load {

struct MemoryStats {
  int64_t rss_bytes = 0;       // VmRSS: resident now.
  int64_t peak_rss_bytes = 0;  // VmHWM: the high-water mark.
};

// Returns the current and peak resident set size, or kUnavailable when
// /proc/self/status cannot be read or lacks the fields.
absl::StatusOr<MemoryStats> ReadMemoryStats();

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_PROCESS_STATS_H_
