#include "engine/internal/roles.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "engine/internal/messages.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

Authority AuthorityOf(const ConferenceSnapshot& s, const UserId& requester) {
  if (requester.empty()) {
    return Authority::kFocus;
  }
  if (requester == s.organizer) {
    return Authority::kLeader;
  }
  const std::shared_ptr<const User>* user = s.users.FindPtr(requester);
  if (user == nullptr) {
    return Authority::kOutsider;
  }
  return IsLeader((*user)->role) ? Authority::kLeader : Authority::kAttendee;
}

absl::Status RequireLeader(const ConferenceSnapshot& s, const UserId& requester,
                           absl::string_view command) {
  Authority authority = AuthorityOf(s, requester);
  if (authority == Authority::kFocus || authority == Authority::kLeader) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(command, ": ", Quote(requester.value()),
                   " is not a leader of conference ", Quote(s.entity.value())));
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
