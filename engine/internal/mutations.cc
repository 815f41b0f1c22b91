#include "engine/internal/mutations.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "base/status_macros.h"
#include "engine/conference_store.h"
#include "engine/internal/messages.h"
#include "engine/internal/prefetch.h"
#include "engine/internal/request_validator.h"
#include "engine/internal/roles.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

std::shared_ptr<const ConferenceState> StateWithCount(
    const ConferenceState& old, size_t count) {
  auto state = std::make_shared<ConferenceState>(old);
  state->user_count = static_cast<uint32_t>(count);
  state->active = count > 0;
  return state;
}

// Replaces endpoint `endpoint->entity` of `user` (appending it if absent).
std::shared_ptr<const User> WithEndpoint(
    const User& user, std::shared_ptr<const Endpoint> endpoint) {
  auto out = std::make_shared<User>(user);
  for (auto& e : out->endpoints) {
    if (e->entity == endpoint->entity) {
      e = std::move(endpoint);
      return out;
    }
  }
  out->endpoints.push_back(std::move(endpoint));
  return out;
}

// The delta entry for one endpoint of `user` replaced or added.
UserChange EndpointReplaced(UserList list, std::shared_ptr<const User> user,
                            std::shared_ptr<const Endpoint> endpoint) {
  UserChange change;
  change.list = list;
  change.kind = ChangeKind::kPartial;
  change.entity = user->entity;
  change.user = std::move(user);
  EndpointChange ec;
  ec.kind = ChangeKind::kFull;
  ec.entity = endpoint->entity;
  ec.endpoint = std::move(endpoint);
  change.endpoints.push_back(std::move(ec));
  return change;
}

// Finds `user` in the roster, then in the lobby.
struct FoundUser {
  std::shared_ptr<const User> user;
  UserList list = UserList::kRoster;
};

FoundUser FindAnyUser(const ConferenceSnapshot& s, const UserId& user) {
  FoundUser found;
  found.user = s.users.Find(user);
  if (found.user == nullptr) {
    found.user = s.lobby.Find(user);
    found.list = UserList::kLobby;
  }
  return found;
}

// Finds `user` in the roster only; a lobby user is kFailedPrecondition. The
// slot lets a change to that user replace it without a second search
// (UserMap::Replace).
absl::StatusOr<UserMap::Slot> GetRosterSlot(const ConferenceSnapshot& s,
                                            const UserId& user) {
  std::optional<UserMap::Slot> found = s.users.FindSlot(user);
  if (found.has_value()) {
    return *found;
  }
  if (s.lobby.Contains(user)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "user ", Quote(user.value()), " is waiting in the lobby of conference ",
        Quote(s.entity.value())));
  }
  return UserNotFound(user, s.entity);
}

}  // namespace

absl::Status ValidateModifyConference(const ModifyConferenceRequest& request,
                                      const StoreLimits& limits) {
  RequestValidator validator(limits);
  if (request.description.has_value()) {
    validator.Description(*request.description);
  }
  validator.Count("entity-views", request.views.size(),
                  limits.max_list_entries);
  for (const EntityView& view : request.views) {
    validator.View(view);
  }
  CONF_RETURN_IF_ERROR(validator.status());
  if (!request.description.has_value() && request.views.empty()) {
    return absl::InvalidArgumentError("modifyConference: nothing to modify");
  }
  for (size_t i = 0; i < request.views.size(); ++i) {
    if (RepeatsEarlier(request.views, i,
                       [](const EntityView& v) -> absl::string_view {
                         return v.entity;
                       })) {
      return absl::InvalidArgumentError(
          absl::StrCat("modifyConference: entity-view ",
                       Quote(request.views[i].entity), " appears twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status BuildModifyConference(const ModifyConferenceRequest& request,
                                   const ConferenceSnapshot& s,
                                   Change& change) {
  CONF_RETURN_IF_ERROR(RequireLeader(s, request.requester, "modifyConference"));
  if (request.description.has_value()) {
    const ConferenceDescription& old = *s.description;
    if (!request.description->conference_id.empty() &&
        request.description->conference_id != old.conference_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("modifyConference: conference-id cannot change from ",
                       Quote(old.conference_id)));
    }
    auto description =
        std::make_shared<ConferenceDescription>(*request.description);
    description->conference_id = old.conference_id;
    description->conf_uris = old.conf_uris;  // Assigned by the engine.
    change.next.description = description;
    change.delta.description = std::move(description);
  }
  for (const EntityView& requested : request.views) {
    auto it = std::find_if(change.next.views.begin(), change.next.views.end(),
                           [&](const std::shared_ptr<const EntityView>& v) {
                             return v->entity == requested.entity;
                           });
    if (it == change.next.views.end()) {
      return absl::NotFoundError(absl::StrCat(
          "modifyConference: entity-view ", Quote(requested.entity),
          " does not exist in conference ", Quote(s.entity.value())));
    }
    auto view = std::make_shared<EntityView>(**it);
    std::optional<bool> locked = view->state.locked;
    view->state = requested.state;
    view->state.locked = locked;  // Owned by modifyConferenceLock.
    if (requested.capabilities.has_value()) {
      view->capabilities = requested.capabilities;
    }
    *it = view;
    change.delta.views.push_back(
        {ChangeKind::kFull, view->entity, std::move(view)});
  }
  return absl::OkStatus();
}

absl::Status BuildDeleteConference(const DeleteConferenceRequest& request,
                                   const ConferenceSnapshot& s,
                                   Change& change) {
  if (!request.requester.empty() && request.requester != s.organizer) {
    return absl::PermissionDeniedError(absl::StrCat(
        "deleteConference: only the organizer may delete conference ",
        Quote(s.entity.value())));
  }
  change.delta.kind = DeltaKind::kConferenceDeleted;
  return absl::OkStatus();
}

absl::Status ValidateAddUser(const AddUserRequest& request,
                             const StoreLimits& limits) {
  RequestValidator validator(limits);
  validator.User(request.user);
  return validator.status();
}

absl::Status BuildAddUser(const AddUserRequest& request,
                          const StoreLimits& limits,
                          const ConferenceSnapshot& s, Change& change) {
  const UserId& entity = request.user.entity;
  const Authority authority = AuthorityOf(s, request.requester);
  if (request.kind == JoinKind::kJoin) {
    if (authority != Authority::kFocus && request.requester != entity) {
      return absl::PermissionDeniedError(
          absl::StrCat("addUser: ", Quote(request.requester.value()),
                       " may not join on behalf of ", Quote(entity.value())));
    }
  } else {
    CONF_RETURN_IF_ERROR(
        RequireLeader(s, request.requester, "addUser (dial-out)"));
  }
  if (s.users.Contains(entity) || s.lobby.Contains(entity)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "addUser: user ", Quote(entity.value()),
        " already exists in conference ", Quote(s.entity.value())));
  }
  const bool organizer = entity == s.organizer;
  if (request.user.role == Role::kOrganizer && !organizer) {
    return absl::InvalidArgumentError(
        absl::StrCat("addUser: invalid role: ", Quote(entity.value()),
                     " is not the organizer"));
  }
  Role granted = request.user.role;
  if (organizer) {
    granted = Role::kOrganizer;
  } else if (request.authentication == Authentication::kAnonymous) {
    granted = Role::kAttendee;
  }

  UserList list = UserList::kRoster;
  if (!organizer) {
    const AdmissionPolicy policy = s.description->admission_policy.value_or(
        AdmissionPolicy::kOpenAuthenticated);
    const bool anonymous = request.authentication == Authentication::kAnonymous;
    if (request.kind == JoinKind::kDialOut) {
      if (s.state->locked) {
        return absl::FailedPreconditionError(absl::StrCat(
            "addUser: conference ", Quote(s.entity.value()), " is locked"));
      }
    } else {
      if (anonymous && policy == AdmissionPolicy::kClosedAuthenticated) {
        return absl::PermissionDeniedError(absl::StrCat(
            "addUser: anonymous users are not allowed in conference ",
            Quote(s.entity.value())));
      }
      if (s.state->locked || policy == AdmissionPolicy::kClosedAuthenticated ||
          (anonymous && policy == AdmissionPolicy::kOpenAuthenticated)) {
        list = UserList::kLobby;
      }
    }
  }
  if (s.users.size() + s.lobby.size() >= limits.max_users_per_conference) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "addUser: conference ", Quote(s.entity.value()), " has reached ",
        limits.max_users_per_conference, " users"));
  }
  if (list == UserList::kRoster &&
      s.description->maximum_user_count.has_value() &&
      s.users.size() >= *s.description->maximum_user_count) {
    return absl::ResourceExhaustedError(
        absl::StrCat("addUser: conference ", Quote(s.entity.value()),
                     " has reached its maximum-user-count of ",
                     *s.description->maximum_user_count));
  }
  auto user = std::make_shared<User>(request.user);
  user->role = granted;
  std::shared_ptr<const User> frozen = std::move(user);
  if (list == UserList::kRoster) {
    change.next.users = s.users.Set(frozen);
    change.next.state = StateWithCount(*s.state, change.next.users.size());
    change.delta.state = change.next.state;
  } else {
    change.next.lobby = s.lobby.Set(frozen);
  }
  change.delta.users.push_back(
      {list, ChangeKind::kFull, entity, std::move(frozen), {}});
  return absl::OkStatus();
}

absl::Status BuildLobbyDecision(const LobbyDecisionRequest& request,
                                const ConferenceSnapshot& s, Change& change) {
  CONF_RETURN_IF_ERROR(RequireLeader(s, request.requester, "lobby decision"));
  std::shared_ptr<const User> user = s.lobby.Find(request.user);
  if (user == nullptr) {
    if (s.users.Contains(request.user)) {
      return absl::FailedPreconditionError(
          absl::StrCat("lobby decision: user ", Quote(request.user.value()),
                       " is already admitted"));
    }
    return absl::NotFoundError(absl::StrCat(
        "lobby decision: user ", Quote(request.user.value()),
        " is not in the lobby of conference ", Quote(s.entity.value())));
  }
  change.next.lobby = s.lobby.Erase(request.user);
  change.delta.users.push_back(
      {UserList::kLobby, ChangeKind::kDeleted, request.user, nullptr, {}});
  if (request.decision == LobbyDecision::kGrant) {
    if (s.description->maximum_user_count.has_value() &&
        s.users.size() >= *s.description->maximum_user_count) {
      return absl::ResourceExhaustedError(
          absl::StrCat("lobby decision: conference ", Quote(s.entity.value()),
                       " has reached its maximum-user-count of ",
                       *s.description->maximum_user_count));
    }
    change.next.users = s.users.Set(user);
    change.next.state = StateWithCount(*s.state, change.next.users.size());
    change.delta.state = change.next.state;
    change.delta.users.push_back(
        {UserList::kRoster, ChangeKind::kFull, request.user, user, {}});
  }
  return absl::OkStatus();
}

absl::Status BuildDeleteUser(const DeleteUserRequest& request,
                             const ConferenceSnapshot& s, Change& change) {
  FoundUser found = FindAnyUser(s, request.user);
  if (found.user == nullptr) {
    return UserNotFound(request.user, s.entity);
  }
  const Authority authority = AuthorityOf(s, request.requester);
  if (authority != Authority::kFocus && request.requester != request.user) {
    if (authority != Authority::kLeader) {
      return absl::PermissionDeniedError(absl::StrCat(
          "deleteUser: ", Quote(request.requester.value()),
          " is not a leader of conference ", Quote(s.entity.value())));
    }
    if (request.user == s.organizer && request.requester != s.organizer) {
      return absl::PermissionDeniedError(
          "deleteUser: only the organizer may remove itself");
    }
  }
  if (found.list == UserList::kRoster) {
    change.next.users = s.users.Erase(request.user);
    change.next.state = StateWithCount(*s.state, change.next.users.size());
    change.delta.state = change.next.state;
  } else {
    change.next.lobby = s.lobby.Erase(request.user);
  }
  change.delta.users.push_back(
      {found.list, ChangeKind::kDeleted, request.user, nullptr, {}});
  return absl::OkStatus();
}

absl::Status ValidateModifyUserRoles(const ModifyUserRolesRequest& request) {
  if (request.role == Role::kOrganizer) {
    return absl::InvalidArgumentError(
        "modifyUserRoles: invalid role: organizer cannot be granted");
  }
  return absl::OkStatus();
}

absl::Status BuildModifyUserRoles(const ModifyUserRolesRequest& request,
                                  const ConferenceSnapshot& s, Change& change) {
  CONF_RETURN_IF_ERROR(RequireLeader(s, request.requester, "modifyUserRoles"));
  CONF_ASSIGN_OR_RETURN(UserMap::Slot slot, GetRosterSlot(s, request.user));
  const std::shared_ptr<const User>& old = slot.value();
  if (old->role == Role::kOrganizer) {
    return absl::FailedPreconditionError(
        "modifyUserRoles: the organizer's role cannot change");
  }
  auto user = std::make_shared<User>(*old);
  user->role = request.role;
  std::shared_ptr<const User> frozen = std::move(user);
  change.next.users = s.users.Replace(slot, frozen);
  change.delta.users.push_back({UserList::kRoster,
                                ChangeKind::kPartial,
                                request.user,
                                std::move(frozen),
                                {}});
  return absl::OkStatus();
}

absl::Status BuildModifyConferenceLock(
    const ModifyConferenceLockRequest& request, const ConferenceSnapshot& s,
    Change& change) {
  const bool locked = request.lock == LockState::kLocked;
  CONF_RETURN_IF_ERROR(
      RequireLeader(s, request.requester, "modifyConferenceLock"));
  auto state = std::make_shared<ConferenceState>(*s.state);
  state->locked = locked;
  change.next.state = state;
  change.delta.state = std::move(state);
  size_t changed = 0;
  for (const auto& view : s.views) {
    if (view->state.locked.has_value() && *view->state.locked != locked) {
      PrefetchViewCopy(*view);
      ++changed;
    }
  }
  change.delta.views.reserve(changed);
  // Every view that reports a lock flag mirrors it.
  for (auto& view : change.next.views) {
    if (view->state.locked.has_value() && *view->state.locked != locked) {
      auto copy = std::make_shared<EntityView>(*view);
      copy->state.locked = locked;
      view = copy;
      change.delta.views.push_back(
          {ChangeKind::kFull, copy->entity, std::move(copy)});
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateModifyEndpointMedia(
    const ModifyEndpointMediaRequest& request, const StoreLimits& limits) {
  RequestValidator validator(limits);
  validator.Media(request.media);
  return validator.status();
}

absl::Status BuildModifyEndpointMedia(const ModifyEndpointMediaRequest& request,
                                      const std::shared_ptr<const Media>& media,
                                      const ConferenceSnapshot& s,
                                      Change& change) {
  if (request.requester != request.user) {
    CONF_RETURN_IF_ERROR(
        RequireLeader(s, request.requester, "modifyEndpointMedia"));
  }
  CONF_ASSIGN_OR_RETURN(UserMap::Slot slot, GetRosterSlot(s, request.user));
  const std::shared_ptr<const User>& user = slot.value();
  auto endpoint_it =
      std::find_if(user->endpoints.begin(), user->endpoints.end(),
                   [&](const std::shared_ptr<const Endpoint>& e) {
                     return e->entity == request.endpoint;
                   });
  if (endpoint_it == user->endpoints.end()) {
    return EndpointNotFound(request.endpoint, request.user);
  }
  auto endpoint = std::make_shared<Endpoint>(**endpoint_it);
  auto media_it = std::find_if(endpoint->media.begin(), endpoint->media.end(),
                               [&](const std::shared_ptr<const Media>& m) {
                                 return m->id == media->id;
                               });
  if (media_it == endpoint->media.end()) {
    return absl::NotFoundError(absl::StrCat("media ", Quote(media->id.value()),
                                            " does not exist on endpoint ",
                                            Quote(request.endpoint.value())));
  }
  *media_it = media;
  std::shared_ptr<const Endpoint> frozen = std::move(endpoint);
  std::shared_ptr<const User> new_user = WithEndpoint(*user, frozen);
  change.next.users = s.users.Replace(slot, new_user);
  change.delta.users.push_back(
      EndpointReplaced(UserList::kRoster, std::move(new_user), frozen));
  return absl::OkStatus();
}

absl::Status ValidateSetEndpoint(const SetEndpointRequest& request,
                                 const StoreLimits& limits) {
  RequestValidator validator(limits);
  validator.Endpoint(request.endpoint);
  return validator.status();
}

absl::Status BuildSetEndpoint(const SetEndpointRequest& request,
                              const std::shared_ptr<const Endpoint>& endpoint,
                              const StoreLimits& limits,
                              const ConferenceSnapshot& s, Change& change) {
  FoundUser found = FindAnyUser(s, request.user);
  if (found.user == nullptr) {
    return UserNotFound(request.user, s.entity);
  }
  if (found.user->FindEndpoint(endpoint->entity) == nullptr &&
      found.user->endpoints.size() >= limits.max_endpoints_per_user) {
    return absl::ResourceExhaustedError(
        absl::StrCat("user ", Quote(request.user.value()), " has reached ",
                     limits.max_endpoints_per_user, " endpoints"));
  }
  std::shared_ptr<const User> user = WithEndpoint(*found.user, endpoint);
  UserMap& map =
      found.list == UserList::kRoster ? change.next.users : change.next.lobby;
  map = map.Set(user);
  change.delta.users.push_back(
      EndpointReplaced(found.list, std::move(user), endpoint));
  return absl::OkStatus();
}

absl::Status ValidateModifyEndpointStatus(
    const ModifyEndpointStatusRequest& request, const StoreLimits& limits) {
  const bool disconnecting = request.status == EndpointStatus::kDisconnected ||
                             request.status == EndpointStatus::kDisconnecting;
  if (!disconnecting && (request.disconnection_method.has_value() ||
                         request.disconnection_info.has_value())) {
    return absl::InvalidArgumentError(
        "endpoint status: disconnection method or info given for an endpoint "
        "that is not disconnecting");
  }
  RequestValidator validator(limits);
  if (request.disconnection_info.has_value()) {
    validator.Execution("endpoint disconnection-info",
                        *request.disconnection_info);
  }
  return validator.status();
}

absl::Status BuildModifyEndpointStatus(
    const ModifyEndpointStatusRequest& request, const ConferenceSnapshot& s,
    Change& change) {
  FoundUser found = FindAnyUser(s, request.user);
  if (found.user == nullptr) {
    return UserNotFound(request.user, s.entity);
  }
  const Endpoint* old = found.user->FindEndpoint(request.endpoint);
  if (old == nullptr) {
    return EndpointNotFound(request.endpoint, request.user);
  }
  auto endpoint = std::make_shared<Endpoint>(*old);
  endpoint->status = request.status;
  if (request.disconnection_method.has_value()) {
    endpoint->disconnection_method = request.disconnection_method;
  }
  if (request.disconnection_info.has_value()) {
    endpoint->disconnection_info = *request.disconnection_info;
  }
  std::shared_ptr<const Endpoint> frozen = std::move(endpoint);
  std::shared_ptr<const User> user = WithEndpoint(*found.user, frozen);
  UserMap& map =
      found.list == UserList::kRoster ? change.next.users : change.next.lobby;
  map = map.Set(user);
  change.delta.users.push_back(
      EndpointReplaced(found.list, std::move(user), std::move(frozen)));
  return absl::OkStatus();
}

absl::Status BuildDeleteEndpoint(const DeleteEndpointRequest& request,
                                 const ConferenceSnapshot& s, Change& change) {
  FoundUser found = FindAnyUser(s, request.user);
  if (found.user == nullptr) {
    return UserNotFound(request.user, s.entity);
  }
  if (found.user->FindEndpoint(request.endpoint) == nullptr) {
    return EndpointNotFound(request.endpoint, request.user);
  }
  auto user = std::make_shared<User>(*found.user);
  user->endpoints.erase(
      std::find_if(user->endpoints.begin(), user->endpoints.end(),
                   [&](const std::shared_ptr<const Endpoint>& e) {
                     return e->entity == request.endpoint;
                   }));
  std::shared_ptr<const User> frozen = std::move(user);
  UserMap& map =
      found.list == UserList::kRoster ? change.next.users : change.next.lobby;
  map = map.Set(frozen);
  UserChange uc;
  uc.list = found.list;
  uc.kind = ChangeKind::kPartial;
  uc.entity = request.user;
  uc.user = std::move(frozen);
  uc.endpoints.push_back({ChangeKind::kDeleted, request.endpoint, nullptr});
  change.delta.users.push_back(std::move(uc));
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
