#include "codec/c3p_request_encoder.h"

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using ::conf::testing::IsOk;
using ::testing::ElementsAre;

constexpr char kConf[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:A1";
const RequestEnvelope kEnvelope = {"42", "sip:bob@contoso.com & co", kConf};

absl::StatusOr<C3pRequest> Parse(const std::string& body) {
  return ParseC3pRequest(std::vector<char>(body.begin(), body.end()));
}

// Every encoded request parses back to the command and values it was made
// from, through the real request parser.
TEST(C3pRequestEncoderTest, EnvelopeRoundTripsEscaped) {
  absl::StatusOr<C3pRequest> r =
      Parse(EncodeEmptyCommandRequest(kEnvelope, "ping"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->request_id, "42");
  EXPECT_EQ(r->from, "sip:bob@contoso.com & co");
  EXPECT_EQ(r->to, kConf);
  EXPECT_EQ(r->c3p_version, "1");
  EXPECT_EQ(r->command_type, C3pCommand::kPing);
}

TEST(C3pRequestEncoderTest, AddConferenceRoundTrips) {
  AddConferenceSpec spec;
  spec.subject = "Q3 <review>";
  spec.conference_id = "ABCD1234";
  spec.expiry_time = "2026-12-01T10:00:00Z";
  spec.admission_policy = "openAuthenticated";
  spec.mcu_types = {"chat", "audio-video"};
  absl::StatusOr<C3pRequest> r =
      Parse(EncodeAddConferenceRequest(kEnvelope, spec));
  ASSERT_THAT(r, IsOk());
  const auto& add = std::get<C3pAddConference>(r->command);
  ASSERT_TRUE(add.conference_info.description.has_value());
  EXPECT_EQ(add.conference_info.description->subject, "Q3 <review>");
  EXPECT_EQ(add.conference_info.description->conference_id, "ABCD1234");
  EXPECT_EQ(add.conference_info.description->admission_policy,
            "openAuthenticated");
  ASSERT_EQ(add.conference_info.entity_views.size(), 2u);
  EXPECT_EQ(add.conference_info.entity_views[1].entity, "audio-video");
}

TEST(C3pRequestEncoderTest, GetConferenceCarriesCertificate) {
  absl::StatusOr<C3pRequest> r =
      Parse(EncodeGetConferenceRequest(kEnvelope, kConf, "MIIB+/=="));
  ASSERT_THAT(r, IsOk());
  const auto& get = std::get<C3pGetConference>(r->command);
  EXPECT_EQ(get.keys.conf_entity, kConf);
  EXPECT_TRUE(get.has_encryption_key);
  EXPECT_EQ(get.x509_certificate, "MIIB+/==");
  r = Parse(EncodeGetConferenceRequest(kEnvelope, kConf, ""));
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(std::get<C3pGetConference>(r->command).has_encryption_key);
}

TEST(C3pRequestEncoderTest, AddUserCarriesRoleEndpointsAndMedia) {
  engine::User user;
  user.entity = engine::UserId("sip:carol@contoso.com");
  user.display_text = "Carol";
  user.role = engine::Role::kPresenter;
  engine::Endpoint endpoint;
  endpoint.entity = engine::EndpointId("{E1}");
  endpoint.status = engine::EndpointStatus::kConnected;
  endpoint.session_type = "audio-video";
  engine::Media media;
  media.id = engine::MediaId("1");
  media.type = "audio";
  media.status = engine::MediaStatus::kSendRecv;
  endpoint.media.push_back(std::make_shared<const engine::Media>(media));
  user.endpoints.push_back(std::make_shared<const engine::Endpoint>(endpoint));
  absl::StatusOr<C3pRequest> r =
      Parse(EncodeAddUserRequest(kEnvelope, kConf, user, "sip:av"));
  ASSERT_THAT(r, IsOk());
  const auto& add = std::get<C3pAddUser>(r->command);
  EXPECT_EQ(add.mcu_uri, "sip:av");
  EXPECT_EQ(add.keys.conf_entity, kConf);
  EXPECT_EQ(add.user.entity, "sip:carol@contoso.com");
  EXPECT_THAT(add.user.roles, ElementsAre("presenter"));
  ASSERT_EQ(add.user.endpoints.size(), 1u);
  EXPECT_EQ(add.user.endpoints[0].entity, "{E1}");
  EXPECT_EQ(add.user.endpoints[0].status, "connected");
  ASSERT_EQ(add.user.endpoints[0].media.size(), 1u);
  EXPECT_EQ(add.user.endpoints[0].media[0].status, "sendrecv");
}

TEST(C3pRequestEncoderTest, RosterCommandsRoundTrip) {
  absl::StatusOr<C3pRequest> r = Parse(EncodeModifyUserRolesRequest(
      kEnvelope, kConf, "sip:d@x", engine::Role::kAttendee));
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(std::get<C3pModifyUserRoles>(r->command).roles,
              ElementsAre("attendee"));

  r = Parse(EncodeModifyConferenceLockRequest(kEnvelope, kConf,
                                              engine::LockState::kLocked));
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(std::get<C3pModifyConferenceLock>(r->command).locked);

  r = Parse(EncodeModifyEndpointMediaRequest(
      kEnvelope, kConf, "sip:d@x", "{E}", "2", engine::MediaStatus::kRecvOnly));
  ASSERT_THAT(r, IsOk());
  const auto& media = std::get<C3pModifyEndpointMedia>(r->command);
  EXPECT_EQ(media.keys.media_id, "2");
  EXPECT_EQ(media.keys.endpoint_entity, "{E}");
  EXPECT_EQ(media.media.status, "recvonly");

  r = Parse(EncodeModifyEndpointStatusRequest(
      kEnvelope, kConf, "sip:d@x", "{E}", engine::EndpointStatus::kOnHold));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(std::get<C3pModifyEndpoint>(r->command).endpoint.status, "on-hold");

  r = Parse(EncodeSetLobbyAccessRequest(
      kEnvelope, kConf, {"sip:e@x", "sip:f@x"}, engine::LobbyDecision::kDeny));
  ASSERT_THAT(r, IsOk());
  const auto& lobby = std::get<C3pSetLobbyAccess>(r->command);
  EXPECT_THAT(lobby.user_entities, ElementsAre("sip:e@x", "sip:f@x"));
  EXPECT_EQ(lobby.access, C3pLobbyAccess::kDenied);

  r = Parse(EncodeDeleteUserRequest(kEnvelope, kConf, "sip:d@x"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(std::get<C3pDeleteUser>(r->command).keys.user_entity, "sip:d@x");

  r = Parse(EncodeDeleteConferenceRequest(kEnvelope, kConf));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->command_type, C3pCommand::kDeleteConference);

  for (const char* command : {"getConferences", "getAvailableMcuTypes",
                              "getConferencingCapabilities"}) {
    r = Parse(EncodeEmptyCommandRequest(kEnvelope, command));
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->command_name, command);
  }
}

}  // namespace
}  // namespace codec
}  // namespace conf
