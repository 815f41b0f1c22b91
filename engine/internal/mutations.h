// The per-command mutations: what each C3P command the store applies changes
// in one conference, apart from how the store installs the change.
//
// A command runs in two steps. Validate* checks the request's own values
// once, before the store is read. Build* checks the request against the
// conference's current snapshot `s` (roles, presence, state, limits) and
// writes the change: the store calls it with no lock held, and again if
// another mutation installed a new snapshot meanwhile, so it reads nothing
// but its arguments and keeps no state. Failures are as the Apply* methods
// of engine/conference_store.h document them; a failed Build* leaves the
// store untouched.

#ifndef CONF_ENGINE_INTERNAL_MUTATIONS_H_
#define CONF_ENGINE_INTERNAL_MUTATIONS_H_

#include <memory>

#include "absl/status/status.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// One mutation in the making. `next` starts as a copy of the base snapshot
// and `delta` empty; a Build* function edits both, and the store sets their
// versions and the delta's conference before it installs them.
struct Change {
  ConferenceSnapshot next;
  ConferenceDelta delta;
};

// The values of a modifyConference, and that it names each view once and
// modifies something (kInvalidArgument).
absl::Status ValidateModifyConference(const ModifyConferenceRequest& request,
                                      const StoreLimits& limits);

// modifyConference: replaces the description (keeping the conference-id and
// conf-uris the store assigned) and/or the entity-state and capabilities of
// the named views (keeping their lock flag). Leaders only.
absl::Status BuildModifyConference(const ModifyConferenceRequest& request,
                                   const ConferenceSnapshot& s, Change& change);

// deleteConference: the organizer (or the focus) only.
absl::Status BuildDeleteConference(const DeleteConferenceRequest& request,
                                   const ConferenceSnapshot& s, Change& change);

// The values of an addUser's user.
absl::Status ValidateAddUser(const AddUserRequest& request,
                             const StoreLimits& limits);

// addUser: grants the role (the presenter policy caps what a join asks
// for), chooses the roster or the lobby from the conference's lock and
// admission policy (a focus session waits on-hold in the lobby), and
// enforces the user limits.
absl::Status BuildAddUser(const AddUserRequest& request,
                          const StoreOptions& options,
                          const ConferenceSnapshot& s, Change& change);

// A leader admits (kGrant) or turns away (kDeny) a lobby user; an admitted
// user's focus session becomes connected.
absl::Status BuildLobbyDecision(const LobbyDecisionRequest& request,
                                const ConferenceSnapshot& s, Change& change);

// The same decision for several lobby users, all or nothing.
absl::Status BuildLobbyDecisions(const LobbyDecisionsRequest& request,
                                 const ConferenceSnapshot& s, Change& change);

// Installs `key` (its epoch is ignored) as the next epoch of the conference
// key. Leaders only.
absl::Status BuildRotateKey(const RotateKeyRequest& request,
                            const ConferenceKey& key,
                            const ConferenceSnapshot& s, Change& change);

// deleteUser: removes a roster or lobby user: by itself, or by a leader
// (only the organizer may remove the organizer).
absl::Status BuildDeleteUser(const DeleteUserRequest& request,
                             const ConferenceSnapshot& s, Change& change);

// That a modifyUserRoles grants no organizer role (kInvalidArgument).
absl::Status ValidateModifyUserRoles(const ModifyUserRolesRequest& request);

// modifyUserRoles: a leader makes a roster user a presenter or an attendee;
// the organizer's role never changes.
absl::Status BuildModifyUserRoles(const ModifyUserRolesRequest& request,
                                  const ConferenceSnapshot& s, Change& change);

// modifyConferenceLock: sets conference-state/locked and mirrors it in every
// view that reports a lock flag. Leaders only.
absl::Status BuildModifyConferenceLock(
    const ModifyConferenceLockRequest& request, const ConferenceSnapshot& s,
    Change& change);

// The values of a modifyEndpointMedia's media.
absl::Status ValidateModifyEndpointMedia(
    const ModifyEndpointMediaRequest& request, const StoreLimits& limits);

// modifyEndpointMedia: replaces media `media->id` of a roster user's
// endpoint with `media` (request.media is not read: it was moved into
// `media`). Leaders, or the user itself.
absl::Status BuildModifyEndpointMedia(const ModifyEndpointMediaRequest& request,
                                      const std::shared_ptr<const Media>& media,
                                      const ConferenceSnapshot& s,
                                      Change& change);

// The values of a reported endpoint.
absl::Status ValidateSetEndpoint(const SetEndpointRequest& request,
                                 const StoreLimits& limits);

// Adds or replaces `endpoint` of a roster or lobby user (request.endpoint is
// not read: it was moved into `endpoint`), within max_endpoints_per_user.
absl::Status BuildSetEndpoint(const SetEndpointRequest& request,
                              const std::shared_ptr<const Endpoint>& endpoint,
                              const StoreLimits& limits,
                              const ConferenceSnapshot& s, Change& change);

// That disconnection method and info come only with a disconnecting status
// (kInvalidArgument), and the info's values.
absl::Status ValidateModifyEndpointStatus(
    const ModifyEndpointStatusRequest& request, const StoreLimits& limits);

// Sets an endpoint's status, and its disconnection method and info when
// given.
absl::Status BuildModifyEndpointStatus(
    const ModifyEndpointStatusRequest& request, const ConferenceSnapshot& s,
    Change& change);

// Removes one endpoint of a roster or lobby user.
absl::Status BuildDeleteEndpoint(const DeleteEndpointRequest& request,
                                 const ConferenceSnapshot& s, Change& change);

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_MUTATIONS_H_
