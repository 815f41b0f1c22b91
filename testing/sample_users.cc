#include "testing/sample_users.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace conf {
namespace engine {

User UserWithAudio(absl::string_view entity, Role role) {
  User user;
  user.entity = UserId(entity);
  user.role = role;
  Endpoint endpoint;
  endpoint.entity = EndpointId(absl::StrCat(entity, "/av"));
  endpoint.status = EndpointStatus::kConnected;
  endpoint.session_type = "audio-video";
  Media audio;
  audio.id = MediaId("1");
  audio.type = "audio";
  audio.status = MediaStatus::kSendRecv;
  endpoint.media.push_back(std::make_shared<const Media>(std::move(audio)));
  user.endpoints.push_back(
      std::make_shared<const Endpoint>(std::move(endpoint)));
  return user;
}

}  // namespace engine
}  // namespace conf
