// Counts this thread's heap allocations, for tests that a path allocates
// nothing (or only what it must). Linking this target replaces the global
// operator new and delete of the test binary with counting versions over
// malloc and free.
//
// Thread-safety: the count is per thread; read it on the thread whose
// allocations you want.
//
// Example:
//   const int64_t before = AllocationsOnThisThread();
//   tracker.Apply(document);
//   EXPECT_EQ(AllocationsOnThisThread() - before, 0);

#ifndef CONF_TOOLS_LOAD_ALLOCATION_COUNTER_H_
#define CONF_TOOLS_LOAD_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace conf {
namespace load {

// Calls of operator new (any form) on this thread since it started.
int64_t AllocationsOnThisThread();

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_ALLOCATION_COUNTER_H_
