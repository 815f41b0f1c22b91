// C3P request parsing (MS-CONFPRO 2.2.2, draft-levin-xcon-cccp-04): a body
// of type application/cccp+xml in, a typed `C3pRequest` out.
//
// Zero-copy: the request owns the body (a std::vector<char>, parsed in place
// by codec's XmlDocument) and every absl::string_view below points into it,
// with entity and character references already resolved. Views live as long
// as the C3pRequest; moving the request keeps them valid. Copy values into
// engine types before storing them. The exceptions are extension fragments
// (`C3pExtension::raw_xml`), which are re-serialized with the namespace
// declarations they need and live in storage the request also owns.
//
// Namespaces are matched by URI and local name, whatever prefixes the sender
// chose. Unknown-element policy (docs/ERRORS.md, "Parsing C3P requests"):
//   - an unknown element in a foreign namespace is kept as a C3pExtension
//     where the data model has an extension slot, and ignored elsewhere;
//   - an unknown element in the cccp namespace, or a cccp/conference-info
//     element where it does not belong, is refused (kInvalidArgument);
//   - RFC 4575 elements are read into the views below, or refused where a
//     request may not carry them: conf-uris, host-info and conference-state
//     belong to the focus (kInvalidArgument), sidebars and a call-info other
//     than sip are not supported (kUnimplemented); docs/CODEC.md, "RFC 4575
//     elements in requests", gives the reasons;
//   - an unknown command (a cccp-namespace child of <request> we do not
//     implement) parses to C3pCommand::kUnknown, so the focus can answer
//     `failure` / `notSupported` (PROTOCOL.md §2.2).
//
// Thread-safety: a C3pRequest is immutable after parsing; share it freely.
//
// Example:
//   absl::StatusOr<C3pRequest> request = ParseC3pRequest(std::move(body));
//   if (!request.ok()) {
//     if (std::optional<C3pEnvelope> env =
//             C3pEnvelopeFromStatus(request.status())) { /* C3P failure */ }
//     else { /* SIP 400 */ }
//   }
//   if (const auto* get = std::get_if<C3pGetConference>(&request->command)) {
//     Lookup(get->keys.conf_entity);
//   }

#ifndef CONF_CODEC_C3P_REQUEST_H_
#define CONF_CODEC_C3P_REQUEST_H_

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_reason.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {

// Namespace URIs (PROTOCOL.md §1.3).
inline constexpr absl::string_view kCccpNamespace =
    "urn:ietf:params:xml:ns:cccp";
inline constexpr absl::string_view kConferenceInfoNamespace =
    "urn:ietf:params:xml:ns:conference-info";
inline constexpr absl::string_view kSeparatorNamespace =
    "urn:ietf:params:xml:ns:conference-info-separator";
inline constexpr absl::string_view kMsciNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions";
inline constexpr absl::string_view kMsci2008Namespace =
    "http://schemas.microsoft.com/rtc/2008/12/confinfoextensions";
inline constexpr absl::string_view kMscpNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/cccpextensions";

// Every command we parse, plus kUnknown.
enum class C3pCommand {
  kAddConference,
  kModifyConference,
  kDeleteConference,
  kGetConference,
  kGetConferences,
  kGetAvailableMcuTypes,
  kGetConferencingCapabilities,
  kAddUser,
  kEndorseUser,
  kSetLobbyAccess,
  kDeleteUser,
  kModifyUserRoles,
  kModifyConferenceLock,
  kModifyEndpointMedia,
  kModifyEndpoint,
  kPing,
  kUnknown,
};

// The element name of `command` ("getConference"); "" for kUnknown. The
// writer names the response child with it (MS-CONFPRO 2.2.3).
absl::string_view C3pCommandName(C3pCommand command);

// --- Views of conference-info content (RFC 4575 §5, MS extensions). ---

// An element we do not model, kept in document order (PROTOCOL.md §5.1).
struct C3pExtension {
  absl::string_view namespace_uri;
  absl::string_view local_name;
  // A self-contained serialized fragment (it declares every prefix it
  // uses), produced by XmlDocument::SerializeFragment from validated XML.
  absl::string_view raw_xml;
  // How many <cis:separator/> elements preceded it in its parent.
  int separators_before = 0;
};

// An attribute in a foreign namespace (anyAttribute ##other).
struct C3pExtensionAttribute {
  absl::string_view namespace_uri;
  absl::string_view local_name;
  absl::string_view value;
};

// ci:media (RFC 4575 §5.7.1), as sent in modifyEndpointMedia and addUser.
struct C3pMediaView {
  absl::string_view id;
  absl::string_view display_text;
  absl::string_view type;
  absl::string_view label;
  absl::string_view src_id;
  absl::string_view status;           // "recvonly", "sendrecv", ... as sent
  absl::string_view media_state;      // msci:media-state
  absl::string_view media_source_id;  // msci:media-source-id
  absl::string_view ingress_filter;   // msci:media-ingress-filter
  std::vector<C3pExtension> extensions;
  std::vector<C3pExtensionAttribute> attributes;
};

// execution-type (RFC 4575 §5.7.2): referred, joining-info,
// disconnection-info, and the `modified` of a uris entry. `when` is an
// xs:dateTime and `by` an xs:anyURI (checked), white space stripped; either
// may be empty (absent).
struct C3pExecutionView {
  absl::string_view when;
  absl::string_view reason;
  absl::string_view by;
};

// uri-type (RFC 4575 §5.3.1): one entry of service-uris or associated-aors.
// `uri` is an xs:anyURI (checked), white space stripped.
struct C3pUriEntryView {
  absl::string_view uri;
  absl::string_view display_text;
  absl::string_view purpose;
  std::optional<C3pExecutionView> modified;
  std::vector<C3pExtension> extensions;
  std::vector<C3pExtensionAttribute> attributes;
};

// conference-medium-type (RFC 4575 §5.3.4): one entry of available-media.
struct C3pAvailableMediaView {
  absl::string_view label;  // required attribute
  absl::string_view display_text;
  absl::string_view type;    // required child
  absl::string_view status;  // "sendrecv", ... as sent
  std::vector<C3pExtension> extensions;
  std::vector<C3pExtensionAttribute> attributes;
};

// sip-dialog-id-type (RFC 4575 §5.7.4): call-info/sip. call-id, from-tag
// and to-tag were present (they may be empty).
struct C3pSipDialogView {
  absl::string_view display_text;
  absl::string_view call_id;
  absl::string_view from_tag;
  absl::string_view to_tag;
};

// ci:endpoint (RFC 4575 §5.7).
struct C3pEndpointView {
  absl::string_view entity;
  absl::string_view state;  // "full" (default), "partial", "deleted"
  absl::string_view display_text;
  std::optional<C3pExecutionView> referred;
  absl::string_view status;
  absl::string_view joining_method;
  std::optional<C3pExecutionView> joining_info;
  absl::string_view disconnection_method;
  std::optional<C3pExecutionView> disconnection_info;
  std::optional<C3pSipDialogView> call_info;  // call-info/sip
  absl::string_view session_type;             // attribute
  absl::string_view endpoint_uri;             // attribute (dial-out)
  absl::string_view refer_to_uri;             // attribute (dial-out)
  absl::string_view session_on_behalf_of;     // attribute or element
  bool has_client_info = false;               // msci:clientInfo present
  absl::string_view lobby_capable;  // 2008/12 lobby-capable in clientInfo
  std::vector<C3pExtension> client_info_extensions;
  std::vector<C3pMediaView> media;
  std::vector<C3pExtension> extensions;
  std::vector<C3pExtensionAttribute> attributes;
};

// ci:user (RFC 4575 §5.6).
struct C3pUserView {
  absl::string_view entity;
  absl::string_view state;
  absl::string_view display_text;
  std::vector<C3pUriEntryView> associated_aors;  // empty: absent
  std::vector<absl::string_view> roles;          // roles/entry, in order
  // The xs:language tags of `languages` (checked), in order.
  std::vector<absl::string_view> languages;
  absl::string_view cascaded_focus;  // xs:anyURI (checked)
  std::vector<C3pEndpointView> endpoints;
  std::vector<C3pExtension> extensions;
  std::vector<C3pExtensionAttribute> attributes;
};

// ci:conference-description (RFC 4575 §5.3) with the MS additions.
struct C3pDescriptionView {
  absl::string_view display_text;
  absl::string_view subject;
  absl::string_view free_text;
  absl::string_view keywords;
  std::vector<C3pUriEntryView> service_uris;  // empty: absent
  absl::string_view maximum_user_count;
  std::vector<C3pAvailableMediaView> available_media;  // empty: absent
  absl::string_view conference_id;                     // msci:conference-id
  absl::string_view expiry_time;                       // msci:expiry-time
  absl::string_view admission_policy;                  // msci:admission-policy
  // msci:automatic-leader-assignment (the presenter policy)
  absl::string_view presenter_policy;
  // Foreign children we do not model (msci:pstn-access, ...).
  std::vector<C3pExtension> extensions;
};

// msci:entity-view (CONFBAS 4.4.10).
struct C3pEntityViewView {
  absl::string_view entity;  // MCU URI, or MCU type in addConference
  absl::string_view state;
  bool has_entity_state = false;
  absl::string_view locked;  // entity-state/locked, "true"/"false" or ""
  // Children of msci:entity-state other than locked, in order.
  std::vector<C3pExtension> entity_state_extensions;
  std::vector<C3pExtension> extensions;
};

// ci:conference-info as carried by addConference and modifyConference.
struct C3pConferenceInfoView {
  absl::string_view entity;
  absl::string_view state;
  std::optional<C3pDescriptionView> description;
  std::vector<C3pEntityViewView> entity_views;  // msci:conference-view
  std::vector<C3pUserView> users;
  std::vector<C3pExtension> extensions;
};

// --- Key blocks (PROTOCOL.md §2.1). ---

struct C3pConferenceKeys {
  absl::string_view conf_entity;
  absl::string_view conference_id;  // msci:conference-id attribute
};

struct C3pUserKeys {
  absl::string_view conf_entity;
  absl::string_view user_entity;
};

struct C3pMediaKeys {
  absl::string_view conf_entity;
  absl::string_view user_entity;
  absl::string_view endpoint_entity;
  absl::string_view media_id;
};

// --- Commands. ---

struct C3pAddConference {
  C3pConferenceInfoView conference_info;
};

// Focus factory (no mcu_uri) or in-conference (`mscp:mcuUri`).
struct C3pModifyConference {
  absl::string_view mcu_uri;
  std::optional<C3pConferenceKeys> keys;
  C3pConferenceInfoView conference_info;
};

struct C3pDeleteConference {
  C3pConferenceKeys keys;
};

struct C3pGetConference {
  C3pConferenceKeys keys;
  // msci:encryption-key/msci:x509-certificate text, white space kept
  // (crypto strips it); empty when absent.
  absl::string_view x509_certificate;
  bool has_encryption_key = false;
};

struct C3pGetConferences {
  bool static_only = false;  // static="true"
};

struct C3pGetAvailableMcuTypes {};
struct C3pGetConferencingCapabilities {};
struct C3pPing {};

// Join (INVITE to the focus) or dial-out (INFO with `mscp:mcuUri`).
struct C3pAddUser {
  absl::string_view mcu_uri;
  C3pConferenceKeys keys;
  C3pUserView user;
};

enum class C3pLobbyAccess { kGranted, kDenied };

// endorseUser (CONFBAS 2.2.3.5): a leader's decision on one lobby user.
//   <endorseUser result="success|<reason>">
//     <userKeys confEntity=".." userEntity=".."/>   (or conferenceKeys plus
//   </endorseUser>                                   userEntity attribute)
// A missing result or `success` grants; any known reason, in either
// spelling, denies and is kept in `reason`.
struct C3pEndorseUser {
  C3pUserKeys keys;
  C3pLobbyAccess access = C3pLobbyAccess::kGranted;
  std::optional<C3pReason> reason;
};

// setLobbyAccess (PROTOCOL.md §2.2, unconfirmed shape; this is the one we
// accept):
//   <setLobbyAccess>
//     <conferenceKeys confEntity=".."/>
//     <userEntity>sip:..</userEntity>      one or more
//     <access>granted|denied</access>
//   </setLobbyAccess>
struct C3pSetLobbyAccess {
  C3pConferenceKeys keys;
  std::vector<absl::string_view> user_entities;
  C3pLobbyAccess access = C3pLobbyAccess::kGranted;
};

struct C3pDeleteUser {
  C3pUserKeys keys;
};

struct C3pModifyUserRoles {
  C3pUserKeys keys;
  std::vector<absl::string_view> roles;  // ci:user-roles/entry
};

struct C3pModifyConferenceLock {
  C3pConferenceKeys keys;
  bool locked = false;
};

struct C3pModifyEndpointMedia {
  absl::string_view mcu_uri;
  C3pMediaKeys keys;
  C3pMediaView media;
};

// The endpoint state a focus or MCU reports (draft modifyEndpoint:
// userKeys + ci:endpoint, PROTOCOL.md §2.3).
struct C3pModifyEndpoint {
  absl::string_view mcu_uri;
  C3pUserKeys keys;
  C3pEndpointView endpoint;
};

// A cccp command we do not implement; its name is C3pRequest::command_name.
struct C3pUnknownCommand {};

using C3pCommandBody =
    std::variant<C3pAddConference, C3pModifyConference, C3pDeleteConference,
                 C3pGetConference, C3pGetConferences, C3pGetAvailableMcuTypes,
                 C3pGetConferencingCapabilities, C3pAddUser, C3pEndorseUser,
                 C3pSetLobbyAccess, C3pDeleteUser, C3pModifyUserRoles,
                 C3pModifyConferenceLock, C3pModifyEndpointMedia,
                 C3pModifyEndpoint, C3pPing, C3pUnknownCommand>;

// What a failure response needs to be addressed (MS-CONFPRO 2.2.3): copies,
// since the request they came from is gone.
struct C3pEnvelope {
  std::string request_id;
  std::string from;
  std::string to;
  std::string command_name;  // local name of the command element, if read
};

class C3pRequest {
 public:
  C3pRequest(C3pRequest&&) = default;
  C3pRequest& operator=(C3pRequest&&) = default;

  absl::string_view request_id;  // compared as a string (PROTOCOL.md §1.4)
  absl::string_view from;
  absl::string_view to;
  absl::string_view c3p_version;  // "" when absent
  C3pCommand command_type = C3pCommand::kUnknown;
  absl::string_view command_name;  // local name as sent
  C3pCommandBody command;

 private:
  friend class C3pRequestParser;
  C3pRequest() = default;

  // Owns the buffer every view points into. Held in place: moving an
  // XmlDocument moves its heap arrays, so views survive the request's moves.
  std::optional<XmlDocument> document_;
  // Owns serialized extension fragments; unique_ptr keeps them in place.
  std::vector<std::unique_ptr<std::string>> fragments_;
};

// Parses a C3P request body. Takes ownership of `body` because RapidXML parses
// in place; every string_view in the result points into it and stays valid for
// the lifetime of the returned request. Returns kInvalidArgument (with a byte
// offset and line:column) for malformed input, kResourceExhausted when
// `limits` are exceeded, and kUnimplemented for RFC 4575 content confstate
// does not support (sidebars, a call-info other than sip). When the XML was
// well-formed but the C3P content is not, the status carries the envelope
// (see C3pEnvelopeFromStatus), so the focus can answer with a C3P failure
// (`notSupported` for kUnimplemented, `requestMalformed` otherwise);
// otherwise it should answer SIP 400.
absl::StatusOr<C3pRequest> ParseC3pRequest(std::vector<char> body,
                                           const ParseLimits& limits = {});

// The envelope of the request a ParseC3pRequest error came from, when the
// body was well-formed XML with a <request> root; std::nullopt otherwise.
std::optional<C3pEnvelope> C3pEnvelopeFromStatus(const absl::Status& status);

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_C3P_REQUEST_H_
