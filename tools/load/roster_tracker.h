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
// merged by entity: full replaces, partial merges, deleted removes) or
// deleted. A deleted document empties the roster and marks the conference
// deleted. Other elements (description, state, views) are not tracked.
//
// A partial document is applied in place: it touches only the users and
// endpoints it names, and copies nothing else. A user or endpoint that
// leaves keeps its slot (and its strings' capacity) for whoever comes next,
// so once every user and endpoint of a conference has been seen, applying a
// document allocates nothing: a subscriber's cost per notification is the
// document's parse, not the roster's size.
//
// What a subscriber can tell is wrong, Apply refuses (kFailedPrecondition)
// and leaves the tracker as it was:
//   - a partial document whose version is not the last one plus one, or a
//     full or deleted one whose version is not above it (stale);
//   - a partial or deleted user the list does not hold, or a partial or
//     deleted endpoint its user does not hold (missing);
//   - a user that would be in `users` and in the lobby at once.
//
// Thread-compatible.

#ifndef CONF_TOOLS_LOAD_ROSTER_TRACKER_H_
#define CONF_TOOLS_LOAD_ROSTER_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/conference_info_reader.h"

namespace conf {
namespace load {

// One media stream of an endpoint.
struct TrackedMedia {
  std::string id;
  std::string status;  // "" when absent
};

class TrackedEndpoint {
 public:
  const std::string& entity() const { return entity_; }
  // "" when the endpoint has no status.
  const std::string& status() const { return status_; }
  // The streams, in the order they were first reported.
  absl::Span<const TrackedMedia> media() const {
    return absl::MakeConstSpan(media_.data(), media_count_);
  }
  // The stream with `id`, or nullptr.
  const TrackedMedia* FindMedia(absl::string_view id) const;

  // Same status and the same streams (by id, in any order).
  friend bool operator==(const TrackedEndpoint& a, const TrackedEndpoint& b);

 private:
  friend class RosterTracker;
  friend class TrackedUser;

  TrackedMedia* FindMutableMedia(absl::string_view id);

  std::string entity_;
  std::string status_;
  // [0, media_count_) are the streams; the rest are kept for reuse.
  std::vector<TrackedMedia> media_;
  size_t media_count_ = 0;
  bool live_ = false;
};

class TrackedUser {
 public:
  // The roles' entries, space-separated in document order.
  const std::string& roles() const { return roles_; }
  size_t endpoint_count() const { return endpoint_count_; }
  // The endpoint with `entity`, or nullptr.
  const TrackedEndpoint* FindEndpoint(absl::string_view entity) const;

  // Same roles and the same endpoints (by entity, in any order).
  friend bool operator==(const TrackedUser& a, const TrackedUser& b);

 private:
  friend class RosterTracker;
  friend class UserTable;

  bool Equals(const TrackedUser& other) const;
  TrackedEndpoint* FindEndpointSlot(absl::string_view entity);
  // The endpoint `entity`, made live and emptied (its storage reused).
  TrackedEndpoint& ReviveEndpoint(absl::string_view entity);
  void RemoveEndpoint(TrackedEndpoint& endpoint);
  // Forgets roles and endpoints, keeping their storage.
  void Reset();

  std::string roles_;
  // Live endpoints and kept slots, in the order they were first seen.
  std::vector<TrackedEndpoint> endpoints_;
  size_t endpoint_count_ = 0;
};

// `users` or the lobby: users by entity. Slots outlive their users.
class UserTable {
 public:
  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  // The user `entity` if it is in the list, or nullptr.
  const TrackedUser* Find(absl::string_view entity) const;
  // Calls fn(entity, user) for each user in the list.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.live) {
        fn(absl::string_view(s.entity), s.user);
      }
    }
  }

 private:
  friend class RosterTracker;

  struct Slot {
    std::string entity;
    TrackedUser user;
    bool live = false;
  };

  TrackedUser* FindMutable(absl::string_view entity);
  // The user `entity`, in the list and emptied. Allocates only for an
  // entity never seen before.
  TrackedUser& Revive(absl::string_view entity);
  void Remove(absl::string_view entity);
  void Clear();

  absl::flat_hash_map<std::string, size_t> index_;  // entity -> slot
  std::vector<Slot> slots_;
  size_t live_ = 0;
};

class RosterTracker {
 public:
  RosterTracker() = default;

  // Parses one conference-info document with codec::ParseConferenceInfo and
  // applies it. kInvalidArgument when the reader refuses it (not
  // well-formed XML, no conference-info root, no entity or version, ...) or
  // a partial document arrives before any full one (nothing to merge into);
  // kResourceExhausted when it is over the reader's kConferenceInfoLimits;
  // kFailedPrecondition for what the file comment lists. On error the
  // tracker is unchanged.
  absl::Status Apply(absl::string_view document);

  // The same for a document already parsed; allocates nothing once the
  // users and endpoints it names have been seen.
  absl::Status Apply(const codec::ConferenceInfoDocument& document);

  // The same as if the document's root version were `version`: for the
  // documents a focus shares between the subscribers of one view, which
  // differ only in their version (focus::Notification), parsed once.
  absl::Status Apply(const codec::ConferenceInfoDocument& document,
                     uint32_t version);

  // The root version of the last document applied (0 before any).
  uint32_t version() const { return version_; }
  bool deleted() const { return deleted_; }

  const UserTable& roster() const { return roster_; }
  const UserTable& lobby() const { return lobby_; }

  // A one-line description of how this roster and lobby differ from
  // `other`'s ("" when equal), for failure messages.
  std::string Difference(const RosterTracker& other) const;

 private:
  // Refuses what Apply would refuse, changing nothing.
  absl::Status Check(const codec::ConferenceInfoDocument& document,
                     uint32_t version) const;
  static void ApplyList(const codec::CiUserList& list, UserTable& table);
  static void ApplyUser(const codec::CiUser& u, UserTable& table);

  uint32_t version_ = 0;
  bool have_full_ = false;
  bool deleted_ = false;
  UserTable roster_;
  UserTable lobby_;
};

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_ROSTER_TRACKER_H_
