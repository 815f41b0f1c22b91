#include "testing/sample_users.h"

#include "gtest/gtest.h"

namespace conf {
namespace testing {
namespace {

TEST(UserWithAudioTest, OneConnectedAudioEndpoint) {
  const engine::User user =
      UserWithAudio("sip:bob@fabrikam.com", engine::Role::kPresenter);
  EXPECT_EQ(user.entity.value(), "sip:bob@fabrikam.com");
  EXPECT_EQ(user.role, engine::Role::kPresenter);
  ASSERT_EQ(user.endpoints.size(), 1u);
  const engine::Endpoint& endpoint = *user.endpoints[0];
  EXPECT_EQ(endpoint.entity.value(), "sip:bob@fabrikam.com/av");
  EXPECT_EQ(endpoint.status, engine::EndpointStatus::kConnected);
  EXPECT_EQ(absl::string_view(endpoint.session_type), "audio-video");
  ASSERT_EQ(endpoint.media.size(), 1u);
  EXPECT_EQ(endpoint.media[0]->id.value(), "1");
  EXPECT_EQ(absl::string_view(endpoint.media[0]->type), "audio");
  EXPECT_EQ(endpoint.media[0]->status, engine::MediaStatus::kSendRecv);
}

}  // namespace
}  // namespace testing
}  // namespace conf
