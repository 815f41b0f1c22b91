#include "codec/c3p_request.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kConf[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ABCD";

std::vector<char> Bytes(absl::string_view s) {
  return std::vector<char>(s.begin(), s.end());
}

std::string ReadSeed(absl::string_view name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  EXPECT_NE(srcdir, nullptr);
  EXPECT_NE(workspace, nullptr);
  const std::string path =
      absl::StrCat(srcdir, "/", workspace, "/tests/testdata/seed/", name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// A request envelope around `command`, with the usual namespaces.
std::string Request(absl::string_view command) {
  return absl::StrCat(
      "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" "
      "xmlns:ci=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" "
      "xmlns:mscp=\"http://schemas.microsoft.com/rtc/2005/08/cccpextensions\" "
      "xmlns:cis=\"urn:ietf:params:xml:ns:conference-info-separator\" "
      "C3PVersion=\"1\" requestId=\"7\" from=\"sip:bob@contoso.com\" to=\"",
      kConf, "\">", command, "</request>");
}

absl::StatusOr<C3pRequest> Parse(absl::string_view body) {
  return ParseC3pRequest(Bytes(body));
}

TEST(ParseC3pRequestTest, NormalizedSeedParsesIntoGetConference) {
  absl::StatusOr<C3pRequest> request =
      ParseC3pRequest(Bytes(ReadSeed("getConference.request.normalized.xml")));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->request_id, "5");
  EXPECT_EQ(request->from, "sip:alice@contoso.com");
  // The seed's `to` ends in a space; values are kept byte for byte.
  EXPECT_EQ(request->to,
            "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C ");
  EXPECT_EQ(request->c3p_version, "1");
  EXPECT_EQ(request->command_type, C3pCommand::kGetConference);
  const auto* get = std::get_if<C3pGetConference>(&request->command);
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->keys.conf_entity,
            "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C");
  EXPECT_TRUE(get->has_encryption_key);
  EXPECT_EQ(get->x509_certificate, "123213789BC234D");
}

TEST(ParseC3pRequestTest, RawSeedFailsNamingNoBreakSpaceAndItsOffset) {
  absl::StatusOr<C3pRequest> request =
      ParseC3pRequest(Bytes(ReadSeed("getConference.request.raw.xml")));
  EXPECT_THAT(request,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("U+00A0 (no-break space, not XML white space) "
                                 "at offset 24 (line 2, column 1)")));
  // Not well-formed: no C3P envelope to answer with (SIP 400 instead).
  EXPECT_EQ(C3pEnvelopeFromStatus(request.status()), std::nullopt);
}

TEST(ParseC3pRequestTest, MatchesNamespacesWhateverPrefixesTheSenderChose) {
  absl::StatusOr<C3pRequest> request = Parse(absl::StrCat(
      "<c:request xmlns:c=\"urn:ietf:params:xml:ns:cccp\" "
      "xmlns:x=\"http://schemas.microsoft.com/rtc/2005/08/confinfoextensions\" "
      "requestId=\"9\" from=\"sip:a@b\" to=\"sip:f@b\">"
      "<c:getConference><c:conferenceKeys x:conference-id=\"ABCD1234\"/>"
      "<x:encryption-key><x:x509-certificate>\n  TUlJ\n  QQ==\n"
      "</x:x509-certificate></x:encryption-key></c:getConference>"
      "</c:request>"));
  ASSERT_THAT(request, IsOk());
  const auto& get = std::get<C3pGetConference>(request->command);
  EXPECT_EQ(get.keys.conf_entity, "");
  EXPECT_EQ(get.keys.conference_id, "ABCD1234");
  // White space inside the certificate is kept; crypto strips it.
  EXPECT_EQ(get.x509_certificate, "\n  TUlJ\n  QQ==\n");
}

// The 2005/08 and 2008/12 msci URIs have the same length and differ in a
// few bytes; a prefix bound to one is never read as the other, and a prefix
// rebound on a child element follows the child's binding.
TEST(ParseC3pRequestTest, TellsApartNamespacesOfEqualLength) {
  const std::string k2005 =
      "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions";
  const std::string k2008 =
      "http://schemas.microsoft.com/rtc/2008/12/confinfoextensions";
  ASSERT_EQ(k2005.size(), k2008.size());
  auto body = [](absl::string_view key_ns, absl::string_view id_ns) {
    return absl::StrCat(
        "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" requestId=\"9\" "
        "from=\"sip:a@b\" to=\"sip:f@b\"><getConference>"
        "<conferenceKeys xmlns:x=\"",
        id_ns,
        "\" confEntity=\"sip:f@b\" x:conference-id=\"ABCD\"/>"
        "<m:encryption-key xmlns:m=\"",
        key_ns,
        "\"><m:x509-certificate>TUlJ</m:x509-certificate></m:encryption-key>"
        "</getConference></request>");
  };
  absl::StatusOr<C3pRequest> ours = Parse(body(k2005, k2005));
  ASSERT_THAT(ours, IsOk());
  const auto& get = std::get<C3pGetConference>(ours->command);
  EXPECT_TRUE(get.has_encryption_key);
  EXPECT_EQ(get.x509_certificate, "TUlJ");
  EXPECT_EQ(get.keys.conference_id, "ABCD");

  absl::StatusOr<C3pRequest> other = Parse(body(k2008, k2008));
  ASSERT_THAT(other, IsOk());
  const auto& foreign = std::get<C3pGetConference>(other->command);
  EXPECT_FALSE(foreign.has_encryption_key);  // a foreign child: ignored
  EXPECT_EQ(foreign.x509_certificate, "");
  EXPECT_EQ(foreign.keys.conference_id, "");

  // The cccp prefix rebound to the conference-info namespace on a child.
  EXPECT_THAT(
      Parse("<c:request xmlns:c=\"urn:ietf:params:xml:ns:cccp\" "
            "requestId=\"9\" from=\"sip:a@b\" to=\"sip:f@b\"><c:getConference>"
            "<c:conferenceKeys "
            "xmlns:c=\"urn:ietf:params:xml:ns:conference-info\" "
            "confEntity=\"sip:f@b\"/></c:getConference></c:request>"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unexpected element <c:conferenceKeys>")));
}

TEST(ParseC3pRequestTest, ViewsStayValidAfterTheRequestMoves) {
  absl::StatusOr<C3pRequest> request = Parse(Request(
      absl::StrCat("<deleteUser><userKeys confEntity=\"", kConf,
                   "\" userEntity=\"sip:carol@contoso.com\"/></deleteUser>")));
  ASSERT_THAT(request, IsOk());
  C3pRequest moved = *std::move(request);
  std::vector<C3pRequest> many;
  many.push_back(std::move(moved));
  many.reserve(64);  // moves the element again
  const auto& del = std::get<C3pDeleteUser>(many[0].command);
  EXPECT_EQ(del.keys.user_entity, "sip:carol@contoso.com");
  EXPECT_EQ(many[0].request_id, "7");
}

TEST(ParseC3pRequestTest, AddConferenceCarriesDescriptionAndViews) {
  absl::StatusOr<C3pRequest> request = Parse(Request(
      "<addConference><ci:conference-info entity=\"\">"
      "<ci:conference-description><ci:subject>Q3 review</ci:subject>"
      "<msci:conference-id>ABCD1234</msci:conference-id>"
      "<msci:expiry-time>2026-12-01T10:00:00Z</msci:expiry-time>"
      "<msci:admission-policy>openAuthenticated</msci:admission-policy>"
      "<x:note xmlns:x=\"urn:x\">kept &amp; escaped</x:note>"
      "</ci:conference-description>"
      "<msci:conference-view><msci:entity-view entity=\"chat\"/>"
      "<msci:entity-view entity=\"audio-video\"/></msci:conference-view>"
      "</ci:conference-info></addConference>"));
  ASSERT_THAT(request, IsOk());
  const auto& add = std::get<C3pAddConference>(request->command);
  EXPECT_EQ(add.conference_info.entity, "");
  ASSERT_TRUE(add.conference_info.description.has_value());
  const C3pDescriptionView& d = *add.conference_info.description;
  EXPECT_EQ(d.subject, "Q3 review");
  EXPECT_EQ(d.conference_id, "ABCD1234");
  EXPECT_EQ(d.expiry_time, "2026-12-01T10:00:00Z");
  EXPECT_EQ(d.admission_policy, "openAuthenticated");
  ASSERT_EQ(d.extensions.size(), 1u);
  EXPECT_EQ(d.extensions[0].namespace_uri, "urn:x");
  EXPECT_EQ(d.extensions[0].local_name, "note");
  EXPECT_EQ(d.extensions[0].raw_xml,
            "<x:note xmlns:x=\"urn:x\">kept &amp; escaped</x:note>");
  ASSERT_EQ(add.conference_info.entity_views.size(), 2u);
  EXPECT_EQ(add.conference_info.entity_views[1].entity, "audio-video");
}

TEST(ParseC3pRequestTest, InConferenceModifyConferenceCarriesEntityState) {
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<modifyConference mscp:mcuUri=\"sip:alice@contoso.com;gruu;opaque=app:"
      "conf:audio-video:id:ABCD\"><ci:conference-info entity=\"",
      kConf,
      "\" state=\"partial\"><msci:conference-view ci:state=\"partial\">"
      "<msci:entity-view ci:state=\"partial\" entity=\"sip:av\">"
      "<msci:entity-state><msci:locked>true</msci:locked>"
      "<msav:capabilities xmlns:msav=\"urn:msav\"><msav:x/></msav:capabilities>"
      "</msci:entity-state></msci:entity-view></msci:conference-view>"
      "</ci:conference-info></modifyConference>")));
  ASSERT_THAT(request, IsOk());
  const auto& mod = std::get<C3pModifyConference>(request->command);
  EXPECT_EQ(mod.mcu_uri,
            "sip:alice@contoso.com;gruu;opaque=app:conf:audio-video:id:ABCD");
  EXPECT_EQ(mod.conference_info.state, "partial");
  ASSERT_EQ(mod.conference_info.entity_views.size(), 1u);
  const C3pEntityViewView& v = mod.conference_info.entity_views[0];
  EXPECT_EQ(v.state, "partial");
  EXPECT_TRUE(v.has_entity_state);
  EXPECT_EQ(v.locked, "true");
  ASSERT_EQ(v.entity_state_extensions.size(), 1u);
  EXPECT_EQ(v.entity_state_extensions[0].raw_xml,
            "<msav:capabilities xmlns:msav=\"urn:msav\"><msav:x/>"
            "</msav:capabilities>");
}

TEST(ParseC3pRequestTest, AddUserKeepsClientInfoAfterSeparator) {
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<addUser><conferenceKeys confEntity=\"", kConf,
      "\"/><ci:user entity=\"sip:bob@contoso.com\"><ci:roles>"
      "<ci:entry>attendee</ci:entry></ci:roles>"
      "<ci:endpoint entity=\"{6A5B}\" session-type=\"focus\">"
      "<msci:clientInfo><cis:separator/><lobby-capable "
      "xmlns=\"http://schemas.microsoft.com/rtc/2008/12/confinfoextensions\">"
      "true</lobby-capable><y:z xmlns:y=\"urn:y\"/></msci:clientInfo>"
      "</ci:endpoint></ci:user></addUser>")));
  ASSERT_THAT(request, IsOk());
  const auto& add = std::get<C3pAddUser>(request->command);
  EXPECT_EQ(add.keys.conf_entity, kConf);
  EXPECT_EQ(add.user.entity, "sip:bob@contoso.com");
  EXPECT_THAT(add.user.roles, ElementsAre("attendee"));
  ASSERT_EQ(add.user.endpoints.size(), 1u);
  const C3pEndpointView& ep = add.user.endpoints[0];
  EXPECT_EQ(ep.entity, "{6A5B}");
  EXPECT_EQ(ep.session_type, "focus");
  EXPECT_TRUE(ep.has_client_info);
  EXPECT_EQ(ep.lobby_capable, "true");
  ASSERT_EQ(ep.client_info_extensions.size(), 1u);
  EXPECT_EQ(ep.client_info_extensions[0].separators_before, 1);
  EXPECT_EQ(ep.client_info_extensions[0].raw_xml, "<y:z xmlns:y=\"urn:y\"/>");
}

TEST(ParseC3pRequestTest, EndpointMsAttributesAreReadQualifiedOrNot) {
  // The specification's example qualifies them (msci:session-type), as the
  // focus writes them; MS-CONFBAS 2.2.3.15 prints dial-out ones bare.
  absl::StatusOr<C3pRequest> request = Parse(Request(
      absl::StrCat("<addUser><conferenceKeys confEntity=\"", kConf,
                   "\"/><ci:user entity=\"sip:bob@contoso.com\"><ci:endpoint "
                   "entity=\"{6A5B}\" msci:session-type=\"focus\" "
                   "msci:endpoint-uri=\"sip:bob@contoso.com;gruu\" "
                   "refer-to-uri=\"tel:+15550100\" msci:other=\"kept\"/>"
                   "</ci:user></addUser>")));
  ASSERT_THAT(request, IsOk());
  const C3pEndpointView& ep =
      std::get<C3pAddUser>(request->command).user.endpoints[0];
  EXPECT_EQ(ep.session_type, "focus");
  EXPECT_EQ(ep.endpoint_uri, "sip:bob@contoso.com;gruu");
  EXPECT_EQ(ep.refer_to_uri, "tel:+15550100");
  // Read ones are not kept a second time as extension attributes.
  ASSERT_EQ(ep.attributes.size(), 1u);
  EXPECT_EQ(ep.attributes[0].local_name, "other");
}

TEST(ParseC3pRequestTest, DialOutAddUserCarriesMcuAndEndpointUris) {
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<addUser mscp:mcuUri=\"sip:av\"><conferenceKeys confEntity=\"", kConf,
      "\"/><ci:user entity=\"sip:dave@contoso.com\"><ci:endpoint "
      "entity=\"{1}\" endpoint-uri=\"tel:+15550100\">"
      "<ci:joining-method>dialed-out</ci:joining-method></ci:endpoint>"
      "</ci:user></addUser>")));
  ASSERT_THAT(request, IsOk());
  const auto& add = std::get<C3pAddUser>(request->command);
  EXPECT_EQ(add.mcu_uri, "sip:av");
  EXPECT_EQ(add.user.endpoints[0].endpoint_uri, "tel:+15550100");
  EXPECT_EQ(add.user.endpoints[0].joining_method, "dialed-out");
}

TEST(ParseC3pRequestTest, ParsesEveryOtherCommand) {
  struct Case {
    std::string body;
    C3pCommand command;
  };
  const std::string keys =
      absl::StrCat("<conferenceKeys confEntity=\"", kConf, "\"/>");
  const std::string user_keys =
      absl::StrCat("<userKeys confEntity=\"", kConf,
                   "\" userEntity=\"sip:bob@contoso.com\"/>");
  const Case cases[] = {
      {absl::StrCat("<deleteConference>", keys, "</deleteConference>"),
       C3pCommand::kDeleteConference},
      {"<getConferences static=\"true\"/>", C3pCommand::kGetConferences},
      {"<getAvailableMcuTypes/>", C3pCommand::kGetAvailableMcuTypes},
      {"<getConferencingCapabilities/>",
       C3pCommand::kGetConferencingCapabilities},
      {"<ping/>", C3pCommand::kPing},
      {absl::StrCat("<modifyConferenceLock>", keys,
                    "<locked>true</locked></modifyConferenceLock>"),
       C3pCommand::kModifyConferenceLock},
      {absl::StrCat("<modifyUserRoles>", user_keys,
                    "<ci:user-roles><ci:entry>presenter</ci:entry>"
                    "</ci:user-roles></modifyUserRoles>"),
       C3pCommand::kModifyUserRoles},
      {absl::StrCat("<setLobbyAccess>", keys,
                    "<userEntity>sip:e@contoso.com</userEntity>"
                    "<userEntity>sip:f@contoso.com</userEntity>"
                    "<access>denied</access></setLobbyAccess>"),
       C3pCommand::kSetLobbyAccess},
      {absl::StrCat("<endorseUser>", user_keys, "</endorseUser>"),
       C3pCommand::kEndorseUser},
      {absl::StrCat("<modifyEndpointMedia mscp:mcuUri=\"sip:av\">"
                    "<mediaKeys confEntity=\"",
                    kConf,
                    "\" userEntity=\"sip:bob@contoso.com\" "
                    "endpointEntity=\"{1}\" mediaId=\"2\"/><ci:media id=\"2\">"
                    "<ci:type>audio</ci:type><ci:status>recvonly</ci:status>"
                    "<msci:media-ingress-filter>block"
                    "</msci:media-ingress-filter></ci:media>"
                    "</modifyEndpointMedia>"),
       C3pCommand::kModifyEndpointMedia},
      {absl::StrCat("<modifyEndpoint>", user_keys,
                    "<ci:endpoint entity=\"{1}\"><ci:status>connected"
                    "</ci:status></ci:endpoint></modifyEndpoint>"),
       C3pCommand::kModifyEndpoint},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<C3pRequest> request = Parse(Request(c.body));
    ASSERT_THAT(request, IsOk());
    EXPECT_EQ(request->command_type, c.command);
    EXPECT_EQ(request->command.index(), static_cast<size_t>(c.command));
    EXPECT_EQ(request->command_name, C3pCommandName(c.command));
  }
}

TEST(ParseC3pRequestTest, CommandFieldsHoldTheSentValues) {
  absl::StatusOr<C3pRequest> lock = Parse(Request(
      absl::StrCat("<modifyConferenceLock><conferenceKeys confEntity=\"", kConf,
                   "\"/><locked> false </locked></modifyConferenceLock>")));
  ASSERT_THAT(lock, IsOk());
  EXPECT_FALSE(std::get<C3pModifyConferenceLock>(lock->command).locked);

  absl::StatusOr<C3pRequest> lobby = Parse(Request(absl::StrCat(
      "<setLobbyAccess><conferenceKeys confEntity=\"", kConf,
      "\"/><userEntity>sip:e@x</userEntity><access>granted</access>"
      "</setLobbyAccess>")));
  ASSERT_THAT(lobby, IsOk());
  const auto& set = std::get<C3pSetLobbyAccess>(lobby->command);
  EXPECT_THAT(set.user_entities, ElementsAre("sip:e@x"));
  EXPECT_EQ(set.access, C3pLobbyAccess::kGranted);

  absl::StatusOr<C3pRequest> media = Parse(Request(absl::StrCat(
      "<modifyEndpointMedia><mediaKeys confEntity=\"", kConf,
      "\" userEntity=\"u\" endpointEntity=\"e\" mediaId=\"3\"/>"
      "<ci:media id=\"3\"><ci:status>sendrecv</ci:status>"
      "<msci:media-ingress-filter>unblock</msci:media-ingress-filter>"
      "</ci:media></modifyEndpointMedia>")));
  ASSERT_THAT(media, IsOk());
  const auto& m = std::get<C3pModifyEndpointMedia>(media->command);
  EXPECT_EQ(m.keys.endpoint_entity, "e");
  EXPECT_EQ(m.media.status, "sendrecv");
  EXPECT_EQ(m.media.ingress_filter, "unblock");
}

TEST(ParseC3pRequestTest, EndorseUserUnderstandsBothReasonSpellings) {
  for (absl::string_view result :
       {"conferenceDoesntExist", "conferenceDoesNotExist"}) {
    SCOPED_TRACE(result);
    absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
        "<endorseUser result=\"", result, "\"><conferenceKeys confEntity=\"",
        kConf, "\"/></endorseUser>")));
    // userEntity is required when conferenceKeys address the user.
    EXPECT_THAT(request, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("missing attribute userEntity")));
    request = Parse(Request(absl::StrCat("<endorseUser result=\"", result,
                                         "\" userEntity=\"sip:g@x\">"
                                         "<conferenceKeys confEntity=\"",
                                         kConf, "\"/></endorseUser>")));
    ASSERT_THAT(request, IsOk());
    const auto& endorse = std::get<C3pEndorseUser>(request->command);
    EXPECT_EQ(endorse.access, C3pLobbyAccess::kDenied);
    EXPECT_EQ(endorse.reason, C3pReason::kConferenceDoesntExist);
    EXPECT_EQ(endorse.keys.user_entity, "sip:g@x");
  }
}

TEST(ParseC3pRequestTest, UnknownCommandParsesForANotSupportedAnswer) {
  absl::StatusOr<C3pRequest> request =
      Parse(Request("<getEncryptionKey><whatever/></getEncryptionKey>"));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->command_type, C3pCommand::kUnknown);
  EXPECT_EQ(request->command_name, "getEncryptionKey");
  EXPECT_TRUE(std::holds_alternative<C3pUnknownCommand>(request->command));
}

TEST(ParseC3pRequestTest, RefusesMalformedC3pWithEnvelopeForTheFailure) {
  struct Case {
    const char* name;
    std::string command;
    const char* message;
  };
  const Case cases[] = {
      {"two commands", "<ping/><ping/>", "more than one command"},
      {"no command", "", "request carries no command"},
      {"foreign command", "<x:ping xmlns:x=\"urn:x\"/>",
       "is not in the cccp namespace"},
      {"unknown cccp child", "<getConference><bogus/></getConference>",
       "unexpected element <bogus> in <getConference>"},
      {"missing keys", "<getConference/>", "missing <conferenceKeys>"},
      {"keys without entity",
       "<deleteConference><conferenceKeys/>"
       "</deleteConference>",
       "conferenceKeys needs confEntity"},
      {"duplicate keys",
       "<deleteConference><conferenceKeys confEntity=\"a\"/>"
       "<conferenceKeys confEntity=\"b\"/></deleteConference>",
       "duplicate <conferenceKeys>"},
      {"bad lock",
       "<modifyConferenceLock><conferenceKeys confEntity=\"a\"/>"
       "<locked>maybe</locked></modifyConferenceLock>",
       "expected true or false"},
      {"media id mismatch",
       "<modifyEndpointMedia><mediaKeys confEntity=\"a\" userEntity=\"u\" "
       "endpointEntity=\"e\" mediaId=\"1\"/><ci:media id=\"2\"/>"
       "</modifyEndpointMedia>",
       "differs from mediaKeys"},
      {"unknown ci element in user",
       "<addUser><conferenceKeys confEntity=\"a\"/><ci:user entity=\"u\">"
       "<ci:bogus/></ci:user></addUser>",
       "unexpected element <ci:bogus> in <ci:user>"},
      {"unknown endorse result",
       "<endorseUser result=\"nope\"><userKeys confEntity=\"a\" "
       "userEntity=\"u\"/></endorseUser>",
       "unknown endorseUser result"},
      {"bad access",
       "<setLobbyAccess><conferenceKeys confEntity=\"a\"/>"
       "<userEntity>u</userEntity><access>maybe</access>"
       "</setLobbyAccess>",
       "expected granted or denied"},
      {"empty certificate",
       "<getConference><conferenceKeys confEntity=\"a\"/><msci:encryption-key>"
       "<msci:x509-certificate> </msci:x509-certificate></msci:encryption-key>"
       "</getConference>",
       "empty <x509-certificate>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<C3pRequest> request = Parse(Request(c.command));
    ASSERT_THAT(request, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr(c.message)));
    EXPECT_THAT(std::string(request.status().message()), HasSubstr("offset"));
    std::optional<C3pEnvelope> envelope =
        C3pEnvelopeFromStatus(request.status());
    ASSERT_TRUE(envelope.has_value());
    EXPECT_EQ(envelope->request_id, "7");
    EXPECT_EQ(envelope->from, "sip:bob@contoso.com");
    EXPECT_EQ(envelope->to, kConf);
  }
}

// RFC 4575 elements of users and endpoints are read into their views
// (docs/CODEC.md, "RFC 4575 elements in requests"), never kept as
// extensions, whatever order they come in.
TEST(ParseC3pRequestTest, AddUserReadsRfc4575UserAndEndpointElements) {
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<addUser><conferenceKeys confEntity=\"", kConf,
      "\"/><ci:user entity=\"sip:bob@contoso.com\">"
      "<ci:associated-aors state=\"full\"><ci:entry x:a=\"1\" "
      "xmlns:x=\"urn:x\"><ci:uri> sip:bob@fabrikam.com </ci:uri>"
      "<ci:display-text>Bob</ci:display-text><ci:purpose>alias</ci:purpose>"
      "<ci:modified><ci:when>2026-01-02T03:04:05Z</ci:when></ci:modified>"
      "<x:note/></ci:entry><ci:entry><ci:uri>tel:+15550100</ci:uri>"
      "</ci:entry></ci:associated-aors>"
      "<ci:languages>\n en-US  fr\t</ci:languages>"
      "<ci:cascaded-focus>sip:cascade@fabrikam.com</ci:cascaded-focus>"
      "<ci:endpoint entity=\"{6A5B}\">"
      "<ci:call-info><ci:sip><ci:display-text>d</ci:display-text>"
      "<ci:call-id>c@h</ci:call-id><ci:from-tag>f</ci:from-tag>"
      "<ci:to-tag></ci:to-tag><y:z xmlns:y=\"urn:y\"/></ci:sip></ci:call-info>"
      "<ci:referred><ci:when>2026-01-02T03:04:05.25-05:00</ci:when>"
      "<ci:reason>SIP;cause=302</ci:reason><ci:by>sip:alice@contoso.com</ci:by>"
      "</ci:referred><ci:joining-info><ci:reason>invited</ci:reason>"
      "</ci:joining-info><ci:disconnection-info><ci:by>sip:x@y</ci:by>"
      "</ci:disconnection-info></ci:endpoint></ci:user></addUser>")));
  ASSERT_THAT(request, IsOk());
  const C3pUserView& user = std::get<C3pAddUser>(request->command).user;
  EXPECT_TRUE(user.extensions.empty());
  ASSERT_EQ(user.associated_aors.size(), 2u);
  const C3pUriEntryView& aor = user.associated_aors[0];
  EXPECT_EQ(aor.uri, "sip:bob@fabrikam.com");  // white space stripped
  EXPECT_EQ(aor.display_text, "Bob");
  EXPECT_EQ(aor.purpose, "alias");
  ASSERT_TRUE(aor.modified.has_value());
  EXPECT_EQ(aor.modified->when, "2026-01-02T03:04:05Z");
  ASSERT_EQ(aor.extensions.size(), 1u);
  EXPECT_EQ(aor.extensions[0].local_name, "note");
  ASSERT_EQ(aor.attributes.size(), 1u);
  EXPECT_EQ(user.associated_aors[1].uri, "tel:+15550100");
  EXPECT_THAT(user.languages, ElementsAre("en-US", "fr"));
  EXPECT_EQ(user.cascaded_focus, "sip:cascade@fabrikam.com");

  ASSERT_EQ(user.endpoints.size(), 1u);
  const C3pEndpointView& ep = user.endpoints[0];
  EXPECT_TRUE(ep.extensions.empty());
  ASSERT_TRUE(ep.referred.has_value());
  EXPECT_EQ(ep.referred->when, "2026-01-02T03:04:05.25-05:00");
  EXPECT_EQ(ep.referred->reason, "SIP;cause=302");
  EXPECT_EQ(ep.referred->by, "sip:alice@contoso.com");
  ASSERT_TRUE(ep.joining_info.has_value());
  EXPECT_EQ(ep.joining_info->reason, "invited");
  EXPECT_EQ(ep.joining_info->when, "");
  ASSERT_TRUE(ep.disconnection_info.has_value());
  EXPECT_EQ(ep.disconnection_info->by, "sip:x@y");
  ASSERT_TRUE(ep.call_info.has_value());
  EXPECT_EQ(ep.call_info->display_text, "d");
  EXPECT_EQ(ep.call_info->call_id, "c@h");
  EXPECT_EQ(ep.call_info->from_tag, "f");
  EXPECT_EQ(ep.call_info->to_tag, "");
}

TEST(ParseC3pRequestTest, DescriptionReadsServiceUrisAndAvailableMedia) {
  absl::StatusOr<C3pRequest> request = Parse(Request(
      "<addConference><ci:conference-info entity=\"\">"
      "<ci:conference-description>"
      "<ci:available-media><ci:entry label=\"a1\"><ci:display-text>Audio"
      "</ci:display-text><ci:type>audio</ci:type><ci:status>sendrecv"
      "</ci:status></ci:entry><ci:entry label=\"v1\"><ci:type>video</ci:type>"
      "</ci:entry></ci:available-media>"
      "<ci:service-uris><ci:entry><ci:uri>http://contoso.com/rec</ci:uri>"
      "<ci:purpose>recording</ci:purpose></ci:entry></ci:service-uris>"
      "<cis:separator/><x:n xmlns:x=\"urn:x\"/>"
      "</ci:conference-description></ci:conference-info></addConference>"));
  ASSERT_THAT(request, IsOk());
  const C3pDescriptionView& d =
      *std::get<C3pAddConference>(request->command).conference_info.description;
  ASSERT_EQ(d.service_uris.size(), 1u);
  EXPECT_EQ(d.service_uris[0].uri, "http://contoso.com/rec");
  EXPECT_EQ(d.service_uris[0].purpose, "recording");
  ASSERT_EQ(d.available_media.size(), 2u);
  EXPECT_EQ(d.available_media[0].label, "a1");
  EXPECT_EQ(d.available_media[0].display_text, "Audio");
  EXPECT_EQ(d.available_media[0].type, "audio");
  EXPECT_EQ(d.available_media[0].status, "sendrecv");
  EXPECT_EQ(d.available_media[1].type, "video");
  ASSERT_EQ(d.extensions.size(), 1u);
  EXPECT_EQ(d.extensions[0].separators_before, 1);
}

// What the focus alone sets is refused as malformed (requestMalformed), what
// confstate does not implement as unimplemented (notSupported); both keep
// the envelope for the C3P failure.
TEST(ParseC3pRequestTest, RefusesRfc4575ElementsRequestsMayNotCarry) {
  struct Case {
    const char* name;
    std::string content;  // inside ci:conference-info
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"conf-uris",
       "<ci:conference-description><ci:conf-uris><ci:entry><ci:uri>sip:m@c"
       "</ci:uri></ci:entry></ci:conf-uris></ci:conference-description>",
       absl::StatusCode::kInvalidArgument},
      {"host-info", "<ci:host-info/>", absl::StatusCode::kInvalidArgument},
      {"conference-state", "<ci:conference-state/>",
       absl::StatusCode::kInvalidArgument},
      {"sidebars-by-ref", "<ci:sidebars-by-ref/>",
       absl::StatusCode::kUnimplemented},
      {"sidebars-by-val", "<ci:sidebars-by-val/>",
       absl::StatusCode::kUnimplemented},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<C3pRequest> request = Parse(Request(
        absl::StrCat("<addConference><ci:conference-info entity=\"\">",
                     c.content, "</ci:conference-info></addConference>")));
    ASSERT_THAT(request, StatusIs(c.code, HasSubstr(absl::StrCat(
                                              "<ci:", c.name, "> refused ("))));
    EXPECT_TRUE(C3pEnvelopeFromStatus(request.status()).has_value());
  }
  // A call-info that is not sip.
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<modifyEndpoint><userKeys confEntity=\"", kConf,
      "\" userEntity=\"sip:bob@contoso.com\"/><ci:endpoint entity=\"e\">"
      "<ci:call-info><h:h323 xmlns:h=\"urn:h323\"/></ci:call-info>"
      "</ci:endpoint></modifyEndpoint>")));
  EXPECT_THAT(request, StatusIs(absl::StatusCode::kUnimplemented,
                                HasSubstr("call-info/sip only")));
  EXPECT_TRUE(C3pEnvelopeFromStatus(request.status()).has_value());
}

TEST(ParseC3pRequestTest, RefusesRfc4575ValuesOutsideTheirSchemaTypes) {
  struct Case {
    const char* name;
    std::string user_content;      // inside ci:user
    std::string endpoint_content;  // inside its ci:endpoint
    const char* message;
  };
  const Case cases[] = {
      {"when", "", "<ci:referred><ci:when>yesterday</ci:when></ci:referred>",
       "\"yesterday\" in <ci:when> is not an xs:dateTime"},
      {"day of month", "",
       "<ci:joining-info><ci:when>2026-02-29T00:00:00Z</ci:when>"
       "</ci:joining-info>",
       "is not an xs:dateTime"},
      {"by", "",
       "<ci:disconnection-info><ci:by>a#b#c</ci:by></ci:disconnection-info>",
       "is not an xs:anyURI"},
      {"cascaded-focus", "<ci:cascaded-focus>sip:%zz</ci:cascaded-focus>", "",
       "is not an xs:anyURI"},
      {"languages", "<ci:languages>en fr_FR</ci:languages>", "",
       "\"fr_FR\" in <ci:languages> is not an xs:language"},
      {"uri",
       "<ci:associated-aors><ci:entry><ci:uri>sip:[x]</ci:uri>"
       "</ci:entry></ci:associated-aors>",
       "", "is not an xs:anyURI"},
      {"no entry", "<ci:associated-aors/>", "",
       "missing <entry> in <ci:associated-aors>"},
      {"no uri", "<ci:associated-aors><ci:entry/></ci:associated-aors>", "",
       "missing <uri> in <ci:entry>"},
      {"two referred", "", "<ci:referred/><ci:referred/>",
       "duplicate <ci:referred>"},
      {"no to-tag", "",
       "<ci:call-info><ci:sip><ci:call-id>c</ci:call-id><ci:from-tag>f"
       "</ci:from-tag></ci:sip></ci:call-info>",
       "missing <to-tag> in <ci:sip>"},
      {"sip and more", "",
       "<ci:call-info><ci:sip><ci:call-id>c</ci:call-id><ci:from-tag/>"
       "<ci:to-tag/></ci:sip><x:y xmlns:x=\"urn:x\"/></ci:call-info>",
       "holds <sip> and other content"},
      {"unknown in execution", "", "<ci:referred><ci:who/></ci:referred>",
       "unexpected element <ci:who> in <ci:referred>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
        "<addUser><conferenceKeys confEntity=\"", kConf,
        "\"/><ci:user entity=\"sip:bob@contoso.com\">", c.user_content,
        "<ci:endpoint entity=\"e\">", c.endpoint_content,
        "</ci:endpoint></ci:user></addUser>")));
    ASSERT_THAT(request, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr(c.message)));
    EXPECT_TRUE(C3pEnvelopeFromStatus(request.status()).has_value());
  }
  // available-media needs a label and a type.
  for (const char* entry : {"<ci:entry><ci:type>audio</ci:type></ci:entry>",
                            "<ci:entry label=\"a\"/>"}) {
    SCOPED_TRACE(entry);
    EXPECT_THAT(
        Parse(Request(
            absl::StrCat("<addConference><ci:conference-info entity=\"\">"
                         "<ci:conference-description><ci:available-media>",
                         entry,
                         "</ci:available-media></ci:conference-description>"
                         "</ci:conference-info></addConference>"))),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing")));
  }
}

TEST(ParseC3pRequestTest, RefusesWrongRootAndMissingEnvelopeAttributes) {
  EXPECT_THAT(Parse("<response xmlns=\"urn:ietf:params:xml:ns:cccp\"/>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a cccp <request>")));
  EXPECT_THAT(Parse("<request requestId=\"1\" from=\"a\" to=\"b\"><ping/>"
                    "</request>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a cccp <request>")));
  absl::StatusOr<C3pRequest> no_id = Parse(
      "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" from=\"a\" "
      "to=\"b\"><ping/></request>");
  EXPECT_THAT(no_id, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("missing attribute requestId")));
  EXPECT_EQ(C3pEnvelopeFromStatus(no_id.status()), std::nullopt);
}

// The envelope is read from the root's unprefixed attributes only, whatever
// their order and whatever other attributes share their lengths.
TEST(ParseC3pRequestTest, ReadsTheEnvelopeFromUnprefixedAttributesOnly) {
  absl::StatusOr<C3pRequest> request = Parse(
      "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" xmlns:o=\"urn:other\" "
      "o:to=\"x\" tx=\"y\" o:from=\"x\" frum=\"y\" o:requestId=\"x\" "
      "to=\"sip:focus\" requestIs=\"y\" C3PVersiom=\"y\" o:C3PVersion=\"x\" "
      "from=\"sip:bob\" requestId=\"42\"><ping/></request>");
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->request_id, "42");
  EXPECT_EQ(request->from, "sip:bob");
  EXPECT_EQ(request->to, "sip:focus");
  EXPECT_EQ(request->c3p_version, "");

  const struct {
    const char* attributes;
    const char* missing;
  } kCases[] = {
      {"from=\"a\" to=\"b\" o:requestId=\"1\"", "requestId"},
      {"requestId=\"1\" o:from=\"a\" to=\"b\"", "from"},
      {"requestId=\"1\" from=\"a\" to=\"\"", "to"},
      {"requestId=\"\" from=\"\" to=\"\"", "requestId"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.attributes);
    EXPECT_THAT(
        Parse(absl::StrCat("<request xmlns=\"urn:ietf:params:xml:ns:cccp\" "
                           "xmlns:o=\"urn:other\" ",
                           c.attributes, "><ping/></request>")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat("missing attribute ", c.missing,
                                        " on <request>"))));
  }
}

TEST(ParseC3pRequestTest, ErrorsDoNotEchoTheCertificate) {
  const std::string secret(200, 'Q');
  absl::StatusOr<C3pRequest> request = Parse(Request(absl::StrCat(
      "<getConference><msci:encryption-key><msci:x509-certificate>", secret,
      "</msci:x509-certificate></msci:encryption-key></getConference>")));
  ASSERT_THAT(request, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("missing <conferenceKeys>")));
  EXPECT_THAT(std::string(request.status().message()), Not(HasSubstr("QQQQ")));
}

TEST(ParseC3pRequestTest, LimitsApplyBeforeParsing) {
  ParseLimits limits;
  limits.max_bytes = 100;
  EXPECT_THAT(ParseC3pRequest(Bytes(Request("<ping/>")), limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("exceeds the limit of 100 bytes")));
}

// The fuzz corpus holds a real request for every command (they must parse)
// and hostile inputs (named hostile_*, and the raw seed: they must not).
TEST(ParseC3pRequestTest, FuzzCorpusRequestsParseAndHostileOnesDoNot) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(std::getenv("TEST_SRCDIR")) /
                       std::getenv("TEST_WORKSPACE") /
                       "codec/testdata/corpus/c3p_request_fuzzer";
  int good = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    const bool hostile =
        name.rfind("hostile_", 0) == 0 || name == "seed_raw.xml";
    absl::StatusOr<C3pRequest> request = Parse(body);
    if (hostile) {
      EXPECT_THAT(request, Not(IsOk()));
    } else {
      EXPECT_THAT(request, IsOk());
      ++good;
    }
  }
  EXPECT_GE(good, 20);
}

TEST(C3pCommandNameTest, NamesEveryCommand) {
  EXPECT_EQ(C3pCommandName(C3pCommand::kAddConference), "addConference");
  EXPECT_EQ(C3pCommandName(C3pCommand::kPing), "ping");
  EXPECT_EQ(C3pCommandName(C3pCommand::kUnknown), "");
}

}  // namespace
}  // namespace codec
}  // namespace conf
