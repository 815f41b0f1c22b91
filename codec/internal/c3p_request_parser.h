// Private to codec: the C3P request parser shared by c3p_request.cc (the
// envelope, the command table and one parser per command) and
// internal/c3p_request_elements.cc (one reader per element of
// conference-info content). Not a public API: include c3p_request.h.

#ifndef CONF_CODEC_INTERNAL_C3P_REQUEST_PARSER_H_
#define CONF_CODEC_INTERNAL_C3P_REQUEST_PARSER_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/c3p_request.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace internal {

// The namespaces names are matched in. XmlDocument::Parse compares each
// declaration's URI with these once; elements and attributes then carry the
// id (XmlElement::ns_id), and a name check is an integer compare.
enum class Ns : int {
  kOther = 0,  // no namespace, or one not listed here
  kCccp,
  kCi,
  kSeparator,
  kMsci,
  kMsci2008,
  kMscp,
};

// In Ns order, from Ns::kCccp.
inline constexpr absl::string_view kKnownNamespaces[] = {
    kCccpNamespace, kConferenceInfoNamespace, kSeparatorNamespace,
    kMsciNamespace, kMsci2008Namespace,       kMscpNamespace,
};
static_assert(sizeof(kKnownNamespaces) / sizeof(kKnownNamespaces[0]) ==
                  static_cast<size_t>(Ns::kMscp),
              "kKnownNamespaces must list every Ns but kOther, in order");

inline bool In(const XmlElement& e, Ns ns) {
  return e.ns_id == static_cast<int>(ns);
}
inline bool Is(const XmlElement& e, Ns ns, absl::string_view local) {
  return e.IsKnown(static_cast<int>(ns), local);
}
inline bool IsCi(const XmlElement& e) { return In(e, Ns::kCi); }
inline bool IsCccp(const XmlElement& e) { return In(e, Ns::kCccp); }
inline bool IsOurs(const XmlElement& e) { return IsCi(e) || IsCccp(e); }
inline bool IsSeparator(const XmlElement& e) {
  return Is(e, Ns::kSeparator, "separator");
}

// The attribute with this known namespace and local name, or nullptr.
inline const XmlAttribute* FindAttribute(const XmlElement& e, Ns ns,
                                         absl::string_view local) {
  for (const XmlAttribute& a : e.attributes) {
    if (a.ns_id == static_cast<int>(ns) && a.local_name == local)
      return &a;
  }
  return nullptr;
}

// The unqualified attribute `local`, or "" when absent.
inline absl::string_view Attr(const XmlElement& e, absl::string_view local) {
  const XmlAttribute* a = e.FindAttribute("", local);
  return a == nullptr ? absl::string_view() : a->value;
}

// What an element's reader made of one of its children (ReadChildren).
enum class Child {
  kRead,   // read into the element's view
  kOther,  // not one the element knows: the shared rules apply
};

// A command element's children by slot (c3p_request.cc).
struct CommandSlots;

}  // namespace internal

// Walks an XmlDocument into a C3pRequest. One per parse. Its members are
// public so that the command table (c3p_request.cc) can name them. The
// command parsers are in c3p_request.cc, the readers of conference-info
// content (users, endpoints, media, descriptions, views) in
// internal/c3p_request_elements.cc.
class C3pRequestParser {
 public:
  // The whole of ParseC3pRequest.
  static absl::StatusOr<C3pRequest> Run(std::vector<char> body,
                                        const ParseLimits& limits);

  // One per command (kCommands): reads the command's slots into
  // request_->command.
  absl::Status ParseAddConference(const XmlElement& e,
                                  const internal::CommandSlots& s);
  absl::Status ParseModifyConference(const XmlElement& e,
                                     const internal::CommandSlots& s);
  absl::Status ParseDeleteConference(const XmlElement& e,
                                     const internal::CommandSlots& s);
  absl::Status ParseGetConference(const XmlElement& e,
                                  const internal::CommandSlots& s);
  absl::Status ParseGetConferences(const XmlElement& e,
                                   const internal::CommandSlots& s);
  absl::Status ParseAddUser(const XmlElement& e,
                            const internal::CommandSlots& s);
  absl::Status ParseEndorseUser(const XmlElement& e,
                                const internal::CommandSlots& s);
  absl::Status ParseSetLobbyAccess(const XmlElement& e,
                                   const internal::CommandSlots& s);
  absl::Status ParseDeleteUser(const XmlElement& e,
                               const internal::CommandSlots& s);
  absl::Status ParseModifyUserRoles(const XmlElement& e,
                                    const internal::CommandSlots& s);
  absl::Status ParseModifyConferenceLock(const XmlElement& e,
                                         const internal::CommandSlots& s);
  absl::Status ParseModifyEndpointMedia(const XmlElement& e,
                                        const internal::CommandSlots& s);
  absl::Status ParseModifyEndpoint(const XmlElement& e,
                                   const internal::CommandSlots& s);
  // For the commands that carry nothing.
  template <typename Command>
  absl::Status ParseEmpty(const XmlElement&, const internal::CommandSlots&) {
    request_->command = Command{};
    return absl::OkStatus();
  }

 private:
  explicit C3pRequestParser(C3pRequest* request)
      : request_(request), doc_(*request->document_) {}

  absl::Status Parse();

  absl::Status Error(const XmlElement& e, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("c3p: ", what, " at ", doc_.Where(e.offset)));
  }
  absl::Status Unexpected(const XmlElement& child,
                          const XmlElement& parent) const {
    return Error(
        child, absl::StrCat("unexpected element <", EscapeForError(child.qname),
                            "> in <", EscapeForError(parent.qname), ">"));
  }
  absl::Status Required(const XmlElement& e, absl::string_view local,
                        absl::string_view* out) const {
    *out = internal::Attr(e, local);
    if (out->empty())
      return MissingAttribute(e, local);
    return absl::OkStatus();
  }
  absl::Status MissingAttribute(const XmlElement& e,
                                absl::string_view local) const {
    return Error(e, absl::StrCat("missing attribute ", local, " on <",
                                 EscapeForError(e.qname), ">"));
  }
  absl::Status Missing(const XmlElement& e, absl::string_view child) const {
    return Error(e, absl::StrCat("missing <", child, "> in <",
                                 EscapeForError(e.qname), ">"));
  }
  absl::Status Duplicate(const XmlElement& e) const {
    return Error(e, absl::StrCat("duplicate <", EscapeForError(e.qname), ">"));
  }
  // A leaf's text; refuses child elements.
  absl::Status Text(const XmlElement& e, absl::string_view* out) const {
    if (e.first_child != nullptr)
      return NotText(e);
    *out = e.text;
    return absl::OkStatus();
  }
  // For ReadChildren's readers: reads `c`'s text into `*field`, or, with no
  // field, leaves `c` to the shared rules.
  absl::Status TextField(const XmlElement& c, absl::string_view* field,
                         internal::Child* child) const {
    if (field == nullptr) {
      *child = internal::Child::kOther;
      return absl::OkStatus();
    }
    return Text(c, field);
  }
  // Text()'s error, out of line so that Text() is inlined.
  ABSL_ATTRIBUTE_NOINLINE absl::Status NotText(const XmlElement& e) const {
    return Error(*e.first_child, absl::StrCat("unexpected element in <",
                                              EscapeForError(e.qname), ">"));
  }
  absl::Status Boolean(const XmlElement& e, absl::string_view value,
                       bool* out) const {
    // xs:boolean, white space collapsed.
    const absl::string_view v = absl::StripAsciiWhitespace(value);
    if (v == "true" || v == "1") {
      *out = true;
    } else if (v == "false" || v == "0") {
      *out = false;
    } else {
      return Error(e, absl::StrCat("expected true or false in <",
                                   EscapeForError(e.qname), "> but found \"",
                                   EscapeForError(value), "\""));
    }
    return absl::OkStatus();
  }

  // The stripped text of leaf `e`, which must be a value of XML Schema
  // datatype `type` (`valid` checks it, codec/internal/xsd_values.h).
  absl::Status TypedText(const XmlElement& e, bool (*valid)(absl::string_view),
                         absl::string_view type, absl::string_view* out) const {
    absl::string_view text;
    if (absl::Status s = Text(e, &text); !s.ok())
      return s;
    text = absl::StripAsciiWhitespace(text);
    if (!valid(text))
      return NotOfType(e, text, type);
    *out = text;
    return absl::OkStatus();
  }
  absl::Status NotOfType(const XmlElement& e, absl::string_view value,
                         absl::string_view type) const {
    return Error(e,
                 absl::StrCat("\"", EscapeForError(value), "\" in <",
                              EscapeForError(e.qname), "> is not an ", type));
  }
  // An RFC 4575 element a request may not carry: kInvalidArgument for what
  // the focus alone sets, kUnimplemented for what confstate does not do.
  absl::Status Refuse(const XmlElement& e, absl::StatusCode code,
                      absl::string_view reason) const {
    return absl::Status(
        code, absl::StrCat("c3p: <", EscapeForError(e.qname), "> refused (",
                           reason, ") at ", doc_.Where(e.offset)));
  }

  C3pExtension Extension(const XmlElement& e, int separators) {
    request_->fragments_.push_back(
        std::make_unique<std::string>(doc_.SerializeFragment(e)));
    return C3pExtension{e.ns_uri, e.local_name, *request_->fragments_.back(),
                        separators};
  }
  // The attributes of `e` in foreign namespaces, but the msci ones named in
  // `modelled` (read into the element's view, so not kept twice).
  static void ForeignAttributes(
      const XmlElement& e, std::vector<C3pExtensionAttribute>* out,
      absl::Span<const absl::string_view> modelled = {}) {
    for (const XmlAttribute& a : e.attributes) {
      if (a.ns_uri.empty() || a.ns_id == static_cast<int>(internal::Ns::kCi) ||
          a.ns_uri == kXmlNamespaceUri) {
        continue;
      }
      if (a.ns_id == static_cast<int>(internal::Ns::kMsci) &&
          std::find(modelled.begin(), modelled.end(), a.local_name) !=
              modelled.end()) {
        continue;
      }
      out->push_back({a.ns_uri, a.local_name, a.value});
    }
  }

  // Reads the children of `e` in order: `read(c, &child)` reads one it
  // knows, or says it is not one it knows (Child::kOther). For those the
  // rules every element shares apply (PROTOCOL.md §5.1): a cis:separator is
  // counted, a cccp or conference-info element is refused, and any other
  // element is kept as an extension, which records the separators counted
  // before it; with no `extensions` (an element without an extension slot)
  // it is ignored.
  template <typename Read>
  absl::Status ReadChildren(const XmlElement& e,
                            std::vector<C3pExtension>* extensions, Read read);
  // Calls `read(c)` for each child `ns:local` of `e`, a list with no
  // extension slot: other cccp and conference-info children are refused,
  // foreign ones ignored.
  template <typename Read>
  absl::Status ReadList(const XmlElement& e, internal::Ns ns,
                        absl::string_view local, Read read);

  absl::Status ParseConferenceKeys(const XmlElement& e, C3pConferenceKeys* k);
  // The conferenceKeys slot, which the command requires.
  absl::Status RequiredConferenceKeys(const XmlElement& e,
                                      const internal::CommandSlots& s,
                                      C3pConferenceKeys* k);
  absl::Status ParseUserKeys(const XmlElement& e, C3pUserKeys* k);
  absl::Status ParseMediaKeys(const XmlElement& e, C3pMediaKeys* k);
  absl::Status ParseExecution(const XmlElement& e, C3pExecutionView* x);
  // ParseExecution, refusing a second element of the same name.
  absl::Status ParseExecutionOnce(const XmlElement& e,
                                  std::optional<C3pExecutionView>* x);
  absl::Status ParseUris(const XmlElement& e,
                         std::vector<C3pUriEntryView>* uris);
  absl::Status ParseUriEntry(const XmlElement& e, C3pUriEntryView* u);
  absl::Status ParseAvailableMedia(const XmlElement& e,
                                   std::vector<C3pAvailableMediaView>* media);
  absl::Status ParseAvailableMedium(const XmlElement& e,
                                    C3pAvailableMediaView* m);
  absl::Status ParseCallInfo(const XmlElement& e,
                             std::optional<C3pSipDialogView>* call_info);
  absl::Status ParseSipDialog(const XmlElement& e, C3pSipDialogView* d);
  absl::Status ParseLanguages(const XmlElement& e,
                              std::vector<absl::string_view>* languages);
  absl::Status ParseMedia(const XmlElement& e, C3pMediaView* m);
  absl::Status ParseEndpoint(const XmlElement& e, C3pEndpointView* ep);
  absl::Status ParseUser(const XmlElement& e, C3pUserView* u);
  absl::Status ParseRoles(const XmlElement& e,
                          std::vector<absl::string_view>* roles);
  absl::Status ParseDescription(const XmlElement& e, C3pDescriptionView* d);
  absl::Status ParseEntityView(const XmlElement& e, C3pEntityViewView* v);
  absl::Status ParseConferenceInfo(const XmlElement& e,
                                   C3pConferenceInfoView* ci);
  // The dispatcher: collects the command's children into slots, refuses
  // those its row does not accept, and calls the row's parser.
  absl::Status ParseCommand(const XmlElement& e);

  C3pRequest* request_;
  const XmlDocument& doc_;
};

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_C3P_REQUEST_PARSER_H_
