#include "tools/confstate_validate.h"

#include <cstddef>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"

namespace conf {
namespace tools {
namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxBytes = 16 << 20;

// The reader's limits, with the document size checked here first and no
// bound on elements or attributes: a limit the reader reports can then only
// be the nesting depth.
codec::ParseLimits Limits() {
  codec::ParseLimits limits;
  limits.max_bytes = kMaxBytes;
  limits.max_depth = kMaxDepth;
  limits.max_elements = std::numeric_limits<size_t>::max();
  limits.max_attributes_per_element = std::numeric_limits<size_t>::max();
  return limits;
}

// The reader's refusal in this command's words.
absl::Status Refusal(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    return absl::InvalidArgumentError(
        absl::StrCat("elements nested too deeply: ", status.message()));
  }
  // The xml reader calls it an "undeclared namespace prefix".
  if (absl::StrContains(status.message(), "undeclared namespace prefix")) {
    return absl::InvalidArgumentError(
        absl::StrCat("undeclared prefix: ", status.message()));
  }
  return status;
}

// `text` for a message: escaped, and cut at 64 bytes.
std::string Echo(absl::string_view text) {
  constexpr size_t kMaxEcho = 64;
  if (text.size() <= kMaxEcho) {
    return absl::CEscape(text);
  }
  return absl::StrCat(absl::CEscape(text.substr(0, kMaxEcho)), "...");
}

// OkStatus when no two of `items` have the same key (RFC 4575 §4.5: a key
// names one element of its list).
template <typename Item, typename KeyOf>
absl::Status UniqueKeys(absl::Span<const Item> items, absl::string_view item,
                        absl::string_view list, KeyOf key_of) {
  std::set<absl::string_view> seen;
  for (const Item& i : items) {
    const absl::string_view key = key_of(i);
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate <", item,
                                                     "> with key \"", Echo(key),
                                                     "\" in <", list, ">"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUris(const std::optional<codec::CiUriList>& uris,
                       absl::string_view list) {
  if (!uris.has_value()) {
    return absl::OkStatus();
  }
  return UniqueKeys(uris->entries, "entry", list,
                    [](const codec::CiUri& u) { return u.uri; });
}

absl::Status CheckEndpoints(const codec::CiUser& user) {
  if (absl::Status s =
          UniqueKeys(user.endpoints, "endpoint", "user",
                     [](const codec::CiEndpoint& e) { return e.entity; });
      !s.ok()) {
    return s;
  }
  for (const codec::CiEndpoint& e : user.endpoints) {
    if (absl::Status s =
            UniqueKeys(e.media, "media", "endpoint",
                       [](const codec::CiMedia& m) { return m.id; });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUsers(const std::optional<codec::CiUserList>& users,
                        absl::string_view list) {
  if (!users.has_value()) {
    return absl::OkStatus();
  }
  if (absl::Status s =
          UniqueKeys(users->users, "user", list,
                     [](const codec::CiUser& u) { return u.entity; });
      !s.ok()) {
    return s;
  }
  for (const codec::CiUser& u : users->users) {
    if (absl::Status s = CheckEndpoints(u); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConferenceInfo(absl::string_view document) {
  if (document.size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("document larger than ", kMaxBytes, " bytes"));
  }
  absl::StatusOr<codec::ConferenceInfoDocument> doc =
      codec::ParseConferenceInfo(document, Limits());
  if (!doc.ok()) {
    return Refusal(doc.status());
  }
  if (doc->description.has_value()) {
    if (absl::Status s = CheckUris(doc->description->conf_uris, "conf-uris");
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckUris(doc->description->service_uris, "service-uris");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = CheckUsers(doc->users, "users"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckUsers(doc->lobby, "msci:lobby"); !s.ok()) {
    return s;
  }
  if (doc->conference_view.has_value()) {
    return UniqueKeys(doc->conference_view->views, "msci:entity-view",
                      "msci:conference-view",
                      [](const codec::CiEntityView& v) { return v.entity; });
  }
  return absl::OkStatus();
}

}  // namespace tools
}  // namespace conf
