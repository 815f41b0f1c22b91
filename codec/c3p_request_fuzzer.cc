// libFuzzer target for ParseC3pRequest.
//
// Properties checked on every input:
//   - parsing returns (no crash, no sanitizer report, no hang);
//   - an error message is non-empty and short (echoed input is capped);
//   - on success, every view lies inside the request's own storage and is
//     readable, and every extension fragment is itself well-formed XML whose
//     root has the namespace and local name recorded for it;
//   - the namespace ids XmlDocument gives elements and attributes agree with
//     their URIs.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "codec/c3p_request.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// Reads every byte of `v` so ASan sees any dangling view.
size_t Touch(absl::string_view v) {
  size_t sum = 0;
  for (char c : v)
    sum += static_cast<unsigned char>(c);
  return sum;
}

void CheckExtension(const C3pExtension& e) {
  Touch(e.namespace_uri);
  Touch(e.local_name);
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      std::vector<char>(e.raw_xml.begin(), e.raw_xml.end()),
      ParseLimits{e.raw_xml.size() + 1, 256, 1 << 20, 1 << 20});
  if (!doc.ok() || doc->root().ns_uri != e.namespace_uri ||
      doc->root().local_name != e.local_name) {
    std::abort();  // the reader produced a fragment that does not read back
  }
}

void CheckAll(const std::vector<C3pExtension>& extensions) {
  for (const C3pExtension& e : extensions)
    CheckExtension(e);
}

void CheckExecution(const std::optional<C3pExecutionView>& x) {
  if (x.has_value()) {
    Touch(x->when);
    Touch(x->reason);
    Touch(x->by);
  }
}

void CheckUris(const std::vector<C3pUriEntryView>& uris) {
  for (const C3pUriEntryView& u : uris) {
    Touch(u.uri);
    Touch(u.purpose);
    CheckExecution(u.modified);
    CheckAll(u.extensions);
  }
}

void CheckMedia(const C3pMediaView& m) {
  Touch(m.id);
  Touch(m.status);
  CheckAll(m.extensions);
}

void CheckEndpoint(const C3pEndpointView& ep) {
  Touch(ep.entity);
  Touch(ep.lobby_capable);
  CheckExecution(ep.referred);
  CheckExecution(ep.joining_info);
  CheckExecution(ep.disconnection_info);
  if (ep.call_info.has_value()) {
    Touch(ep.call_info->call_id);
    Touch(ep.call_info->to_tag);
  }
  CheckAll(ep.client_info_extensions);
  CheckAll(ep.extensions);
  for (const C3pMediaView& m : ep.media)
    CheckMedia(m);
}

void CheckUser(const C3pUserView& u) {
  Touch(u.entity);
  for (absl::string_view r : u.roles)
    Touch(r);
  for (absl::string_view l : u.languages)
    Touch(l);
  Touch(u.cascaded_focus);
  CheckUris(u.associated_aors);
  CheckAll(u.extensions);
  for (const C3pEndpointView& ep : u.endpoints)
    CheckEndpoint(ep);
}

void CheckConferenceInfo(const C3pConferenceInfoView& ci) {
  Touch(ci.entity);
  if (ci.description.has_value()) {
    Touch(ci.description->subject);
    CheckUris(ci.description->service_uris);
    for (const C3pAvailableMediaView& m : ci.description->available_media) {
      Touch(m.label);
      Touch(m.type);
      CheckAll(m.extensions);
    }
    CheckAll(ci.description->extensions);
  }
  for (const C3pEntityViewView& v : ci.entity_views) {
    Touch(v.entity);
    CheckAll(v.entity_state_extensions);
    CheckAll(v.extensions);
  }
  for (const C3pUserView& u : ci.users)
    CheckUser(u);
  CheckAll(ci.extensions);
}

struct Visitor {
  void operator()(const C3pAddConference& c) {
    CheckConferenceInfo(c.conference_info);
  }
  void operator()(const C3pModifyConference& c) {
    CheckConferenceInfo(c.conference_info);
  }
  void operator()(const C3pGetConference& c) { Touch(c.x509_certificate); }
  void operator()(const C3pAddUser& c) { CheckUser(c.user); }
  void operator()(const C3pModifyEndpointMedia& c) { CheckMedia(c.media); }
  void operator()(const C3pModifyEndpoint& c) { CheckEndpoint(c.endpoint); }
  void operator()(const C3pSetLobbyAccess& c) {
    for (absl::string_view u : c.user_entities)
      Touch(u);
  }
  void operator()(const C3pModifyUserRoles& c) {
    for (absl::string_view r : c.roles)
      Touch(r);
  }
  template <typename T>
  void operator()(const T&) {}
};

// Known URIs as ParseC3pRequest passes them, plus two that exercise the
// other paths: the `xml` prefix's URI and "" (no namespace).
constexpr absl::string_view kKnownNamespaces[] = {
    kCccpNamespace,      kConferenceInfoNamespace,
    kSeparatorNamespace, kMsciNamespace,
    kMsci2008Namespace,  kMscpNamespace,
    kXmlNamespaceUri,    "",
};

int ExpectedId(absl::string_view uri) {
  for (size_t i = 0; i < sizeof(kKnownNamespaces) / sizeof(kKnownNamespaces[0]);
       ++i) {
    if (kKnownNamespaces[i] == uri)
      return static_cast<int>(i) + 1;
  }
  return 0;
}

void CheckNamespaceIds(const XmlElement& e) {
  if (e.ns_id != ExpectedId(e.ns_uri))
    std::abort();
  for (const XmlAttribute& a : e.attributes) {
    if (a.ns_id != ExpectedId(a.ns_uri))
      std::abort();
  }
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling)
    CheckNamespaceIds(*c);
}

int FuzzOne(const uint8_t* data, size_t size) {
  {
    absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
        std::vector<char>(reinterpret_cast<const char*>(data),
                          reinterpret_cast<const char*>(data) + size),
        ParseLimits(), kKnownNamespaces);
    if (doc.ok())
      CheckNamespaceIds(doc->root());
  }
  std::vector<char> body(reinterpret_cast<const char*>(data),
                         reinterpret_cast<const char*>(data) + size);
  absl::StatusOr<C3pRequest> request = ParseC3pRequest(std::move(body));
  if (!request.ok()) {
    // Messages name a place and echo at most 64 bytes (x4 for escapes) per
    // quoted item.
    if (request.status().message().empty() ||
        request.status().message().size() > 1024) {
      std::abort();
    }
    // The pre-scan must accept only what RapidXML reads the same way.
    if (request.status().GetPayload(kParserDisagreementPayload).has_value()) {
      std::abort();
    }
    return 0;
  }
  Touch(request->request_id);
  Touch(request->from);
  Touch(request->to);
  Touch(request->command_name);
  std::visit(Visitor{}, request->command);
  return 0;
}

}  // namespace
}  // namespace codec
}  // namespace conf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return conf::codec::FuzzOne(data, size);
}
