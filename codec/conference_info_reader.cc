#include "codec/conference_info_reader.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"

#include "base/check.h"
#include "codec/c3p_request.h"
#include "codec/conference_info.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// The namespaces names are matched in, as XmlElement::ns_id values.
enum class Ns : int {
  kOther = 0,  // no namespace, or one not listed here
  kCi,
  kMsci,
};

// In Ns order, from Ns::kCi.
constexpr absl::string_view kKnownNamespaces[] = {kConferenceInfoNamespace,
                                                  kMsciNamespace};
static_assert(sizeof(kKnownNamespaces) / sizeof(kKnownNamespaces[0]) ==
                  static_cast<size_t>(Ns::kMsci),
              "kKnownNamespaces must list every Ns but kOther, in order");

bool IsCi(const XmlElement& e) { return e.ns_id == static_cast<int>(Ns::kCi); }
bool Is(const XmlElement& e, Ns ns, absl::string_view local) {
  return e.IsKnown(static_cast<int>(ns), local);
}

// RFC 4575 children that are not read, per parent (RFC 4575 §5, the XSD's
// sequences). Any other conference-info child of these parents is refused.
constexpr absl::string_view kRootSkipped[] = {"host-info", "sidebars-by-ref",
                                              "sidebars-by-val"};
constexpr absl::string_view kDescriptionSkipped[] = {"available-media"};
constexpr absl::string_view kUriSkipped[] = {"modified"};
constexpr absl::string_view kUserSkipped[] = {"associated-aors", "languages",
                                              "cascaded-focus"};
constexpr absl::string_view kEndpointSkipped[] = {
    "referred", "joining-info", "disconnection-info", "call-info"};

bool IsSkipped(absl::Span<const absl::string_view> skipped,
               const XmlElement& e) {
  for (absl::string_view name : skipped) {
    if (e.local_name == name) {
      return true;
    }
  }
  return false;
}

// The attribute with this known namespace and local name, or nullptr.
const XmlAttribute* FindAttribute(const XmlElement& e, Ns ns,
                                  absl::string_view local) {
  for (const XmlAttribute& a : e.attributes) {
    if (a.ns_id == static_cast<int>(ns) && a.local_name == local) {
      return &a;
    }
  }
  return nullptr;
}

// The value of the msci attribute `local`, or of the unprefixed one; "" when
// neither is there.
absl::string_view MsciAttribute(const XmlElement& e, absl::string_view local) {
  const XmlAttribute* a = FindAttribute(e, Ns::kMsci, local);
  if (a == nullptr) {
    a = e.FindAttribute("", local);
  }
  return a == nullptr ? absl::string_view() : a->value;
}

// The next element after `e` in document order within `root`'s subtree, or
// nullptr: a walk with no recursion and no stack.
const XmlElement* NextInTree(const XmlElement* e, const XmlElement* root) {
  if (e->first_child != nullptr) {
    return e->first_child;
  }
  for (; e != root; e = e->parent) {
    if (e->next_sibling != nullptr) {
      return e->next_sibling;
    }
  }
  return nullptr;
}

// Upper bounds on what a document's lists hold: every element with the name
// of a list item, wherever it stands. The arrays are reserved to these once,
// so the spans taken into them stay valid.
struct ItemCounts {
  size_t users = 0;
  size_t endpoints = 0;
  size_t media = 0;
  size_t roles = 0;
  size_t uris = 0;
  size_t views = 0;
};

ItemCounts CountItems(const XmlElement& root) {
  ItemCounts n;
  for (const XmlElement* e = &root; e != nullptr; e = NextInTree(e, &root)) {
    if (Is(*e, Ns::kMsci, "entity-view")) {
      ++n.views;
    } else if (!IsCi(*e)) {
      continue;
    } else if (e->local_name == "user") {
      ++n.users;
    } else if (e->local_name == "endpoint") {
      ++n.endpoints;
    } else if (e->local_name == "media") {
      ++n.media;
    } else if (e->local_name == "entry" && e->parent != nullptr &&
               IsCi(*e->parent)) {
      if (e->parent->local_name == "roles") {
        ++n.roles;
      } else {
        ++n.uris;
      }
    }
  }
  return n;
}

// Appends to an array reserved from CountItems. Never reallocates: the count
// is of every element that could be appended, so this holds for any input.
template <typename T>
T* Append(std::vector<T>& items) {
  CONF_CHECK(items.size() < items.capacity());
  return &items.emplace_back();
}

template <typename T>
absl::Span<const T> Tail(const std::vector<T>& items, size_t begin) {
  return absl::MakeConstSpan(items.data() + begin, items.size() - begin);
}

// The single-valued children of one element read so far, by the field each
// fills, so that a second copy is refused.
class SingleChildren {
 public:
  // False when `field` was filled before.
  bool First(const void* field) {
    for (const void* f : filled_) {
      if (f == field) {
        return false;
      }
    }
    filled_.push_back(field);
    return true;
  }

 private:
  absl::InlinedVector<const void*, 16> filled_;
};

// `status` with `lead` before its message, code and payloads kept (the
// parser-disagreement payload among them).
absl::Status WithLead(const absl::Status& status, absl::string_view lead) {
  absl::Status out(status.code(), absl::StrCat(lead, status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

}  // namespace

// Walks an XmlDocument into a ConferenceInfoDocument. One per parse.
class ConferenceInfoReader {
 public:
  // The whole of ParseConferenceInfo.
  static absl::StatusOr<ConferenceInfoDocument> Run(std::vector<char> body,
                                                    const ParseLimits& limits);

 private:
  explicit ConferenceInfoReader(ConferenceInfoDocument* doc)
      : doc_(*doc), xml_(*doc->xml_) {}

  absl::Status Error(const XmlElement& e, absl::string_view what) const;
  absl::Status Unexpected(const XmlElement& child) const;
  absl::Status Missing(const XmlElement& e, absl::string_view what) const;

  absl::Status ReadState(const XmlElement& e, ElementState* out) const;
  absl::Status Key(const XmlElement& e, absl::string_view attribute,
                   absl::string_view* out) const;
  absl::Status TextOf(const XmlElement& c, absl::string_view* out) const;
  absl::Status Text(const XmlElement& c, SingleChildren& seen,
                    absl::string_view* out) const;
  absl::Status Text(const XmlElement& c, SingleChildren& seen,
                    std::optional<absl::string_view>* out) const;
  absl::Status Count(const XmlElement& c, SingleChildren& seen,
                     std::optional<uint32_t>* out) const;
  absl::Status Bool(const XmlElement& c, SingleChildren& seen,
                    std::optional<bool>* out) const;
  absl::Status Once(const XmlElement& c, SingleChildren& seen,
                    const void* field) const;
  absl::Status NestedText(const XmlElement& c, SingleChildren& seen,
                          absl::string_view child, absl::string_view* out);

  absl::Status ReadRoot();
  absl::Status ReadRootChild(const XmlElement& c, SingleChildren& seen);
  absl::Status ReadDescription(const XmlElement& e, CiDescription* out);
  absl::Status ReadDescriptionExtension(const XmlElement& c,
                                        SingleChildren& seen,
                                        CiDescription* out);
  absl::Status ReadUriList(const XmlElement& e, CiUriList* out);
  absl::Status ReadUri(const XmlElement& e, CiUri* out);
  absl::Status ReadConferenceState(const XmlElement& e, CiConferenceState* out);
  absl::Status ReadUserList(const XmlElement& e, CiUserList* out);
  absl::Status ReadUser(const XmlElement& e, CiUser* out);
  absl::Status ReadRoles(const XmlElement& e, CiUser* out);
  absl::Status ReadEndpoint(const XmlElement& e, CiEndpoint* out);
  absl::Status ReadMedia(const XmlElement& e, CiMedia* out);
  absl::Status ReadConferenceView(const XmlElement& e, CiEntityViewList* out);
  absl::Status ReadEntityView(const XmlElement& e, CiEntityView* out);

  ConferenceInfoDocument& doc_;
  const XmlDocument& xml_;
};

absl::Status ConferenceInfoReader::Error(const XmlElement& e,
                                         absl::string_view what) const {
  return absl::InvalidArgumentError(
      absl::StrCat("conference-info: ", what, " at ", xml_.Where(e.offset)));
}

absl::Status ConferenceInfoReader::Unexpected(const XmlElement& child) const {
  return Error(
      child, absl::StrCat("unexpected element <", EscapeForError(child.qname),
                          "> in <", EscapeForError(child.parent->qname), ">"));
}

absl::Status ConferenceInfoReader::Missing(const XmlElement& e,
                                           absl::string_view what) const {
  return Error(e,
               absl::StrCat("<", EscapeForError(e.qname), "> has no ", what));
}

// `state` as RFC 4575 writes it, or `ci:state` as Microsoft's extension
// elements do (MS-CONFBAS 4.4.10); full when absent (RFC 4575 §4.4).
absl::Status ConferenceInfoReader::ReadState(const XmlElement& e,
                                             ElementState* out) const {
  const XmlAttribute* a = e.FindAttribute("", "state");
  if (a == nullptr) {
    a = FindAttribute(e, Ns::kCi, "state");
  }
  if (a == nullptr || a->value == "full") {
    *out = ElementState::kFull;
  } else if (a->value == "partial") {
    *out = ElementState::kPartial;
  } else if (a->value == "deleted") {
    *out = ElementState::kDeleted;
  } else {
    return Error(e, absl::StrCat("<", EscapeForError(e.qname), "> has state \"",
                                 EscapeForError(a->value),
                                 "\" (expected full, partial or deleted)"));
  }
  return absl::OkStatus();
}

// The key attribute `attribute` (RFC 4575 §4.5), which must not be empty.
absl::Status ConferenceInfoReader::Key(const XmlElement& e,
                                       absl::string_view attribute,
                                       absl::string_view* out) const {
  const XmlAttribute* a = e.FindAttribute("", attribute);
  if (a == nullptr || a->value.empty()) {
    return Missing(e, attribute);
  }
  *out = a->value;
  return absl::OkStatus();
}

absl::Status ConferenceInfoReader::Once(const XmlElement& c,
                                        SingleChildren& seen,
                                        const void* field) const {
  if (!seen.First(field)) {
    return Error(c, absl::StrCat("second <", EscapeForError(c.qname), "> in <",
                                 EscapeForError(c.parent->qname), ">"));
  }
  return absl::OkStatus();
}

// The text of `c`, which must have no child elements (a text field).
absl::Status ConferenceInfoReader::TextOf(const XmlElement& c,
                                          absl::string_view* out) const {
  if (c.first_child != nullptr) {
    return Error(
        *c.first_child,
        absl::StrCat("element <", EscapeForError(c.first_child->qname),
                     "> where <", EscapeForError(c.qname), "> has text"));
  }
  *out = c.text;
  return absl::OkStatus();
}

absl::Status ConferenceInfoReader::Text(const XmlElement& c,
                                        SingleChildren& seen,
                                        absl::string_view* out) const {
  if (absl::Status s = Once(c, seen, out); !s.ok()) {
    return s;
  }
  return TextOf(c, out);
}

absl::Status ConferenceInfoReader::Text(
    const XmlElement& c, SingleChildren& seen,
    std::optional<absl::string_view>* out) const {
  if (absl::Status s = Once(c, seen, out); !s.ok()) {
    return s;
  }
  if (absl::Status s = TextOf(c, &out->emplace()); !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

// An xs:unsignedInt (white space around it collapsed, as XML Schema does).
absl::Status ConferenceInfoReader::Count(const XmlElement& c,
                                         SingleChildren& seen,
                                         std::optional<uint32_t>* out) const {
  absl::string_view text;
  if (absl::Status s = Once(c, seen, out); !s.ok()) {
    return s;
  }
  if (absl::Status s = TextOf(c, &text); !s.ok()) {
    return s;
  }
  uint32_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return Error(
        c, absl::StrCat("<", EscapeForError(c.qname), "> is \"",
                        EscapeForError(text), "\", not an xs:unsignedInt"));
  }
  *out = value;
  return absl::OkStatus();
}

// An xs:boolean: true, false, 1 or 0.
absl::Status ConferenceInfoReader::Bool(const XmlElement& c,
                                        SingleChildren& seen,
                                        std::optional<bool>* out) const {
  absl::string_view text;
  if (absl::Status s = Once(c, seen, out); !s.ok()) {
    return s;
  }
  if (absl::Status s = TextOf(c, &text); !s.ok()) {
    return s;
  }
  const absl::string_view value = absl::StripAsciiWhitespace(text);
  if (value == "true" || value == "1") {
    *out = true;
  } else if (value == "false" || value == "0") {
    *out = false;
  } else {
    return Error(c,
                 absl::StrCat("<", EscapeForError(c.qname), "> is \"",
                              EscapeForError(text), "\", not an xs:boolean"));
  }
  return absl::OkStatus();
}

// The text of `c`'s one msci child `child` (msci:conference-key/cms-data,
// msci:pstn-access/id, msci:organizer/display-name); other children are
// skipped.
absl::Status ConferenceInfoReader::NestedText(const XmlElement& c,
                                              SingleChildren& seen,
                                              absl::string_view child,
                                              absl::string_view* out) {
  if (absl::Status s = Once(c, seen, out); !s.ok()) {
    return s;
  }
  SingleChildren nested;
  for (const XmlElement* n = c.first_child; n != nullptr; n = n->next_sibling) {
    if (Is(*n, Ns::kMsci, child)) {
      if (absl::Status s = Text(*n, nested, out); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ConferenceInfoDocument> ConferenceInfoReader::Run(
    std::vector<char> body, const ParseLimits& limits) {
  absl::StatusOr<XmlDocument> xml =
      XmlDocument::Parse(std::move(body), limits, kKnownNamespaces);
  if (!xml.ok()) {
    return WithLead(xml.status(),
                    xml.status().code() == absl::StatusCode::kInvalidArgument
                        ? "conference-info: not well-formed XML: "
                        : "conference-info: ");
  }
  ConferenceInfoDocument doc;
  doc.xml_.emplace(*std::move(xml));
  ConferenceInfoReader reader(&doc);
  if (absl::Status s = reader.ReadRoot(); !s.ok()) {
    return s;
  }
  return doc;
}

absl::Status ConferenceInfoReader::ReadRoot() {
  const XmlElement& root = xml_.root();
  if (!Is(root, Ns::kCi, "conference-info")) {
    return Error(root,
                 absl::StrCat("root <", EscapeForError(root.qname),
                              "> in namespace \"", EscapeForError(root.ns_uri),
                              "\" is not conference-info in ",
                              kConferenceInfoNamespace));
  }
  const XmlAttribute* entity = root.FindAttribute("", "entity");
  if (entity == nullptr || entity->value.empty()) {
    return Error(root, "root has no entity");
  }
  doc_.entity = entity->value;
  // RFC 4575 §4.3: the root's version, an xs:unsignedInt, is required.
  const XmlAttribute* version = root.FindAttribute("", "version");
  if (version == nullptr) {
    return Error(root, "root has no version (an unsigned 32-bit integer)");
  }
  if (!absl::SimpleAtoi(version->value, &doc_.version)) {
    return Error(root, absl::StrCat("root has no version (an unsigned 32-bit "
                                    "integer), found \"",
                                    EscapeForError(version->value), "\""));
  }
  if (absl::Status s = ReadState(root, &doc_.state); !s.ok()) {
    return s;
  }
  // RFC 4575 §4.6 step 3: a deleted conference has nothing left to read.
  if (doc_.state == ElementState::kDeleted) {
    return absl::OkStatus();
  }

  const ItemCounts counts = CountItems(root);
  doc_.users_.reserve(counts.users);
  doc_.endpoints_.reserve(counts.endpoints);
  doc_.media_.reserve(counts.media);
  doc_.roles_.reserve(counts.roles);
  doc_.uris_.reserve(counts.uris);
  doc_.views_.reserve(counts.views);

  SingleChildren seen;
  for (const XmlElement* c = root.first_child; c != nullptr;
       c = c->next_sibling) {
    if (absl::Status s = ReadRootChild(*c, seen); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// One child of the root (RFC 4575 §5.1 conference-type, and the MS lists
// after `users`).
absl::Status ConferenceInfoReader::ReadRootChild(const XmlElement& c,
                                                 SingleChildren& seen) {
  if (Is(c, Ns::kMsci, "conference-view")) {
    if (absl::Status s = Once(c, seen, &doc_.conference_view); !s.ok()) {
      return s;
    }
    return ReadConferenceView(c, &doc_.conference_view.emplace());
  }
  if (Is(c, Ns::kMsci, "lobby")) {
    if (absl::Status s = Once(c, seen, &doc_.lobby); !s.ok()) {
      return s;
    }
    return ReadUserList(c, &doc_.lobby.emplace());
  }
  if (!IsCi(c) || IsSkipped(kRootSkipped, c)) {
    return absl::OkStatus();
  }
  if (c.local_name == "conference-description") {
    if (absl::Status s = Once(c, seen, &doc_.description); !s.ok()) {
      return s;
    }
    return ReadDescription(c, &doc_.description.emplace());
  }
  if (c.local_name == "conference-state") {
    if (absl::Status s = Once(c, seen, &doc_.conference_state); !s.ok()) {
      return s;
    }
    return ReadConferenceState(c, &doc_.conference_state.emplace());
  }
  if (c.local_name == "users") {
    if (absl::Status s = Once(c, seen, &doc_.users); !s.ok()) {
      return s;
    }
    return ReadUserList(c, &doc_.users.emplace());
  }
  return Unexpected(c);
}

// RFC 4575 §5.3 conference-description-type, and the MS items PROTOCOL.md
// §5.3 places in it.
absl::Status ConferenceInfoReader::ReadDescription(const XmlElement& e,
                                                   CiDescription* out) {
  SingleChildren seen;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::Status s;
    if (!IsCi(*c)) {
      s = ReadDescriptionExtension(*c, seen, out);
    } else if (c->local_name == "display-text") {
      s = Text(*c, seen, &out->display_text);
    } else if (c->local_name == "subject") {
      s = Text(*c, seen, &out->subject);
    } else if (c->local_name == "free-text") {
      s = Text(*c, seen, &out->free_text);
    } else if (c->local_name == "keywords") {
      s = Text(*c, seen, &out->keywords);
    } else if (c->local_name == "maximum-user-count") {
      s = Count(*c, seen, &out->maximum_user_count);
    } else if (c->local_name == "conf-uris" ||
               c->local_name == "service-uris") {
      std::optional<CiUriList>& list =
          c->local_name == "conf-uris" ? out->conf_uris : out->service_uris;
      s = Once(*c, seen, &list);
      if (s.ok()) {
        s = ReadUriList(*c, &list.emplace());
      }
    } else if (!IsSkipped(kDescriptionSkipped, *c)) {
      s = Unexpected(*c);
    }
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// A child of conference-description outside the conference-info namespace.
absl::Status ConferenceInfoReader::ReadDescriptionExtension(
    const XmlElement& c, SingleChildren& seen, CiDescription* out) {
  if (c.ns_id != static_cast<int>(Ns::kMsci)) {
    return absl::OkStatus();
  }
  if (c.local_name == "conference-id") {
    return Text(c, seen, &out->conference_id);
  }
  if (c.local_name == "expiry-time") {
    return Text(c, seen, &out->expiry_time);
  }
  if (c.local_name == "admission-policy") {
    return Text(c, seen, &out->admission_policy);
  }
  if (c.local_name == "join-url") {
    return Text(c, seen, &out->join_url);
  }
  if (c.local_name == "conference-key") {
    return NestedText(c, seen, "cms-data", &out->conference_key);
  }
  if (c.local_name == "pstn-access") {
    return NestedText(c, seen, "id", &out->pstn_access_id);
  }
  if (c.local_name == "organizer") {
    return NestedText(c, seen, "display-name", &out->organizer_display_name);
  }
  return absl::OkStatus();
}

// RFC 4575 §5.3.1 uris-type.
absl::Status ConferenceInfoReader::ReadUriList(const XmlElement& e,
                                               CiUriList* out) {
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  const size_t begin = doc_.uris_.size();
  if (out->state != ElementState::kDeleted) {
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      if (!IsCi(*c)) {
        continue;
      }
      if (c->local_name != "entry") {
        return Unexpected(*c);
      }
      if (absl::Status s = ReadUri(*c, Append(doc_.uris_)); !s.ok()) {
        return s;
      }
    }
  }
  out->entries = Tail(doc_.uris_, begin);
  return absl::OkStatus();
}

// RFC 4575 §5.3.1 uri-type, keyed by its `uri`.
absl::Status ConferenceInfoReader::ReadUri(const XmlElement& e, CiUri* out) {
  SingleChildren seen;
  bool has_uri = false;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::Status s;
    if (Is(*c, Ns::kMsci, "encrypted-uri")) {
      s = NestedText(*c, seen, "cms-data", &out->encrypted_uri);
    } else if (!IsCi(*c)) {
      continue;
    } else if (c->local_name == "uri") {
      has_uri = true;
      s = Text(*c, seen, &out->uri);
    } else if (c->local_name == "display-text") {
      s = Text(*c, seen, &out->display_text);
    } else if (c->local_name == "purpose") {
      s = Text(*c, seen, &out->purpose);
    } else if (!IsSkipped(kUriSkipped, *c)) {
      s = Unexpected(*c);
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (!has_uri || out->uri.empty()) {
    return Missing(e, "<uri>");
  }
  return absl::OkStatus();
}

// RFC 4575 §5.5 conference-state-type.
absl::Status ConferenceInfoReader::ReadConferenceState(const XmlElement& e,
                                                       CiConferenceState* out) {
  SingleChildren seen;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::Status s;
    if (!IsCi(*c)) {
      continue;
    } else if (c->local_name == "user-count") {
      s = Count(*c, seen, &out->user_count);
    } else if (c->local_name == "active") {
      s = Bool(*c, seen, &out->active);
    } else if (c->local_name == "locked") {
      s = Bool(*c, seen, &out->locked);
    } else {
      s = Unexpected(*c);
    }
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// RFC 4575 §5.6 users-type, or msci:lobby (docs/CODEC.md), whose users are
// in the conference-info namespace too.
absl::Status ConferenceInfoReader::ReadUserList(const XmlElement& e,
                                                CiUserList* out) {
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  const size_t begin = doc_.users_.size();
  if (out->state != ElementState::kDeleted) {
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      if (!IsCi(*c)) {
        continue;
      }
      if (c->local_name != "user") {
        if (IsCi(e)) {
          return Unexpected(*c);
        }
        continue;  // inside msci:lobby, Microsoft's content model
      }
      if (absl::Status s = ReadUser(*c, Append(doc_.users_)); !s.ok()) {
        return s;
      }
    }
  }
  out->users = Tail(doc_.users_, begin);
  return absl::OkStatus();
}

// RFC 4575 §5.6 user-type, keyed by `entity`.
absl::Status ConferenceInfoReader::ReadUser(const XmlElement& e, CiUser* out) {
  out->offset = e.offset;
  if (absl::Status s = Key(e, "entity", &out->entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  const size_t begin = doc_.endpoints_.size();
  if (out->state != ElementState::kDeleted) {
    SingleChildren seen;
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      absl::Status s;
      if (!IsCi(*c)) {
        continue;
      } else if (c->local_name == "endpoint") {
        s = ReadEndpoint(*c, Append(doc_.endpoints_));
      } else if (c->local_name == "display-text") {
        s = Text(*c, seen, &out->display_text);
      } else if (c->local_name == "roles") {
        s = Once(*c, seen, &out->roles);
        if (s.ok()) {
          s = ReadRoles(*c, out);
        }
      } else if (!IsSkipped(kUserSkipped, *c)) {
        s = Unexpected(*c);
      }
      if (!s.ok()) {
        return s;
      }
    }
  }
  out->endpoints = Tail(doc_.endpoints_, begin);
  return absl::OkStatus();
}

// RFC 4575 §5.6.3 user-roles-type: entry+.
absl::Status ConferenceInfoReader::ReadRoles(const XmlElement& e, CiUser* out) {
  const size_t begin = doc_.roles_.size();
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (!IsCi(*c)) {
      continue;
    }
    if (c->local_name != "entry") {
      return Unexpected(*c);
    }
    if (absl::Status s = TextOf(*c, Append(doc_.roles_)); !s.ok()) {
      return s;
    }
  }
  out->roles = Tail(doc_.roles_, begin);
  return absl::OkStatus();
}

// RFC 4575 §5.7 endpoint-type, keyed by `entity`, with the MS attributes
// (PROTOCOL.md §5.3).
absl::Status ConferenceInfoReader::ReadEndpoint(const XmlElement& e,
                                                CiEndpoint* out) {
  out->offset = e.offset;
  if (absl::Status s = Key(e, "entity", &out->entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  const size_t begin = doc_.media_.size();
  if (out->state != ElementState::kDeleted) {
    out->session_type = MsciAttribute(e, "session-type");
    out->endpoint_uri = MsciAttribute(e, "endpoint-uri");
    out->refer_to_uri = MsciAttribute(e, "refer-to-uri");
    out->session_on_behalf_of = MsciAttribute(e, "session-on-behalf-of");
    SingleChildren seen;
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      absl::Status s;
      if (!IsCi(*c)) {
        continue;
      } else if (c->local_name == "media") {
        s = ReadMedia(*c, Append(doc_.media_));
      } else if (c->local_name == "status") {
        s = Text(*c, seen, &out->status);
      } else if (c->local_name == "display-text") {
        s = Text(*c, seen, &out->display_text);
      } else if (c->local_name == "joining-method") {
        s = Text(*c, seen, &out->joining_method);
      } else if (c->local_name == "disconnection-method") {
        s = Text(*c, seen, &out->disconnection_method);
      } else if (!IsSkipped(kEndpointSkipped, *c)) {
        s = Unexpected(*c);
      }
      if (!s.ok()) {
        return s;
      }
    }
  }
  out->media = Tail(doc_.media_, begin);
  return absl::OkStatus();
}

// RFC 4575 §5.7.4 media-type, keyed by `id`, with msci:media-state and
// msci:media-source-id.
absl::Status ConferenceInfoReader::ReadMedia(const XmlElement& e,
                                             CiMedia* out) {
  out->offset = e.offset;
  if (absl::Status s = Key(e, "id", &out->id); !s.ok()) {
    return s;
  }
  SingleChildren seen;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::Status s;
    if (Is(*c, Ns::kMsci, "media-state")) {
      s = Text(*c, seen, &out->media_state);
    } else if (Is(*c, Ns::kMsci, "media-source-id")) {
      s = Text(*c, seen, &out->media_source_id);
    } else if (!IsCi(*c)) {
      continue;
    } else if (c->local_name == "display-text") {
      s = Text(*c, seen, &out->display_text);
    } else if (c->local_name == "type") {
      s = Text(*c, seen, &out->type);
    } else if (c->local_name == "label") {
      s = Text(*c, seen, &out->label);
    } else if (c->local_name == "src-id") {
      s = Text(*c, seen, &out->src_id);
    } else if (c->local_name == "status") {
      s = Text(*c, seen, &out->status);
    } else {
      s = Unexpected(*c);
    }
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// msci:conference-view (MS-CONFBAS 4.4.10): msci:entity-view*.
absl::Status ConferenceInfoReader::ReadConferenceView(const XmlElement& e,
                                                      CiEntityViewList* out) {
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  const size_t begin = doc_.views_.size();
  if (out->state != ElementState::kDeleted) {
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      if (!Is(*c, Ns::kMsci, "entity-view")) {
        continue;
      }
      if (absl::Status s = ReadEntityView(*c, Append(doc_.views_)); !s.ok()) {
        return s;
      }
    }
  }
  out->views = Tail(doc_.views_, begin);
  return absl::OkStatus();
}

// msci:entity-view, keyed by `entity`; of its content only
// msci:entity-state/msci:locked is read.
absl::Status ConferenceInfoReader::ReadEntityView(const XmlElement& e,
                                                  CiEntityView* out) {
  out->offset = e.offset;
  if (absl::Status s = Key(e, "entity", &out->entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadState(e, &out->state); !s.ok()) {
    return s;
  }
  if (out->state == ElementState::kDeleted) {
    return absl::OkStatus();
  }
  SingleChildren seen;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (!Is(*c, Ns::kMsci, "entity-state")) {
      continue;
    }
    // Keyed by the view: entity-state fills no field of its own.
    if (absl::Status s = Once(*c, seen, &e); !s.ok()) {
      return s;
    }
    SingleChildren state_children;
    for (const XmlElement* child = c->first_child; child != nullptr;
         child = child->next_sibling) {
      if (!Is(*child, Ns::kMsci, "locked")) {
        continue;
      }
      if (absl::Status s = Bool(*child, state_children, &out->locked);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

std::string ConferenceInfoDocument::Where(uint32_t offset) const {
  return xml_->Where(offset);
}

absl::StatusOr<ConferenceInfoDocument> ParseConferenceInfo(
    std::vector<char> body, const ParseLimits& limits) {
  return ConferenceInfoReader::Run(std::move(body), limits);
}

absl::StatusOr<ConferenceInfoDocument> ParseConferenceInfo(
    absl::string_view document, const ParseLimits& limits) {
  return ConferenceInfoReader::Run(
      std::vector<char>(document.begin(), document.end()), limits);
}

}  // namespace codec
}  // namespace conf
