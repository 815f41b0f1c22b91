// Per-element encoders of conference-info documents (docs/CODEC.md): one
// function per RFC 4575 / MS-CONFBAS element, shared by full and partial
// documents, and the render-once caches of users, endpoints, entity views
// and descriptions (each object's RenderSlot). Private to conference_info,
// which assembles documents from them.
//
// The cached-bytes accessors are inline: a warm read is one atomic load,
// and a full document makes one per roster chunk, view and lobby user.

#ifndef CONF_CODEC_INTERNAL_ELEMENT_ENCODERS_H_
#define CONF_CODEC_INTERNAL_ELEMENT_ENCODERS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "codec/xml_writer.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace internal {

// Namespaces of conference-info documents (PROTOCOL.md §1.3; the msav, msas
// and msim URIs are our decision, docs/CODEC.md).
inline constexpr absl::string_view kConferenceInfoNamespace =
    "urn:ietf:params:xml:ns:conference-info";
inline constexpr absl::string_view kSeparatorNamespace =
    "urn:ietf:params:xml:ns:conference-info-separator";
inline constexpr absl::string_view kMsciNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions";
inline constexpr absl::string_view kMsci2Namespace =
    "http://schemas.microsoft.com/rtc/2008/12/confinfoextensions";
inline constexpr absl::string_view kMsavNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/avconfinfoextensions";
inline constexpr absl::string_view kMsasNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/asconfinfoextensions";
inline constexpr absl::string_view kMsimNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/imconfinfoextensions";

// MS booleans on the wire.
absl::string_view BoolName(bool b);

// Every root's namespace declarations (PROTOCOL.md §1.3) as attribute
// bytes, built once; DeclareNamespaces writes them on the open start tag.
const std::string& NamespaceDeclarations();
void DeclareNamespaces(XmlWriter& w);

// Unknown attributes (anyAttribute ##other), in order. A namespace the
// document root declares keeps its prefix; any other is declared on the
// element as ext0, ext1, ... Attributes whose local name is not an NCName
// cannot come from the request parser and are dropped.
void WriteExtensionAttributes(
    XmlWriter& w, const std::vector<engine::ExtensionAttribute>& attributes);

// Unknown elements, in order, each after at least one cis:separator and at
// least as many as preceded it where it was received (PROTOCOL.md §5.1:
// whatever follows a separator may be skipped by receivers that do not know
// it, and each further separator starts a newer generation).
// `separators_written` is how many the element has written already (the
// typed MS items that follow a separator count one). Separators kept as
// extensions are not repeated.
//
// raw_xml comes from XmlDocument::SerializeFragment (xml_reader), which
// writes well-formed, self-contained fragments with XmlWriter: the one place
// input bytes enter a document through Raw() (xml_writer.h).
void WriteExtensions(XmlWriter& w,
                     const std::vector<engine::Extension>& extensions,
                     int separators_written = 0);

// The markup around one per-requester secret: everything up to the text of
// its `msci:cms-data` (start tag closed) and everything after it. Rendered
// by XmlWriter once per process, so the bytes are the writer's own.
struct SecretMarkup {
  std::string before;
  std::string after;
};

// An encrypted web-join conf-uris entry (seed, MS-CONFBAS 4.4.7) and the
// conference key (PROTOCOL.md §6), around their base64 CMS blobs.
struct SecretsMarkup {
  SecretMarkup web_internal;
  SecretMarkup web_external;
  SecretMarkup conference_key;
};

// The markup around the per-requester secrets, rendered once per process.
const SecretsMarkup& Secrets();

// Stores `bytes` in `slot` unless something is stored already; returns what
// the slot holds. Cached's cold path, out of line so that the warm one is
// inlined wherever a document reads a cache.
const std::string& StoreCached(const engine::RenderSlot& slot,
                               std::string bytes);

// The bytes cached in `slot`, rendered and stored first if it is empty. The
// slot owns them, so the reference is valid as long as the object holding the
// slot: callers hold the snapshot or delta that holds the object. A warm read
// is one atomic load (RenderSlot::Peek), no reference count.
template <typename Render>
const std::string& Cached(const engine::RenderSlot& slot, Render render) {
  if (const std::string* bytes = slot.Peek()) {
    return *bytes;
  }
  return StoreCached(slot, render());
}

std::string RenderEndpoint(const engine::Endpoint& e);

inline const std::string& EndpointBytes(const engine::Endpoint& e) {
  return Cached(e.rendered, [&] { return RenderEndpoint(e); });
}

// The user-level children that precede endpoints (atomic, RFC 4575 §5.6).
void WriteUserHead(XmlWriter& w, const engine::User& u);

// `extra_namespaces` declares every namespace on the user itself (for
// fragments embedded in C3P responses).
enum class Namespaces { kInherited, kDeclared };

std::string RenderUser(const engine::User& u, Namespaces namespaces);

inline const std::string& UserBytes(const engine::User& u) {
  return Cached(u.rendered,
                [&] { return RenderUser(u, Namespaces::kInherited); });
}

// The `<user>` elements of one chunk of a user map, concatenated from the
// users' own cached bytes and cached in the chunk's slot: a full document
// copies a roster chunk at a time (docs/CODEC.md, "Render once, copy many").
// Only for lists every viewer sees whole (the roster); the lobby is filtered
// per viewer and is spliced user by user.
// RenderUserChunk concatenates them.
std::string RenderUserChunk(const engine::UserMap::Chunk& chunk);

inline const std::string& UserChunkBytes(const engine::UserMap::Chunk& chunk) {
  return Cached(chunk.annex(), [&] { return RenderUserChunk(chunk); });
}

// msci:entity-view (MS-CONFBAS 4.4.10; shape from the seed).
std::string RenderEntityView(const engine::EntityView& v);

inline const std::string& EntityViewBytes(const engine::EntityView& v) {
  return Cached(v.rendered, [&] { return RenderEntityView(v); });
}

// The four cached parts of a description (RenderDescription, in the .cc),
// rendered first if the description has none yet. The views point into its
// render slot.
struct DescriptionParts {
  absl::string_view head;
  absl::string_view entries;
  absl::string_view middle;
  absl::string_view tail;
};

DescriptionParts CachedDescription(const engine::ConferenceDescription& d);

// A description without secrets (notifications).
void WriteDescription(XmlWriter& w, const engine::ConferenceDescription& d);

void WriteHostInfo(XmlWriter& w, const engine::HostInfo& h);

void WriteConferenceState(XmlWriter& w, const engine::ConferenceState& s);

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_ELEMENT_ENCODERS_H_
