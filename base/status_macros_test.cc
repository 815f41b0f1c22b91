#include "base/status_macros.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;

absl::Status Fail(absl::StatusCode code) { return absl::Status(code, "boom"); }

absl::Status ReturnIfError(absl::Status in, int* reached) {
  CONF_RETURN_IF_ERROR(in);
  ++*reached;
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, ForwardsErrorAndStops) {
  int reached = 0;
  EXPECT_THAT(ReturnIfError(Fail(absl::StatusCode::kNotFound), &reached),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(reached, 0);
}

TEST(ReturnIfErrorTest, ContinuesOnOk) {
  int reached = 0;
  EXPECT_THAT(ReturnIfError(absl::OkStatus(), &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(ReturnIfErrorTest, EvaluatesArgumentOnce) {
  int calls = 0;
  auto f = [&]() -> absl::Status {
    CONF_RETURN_IF_ERROR((++calls, absl::OkStatus()));
    return absl::OkStatus();
  };
  EXPECT_THAT(f(), IsOk());
  EXPECT_EQ(calls, 1);
}

absl::StatusOr<std::unique_ptr<std::string>> MakeString(bool ok) {
  if (!ok)
    return absl::InvalidArgumentError("no string");
  return std::make_unique<std::string>("value");
}

absl::StatusOr<size_t> LengthOf(bool ok) {
  // Move-only values must work.
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<std::string> s, MakeString(ok));
  return s->size();
}

TEST(AssignOrReturnTest, AssignsValue) {
  absl::StatusOr<size_t> n = LengthOf(true);
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(*n, 5u);
}

TEST(AssignOrReturnTest, ForwardsError) {
  EXPECT_THAT(LengthOf(false).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

absl::Status TwoOnOneLineScope() {
  // Two uses in one function must not collide.
  CONF_ASSIGN_OR_RETURN(auto a, LengthOf(true));
  CONF_ASSIGN_OR_RETURN(auto b, LengthOf(true));
  return a == b ? absl::OkStatus() : absl::InternalError("differ");
}

TEST(AssignOrReturnTest, CanBeUsedTwiceInOneFunction) {
  EXPECT_THAT(TwoOnOneLineScope(), IsOk());
}

}  // namespace
}  // namespace conf
