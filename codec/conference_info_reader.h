// Reading RFC 4575 conference-info documents: a full, partial or deleted
// document, as a focus sends it in a NOTIFY or a getConference response, in;
// a typed, zero-copy view of it out (the reverse of conference_info.h).
//
// What is read (names in the conference-info namespace unless prefixed):
//
//   conference-info entity version state
//     conference-description   display-text subject free-text keywords
//                              conf-uris / service-uris (entry: uri
//                              display-text purpose msci:encrypted-uri)
//                              maximum-user-count msci:conference-id
//                              msci:expiry-time msci:admission-policy
//                              msci:conference-key msci:pstn-access/msci:id
//                              msci:organizer/msci:display-name
//                              msci:join-url
//     conference-state         user-count active locked
//     users state              user* entity state: display-text roles/entry
//                                endpoint* entity state msci:session-type
//                                msci:endpoint-uri msci:refer-to-uri
//                                msci:session-on-behalf-of: display-text
//                                status joining-method disconnection-method
//                                media* id: display-text type label src-id
//                                status msci:media-state msci:media-source-id
//     msci:conference-view ci:state   msci:entity-view* entity ci:state:
//                                msci:entity-state/msci:locked
//     msci:lobby ci:state      user* (as in users)
//
// A view holds what the document says, no more: a partial document's lists
// hold only the users, endpoints and views it names, each with its state,
// and an element the document leaves out is std::nullopt (in a partial
// document: unchanged). Applying one is then a walk over what changed,
// merged by key (RFC 4575 §4.6; PROTOCOL.md §3.5): users and endpoints by
// entity, media by id, entity views by entity, uri entries by uri.
//
// Zero-copy: the document owns the body (parsed in place by codec's
// XmlDocument, so the limits of ParseLimits and the strict pre-scan apply)
// and every absl::string_view below points into it, with references
// resolved. The lists are spans into arrays the document also owns, sized
// once by counting the elements before reading them. Views live as long as
// the ConferenceInfoDocument; moving it keeps them valid.
//
// What is refused (kInvalidArgument, "conference-info: <what> at offset N
// (line L, column C)"):
//   - a body that is not well-formed, namespace-correct XML (the xml
//     reader's message follows "conference-info: not well-formed XML: ");
//   - a root other than conference-info in the conference-info namespace, a
//     root without `entity`, or whose `version` is missing or not an
//     xs:unsignedInt;
//   - a `state` (or `ci:state`) that is not full, partial or deleted on an
//     element read here;
//   - a user, endpoint or entity view without `entity`, a media without
//     `id`, a uri entry without `uri`;
//   - inside an RFC 4575 element, a conference-info child that RFC 4575
//     does not define there (docs/ERRORS.md's policy for requests); a
//     second copy of a single-valued child; child elements where text
//     belongs; a count or boolean that is not an xs:unsignedInt or
//     xs:boolean.
// Limits give kResourceExhausted with the xml reader's message. RFC 4575
// elements not read here (host-info, sidebars, associated-aors, call-info,
// ...) and elements in other namespaces are skipped; so are the children of
// a deleted element (RFC 4575 §4.4: receivers ignore them).
//
// Thread-safety: a ConferenceInfoDocument is immutable after parsing; share
// it freely.
//
// Example:
//   absl::StatusOr<ConferenceInfoDocument> doc =
//       ParseConferenceInfo(notification_body);
//   if (!doc.ok()) return doc.status();
//   if (doc->users.has_value()) {
//     for (const CiUser& u : doc->users->users) {
//       if (u.state == ElementState::kDeleted) Forget(u.entity);
//     }
//   }

#ifndef CONF_CODEC_CONFERENCE_INFO_READER_H_
#define CONF_CODEC_CONFERENCE_INFO_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/conference_info.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {

// Limits for conference-info documents. A focus's full document is larger
// than any request: about 550 bytes and 17 elements per user of the
// synthetic roster, so these allow about 30,000 users. The nesting a
// document needs is about 10.
inline constexpr ParseLimits kConferenceInfoLimits = {
    /*max_bytes=*/16 << 20,
    /*max_depth=*/32,
    /*max_elements=*/1 << 20,
    /*max_attributes_per_element=*/64,
};

// Text fields are as sent ("" when the element is absent) unless they are
// std::optional, where std::nullopt means absent. Enumerated values
// (status, joining-method, ...) are left as sent; wire_names.h maps them.

// ci:media (RFC 4575 §5.7.4), keyed by `id` within its endpoint. Media has
// no state: a media change resends its endpoint.
struct CiMedia {
  absl::string_view id;
  absl::string_view display_text;
  absl::string_view type;
  absl::string_view label;
  absl::string_view src_id;
  absl::string_view status;           // media-status-type, e.g. "sendrecv"
  absl::string_view media_state;      // msci:media-state
  absl::string_view media_source_id;  // msci:media-source-id
  uint32_t offset = 0;                // of its `<` in the body
};

// ci:endpoint (RFC 4575 §5.7), keyed by `entity` within its user. Its
// atomic children are std::nullopt when absent: in a partial endpoint,
// unchanged. A deleted endpoint carries only its key.
struct CiEndpoint {
  absl::string_view entity;
  ElementState state = ElementState::kFull;
  // Attributes in the msci namespace (an unprefixed one is also read).
  absl::string_view session_type;
  absl::string_view endpoint_uri;
  absl::string_view refer_to_uri;
  absl::string_view session_on_behalf_of;
  std::optional<absl::string_view> display_text;
  std::optional<absl::string_view> status;  // endpoint-status-type
  std::optional<absl::string_view> joining_method;
  std::optional<absl::string_view> disconnection_method;
  absl::Span<const CiMedia> media;  // in document order
  uint32_t offset = 0;
};

// ci:user (RFC 4575 §5.6), keyed by `entity` within its list. As for
// endpoints, absent atomic children are std::nullopt, and a deleted user
// carries only its key. `endpoints` of a full user are all of them; of a
// partial user, the ones that changed (full or deleted).
struct CiUser {
  absl::string_view entity;
  ElementState state = ElementState::kFull;
  std::optional<absl::string_view> display_text;
  // roles/entry texts in order; std::nullopt when there is no `roles`.
  std::optional<absl::Span<const absl::string_view>> roles;
  absl::Span<const CiEndpoint> endpoints;  // in document order
  uint32_t offset = 0;
};

// `users`, or `msci:lobby` (docs/CODEC.md). kFull: the whole list, which
// replaces the old one; kPartial: the users named, each merged by entity;
// kDeleted: the list is gone (no users).
struct CiUserList {
  ElementState state = ElementState::kFull;
  absl::Span<const CiUser> users;  // in document order
};

// msci:entity-view (MS-CONFBAS 4.4.10), keyed by `entity` (the MCU's URI).
struct CiEntityView {
  absl::string_view entity;
  ElementState state = ElementState::kFull;
  std::optional<bool> locked;  // msci:entity-state/msci:locked
  uint32_t offset = 0;
};

// msci:conference-view: the MCUs' views.
struct CiEntityViewList {
  ElementState state = ElementState::kFull;
  absl::Span<const CiEntityView> views;  // in document order
};

// uri-type (RFC 4575 §5.3.1), keyed by `uri` within its list.
struct CiUri {
  absl::string_view uri;
  absl::string_view display_text;
  absl::string_view purpose;
  // msci:encrypted-uri/msci:cms-data: base64 CMS, for one requester.
  absl::string_view encrypted_uri;
};

// uris-type: conf-uris or service-uris.
struct CiUriList {
  ElementState state = ElementState::kFull;
  absl::Span<const CiUri> entries;  // in document order
};

// conference-description (RFC 4575 §5.3), atomic: when present, it replaces
// the old one whole.
struct CiDescription {
  absl::string_view display_text;
  absl::string_view subject;
  absl::string_view free_text;
  absl::string_view keywords;  // space-separated, as sent
  std::optional<CiUriList> conf_uris;
  std::optional<CiUriList> service_uris;
  std::optional<uint32_t> maximum_user_count;
  absl::string_view conference_id;     // msci:conference-id
  absl::string_view expiry_time;       // msci:expiry-time
  absl::string_view admission_policy;  // msci:admission-policy
  // msci:conference-key/msci:cms-data: base64 CMS, for one requester.
  absl::string_view conference_key;
  absl::string_view pstn_access_id;  // msci:pstn-access/msci:id
  // msci:organizer/msci:display-name
  absl::string_view organizer_display_name;
  absl::string_view join_url;  // msci:join-url
};

// conference-state (RFC 4575 §5.5), atomic.
struct CiConferenceState {
  std::optional<uint32_t> user_count;
  std::optional<bool> active;
  std::optional<bool> locked;
};

class ConferenceInfoDocument {
 public:
  ConferenceInfoDocument(ConferenceInfoDocument&&) = default;
  ConferenceInfoDocument& operator=(ConferenceInfoDocument&&) = default;

  absl::string_view entity;  // the focus URI (root `entity`)
  uint32_t version = 0;      // root `version`
  // kFull: replaces what the reader held; kPartial: changes it (RFC 4575
  // §4.6); kDeleted: the conference is gone, and nothing below is set. The
  // states below are as sent: a partial list in a full document changes
  // the empty state the document starts from.
  ElementState state = ElementState::kFull;

  std::optional<CiDescription> description;
  std::optional<CiConferenceState> conference_state;
  std::optional<CiUserList> users;
  std::optional<CiEntityViewList> conference_view;
  std::optional<CiUserList> lobby;  // leaders' and lobby users' documents

  // "offset 812 (line 14, column 7)" for an `offset` of a view, for
  // messages about this document.
  std::string Where(uint32_t offset) const;

 private:
  friend class ConferenceInfoReader;
  ConferenceInfoDocument() = default;

  // Owns the body every string_view points into. Held in place: moving an
  // XmlDocument moves its heap arrays, so views survive moves.
  std::optional<XmlDocument> xml_;
  // What the spans above point into, each reserved once to its final size.
  std::vector<CiUser> users_;
  std::vector<CiEndpoint> endpoints_;
  std::vector<CiMedia> media_;
  std::vector<absl::string_view> roles_;
  std::vector<CiEntityView> views_;
  std::vector<CiUri> uris_;
};

// Parses a conference-info document. Takes ownership of `body` because it is
// parsed in place; every view in the result points into it and lives as
// long as the returned document. Returns kInvalidArgument (with a byte
// offset and line:column) for what the file comment lists, and
// kResourceExhausted when `limits` are exceeded. Never throws.
absl::StatusOr<ConferenceInfoDocument> ParseConferenceInfo(
    std::vector<char> body, const ParseLimits& limits = kConferenceInfoLimits);

// The same, for a document the caller keeps: copies it first, once.
absl::StatusOr<ConferenceInfoDocument> ParseConferenceInfo(
    absl::string_view document,
    const ParseLimits& limits = kConferenceInfoLimits);

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_CONFERENCE_INFO_READER_H_
