#include "codec/conference_info.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "codec/wire_names.h"
#include "codec/xml_writer.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace {

using engine::ChangeKind;
using engine::UserList;

// Namespaces of conference-info documents (PROTOCOL.md §1.3; the msav, msas
// and msim URIs are our decision, docs/CODEC.md).
constexpr absl::string_view kConferenceInfoNamespace =
    "urn:ietf:params:xml:ns:conference-info";
constexpr absl::string_view kSeparatorNamespace =
    "urn:ietf:params:xml:ns:conference-info-separator";
constexpr absl::string_view kMsciNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions";
constexpr absl::string_view kMsci2Namespace =
    "http://schemas.microsoft.com/rtc/2008/12/confinfoextensions";
constexpr absl::string_view kMsavNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/avconfinfoextensions";
constexpr absl::string_view kMsasNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/asconfinfoextensions";
constexpr absl::string_view kMsimNamespace =
    "http://schemas.microsoft.com/rtc/2005/08/imconfinfoextensions";

// Marker URI of the encrypted web-join conf-uris entries (seed, MS-CONFBAS
// 4.4.7); the real URI is inside msci:encrypted-uri.
constexpr absl::string_view kEncryptedUriMarker =
    "http://schemas.microsoft.com/2008/05/confxmlenc#content";

constexpr absl::string_view kXmlDeclaration =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// ---------------------------------------------------------------------------
// Wire strings: one table per enumeration in codec/wire_names.h, shared
// with the request side.

absl::string_view EndpointStatusName(engine::EndpointStatus s) {
  return WireName(kEndpointStatusNames, s);
}
absl::string_view JoiningMethodName(engine::JoiningMethod m) {
  return WireName(kJoiningMethodNames, m);
}
absl::string_view DisconnectionMethodName(engine::DisconnectionMethod m) {
  return WireName(kDisconnectionMethodNames, m);
}
absl::string_view MediaStatusName(engine::MediaStatus s) {
  return WireName(kMediaStatusNames, s);
}
absl::string_view AdmissionPolicyName(engine::AdmissionPolicy p) {
  return WireName(kAdmissionPolicyNames, p);
}
// MS roles on the wire (PROTOCOL.md §3.2): the organizer is a presenter.
absl::string_view RoleName(engine::Role r) { return WireName(kRoleNames, r); }

absl::string_view BoolName(bool b) { return b ? "true" : "false"; }

absl::string_view StateName(ElementState s) {
  switch (s) {
    case ElementState::kFull:
      return "full";
    case ElementState::kPartial:
      return "partial";
    case ElementState::kDeleted:
      return "deleted";
  }
  return "full";
}

// ---------------------------------------------------------------------------
// Namespaces and extension content.

struct NamespaceBinding {
  absl::string_view prefix;  // "" = default namespace
  absl::string_view uri;
};

// Declared once on every document root, in this order (PROTOCOL.md §1.3).
constexpr NamespaceBinding kBindings[] = {
    {"", kConferenceInfoNamespace}, {"ci", kConferenceInfoNamespace},
    {"msci", kMsciNamespace},       {"msci2", kMsci2Namespace},
    {"cis", kSeparatorNamespace},   {"msav", kMsavNamespace},
    {"msas", kMsasNamespace},       {"msim", kMsimNamespace},
};

// kBindings as attributes, built once: every root (and every self-contained
// user fragment) starts with the same bytes. The URIs are constants of this
// file with nothing to escape.
const std::string& NamespaceDeclarations() {
  static const std::string* const kDeclarations = [] {
    auto* s = new std::string;
    for (const NamespaceBinding& b : kBindings) {
      absl::StrAppend(s, " xmlns", b.prefix.empty() ? "" : ":", b.prefix, "=\"",
                      b.uri, "\"");
    }
    return s;
  }();
  return *kDeclarations;
}

void DeclareNamespaces(XmlWriter& w) {
  w.RawAttributes(NamespaceDeclarations());
}

// XML Namespaces NCName, ASCII subset plus any non-ASCII byte (the reader
// validated the UTF-8). Guards names that reach the writer unescaped.
bool IsNcName(absl::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       c == '_' || c >= 0x80;
    const bool rest = start || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (i == 0 ? !start : !rest) {
      return false;
    }
  }
  return true;
}

// Unknown attributes (anyAttribute ##other), in order. A namespace the
// document root declares keeps its prefix; any other is declared on the
// element as ext0, ext1, ... Attributes whose local name is not an NCName
// cannot come from the request parser and are dropped.
void WriteExtensionAttributes(
    XmlWriter& w, const std::vector<engine::ExtensionAttribute>& attributes) {
  int next_prefix = 0;
  for (const engine::ExtensionAttribute& a : attributes) {
    if (!IsNcName(a.local_name)) {
      continue;
    }
    absl::string_view prefix;
    for (const NamespaceBinding& b : kBindings) {
      if (!b.prefix.empty() && b.uri == a.namespace_uri) {
        prefix = b.prefix;
      }
    }
    if (a.namespace_uri.empty()) {
      w.Attribute(a.local_name, a.value);
      continue;
    }
    std::string declared;
    if (prefix.empty()) {
      declared = absl::StrCat("ext", next_prefix++);
      w.Attribute(absl::StrCat("xmlns:", declared), a.namespace_uri);
      prefix = declared;
    }
    w.Attribute(absl::StrCat(prefix, ":", a.local_name), a.value);
  }
}

bool IsSeparator(const engine::Extension& e) {
  return e.namespace_uri == kSeparatorNamespace && e.local_name == "separator";
}

void WriteSeparator(XmlWriter& w) {
  w.StartElement("cis:separator");
  w.EndElement();
}

// Unknown elements, in order, after one cis:separator (PROTOCOL.md §5.1:
// whatever follows a separator may be skipped by receivers that do not know
// it). `separator_written` says whether the element already has one.
// Separators kept as extensions are not repeated.
//
// raw_xml comes from XmlDocument::SerializeFragment (xml_reader), which
// writes well-formed, self-contained fragments with XmlWriter: the one place
// input bytes enter a document through Raw() (xml_writer.h).
void WriteExtensions(XmlWriter& w,
                     const std::vector<engine::Extension>& extensions,
                     bool separator_written = false) {
  for (const engine::Extension& e : extensions) {
    if (IsSeparator(e)) {
      continue;
    }
    if (!separator_written) {
      WriteSeparator(w);
      separator_written = true;
    }
    w.Raw(e.raw_xml);
  }
}

void TextElementIfSet(XmlWriter& w, absl::string_view name,
                      absl::string_view text) {
  if (!text.empty()) {
    w.TextElement(name, text);
  }
}

// ---------------------------------------------------------------------------
// Per-element encoders (RFC 4575 §5, schema order).

// execution-type (RFC 4575 §5.7.2).
void WriteExecution(XmlWriter& w, absl::string_view name,
                    const engine::Execution& e) {
  w.StartElement(name);
  TextElementIfSet(w, "when", e.when);
  TextElementIfSet(w, "reason", e.reason);
  TextElementIfSet(w, "by", e.by);
  w.EndElement();
}

// uri-type entry (RFC 4575 §5.3.1).
void WriteUriEntry(XmlWriter& w, const engine::UriEntry& entry) {
  w.StartElement("entry");
  WriteExtensionAttributes(w, entry.attributes);
  w.TextElement("uri", entry.uri);
  TextElementIfSet(w, "display-text", entry.display_text);
  TextElementIfSet(w, "purpose", entry.purpose);
  if (entry.modified.has_value()) {
    WriteExecution(w, "modified", *entry.modified);
  }
  WriteExtensions(w, entry.extensions);
  w.EndElement();
}

// uris-type (an entry is required: empty lists are left out).
void WriteUris(XmlWriter& w, absl::string_view name,
               const std::vector<engine::UriEntry>& entries) {
  if (entries.empty()) {
    return;
  }
  w.StartElement(name);
  for (const engine::UriEntry& e : entries) {
    WriteUriEntry(w, e);
  }
  w.EndElement();
}

// The markup around one per-requester secret: everything up to the text of
// its `msci:cms-data` (start tag closed) and everything after it. Rendered
// by XmlWriter once per process, so the bytes are the writer's own.
struct SecretMarkup {
  std::string before;
  std::string after;
};

SecretMarkup RenderSecretMarkup(void (*open)(XmlWriter&)) {
  XmlWriter w(512);
  open(w);     // leaves msci:cms-data open
  w.Text("");  // closes its start tag, as the secret's text would
  SecretMarkup markup;
  markup.before = std::string(w.view());
  const size_t end = w.size();
  while (w.depth() > 0) {
    w.EndElement();
  }
  markup.after = std::string(w.view().substr(end));
  return markup;
}

// An encrypted web-join conf-uris entry (seed, MS-CONFBAS 4.4.7) and the
// conference key (PROTOCOL.md §6), around their base64 CMS blobs.
struct SecretsMarkup {
  SecretMarkup web_internal;
  SecretMarkup web_external;
  SecretMarkup conference_key;
};

template <const absl::string_view& kPurpose>
void OpenEncryptedUriEntry(XmlWriter& w) {
  w.StartElement("entry");
  w.TextElement("uri", kEncryptedUriMarker);
  w.TextElement("purpose", kPurpose);
  WriteSeparator(w);
  w.StartElement("msci:encrypted-uri");
  w.StartElement("msci:cms-data");
}

constexpr absl::string_view kWebInternal = "web-internal";
constexpr absl::string_view kWebExternal = "web-external";

const SecretsMarkup& Secrets() {
  static const SecretsMarkup* const kMarkup = [] {
    auto* m = new SecretsMarkup;
    m->web_internal = RenderSecretMarkup(&OpenEncryptedUriEntry<kWebInternal>);
    m->web_external = RenderSecretMarkup(&OpenEncryptedUriEntry<kWebExternal>);
    m->conference_key = RenderSecretMarkup([](XmlWriter& w) {
      w.StartElement("msci:conference-key");
      w.StartElement("msci:cms-data");
    });
    return m;
  }();
  return *kMarkup;
}

void WriteMedia(XmlWriter& w, const engine::Media& m) {
  w.StartElement("media");
  w.Attribute("id", m.id.value());
  WriteExtensionAttributes(w, m.attributes);
  TextElementIfSet(w, "display-text", m.display_text);
  TextElementIfSet(w, "type", m.type);
  TextElementIfSet(w, "label", m.label);
  TextElementIfSet(w, "src-id", m.src_id);
  if (m.status.has_value()) {
    w.TextElement("status", MediaStatusName(*m.status));
  }
  TextElementIfSet(w, "msci:media-source-id", m.media_source_id);
  TextElementIfSet(w, "msci:media-state", m.media_state);
  WriteExtensions(w, m.extensions);
  w.EndElement();
}

// msci:clientInfo: 2008/12 content after a separator (PROTOCOL.md §5.1).
void WriteClientInfo(XmlWriter& w, const engine::ClientInfo& info) {
  w.StartElement("msci:clientInfo");
  WriteExtensionAttributes(w, info.attributes);
  bool separator = false;
  if (info.lobby_capable.has_value()) {
    WriteSeparator(w);
    separator = true;
    w.TextElement("msci2:lobby-capable", BoolName(*info.lobby_capable));
  }
  WriteExtensions(w, info.extensions, separator);
  w.EndElement();
}

// endpoint-type (RFC 4575 §5.7). No `state` attribute: absent means full.
std::string RenderEndpoint(const engine::Endpoint& e) {
  XmlWriter w(512);
  w.StartElement("endpoint");
  w.Attribute("entity", e.entity.value());
  if (!e.session_type.empty()) {
    w.Attribute("msci:session-type", e.session_type);
  }
  if (!e.endpoint_uri.empty()) {
    w.Attribute("msci:endpoint-uri", e.endpoint_uri);
  }
  if (!e.refer_to_uri.empty()) {
    w.Attribute("msci:refer-to-uri", e.refer_to_uri);
  }
  if (!e.session_on_behalf_of.empty()) {
    w.Attribute("msci:session-on-behalf-of", e.session_on_behalf_of);
  }
  WriteExtensionAttributes(w, e.attributes);
  TextElementIfSet(w, "display-text", e.display_text);
  if (e.referred.has_value()) {
    WriteExecution(w, "referred", *e.referred);
  }
  if (e.status.has_value()) {
    w.TextElement("status", EndpointStatusName(*e.status));
  }
  if (e.joining_method.has_value()) {
    w.TextElement("joining-method", JoiningMethodName(*e.joining_method));
  }
  if (e.joining_info.has_value()) {
    WriteExecution(w, "joining-info", *e.joining_info);
  }
  if (e.disconnection_method.has_value()) {
    w.TextElement("disconnection-method",
                  DisconnectionMethodName(*e.disconnection_method));
  }
  if (e.disconnection_info.has_value()) {
    WriteExecution(w, "disconnection-info", *e.disconnection_info);
  }
  for (const auto& m : e.media) {
    WriteMedia(w, *m);
  }
  if (e.call_info.has_value()) {
    w.StartElement("call-info");
    w.StartElement("sip");
    TextElementIfSet(w, "display-text", e.call_info->display_text);
    w.TextElement("call-id", e.call_info->call_id);
    w.TextElement("from-tag", e.call_info->from_tag);
    w.TextElement("to-tag", e.call_info->to_tag);
    w.EndElement();
    w.EndElement();
  }
  if (e.client_info.has_value()) {
    WriteClientInfo(w, *e.client_info);
  }
  WriteExtensions(w, e.extensions);
  w.EndElement();
  return std::move(w).Finish();
}

// Stores `bytes` in `slot` unless something is stored already; returns what
// the slot holds. Cached's cold path, out of line so that the warm one is
// inlined wherever a document reads a cache.
ABSL_ATTRIBUTE_NOINLINE const std::string& StoreCached(
    const engine::RenderSlot& slot, std::string bytes) {
  return *slot.SetOnce(std::make_shared<const std::string>(std::move(bytes)));
}

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

const std::string& EndpointBytes(const engine::Endpoint& e) {
  return Cached(e.rendered, [&] { return RenderEndpoint(e); });
}

// The user-level children that precede endpoints (atomic, RFC 4575 §5.6).
void WriteUserHead(XmlWriter& w, const engine::User& u) {
  TextElementIfSet(w, "display-text", u.display_text);
  WriteUris(w, "associated-aors", u.associated_aors);
  w.StartElement("roles");
  w.TextElement("entry", RoleName(u.role));
  w.EndElement();
  if (!u.languages.empty()) {
    std::string languages;
    for (const std::string& l : u.languages) {
      if (!languages.empty()) {
        languages += ' ';
      }
      languages += l;
    }
    w.TextElement("languages", languages);
  }
  TextElementIfSet(w, "cascaded-focus", u.cascaded_focus);
}

// `extra_namespaces` declares every namespace on the user itself (for
// fragments embedded in C3P responses).
enum class Namespaces { kInherited, kDeclared };

std::string RenderUser(const engine::User& u, Namespaces namespaces) {
  XmlWriter w(1024);
  w.StartElement("user");
  if (namespaces == Namespaces::kDeclared) {
    DeclareNamespaces(w);
  }
  w.Attribute("entity", u.entity.value());
  w.Attribute("state", "full");
  WriteExtensionAttributes(w, u.attributes);
  WriteUserHead(w, u);
  for (const auto& e : u.endpoints) {
    w.Raw(EndpointBytes(*e));
  }
  WriteExtensions(w, u.extensions);
  w.EndElement();
  return std::move(w).Finish();
}

const std::string& UserBytes(const engine::User& u) {
  return Cached(u.rendered,
                [&] { return RenderUser(u, Namespaces::kInherited); });
}

// The `<user>` elements of one chunk of a user map, concatenated from the
// users' own cached bytes and cached in the chunk's slot: a full document
// copies a roster chunk at a time (docs/CODEC.md, "Render once, copy many").
// Only for lists every viewer sees whole (the roster); the lobby is filtered
// per viewer and is spliced user by user.
const std::string& UserChunkBytes(const engine::UserMap::Chunk& chunk) {
  return Cached(chunk.annex(), [&] {
    size_t size = 0;
    for (const std::shared_ptr<const engine::User>& u : chunk) {
      size += UserBytes(*u).size();
    }
    std::string bytes;
    bytes.reserve(size);
    for (const std::shared_ptr<const engine::User>& u : chunk) {
      bytes += UserBytes(*u);  // cached by the loop above
    }
    return bytes;
  });
}

void WriteEntityMedia(XmlWriter& w, const engine::EntityMedia& m) {
  w.StartElement("entry");
  w.Attribute("label", m.label);
  TextElementIfSet(w, "display-text", m.display_text);
  TextElementIfSet(w, "type", m.type);
  if (m.status.has_value()) {
    w.TextElement("status", MediaStatusName(*m.status));
  }
  if (!m.video_mode.empty()) {
    w.StartElement("msci:modal-parameters");
    w.StartElement("msci:video-parameters");
    w.TextElement("msav:video-mode", m.video_mode);
    w.EndElement();
    w.EndElement();
  }
  WriteExtensions(w, m.extensions);
  w.EndElement();
}

// msci:entity-view (MS-CONFBAS 4.4.10; shape from the seed).
std::string RenderEntityView(const engine::EntityView& v) {
  XmlWriter w(1024);
  w.StartElement("msci:entity-view");
  w.Attribute("ci:state", "full");
  w.Attribute("entity", v.entity);
  WriteExtensionAttributes(w, v.attributes);
  if (v.capabilities.has_value()) {
    const engine::EntityCapabilities& c = *v.capabilities;
    w.StartElement("msci:entity-capabilities");
    if (c.supports_audio.has_value() || c.supports_video.has_value()) {
      w.StartElement("msav:capabilities");
      if (c.supports_audio.has_value()) {
        w.TextElement("msav:supports-audio", BoolName(*c.supports_audio));
      }
      if (c.supports_video.has_value()) {
        w.TextElement("msav:supports-video", BoolName(*c.supports_video));
      }
      w.EndElement();
    }
    bool separator = false;
    if (!c.control_permission.empty()) {
      // The seed puts the application-sharing capabilities after a
      // separator.
      WriteSeparator(w);
      separator = true;
      w.StartElement("msas:capabilities");
      w.TextElement("msas:control-permission", c.control_permission);
      w.EndElement();
    }
    WriteExtensions(w, c.extensions, separator);
    w.EndElement();
  }
  const engine::EntityState& s = v.state;
  w.StartElement("msci:entity-state");
  if (!s.application.empty()) {
    w.Attribute("application", s.application);
  }
  WriteExtensionAttributes(w, s.attributes);
  if (s.locked.has_value()) {
    w.TextElement("msci:locked", BoolName(*s.locked));
  }
  if (!s.media.empty()) {
    w.StartElement("msci:media");
    for (const engine::EntityMedia& m : s.media) {
      WriteEntityMedia(w, m);
    }
    w.EndElement();
  }
  WriteExtensions(w, s.extensions);
  w.EndElement();
  WriteExtensions(w, v.extensions);
  w.EndElement();
  return std::move(w).Finish();
}

const std::string& EntityViewBytes(const engine::EntityView& v) {
  return Cached(v.rendered, [&] { return RenderEntityView(v); });
}

// The description is cached in four parts so that per-requester secrets slot
// in between (docs/CODEC.md):
//
//   [0] <conference-description> display-text subject free-text keywords
//   [1] conf-uris entries (no wrapper: the encrypted entries join them)
//   [2] service-uris maximum-user-count available-media msci:conference-id
//       msci:expiry-time msci:admission-policy
//       <- msci:conference-key goes here
//   [3] cis:separator msci:pstn-access msci:organizer msci:join-url
//       extensions </conference-description>
//
// The cached string starts with a header of three native-endian uint32
// offsets (the ends of parts 0, 1 and 2, relative to the end of the header).
constexpr size_t kDescriptionHeader = 3 * sizeof(uint32_t);

std::string RenderDescription(const engine::ConferenceDescription& d) {
  XmlWriter w(2048);
  w.Raw(absl::string_view("\0\0\0\0\0\0\0\0\0\0\0\0", kDescriptionHeader));
  uint32_t ends[3];
  w.StartElement("conference-description");
  WriteExtensionAttributes(w, d.attributes);
  TextElementIfSet(w, "display-text", d.display_text);
  TextElementIfSet(w, "subject", d.subject);
  TextElementIfSet(w, "free-text", d.free_text);
  if (!d.keywords.empty()) {
    std::string keywords;
    for (const std::string& k : d.keywords) {
      if (!keywords.empty()) {
        keywords += ' ';
      }
      keywords += k;
    }
    w.TextElement("keywords", keywords);
  }
  w.Raw("");  // closes the start tag so the part ends on a boundary
  ends[0] = static_cast<uint32_t>(w.size() - kDescriptionHeader);
  for (const engine::UriEntry& e : d.conf_uris) {
    WriteUriEntry(w, e);
  }
  ends[1] = static_cast<uint32_t>(w.size() - kDescriptionHeader);
  WriteUris(w, "service-uris", d.service_uris);
  if (d.maximum_user_count.has_value()) {
    w.TextElement("maximum-user-count", absl::StrCat(*d.maximum_user_count));
  }
  if (!d.available_media.empty()) {
    w.StartElement("available-media");
    for (const engine::AvailableMedia& m : d.available_media) {
      w.StartElement("entry");
      w.Attribute("label", m.label);
      WriteExtensionAttributes(w, m.attributes);
      TextElementIfSet(w, "display-text", m.display_text);
      w.TextElement("type", m.type);
      if (m.status.has_value()) {
        w.TextElement("status", MediaStatusName(*m.status));
      }
      WriteExtensions(w, m.extensions);
      w.EndElement();
    }
    w.EndElement();
  }
  TextElementIfSet(w, "msci:conference-id", d.conference_id);
  TextElementIfSet(w, "msci:expiry-time", d.expiry_time);
  if (d.admission_policy.has_value()) {
    w.TextElement("msci:admission-policy",
                  AdmissionPolicyName(*d.admission_policy));
  }
  ends[2] = static_cast<uint32_t>(w.size() - kDescriptionHeader);
  // Newer-generation items follow the separator, as pstn-access does in the
  // seed.
  const bool after_separator = d.pstn_access.has_value() ||
                               !d.organizer_display_name.empty() ||
                               !d.join_url.empty();
  if (after_separator) {
    WriteSeparator(w);
  }
  if (d.pstn_access.has_value()) {
    w.StartElement("msci:pstn-access");
    w.TextElement("msci:id", d.pstn_access->id);
    WriteExtensions(w, d.pstn_access->extensions);
    w.EndElement();
  }
  if (!d.organizer_display_name.empty()) {
    w.StartElement("msci:organizer");
    w.TextElement("msci:display-name", d.organizer_display_name);
    w.EndElement();
  }
  TextElementIfSet(w, "msci:join-url", d.join_url);
  WriteExtensions(w, d.extensions, after_separator);
  w.EndElement();
  std::string out = std::move(w).Finish();
  std::memcpy(&out[0], ends, kDescriptionHeader);
  return out;
}

// `write_secret(text)` writes the text of a secret's msci:cms-data: a full
// document splices it in without copying it into the skeleton.
// The four cached parts of a description (see above), rendered first if
// the description has none yet. The views point into its render slot.
struct DescriptionParts {
  absl::string_view head;
  absl::string_view entries;
  absl::string_view middle;
  absl::string_view tail;
};

DescriptionParts CachedDescription(const engine::ConferenceDescription& d) {
  const std::string& cached =
      Cached(d.rendered, [&] { return RenderDescription(d); });
  uint32_t ends[3];
  std::memcpy(ends, cached.data(), kDescriptionHeader);
  const absl::string_view body =
      absl::string_view(cached).substr(kDescriptionHeader);
  return DescriptionParts{
      body.substr(0, ends[0]), body.substr(ends[0], ends[1] - ends[0]),
      body.substr(ends[1], ends[2] - ends[1]), body.substr(ends[2])};
}

// A description without secrets (notifications).
void WriteDescription(XmlWriter& w, const engine::ConferenceDescription& d) {
  const DescriptionParts parts = CachedDescription(d);
  w.Raw(parts.head);
  if (!parts.entries.empty()) {
    w.StartElement("conf-uris");
    w.Raw(parts.entries);
    w.EndElement();
  }
  w.Raw(parts.middle);
  w.Raw(parts.tail);
}

void WriteHostInfo(XmlWriter& w, const engine::HostInfo& h) {
  w.StartElement("host-info");
  TextElementIfSet(w, "display-text", h.display_text);
  TextElementIfSet(w, "web-page", h.web_page);
  WriteUris(w, "uris", h.uris);
  WriteExtensions(w, h.extensions);
  w.EndElement();
}

void WriteConferenceState(XmlWriter& w, const engine::ConferenceState& s) {
  w.StartElement("conference-state");
  w.TextElement("user-count", absl::StrCat(s.user_count));
  w.TextElement("active", BoolName(s.active));
  w.TextElement("locked", BoolName(s.locked));
  w.EndElement();
}

// Opens the root; returns the offset of the version digits.
size_t StartRoot(XmlWriter& w, const engine::ConferenceId& entity,
                 ElementState state) {
  w.Raw(kXmlDeclaration);
  w.StartElement("conference-info");
  DeclareNamespaces(w);
  w.Attribute("entity", entity.value());
  w.Attribute("state", StateName(state));
  w.Attribute("version", "");
  return w.size() - 1;  // between the quotes
}

// What every full document's root start tag begins with: the declaration,
// `<conference-info` and the namespace declarations (StartRoot's first
// bytes).
const std::string& RootPrefix() {
  static const std::string* const kPrefix = new std::string(absl::StrCat(
      kXmlDeclaration, "<conference-info", NamespaceDeclarations()));
  return *kPrefix;
}

// The parts of a full document that depend on the snapshot only, rendered
// once per snapshot into ConferenceSnapshot::rendered:
//
//   [root]  ` entity="..." state="full" version="` (after RootPrefix)
//   [after description]  host-info, conference-state (and an empty
//           conference-description if the snapshot has none)
//
// A new version renders its frame before its first document, so the frame is
// written by one small writer as the root's own start tag and children (no
// namespace declarations, which RootPrefix holds). The cached string starts
// with a header of four native-endian uint32: offset and size of [root],
// offset and size of [after description]; the bytes between and around them
// (`<conference-info`, the `>` closing its start tag, its end tag) are not
// used.
struct SnapshotFrame {
  absl::string_view root;
  absl::string_view after_description;
};

constexpr size_t kFrameHeader = 4 * sizeof(uint32_t);

std::string RenderFrame(const engine::ConferenceSnapshot& s) {
  XmlWriter w(512);
  w.Raw(absl::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", kFrameHeader));
  uint32_t parts[4];
  w.StartElement("conference-info");
  parts[0] = static_cast<uint32_t>(w.size());
  w.Attribute("entity", s.entity.value());
  w.Attribute("state", StateName(ElementState::kFull));
  w.RawAttributes(" version=\"");
  parts[1] = static_cast<uint32_t>(w.size()) - parts[0];
  w.Raw("");  // the `>` after the version digits is the document's own
  parts[2] = static_cast<uint32_t>(w.size());
  if (s.description == nullptr) {
    // RFC 4575 §5.2: a full document carries a description.
    w.StartElement("conference-description");
    w.EndElement();
  }
  if (s.host_info != nullptr) {
    WriteHostInfo(w, *s.host_info);
  }
  if (s.state != nullptr) {
    WriteConferenceState(w, *s.state);
  }
  parts[3] = static_cast<uint32_t>(w.size()) - parts[2];
  w.EndElement();
  std::string out = std::move(w).Finish();
  std::memcpy(&out[0], parts, kFrameHeader);
  return out;
}

SnapshotFrame Frame(const engine::ConferenceSnapshot& s) {
  const std::string& cached =
      Cached(s.rendered, [&] { return RenderFrame(s); });
  uint32_t parts[4];
  std::memcpy(parts, cached.data(), kFrameHeader);
  const absl::string_view bytes(cached);
  return SnapshotFrame{bytes.substr(parts[0], parts[1]),
                       bytes.substr(parts[2], parts[3])};
}

EncodedDocument FinishDocument(XmlWriter&& w, size_t version_offset,
                               uint64_t version) {
  // The writer's buffer becomes the document's: no copy.
  const size_t size = w.size();
  std::shared_ptr<const char> bytes(std::move(w).ReleaseBuffer().release(),
                                    std::default_delete<const char[]>());
  return EncodedDocument(std::move(bytes), size, kXmlDeclaration.size(),
                         version_offset, static_cast<uint32_t>(version));
}

void WriteDeletedKeyed(XmlWriter& w, absl::string_view element,
                       absl::string_view state_attribute,
                       absl::string_view key_attribute, absl::string_view key) {
  w.StartElement(element);
  w.Attribute(state_attribute, "deleted");
  w.Attribute(key_attribute, key);
  w.EndElement();
}

// One user change in a partial document (RFC 4575 §4.4).
void WriteUserChange(XmlWriter& w, const engine::UserChange& change) {
  switch (change.kind) {
    case ChangeKind::kFull:
      w.Raw(UserBytes(*change.user));
      return;
    case ChangeKind::kDeleted:
      w.StartElement("user");
      w.Attribute("entity", change.entity.value());
      w.Attribute("state", "deleted");
      w.EndElement();
      return;
    case ChangeKind::kPartial:
      break;
  }
  const engine::User& u = *change.user;
  w.StartElement("user");
  w.Attribute("entity", u.entity.value());
  w.Attribute("state", "partial");
  WriteExtensionAttributes(w, u.attributes);
  WriteUserHead(w, u);
  for (const engine::EndpointChange& ec : change.endpoints) {
    if (ec.kind == ChangeKind::kDeleted) {
      w.StartElement("endpoint");
      w.Attribute("entity", ec.entity.value());
      w.Attribute("state", "deleted");
      w.EndElement();
    } else {
      // Full: also for a media change, since media has no `state`
      // (PROTOCOL.md §3.6).
      w.Raw(EndpointBytes(*ec.endpoint));
    }
  }
  WriteExtensions(w, u.extensions);
  w.EndElement();
}

// The markup of one list of a full document (`users`, `msci:conference-view`,
// `msci:lobby`, each with its state="full" attribute), rendered by XmlWriter
// once per process: the start and end tags around a list with elements, and
// the self-closing tag of an empty list.
struct ListMarkup {
  std::string open;
  std::string close;
  std::string empty;
};

ListMarkup RenderListMarkup(absl::string_view name,
                            absl::string_view state_attribute) {
  ListMarkup markup;
  XmlWriter empty(128);
  empty.StartElement(name);
  empty.Attribute(state_attribute, "full");
  empty.EndElement();
  markup.empty = std::string(empty.view());
  XmlWriter w(128);
  w.StartElement(name);
  w.Attribute(state_attribute, "full");
  w.Raw("");  // closes the start tag, as a first element would
  markup.open = std::string(w.view());
  const size_t end = w.size();
  w.EndElement();
  markup.close = std::string(w.view().substr(end));
  return markup;
}

struct FullListsMarkup {
  ListMarkup users;
  ListMarkup views;
  ListMarkup lobby;
};

const FullListsMarkup& FullLists() {
  static const FullListsMarkup* const kMarkup =
      new FullListsMarkup{RenderListMarkup("users", "state"),
                          RenderListMarkup("msci:conference-view", "ci:state"),
                          RenderListMarkup("msci:lobby", "ci:state")};
  return *kMarkup;
}

// A full document before assembly: a list of runs of bytes that outlive it
// (the root prefix, the snapshot's frame, the description's cached parts,
// the secrets' markup and base64, list tags, roster chunks, views and lobby
// users) and, between them, a small skeleton of the bytes that are not
// cached anywhere (version digits, the conf-uris tags, extensions, escaped
// secrets) written by an XmlWriter. Its exact size is known before a byte of
// it is copied, so it is written once into a buffer of that size, with no
// zero fill, reallocation or second copy (docs/CODEC.md, "Render once, copy
// many").
class FullDocument {
 public:
  // `version` goes between the root's version quotes (may be empty, for an
  // EncodedDocument that fills it in per subscriber).
  FullDocument(const engine::ConferenceSnapshot& snapshot, const Viewer& viewer,
               const DocumentSecrets* secrets, XmlDeclaration declaration,
               absl::string_view version)
      : skeleton_(skeleton_scratch_, sizeof(skeleton_scratch_)) {
    XmlWriter& w = skeleton_;
    // The root's start tag, host-info and conference-state come from the
    // snapshot's frame; the root is closed by hand at the end, as the
    // writer does not track it.
    const SnapshotFrame frame = Frame(snapshot);
    const absl::string_view prefix(RootPrefix());
    SpliceStable(declaration == XmlDeclaration::kOmit
                     ? prefix.substr(kXmlDeclaration.size())
                     : prefix);
    SpliceStable(frame.root);
    version_offset_ = spliced_ + w.size();
    w.Raw(version);
    w.Raw("\">");
    if (snapshot.description != nullptr) {
      SpliceDescription(*snapshot.description, secrets);
    }
    SpliceStable(frame.after_description);
    const FullListsMarkup& lists = FullLists();
    OpenList(lists.users);
    if (viewer.role != engine::ViewerRole::kLobbySelf) {
      // The roster is the same for every viewer who sees it: one splice per
      // chunk of users.
      for (const engine::UserMap::Chunk& chunk : snapshot.users.chunks()) {
        Splice(UserChunkBytes(chunk));
      }
    }
    CloseList();
    OpenList(lists.views);
    for (const auto& v : snapshot.views) {
      Splice(EntityViewBytes(*v));
    }
    CloseList();
    if (viewer.role != engine::ViewerRole::kAttendee) {
      OpenList(lists.lobby);
      for (const std::shared_ptr<const engine::User>& u : snapshot.lobby) {
        if (engine::IsUserVisible(viewer.role, viewer.user, UserList::kLobby,
                                  u->entity)) {
          Splice(UserBytes(*u));
        }
      }
      CloseList();
    }
    WriteExtensions(w, snapshot.extensions);
    w.Raw("</conference-info>");
    assert(w.depth() == 0);
  }

  FullDocument(const FullDocument&) = delete;
  FullDocument& operator=(const FullDocument&) = delete;

  // The document's size in bytes.
  size_t size() const { return skeleton_.size() + spliced_; }

  // Offset of the version digits in the document.
  size_t version_offset() const { return version_offset_; }

  // Calls `emit(data, size)` for each run of the document in order.
  template <typename Emit>
  void EmitTo(Emit&& emit) const {
    const char* const skeleton = skeleton_.view().data();
    size_t copied = 0;  // skeleton bytes already emitted
    for (const SpliceAt& s : splices_) {
      if (s.offset != copied) {
        emit(skeleton + copied, s.offset - copied);
        copied = s.offset;
      }
      emit(s.data, s.size);
    }
    if (copied != skeleton_.size()) {
      emit(skeleton + copied, skeleton_.size() - copied);
    }
  }

 private:
  struct SpliceAt {
    size_t offset;  // in the skeleton
    const char* data;
    size_t size;
  };

  // Room for the skeleton: the version, the conf-uris tags and the root's
  // end tag (about 60 bytes); extensions and secrets that need escaping
  // (which crypto never produces) grow it.
  static constexpr size_t kSkeletonReserve = 256;

  // Bytes that outlive the document (a cached element, static markup, or a
  // secret's base64 the caller keeps) at the current end of the skeleton.
  void Splice(absl::string_view bytes) {
    // Field by field: a SpliceAt built on the stack and copied in was read
    // back with one 16-byte load from two 8-byte stores, which the store
    // buffer cannot forward.
    SpliceAt& s = splices_.emplace_back();
    s.offset = skeleton_.size();
    s.data = bytes.data();
    s.size = bytes.size();
    spliced_ += bytes.size();
  }

  // Markup that outlives the document, outside any list; empty parts (of a
  // description without entries, say) are left out.
  void SpliceStable(absl::string_view bytes) {
    if (!bytes.empty()) {
      Splice(bytes);
    }
  }

  // A list's start tag; CloseList turns it into the self-closing tag if no
  // element was spliced after it (an empty list stays `<users .../>`).
  void OpenList(const ListMarkup& markup) {
    list_ = &markup;
    list_start_ = splices_.size();
    Splice(markup.open);
  }

  void CloseList() {
    if (splices_.size() == list_start_ + 1) {
      SpliceAt& open = splices_.back();
      spliced_ -= open.size;
      open.data = list_->empty.data();
      open.size = list_->empty.size();
      spliced_ += open.size;
    } else {
      Splice(list_->close);
    }
  }

  // The description's cached parts with the requester's secrets between
  // them. Base64 never needs escaping: a secret that passes the writer's
  // check is spliced, copied once, straight into the output.
  void SpliceDescription(const engine::ConferenceDescription& d,
                         const DocumentSecrets* secrets) {
    const DescriptionParts parts = CachedDescription(d);
    const bool web_internal =
        secrets != nullptr && !secrets->web_internal_uri.empty();
    const bool web_external =
        secrets != nullptr && !secrets->web_external_uri.empty();
    SpliceStable(parts.head);
    if (!parts.entries.empty() || web_internal || web_external) {
      // What StartElement, a first child and EndElement write.
      skeleton_.Raw("<conf-uris>");
      SpliceStable(parts.entries);
      if (web_internal) {
        SpliceSecret(Secrets().web_internal, secrets->web_internal_uri);
      }
      if (web_external) {
        SpliceSecret(Secrets().web_external, secrets->web_external_uri);
      }
      skeleton_.Raw("</conf-uris>");
    }
    SpliceStable(parts.middle);
    if (secrets != nullptr && !secrets->conference_key.empty()) {
      SpliceSecret(Secrets().conference_key, secrets->conference_key);
    }
    SpliceStable(parts.tail);
  }

  void SpliceSecret(const SecretMarkup& markup, absl::string_view text) {
    SpliceStable(markup.before);
    if (IsVerbatimText(text)) {
      SpliceStable(text);
    } else {
      skeleton_.Text(text);
    }
    SpliceStable(markup.after);
  }

  // The skeleton's first kSkeletonReserve bytes live in the document
  // itself (a local of the encoder): no allocation per document.
  char skeleton_scratch_[kSkeletonReserve];
  XmlWriter skeleton_;
  const ListMarkup* list_ = nullptr;  // the list opened last
  size_t list_start_ = 0;             // index of its start tag's splice
  size_t version_offset_ = 0;
  // A 100-user document with secrets has about 30 runs (root and frame,
  // description parts, secrets, list tags, roster chunks, views): no
  // allocation for them.
  absl::InlinedVector<SpliceAt, 48> splices_;
  size_t spliced_ = 0;
};

// Writes byte runs into `*out`, replacing its content with exactly `size`
// bytes. When `out` already holds at least `size` bytes (a buffer reused for
// the same kind of answer) the runs are copied over them in place; otherwise
// it is cleared and reserved, and the runs are appended, so neither path
// zero-fills.
class ReplacingSink {
 public:
  ReplacingSink(std::string* out, size_t size) : out_(out) {
    if (out->size() >= size) {
      out->resize(size);  // shrinks: no fill
      cursor_ = &(*out)[0];
    } else {
      out->clear();
      out->reserve(size);
    }
  }
  void operator()(const char* data, size_t size) {
    if (size == 0) {
      return;  // also keeps a null `data` away from memcpy
    }
    if (cursor_ != nullptr) {
      std::memcpy(cursor_, data, size);
      cursor_ += size;
    } else {
      out_->append(data, size);
    }
  }

 private:
  std::string* const out_;
  char* cursor_ = nullptr;
};

// The decimal digits of a root version (xs:unsignedInt).
class VersionDigits {
 public:
  explicit VersionDigits(uint32_t version)
      : end_(absl::numbers_internal::FastIntToBuffer(version, digits_)) {}
  absl::string_view view() const {
    return absl::string_view(digits_, static_cast<size_t>(end_ - digits_));
  }

 private:
  char digits_[absl::numbers_internal::kFastToBufferSize];
  char* end_;
};

}  // namespace

// ---------------------------------------------------------------------------

EncodedDocument::EncodedDocument(std::shared_ptr<const std::string> bytes,
                                 size_t declaration_size, size_t version_offset,
                                 uint32_t default_version)
    : EncodedDocument(
          // Aliases the string's bytes, owned by `bytes`.
          std::shared_ptr<const char>(bytes, bytes->data()), bytes->size(),
          declaration_size, version_offset, default_version) {}

EncodedDocument::EncodedDocument(std::shared_ptr<const char> bytes, size_t size,
                                 size_t declaration_size, size_t version_offset,
                                 uint32_t default_version)
    : bytes_(std::move(bytes)),
      size_(size),
      declaration_size_(declaration_size),
      version_offset_(version_offset),
      default_version_(default_version) {
  assert(declaration_size_ <= version_offset_);
  assert(version_offset_ <= size_);
}

absl::string_view EncodedDocument::prefix(XmlDeclaration declaration) const {
  const size_t start =
      declaration == XmlDeclaration::kOmit ? declaration_size_ : 0;
  return absl::string_view(bytes_.get() + start, version_offset_ - start);
}

absl::string_view EncodedDocument::suffix() const {
  return absl::string_view(bytes_.get() + version_offset_,
                           size_ - version_offset_);
}

std::string EncodedDocument::WithVersion(uint32_t version,
                                         XmlDeclaration declaration) const {
  const VersionDigits digits(version);
  const absl::string_view p = prefix(declaration);
  const absl::string_view s = suffix();
  std::string out;
  out.reserve(p.size() + digits.view().size() + s.size());
  out.append(p.data(), p.size());
  out.append(digits.view().data(), digits.view().size());
  out.append(s.data(), s.size());
  return out;
}

EncodedDocument EncodeConferenceInfo(const engine::ConferenceSnapshot& snapshot,
                                     const Viewer& viewer,
                                     const DocumentSecrets* secrets) {
  const FullDocument document(snapshot, viewer, secrets,
                              XmlDeclaration::kInclude, absl::string_view());
  const size_t size = document.size();
  // new char[] leaves the bytes uninitialized: each is written once, below.
  std::shared_ptr<char> bytes(new char[size], std::default_delete<char[]>());
  char* cursor = bytes.get();
  document.EmitTo([&cursor](const char* data, size_t n) {
    std::memcpy(cursor, data, n);
    cursor += n;
  });
  assert(cursor == bytes.get() + size);
  return EncodedDocument(std::shared_ptr<const char>(std::move(bytes)), size,
                         kXmlDeclaration.size(), document.version_offset(),
                         static_cast<uint32_t>(snapshot.version));
}

void EncodeConferenceInfo(const engine::ConferenceSnapshot& snapshot,
                          const Viewer& viewer, const DocumentSecrets* secrets,
                          std::string* out) {
  internal::EncodeConferenceInfoBetween(
      snapshot, viewer, secrets, XmlDeclaration::kInclude, absl::string_view(),
      absl::string_view(), out);
}

namespace internal {

void EncodeConferenceInfoBetween(const engine::ConferenceSnapshot& snapshot,
                                 const Viewer& viewer,
                                 const DocumentSecrets* secrets,
                                 XmlDeclaration declaration,
                                 absl::string_view head, absl::string_view tail,
                                 std::string* out) {
  const VersionDigits version(static_cast<uint32_t>(snapshot.version));
  const FullDocument document(snapshot, viewer, secrets, declaration,
                              version.view());
  ReplacingSink sink(out, head.size() + document.size() + tail.size());
  sink(head.data(), head.size());
  document.EmitTo(sink);
  sink(tail.data(), tail.size());
}

}  // namespace internal

std::optional<EncodedDocument> EncodeConferenceInfoDelta(
    const engine::ConferenceDelta& delta, const Viewer& viewer) {
  if (delta.kind == engine::DeltaKind::kConferenceDeleted) {
    return EncodeConferenceInfoDeleted(delta.conference,
                                       static_cast<uint32_t>(delta.version));
  }
  auto visible = [&](const engine::UserChange& c, UserList list) {
    return c.list == list &&
           engine::IsChangeVisible(viewer.role, viewer.user, c);
  };
  bool any_roster = false;
  bool any_lobby = false;
  for (const engine::UserChange& c : delta.users) {
    any_roster |= visible(c, UserList::kRoster);
    any_lobby |= visible(c, UserList::kLobby);
  }
  if (delta.description == nullptr && delta.host_info == nullptr &&
      delta.state == nullptr && !any_roster && !any_lobby &&
      delta.views.empty()) {
    return std::nullopt;
  }

  XmlWriter w(4096);
  const size_t version_offset =
      StartRoot(w, delta.conference, ElementState::kPartial);
  // Atomic elements are re-sent whole (RFC 4575 §4.4); notifications never
  // carry per-requester secrets.
  if (delta.description != nullptr) {
    WriteDescription(w, *delta.description);
  }
  if (delta.host_info != nullptr) {
    WriteHostInfo(w, *delta.host_info);
  }
  if (delta.state != nullptr) {
    WriteConferenceState(w, *delta.state);
  }
  if (any_roster) {
    w.StartElement("users");
    w.Attribute("state", "partial");
    for (const engine::UserChange& c : delta.users) {
      if (visible(c, UserList::kRoster)) {
        WriteUserChange(w, c);
      }
    }
    w.EndElement();
  }
  if (!delta.views.empty()) {
    w.StartElement("msci:conference-view");
    w.Attribute("ci:state", "partial");
    for (const engine::EntityViewChange& c : delta.views) {
      if (c.kind == ChangeKind::kDeleted) {
        WriteDeletedKeyed(w, "msci:entity-view", "ci:state", "entity",
                          c.entity);
      } else {
        w.Raw(EntityViewBytes(*c.view));
      }
    }
    w.EndElement();
  }
  if (any_lobby) {
    w.StartElement("msci:lobby");
    w.Attribute("ci:state", "partial");
    for (const engine::UserChange& c : delta.users) {
      if (visible(c, UserList::kLobby)) {
        WriteUserChange(w, c);
      }
    }
    w.EndElement();
  }
  w.EndElement();
  return FinishDocument(std::move(w), version_offset, delta.version);
}

EncodedDocument EncodeConferenceInfoDeleted(
    const engine::ConferenceId& conference, uint32_t version) {
  XmlWriter w(512);
  const size_t version_offset =
      StartRoot(w, conference, ElementState::kDeleted);
  w.EndElement();
  return FinishDocument(std::move(w), version_offset, version);
}

std::string EncodeUserFragment(const engine::User& user) {
  return RenderUser(user, Namespaces::kDeclared);
}

std::string EncodeConferenceEntityFragment(const engine::ConferenceId& entity) {
  XmlWriter w(256);
  w.StartElement("conference-info");
  w.Attribute("xmlns", kConferenceInfoNamespace);
  w.Attribute("entity", entity.value());
  w.EndElement();
  return std::move(w).Finish();
}

}  // namespace codec
}  // namespace conf
