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

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "codec/internal/element_encoders.h"
#include "codec/xml_writer.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace {

// Document assembly: roots, the snapshot's frame, full documents spliced
// from cached parts, partial and deleted documents. The per-element encoders
// are in internal/element_encoders.h.

using engine::ChangeKind;
using engine::UserList;
using internal::Cached;
using internal::CachedDescription;
using internal::DeclareNamespaces;
using internal::DescriptionParts;
using internal::EndpointBytes;
using internal::EntityViewBytes;
using internal::kConferenceInfoNamespace;
using internal::NamespaceDeclarations;
using internal::Namespaces;
using internal::RenderUser;
using internal::SecretMarkup;
using internal::Secrets;
using internal::UserBytes;
using internal::UserChunkBytes;
using internal::WriteConferenceState;
using internal::WriteDescription;
using internal::WriteExtensionAttributes;
using internal::WriteExtensions;
using internal::WriteHostInfo;
using internal::WriteUserHead;

constexpr absl::string_view kXmlDeclaration =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

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

// One user change in a partial document (RFC 4575 §4.4). A changed user is
// sent whole (state="full" inside users state="partial"), even when only
// some of its children changed: SIPE drops a user whose element in a
// notification holds no connected chat endpoint, so a partial user element
// would remove it from SIPE's roster (docs/CODEC.md, "Users in partial
// documents"). It costs nothing here: the user's bytes are cached.
void WriteUserChange(XmlWriter& w, const engine::UserChange& change) {
  if (change.kind == ChangeKind::kDeleted) {
    w.StartElement("user");
    w.Attribute("entity", change.entity.value());
    w.Attribute("state", "deleted");
    w.EndElement();
    return;
  }
  w.Raw(UserBytes(*change.user));
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
