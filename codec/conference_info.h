// RFC 4575 conference-info documents: full (from a snapshot), partial (from a
// delta) and deleted, for one viewer, with the Microsoft extensions of
// MS-CONFBAS in the places the specification's example shows them.
//
// Document shape (schema order, RFC 4575 §5; docs/CODEC.md):
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
//       xmlns:msci=... xmlns:msci2=... xmlns:cis=... xmlns:msav=...
//       xmlns:msas=... xmlns:msim=... entity=FOCUS state=S version=N>
//     conference-description   conf-uris (+ encrypted web-join entries),
//                              msci:conference-key, cis:separator,
//                              msci:pstn-access, ...
//     host-info?  conference-state
//     users       user* (endpoint* (media*))
//     msci:conference-view     msci:entity-view*
//     msci:lobby?              user* waiting for admission (leaders only)
//   </conference-info>
//
// Every namespace is declared once, on the root, with the prefixes of
// PROTOCOL.md §1.3.
//
// Render once, copy many: the bytes of each User, Endpoint, EntityView and
// ConferenceDescription are encoded once and stored in the object's
// RenderSlot; because model objects are immutable and replaced on change,
// every later document (any viewer, any version sharing the object) copies
// those bytes. The roster is also cached a chunk of the user map at a time
// (the concatenated users, in the chunk's RenderSlot), so a full document
// copies one run per chunk of up to 32 users, and a one-user change renders
// that user and its chunk again. The description is cached in parts so that
// per-requester secrets (encrypted web-join URIs, conference key) slot in
// between.
// Partial documents are encoded once per delta and view and shared by every
// subscriber of that view; only the root `version` differs per subscriber,
// which EncodedDocument::WithVersion fills in.
//
// Thread safety: all functions may be called concurrently, also on the same
// snapshot (render slots are set-once and atomic).

#ifndef CONF_CODEC_CONFERENCE_INFO_H_
#define CONF_CODEC_CONFERENCE_INFO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace codec {

// An RFC 4575 state-type value (§4.4) for per-element encoders and roots.
enum class ElementState { kFull, kPartial, kDeleted };

// Whether an encoded document starts with `<?xml ...?>`.
enum class XmlDeclaration { kInclude, kOmit };

// Who a document is for: the engine's role for the viewer and the viewer's
// own user id (a lobby user sees itself). engine::ViewerRoleFor computes the
// role.
struct Viewer {
  engine::ViewerRole role = engine::ViewerRole::kAttendee;
  engine::UserId user;
};

// Per-requester secrets, already wrapped by crypto for the requester's
// certificate: base64 CMS EnvelopedData (PROTOCOL.md §6). An empty value
// leaves the corresponding element out. Never cached. Views: the bytes they
// point at (the crypto pool's wrapped blobs) must outlive the encode call;
// nothing keeps them afterwards.
struct DocumentSecrets {
  absl::string_view conference_key;    // msci:conference-key/msci:cms-data
  absl::string_view web_internal_uri;  // conf-uris entry, purpose web-internal
  absl::string_view web_external_uri;  // conf-uris entry, purpose web-external
};

// An encoded conference-info document whose root `version` attribute is
// filled in per subscriber. Cheap to copy (shares immutable bytes).
class EncodedDocument {
 public:
  EncodedDocument(std::shared_ptr<const std::string> bytes,
                  size_t declaration_size, size_t version_offset,
                  uint32_t default_version);
  // The same over `size` bytes at `bytes` (an exactly sized buffer written
  // once, with no std::string zero fill).
  EncodedDocument(std::shared_ptr<const char> bytes, size_t size,
                  size_t declaration_size, size_t version_offset,
                  uint32_t default_version);

  // The document with `version` as the root's version attribute.
  std::string WithVersion(uint32_t version, XmlDeclaration declaration =
                                                XmlDeclaration::kInclude) const;

  // The document with the version it was encoded for (the snapshot's or
  // delta's version).
  std::string Bytes() const { return WithVersion(default_version_); }

  // The bytes before and after the version digits (for callers that write
  // straight into their own buffer). `prefix` includes the declaration
  // unless `declaration` is kOmit.
  absl::string_view prefix(
      XmlDeclaration declaration = XmlDeclaration::kInclude) const;
  absl::string_view suffix() const;

  uint32_t default_version() const { return default_version_; }

 private:
  std::shared_ptr<const char> bytes_;
  size_t size_;
  size_t declaration_size_;
  size_t version_offset_;
  uint32_t default_version_;
};

// The full document (root state="full") of `snapshot` as `viewer` sees it:
// leaders see roster and lobby, attendees the roster, a lobby user only
// itself. `secrets`, when given, adds the encrypted web-join entries and the
// conference key. The root version is the snapshot's (truncated to the
// 32 bits of xs:unsignedInt); subscriptions override it with WithVersion.
// Never fails: values were validated when they entered the engine, and
// characters XML cannot carry are replaced (xml_writer.h).
//
// The document is assembled from the cached renderings of its roster
// chunks, lobby users and views ("render once, copy many") into one buffer
// of exactly its size, written once.
EncodedDocument EncodeConferenceInfo(const engine::ConferenceSnapshot& snapshot,
                                     const Viewer& viewer,
                                     const DocumentSecrets* secrets = nullptr);

// The same document (with its XML declaration and the snapshot's version),
// written into `*out`, replacing what it held. For callers that keep one
// buffer per thread (a send buffer): its capacity is reused, so a warm call
// allocates nothing for the document and writes each byte once; a buffer
// smaller than the document grows once, without zero fill.
//
// Example:
//   std::string send_buffer;  // one per thread, kept across calls
//   EncodeConferenceInfo(*snapshot, viewer, nullptr, &send_buffer);
//   send(send_buffer);
void EncodeConferenceInfo(const engine::ConferenceSnapshot& snapshot,
                          const Viewer& viewer, const DocumentSecrets* secrets,
                          std::string* out);

// The partial document (RFC 4575 §4.4, root state="partial") that takes a
// subscriber with `viewer`'s view from delta.version - 1 to delta.version:
// replaced atomic elements in full, `users` / `msci:conference-view` /
// `msci:lobby` with state="partial" holding the changed users (full, partial
// or deleted, keyed by entity) and views. A kConferenceDeleted delta yields
// the deleted document. Returns std::nullopt when nothing in the delta is
// visible to the viewer (send nothing, keep the subscriber's version).
std::optional<EncodedDocument> EncodeConferenceInfoDelta(
    const engine::ConferenceDelta& delta, const Viewer& viewer);

// The document for a deleted conference: an empty root with
// state="deleted" (RFC 4575 §4.6 step 3).
EncodedDocument EncodeConferenceInfoDeleted(
    const engine::ConferenceId& conference, uint32_t version);

// A self-contained `<user xmlns=...>` element (namespaces declared on it) for
// C3P responses that return one user (addUser), in full.
std::string EncodeUserFragment(const engine::User& user);

// A self-contained `<conference-info xmlns=... entity=E/>`: the minimal form
// addConference and deleteConference responses carry.
std::string EncodeConferenceEntityFragment(const engine::ConferenceId& entity);

namespace internal {

// `head`, the full document of `snapshot` for `viewer` (without its XML
// declaration when `declaration` is kOmit; root version = the snapshot's),
// then `tail`, written once into `*out` (replacing its content, reusing its
// capacity). How c3p_response embeds a document in a response envelope
// without a second buffer; `head` and `tail` must be markup its caller wrote
// with XmlWriter.
void EncodeConferenceInfoBetween(const engine::ConferenceSnapshot& snapshot,
                                 const Viewer& viewer,
                                 const DocumentSecrets* secrets,
                                 XmlDeclaration declaration,
                                 absl::string_view head, absl::string_view tail,
                                 std::string* out);

}  // namespace internal

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_CONFERENCE_INFO_H_
