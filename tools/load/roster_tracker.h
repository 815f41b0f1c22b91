// RosterTracker: what a subscriber knows about a conference's people, built
// from the RFC 4575 documents it receives (full, partial, deleted), so the
// load tool can check that a subscription's notifications add up to the
// state a fresh full document shows.
//
// Tracked per user (keyed by entity): roles, and per endpoint (keyed by
// entity) its status and its media streams' statuses; separately the lobby's
// users. Merging follows RFC 4575 §4.6: a full document replaces everything;
// in a partial one the `users` / `msci:lobby` containers are partial and each
// user is full (replaced), partial (atomic children replaced, endpoints
// merged by entity: full replaces, deleted removes) or deleted. A deleted
// document empties the roster and marks the conference deleted. Other
// elements (description, state, views) are not tracked.
//
// Thread-compatible.

#ifndef CONF_TOOLS_LOAD_ROSTER_TRACKER_H_
#define CONF_TOOLS_LOAD_ROSTER_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace load {

struct TrackedEndpoint {
  std::string status;
  // media id -> status ("" when absent).
  std::map<std::string, std::string> media;

  friend bool operator==(const TrackedEndpoint& a, const TrackedEndpoint& b) {
    return a.status == b.status && a.media == b.media;
  }
};

struct TrackedUser {
  // The roles' entries, space-separated in document order.
  std::string roles;
  std::map<std::string, TrackedEndpoint> endpoints;

  friend bool operator==(const TrackedUser& a, const TrackedUser& b) {
    return a.roles == b.roles && a.endpoints == b.endpoints;
  }
};

class RosterTracker {
 public:
  RosterTracker() = default;

  // Applies one conference-info document, read with
  // codec::ParseConferenceInfo. kInvalidArgument when the reader refuses it
  // (not well-formed XML, no conference-info root, no entity or version,
  // ...) or a partial document arrives before any full one (nothing to
  // merge into); kResourceExhausted when it is over the reader's
  // kConferenceInfoLimits. On error the tracker is unchanged.
  absl::Status Apply(absl::string_view document);

  // The root version of the last document applied (0 before any).
  uint32_t version() const { return version_; }
  bool deleted() const { return deleted_; }

  const std::map<std::string, TrackedUser>& roster() const { return roster_; }
  const std::map<std::string, TrackedUser>& lobby() const { return lobby_; }

  // A one-line description of how this roster and lobby differ from
  // `other`'s ("" when equal), for failure messages.
  std::string Difference(const RosterTracker& other) const;

 private:
  uint32_t version_ = 0;
  bool have_full_ = false;
  bool deleted_ = false;
  std::map<std::string, TrackedUser> roster_;
  std::map<std::string, TrackedUser> lobby_;
};

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_ROSTER_TRACKER_H_
