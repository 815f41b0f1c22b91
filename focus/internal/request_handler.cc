#include "focus/internal/request_handler.h"

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "codec/wire_names.h"
#include "focus/internal/get_conference.h"
#include "focus/internal/joining.h"
#include "focus/internal/lifecycle.h"
#include "focus/internal/member_certificates.h"
#include "focus/internal/membership.h"
#include "focus/internal/request_mapping.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

using codec::C3pReason;
using SnapshotPtr = std::shared_ptr<const engine::ConferenceSnapshot>;

// What a failed store call addressed, to name the missing object.
struct Target {
  Target() = default;
  explicit Target(engine::ConferenceId c,
                  std::optional<engine::UserId> u = std::nullopt,
                  std::optional<engine::EndpointId> e = std::nullopt,
                  std::optional<engine::MediaId> m = std::nullopt)
      : conference(std::move(c)),
        user(std::move(u)),
        endpoint(std::move(e)),
        media(std::move(m)) {}

  engine::ConferenceId conference;
  std::optional<engine::UserId> user;
  std::optional<engine::EndpointId> endpoint;
  std::optional<engine::MediaId> media;
};

// What a store call creates, to tell "exists already" and "too many" apart.
enum class Creates { kNothing, kConference, kUser };

// The conference a command addresses: its keys and where it may be sent.
struct Address {
  codec::C3pConferenceKeys keys;
  Addressing addressing;
};

codec::C3pConferenceKeys KeysOf(absl::string_view conf_entity) {
  codec::C3pConferenceKeys keys;
  keys.conf_entity = conf_entity;
  return keys;
}

// The commands that act on one conference, and how they address it. The
// others (the focus factory's, ping, getConference's own read path) have no
// AddressOf.
Address AddressOf(const codec::C3pModifyConference& command) {
  return {command.keys.has_value() ? *command.keys
                                   : KeysOf(command.conference_info.entity),
          Addressing::kFocusOrFactory};
}
Address AddressOf(const codec::C3pDeleteConference& command) {
  return {command.keys, Addressing::kFocusOrFactory};
}
Address AddressOf(const codec::C3pAddUser& command) {
  return {command.keys, Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pEndorseUser& command) {
  return {KeysOf(command.keys.conf_entity), Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pSetLobbyAccess& command) {
  return {command.keys, Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pDeleteUser& command) {
  return {KeysOf(command.keys.conf_entity), Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pModifyUserRoles& command) {
  return {KeysOf(command.keys.conf_entity), Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pModifyConferenceLock& command) {
  return {command.keys, Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pModifyEndpointMedia& command) {
  return {KeysOf(command.keys.conf_entity), Addressing::kFocusOnly};
}
Address AddressOf(const codec::C3pModifyEndpoint& command) {
  return {KeysOf(command.keys.conf_entity), Addressing::kFocusOnly};
}

template <typename Command, typename = void>
struct ActsOnConference : std::false_type {};
template <typename Command>
struct ActsOnConference<
    Command, std::void_t<decltype(AddressOf(std::declval<const Command&>()))>>
    : std::true_type {};

engine::LobbyDecision DecisionOf(codec::C3pLobbyAccess access) {
  return access == codec::C3pLobbyAccess::kGranted
             ? engine::LobbyDecision::kGrant
             : engine::LobbyDecision::kDeny;
}

class RequestHandler {
 public:
  RequestHandler(const FocusParts& focus, const RequestScope& scope,
                 std::string buffer)
      : focus_(focus),
        store_(focus.store),
        scope_(scope),
        requester_(scope.requester),
        buffer_(std::move(buffer)) {}

  C3pResult Run() {
    // MS-OCER 3000: the C3P sender must be the authenticated SIP identity.
    if (!SameUri(scope_.request.from, requester_.value())) {
      return Finish(C3pReason::kUnauthorized);
    }
    return Finish(
        std::visit([this](const auto& command) { return Dispatch(command); },
                   scope_.request.command));
  }

 private:
  // Resolve, then apply and reply: a command that acts on a conference
  // gets it resolved and its `to` checked first.
  template <typename Command>
  Reply Dispatch(const Command& command) {
    if constexpr (ActsOnConference<Command>::value) {
      const Address address = AddressOf(command);
      SnapshotPtr snapshot = Resolve(address.keys);
      if (snapshot == nullptr)
        return C3pReason::kConferenceDoesntExist;
      if (IsExpired(focus_, *snapshot)) {
        RemoveExpired(focus_, snapshot->entity);
        return C3pReason::kConferenceDoesntExist;
      }
      if (!IsAddressedTo(scope_, *snapshot, address.addressing)) {
        return C3pReason::kRequestMalformed;
      }
      return Handle(command, *snapshot);
    } else {
      return Handle(command);
    }
  }

  C3pResult Finish(Reply reply) {
    if (auto* reason = std::get_if<C3pReason>(&reply)) {
      return C3pResult{codec::EncodeFailureResponse(scope_.address, *reason),
                       *reason};
    }
    std::string& body = std::get<std::string>(reply);
    // A short success goes into the caller's buffer when it fits, so the
    // buffer's capacity survives for the next large one (failures, rare,
    // get their own string).
    if (buffer_.capacity() >= body.size() && buffer_.capacity() > 0) {
      buffer_.assign(body);
      return C3pResult{std::move(buffer_), std::nullopt};
    }
    return C3pResult{std::move(body), std::nullopt};
  }

  // The conference `keys` (or, failing them, the request's `to`) names.
  SnapshotPtr Resolve(const codec::C3pConferenceKeys& keys) const {
    if (!Trim(keys.conf_entity).empty()) {
      return store_.FindSnapshot(engine::ConferenceId(Trim(keys.conf_entity)));
    }
    if (!Trim(keys.conference_id).empty()) {
      return store_.FindSnapshotByConferenceId(Trim(keys.conference_id));
    }
    return store_.FindSnapshot(engine::ConferenceId(Trim(scope_.request.to)));
  }

  bool AddressedToFactory() const {
    return SameUri(scope_.request.to, FocusFactoryUri(requester_.value()));
  }

  // A store call's outcome: its result, or the reason to answer with.
  Mapped<engine::MutationResult> Applied(
      absl::StatusOr<engine::MutationResult> result, const Target& target,
      Creates creates = Creates::kNothing) const {
    if (!result.ok())
      return ReasonFor(result.status(), target, creates);
    return *std::move(result);
  }

  // A store call answered with the plain success response.
  Reply Committed(absl::StatusOr<engine::MutationResult> result,
                  const Target& target) const {
    if (!result.ok())
      return ReasonFor(result.status(), target, Creates::kNothing);
    return codec::EncodeSuccessResponse(scope_.address);
  }

  // The C3P reason for a failed store call. kNotFound names the first
  // missing object along `target`, read from the current state.
  C3pReason ReasonFor(const absl::Status& status, const Target& target,
                      Creates creates) const {
    switch (status.code()) {
      case absl::StatusCode::kNotFound:
        return MissingAlong(target);
      case absl::StatusCode::kAlreadyExists:
        if (creates == Creates::kConference) {
          return C3pReason::kConferenceExistsAlready;
        }
        if (creates == Creates::kUser)
          return C3pReason::kUserExistsAlready;
        return C3pReason::kOtherFailure;
      case absl::StatusCode::kPermissionDenied:
        return C3pReason::kUnauthorized;
      case absl::StatusCode::kResourceExhausted:
        if (creates == Creates::kConference) {
          return C3pReason::kMaximumConferencesExceeded;
        }
        if (creates == Creates::kUser) {
          return C3pReason::kMaximumMeetingSizeExceeded;
        }
        return C3pReason::kRequestTooLarge;
      case absl::StatusCode::kInvalidArgument:
        return C3pReason::kRequestMalformed;
      default:
        return C3pReason::kOtherFailure;
    }
  }

  C3pReason MissingAlong(const Target& target) const {
    auto snapshot = store_.FindSnapshot(target.conference);
    if (snapshot == nullptr)
      return C3pReason::kConferenceDoesntExist;
    if (!target.user)
      return C3pReason::kOtherFailure;
    auto user = snapshot->users.Find(*target.user);
    if (user == nullptr)
      user = snapshot->lobby.Find(*target.user);
    if (user == nullptr)
      return C3pReason::kUserDoesntExist;
    if (!target.endpoint)
      return C3pReason::kOtherFailure;
    const engine::Endpoint* endpoint = user->FindEndpoint(*target.endpoint);
    if (endpoint == nullptr)
      return C3pReason::kEndpointDoesntExist;
    if (target.media && endpoint->FindMedia(*target.media) == nullptr) {
      return C3pReason::kMediaDoesntExist;
    }
    return C3pReason::kOtherFailure;
  }

  // --- The focus factory's commands.

  Reply Handle(const codec::C3pAddConference& command) {
    if (!AddressedToFactory())
      return C3pReason::kRequestMalformed;
    const codec::C3pConferenceInfoView& info = command.conference_info;
    engine::AddConferenceRequest add;
    add.organizer = requester_;
    if (info.description.has_value()) {
      Mapped<engine::ConferenceDescription> description =
          OverlayDescription({}, *info.description);
      if (auto* reason = std::get_if<C3pReason>(&description))
        return *reason;
      add.description =
          std::get<engine::ConferenceDescription>(std::move(description));
    }
    for (const codec::C3pEntityViewView& view : info.entity_views) {
      const absl::string_view type = Trim(view.entity);
      if (type == "focus")
        continue;  // The focus's own view always exists.
      bool available = false;
      for (const std::string& t : focus_.options.mcu_types) {
        available |= t == type;
      }
      if (!available)
        return C3pReason::kMcuTypeNotAvailable;
      add.mcu_types.emplace_back(type);
    }
    Mapped<engine::MutationResult> result =
        Applied(store_.ApplyAddConference(std::move(add)), Target{},
                Creates::kConference);
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    return codec::EncodeAddConferenceResponse(
        scope_.address,
        std::get<engine::MutationResult>(result).snapshot->entity);
  }

  Reply Handle(const codec::C3pGetConferences& command) {
    if (!AddressedToFactory())
      return C3pReason::kRequestMalformed;
    std::vector<engine::ConferenceId> conferences;
    // confstate has no static (meet-now) conferences: static="true" asks
    // for one and finds none (docs/FOCUS.md).
    if (!command.static_only) {
      conferences = store_.ListConferencesOrganizedBy(requester_);
    }
    return codec::EncodeGetConferencesResponse(scope_.address, conferences);
  }

  Reply Handle(const codec::C3pGetAvailableMcuTypes&) {
    return codec::EncodeGetAvailableMcuTypesResponse(scope_.address,
                                                     focus_.options.mcu_types);
  }

  Reply Handle(const codec::C3pGetConferencingCapabilities&) {
    codec::ConferencingCapabilities capabilities;
    capabilities.mcu_types = focus_.options.mcu_types;
    capabilities.regions = focus_.options.pstn_regions;
    capabilities.default_region = focus_.options.default_pstn_region;
    return codec::EncodeGetConferencingCapabilitiesResponse(scope_.address,
                                                            capabilities);
  }

  Reply Handle(const codec::C3pGetConference& command) {
    return AnswerGetConference(focus_, scope_, command, &buffer_);
  }

  Reply Handle(const codec::C3pPing&) {
    return codec::EncodeSuccessResponse(scope_.address);
  }

  Reply Handle(const codec::C3pUnknownCommand&) {
    return C3pReason::kNotSupported;
  }

  // --- Commands on one conference, resolved by Dispatch.

  Reply Handle(const codec::C3pModifyConference& command,
               const engine::ConferenceSnapshot& snapshot) {
    const codec::C3pConferenceInfoView& info = command.conference_info;
    engine::ModifyConferenceRequest modify;
    modify.conference = snapshot.entity;
    modify.requester = requester_;
    if (info.description.has_value()) {
      Mapped<engine::ConferenceDescription> description =
          OverlayDescription(*snapshot.description, *info.description);
      if (auto* reason = std::get_if<C3pReason>(&description))
        return *reason;
      modify.description =
          std::get<engine::ConferenceDescription>(std::move(description));
    }
    for (const codec::C3pEntityViewView& view : info.entity_views) {
      const engine::EntityView* current = snapshot.FindView(Trim(view.entity));
      // MS-CONFBAS: a command for an MCU the conference does not have.
      if (current == nullptr)
        return C3pReason::kMcuTypeNotAvailable;
      engine::EntityView changed = *current;
      if (view.has_entity_state) {
        changed.state.extensions = MapExtensions(view.entity_state_extensions);
      }
      if (!view.extensions.empty()) {
        changed.extensions = MapExtensions(view.extensions);
      }
      modify.views.push_back(std::move(changed));
    }
    if (!modify.description.has_value() && modify.views.empty()) {
      return C3pReason::kRequestMalformed;
    }
    return Committed(store_.ApplyModifyConference(std::move(modify)),
                     Target{snapshot.entity});
  }

  Reply Handle(const codec::C3pDeleteConference&,
               const engine::ConferenceSnapshot& snapshot) {
    Mapped<engine::MutationResult> result =
        Applied(store_.ApplyDeleteConference({snapshot.entity, requester_}),
                Target{snapshot.entity});
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    // The keys of this conference's secrets can never be asked for again.
    focus_.recipients.ForgetConference(snapshot.entity.value());
    focus_.members.Forget(snapshot.entity);
    return codec::EncodeDeleteConferenceResponse(scope_.address,
                                                 snapshot.entity);
  }

  Reply Handle(const codec::C3pAddUser& command,
               const engine::ConferenceSnapshot& snapshot) {
    Mapped<engine::User> user = MapUser(command.user);
    if (auto* reason = std::get_if<C3pReason>(&user))
      return *reason;
    engine::AddUserRequest add;
    add.conference = snapshot.entity;
    add.requester = requester_;
    add.authentication =
        scope_.context.assurance == IdentityAssurance::kAnonymous
            ? engine::Authentication::kAnonymous
            : engine::Authentication::kAuthenticated;
    // Joining is for oneself (MS-CONFBAS 2.2.3.4); adding anyone else is a
    // dial-out by an MCU (2.2.3.15), which the store allows leaders only.
    add.kind = std::get<engine::User>(user).entity == requester_
                   ? engine::JoinKind::kJoin
                   : engine::JoinKind::kDialOut;
    if (add.kind == engine::JoinKind::kJoin) {
      add.user =
          ShapeJoin(std::get<engine::User>(std::move(user)), scope_.context);
    } else {
      // The MCU that dials is named by mscp:mcuUri and must be one of the
      // conference's.
      const engine::EntityView* mcu = snapshot.FindView(Trim(command.mcu_uri));
      if (Trim(command.mcu_uri).empty())
        return C3pReason::kRequestMalformed;
      if (mcu == nullptr)
        return C3pReason::kMcuTypeNotAvailable;
      Mapped<engine::User> dialed = ShapeDialOut(
          std::get<engine::User>(std::move(user)), mcu->mcu_type.view());
      if (auto* reason = std::get_if<C3pReason>(&dialed))
        return *reason;
      add.user = std::get<engine::User>(std::move(dialed));
    }
    const engine::UserId entity = add.user.entity;
    Mapped<engine::MutationResult> result =
        Applied(store_.ApplyAddUser(std::move(add)), Target{snapshot.entity},
                Creates::kUser);
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    // The user as the store admitted it (to the roster or the lobby, with
    // the role it granted) is the one its delta reports: the store located
    // it, so the roster is not searched again.
    for (const engine::UserChange& change :
         std::get<engine::MutationResult>(result).delta->users) {
      if (change.entity == entity && change.user != nullptr) {
        return codec::EncodeAddUserResponse(scope_.address, snapshot.entity,
                                            *change.user);
      }
    }
    return C3pReason::kOtherFailure;
  }

  Reply Handle(const codec::C3pEndorseUser& command,
               const engine::ConferenceSnapshot& snapshot) {
    engine::LobbyDecisionRequest decision;
    decision.conference = snapshot.entity;
    decision.requester = requester_;
    decision.user = engine::UserId(Trim(command.keys.user_entity));
    decision.decision = DecisionOf(command.access);
    Mapped<engine::MutationResult> result =
        Applied(store_.ApplyLobbyDecision(decision),
                Target{snapshot.entity, decision.user});
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    return codec::EncodeEndorseUserResponse(scope_.address, snapshot.entity);
  }

  Reply Handle(const codec::C3pSetLobbyAccess& command,
               const engine::ConferenceSnapshot& snapshot) {
    if (command.user_entities.empty())
      return C3pReason::kRequestMalformed;
    if (!IsLeader(snapshot, requester_))
      return C3pReason::kUnauthorized;
    // Check every user first, so that a request naming one user who is not
    // waiting changes nothing.
    for (absl::string_view entity : command.user_entities) {
      if (!snapshot.lobby.Contains(engine::UserId(Trim(entity)))) {
        return C3pReason::kUserDoesntExist;
      }
    }
    // One change for every user: all are admitted (or turned away) in one
    // version, or none is.
    engine::LobbyDecisionsRequest decisions;
    decisions.conference = snapshot.entity;
    decisions.requester = requester_;
    decisions.decision = DecisionOf(command.access);
    for (absl::string_view entity : command.user_entities) {
      decisions.users.emplace_back(Trim(entity));
    }
    Mapped<engine::MutationResult> result =
        Applied(store_.ApplyLobbyDecisions(decisions), Target(snapshot.entity));
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    return codec::EncodeSuccessResponse(scope_.address);
  }

  Reply Handle(const codec::C3pDeleteUser& command,
               const engine::ConferenceSnapshot& snapshot) {
    engine::DeleteUserRequest remove{
        snapshot.entity, requester_,
        engine::UserId(Trim(command.keys.user_entity))};
    Mapped<engine::MutationResult> result = Applied(
        store_.ApplyDeleteUser(remove), Target(snapshot.entity, remove.user));
    if (auto* reason = std::get_if<C3pReason>(&result))
      return *reason;
    // An ejection: the user who was removed must not read what follows.
    if (remove.user != requester_ && focus_.options.rotate_key_on_ejection) {
      // Failures (the conference deleted meanwhile) leave nothing to protect.
      RotateKey(focus_, {snapshot.entity, engine::UserId()}).IgnoreError();
    }
    return codec::EncodeSuccessResponse(scope_.address);
  }

  Reply Handle(const codec::C3pModifyUserRoles& command,
               const engine::ConferenceSnapshot& snapshot) {
    if (command.roles.empty())
      return C3pReason::kInvalidRole;
    Mapped<engine::Role> role = MapRoles(command.roles);
    if (auto* reason = std::get_if<C3pReason>(&role))
      return *reason;
    engine::ModifyUserRolesRequest modify;
    modify.conference = snapshot.entity;
    modify.requester = requester_;
    modify.user = engine::UserId(Trim(command.keys.user_entity));
    modify.role = std::get<engine::Role>(role);
    return Committed(store_.ApplyModifyUserRoles(modify),
                     Target{snapshot.entity, modify.user});
  }

  Reply Handle(const codec::C3pModifyConferenceLock& command,
               const engine::ConferenceSnapshot& snapshot) {
    engine::ModifyConferenceLockRequest lock;
    lock.conference = snapshot.entity;
    lock.requester = requester_;
    lock.lock = command.locked ? engine::LockState::kLocked
                               : engine::LockState::kUnlocked;
    return Committed(store_.ApplyModifyConferenceLock(lock),
                     Target{snapshot.entity});
  }

  Reply Handle(const codec::C3pModifyEndpointMedia& command,
               const engine::ConferenceSnapshot& snapshot) {
    const Target target(snapshot.entity,
                        engine::UserId(Trim(command.keys.user_entity)),
                        engine::EndpointId(Trim(command.keys.endpoint_entity)),
                        engine::MediaId(Trim(command.keys.media_id)));
    if (!command.media.id.empty() &&
        Trim(command.media.id) != target.media->value()) {
      return C3pReason::kRequestMalformed;
    }
    // The request carries only what changes (status, ingress filter...);
    // the rest of the stream stays as it is, read from `snapshot`, which
    // keeps the user alive: no reference of its own is taken.
    const std::shared_ptr<const engine::User>* user =
        snapshot.users.FindPtr(*target.user);
    if (user == nullptr)
      return C3pReason::kUserDoesntExist;
    const engine::Endpoint* endpoint = (*user)->FindEndpoint(*target.endpoint);
    if (endpoint == nullptr)
      return C3pReason::kEndpointDoesntExist;
    const engine::Media* current = endpoint->FindMedia(*target.media);
    if (current == nullptr)
      return C3pReason::kMediaDoesntExist;
    Mapped<engine::Media> media = OverlayMedia(*current, command.media);
    if (auto* reason = std::get_if<C3pReason>(&media))
      return *reason;
    engine::ModifyEndpointMediaRequest modify;
    modify.conference = snapshot.entity;
    modify.requester = requester_;
    modify.user = *target.user;
    modify.endpoint = *target.endpoint;
    modify.media = std::get<engine::Media>(std::move(media));
    return Committed(store_.ApplyModifyEndpointMedia(std::move(modify)),
                     target);
  }

  Reply Handle(const codec::C3pModifyEndpoint& command,
               const engine::ConferenceSnapshot& snapshot) {
    const engine::UserId user(Trim(command.keys.user_entity));
    // An endpoint's state is the user's own business, or a leader's.
    if (user != requester_ && !IsLeader(snapshot, requester_)) {
      return C3pReason::kUnauthorized;
    }
    auto current = snapshot.users.Find(user);
    if (current == nullptr)
      return C3pReason::kUserDoesntExist;
    Mapped<engine::Endpoint> mapped = MapEndpoint(command.endpoint);
    if (auto* reason = std::get_if<C3pReason>(&mapped))
      return *reason;
    engine::Endpoint endpoint = std::get<engine::Endpoint>(std::move(mapped));
    const Target target{snapshot.entity, user, endpoint.entity};
    if (Trim(command.endpoint.state) == "deleted") {
      return Committed(
          store_.ApplyDeleteEndpoint({snapshot.entity, user, endpoint.entity}),
          target);
    }
    // A status report: only the status (and how it disconnected) changes.
    // An endpoint that also says how it was referred, how it joined or which
    // dialog carries it is set as sent, so that nothing it says is lost.
    if (current->FindEndpoint(endpoint.entity) != nullptr &&
        endpoint.status.has_value() && endpoint.media.empty() &&
        !endpoint.referred.has_value() && !endpoint.joining_info.has_value() &&
        !endpoint.call_info.has_value()) {
      engine::ModifyEndpointStatusRequest status;
      status.conference = snapshot.entity;
      status.user = user;
      status.endpoint = endpoint.entity;
      status.status = *endpoint.status;
      status.disconnection_method = endpoint.disconnection_method;
      if (endpoint.disconnection_info.has_value())
        status.disconnection_info = *endpoint.disconnection_info;
      return Committed(store_.ApplyModifyEndpointStatus(std::move(status)),
                       target);
    }
    return Committed(
        store_.ApplySetEndpoint({snapshot.entity, user, std::move(endpoint)}),
        target);
  }

  const FocusParts& focus_;
  engine::ConferenceStore& store_;
  const RequestScope& scope_;
  const engine::UserId& requester_;
  std::string buffer_;
};

}  // namespace

bool IsAddressedTo(const RequestScope& scope,
                   const engine::ConferenceSnapshot& snapshot,
                   Addressing addressing) {
  if (SameUri(scope.request.to, snapshot.entity.value()))
    return true;
  return addressing == Addressing::kFocusOrFactory &&
         SameUri(scope.request.to, FocusFactoryUri(scope.requester.value()));
}

C3pResult AnswerRequest(const FocusParts& focus, const RequestContext& context,
                        const codec::C3pRequest& request, std::string buffer) {
  const RequestScope scope{request, context, codec::ResponseAddressFor(request),
                           engine::UserId(Trim(context.identity))};
  return RequestHandler(focus, scope, std::move(buffer)).Run();
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
