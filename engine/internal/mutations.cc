#include "engine/internal/mutations.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

constexpr absl::string_view kFocusSession = "focus";

// Whether `user` has a focus session (an endpoint of session type "focus")
// in `status`.
bool HasFocusStatus(const User& user, EndpointStatus status) {
  for (const std::shared_ptr<const Endpoint>& e : user.endpoints) {
    if (e->session_type.view() == kFocusSession && e->status == status)
      return true;
  }
  return false;
}

// Sets the status of `user`'s focus sessions.
void SetFocusStatus(User& user, EndpointStatus status) {
  for (std::shared_ptr<const Endpoint>& e : user.endpoints) {
    if (e->session_type.view() == kFocusSession && e->status != status) {
      auto endpoint = std::make_shared<Endpoint>(*e);
      endpoint->status = status;
      e = std::move(endpoint);
    }
  }
}

// The domain of a SIP URI ("sip:alice@Contoso.com;gruu" -> "contoso.com"),
// lower case; the host of a URI without a user part.
std::string DomainOf(absl::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon != absl::string_view::npos &&
      uri.substr(0, colon).find('@') == absl::string_view::npos) {
    uri.remove_prefix(colon + 1);
  }
  const size_t at = uri.rfind('@');
  if (at != absl::string_view::npos)
    uri.remove_prefix(at + 1);
  uri = uri.substr(0, uri.find_first_of(";:>?"));
  return absl::AsciiStrToLower(uri);
}

// Whether `a` and `b` belong to one organization: the same domain, or two
// domains of the tenant StoreOptions::organization_domains lists.
bool SameOrganization(const UserId& a, const UserId& b,
                      const StoreOptions& options) {
  const std::string domain_a = DomainOf(a.value());
  const std::string domain_b = DomainOf(b.value());
  if (domain_a.empty())
    return false;
  if (domain_a == domain_b)
    return true;
  bool a_listed = false;
  bool b_listed = false;
  for (const std::string& domain : options.organization_domains) {
    a_listed |= absl::EqualsIgnoreCase(domain, domain_a);
    b_listed |= absl::EqualsIgnoreCase(domain, domain_b);
  }
  return a_listed && b_listed;
}

// The role a join grants: the organizer is the organizer; otherwise no more
// than the user asked for and the conference's presenter policy allows.
// Anonymous users are attendees. A dial-out is a leader's act and grants
// what the leader asked for.
Role GrantedRole(const AddUserRequest& request, const StoreOptions& options,
                 const ConferenceSnapshot& s) {
  if (request.user.entity == s.organizer)
    return Role::kOrganizer;
  if (request.user.role == Role::kAttendee ||
      request.authentication == Authentication::kAnonymous) {
    return Role::kAttendee;
  }
  if (request.kind == JoinKind::kDialOut)
    return request.user.role;
  switch (s.description->presenter_policy.value_or(
      PresenterPolicy::kOrganization)) {
    case PresenterPolicy::kOrganizerOnly:
      return Role::kAttendee;
    case PresenterPolicy::kOrganization:
      return SameOrganization(request.user.entity, s.organizer, options)
                 ? request.user.role
                 : Role::kAttendee;
    case PresenterPolicy::kEveryone:
      return request.user.role;
  }
  return Role::kAttendee;
}

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
    // Validated with the description.
    change.next.expires_at = ParseExpiryTime(description->expiry_time)
                                 .value_or(absl::InfiniteFuture());
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
                          const StoreOptions& options,
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
  const Role granted = GrantedRole(request, options, s);

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
  const StoreLimits& limits = options.limits;
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
  if (list == UserList::kLobby) {
    // Waiting: its focus session is held, not in the conference (RFC 4575
    // §5.7.3 on-hold: a signaling dialog with the focus, no media mixed).
    SetFocusStatus(*user, EndpointStatus::kOnHold);
  }
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
  return BuildLobbyDecisions(
      {request.conference, request.requester, {request.user}, request.decision},
      s, change);
}

absl::Status BuildLobbyDecisions(const LobbyDecisionsRequest& request,
                                 const ConferenceSnapshot& s, Change& change) {
  CONF_RETURN_IF_ERROR(RequireLeader(s, request.requester, "lobby decision"));
  // Every user is checked before any moves: all or nothing.
  std::vector<std::shared_ptr<const User>> waiting;
  waiting.reserve(request.users.size());
  for (const UserId& entity : request.users) {
    std::shared_ptr<const User> user = s.lobby.Find(entity);
    if (user == nullptr) {
      if (s.users.Contains(entity)) {
        return absl::FailedPreconditionError(
            absl::StrCat("lobby decision: user ", Quote(entity.value()),
                         " is already admitted"));
      }
      return absl::NotFoundError(absl::StrCat(
          "lobby decision: user ", Quote(entity.value()),
          " is not in the lobby of conference ", Quote(s.entity.value())));
    }
    for (const std::shared_ptr<const User>& seen : waiting) {
      if (seen->entity == entity) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lobby decision: user ", Quote(entity.value()), " named twice"));
      }
    }
    waiting.push_back(std::move(user));
  }
  const bool grant = request.decision == LobbyDecision::kGrant;
  if (grant && s.description->maximum_user_count.has_value() &&
      s.users.size() + waiting.size() > *s.description->maximum_user_count) {
    return absl::ResourceExhaustedError(
        absl::StrCat("lobby decision: conference ", Quote(s.entity.value()),
                     " has reached its maximum-user-count of ",
                     *s.description->maximum_user_count));
  }
  UserMap lobby = s.lobby;
  UserMap users = s.users;
  for (const std::shared_ptr<const User>& user : waiting) {
    lobby = lobby.Erase(user->entity);
    change.delta.users.push_back(
        {UserList::kLobby, ChangeKind::kDeleted, user->entity, nullptr, {}});
  }
  if (grant) {
    for (const std::shared_ptr<const User>& waited : waiting) {
      // Admitted: its focus session joins the conference.
      std::shared_ptr<const User> user = waited;
      if (HasFocusStatus(*user, EndpointStatus::kOnHold)) {
        auto admitted = std::make_shared<User>(*user);
        SetFocusStatus(*admitted, EndpointStatus::kConnected);
        user = std::move(admitted);
      }
      users = users.Set(user);
      change.delta.users.push_back(
          {UserList::kRoster, ChangeKind::kFull, user->entity, user, {}});
    }
    change.next.users = std::move(users);
    change.next.state = StateWithCount(*s.state, change.next.users.size());
    change.delta.state = change.next.state;
  }
  change.next.lobby = std::move(lobby);
  return absl::OkStatus();
}

absl::Status BuildRotateKey(const RotateKeyRequest& request,
                            const ConferenceKey& key,
                            const ConferenceSnapshot& s, Change& change) {
  CONF_RETURN_IF_ERROR(RequireLeader(s, request.requester, "key rotation"));
  change.next.key.bytes = key.bytes;
  change.next.key.epoch = s.key.epoch + 1;
  // The key is no part of a notification (only getConference wraps it), so
  // the delta re-sends the description that a full document carries it in:
  // members see the conference change and fetch the new key
  // (docs/ENGINE.md, "Key rotation").
  change.delta.description = s.description;
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
