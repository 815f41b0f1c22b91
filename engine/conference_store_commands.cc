// The C3P commands of ConferenceStore that are a validation and a build
// handed to Mutate (engine/internal/request_validator.h and mutations.h);
// the store's machinery and addConference are in conference_store.cc.

#include <memory>
#include <utility>

#include "absl/status/statusor.h"

#include "base/status_macros.h"
#include "engine/conference_store.h"
#include "engine/internal/mutations.h"
#include "engine/internal/new_conference_policy.h"
#include "engine/internal/request_validator.h"
#include "engine/model.h"

namespace conf {
namespace engine {

using internal::DefaultRandomBytes;

absl::StatusOr<MutationResult> ConferenceStore::ApplyModifyConference(
    ModifyConferenceRequest request) {
  CONF_RETURN_IF_ERROR(
      internal::ValidateModifyConference(request, options_.limits));
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildModifyConference(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyDeleteConference(
    const DeleteConferenceRequest& request) {
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildDeleteConference(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyAddUser(
    AddUserRequest request) {
  CONF_RETURN_IF_ERROR(internal::ValidateAddUser(request, options_.limits));
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildAddUser(request, options_, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyLobbyDecision(
    const LobbyDecisionRequest& request) {
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildLobbyDecision(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyLobbyDecisions(
    const LobbyDecisionsRequest& request) {
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildLobbyDecisions(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyRotateKey(
    const RotateKeyRequest& request) {
  // Drawn once, outside the mutation, which may run again on a race.
  ConferenceKey key;
  internal::RandomKeyBytes(options_.random_bytes
                               ? options_.random_bytes
                               : RandomBytesFunction(DefaultRandomBytes),
                           key.bytes);
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildRotateKey(request, key, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyDeleteUser(
    const DeleteUserRequest& request) {
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildDeleteUser(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyModifyUserRoles(
    const ModifyUserRolesRequest& request) {
  CONF_RETURN_IF_ERROR(internal::ValidateModifyUserRoles(request));
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildModifyUserRoles(request, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyModifyConferenceLock(
    const ModifyConferenceLockRequest& request) {
  return Mutate(
      request.conference, [&](const ConferenceSnapshot& s, Change& change) {
        return internal::BuildModifyConferenceLock(request, s, change);
      });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyModifyEndpointMedia(
    ModifyEndpointMediaRequest request) {
  CONF_RETURN_IF_ERROR(
      internal::ValidateModifyEndpointMedia(request, options_.limits));
  auto media = std::make_shared<const Media>(std::move(request.media));
  return Mutate(
      request.conference, [&](const ConferenceSnapshot& s, Change& change) {
        return internal::BuildModifyEndpointMedia(request, media, s, change);
      });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplySetEndpoint(
    SetEndpointRequest request) {
  CONF_RETURN_IF_ERROR(internal::ValidateSetEndpoint(request, options_.limits));
  auto endpoint = std::make_shared<const Endpoint>(std::move(request.endpoint));
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildSetEndpoint(request, endpoint,
                                                    options_.limits, s, change);
                });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyModifyEndpointStatus(
    ModifyEndpointStatusRequest request) {
  CONF_RETURN_IF_ERROR(
      internal::ValidateModifyEndpointStatus(request, options_.limits));
  return Mutate(
      request.conference, [&](const ConferenceSnapshot& s, Change& change) {
        return internal::BuildModifyEndpointStatus(request, s, change);
      });
}

absl::StatusOr<MutationResult> ConferenceStore::ApplyDeleteEndpoint(
    const DeleteEndpointRequest& request) {
  return Mutate(request.conference,
                [&](const ConferenceSnapshot& s, Change& change) {
                  return internal::BuildDeleteEndpoint(request, s, change);
                });
}

}  // namespace engine
}  // namespace conf
