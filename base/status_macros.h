// Status propagation macros. Abseil 20220623 ships none.
//
//   absl::Status Load(...) {
//     CONF_RETURN_IF_ERROR(Validate(input));
//     CONF_ASSIGN_OR_RETURN(Config config, ParseConfig(input));
//     ...
//   }
//
// Both evaluate their argument exactly once. They are the only way errors are
// forwarded in this project; see docs/ERRORS.md.

#ifndef CONF_BASE_STATUS_MACROS_H_
#define CONF_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function if it is not OK.
// `expr` is an absl::Status (use `.status()` for an absl::StatusOr).
#define CONF_RETURN_IF_ERROR(expr)                            \
  do {                                                        \
    ::absl::Status conf_status_macro_status = (expr);         \
    if (ABSL_PREDICT_FALSE(!conf_status_macro_status.ok())) { \
      return conf_status_macro_status;                        \
    }                                                         \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status from the
// enclosing function if it is not OK, and otherwise moves its value into
// `lhs`, which may be a declaration (`CONF_ASSIGN_OR_RETURN(auto x, F())`).
#define CONF_ASSIGN_OR_RETURN(lhs, rexpr) \
  CONF_ASSIGN_OR_RETURN_IMPL_(            \
      CONF_STATUS_MACROS_CONCAT_(conf_status_or_value_, __LINE__), lhs, rexpr)

#define CONF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {               \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = std::move(statusor).value()

#define CONF_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define CONF_STATUS_MACROS_CONCAT_(x, y) CONF_STATUS_MACROS_CONCAT_INNER_(x, y)

#endif  // CONF_BASE_STATUS_MACROS_H_
