#include "base/check.h"

#include "gtest/gtest.h"

namespace conf {
namespace {

TEST(CheckTest, PassingCheckDoesNothing) {
  int evaluated = 0;
  CONF_CHECK(++evaluated == 1);
  EXPECT_EQ(evaluated, 1);
}

TEST(CheckDeathTest, FailingCheckAbortsWithFileLineAndCondition) {
  int shards = 3;
  EXPECT_DEATH(CONF_CHECK((shards & (shards - 1)) == 0),
               "check_test.cc:[0-9]+: CHECK failed: \\(shards & \\(shards - "
               "1\\)\\) == 0");
}

}  // namespace
}  // namespace conf
