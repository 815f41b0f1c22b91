#include "engine/internal/messages.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Input echoed in a message: escaped and capped at 64 bytes (STYLE §3).
std::string Quote(absl::string_view value) {
  constexpr size_t kMaxEcho = 64;
  std::string out = "\"";
  out += absl::CEscape(value.substr(0, kMaxEcho));
  if (value.size() > kMaxEcho) {
    out += "...";
  }
  out += "\"";
  return out;
}

absl::Status CannotStore(const absl::Status& cause) {
  return absl::UnavailableError(
      absl::StrCat("the focus cannot store changes: ", cause.message()));
}

absl::Status ConferenceNotFound(const ConferenceId& id) {
  return absl::NotFoundError(
      absl::StrCat("conference ", Quote(id.value()), " does not exist"));
}

absl::Status UserNotFound(const UserId& user, const ConferenceId& conference) {
  return absl::NotFoundError(absl::StrCat("user ", Quote(user.value()),
                                          " does not exist in conference ",
                                          Quote(conference.value())));
}

absl::Status EndpointNotFound(const EndpointId& endpoint, const UserId& user) {
  return absl::NotFoundError(absl::StrCat("endpoint ", Quote(endpoint.value()),
                                          " does not exist for user ",
                                          Quote(user.value())));
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
