// Private to //focus. Who a user is to a conference (organizer, leader,
// member, in the lobby), the view of the conference that follows from it,
// and how the focus compares the URIs that name them.

#ifndef CONF_FOCUS_INTERNAL_MEMBERSHIP_H_
#define CONF_FOCUS_INTERNAL_MEMBERSHIP_H_

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

#include "codec/conference_info.h"
#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {

// URIs cannot contain white space; the specification's own example ends a
// `to` attribute with a space, so comparisons ignore leading and trailing
// white space (docs/FOCUS.md).
inline absl::string_view Trim(absl::string_view s) {
  // Nearly every URI has nothing to trim: two byte tests, no call.
  if (!s.empty() &&
      !absl::ascii_isspace(static_cast<unsigned char>(s.front())) &&
      !absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    return s;
  }
  return absl::StripAsciiWhitespace(s);
}

inline bool SameUri(absl::string_view a, absl::string_view b) {
  return Trim(a) == Trim(b);
}

// The focus factory of `user` (MS-CONFPRO 4.5): where addConference and the
// scheduling commands go.
std::string FocusFactoryUri(absl::string_view user);

// The organizer, anyone in the roster and anyone in the lobby.
bool IsMember(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user);

// The organizer and the roster's leaders.
bool IsLeader(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user);

// The view `user` gets of `snapshot`.
codec::Viewer ViewerFor(const engine::ConferenceSnapshot& snapshot,
                        const engine::UserId& user);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_MEMBERSHIP_H_
