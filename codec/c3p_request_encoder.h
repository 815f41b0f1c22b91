// C3P requests as a client sends them (MS-CONFPRO 2.2.2, MS-CONFBAS 2.2.3):
// the request side of the protocol, for the command-line tool, the load-test
// tool, benchmarks and tests, which drive the focus the way clients do.
//
//   <request xmlns="urn:ietf:params:xml:ns:cccp" xmlns:ci=... xmlns:msci=...
//            C3PVersion="1" requestId=ID from=FROM to=TO>
//     <command>...</command>
//   </request>
//
// Everything is written through XmlWriter, so every value is escaped. Users
// inside addUser are the self-contained `<user xmlns=...>` fragment that
// conference_info encodes (the same bytes a response carries).
//
// Pure functions; thread-safe.
//
// Example:
//   std::string body = EncodeGetConferenceRequest(
//       {"5", "sip:alice@contoso.com", focus_uri}, focus_uri, cert_base64);

#ifndef CONF_CODEC_C3P_REQUEST_ENCODER_H_
#define CONF_CODEC_C3P_REQUEST_ENCODER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace codec {

// The request envelope (PROTOCOL.md §1.4).
struct RequestEnvelope {
  std::string request_id;
  std::string from;
  std::string to;
};

// What addConference asks for. Empty strings are left out.
struct AddConferenceSpec {
  std::string subject;
  std::string conference_id;  // msci:conference-id
  std::string expiry_time;    // msci:expiry-time (xs:dateTime)
  std::string admission_policy;
  // msci:automatic-leader-assignment: disabled, sameEnterprise, everyone
  std::string presenter_policy;
  std::vector<std::string> mcu_types;  // one msci:entity-view each
};

std::string EncodeAddConferenceRequest(const RequestEnvelope& envelope,
                                       const AddConferenceSpec& spec);

// getConference for `conference`; a non-empty `certificate_base64` adds
// msci:encryption-key/msci:x509-certificate (PROTOCOL.md §6).
std::string EncodeGetConferenceRequest(const RequestEnvelope& envelope,
                                       absl::string_view conference,
                                       absl::string_view certificate_base64);

// deleteConference.
std::string EncodeDeleteConferenceRequest(const RequestEnvelope& envelope,
                                          absl::string_view conference);

// addUser with `user` (its role, endpoints and media); a non-empty `mcu_uri`
// makes it a dial-out (mscp:mcuUri).
std::string EncodeAddUserRequest(const RequestEnvelope& envelope,
                                 absl::string_view conference,
                                 const engine::User& user,
                                 absl::string_view mcu_uri = "");

// deleteUser.
std::string EncodeDeleteUserRequest(const RequestEnvelope& envelope,
                                    absl::string_view conference,
                                    absl::string_view user);

// modifyUserRoles with one role entry.
std::string EncodeModifyUserRolesRequest(const RequestEnvelope& envelope,
                                         absl::string_view conference,
                                         absl::string_view user,
                                         engine::Role role);

// modifyConferenceLock.
std::string EncodeModifyConferenceLockRequest(const RequestEnvelope& envelope,
                                              absl::string_view conference,
                                              engine::LockState lock);

// modifyEndpointMedia: sets one stream's status (recvonly = muted).
std::string EncodeModifyEndpointMediaRequest(const RequestEnvelope& envelope,
                                             absl::string_view conference,
                                             absl::string_view user,
                                             absl::string_view endpoint,
                                             absl::string_view media_id,
                                             engine::MediaStatus status);

// modifyEndpoint reporting an endpoint's status.
std::string EncodeModifyEndpointStatusRequest(const RequestEnvelope& envelope,
                                              absl::string_view conference,
                                              absl::string_view user,
                                              absl::string_view endpoint,
                                              engine::EndpointStatus status);

// setLobbyAccess for `users` (grant or deny).
std::string EncodeSetLobbyAccessRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        const std::vector<std::string>& users,
                                        engine::LobbyDecision decision);

// modifyEndpoint reporting `endpoint` of `user` whole (an endpoint added or
// replaced): entity, msci:session-type, msci:endpoint-uri, status and
// joining-method when set.
std::string EncodeModifyEndpointRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        absl::string_view user,
                                        const engine::Endpoint& endpoint);

// modifyEndpoint removing `endpoint` of `user` (state="deleted").
std::string EncodeDeleteEndpointRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        absl::string_view user,
                                        absl::string_view endpoint);

// modifyConference (focus factory form) changing the description of
// `conference` to what `spec` sets (its subject, expiry time, admission
// policy); `spec.mcu_types` is not sent.
std::string EncodeModifyConferenceRequest(const RequestEnvelope& envelope,
                                          absl::string_view conference,
                                          const AddConferenceSpec& spec);

// endorseUser: a leader's decision on `user`, waiting in the lobby
// (result="success" grants; a denial is sent as result="unauthorized").
std::string EncodeEndorseUserRequest(const RequestEnvelope& envelope,
                                     absl::string_view conference,
                                     absl::string_view user,
                                     engine::LobbyDecision decision);

// getConferences, asking for the static (meet-now) conference only when
// `static_only`.
enum class ConferencesToList { kAll, kStaticOnly };
std::string EncodeGetConferencesRequest(const RequestEnvelope& envelope,
                                        ConferencesToList which);

// A command with no content: getConferences, getAvailableMcuTypes,
// getConferencingCapabilities, ping. `command` must be one of those names.
std::string EncodeEmptyCommandRequest(const RequestEnvelope& envelope,
                                      absl::string_view command);

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_C3P_REQUEST_ENCODER_H_
