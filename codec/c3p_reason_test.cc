#include "codec/c3p_reason.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace conf {
namespace codec {
namespace {

TEST(C3pReasonTest, EveryCanonicalSpellingRoundTrips) {
  for (const C3pReasonSpelling& row : kC3pReasonSpellings) {
    SCOPED_TRACE(std::string(row.canonical));
    EXPECT_EQ(C3pReasonName(row.reason), row.canonical);
    EXPECT_EQ(FindC3pReason(row.canonical),
              std::optional<C3pReason>(row.reason));
    if (!row.alternate.empty()) {
      EXPECT_EQ(FindC3pReason(row.alternate),
                std::optional<C3pReason>(row.reason));
    }
  }
}

TEST(C3pReasonTest, AcceptsBothDoesntAndDoesNotSpellings) {
  EXPECT_EQ(FindC3pReason("conferenceDoesntExist"),
            C3pReason::kConferenceDoesntExist);
  EXPECT_EQ(FindC3pReason("conferenceDoesNotExist"),
            C3pReason::kConferenceDoesntExist);
  EXPECT_EQ(FindC3pReason("userDoesNotExist"), C3pReason::kUserDoesntExist);
  EXPECT_EQ(C3pReasonName(C3pReason::kConferenceDoesntExist),
            "conferenceDoesntExist");
}

TEST(C3pReasonTest, UnknownAndWrongCaseSpellingsAreNotFound) {
  EXPECT_EQ(FindC3pReason(""), std::nullopt);
  EXPECT_EQ(FindC3pReason("NotSupported"), std::nullopt);
  EXPECT_EQ(FindC3pReason("conferenceDoesntExists"), std::nullopt);
}

}  // namespace
}  // namespace codec
}  // namespace conf
