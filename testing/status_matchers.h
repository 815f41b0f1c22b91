// GoogleMock matchers for absl::Status and absl::StatusOr (Abseil 20220623
// ships none).
//
//   EXPECT_THAT(store.ApplyAddUser(...), IsOk());
//   EXPECT_THAT(ParseC3pRequest(body).status(),
//               StatusIs(absl::StatusCode::kInvalidArgument,
//                        HasSubstr("offset 12")));

#ifndef CONF_TESTING_STATUS_MATCHERS_H_
#define CONF_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace conf {
namespace testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

// Matches an OK absl::Status or absl::StatusOr.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok())
    *result_listener << "status is " << status;
  return status.ok();
}

// Matches a status (or StatusOr) with code `code`.
MATCHER_P(StatusIs, code,
          "has code " + absl::StatusCodeToString(absl::StatusCode(code))) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

// Matches a status (or StatusOr) with code `code` whose message matches
// `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(absl::StatusCode(code))) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_STATUS_MATCHERS_H_
