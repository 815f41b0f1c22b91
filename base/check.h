// CONF_CHECK: an invariant whose violation would corrupt shared state.
//
// On failure it writes "file:line: CHECK failed: <condition>" to stderr and
// aborts, in every build mode. Never CHECK anything that input can trigger:
// input errors are returned as absl::Status (docs/ERRORS.md). Use assert() for
// debug-only checks.
//
//   CONF_CHECK(shard_count > 0 && (shard_count & (shard_count - 1)) == 0);

#ifndef CONF_BASE_CHECK_H_
#define CONF_BASE_CHECK_H_

#include "absl/base/optimization.h"

namespace conf {
namespace internal {

// Reports a failed CONF_CHECK and aborts. Does not return.
[[noreturn]] void CheckFailed(const char* file, int line,
                              const char* condition);

}  // namespace internal
}  // namespace conf

#define CONF_CHECK(condition)                                        \
  do {                                                               \
    if (ABSL_PREDICT_FALSE(!(condition))) {                          \
      ::conf::internal::CheckFailed(__FILE__, __LINE__, #condition); \
    }                                                                \
  } while (false)

#endif  // CONF_BASE_CHECK_H_
