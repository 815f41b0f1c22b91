// Reads this process's memory figures from /proc/self/status, and the CPU
// time of the process and of the calling thread.

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

// CPU time (user + system) of the whole process, every thread, in
// nanoseconds (getrusage RUSAGE_SELF); 0 if it cannot be read.
int64_t ProcessCpuNanos();

// CPU time of the calling thread in nanoseconds
// (CLOCK_THREAD_CPUTIME_ID); 0 if it cannot be read. A system call, not a
// vDSO read: call it per thread or per interval, not per operation.
int64_t ThreadCpuNanos();

// Times a fixed loop of dependent integer arithmetic that touches no memory
// on the calling thread's CPU clock: the median of five runs, about 0.1 ms
// each here. The loop does not depend on anything the process holds, so a
// change of this figure over a run is a change of the machine (a neighbour
// on the same physical core, the clock rate), not of the work. 0 if the
// clock cannot be read.
int64_t MachineProbeNanos();

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_PROCESS_STATS_H_
