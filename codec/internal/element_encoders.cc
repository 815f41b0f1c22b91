#include "codec/internal/element_encoders.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "codec/wire_names.h"
#include "codec/xml_writer.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace internal {
namespace {

// Marker URI of the encrypted web-join conf-uris entries (seed, MS-CONFBAS
// 4.4.7); the real URI is inside msci:encrypted-uri.
constexpr absl::string_view kEncryptedUriMarker =
    "http://schemas.microsoft.com/2008/05/confxmlenc#content";

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

bool IsSeparator(const engine::Extension& e) {
  return e.namespace_uri == kSeparatorNamespace && e.local_name == "separator";
}

void WriteSeparator(XmlWriter& w) {
  w.StartElement("cis:separator");
  w.EndElement();
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
  int separators = 0;
  if (info.lobby_capable.has_value()) {
    WriteSeparator(w);
    separators = 1;
    w.TextElement("msci2:lobby-capable", BoolName(*info.lobby_capable));
  }
  WriteExtensions(w, info.extensions, separators);
  w.EndElement();
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

// The description is cached in four parts so that per-requester secrets slot
// in between (docs/CODEC.md):
//
//   [0] <conference-description> display-text subject free-text keywords
//   [1] conf-uris entries (no wrapper: the encrypted entries join them)
//   [2] service-uris maximum-user-count available-media msci:conference-id
//       msci:expiry-time msci:admission-policy
//       msci:automatic-leader-assignment
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
  if (d.presenter_policy.has_value()) {
    w.TextElement("msci:automatic-leader-assignment",
                  WireName(kPresenterPolicyNames, *d.presenter_policy));
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
  WriteExtensions(w, d.extensions, after_separator ? 1 : 0);
  w.EndElement();
  std::string out = std::move(w).Finish();
  std::memcpy(&out[0], ends, kDescriptionHeader);
  return out;
}

}  // namespace

absl::string_view BoolName(bool b) { return b ? "true" : "false"; }

const std::string& StoreCached(const engine::RenderSlot& slot,
                               std::string bytes) {
  return *slot.SetOnce(std::make_shared<const std::string>(std::move(bytes)));
}

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

void WriteExtensions(XmlWriter& w,
                     const std::vector<engine::Extension>& extensions,
                     int separators_written) {
  for (const engine::Extension& e : extensions) {
    if (IsSeparator(e)) {
      continue;
    }
    const int wanted = std::max(1, e.separators_before);
    for (; separators_written < wanted; ++separators_written) {
      WriteSeparator(w);
    }
    w.Raw(e.raw_xml);
  }
}

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

std::string RenderUserChunk(const engine::UserMap::Chunk& chunk) {
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
}

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
    int separators = 0;
    if (!c.control_permission.empty()) {
      // The seed puts the application-sharing capabilities after a
      // separator.
      WriteSeparator(w);
      separators = 1;
      w.StartElement("msas:capabilities");
      w.TextElement("msas:control-permission", c.control_permission);
      w.EndElement();
    }
    WriteExtensions(w, c.extensions, separators);
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

}  // namespace internal
}  // namespace codec
}  // namespace conf
