#include "tools/load/roster_tracker.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"

namespace conf {
namespace load {
namespace {

using codec::ElementState;

absl::string_view StateName(ElementState state) {
  switch (state) {
    case ElementState::kFull:
      return "full";
    case ElementState::kPartial:
      return "partial";
    case ElementState::kDeleted:
      return "deleted";
  }
  return "?";
}

// Appends a stream to `media`'s live prefix, reusing a kept slot.
void AppendMedia(std::vector<TrackedMedia>& media, size_t& count,
                 absl::string_view id, absl::string_view status) {
  if (count == media.size()) {
    media.emplace_back();
  }
  media[count].id.assign(id.data(), id.size());
  media[count].status.assign(status.data(), status.size());
  ++count;
}

// Whether `entity` is in a list after the document is applied: `list` is the
// document's (std::nullopt when it has none), `table` what the tracker
// holds, `base_empty` true when the document is full (it starts from
// nothing).
bool InListAfter(const std::optional<codec::CiUserList>& list,
                 const UserTable& table, bool base_empty,
                 absl::string_view entity) {
  if (list.has_value()) {
    for (const codec::CiUser& u : list->users) {
      if (u.entity == entity) {
        return u.state != ElementState::kDeleted;
      }
    }
    if (list->state != ElementState::kPartial) {
      return false;  // a whole list holds only what it names
    }
  }
  return !base_empty && table.Find(entity) != nullptr;
}

// Refuses a partial or deleted user `table` does not hold, and a partial or
// deleted endpoint its user does not hold (RFC 4575 §4.6: nothing to merge
// into). `base_empty`: the list starts from nothing.
absl::Status CheckList(const codec::ConferenceInfoDocument& doc,
                       const codec::CiUserList& list, const UserTable& table,
                       bool base_empty, absl::string_view name) {
  for (const codec::CiUser& u : list.users) {
    if (u.state == ElementState::kFull) {
      continue;
    }
    const TrackedUser* held = base_empty ? nullptr : table.Find(u.entity);
    if (held == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("roster: ", StateName(u.state), " user ", u.entity,
                       " at ", doc.Where(u.offset), " is not in ", name));
    }
    if (u.state == ElementState::kDeleted) {
      continue;
    }
    for (const codec::CiEndpoint& e : u.endpoints) {
      if (e.state != ElementState::kFull &&
          held->FindEndpoint(e.entity) == nullptr) {
        return absl::FailedPreconditionError(absl::StrCat(
            "roster: ", StateName(e.state), " endpoint ", e.entity, " at ",
            doc.Where(e.offset), " is not an endpoint of ", u.entity));
      }
    }
  }
  return absl::OkStatus();
}

// Refuses a user of `list` that the document leaves in `list` and in
// `other` at once.
absl::Status CheckNotInBoth(const codec::ConferenceInfoDocument& doc,
                            const std::optional<codec::CiUserList>& list,
                            const std::optional<codec::CiUserList>& other,
                            const UserTable& other_table, bool base_empty) {
  if (!list.has_value()) {
    return absl::OkStatus();
  }
  for (const codec::CiUser& u : list->users) {
    if (u.state != ElementState::kDeleted &&
        InListAfter(other, other_table, base_empty, u.entity)) {
      return absl::FailedPreconditionError(
          absl::StrCat("roster: user ", u.entity, " at ", doc.Where(u.offset),
                       " would be in users and in the lobby at once"));
    }
  }
  return absl::OkStatus();
}

void DescribeDifference(absl::string_view list, const UserTable& a,
                        const UserTable& b, std::string& out) {
  a.ForEach([&](absl::string_view entity, const TrackedUser& user) {
    const TrackedUser* theirs = b.Find(entity);
    if (theirs == nullptr) {
      absl::StrAppend(&out, list, ": ", entity, " only on the left; ");
    } else if (!(*theirs == user)) {
      absl::StrAppend(&out, list, ": ", entity, " differs (roles '",
                      user.roles(), "' vs '", theirs->roles(), "', ",
                      user.endpoint_count(), " vs ", theirs->endpoint_count(),
                      " endpoints); ");
    }
  });
  b.ForEach([&](absl::string_view entity, const TrackedUser&) {
    if (a.Find(entity) == nullptr) {
      absl::StrAppend(&out, list, ": ", entity, " only on the right; ");
    }
  });
}

}  // namespace

// --- TrackedEndpoint, TrackedUser, UserTable

const TrackedMedia* TrackedEndpoint::FindMedia(absl::string_view id) const {
  for (const TrackedMedia& m : media()) {
    if (m.id == id) {
      return &m;
    }
  }
  return nullptr;
}

TrackedMedia* TrackedEndpoint::FindMutableMedia(absl::string_view id) {
  for (size_t i = 0; i < media_count_; ++i) {
    if (media_[i].id == id) {
      return &media_[i];
    }
  }
  return nullptr;
}

bool operator==(const TrackedEndpoint& a, const TrackedEndpoint& b) {
  if (a.status_ != b.status_ || a.media_count_ != b.media_count_) {
    return false;
  }
  for (const TrackedMedia& m : a.media()) {
    const TrackedMedia* theirs = b.FindMedia(m.id);
    if (theirs == nullptr || theirs->status != m.status) {
      return false;
    }
  }
  return true;
}

const TrackedEndpoint* TrackedUser::FindEndpoint(
    absl::string_view entity) const {
  for (const TrackedEndpoint& e : endpoints_) {
    if (e.live_ && e.entity_ == entity) {
      return &e;
    }
  }
  return nullptr;
}

TrackedEndpoint* TrackedUser::FindEndpointSlot(absl::string_view entity) {
  for (TrackedEndpoint& e : endpoints_) {
    if (e.entity_ == entity) {
      return &e;
    }
  }
  return nullptr;
}

TrackedEndpoint& TrackedUser::ReviveEndpoint(absl::string_view entity) {
  TrackedEndpoint* slot = FindEndpointSlot(entity);
  for (size_t i = 0; slot == nullptr && i < endpoints_.size(); ++i) {
    if (!endpoints_[i].live_) {
      slot = &endpoints_[i];  // a departed endpoint's storage
    }
  }
  if (slot == nullptr) {
    slot = &endpoints_.emplace_back();
  }
  if (!slot->live_) {
    slot->live_ = true;
    ++endpoint_count_;
  }
  slot->entity_.assign(entity.data(), entity.size());
  slot->status_.clear();
  slot->media_count_ = 0;
  return *slot;
}

void TrackedUser::RemoveEndpoint(TrackedEndpoint& endpoint) {
  if (endpoint.live_) {
    endpoint.live_ = false;
    --endpoint_count_;
  }
}

void TrackedUser::Reset() {
  roles_.clear();
  for (TrackedEndpoint& e : endpoints_) {
    e.live_ = false;
  }
  endpoint_count_ = 0;
}

bool operator==(const TrackedUser& a, const TrackedUser& b) {
  return a.Equals(b);
}

bool TrackedUser::Equals(const TrackedUser& b) const {
  if (roles_ != b.roles_ || endpoint_count_ != b.endpoint_count_) {
    return false;
  }
  for (const TrackedEndpoint& e : endpoints_) {
    if (!e.live_) {
      continue;
    }
    const TrackedEndpoint* theirs = b.FindEndpoint(e.entity_);
    if (theirs == nullptr || !(*theirs == e)) {
      return false;
    }
  }
  return true;
}

const TrackedUser* UserTable::Find(absl::string_view entity) const {
  auto it = index_.find(entity);
  if (it == index_.end() || !slots_[it->second].live) {
    return nullptr;
  }
  return &slots_[it->second].user;
}

TrackedUser* UserTable::FindMutable(absl::string_view entity) {
  auto it = index_.find(entity);
  if (it == index_.end() || !slots_[it->second].live) {
    return nullptr;
  }
  return &slots_[it->second].user;
}

TrackedUser& UserTable::Revive(absl::string_view entity) {
  auto it = index_.find(entity);
  size_t i = 0;
  if (it != index_.end()) {
    i = it->second;
  } else {
    i = slots_.size();
    slots_.emplace_back();
    slots_[i].entity = std::string(entity);
    index_.emplace(slots_[i].entity, i);
  }
  Slot& slot = slots_[i];
  if (!slot.live) {
    slot.live = true;
    ++live_;
  }
  slot.user.Reset();
  return slot.user;
}

void UserTable::Remove(absl::string_view entity) {
  auto it = index_.find(entity);
  if (it != index_.end() && slots_[it->second].live) {
    slots_[it->second].live = false;
    --live_;
  }
}

void UserTable::Clear() {
  for (Slot& s : slots_) {
    s.live = false;
  }
  live_ = 0;
}

// --- RosterTracker

absl::Status RosterTracker::Apply(absl::string_view document) {
  absl::StatusOr<codec::ConferenceInfoDocument> doc =
      codec::ParseConferenceInfo(document);
  if (!doc.ok()) {
    return absl::Status(doc.status().code(),
                        absl::StrCat("roster: ", doc.status().message()));
  }
  return Apply(*doc);
}

absl::Status RosterTracker::Check(const codec::ConferenceInfoDocument& doc,
                                  uint32_t version) const {
  const bool partial = doc.state == ElementState::kPartial;
  if (partial && !have_full_) {
    return absl::InvalidArgumentError(
        "roster: partial document before any full one");
  }
  // RFC 4575 §4.6: a partial document is one version above the last; a
  // full one may skip (a resynchronization) but not go back.
  if (partial ? version != version_ + 1 : version <= version_) {
    return absl::FailedPreconditionError(
        absl::StrCat("roster: ", StateName(doc.state), " document version ",
                     version, " after version ", version_));
  }
  if (doc.state == ElementState::kDeleted) {
    return absl::OkStatus();
  }
  const bool base_empty = !partial;
  if (doc.users.has_value()) {
    absl::Status s = CheckList(
        doc, *doc.users, roster_,
        base_empty || doc.users->state != ElementState::kPartial, "users");
    if (!s.ok()) {
      return s;
    }
  }
  if (doc.lobby.has_value()) {
    absl::Status s = CheckList(
        doc, *doc.lobby, lobby_,
        base_empty || doc.lobby->state != ElementState::kPartial, "the lobby");
    if (!s.ok()) {
      return s;
    }
  }
  if (absl::Status s =
          CheckNotInBoth(doc, doc.users, doc.lobby, lobby_, base_empty);
      !s.ok()) {
    return s;
  }
  return CheckNotInBoth(doc, doc.lobby, doc.users, roster_, base_empty);
}

absl::Status RosterTracker::Apply(const codec::ConferenceInfoDocument& doc) {
  return Apply(doc, doc.version);
}

absl::Status RosterTracker::Apply(const codec::ConferenceInfoDocument& doc,
                                  uint32_t version) {
  if (absl::Status s = Check(doc, version); !s.ok()) {
    return s;
  }
  version_ = version;
  if (doc.state == ElementState::kDeleted) {
    roster_.Clear();
    lobby_.Clear();
    deleted_ = true;
    return absl::OkStatus();
  }
  if (doc.state != ElementState::kPartial) {
    roster_.Clear();
    lobby_.Clear();
  }
  if (doc.users.has_value()) {
    ApplyList(*doc.users, roster_);
  }
  if (doc.lobby.has_value()) {
    ApplyList(*doc.lobby, lobby_);
  }
  have_full_ = true;
  return absl::OkStatus();
}

// Applies a `users` or `msci:lobby` list.
void RosterTracker::ApplyList(const codec::CiUserList& list, UserTable& table) {
  if (list.state != ElementState::kPartial) {
    table.Clear();
  }
  for (const codec::CiUser& u : list.users) {
    ApplyUser(u, table);
  }
}

// Merges one user into `table` (RFC 4575 §4.6), in place. Check has made
// sure that what a partial or deleted element names exists.
void RosterTracker::ApplyUser(const codec::CiUser& u, UserTable& table) {
  if (u.state == ElementState::kDeleted) {
    table.Remove(u.entity);
    return;
  }
  const bool partial = u.state == ElementState::kPartial;
  TrackedUser& user =
      partial ? *table.FindMutable(u.entity) : table.Revive(u.entity);
  // roles is atomic: a partial user that carries it replaces it.
  if (!partial || u.roles.has_value()) {
    user.roles_.clear();
    if (u.roles.has_value()) {
      for (absl::string_view role : *u.roles) {
        if (!user.roles_.empty()) {
          user.roles_ += ' ';
        }
        user.roles_.append(role.data(), role.size());
      }
    }
  }
  for (const codec::CiEndpoint& e : u.endpoints) {
    if (e.state == ElementState::kDeleted) {
      if (TrackedEndpoint* held = user.FindEndpointSlot(e.entity)) {
        user.RemoveEndpoint(*held);
      }
      continue;
    }
    TrackedEndpoint* held = user.FindEndpointSlot(e.entity);
    if (e.state == ElementState::kPartial && held != nullptr && held->live_) {
      // Atomic children replace; streams merge by id.
      if (e.status.has_value()) {
        held->status_.assign(e.status->data(), e.status->size());
      }
      for (const codec::CiMedia& m : e.media) {
        TrackedMedia* stream = held->FindMutableMedia(m.id);
        if (stream != nullptr) {
          stream->status.assign(m.status.data(), m.status.size());
        } else {
          AppendMedia(held->media_, held->media_count_, m.id, m.status);
        }
      }
      continue;
    }
    TrackedEndpoint& endpoint = user.ReviveEndpoint(e.entity);
    const absl::string_view status = e.status.value_or("");
    endpoint.status_.assign(status.data(), status.size());
    for (const codec::CiMedia& m : e.media) {
      AppendMedia(endpoint.media_, endpoint.media_count_, m.id, m.status);
    }
  }
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
