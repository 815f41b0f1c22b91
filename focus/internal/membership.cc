#include "focus/internal/membership.h"

#include <memory>

#include "absl/strings/str_cat.h"

namespace conf {
namespace focus {
namespace internal {

std::string FocusFactoryUri(absl::string_view user) {
  return absl::StrCat(Trim(user), ";gruu;opaque=app:conf:focusfactory");
}

bool IsMember(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user) {
  return snapshot.organizer == user || snapshot.users.Contains(user) ||
         snapshot.lobby.Contains(user);
}

bool IsLeader(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user) {
  if (snapshot.organizer == user)
    return true;
  std::shared_ptr<const engine::User> u = snapshot.users.Find(user);
  return u != nullptr && engine::IsLeader(u->role);
}

codec::Viewer ViewerFor(const engine::ConferenceSnapshot& snapshot,
                        const engine::UserId& user) {
  return codec::Viewer{engine::ViewerRoleFor(snapshot, user), user};
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
