#include "codec/c3p_request.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// The status payload that carries a C3pEnvelope: request_id, from, to and
// command name separated by NUL (which no XML value can contain).
constexpr absl::string_view kEnvelopePayloadUrl =
    "type.confstate.invalid/conf.codec.C3pEnvelope";

struct CommandRow {
  C3pCommand command;
  absl::string_view name;
};

// One row per C3pCommand except kUnknown, in enumerator order.
constexpr CommandRow kCommands[] = {
    {C3pCommand::kAddConference, "addConference"},
    {C3pCommand::kModifyConference, "modifyConference"},
    {C3pCommand::kDeleteConference, "deleteConference"},
    {C3pCommand::kGetConference, "getConference"},
    {C3pCommand::kGetConferences, "getConferences"},
    {C3pCommand::kGetAvailableMcuTypes, "getAvailableMcuTypes"},
    {C3pCommand::kGetConferencingCapabilities, "getConferencingCapabilities"},
    {C3pCommand::kAddUser, "addUser"},
    {C3pCommand::kEndorseUser, "endorseUser"},
    {C3pCommand::kSetLobbyAccess, "setLobbyAccess"},
    {C3pCommand::kDeleteUser, "deleteUser"},
    {C3pCommand::kModifyUserRoles, "modifyUserRoles"},
    {C3pCommand::kModifyConferenceLock, "modifyConferenceLock"},
    {C3pCommand::kModifyEndpointMedia, "modifyEndpointMedia"},
    {C3pCommand::kModifyEndpoint, "modifyEndpoint"},
    {C3pCommand::kPing, "ping"},
};

constexpr bool CommandTableIsInOrder() {
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) {
    if (static_cast<size_t>(kCommands[i].command) != i)
      return false;
  }
  return sizeof(kCommands) / sizeof(kCommands[0]) ==
         static_cast<size_t>(C3pCommand::kUnknown);
}
static_assert(CommandTableIsInOrder(),
              "kCommands must list every C3pCommand but kUnknown, in order");

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
constexpr absl::string_view kKnownNamespaces[] = {
    kCccpNamespace, kConferenceInfoNamespace, kSeparatorNamespace,
    kMsciNamespace, kMsci2008Namespace,       kMscpNamespace,
};
static_assert(sizeof(kKnownNamespaces) / sizeof(kKnownNamespaces[0]) ==
                  static_cast<size_t>(Ns::kMscp),
              "kKnownNamespaces must list every Ns but kOther, in order");

bool In(const XmlElement& e, Ns ns) { return e.ns_id == static_cast<int>(ns); }
bool Is(const XmlElement& e, Ns ns, absl::string_view local) {
  return e.IsKnown(static_cast<int>(ns), local);
}
bool IsCi(const XmlElement& e) { return In(e, Ns::kCi); }
bool IsCccp(const XmlElement& e) { return In(e, Ns::kCccp); }
bool IsOurs(const XmlElement& e) { return IsCi(e) || IsCccp(e); }
bool IsSeparator(const XmlElement& e) {
  return Is(e, Ns::kSeparator, "separator");
}

// The attribute with this known namespace and local name, or nullptr.
const XmlAttribute* FindAttribute(const XmlElement& e, Ns ns,
                                  absl::string_view local) {
  for (const XmlAttribute& a : e.attributes) {
    if (a.ns_id == static_cast<int>(ns) && a.local_name == local)
      return &a;
  }
  return nullptr;
}

// Whether `s` is empty or only XML white space; stops at the first other
// byte, which in a certificate's base64 is the first.
bool IsAllSpace(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return false;
  }
  return true;
}

absl::string_view Attr(const XmlElement& e, absl::string_view local) {
  const XmlAttribute* a = e.FindAttribute("", local);
  return a == nullptr ? absl::string_view() : a->value;
}

// `state` as RFC 4575 writes it, or `ci:state` as MS extension elements do
// (CONFBAS 4.4.10).
absl::string_view StateAttr(const XmlElement& e) {
  const XmlAttribute* a = e.FindAttribute("", "state");
  if (a == nullptr)
    a = FindAttribute(e, Ns::kCi, "state");
  return a == nullptr ? absl::string_view() : a->value;
}

}  // namespace

absl::string_view C3pCommandName(C3pCommand command) {
  if (command == C3pCommand::kUnknown)
    return "";
  return kCommands[static_cast<size_t>(command)].name;
}

// Walks an XmlDocument into a C3pRequest. One per parse.
class C3pRequestParser {
 public:
  // The whole of ParseC3pRequest.
  static absl::StatusOr<C3pRequest> Run(std::vector<char> body,
                                        const ParseLimits& limits);

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
    *out = Attr(e, local);
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
    if (e.first_child != nullptr) {
      return Error(*e.first_child, absl::StrCat("unexpected element in <",
                                                EscapeForError(e.qname), ">"));
    }
    *out = e.text;
    return absl::OkStatus();
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

  C3pExtension Extension(const XmlElement& e, int separators) {
    request_->fragments_.push_back(
        std::make_unique<std::string>(doc_.SerializeFragment(e)));
    return C3pExtension{e.ns_uri, e.local_name, *request_->fragments_.back(),
                        separators};
  }
  static void ForeignAttributes(const XmlElement& e,
                                std::vector<C3pExtensionAttribute>* out) {
    for (const XmlAttribute& a : e.attributes) {
      if (a.ns_uri.empty() || a.ns_id == static_cast<int>(Ns::kCi) ||
          a.ns_uri == kXmlNamespaceUri) {
        continue;
      }
      out->push_back({a.ns_uri, a.local_name, a.value});
    }
  }

  absl::Status ParseConferenceKeys(const XmlElement& e, C3pConferenceKeys* k);
  absl::Status ParseUserKeys(const XmlElement& e, C3pUserKeys* k);
  absl::Status ParseMediaKeys(const XmlElement& e, C3pMediaKeys* k);
  absl::Status ParseMedia(const XmlElement& e, C3pMediaView* m);
  absl::Status ParseEndpoint(const XmlElement& e, C3pEndpointView* ep);
  absl::Status ParseUser(const XmlElement& e, C3pUserView* u);
  absl::Status ParseRoles(const XmlElement& e,
                          std::vector<absl::string_view>* roles);
  absl::Status ParseDescription(const XmlElement& e, C3pDescriptionView* d);
  absl::Status ParseEntityView(const XmlElement& e, C3pEntityViewView* v);
  absl::Status ParseConferenceInfo(const XmlElement& e,
                                   C3pConferenceInfoView* ci);
  absl::Status ParseCommand(const XmlElement& e);

  C3pRequest* request_;
  const XmlDocument& doc_;
};

absl::Status C3pRequestParser::ParseConferenceKeys(const XmlElement& e,
                                                   C3pConferenceKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  k->conf_entity = Attr(e, "confEntity");
  if (const XmlAttribute* id = FindAttribute(e, Ns::kMsci, "conference-id")) {
    k->conference_id = id->value;
  }
  // CONFPRO 4.5: the focus factory addresses by msci:conference-id.
  if (k->conf_entity.empty() && k->conference_id.empty()) {
    return Error(e, "conferenceKeys needs confEntity or msci:conference-id");
  }
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseUserKeys(const XmlElement& e,
                                             C3pUserKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  if (absl::Status s = Required(e, "confEntity", &k->conf_entity); !s.ok()) {
    return s;
  }
  return Required(e, "userEntity", &k->user_entity);
}

absl::Status C3pRequestParser::ParseMediaKeys(const XmlElement& e,
                                              C3pMediaKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  if (absl::Status s = Required(e, "confEntity", &k->conf_entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = Required(e, "userEntity", &k->user_entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = Required(e, "endpointEntity", &k->endpoint_entity);
      !s.ok()) {
    return s;
  }
  return Required(e, "mediaId", &k->media_id);
}

// RFC 4575 §5.7.1 media-type.
absl::Status C3pRequestParser::ParseMedia(const XmlElement& e,
                                          C3pMediaView* m) {
  if (absl::Status s = Required(e, "id", &m->id); !s.ok())
    return s;
  ForeignAttributes(e, &m->attributes);
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::string_view* field = nullptr;
    if (IsCi(*c)) {
      if (c->local_name == "display-text") {
        field = &m->display_text;
      } else if (c->local_name == "type") {
        field = &m->type;
      } else if (c->local_name == "label") {
        field = &m->label;
      } else if (c->local_name == "src-id") {
        field = &m->src_id;
      } else if (c->local_name == "status") {
        field = &m->status;
      } else {
        return Unexpected(*c, e);
      }
    } else if (Is(*c, Ns::kMsci, "media-state")) {
      field = &m->media_state;
    } else if (Is(*c, Ns::kMsci, "media-source-id")) {
      field = &m->media_source_id;
    } else if (Is(*c, Ns::kMsci, "media-ingress-filter")) {
      field = &m->ingress_filter;
    } else if (IsSeparator(*c)) {
      ++separators;
      continue;
    } else if (IsCccp(*c)) {
      return Unexpected(*c, e);
    } else {
      m->extensions.push_back(Extension(*c, separators));
      continue;
    }
    if (absl::Status s = Text(*c, field); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

// RFC 4575 §5.7 endpoint-type, plus the MS attributes and msci:clientInfo.
absl::Status C3pRequestParser::ParseEndpoint(const XmlElement& e,
                                             C3pEndpointView* ep) {
  ep->entity = Attr(e, "entity");
  ep->state = StateAttr(e);
  ep->session_type = Attr(e, "session-type");
  ep->endpoint_uri = Attr(e, "endpoint-uri");
  ep->refer_to_uri = Attr(e, "refer-to-uri");
  ep->session_on_behalf_of = Attr(e, "session-on-behalf-of");
  ForeignAttributes(e, &ep->attributes);
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (IsCi(*c)) {
      absl::string_view* field = nullptr;
      if (c->local_name == "display-text") {
        field = &ep->display_text;
      } else if (c->local_name == "status") {
        field = &ep->status;
      } else if (c->local_name == "joining-method") {
        field = &ep->joining_method;
      } else if (c->local_name == "disconnection-method") {
        field = &ep->disconnection_method;
      } else if (c->local_name == "media") {
        ep->media.emplace_back();
        if (absl::Status s = ParseMedia(*c, &ep->media.back()); !s.ok()) {
          return s;
        }
        continue;
      } else if (c->local_name == "referred" ||
                 c->local_name == "joining-info" ||
                 c->local_name == "disconnection-info" ||
                 c->local_name == "call-info") {
        ep->extensions.push_back(Extension(*c, separators));
        continue;
      } else {
        return Unexpected(*c, e);
      }
      if (absl::Status s = Text(*c, field); !s.ok())
        return s;
    } else if (Is(*c, Ns::kMsci, "clientInfo")) {
      ep->has_client_info = true;
      int inner_separators = 0;
      for (const XmlElement* i = c->first_child; i != nullptr;
           i = i->next_sibling) {
        if (IsSeparator(*i)) {
          ++inner_separators;
        } else if (Is(*i, Ns::kMsci2008, "lobby-capable")) {
          if (absl::Status s = Text(*i, &ep->lobby_capable); !s.ok())
            return s;
        } else if (IsOurs(*i)) {
          return Unexpected(*i, *c);
        } else {
          ep->client_info_extensions.push_back(Extension(*i, inner_separators));
        }
      }
    } else if (Is(*c, Ns::kMsci, "session-on-behalf-of")) {
      if (absl::Status s = Text(*c, &ep->session_on_behalf_of); !s.ok()) {
        return s;
      }
    } else if (IsSeparator(*c)) {
      ++separators;
    } else if (IsCccp(*c)) {
      return Unexpected(*c, e);
    } else {
      ep->extensions.push_back(Extension(*c, separators));
    }
  }
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseRoles(
    const XmlElement& e, std::vector<absl::string_view>* roles) {
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (!Is(*c, Ns::kCi, "entry")) {
      if (IsOurs(*c))
        return Unexpected(*c, e);
      continue;
    }
    absl::string_view role;
    if (absl::Status s = Text(*c, &role); !s.ok())
      return s;
    roles->push_back(role);
  }
  if (roles->empty())
    return Missing(e, "entry");
  return absl::OkStatus();
}

// RFC 4575 §5.6 user-type.
absl::Status C3pRequestParser::ParseUser(const XmlElement& e, C3pUserView* u) {
  u->entity = Attr(e, "entity");
  u->state = StateAttr(e);
  ForeignAttributes(e, &u->attributes);
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (IsCi(*c)) {
      if (c->local_name == "display-text") {
        if (absl::Status s = Text(*c, &u->display_text); !s.ok())
          return s;
      } else if (c->local_name == "roles") {
        if (absl::Status s = ParseRoles(*c, &u->roles); !s.ok())
          return s;
      } else if (c->local_name == "endpoint") {
        u->endpoints.emplace_back();
        if (absl::Status s = ParseEndpoint(*c, &u->endpoints.back()); !s.ok()) {
          return s;
        }
      } else if (c->local_name == "associated-aors" ||
                 c->local_name == "languages" ||
                 c->local_name == "cascaded-focus") {
        u->extensions.push_back(Extension(*c, separators));
      } else {
        return Unexpected(*c, e);
      }
    } else if (IsSeparator(*c)) {
      ++separators;
    } else if (IsCccp(*c)) {
      return Unexpected(*c, e);
    } else {
      u->extensions.push_back(Extension(*c, separators));
    }
  }
  return absl::OkStatus();
}

// RFC 4575 §5.3 conference-description-type, PROTOCOL.md §5.3.
absl::Status C3pRequestParser::ParseDescription(const XmlElement& e,
                                                C3pDescriptionView* d) {
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    absl::string_view* field = nullptr;
    if (IsCi(*c)) {
      if (c->local_name == "display-text") {
        field = &d->display_text;
      } else if (c->local_name == "subject") {
        field = &d->subject;
      } else if (c->local_name == "free-text") {
        field = &d->free_text;
      } else if (c->local_name == "keywords") {
        field = &d->keywords;
      } else if (c->local_name == "maximum-user-count") {
        field = &d->maximum_user_count;
      } else if (c->local_name == "conf-uris" ||
                 c->local_name == "service-uris" ||
                 c->local_name == "available-media") {
        d->extensions.push_back(Extension(*c, separators));
        continue;
      } else {
        return Unexpected(*c, e);
      }
    } else if (Is(*c, Ns::kMsci, "conference-id")) {
      field = &d->conference_id;
    } else if (Is(*c, Ns::kMsci, "expiry-time")) {
      field = &d->expiry_time;
    } else if (Is(*c, Ns::kMsci, "admission-policy")) {
      field = &d->admission_policy;
    } else if (IsSeparator(*c)) {
      ++separators;
      continue;
    } else if (IsCccp(*c)) {
      return Unexpected(*c, e);
    } else {
      d->extensions.push_back(Extension(*c, separators));
      continue;
    }
    if (absl::Status s = Text(*c, field); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

// msci:entity-view (CONFBAS 4.4.10).
absl::Status C3pRequestParser::ParseEntityView(const XmlElement& e,
                                               C3pEntityViewView* v) {
  v->entity = Attr(e, "entity");
  v->state = StateAttr(e);
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (Is(*c, Ns::kMsci, "entity-state")) {
      if (v->has_entity_state)
        return Duplicate(*c);
      v->has_entity_state = true;
      int inner_separators = 0;
      for (const XmlElement* i = c->first_child; i != nullptr;
           i = i->next_sibling) {
        if (Is(*i, Ns::kMsci, "locked")) {
          if (absl::Status s = Text(*i, &v->locked); !s.ok())
            return s;
          bool ignored;
          if (absl::Status s = Boolean(*i, v->locked, &ignored); !s.ok()) {
            return s;
          }
        } else if (IsSeparator(*i)) {
          ++inner_separators;
        } else if (IsOurs(*i)) {
          return Unexpected(*i, *c);
        } else {
          v->entity_state_extensions.push_back(Extension(*i, inner_separators));
        }
      }
    } else if (IsSeparator(*c)) {
      ++separators;
    } else if (IsOurs(*c)) {
      return Unexpected(*c, e);
    } else {
      v->extensions.push_back(Extension(*c, separators));
    }
  }
  return absl::OkStatus();
}

// RFC 4575 §5.1 conference-type, as a C3P body carries it.
absl::Status C3pRequestParser::ParseConferenceInfo(const XmlElement& e,
                                                   C3pConferenceInfoView* ci) {
  if (e.FindAttribute("", "entity") == nullptr) {
    return Error(e, "missing attribute entity on <conference-info>");
  }
  ci->entity = Attr(e, "entity");  // addConference sends "" (server assigns)
  ci->state = StateAttr(e);
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (IsCi(*c)) {
      if (c->local_name == "conference-description") {
        if (ci->description.has_value())
          return Duplicate(*c);
        ci->description.emplace();
        if (absl::Status s = ParseDescription(*c, &*ci->description); !s.ok()) {
          return s;
        }
      } else if (c->local_name == "users") {
        for (const XmlElement* u = c->first_child; u != nullptr;
             u = u->next_sibling) {
          if (!Is(*u, Ns::kCi, "user")) {
            if (IsOurs(*u))
              return Unexpected(*u, *c);
            continue;
          }
          ci->users.emplace_back();
          if (absl::Status s = ParseUser(*u, &ci->users.back()); !s.ok()) {
            return s;
          }
        }
      } else if (c->local_name == "host-info" ||
                 c->local_name == "conference-state" ||
                 c->local_name == "sidebars-by-ref" ||
                 c->local_name == "sidebars-by-val") {
        ci->extensions.push_back(Extension(*c, separators));
      } else {
        return Unexpected(*c, e);
      }
    } else if (Is(*c, Ns::kMsci, "conference-view")) {
      for (const XmlElement* v = c->first_child; v != nullptr;
           v = v->next_sibling) {
        if (!Is(*v, Ns::kMsci, "entity-view")) {
          if (IsOurs(*v))
            return Unexpected(*v, *c);
          continue;
        }
        ci->entity_views.emplace_back();
        if (absl::Status s = ParseEntityView(*v, &ci->entity_views.back());
            !s.ok()) {
          return s;
        }
      }
    } else if (IsSeparator(*c)) {
      ++separators;
    } else if (IsCccp(*c)) {
      return Unexpected(*c, e);
    } else {
      ci->extensions.push_back(Extension(*c, separators));
    }
  }
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseCommand(const XmlElement& e) {
  if (request_->command_type == C3pCommand::kUnknown) {
    // Its content is not ours to judge: the answer is notSupported.
    request_->command = C3pUnknownCommand{};
    return absl::OkStatus();
  }
  const absl::string_view mcu_uri = [&e] {
    const XmlAttribute* a = FindAttribute(e, Ns::kMscp, "mcuUri");
    return a == nullptr ? absl::string_view() : a->value;
  }();
  // Children by role. Each command below says which it needs; foreign
  // children a command has no slot for are ignored, unknown cccp and
  // conference-info children are refused.
  const XmlElement* conference_keys = nullptr;
  const XmlElement* user_keys = nullptr;
  const XmlElement* endpoint_keys = nullptr;
  const XmlElement* media_keys = nullptr;
  const XmlElement* conference_info = nullptr;
  const XmlElement* user = nullptr;
  const XmlElement* endpoint = nullptr;
  const XmlElement* media = nullptr;
  const XmlElement* user_roles = nullptr;
  const XmlElement* locked = nullptr;
  const XmlElement* access = nullptr;
  const XmlElement* encryption_key = nullptr;
  std::vector<const XmlElement*> user_entities;
  int slots_filled = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    const XmlElement** slot = nullptr;
    if (IsCccp(*c)) {
      if (c->local_name == "conferenceKeys") {
        slot = &conference_keys;
      } else if (c->local_name == "userKeys") {
        slot = &user_keys;
      } else if (c->local_name == "endpointKeys") {
        slot = &endpoint_keys;
      } else if (c->local_name == "mediaKeys") {
        slot = &media_keys;
      } else if (c->local_name == "locked") {
        slot = &locked;
      } else if (c->local_name == "access") {
        slot = &access;
      } else if (c->local_name == "userEntity") {
        user_entities.push_back(c);
        continue;
      } else {
        return Unexpected(*c, e);
      }
    } else if (IsCi(*c)) {
      if (c->local_name == "conference-info") {
        slot = &conference_info;
      } else if (c->local_name == "user") {
        slot = &user;
      } else if (c->local_name == "endpoint") {
        slot = &endpoint;
      } else if (c->local_name == "media") {
        slot = &media;
      } else if (c->local_name == "user-roles") {
        slot = &user_roles;
      } else {
        return Unexpected(*c, e);
      }
    } else if (Is(*c, Ns::kMsci, "encryption-key")) {
      slot = &encryption_key;
    } else {
      continue;  // foreign: ignored
    }
    if (*slot != nullptr)
      return Duplicate(*c);
    *slot = c;
    ++slots_filled;
  }
  // Refuses any child the command has no use for.
  auto only = [&](std::initializer_list<const XmlElement*> allowed) {
    // The allowed slots are distinct, so when as many of them are filled as
    // slots are filled in all, every filled slot is allowed.
    int allowed_filled = 0;
    for (const XmlElement* a : allowed)
      allowed_filled += a != nullptr;
    if (allowed_filled == slots_filled && user_entities.empty())
      return absl::OkStatus();
    const XmlElement* all[] = {
        conference_keys, user_keys, endpoint_keys, media_keys,
        conference_info, user,      endpoint,      media,
        user_roles,      locked,    access,        encryption_key};
    for (const XmlElement* present : all) {
      if (present == nullptr)
        continue;
      bool ok = false;
      for (const XmlElement* a : allowed)
        ok = ok || a == present;
      if (!ok)
        return Unexpected(*present, e);
    }
    if (!user_entities.empty()) {
      bool ok = false;
      for (const XmlElement* a : allowed)
        ok = ok || a == user_entities.front();
      if (!ok)
        return Unexpected(*user_entities.front(), e);
    }
    return absl::OkStatus();
  };
  auto conference_keys_required = [&](C3pConferenceKeys* keys) {
    if (conference_keys == nullptr)
      return Missing(e, "conferenceKeys");
    return ParseConferenceKeys(*conference_keys, keys);
  };

  switch (request_->command_type) {
    case C3pCommand::kAddConference: {
      C3pAddConference cmd;
      if (absl::Status s = only({conference_info}); !s.ok())
        return s;
      if (conference_info == nullptr)
        return Missing(e, "conference-info");
      if (absl::Status s =
              ParseConferenceInfo(*conference_info, &cmd.conference_info);
          !s.ok()) {
        return s;
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kModifyConference: {
      C3pModifyConference cmd;
      cmd.mcu_uri = mcu_uri;
      if (absl::Status s = only({conference_keys, conference_info}); !s.ok()) {
        return s;
      }
      if (conference_keys != nullptr) {
        cmd.keys.emplace();
        if (absl::Status s = ParseConferenceKeys(*conference_keys, &*cmd.keys);
            !s.ok()) {
          return s;
        }
      }
      if (conference_info == nullptr)
        return Missing(e, "conference-info");
      if (absl::Status s =
              ParseConferenceInfo(*conference_info, &cmd.conference_info);
          !s.ok()) {
        return s;
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kDeleteConference: {
      C3pDeleteConference cmd;
      if (absl::Status s = only({conference_keys}); !s.ok())
        return s;
      if (absl::Status s = conference_keys_required(&cmd.keys); !s.ok()) {
        return s;
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kGetConference: {
      C3pGetConference cmd;
      if (absl::Status s = only({conference_keys, encryption_key}); !s.ok()) {
        return s;
      }
      if (absl::Status s = conference_keys_required(&cmd.keys); !s.ok()) {
        return s;
      }
      if (encryption_key != nullptr) {
        cmd.has_encryption_key = true;
        const XmlElement* cert = nullptr;
        for (const XmlElement* c = encryption_key->first_child; c != nullptr;
             c = c->next_sibling) {
          if (Is(*c, Ns::kMsci, "x509-certificate")) {
            if (cert != nullptr)
              return Duplicate(*c);
            cert = c;
          } else if (IsOurs(*c) || In(*c, Ns::kMsci)) {
            return Unexpected(*c, *encryption_key);
          }
        }
        if (cert == nullptr)
          return Missing(*encryption_key, "x509-certificate");
        if (absl::Status s = Text(*cert, &cmd.x509_certificate); !s.ok()) {
          return s;
        }
        if (IsAllSpace(cmd.x509_certificate))
          return Error(*cert, "empty <x509-certificate>");
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kGetConferences: {
      C3pGetConferences cmd;
      if (absl::Status s = only({}); !s.ok())
        return s;
      if (const XmlAttribute* a = e.FindAttribute("", "static")) {
        if (absl::Status s = Boolean(e, a->value, &cmd.static_only); !s.ok()) {
          return s;
        }
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kGetAvailableMcuTypes:
    case C3pCommand::kGetConferencingCapabilities:
    case C3pCommand::kPing: {
      if (absl::Status s = only({}); !s.ok())
        return s;
      if (request_->command_type == C3pCommand::kPing) {
        request_->command = C3pPing{};
      } else if (request_->command_type == C3pCommand::kGetAvailableMcuTypes) {
        request_->command = C3pGetAvailableMcuTypes{};
      } else {
        request_->command = C3pGetConferencingCapabilities{};
      }
      return absl::OkStatus();
    }
    case C3pCommand::kAddUser: {
      // CONFBAS 2.2.3.4 (join) and 2.2.3.15 (dial-out): exactly one user.
      C3pAddUser cmd;
      cmd.mcu_uri = mcu_uri;
      if (absl::Status s = only({conference_keys, user}); !s.ok())
        return s;
      if (absl::Status s = conference_keys_required(&cmd.keys); !s.ok()) {
        return s;
      }
      if (user == nullptr)
        return Missing(e, "user");
      if (absl::Status s = ParseUser(*user, &cmd.user); !s.ok())
        return s;
      if (cmd.user.entity.empty()) {
        return Error(*user, "missing attribute entity on <user>");
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kEndorseUser: {
      C3pEndorseUser cmd;
      if (absl::Status s = only({conference_keys, user_keys}); !s.ok()) {
        return s;
      }
      if (user_keys != nullptr) {
        if (conference_keys != nullptr)
          return Unexpected(*conference_keys, e);
        if (absl::Status s = ParseUserKeys(*user_keys, &cmd.keys); !s.ok()) {
          return s;
        }
      } else {
        C3pConferenceKeys keys;
        if (absl::Status s = conference_keys_required(&keys); !s.ok())
          return s;
        cmd.keys.conf_entity = keys.conf_entity;
        if (absl::Status s = Required(e, "userEntity", &cmd.keys.user_entity);
            !s.ok()) {
          return s;
        }
      }
      if (const XmlAttribute* result = e.FindAttribute("", "result")) {
        if (result->value != "success") {
          cmd.reason = FindC3pReason(result->value);
          if (!cmd.reason.has_value()) {
            return Error(e, absl::StrCat("unknown endorseUser result \"",
                                         EscapeForError(result->value), "\""));
          }
          cmd.access = C3pLobbyAccess::kDenied;
        }
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kSetLobbyAccess: {
      C3pSetLobbyAccess cmd;
      if (absl::Status s =
              only({conference_keys, access,
                    user_entities.empty() ? nullptr : user_entities.front()});
          !s.ok()) {
        return s;
      }
      if (absl::Status s = conference_keys_required(&cmd.keys); !s.ok()) {
        return s;
      }
      if (user_entities.empty())
        return Missing(e, "userEntity");
      for (const XmlElement* u : user_entities) {
        absl::string_view entity;
        if (absl::Status s = Text(*u, &entity); !s.ok())
          return s;
        entity = absl::StripAsciiWhitespace(entity);
        if (entity.empty())
          return Error(*u, "empty <userEntity>");
        cmd.user_entities.push_back(entity);
      }
      if (access == nullptr)
        return Missing(e, "access");
      absl::string_view value;
      if (absl::Status s = Text(*access, &value); !s.ok())
        return s;
      value = absl::StripAsciiWhitespace(value);
      if (value == "granted") {
        cmd.access = C3pLobbyAccess::kGranted;
      } else if (value == "denied") {
        cmd.access = C3pLobbyAccess::kDenied;
      } else {
        return Error(*access, absl::StrCat("expected granted or denied in "
                                           "<access> but found \"",
                                           EscapeForError(value), "\""));
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kDeleteUser: {
      C3pDeleteUser cmd;
      if (absl::Status s = only({user_keys}); !s.ok())
        return s;
      if (user_keys == nullptr)
        return Missing(e, "userKeys");
      if (absl::Status s = ParseUserKeys(*user_keys, &cmd.keys); !s.ok()) {
        return s;
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kModifyUserRoles: {
      C3pModifyUserRoles cmd;
      if (absl::Status s = only({user_keys, user_roles}); !s.ok())
        return s;
      if (user_keys == nullptr)
        return Missing(e, "userKeys");
      if (absl::Status s = ParseUserKeys(*user_keys, &cmd.keys); !s.ok()) {
        return s;
      }
      if (user_roles == nullptr)
        return Missing(e, "user-roles");
      if (absl::Status s = ParseRoles(*user_roles, &cmd.roles); !s.ok()) {
        return s;
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kModifyConferenceLock: {
      C3pModifyConferenceLock cmd;
      if (absl::Status s = only({conference_keys, locked}); !s.ok())
        return s;
      if (absl::Status s = conference_keys_required(&cmd.keys); !s.ok()) {
        return s;
      }
      if (locked == nullptr)
        return Missing(e, "locked");
      absl::string_view value;
      if (absl::Status s = Text(*locked, &value); !s.ok())
        return s;
      if (absl::Status s = Boolean(*locked, value, &cmd.locked); !s.ok()) {
        return s;
      }
      request_->command = cmd;
      return absl::OkStatus();
    }
    case C3pCommand::kModifyEndpointMedia: {
      // MS traffic uses mediaKeys (PROTOCOL.md §2.3), not the draft's
      // endpointKeys.
      C3pModifyEndpointMedia cmd;
      cmd.mcu_uri = mcu_uri;
      if (absl::Status s = only({media_keys, media}); !s.ok())
        return s;
      if (media_keys == nullptr)
        return Missing(e, "mediaKeys");
      if (absl::Status s = ParseMediaKeys(*media_keys, &cmd.keys); !s.ok()) {
        return s;
      }
      if (media == nullptr)
        return Missing(e, "media");
      if (absl::Status s = ParseMedia(*media, &cmd.media); !s.ok())
        return s;
      if (cmd.media.id != cmd.keys.media_id) {
        return Error(*media,
                     absl::StrCat("media id \"", EscapeForError(cmd.media.id),
                                  "\" differs from mediaKeys mediaId"));
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kModifyEndpoint: {
      C3pModifyEndpoint cmd;
      cmd.mcu_uri = mcu_uri;
      if (absl::Status s = only({user_keys, endpoint_keys, endpoint});
          !s.ok()) {
        return s;
      }
      if (user_keys != nullptr && endpoint_keys != nullptr) {
        return Unexpected(*endpoint_keys, e);
      }
      if (user_keys != nullptr) {
        if (absl::Status s = ParseUserKeys(*user_keys, &cmd.keys); !s.ok()) {
          return s;
        }
      } else if (endpoint_keys != nullptr) {
        if (endpoint_keys->first_child != nullptr) {
          return Unexpected(*endpoint_keys->first_child, *endpoint_keys);
        }
        if (absl::Status s =
                Required(*endpoint_keys, "confEntity", &cmd.keys.conf_entity);
            !s.ok()) {
          return s;
        }
        if (absl::Status s =
                Required(*endpoint_keys, "userEntity", &cmd.keys.user_entity);
            !s.ok()) {
          return s;
        }
      } else {
        return Missing(e, "userKeys");
      }
      if (endpoint == nullptr)
        return Missing(e, "endpoint");
      if (absl::Status s = ParseEndpoint(*endpoint, &cmd.endpoint); !s.ok()) {
        return s;
      }
      if (cmd.endpoint.entity.empty()) {
        return Error(*endpoint, "missing attribute entity on <endpoint>");
      }
      if (endpoint_keys != nullptr &&
          Attr(*endpoint_keys, "endpointEntity") != cmd.endpoint.entity) {
        return Error(
            *endpoint,
            "endpoint entity differs from endpointKeys endpointEntity");
      }
      request_->command = std::move(cmd);
      return absl::OkStatus();
    }
    case C3pCommand::kUnknown:
      request_->command = C3pUnknownCommand{};
      return absl::OkStatus();
  }
  return absl::InternalError("c3p: unhandled command");
}

absl::Status C3pRequestParser::Parse() {
  const XmlElement& root = doc_.root();
  if (!Is(root, Ns::kCccp, "request")) {
    return Error(root,
                 absl::StrCat("root element <", EscapeForError(root.qname),
                              "> is not a cccp <request>"));
  }
  // The envelope's attributes in one pass over the root's (no two have the
  // same name: XmlDocument refused duplicates), told apart by length first.
  for (const XmlAttribute& a : root.attributes) {
    if (!a.ns_uri.empty())
      continue;
    const absl::string_view local = a.local_name;
    switch (local.size()) {
      case 2:
        if (local == "to")
          request_->to = a.value;
        break;
      case 4:
        if (local == "from")
          request_->from = a.value;
        break;
      case 9:
        if (local == "requestId")
          request_->request_id = a.value;
        break;
      case 10:
        if (local == "C3PVersion")
          request_->c3p_version = a.value;
        break;
      default:
        break;
    }
  }
  // MS-CONFPRO 2.2.2: requestId, from and to are required.
  if (request_->request_id.empty())
    return MissingAttribute(root, "requestId");
  if (request_->from.empty())
    return MissingAttribute(root, "from");
  if (request_->to.empty())
    return MissingAttribute(root, "to");

  const XmlElement* command = root.first_child;
  if (command == nullptr)
    return Error(root, "request carries no command");
  request_->command_name = command->local_name;
  if (command->next_sibling != nullptr) {
    // PROTOCOL.md §1.4: one command per request.
    return Error(*command->next_sibling, "more than one command in a request");
  }
  if (!IsCccp(*command)) {
    return Error(*command,
                 absl::StrCat("command <", EscapeForError(command->qname),
                              "> is not in the cccp namespace"));
  }
  request_->command_type = C3pCommand::kUnknown;
  for (const CommandRow& row : kCommands) {
    if (row.name == command->local_name) {
      request_->command_type = row.command;
      break;
    }
  }
  return ParseCommand(*command);
}

absl::StatusOr<C3pRequest> C3pRequestParser::Run(std::vector<char> body,
                                                 const ParseLimits& limits) {
  absl::StatusOr<XmlDocument> doc =
      XmlDocument::Parse(std::move(body), limits, kKnownNamespaces);
  if (!doc.ok())
    return doc.status();
  C3pRequest request;
  request.document_.emplace(*std::move(doc));
  C3pRequestParser parser(&request);
  if (absl::Status s = parser.Parse(); !s.ok()) {
    if (!request.request_id.empty() && !request.from.empty() &&
        !request.to.empty()) {
      const std::string nul(1, '\0');
      s.SetPayload(
          kEnvelopePayloadUrl,
          absl::Cord(absl::StrCat(request.request_id, nul, request.from, nul,
                                  request.to, nul, request.command_name)));
    }
    return s;
  }
  return request;
}

absl::StatusOr<C3pRequest> ParseC3pRequest(std::vector<char> body,
                                           const ParseLimits& limits) {
  return C3pRequestParser::Run(std::move(body), limits);
}

std::optional<C3pEnvelope> C3pEnvelopeFromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kEnvelopePayloadUrl);
  if (!payload.has_value())
    return std::nullopt;
  std::vector<std::string> parts =
      absl::StrSplit(std::string(*payload), absl::ByChar('\0'));
  if (parts.size() != 4)
    return std::nullopt;
  return C3pEnvelope{std::move(parts[0]), std::move(parts[1]),
                     std::move(parts[2]), std::move(parts[3])};
}

}  // namespace codec
}  // namespace conf
