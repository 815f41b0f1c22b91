#include "testing/reference_subscriber.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Doc(absl::string_view state, int version, absl::string_view body) {
  return absl::StrCat(
      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" entity=\"sip:focus\" state=\"",
      state, "\" version=\"", version, "\">", body, "</conference-info>");
}

constexpr absl::string_view kTwoUsers =
    "<conference-description><subject>s</subject></conference-description>"
    "<users><user entity=\"sip:a\"><roles><entry>presenter</entry></roles>"
    "<endpoint entity=\"e1\"><status>connected</status>"
    "<media id=\"1\"><type>audio</type></media></endpoint></user>"
    "<user entity=\"sip:b\"><roles><entry>attendee</entry></roles></user>"
    "</users>";

TEST(ReferenceSubscriberTest, AppliesFullThenPartialsInOrder) {
  ReferenceSubscriber sub;
  ASSERT_THAT(sub.Apply(Doc("full", 1, kTwoUsers)), IsOk());
  EXPECT_THAT(sub.UserEntities(), ElementsAre("sip:a", "sip:b"));
  // Add c, delete b, and replace a's roles through a partial user.
  ASSERT_THAT(sub.Apply(Doc("partial", 2,
                            "<users state=\"partial\">"
                            "<user entity=\"sip:c\" state=\"full\"/>"
                            "<user entity=\"sip:b\" state=\"deleted\"/>"
                            "<user entity=\"sip:a\" state=\"partial\">"
                            "<roles><entry>attendee</entry></roles></user>"
                            "</users>")),
              IsOk());
  EXPECT_THAT(sub.UserEntities(), ElementsAre("sip:a", "sip:c"));
  EXPECT_EQ(sub.version(), 2u);

  ReferenceSubscriber fresh;
  ASSERT_THAT(
      fresh.Apply(
          Doc("full", 9,
              "<conference-description><subject>s</subject>"
              "</conference-description><users>"
              "<user entity=\"sip:c\"/>"
              "<user entity=\"sip:a\"><roles><entry>attendee</entry></roles>"
              "<endpoint entity=\"e1\"><status>connected</status>"
              "<media id=\"1\"><type>audio</type></media></endpoint></user>"
              "</users>")),
      IsOk());
  EXPECT_EQ(sub.Canonical(), fresh.Canonical());
}

TEST(ReferenceSubscriberTest, RefusesAVersionGapAndKeepsState) {
  ReferenceSubscriber sub;
  ASSERT_THAT(sub.Apply(Doc("full", 3, kTwoUsers)), IsOk());
  const std::string before = sub.Canonical();
  EXPECT_THAT(sub.Apply(Doc("partial", 5,
                            "<users state=\"partial\">"
                            "<user entity=\"sip:a\" state=\"deleted\"/>"
                            "</users>")),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("gap")));
  EXPECT_EQ(sub.Canonical(), before);
  EXPECT_EQ(sub.version(), 3u);
}

TEST(ReferenceSubscriberTest, DiscardsStaleVersions) {
  ReferenceSubscriber sub;
  ASSERT_THAT(sub.Apply(Doc("full", 3, kTwoUsers)), IsOk());
  absl::StatusOr<ReferenceSubscriber::Outcome> r =
      sub.Apply(Doc("partial", 3, "<users state=\"partial\"/>"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, ReferenceSubscriber::Outcome::kDiscarded);
}

TEST(ReferenceSubscriberTest, RefusesPartialBeforeFull) {
  ReferenceSubscriber sub;
  EXPECT_THAT(sub.Apply(Doc("partial", 1, "")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ReferenceSubscriberTest, MatchesEntityViewsByEntityWhateverThePrefix) {
  ReferenceSubscriber sub;
  ASSERT_THAT(
      sub.Apply(Doc("full", 1,
                    "<msci:conference-view>"
                    "<msci:entity-view entity=\"m1\"><msci:entity-state>"
                    "<msci:locked>false</msci:locked>"
                    "</msci:entity-state></msci:entity-view>"
                    "</msci:conference-view>")),
      IsOk());
  // Another prefix for the same namespaces.
  ASSERT_THAT(
      sub.Apply("<c:conference-info "
                "xmlns:c=\"urn:ietf:params:xml:ns:conference-info\""
                " xmlns:x=\"http://schemas.microsoft.com/rtc/2005/08/"
                "confinfoextensions\" entity=\"sip:focus\" c:state=\"partial\" "
                "version=\"2\"><x:conference-view c:state=\"partial\">"
                "<x:entity-view c:state=\"full\" entity=\"m1\"><x:entity-state>"
                "<x:locked>true</x:locked></x:entity-state></x:entity-view>"
                "</x:conference-view></c:conference-info>"),
      IsOk());
  EXPECT_THAT(sub.Canonical(), HasSubstr(">true<"));
  EXPECT_THAT(sub.Canonical(), ::testing::Not(HasSubstr(">false<")));
}

TEST(ReferenceSubscriberTest, DeletedRootEndsTheConference) {
  ReferenceSubscriber sub;
  ASSERT_THAT(sub.Apply(Doc("full", 1, kTwoUsers)), IsOk());
  ASSERT_THAT(sub.Apply(Doc("deleted", 2, "")), IsOk());
  EXPECT_TRUE(sub.deleted());
  EXPECT_TRUE(sub.UserEntities().empty());
}

TEST(ReferenceSubscriberTest, RejectsMalformedAndUndeclaredPrefixes) {
  ReferenceSubscriber sub;
  EXPECT_THAT(sub.Apply("<conference-info"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(sub.Apply(Doc("full", 1, "<msav:x/>")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("undeclared prefix")));
  EXPECT_THAT(sub.Apply("<other xmlns=\"urn:x\" version=\"1\"/>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace testing
}  // namespace conf
