#include "engine/model.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace conf {
namespace engine {
namespace {

// Compares two shared pointers by value; identical pointers short-cut.
template <typename T>
bool PtrEqual(const std::shared_ptr<const T>& a,
              const std::shared_ptr<const T>& b) {
  if (a == b) {
    return true;
  }
  if (a == nullptr || b == nullptr) {
    return false;
  }
  return *a == *b;
}

// `Ptrs`: a std::vector or absl::InlinedVector of std::shared_ptr<const T>.
template <typename Ptrs>
bool PtrVectorsEqual(const Ptrs& a, const Ptrs& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const auto& x, const auto& y) { return PtrEqual(x, y); });
}

bool UserMapsEqual(const UserMap& a, const UserMap& b) {
  if (a.SharesRootWith(b)) {
    return true;
  }
  if (a.size() != b.size()) {
    return false;
  }
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const std::shared_ptr<const User>& x,
         const std::shared_ptr<const User>& y) { return PtrEqual(x, y); });
}

// Applies one user change to `map`.
UserMap ApplyUserChange(const UserMap& map, const UserChange& change) {
  switch (change.kind) {
    case ChangeKind::kFull:
      return map.Set(change.user);
    case ChangeKind::kDeleted:
      return map.Erase(change.entity);
    case ChangeKind::kPartial: {
      std::shared_ptr<const User> old_user = map.Find(change.entity);
      if (old_user == nullptr) {
        // A partial for an unknown key inserts it (RFC 4575 §4.6).
        return map.Set(change.user);
      }
      auto user = std::make_shared<User>(*change.user);
      user->endpoints = old_user->endpoints;
      for (const EndpointChange& ec : change.endpoints) {
        auto it = std::find_if(user->endpoints.begin(), user->endpoints.end(),
                               [&](const std::shared_ptr<const Endpoint>& e) {
                                 return e->entity == ec.entity;
                               });
        if (ec.kind == ChangeKind::kDeleted) {
          if (it != user->endpoints.end()) {
            user->endpoints.erase(it);
          }
        } else if (it != user->endpoints.end()) {
          *it = ec.endpoint;
        } else {
          user->endpoints.push_back(ec.endpoint);
        }
      }
      return map.Set(std::move(user));
    }
  }
  return map;
}

}  // namespace

bool operator==(const UriEntry& a, const UriEntry& b) {
  return a.uri == b.uri && a.display_text == b.display_text &&
         a.purpose == b.purpose && a.modified == b.modified &&
         a.extensions == b.extensions && a.attributes == b.attributes;
}

bool operator==(const AvailableMedia& a, const AvailableMedia& b) {
  return a.label == b.label && a.display_text == b.display_text &&
         a.type == b.type && a.status == b.status &&
         a.extensions == b.extensions && a.attributes == b.attributes;
}

bool operator==(const ConferenceDescription& a,
                const ConferenceDescription& b) {
  return a.display_text == b.display_text && a.subject == b.subject &&
         a.free_text == b.free_text && a.keywords == b.keywords &&
         a.conf_uris == b.conf_uris && a.service_uris == b.service_uris &&
         a.maximum_user_count == b.maximum_user_count &&
         a.available_media == b.available_media &&
         a.conference_id == b.conference_id && a.expiry_time == b.expiry_time &&
         a.admission_policy == b.admission_policy &&
         a.presenter_policy == b.presenter_policy &&
         a.pstn_access == b.pstn_access &&
         a.organizer_display_name == b.organizer_display_name &&
         a.join_url == b.join_url && a.extensions == b.extensions &&
         a.attributes == b.attributes;
}

bool operator==(const HostInfo& a, const HostInfo& b) {
  return a.display_text == b.display_text && a.web_page == b.web_page &&
         a.uris == b.uris && a.extensions == b.extensions;
}

bool operator==(const Media& a, const Media& b) {
  return a.id == b.id && a.display_text == b.display_text && a.type == b.type &&
         a.label == b.label && a.src_id == b.src_id && a.status == b.status &&
         a.media_state == b.media_state &&
         a.media_source_id == b.media_source_id &&
         a.extensions == b.extensions && a.attributes == b.attributes;
}

bool operator==(const Endpoint& a, const Endpoint& b) {
  return a.entity == b.entity && a.display_text == b.display_text &&
         a.referred == b.referred && a.status == b.status &&
         a.joining_method == b.joining_method &&
         a.joining_info == b.joining_info &&
         a.disconnection_method == b.disconnection_method &&
         a.disconnection_info == b.disconnection_info &&
         PtrVectorsEqual(a.media, b.media) && a.call_info == b.call_info &&
         a.session_type == b.session_type && a.endpoint_uri == b.endpoint_uri &&
         a.refer_to_uri == b.refer_to_uri &&
         a.session_on_behalf_of == b.session_on_behalf_of &&
         a.client_info == b.client_info && a.extensions == b.extensions &&
         a.attributes == b.attributes;
}

bool operator==(const User& a, const User& b) {
  return a.entity == b.entity && a.display_text == b.display_text &&
         a.associated_aors == b.associated_aors && a.role == b.role &&
         a.languages == b.languages && a.cascaded_focus == b.cascaded_focus &&
         PtrVectorsEqual(a.endpoints, b.endpoints) &&
         a.extensions == b.extensions && a.attributes == b.attributes;
}

bool operator==(const EntityMedia& a, const EntityMedia& b) {
  return a.label == b.label && a.display_text == b.display_text &&
         a.type == b.type && a.status == b.status &&
         a.video_mode == b.video_mode && a.extensions == b.extensions;
}

bool operator==(const EntityCapabilities& a, const EntityCapabilities& b) {
  return a.supports_audio == b.supports_audio &&
         a.supports_video == b.supports_video &&
         a.control_permission == b.control_permission &&
         a.extensions == b.extensions;
}

bool operator==(const EntityState& a, const EntityState& b) {
  return a.application == b.application && a.locked == b.locked &&
         a.media == b.media && a.extensions == b.extensions &&
         a.attributes == b.attributes;
}

bool operator==(const EntityView& a, const EntityView& b) {
  return a.entity == b.entity && a.mcu_type == b.mcu_type &&
         a.capabilities == b.capabilities && a.state == b.state &&
         a.extensions == b.extensions && a.attributes == b.attributes;
}

const Media* Endpoint::FindMedia(const MediaId& id) const {
  for (const auto& m : media) {
    if (m->id == id) {
      return m.get();
    }
  }
  return nullptr;
}

const Endpoint* User::FindEndpoint(const EndpointId& id) const {
  for (const auto& e : endpoints) {
    if (e->entity == id) {
      return e.get();
    }
  }
  return nullptr;
}

const EntityView* ConferenceSnapshot::FindView(absl::string_view id) const {
  for (const auto& v : views) {
    if (v->entity == id) {
      return v.get();
    }
  }
  return nullptr;
}

WebJoinUris::WebJoinUris(absl::string_view internal,
                         absl::string_view external) {
  if (internal.empty() && external.empty()) {
    return;
  }
  auto rep = std::make_shared<Rep>();
  rep->bytes.reserve(internal.size() + external.size());
  rep->bytes.append(internal.data(), internal.size());
  rep->bytes.append(external.data(), external.size());
  rep->internal_size = internal.size();
  rep_ = std::move(rep);
}

absl::string_view WebJoinUris::internal() const {
  if (rep_ == nullptr) {
    return absl::string_view();
  }
  return absl::string_view(rep_->bytes).substr(0, rep_->internal_size);
}

absl::string_view WebJoinUris::external() const {
  if (rep_ == nullptr) {
    return absl::string_view();
  }
  return absl::string_view(rep_->bytes).substr(rep_->internal_size);
}

std::optional<absl::Time> ParseExpiryTime(absl::string_view expiry_time) {
  if (expiry_time.empty())
    return absl::InfiniteFuture();
  absl::Time time;
  std::string error;
  // RFC 3339 (an xs:dateTime with a zone), then xs:dateTime without one.
  if (absl::ParseTime(absl::RFC3339_full, expiry_time, &time, &error) ||
      absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S", expiry_time, absl::UTCTimeZone(),
                      &time, &error)) {
    return time;
  }
  return std::nullopt;
}

bool SnapshotsEqual(const ConferenceSnapshot& a, const ConferenceSnapshot& b) {
  return a.entity == b.entity && a.version == b.version &&
         a.organizer == b.organizer && PtrEqual(a.description, b.description) &&
         PtrEqual(a.host_info, b.host_info) && PtrEqual(a.state, b.state) &&
         UserMapsEqual(a.users, b.users) && UserMapsEqual(a.lobby, b.lobby) &&
         PtrVectorsEqual(a.views, b.views) && a.key == b.key &&
         a.web_join == b.web_join && a.expires_at == b.expires_at &&
         a.extensions == b.extensions;
}

ConferenceSnapshot ApplyDelta(const ConferenceSnapshot& snapshot,
                              const ConferenceDelta& delta) {
  ConferenceSnapshot out = snapshot;
  out.version = delta.version;
  if (delta.kind == DeltaKind::kConferenceDeleted) {
    return out;
  }
  if (delta.description != nullptr) {
    out.description = delta.description;
  }
  if (delta.host_info != nullptr) {
    out.host_info = delta.host_info;
  }
  if (delta.state != nullptr) {
    out.state = delta.state;
  }
  for (const UserChange& change : delta.users) {
    UserMap& map = change.list == UserList::kLobby ? out.lobby : out.users;
    map = ApplyUserChange(map, change);
  }
  for (const EntityViewChange& change : delta.views) {
    auto it = std::find_if(out.views.begin(), out.views.end(),
                           [&](const std::shared_ptr<const EntityView>& v) {
                             return v->entity == change.entity;
                           });
    if (change.kind == ChangeKind::kDeleted) {
      if (it != out.views.end()) {
        out.views.erase(it);
      }
    } else if (it != out.views.end()) {
      *it = change.view;
    } else {
      out.views.push_back(change.view);
    }
  }
  return out;
}

ViewerRole ViewerRoleFor(const ConferenceSnapshot& snapshot,
                         const UserId& viewer) {
  const std::shared_ptr<const User>* user = snapshot.users.FindPtr(viewer);
  if (user == nullptr) {
    return ViewerRole::kLobbySelf;
  }
  return IsLeader((*user)->role) ? ViewerRole::kLeader : ViewerRole::kAttendee;
}

bool IsUserVisible(ViewerRole role, const UserId& viewer, UserList list,
                   const UserId& user) {
  switch (role) {
    case ViewerRole::kLeader:
      return true;
    case ViewerRole::kAttendee:
      return list == UserList::kRoster;
    case ViewerRole::kLobbySelf:
      return list == UserList::kLobby && user == viewer;
  }
  return false;
}

}  // namespace engine
}  // namespace conf
