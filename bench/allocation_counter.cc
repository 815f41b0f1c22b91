#include "bench/allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<size_t> g_allocations{0};

}  // namespace

// Counting replacements of the global allocation functions. Out of line so
// that GCC does not pair an inlined free() with a new-expression and warn.
__attribute__((noinline)) void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace conf {
namespace bench {

size_t AllocationCount() {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace bench
}  // namespace conf
