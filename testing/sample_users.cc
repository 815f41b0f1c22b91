#include "testing/sample_users.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace conf {
namespace testing {

engine::User UserWithAudio(absl::string_view entity, engine::Role role) {
  engine::User user;
  user.entity = engine::UserId(entity);
  user.role = role;
  engine::Endpoint endpoint;
  endpoint.entity = engine::EndpointId(absl::StrCat(entity, "/av"));
  endpoint.status = engine::EndpointStatus::kConnected;
  endpoint.session_type = "audio-video";
  engine::Media audio;
  audio.id = engine::MediaId("1");
  audio.type = "audio";
  audio.status = engine::MediaStatus::kSendRecv;
  endpoint.media.push_back(
      std::make_shared<const engine::Media>(std::move(audio)));
  user.endpoints.push_back(
      std::make_shared<const engine::Endpoint>(std::move(endpoint)));
  return user;
}

}  // namespace testing
}  // namespace conf
