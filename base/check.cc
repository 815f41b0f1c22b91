#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace conf {
namespace internal {

void CheckFailed(const char* file, int line, const char* condition) {
  // stdio only: this may run with a lock held or the heap in a bad state.
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace conf
