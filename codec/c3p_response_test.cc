#include "codec/c3p_response.h"

#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/conference_info.h"
#include "engine/model.h"
#include "testing/sample_conferences.h"

namespace conf {
namespace codec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The normalized seed request (MS-CONFBAS 4.4.7).
constexpr absl::string_view kSeedRequest =
    "<request C3PVersion=\"1\"\n"
    "         requestId=\"5\"\n"
    "         from=\"sip:alice@contoso.com\"\n"
    "         to=\"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "\"\n"
    "         xmlns=\"urn:ietf:params:xml:ns:cccp\"\n"
    "         xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
    "confinfoextensions\">\n"
    "  <getConference>\n"
    "    <conferenceKeys confEntity=\"sip:alice@contoso.com;gruu;opaque=app:"
    "conf:focus:id:5D3747C\" />\n"
    "<msci:encryption-key>\n"
    "  <msci:x509-certificate>123213789BC234D</msci:x509-certificate>\n"
    "</msci:encryption-key>\n"
    "  </getConference>\n"
    "</request>\n";

constexpr ResponseAddress kAddress{"7", "sip:bob@fabrikam.com",
                                   "sip:focus@fabrikam.com;gruu", "deleteUser"};

void ExpectWellFormed(const std::string& name, const std::string& xml) {
  const testing::XmllintResult r =
      testing::RunXmllint(name, xml, testing::Schema::kNone);
  if (!r.ran) {
    GTEST_SKIP() << r.skip_reason;
  }
  EXPECT_TRUE(r.ok) << name << ": " << r.output;
}

TEST(C3pResponseTest, SuccessSwapsFromAndToAndEchoesTheRequestId) {
  EXPECT_EQ(EncodeSuccessResponse(kAddress),
            "<response xmlns=\"urn:ietf:params:xml:ns:cccp\" C3PVersion=\"1\" "
            "requestId=\"7\" from=\"sip:focus@fabrikam.com;gruu\" "
            "to=\"sip:bob@fabrikam.com\" code=\"success\"><deleteUser/>"
            "</response>");
}

TEST(C3pResponseTest, FailureCarriesTheCanonicalReasonOnTheCommand) {
  ResponseAddress a = kAddress;
  a.command_name = "getConference";
  EXPECT_EQ(EncodeFailureResponse(a, C3pReason::kConferenceDoesntExist),
            "<response xmlns=\"urn:ietf:params:xml:ns:cccp\" C3PVersion=\"1\" "
            "requestId=\"7\" from=\"sip:focus@fabrikam.com;gruu\" "
            "to=\"sip:bob@fabrikam.com\" code=\"failure\"><getConference "
            "reason=\"conferenceDoesntExist\"/></response>");
}

TEST(C3pResponseTest, FailureMayCarryADisplayStringOnTheResponse) {
  ResponseAddress a = kAddress;
  a.command_name = "addUser";
  EXPECT_EQ(EncodeFailureResponse(a, C3pReason::kOtherFailure,
                                  "the focus cannot store changes"),
            "<response xmlns=\"urn:ietf:params:xml:ns:cccp\" C3PVersion=\"1\" "
            "requestId=\"7\" from=\"sip:focus@fabrikam.com;gruu\" "
            "to=\"sip:bob@fabrikam.com\" code=\"failure\" "
            "displayString=\"the focus cannot store changes\"><addUser "
            "reason=\"otherFailure\"/></response>");
}

TEST(C3pResponseTest, UnknownCommandIsAnsweredNotSupportedUnderItsName) {
  ResponseAddress a = kAddress;
  a.command_name = "getTemplates";
  EXPECT_THAT(EncodeFailureResponse(a, C3pReason::kNotSupported),
              HasSubstr("code=\"failure\"><getTemplates "
                        "reason=\"notSupported\"/></response>"));
}

TEST(C3pResponseTest, UnusableCommandNameMovesTheReasonToTheResponse) {
  for (absl::string_view name : {"", "x:y", "1abc", "a b", "<evil/>"}) {
    SCOPED_TRACE(name);
    ResponseAddress a = kAddress;
    a.command_name = name;
    const std::string r =
        EncodeFailureResponse(a, C3pReason::kRequestMalformed);
    EXPECT_THAT(r, HasSubstr("code=\"failure\" reason=\"requestMalformed\"/>"));
    EXPECT_THAT(r, Not(HasSubstr("<evil")));
  }
}

TEST(C3pResponseTest, EscapesEchoedAddresses) {
  ResponseAddress a = kAddress;
  a.request_id = "1\"><x/>";
  a.request_from = "sip:a&b@c";
  const std::string r = EncodeSuccessResponse(a);
  EXPECT_THAT(r, HasSubstr("requestId=\"1&quot;&gt;&lt;x/&gt;\""));
  EXPECT_THAT(r, HasSubstr("to=\"sip:a&amp;b@c\""));
  ExpectWellFormed("escaped.xml", r);
}

TEST(C3pResponseTest, GetConferenceForTheSeedRequestMatchesGolden) {
  std::vector<char> body(kSeedRequest.begin(), kSeedRequest.end());
  absl::StatusOr<C3pRequest> request = ParseC3pRequest(std::move(body));
  ASSERT_TRUE(request.ok()) << request.status();
  const ResponseAddress a = ResponseAddressFor(*request);
  EXPECT_EQ(a.command_name, "getConference");
  EXPECT_EQ(a.request_from, "sip:alice@contoso.com");

  const engine::ConferenceSnapshot s = testing::SeedSnapshot();
  const DocumentSecrets secrets = testing::FakeSecrets();
  const EncodedDocument doc = EncodeConferenceInfo(
      s, Viewer{engine::ViewerRole::kLeader, s.organizer}, &secrets);
  const std::string response = EncodeGetConferenceResponse(a, doc);

  // The embedded document is the standalone one without its declaration.
  EXPECT_THAT(response, HasSubstr(doc.WithVersion(4, XmlDeclaration::kOmit) +
                                  "</getConference></response>"));
  EXPECT_THAT(response, HasSubstr("from=\"sip:alice@contoso.com;gruu;opaque="
                                  "app:conf:focus:id:5D3747C \" "
                                  "to=\"sip:alice@contoso.com\""));
  ExpectWellFormed("get_conference_response.xml", response);

  // The embedded document validates on its own.
  const size_t begin = response.find("<conference-info ");
  const size_t end = response.find("</conference-info>");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const testing::XmllintResult valid = testing::RunXmllint(
      "embedded.xml",
      response.substr(begin, end + strlen("</conference-info>") - begin),
      testing::Schema::kRfc4575);
  if (valid.ran) {
    EXPECT_TRUE(valid.ok) << valid.output;
  }

  const std::string golden = [] {
    std::ifstream in("codec/testdata/golden/get_conference_response.xml",
                     std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  if (response != golden) {
    if (const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::ofstream(std::string(dir) + "/get_conference_response.xml",
                    std::ios::binary)
          << response;
    }
  }
  EXPECT_EQ(response, golden);
}

TEST(C3pResponseTest, GetConferenceInOnePassEqualsDocumentThenEnvelope) {
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(30);
  s.version = 1234567;
  const DocumentSecrets secrets = testing::FakeSecrets();
  const Viewer leader{engine::ViewerRole::kLeader,
                      engine::UserId("sip:alice@fabrikam.com")};
  ResponseAddress unusable = kAddress;
  unusable.command_name = "get conference";  // not an NCName: no child
  ResponseAddress get = kAddress;
  get.command_name = "getConference";
  for (const ResponseAddress& a : {get, unusable}) {
    SCOPED_TRACE(a.command_name);
    for (const DocumentSecrets* sec :
         {static_cast<const DocumentSecrets*>(nullptr), &secrets}) {
      const std::string expected =
          EncodeGetConferenceResponse(a, EncodeConferenceInfo(s, leader, sec));
      // A fresh buffer, a buffer holding a longer stale answer, and one
      // holding a short answer with room for the long one.
      std::string fresh;
      std::string stale(expected.size() + 4096, '#');
      std::string short_with_room;
      short_with_room.reserve(expected.size() * 2);
      const std::string short_answer = EncodeSuccessResponse(kAddress);
      short_with_room.assign(short_answer);  // a copy keeps the capacity
      const size_t room = short_with_room.capacity();
      for (std::string* out : {&fresh, &stale, &short_with_room}) {
        EncodeGetConferenceResponse(a, s, leader, sec, out);
        EXPECT_EQ(*out, expected);
      }
      EXPECT_EQ(short_with_room.capacity(), room);
      // And again into the same buffer: nothing of the last answer stays.
      EncodeGetConferenceResponse(a, s, leader, sec, &stale);
      EXPECT_EQ(stale, expected);
    }
  }
  std::string out;
  EncodeGetConferenceResponse(get, s, leader, &secrets, &out);
  EXPECT_THAT(out, HasSubstr("version=\"1234567\""));
  ExpectWellFormed("one_pass.xml", out);
}

TEST(C3pResponseTest, AddUserReturnsTheGrantedRoleOnce) {
  auto user = std::make_shared<engine::User>(*testing::MakeUser(3));
  user->role = engine::Role::kAttendee;
  ResponseAddress a = kAddress;
  a.command_name = "addUser";
  const std::string r =
      EncodeAddUserResponse(a, engine::ConferenceId("sip:focus;id=1"), *user);
  EXPECT_THAT(r, HasSubstr("<addUser><conferenceKeys confEntity=\"sip:focus;"
                           "id=1\"/><user xmlns=\"urn:ietf:params:xml:ns:"
                           "conference-info\""));
  EXPECT_THAT(r, HasSubstr("<roles><entry>attendee</entry></roles>"));
  EXPECT_EQ(r.find("<roles>"), r.rfind("<roles>"));
  ExpectWellFormed("add_user.xml", r);
}

TEST(C3pResponseTest, ConferenceEntityBodies) {
  ResponseAddress a = kAddress;
  a.command_name = "deleteConference";
  const std::string r =
      EncodeDeleteConferenceResponse(a, engine::ConferenceId("sip:focus;id=1"));
  EXPECT_THAT(r, HasSubstr("<deleteConference><conference-info xmlns=\"urn:"
                           "ietf:params:xml:ns:conference-info\" "
                           "entity=\"sip:focus;id=1\"/></deleteConference>"));
  a.command_name = "getConferences";
  EXPECT_THAT(
      EncodeGetConferencesResponse(
          a, {engine::ConferenceId("sip:c1"), engine::ConferenceId("sip:c2")}),
      HasSubstr("entity=\"sip:c1\"/><conference-info xmlns=\"urn:ietf:params:"
                "xml:ns:conference-info\" entity=\"sip:c2\"/>"));
}

TEST(C3pResponseTest, McuTypesAndCapabilities) {
  ResponseAddress a = kAddress;
  a.command_name = "getAvailableMcuTypes";
  EXPECT_THAT(EncodeGetAvailableMcuTypesResponse(a, {"audio-video", "chat"}),
              HasSubstr("<getAvailableMcuTypes><mcu-types><mcuType>audio-video"
                        "</mcuType><mcuType>chat</mcuType></mcu-types>"
                        "</getAvailableMcuTypes>"));
  a.command_name = "getConferencingCapabilities";
  ConferencingCapabilities caps;
  caps.mcu_types = {"chat"};
  caps.regions.push_back({"EU", {"+44 20 0000"}});
  caps.default_region = "EU";
  const std::string r = EncodeGetConferencingCapabilitiesResponse(a, caps);
  // SIPE reads the default region at
  // pstn-bridging/access-numbers/default-region.
  EXPECT_THAT(r, HasSubstr("<pstn-bridging><access-numbers><region name=\"EU\">"
                           "<access-number><number>+44 20 0000</number>"
                           "</access-number></region>"
                           "<default-region>EU</default-region>"
                           "</access-numbers></pstn-bridging>"));
  ExpectWellFormed("capabilities.xml", r);
}

TEST(C3pResponseTest, EndorseUserEchoesKeysWithResult) {
  ResponseAddress a = kAddress;
  a.command_name = "endorseUser";
  EXPECT_THAT(EncodeEndorseUserResponse(a, engine::ConferenceId("sip:f")),
              HasSubstr("<endorseUser result=\"success\"><conferenceKeys "
                        "confEntity=\"sip:f\"/></endorseUser>"));
}

}  // namespace
}  // namespace codec
}  // namespace conf
