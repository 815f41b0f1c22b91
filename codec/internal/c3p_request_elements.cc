// The readers of conference-info content inside C3P requests (RFC 4575 §5
// and the MS extensions of PROTOCOL.md §5): one per element, each reading
// its children in one loop (ReadChildren) under the shared unknown-element
// policy (docs/ERRORS.md).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_request.h"
#include "codec/internal/c3p_request_parser.h"
#include "codec/internal/xsd_values.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

using internal::Attr;
using internal::Child;
using internal::FindAttribute;
using internal::Is;
using internal::IsCi;
using internal::IsOurs;
using internal::IsSeparator;
using internal::IsXsAnyUri;
using internal::IsXsDateTime;
using internal::IsXsLanguage;
using internal::Ns;

// An MS attribute of ci:endpoint: qualified (msci:session-type, as the
// specification's example and the focus write it) or unqualified (as
// MS-CONFBAS 2.2.3.15 prints the dial-out attributes).
absl::string_view MsAttr(const XmlElement& e, absl::string_view local) {
  const XmlAttribute* a = FindAttribute(e, Ns::kMsci, local);
  if (a == nullptr)
    a = e.FindAttribute("", local);
  return a == nullptr ? absl::string_view() : a->value;
}

// The MS attributes of ci:endpoint that C3pEndpointView models.
constexpr absl::string_view kEndpointMsAttributes[] = {
    "session-type", "endpoint-uri", "refer-to-uri", "session-on-behalf-of"};

// `state` as RFC 4575 writes it, or `ci:state` as MS extension elements do
// (CONFBAS 4.4.10).
absl::string_view StateAttr(const XmlElement& e) {
  const XmlAttribute* a = e.FindAttribute("", "state");
  if (a == nullptr)
    a = FindAttribute(e, Ns::kCi, "state");
  return a == nullptr ? absl::string_view() : a->value;
}

// RFC 4575 elements a request may not carry where they are found
// (docs/CODEC.md, "RFC 4575 elements in requests"): what the focus alone
// sets is refused as malformed, what confstate does not implement as not
// supported. The focus answers requestMalformed and notSupported.
struct Refusal {
  absl::string_view parent;  // local name of the conference-info parent
  absl::string_view local_name;
  absl::StatusCode code;
  absl::string_view reason;
};

constexpr Refusal kRefusals[] = {
    {"conference-description", "conf-uris", absl::StatusCode::kInvalidArgument,
     "the focus assigns conf-uris, one entry per MCU it allocates"},
    {"conference-info", "host-info", absl::StatusCode::kInvalidArgument,
     "host-info describes the focus's host, which requests do not set"},
    {"conference-info", "conference-state", absl::StatusCode::kInvalidArgument,
     "the focus keeps conference-state (modifyConferenceLock sets locked)"},
    {"conference-info", "sidebars-by-ref", absl::StatusCode::kUnimplemented,
     "confstate has no sidebars"},
    {"conference-info", "sidebars-by-val", absl::StatusCode::kUnimplemented,
     "confstate has no sidebars"},
};

// The refusal of conference-info element `c` under `parent`, or nullptr.
const Refusal* FindRefusal(const XmlElement& parent, const XmlElement& c) {
  if (!IsCi(c))
    return nullptr;
  for (const Refusal& r : kRefusals) {
    if (r.local_name == c.local_name && r.parent == parent.local_name)
      return &r;
  }
  return nullptr;
}

}  // namespace

template <typename Read>
absl::Status C3pRequestParser::ReadChildren(
    const XmlElement& e, std::vector<C3pExtension>* extensions, Read read) {
  int separators = 0;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    Child child = Child::kRead;
    if (absl::Status s = read(*c, &child); !s.ok())
      return s;
    if (child == Child::kRead)
      continue;
    if (IsSeparator(*c)) {
      ++separators;
      continue;
    }
    if (IsOurs(*c))
      return Unexpected(*c, e);
    if (extensions != nullptr)
      extensions->push_back(Extension(*c, separators));
  }
  return absl::OkStatus();
}

template <typename Read>
absl::Status C3pRequestParser::ReadList(const XmlElement& e, Ns ns,
                                        absl::string_view local, Read read) {
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (!Is(*c, ns, local)) {
      if (IsOurs(*c))
        return Unexpected(*c, e);
      continue;
    }
    if (absl::Status s = read(*c); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

// RFC 4575 §5.7.1 media-type.
absl::Status C3pRequestParser::ParseMedia(const XmlElement& e,
                                          C3pMediaView* m) {
  if (absl::Status s = Required(e, "id", &m->id); !s.ok())
    return s;
  ForeignAttributes(e, &m->attributes);
  const auto read = [&](const XmlElement& c, Child* child) {
    absl::string_view* field = nullptr;
    if (IsCi(c)) {
      if (c.local_name == "display-text") {
        field = &m->display_text;
      } else if (c.local_name == "type") {
        field = &m->type;
      } else if (c.local_name == "label") {
        field = &m->label;
      } else if (c.local_name == "src-id") {
        field = &m->src_id;
      } else if (c.local_name == "status") {
        field = &m->status;
      }
    } else if (Is(c, Ns::kMsci, "media-state")) {
      field = &m->media_state;
    } else if (Is(c, Ns::kMsci, "media-source-id")) {
      field = &m->media_source_id;
    } else if (Is(c, Ns::kMsci, "media-ingress-filter")) {
      field = &m->ingress_filter;
    }
    return TextField(c, field, child);
  };
  return ReadChildren(e, &m->extensions, read);
}

// RFC 4575 §5.7 endpoint-type, plus the MS attributes and msci:clientInfo.
absl::Status C3pRequestParser::ParseEndpoint(const XmlElement& e,
                                             C3pEndpointView* ep) {
  ep->entity = Attr(e, "entity");
  ep->state = StateAttr(e);
  ep->session_type = MsAttr(e, "session-type");
  ep->endpoint_uri = MsAttr(e, "endpoint-uri");
  ep->refer_to_uri = MsAttr(e, "refer-to-uri");
  ep->session_on_behalf_of = MsAttr(e, "session-on-behalf-of");
  ForeignAttributes(e, &ep->attributes, kEndpointMsAttributes);
  bool has_call_info = false;
  const auto read_client_info = [&](const XmlElement& c, Child* child) {
    const bool lobby_capable = Is(c, Ns::kMsci2008, "lobby-capable");
    return TextField(c, lobby_capable ? &ep->lobby_capable : nullptr, child);
  };
  const auto read = [&](const XmlElement& c, Child* child) {
    absl::string_view* field = nullptr;
    if (IsCi(c)) {
      if (c.local_name == "display-text") {
        field = &ep->display_text;
      } else if (c.local_name == "status") {
        field = &ep->status;
      } else if (c.local_name == "joining-method") {
        field = &ep->joining_method;
      } else if (c.local_name == "disconnection-method") {
        field = &ep->disconnection_method;
      } else if (c.local_name == "media") {
        ep->media.emplace_back();
        return ParseMedia(c, &ep->media.back());
      } else if (c.local_name == "referred") {
        return ParseExecutionOnce(c, &ep->referred);
      } else if (c.local_name == "joining-info") {
        return ParseExecutionOnce(c, &ep->joining_info);
      } else if (c.local_name == "disconnection-info") {
        return ParseExecutionOnce(c, &ep->disconnection_info);
      } else if (c.local_name == "call-info") {
        if (has_call_info)
          return Duplicate(c);
        has_call_info = true;
        return ParseCallInfo(c, &ep->call_info);
      }
    } else if (Is(c, Ns::kMsci, "clientInfo")) {
      ep->has_client_info = true;
      return ReadChildren(c, &ep->client_info_extensions, read_client_info);
    } else if (Is(c, Ns::kMsci, "session-on-behalf-of")) {
      field = &ep->session_on_behalf_of;
    }
    return TextField(c, field, child);
  };
  return ReadChildren(e, &ep->extensions, read);
}

absl::Status C3pRequestParser::ParseRoles(
    const XmlElement& e, std::vector<absl::string_view>* roles) {
  const auto read = [&](const XmlElement& entry) {
    absl::string_view role;
    if (absl::Status s = Text(entry, &role); !s.ok())
      return s;
    roles->push_back(role);
    return absl::OkStatus();
  };
  if (absl::Status s = ReadList(e, Ns::kCi, "entry", read); !s.ok())
    return s;
  if (roles->empty())
    return Missing(e, "entry");
  return absl::OkStatus();
}

// RFC 4575 §5.6 user-type.
absl::Status C3pRequestParser::ParseUser(const XmlElement& e, C3pUserView* u) {
  u->entity = Attr(e, "entity");
  u->state = StateAttr(e);
  ForeignAttributes(e, &u->attributes);
  const auto read = [&](const XmlElement& c, Child* child) {
    if (!IsCi(c)) {
      *child = Child::kOther;
      return absl::OkStatus();
    }
    if (c.local_name == "display-text")
      return Text(c, &u->display_text);
    if (c.local_name == "associated-aors")
      return ParseUris(c, &u->associated_aors);
    if (c.local_name == "roles")
      return ParseRoles(c, &u->roles);
    if (c.local_name == "languages")
      return ParseLanguages(c, &u->languages);
    if (c.local_name == "cascaded-focus")
      return TypedText(c, IsXsAnyUri, "xs:anyURI", &u->cascaded_focus);
    if (c.local_name == "endpoint") {
      u->endpoints.emplace_back();
      return ParseEndpoint(c, &u->endpoints.back());
    }
    *child = Child::kOther;
    return absl::OkStatus();
  };
  return ReadChildren(e, &u->extensions, read);
}

// RFC 4575 §5.3 conference-description-type, PROTOCOL.md §5.3.
absl::Status C3pRequestParser::ParseDescription(const XmlElement& e,
                                                C3pDescriptionView* d) {
  const auto read = [&](const XmlElement& c, Child* child) {
    absl::string_view* field = nullptr;
    if (IsCi(c)) {
      if (c.local_name == "display-text") {
        field = &d->display_text;
      } else if (c.local_name == "subject") {
        field = &d->subject;
      } else if (c.local_name == "free-text") {
        field = &d->free_text;
      } else if (c.local_name == "keywords") {
        field = &d->keywords;
      } else if (c.local_name == "maximum-user-count") {
        field = &d->maximum_user_count;
      } else if (c.local_name == "service-uris") {
        return ParseUris(c, &d->service_uris);
      } else if (c.local_name == "available-media") {
        return ParseAvailableMedia(c, &d->available_media);
      } else if (const Refusal* r = FindRefusal(e, c)) {
        return Refuse(c, r->code, r->reason);
      }
    } else if (Is(c, Ns::kMsci, "conference-id")) {
      field = &d->conference_id;
    } else if (Is(c, Ns::kMsci, "expiry-time")) {
      field = &d->expiry_time;
    } else if (Is(c, Ns::kMsci, "admission-policy")) {
      field = &d->admission_policy;
    } else if (Is(c, Ns::kMsci, "automatic-leader-assignment")) {
      field = &d->presenter_policy;
    }
    return TextField(c, field, child);
  };
  return ReadChildren(e, &d->extensions, read);
}

// msci:entity-view (CONFBAS 4.4.10).
absl::Status C3pRequestParser::ParseEntityView(const XmlElement& e,
                                               C3pEntityViewView* v) {
  v->entity = Attr(e, "entity");
  v->state = StateAttr(e);
  const auto read_state = [&](const XmlElement& c, Child* child) {
    if (!Is(c, Ns::kMsci, "locked")) {
      *child = Child::kOther;
      return absl::OkStatus();
    }
    if (absl::Status s = Text(c, &v->locked); !s.ok())
      return s;
    bool ignored;
    return Boolean(c, v->locked, &ignored);
  };
  const auto read = [&](const XmlElement& c, Child* child) {
    if (!Is(c, Ns::kMsci, "entity-state")) {
      *child = Child::kOther;
      return absl::OkStatus();
    }
    if (v->has_entity_state)
      return Duplicate(c);
    v->has_entity_state = true;
    return ReadChildren(c, &v->entity_state_extensions, read_state);
  };
  return ReadChildren(e, &v->extensions, read);
}

// RFC 4575 §5.1 conference-type, as a C3P body carries it.
absl::Status C3pRequestParser::ParseConferenceInfo(const XmlElement& e,
                                                   C3pConferenceInfoView* ci) {
  if (e.FindAttribute("", "entity") == nullptr) {
    return Error(e, "missing attribute entity on <conference-info>");
  }
  ci->entity = Attr(e, "entity");  // addConference sends "" (server assigns)
  ci->state = StateAttr(e);
  const auto read_user = [&](const XmlElement& u) {
    ci->users.emplace_back();
    return ParseUser(u, &ci->users.back());
  };
  const auto read_view = [&](const XmlElement& v) {
    ci->entity_views.emplace_back();
    return ParseEntityView(v, &ci->entity_views.back());
  };
  const auto read = [&](const XmlElement& c, Child* child) {
    if (Is(c, Ns::kMsci, "conference-view"))
      return ReadList(c, Ns::kMsci, "entity-view", read_view);
    if (!IsCi(c)) {
      *child = Child::kOther;
      return absl::OkStatus();
    }
    if (c.local_name == "conference-description") {
      if (ci->description.has_value())
        return Duplicate(c);
      ci->description.emplace();
      return ParseDescription(c, &*ci->description);
    }
    if (c.local_name == "users")
      return ReadList(c, Ns::kCi, "user", read_user);
    if (const Refusal* r = FindRefusal(e, c))
      return Refuse(c, r->code, r->reason);
    *child = Child::kOther;
    return absl::OkStatus();
  };
  return ReadChildren(e, &ci->extensions, read);
}

// RFC 4575 §5.7.2 execution-type. It has no extension slot: foreign
// children are ignored.
absl::Status C3pRequestParser::ParseExecution(const XmlElement& e,
                                              C3pExecutionView* x) {
  const auto read = [&](const XmlElement& c, Child* child) {
    if (IsCi(c)) {
      if (c.local_name == "when")
        return TypedText(c, IsXsDateTime, "xs:dateTime", &x->when);
      if (c.local_name == "reason")
        return Text(c, &x->reason);
      if (c.local_name == "by")
        return TypedText(c, IsXsAnyUri, "xs:anyURI", &x->by);
    }
    *child = Child::kOther;
    return absl::OkStatus();
  };
  return ReadChildren(e, nullptr, read);
}

absl::Status C3pRequestParser::ParseExecutionOnce(
    const XmlElement& e, std::optional<C3pExecutionView>* x) {
  if (x->has_value())
    return Duplicate(e);
  return ParseExecution(e, &x->emplace());
}

// RFC 4575 §5.3.1 uris-type: entry+. Its `state` is a merge hint a request
// does not need: the list replaces the one the focus holds.
absl::Status C3pRequestParser::ParseUris(const XmlElement& e,
                                         std::vector<C3pUriEntryView>* uris) {
  if (!uris->empty())
    return Duplicate(e);
  const auto read = [&](const XmlElement& entry) {
    uris->emplace_back();
    return ParseUriEntry(entry, &uris->back());
  };
  if (absl::Status s = ReadList(e, Ns::kCi, "entry", read); !s.ok())
    return s;
  if (uris->empty())
    return Missing(e, "entry");
  return absl::OkStatus();
}

// RFC 4575 §5.3.1 uri-type.
absl::Status C3pRequestParser::ParseUriEntry(const XmlElement& e,
                                             C3pUriEntryView* u) {
  ForeignAttributes(e, &u->attributes);
  bool has_uri = false;
  const auto read = [&](const XmlElement& c, Child* child) {
    if (IsCi(c)) {
      if (c.local_name == "uri") {
        has_uri = true;
        return TypedText(c, IsXsAnyUri, "xs:anyURI", &u->uri);
      }
      if (c.local_name == "display-text")
        return Text(c, &u->display_text);
      if (c.local_name == "purpose")
        return Text(c, &u->purpose);
      if (c.local_name == "modified")
        return ParseExecutionOnce(c, &u->modified);
    }
    *child = Child::kOther;
    return absl::OkStatus();
  };
  if (absl::Status s = ReadChildren(e, &u->extensions, read); !s.ok())
    return s;
  if (!has_uri)
    return Missing(e, "uri");
  return absl::OkStatus();
}

// RFC 4575 §5.3.4 conference-media-type: entry+.
absl::Status C3pRequestParser::ParseAvailableMedia(
    const XmlElement& e, std::vector<C3pAvailableMediaView>* media) {
  if (!media->empty())
    return Duplicate(e);
  const auto read = [&](const XmlElement& entry) {
    media->emplace_back();
    return ParseAvailableMedium(entry, &media->back());
  };
  if (absl::Status s = ReadList(e, Ns::kCi, "entry", read); !s.ok())
    return s;
  if (media->empty())
    return Missing(e, "entry");
  return absl::OkStatus();
}

// RFC 4575 §5.3.4 conference-medium-type.
absl::Status C3pRequestParser::ParseAvailableMedium(const XmlElement& e,
                                                    C3pAvailableMediaView* m) {
  if (absl::Status s = Required(e, "label", &m->label); !s.ok())
    return s;
  ForeignAttributes(e, &m->attributes);
  bool has_type = false;
  const auto read = [&](const XmlElement& c, Child* child) {
    absl::string_view* field = nullptr;
    if (IsCi(c)) {
      if (c.local_name == "display-text") {
        field = &m->display_text;
      } else if (c.local_name == "type") {
        has_type = true;
        field = &m->type;
      } else if (c.local_name == "status") {
        field = &m->status;
      }
    }
    return TextField(c, field, child);
  };
  if (absl::Status s = ReadChildren(e, &m->extensions, read); !s.ok())
    return s;
  if (!has_type)
    return Missing(e, "type");
  return absl::OkStatus();
}

// RFC 4575 §5.7.4 call-type: sip, or foreign content instead. confstate
// models sip only; an empty call-info says nothing and is left out.
absl::Status C3pRequestParser::ParseCallInfo(
    const XmlElement& e, std::optional<C3pSipDialogView>* call_info) {
  const XmlElement* sip = nullptr;
  const XmlElement* other = nullptr;
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    if (Is(*c, Ns::kCi, "sip")) {
      if (sip != nullptr)
        return Duplicate(*c);
      sip = c;
    } else if (IsOurs(*c)) {
      return Unexpected(*c, e);
    } else if (other == nullptr) {
      other = c;
    }
  }
  if (other != nullptr && sip != nullptr) {
    return Error(*other,
                 "<call-info> holds <sip> and other content, "
                 "where RFC 4575 allows one or the other");
  }
  if (other != nullptr) {
    return Refuse(*other, absl::StatusCode::kUnimplemented,
                  "confstate models call-info/sip only");
  }
  if (sip == nullptr)
    return absl::OkStatus();
  return ParseSipDialog(*sip, &call_info->emplace());
}

// RFC 4575 §5.7.4 sip-dialog-id-type. Foreign children are ignored: the
// model has no slot for them.
absl::Status C3pRequestParser::ParseSipDialog(const XmlElement& e,
                                              C3pSipDialogView* d) {
  bool call_id = false, from_tag = false, to_tag = false;
  const auto read = [&](const XmlElement& c, Child* child) {
    absl::string_view* field = nullptr;
    if (IsCi(c)) {
      if (c.local_name == "display-text") {
        field = &d->display_text;
      } else if (c.local_name == "call-id") {
        call_id = true;
        field = &d->call_id;
      } else if (c.local_name == "from-tag") {
        from_tag = true;
        field = &d->from_tag;
      } else if (c.local_name == "to-tag") {
        to_tag = true;
        field = &d->to_tag;
      }
    }
    return TextField(c, field, child);
  };
  if (absl::Status s = ReadChildren(e, nullptr, read); !s.ok())
    return s;
  if (!call_id)
    return Missing(e, "call-id");
  if (!from_tag)
    return Missing(e, "from-tag");
  if (!to_tag)
    return Missing(e, "to-tag");
  return absl::OkStatus();
}

// RFC 4575 §5.6.3 user-languages-type: a list of xs:language tags.
absl::Status C3pRequestParser::ParseLanguages(
    const XmlElement& e, std::vector<absl::string_view>* languages) {
  absl::string_view text;
  if (absl::Status s = Text(e, &text); !s.ok())
    return s;
  languages->clear();
  for (absl::string_view tag :
       absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    if (!IsXsLanguage(tag))
      return NotOfType(e, tag, "xs:language");
    languages->push_back(tag);
  }
  return absl::OkStatus();
}

}  // namespace codec
}  // namespace conf
