// Roles: what the requester of a command may do in a conference. C3P
// commands carry the user they run for; an empty requester is the focus
// itself, which is trusted (no role checks).

#ifndef CONF_ENGINE_INTERNAL_ROLES_H_
#define CONF_ENGINE_INTERNAL_ROLES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// What the requester of a command may do in a conference.
enum class Authority {
  kFocus,     // Empty requester: the focus itself; trusted.
  kLeader,    // The organizer, or a presenter in the roster.
  kAttendee,  // An attendee in the roster.
  kOutsider,  // Anyone else (lobby users included).
};

// The authority of `requester` in `s`.
Authority AuthorityOf(const ConferenceSnapshot& s, const UserId& requester);

// OK for the focus or a leader of `s`; otherwise kPermissionDenied, with a
// message that starts with `command`.
absl::Status RequireLeader(const ConferenceSnapshot& s, const UserId& requester,
                           absl::string_view command);

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_ROLES_H_
