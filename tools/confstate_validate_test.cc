#include "tools/confstate_validate.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace tools {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

// A conference-info document with `body` inside the root.
std::string Document(const std::string& body,
                     const std::string& root_attributes =
                         "entity=\"sip:f@x\" state=\"full\" version=\"1\"") {
  return absl::StrCat(
      "<?xml version=\"1.0\"?>\n<conference-info "
      "xmlns=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" xmlns:ci=\"urn:ietf:params:xml:ns:"
      "conference-info\" ",
      root_attributes, ">", body, "</conference-info>");
}

TEST(ValidateConferenceInfoTest, AcceptsAWellFormedDocument) {
  EXPECT_THAT(ValidateConferenceInfo(Document(
                  "<users state=\"partial\"><user entity=\"sip:a@x\" "
                  "state=\"deleted\"/><user entity=\"sip:b@x\"/></users>"
                  "<msci:conference-view><msci:entity-view ci:state=\"full\" "
                  "entity=\"e1\"/></msci:conference-view>")),
              IsOk());
}

TEST(ValidateConferenceInfoTest, RefusesWhatIsNotConferenceInfo) {
  EXPECT_THAT(ValidateConferenceInfo("<users"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not well-formed")));
  EXPECT_THAT(ValidateConferenceInfo("<conference-info entity=\"a\" "
                                     "version=\"1\"/>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not conference-info")));
  EXPECT_THAT(ValidateConferenceInfo(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateConferenceInfoTest, RequiresEntityAndVersion) {
  EXPECT_THAT(
      ValidateConferenceInfo(Document("", "version=\"1\"")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no entity")));
  EXPECT_THAT(
      ValidateConferenceInfo(Document("", "entity=\"sip:f@x\"")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no version")));
  EXPECT_THAT(
      ValidateConferenceInfo(Document("", "entity=\"sip:f@x\" version=\"-3\"")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no version")));
}

TEST(ValidateConferenceInfoTest, RefusesUnknownStateValues) {
  EXPECT_THAT(
      ValidateConferenceInfo(Document("<users state=\"halfway\"/>")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("halfway")));
  EXPECT_THAT(ValidateConferenceInfo(
                  Document("<msci:conference-view ci:state=\"x\"/>")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateConferenceInfoTest, RefusesDuplicateKeys) {
  EXPECT_THAT(
      ValidateConferenceInfo(Document("<users><user entity=\"sip:a@x\"/><user "
                                      "entity=\"sip:a@x\"/></users>")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("duplicate <user>")));
  EXPECT_THAT(ValidateConferenceInfo(Document(
                  "<conference-description><conf-uris><entry><uri>u</uri>"
                  "</entry><entry><uri>u</uri></entry></conf-uris>"
                  "</conference-description>")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate <entry>")));
}

TEST(ValidateConferenceInfoTest, RefusesUndeclaredPrefixes) {
  EXPECT_THAT(ValidateConferenceInfo(Document("<msav:capabilities/>")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("undeclared prefix")));
}

TEST(ValidateConferenceInfoTest, RefusesDeepNesting) {
  std::string body;
  for (int i = 0; i < 100; ++i)
    body += "<users>";
  for (int i = 0; i < 100; ++i)
    body += "</users>";
  EXPECT_THAT(ValidateConferenceInfo(Document(body)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
}

TEST(ValidateConferenceInfoTest, RefusesVeryDeepNestingWithoutRecursing) {
  std::string body;
  for (int i = 0; i < 1000000; ++i)
    body += "<a>";
  EXPECT_THAT(ValidateConferenceInfo(Document(body)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
}

}  // namespace
}  // namespace tools
}  // namespace conf
