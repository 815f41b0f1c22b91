#include "tools/load/client_requests.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"

namespace conf {
namespace load {

std::string NewEndpointGuid(std::mt19937_64& rng) {
  const uint64_t high = rng();
  const uint64_t low = rng();
  return absl::StrFormat("{%08X-%04X-%04X-%04X-%012X}", high >> 32,
                         (high >> 16) & 0xffff, high & 0xffff, low >> 48,
                         low & 0xffffffffffffu);
}

engine::User JoiningUser(absl::string_view entity, engine::Role role,
                         absl::string_view endpoint) {
  engine::User user;
  user.entity = engine::UserId(entity);
  user.role = role;
  engine::Endpoint guid;
  guid.entity = engine::EndpointId(endpoint);
  user.endpoints.push_back(
      std::make_shared<const engine::Endpoint>(std::move(guid)));
  return user;
}

engine::Endpoint AudioVideoEndpoint(absl::string_view entity) {
  engine::Endpoint endpoint;
  endpoint.entity = engine::EndpointId(absl::StrCat(entity, "/av"));
  endpoint.status = engine::EndpointStatus::kConnected;
  endpoint.joining_method = engine::JoiningMethod::kDialedIn;
  endpoint.session_type = "audio-video";
  engine::Media audio;
  audio.id = engine::MediaId("1");
  audio.type = "audio";
  audio.status = engine::MediaStatus::kSendRecv;
  endpoint.media.push_back(
      std::make_shared<const engine::Media>(std::move(audio)));
  return endpoint;
}

std::string TruncatedRequest(const codec::RequestEnvelope& envelope,
                             absl::string_view conference) {
  std::string body = codec::EncodeModifyConferenceLockRequest(
      envelope, conference, engine::LockState::kLocked);
  body.resize(body.size() * 3 / 4);
  return body;
}

std::string OversizedJoinRequest(const codec::RequestEnvelope& envelope,
                                 absl::string_view conference,
                                 absl::string_view attendee,
                                 absl::string_view endpoint) {
  engine::User user = JoiningUser(attendee, engine::Role::kAttendee, endpoint);
  user.display_text = std::string(70 * 1024, 'x');
  return codec::EncodeAddUserRequest(envelope, conference, user);
}

std::string DeeplyNestedRequest(const codec::RequestEnvelope& envelope) {
  std::string body = codec::EncodeEmptyCommandRequest(envelope, "ping");
  const size_t at = body.find("<ping");
  std::string nested;
  nested.reserve(10000 * 7);
  for (int i = 0; i < 10000; ++i) {
    nested += "<ping>";
  }
  body.insert(at, nested);
  return body;
}

std::string UnknownCommandRequest(const codec::RequestEnvelope& envelope) {
  return absl::StrReplaceAll(codec::EncodeEmptyCommandRequest(envelope, "ping"),
                             {{"<ping", "<frobnicateConference"}});
}

}  // namespace load
}  // namespace conf
