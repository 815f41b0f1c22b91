// Allocations counted in a benchmark binary: linking this library replaces
// the global operator new/delete with counting versions.
//
// Example:
//   const size_t before = bench::AllocationCount();
//   ParseIt();
//   state.counters["allocations"] = bench::AllocationCount() - before;

#ifndef CONF_BENCH_ALLOCATION_COUNTER_H_
#define CONF_BENCH_ALLOCATION_COUNTER_H_

#include <cstddef>

namespace conf {
namespace bench {

// Calls of operator new in this process so far (all threads).
size_t AllocationCount();

}  // namespace bench
}  // namespace conf

#endif  // CONF_BENCH_ALLOCATION_COUNTER_H_
