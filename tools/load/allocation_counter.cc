#include "tools/load/allocation_counter.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace conf {
namespace load {
namespace {

thread_local int64_t allocations = 0;

void* Allocate(size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}

}  // namespace

int64_t AllocationsOnThisThread() { return allocations; }

}  // namespace load
}  // namespace conf

// Counting replacements of the global allocation functions. Out of line so
// that GCC does not pair an inlined free() with a new-expression and warn.
__attribute__((noinline)) void* operator new(size_t size) {
  return conf::load::Allocate(size);
}
__attribute__((noinline)) void* operator new[](size_t size) {
  return conf::load::Allocate(size);
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p, size_t) noexcept {
  std::free(p);
}
