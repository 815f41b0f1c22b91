// C3P responses (MS-CONFPRO 2.2.3, draft-levin-xcon-cccp-04 §4.1): the
// `response` envelope and the per-command bodies of PROTOCOL.md §2.2.
//
//   <response xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1"
//             requestId=ECHOED from=REQUEST.to to=REQUEST.from code="success">
//     <getConference>
//       <conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
//                        xmlns:ci=... xmlns:msci=... ...>...</conference-info>
//     </getConference>
//   </response>
//
// Namespaces: `response` and the command child are in the cccp default
// namespace; conference-info content (conference-info, user) redeclares the
// default namespace and every extension prefix on its own root, so the
// embedded document is byte for byte the standalone one (docs/CODEC.md).
// Failures carry the canonical reason spelling (c3p_reason.h) as the
// command child's `reason` attribute.
//
// Every function is pure and thread-safe and never fails: values are
// escaped by the XmlWriter; a command name that is not an XML NCName (it can
// only come from a request the parser refused) yields a response without a
// command child and the reason on `response`.
//
// Example:
//   absl::StatusOr<C3pRequest> request = ParseC3pRequest(std::move(body));
//   ...
//   std::string body;
//   EncodeGetConferenceResponse(ResponseAddressFor(*request), *snapshot,
//                               viewer, &secrets, &body);

#ifndef CONF_CODEC_C3P_RESPONSE_H_
#define CONF_CODEC_C3P_RESPONSE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/conference_info.h"
#include "engine/model.h"

namespace conf {
namespace codec {

// Who a response answers: the request's requestId, from and to (swapped on
// output) and the local name of its command. Views: valid as long as what
// they were taken from.
struct ResponseAddress {
  absl::string_view request_id;
  absl::string_view request_from;
  absl::string_view request_to;
  absl::string_view command_name;
};

// The address of `request` / of the envelope of a request that failed to
// parse (C3pEnvelopeFromStatus).
ResponseAddress ResponseAddressFor(const C3pRequest& request);
ResponseAddress ResponseAddressFor(const C3pEnvelope& envelope);

// A failure: `<cmd reason="..."/>` with the canonical spelling of `reason`.
// Also the answer to commands we do not implement (kNotSupported).
std::string EncodeFailureResponse(const ResponseAddress& address,
                                  C3pReason reason);
// The same with the draft's `displayString` on `response`: why, for people
// (CCCP-04 XSD), e.g. "the focus cannot store changes".
std::string EncodeFailureResponse(const ResponseAddress& address,
                                  C3pReason reason,
                                  absl::string_view display_string);

// A success whose command child is empty (`<deleteUser/>`): modifyConference,
// deleteUser, modifyUserRoles, modifyConferenceLock, modifyEndpointMedia,
// modifyEndpoint, setLobbyAccess, ping.
std::string EncodeSuccessResponse(const ResponseAddress& address);

// addConference: the new conference's entity (the client adopts it,
// CCCP-04 §7.2.1). deleteConference: the deleted entity, which equals the
// request's confEntity (MS-CONFBAS 2.2.3.14).
std::string EncodeAddConferenceResponse(const ResponseAddress& address,
                                        const engine::ConferenceId& entity);
std::string EncodeDeleteConferenceResponse(const ResponseAddress& address,
                                           const engine::ConferenceId& entity);

// getConference: the full document (already encoded for the requester, with
// its secrets), embedded without its XML declaration and with the version it
// was encoded for.
std::string EncodeGetConferenceResponse(const ResponseAddress& address,
                                        const EncodedDocument& document);

// getConference in one pass: the envelope and the full document of
// `snapshot` for `viewer` (with `secrets` when given, see
// EncodeConferenceInfo) written once into `*out`, which is replaced. The
// same bytes as EncodeGetConferenceResponse(address,
// EncodeConferenceInfo(snapshot, viewer, secrets)), without the intermediate
// document. `out`'s capacity is reused: a focus thread that keeps its send
// buffer across requests allocates nothing for the response.
//
// Example:
//   std::string send_buffer;  // one per thread, kept across calls
//   EncodeGetConferenceResponse(ResponseAddressFor(*request), *snapshot,
//                               viewer, &secrets, &send_buffer);
void EncodeGetConferenceResponse(const ResponseAddress& address,
                                 const engine::ConferenceSnapshot& snapshot,
                                 const Viewer& viewer,
                                 const DocumentSecrets* secrets,
                                 std::string* out);

// getConferences: one `<conference-info entity=.../>` per conference.
std::string EncodeGetConferencesResponse(
    const ResponseAddress& address,
    const std::vector<engine::ConferenceId>& conferences);

// getAvailableMcuTypes: `<mcu-types><mcuType>audio-video</mcuType>...`
// (MS-CONFPRO 4.7).
std::string EncodeGetAvailableMcuTypesResponse(
    const ResponseAddress& address, const std::vector<std::string>& mcu_types);

// getConferencingCapabilities: mcu-types plus PSTN bridging regions.
struct AccessNumberRegion {
  std::string name;
  std::vector<std::string> numbers;
};
struct ConferencingCapabilities {
  std::vector<std::string> mcu_types;
  std::vector<AccessNumberRegion> regions;
  std::string default_region;  // omitted when empty
};
std::string EncodeGetConferencingCapabilitiesResponse(
    const ResponseAddress& address,
    const ConferencingCapabilities& capabilities);

// addUser: conferenceKeys echoed, then exactly one user with the GRANTED
// role (MS-CONFBAS 2.2.3.4); its endpoints only if it joined.
std::string EncodeAddUserResponse(const ResponseAddress& address,
                                  const engine::ConferenceId& conference,
                                  const engine::User& granted);

// endorseUser: result="success" and conferenceKeys echoed (MS-CONFBAS
// 2.2.3.6).
std::string EncodeEndorseUserResponse(const ResponseAddress& address,
                                      const engine::ConferenceId& conference);

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_C3P_RESPONSE_H_
