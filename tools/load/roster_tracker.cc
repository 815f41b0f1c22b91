#include "tools/load/roster_tracker.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"

namespace conf {
namespace load {
namespace {

using codec::ElementState;
using Users = std::map<std::string, TrackedUser>;

TrackedEndpoint ReadEndpoint(const codec::CiEndpoint& e) {
  TrackedEndpoint out;
  out.status = std::string(e.status.value_or(""));
  for (const codec::CiMedia& m : e.media) {
    out.media[std::string(m.id)] = std::string(m.status);
  }
  return out;
}

// Merges one user into `users` (RFC 4575 §4.6).
void ApplyUser(const codec::CiUser& u, Users& users) {
  const std::string entity(u.entity);
  if (u.state == ElementState::kDeleted) {
    users.erase(entity);
    return;
  }
  const bool partial = u.state == ElementState::kPartial;
  TrackedUser& user = users[entity];
  if (!partial) {
    user = TrackedUser();
  }
  // roles is atomic: a partial user that carries it replaces it.
  if (!partial || u.roles.has_value()) {
    user.roles = u.roles.has_value() ? absl::StrJoin(*u.roles, " ") : "";
  }
  for (const codec::CiEndpoint& e : u.endpoints) {
    const std::string id(e.entity);
    if (e.state == ElementState::kDeleted) {
      user.endpoints.erase(id);
    } else {
      user.endpoints[id] = ReadEndpoint(e);
    }
  }
}

// Applies a `users` or `msci:lobby` list.
void ApplyList(const codec::CiUserList& list, Users& users) {
  if (list.state != ElementState::kPartial) {
    users.clear();
  }
  for (const codec::CiUser& u : list.users) {
    ApplyUser(u, users);
  }
}

void DescribeDifference(absl::string_view list, const Users& a, const Users& b,
                        std::string& out) {
  for (const auto& [entity, user] : a) {
    auto it = b.find(entity);
    if (it == b.end()) {
      absl::StrAppend(&out, list, ": ", entity, " only on the left; ");
    } else if (!(it->second == user)) {
      absl::StrAppend(&out, list, ": ", entity, " differs (roles '", user.roles,
                      "' vs '", it->second.roles, "', ", user.endpoints.size(),
                      " vs ", it->second.endpoints.size(), " endpoints); ");
    }
  }
  for (const auto& [entity, user] : b) {
    if (a.find(entity) == a.end()) {
      absl::StrAppend(&out, list, ": ", entity, " only on the right; ");
    }
  }
}

}  // namespace

absl::Status RosterTracker::Apply(absl::string_view document) {
  absl::StatusOr<codec::ConferenceInfoDocument> doc =
      codec::ParseConferenceInfo(document);
  if (!doc.ok()) {
    return absl::Status(doc.status().code(),
                        absl::StrCat("roster: ", doc.status().message()));
  }
  if (doc->state == ElementState::kDeleted) {
    roster_.clear();
    lobby_.clear();
    deleted_ = true;
    version_ = doc->version;
    return absl::OkStatus();
  }
  const bool partial = doc->state == ElementState::kPartial;
  if (partial && !have_full_) {
    return absl::InvalidArgumentError(
        "roster: partial document before any full one");
  }
  Users roster = partial ? roster_ : Users();
  Users lobby = partial ? lobby_ : Users();
  if (doc->users.has_value()) {
    ApplyList(*doc->users, roster);
  }
  if (doc->lobby.has_value()) {
    ApplyList(*doc->lobby, lobby);
  }
  roster_ = std::move(roster);
  lobby_ = std::move(lobby);
  have_full_ = true;
  version_ = doc->version;
  return absl::OkStatus();
}

std::string RosterTracker::Difference(const RosterTracker& other) const {
  std::string out;
  if (deleted_ != other.deleted_) {
    absl::StrAppend(&out, "deleted ", deleted_, " vs ", other.deleted_, "; ");
  }
  DescribeDifference("roster", roster_, other.roster_, out);
  DescribeDifference("lobby", lobby_, other.lobby_, out);
  return out;
}

}  // namespace load
}  // namespace conf
