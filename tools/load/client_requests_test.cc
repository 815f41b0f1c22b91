#include "tools/load/client_requests.h"

#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request.h"
#include "codec/c3p_request_encoder.h"
#include "engine/model.h"

namespace conf {
namespace load {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kFocus[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:X1";
constexpr char kBob[] = "sip:bob@contoso.com";

absl::StatusOr<codec::C3pRequest> Parse(const std::string& body) {
  return codec::ParseC3pRequest(std::vector<char>(body.begin(), body.end()));
}

TEST(ClientRequestsTest, EndpointGuidsLookLikeSipes) {
  std::mt19937_64 rng(3);
  const std::string a = NewEndpointGuid(rng);
  EXPECT_THAT(a, MatchesRegex("\\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-"
                              "[0-9A-F]{4}-[0-9A-F]{12}\\}"));
  EXPECT_NE(NewEndpointGuid(rng), a);
}

// As SIPE sends it: one endpoint named by its GUID, and nothing else.
TEST(ClientRequestsTest, AJoinNamesOneEndpointByItsGuidAndNothingElse) {
  std::mt19937_64 rng(5);
  const std::string guid = NewEndpointGuid(rng);
  const engine::User user = JoiningUser(kBob, engine::Role::kAttendee, guid);
  ASSERT_EQ(user.endpoints.size(), 1u);
  const engine::Endpoint& endpoint = *user.endpoints[0];
  EXPECT_EQ(endpoint.entity.value(), guid);
  EXPECT_EQ(endpoint.session_type.view(), "");
  EXPECT_EQ(endpoint.status, std::nullopt);
  EXPECT_EQ(endpoint.joining_method, std::nullopt);
  EXPECT_TRUE(endpoint.media.empty());

  const std::string body =
      codec::EncodeAddUserRequest({"7", kBob, kFocus}, kFocus, user);
  EXPECT_THAT(body, HasSubstr(absl::StrCat("<endpoint entity=\"", guid,
                                           "\"/></user>")));
  absl::StatusOr<codec::C3pRequest> request = Parse(body);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto* add = std::get_if<codec::C3pAddUser>(&request->command);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->user.entity, kBob);
  EXPECT_THAT(add->user.roles, ::testing::ElementsAre("attendee"));
  ASSERT_EQ(add->user.endpoints.size(), 1u);
  EXPECT_EQ(add->user.endpoints[0].entity, guid);
}

TEST(ClientRequestsTest, TheAudioVideoEndpointCarriesOneAudioStream) {
  const engine::Endpoint av = AudioVideoEndpoint(kBob);
  EXPECT_EQ(av.entity.value(), "sip:bob@contoso.com/av");
  EXPECT_EQ(av.session_type.view(), "audio-video");
  EXPECT_EQ(av.status, engine::EndpointStatus::kConnected);
  EXPECT_EQ(av.joining_method, engine::JoiningMethod::kDialedIn);
  ASSERT_EQ(av.media.size(), 1u);
  EXPECT_EQ(av.media[0]->id.value(), "1");
  EXPECT_EQ(av.media[0]->status, engine::MediaStatus::kSendRecv);
}

TEST(ClientRequestsTest, HostileRequestsAreRefusedByTheParser) {
  const codec::RequestEnvelope envelope{"9", kBob, kFocus};
  EXPECT_EQ(Parse(TruncatedRequest(envelope, kFocus)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(OversizedJoinRequest(envelope, kFocus, kBob, "{G}"))
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Parse(DeeplyNestedRequest(envelope)).status().code(),
            absl::StatusCode::kResourceExhausted);
  absl::StatusOr<codec::C3pRequest> unknown =
      Parse(UnknownCommandRequest(envelope));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_TRUE(
      std::holds_alternative<codec::C3pUnknownCommand>(unknown->command));
}

}  // namespace
}  // namespace load
}  // namespace conf
