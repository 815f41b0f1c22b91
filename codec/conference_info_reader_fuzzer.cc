// libFuzzer target for ParseConferenceInfo.
//
// Properties checked on every input:
//   - parsing returns (no crash, no sanitizer report, no hang), and an error
//     is short, names the reader and never carries the pre-scan/RapidXML
//     disagreement payload;
//   - on success, every view is readable after the document has moved (ASan
//     sees a dangling one), and the view keeps RFC 4575 §4.4's rules: a
//     deleted root or element has nothing below it, and every key is
//     non-empty.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// Reads every byte of `v` so ASan sees any dangling view.
size_t Touch(absl::string_view v) {
  size_t sum = 0;
  for (char c : v) {
    sum += static_cast<unsigned char>(c);
  }
  return sum;
}

size_t Touch(const std::optional<absl::string_view>& v) {
  return v.has_value() ? Touch(*v) : 0;
}

void Require(bool property) {
  if (!property) {
    std::abort();
  }
}

// Nothing is read under a deleted element (RFC 4575 §4.4).
void CheckNesting(ElementState parent) {
  Require(parent != ElementState::kDeleted);
}

void CheckEndpoint(ElementState user, const CiEndpoint& e) {
  CheckNesting(user);
  Require(!e.entity.empty());
  Touch(e.entity);
  Touch(e.session_type);
  Touch(e.endpoint_uri);
  Touch(e.refer_to_uri);
  Touch(e.session_on_behalf_of);
  Touch(e.display_text);
  Touch(e.status);
  Touch(e.joining_method);
  Touch(e.disconnection_method);
  Require(e.state != ElementState::kDeleted || e.media.empty());
  for (const CiMedia& m : e.media) {
    Require(!m.id.empty());
    Touch(m.id);
    Touch(m.display_text);
    Touch(m.type);
    Touch(m.label);
    Touch(m.src_id);
    Touch(m.status);
    Touch(m.media_state);
    Touch(m.media_source_id);
  }
}

void CheckUsers(ElementState root, const std::optional<CiUserList>& list) {
  if (!list.has_value()) {
    return;
  }
  CheckNesting(root);
  Require(list->state != ElementState::kDeleted || list->users.empty());
  for (const CiUser& u : list->users) {
    CheckNesting(list->state);
    Require(!u.entity.empty());
    Touch(u.entity);
    Touch(u.display_text);
    if (u.roles.has_value()) {
      for (absl::string_view r : *u.roles) {
        Touch(r);
      }
    }
    Require(u.state != ElementState::kDeleted || u.endpoints.empty());
    for (const CiEndpoint& e : u.endpoints) {
      CheckEndpoint(u.state, e);
    }
  }
}

void CheckUris(const std::optional<CiUriList>& list) {
  if (!list.has_value()) {
    return;
  }
  for (const CiUri& u : list->entries) {
    Require(!u.uri.empty());
    Touch(u.uri);
    Touch(u.display_text);
    Touch(u.purpose);
    Touch(u.encrypted_uri);
  }
}

void CheckDocument(const ConferenceInfoDocument& doc) {
  Require(!doc.entity.empty());
  Touch(doc.entity);
  if (doc.state == ElementState::kDeleted) {
    Require(!doc.description.has_value() && !doc.conference_state.has_value() &&
            !doc.users.has_value() && !doc.conference_view.has_value() &&
            !doc.lobby.has_value());
    return;
  }
  if (doc.description.has_value()) {
    const CiDescription& d = *doc.description;
    Touch(d.display_text);
    Touch(d.subject);
    Touch(d.free_text);
    Touch(d.keywords);
    CheckUris(d.conf_uris);
    CheckUris(d.service_uris);
    Touch(d.conference_id);
    Touch(d.expiry_time);
    Touch(d.admission_policy);
    Touch(d.conference_key);
    Touch(d.pstn_access_id);
    Touch(d.organizer_display_name);
    Touch(d.join_url);
  }
  CheckUsers(doc.state, doc.users);
  CheckUsers(doc.state, doc.lobby);
  if (doc.conference_view.has_value()) {
    CheckNesting(doc.state);
    for (const CiEntityView& v : doc.conference_view->views) {
      CheckNesting(doc.conference_view->state);
      Require(!v.entity.empty());
      Touch(v.entity);
    }
  }
}

int FuzzOne(const uint8_t* data, size_t size) {
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) {
    // Messages name a place and echo at most 64 bytes (x4 for escapes) per
    // quoted item.
    const absl::string_view message = doc.status().message();
    Require(absl::StartsWith(message, "conference-info: "));
    Require(message.size() <= 1024);
    // The pre-scan must accept only what RapidXML reads the same way.
    Require(!doc.status().GetPayload(kParserDisagreementPayload).has_value());
    return 0;
  }
  const ConferenceInfoDocument moved = *std::move(doc);
  CheckDocument(moved);
  return 0;
}

}  // namespace
}  // namespace codec
}  // namespace conf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return conf::codec::FuzzOne(data, size);
}
