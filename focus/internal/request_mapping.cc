#include "focus/internal/request_mapping.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

#include "codec/wire_names.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

using codec::C3pReason;

// An optional enumeration: empty input is absent; an unknown spelling is
// malformed.
template <typename Enum, size_t N>
bool MapOptional(const codec::WireNameRow<Enum> (&table)[N],
                 absl::string_view text, std::optional<Enum>* out) {
  if (text.empty())
    return true;
  *out = codec::ParseWireName(table, text);
  return out->has_value();
}

// RFC 4575 execution-type; the parser checked `when` and `by`.
engine::Execution MapExecution(const codec::C3pExecutionView& view) {
  return engine::Execution{view.when, view.reason, view.by};
}

engine::SipCallInfo MapSipDialog(const codec::C3pSipDialogView& view) {
  return engine::SipCallInfo{view.display_text, view.call_id, view.from_tag,
                             view.to_tag};
}

// An available-media list (requestMalformed for an unknown status).
Mapped<std::vector<engine::AvailableMedia>> MapAvailableMedia(
    const std::vector<codec::C3pAvailableMediaView>& views) {
  std::vector<engine::AvailableMedia> out;
  out.reserve(views.size());
  for (const codec::C3pAvailableMediaView& view : views) {
    engine::AvailableMedia& m = out.emplace_back();
    m.label = std::string(view.label);
    m.display_text = std::string(view.display_text);
    m.type = std::string(view.type);
    if (!MapOptional(codec::kMediaStatusNames, view.status, &m.status))
      return C3pReason::kRequestMalformed;
    m.extensions = MapExtensions(view.extensions);
    m.attributes = MapAttributes(view.attributes);
  }
  return out;
}

}  // namespace

std::vector<engine::UriEntry> MapUris(
    const std::vector<codec::C3pUriEntryView>& entries) {
  std::vector<engine::UriEntry> out;
  out.reserve(entries.size());
  for (const codec::C3pUriEntryView& view : entries) {
    engine::UriEntry& entry = out.emplace_back();
    entry.uri = std::string(view.uri);
    entry.display_text = std::string(view.display_text);
    entry.purpose = std::string(view.purpose);
    if (view.modified.has_value())
      entry.modified = MapExecution(*view.modified);
    entry.extensions = MapExtensions(view.extensions);
    entry.attributes = MapAttributes(view.attributes);
  }
  return out;
}

std::vector<engine::Extension> MapExtensions(
    const std::vector<codec::C3pExtension>& extensions) {
  std::vector<engine::Extension> out;
  out.reserve(extensions.size());
  for (const codec::C3pExtension& e : extensions) {
    out.push_back(engine::Extension{
        std::string(e.namespace_uri), std::string(e.local_name),
        std::string(e.raw_xml), e.separators_before});
  }
  return out;
}

std::vector<engine::ExtensionAttribute> MapAttributes(
    const std::vector<codec::C3pExtensionAttribute>& attributes) {
  std::vector<engine::ExtensionAttribute> out;
  out.reserve(attributes.size());
  for (const codec::C3pExtensionAttribute& a : attributes) {
    out.push_back(engine::ExtensionAttribute{std::string(a.namespace_uri),
                                             std::string(a.local_name),
                                             std::string(a.value)});
  }
  return out;
}

Mapped<engine::Role> MapRoles(const std::vector<absl::string_view>& roles) {
  engine::Role role = engine::Role::kAttendee;
  for (absl::string_view entry : roles) {
    const std::optional<engine::Role> parsed = codec::ParseWireName(
        codec::kRoleNames, absl::StripAsciiWhitespace(entry));
    if (!parsed.has_value())
      return C3pReason::kInvalidRole;
    if (*parsed == engine::Role::kPresenter)
      role = engine::Role::kPresenter;
  }
  return role;
}

Mapped<engine::Media> MapMedia(const codec::C3pMediaView& view) {
  if (view.id.empty())
    return C3pReason::kRequestMalformed;
  engine::Media media;
  media.id = engine::MediaId(view.id);
  media.display_text = std::string(view.display_text);
  media.type = std::string(view.type);
  media.label = std::string(view.label);
  media.src_id = std::string(view.src_id);
  if (!MapOptional(codec::kMediaStatusNames, view.status, &media.status)) {
    return C3pReason::kRequestMalformed;
  }
  media.media_state = std::string(view.media_state);
  media.media_source_id = std::string(view.media_source_id);
  media.extensions = MapExtensions(view.extensions);
  media.attributes = MapAttributes(view.attributes);
  return media;
}

Mapped<engine::Endpoint> MapEndpoint(const codec::C3pEndpointView& view) {
  if (view.entity.empty())
    return C3pReason::kRequestMalformed;
  engine::Endpoint endpoint;
  endpoint.entity = engine::EndpointId(view.entity);
  endpoint.display_text = std::string(view.display_text);
  if (view.referred.has_value())
    endpoint.referred = MapExecution(*view.referred);
  if (view.joining_info.has_value())
    endpoint.joining_info = MapExecution(*view.joining_info);
  if (view.disconnection_info.has_value())
    endpoint.disconnection_info = MapExecution(*view.disconnection_info);
  if (view.call_info.has_value())
    endpoint.call_info = MapSipDialog(*view.call_info);
  if (!MapOptional(codec::kEndpointStatusNames, view.status,
                   &endpoint.status) ||
      !MapOptional(codec::kJoiningMethodNames, view.joining_method,
                   &endpoint.joining_method) ||
      !MapOptional(codec::kDisconnectionMethodNames, view.disconnection_method,
                   &endpoint.disconnection_method)) {
    return C3pReason::kRequestMalformed;
  }
  endpoint.session_type = std::string(view.session_type);
  endpoint.endpoint_uri = std::string(view.endpoint_uri);
  endpoint.refer_to_uri = std::string(view.refer_to_uri);
  endpoint.session_on_behalf_of = std::string(view.session_on_behalf_of);
  if (view.has_client_info) {
    engine::ClientInfo info;
    if (view.lobby_capable == "true") {
      info.lobby_capable = true;
    } else if (view.lobby_capable == "false") {
      info.lobby_capable = false;
    } else if (!view.lobby_capable.empty()) {
      return C3pReason::kRequestMalformed;
    }
    info.extensions = MapExtensions(view.client_info_extensions);
    endpoint.client_info = std::move(info);
  }
  for (const codec::C3pMediaView& m : view.media) {
    Mapped<engine::Media> media = MapMedia(m);
    if (auto* reason = std::get_if<C3pReason>(&media))
      return *reason;
    endpoint.media.push_back(std::make_shared<const engine::Media>(
        std::get<engine::Media>(std::move(media))));
  }
  endpoint.extensions = MapExtensions(view.extensions);
  endpoint.attributes = MapAttributes(view.attributes);
  return endpoint;
}

Mapped<engine::User> MapUser(const codec::C3pUserView& view) {
  if (view.entity.empty())
    return C3pReason::kInvalidUserEntity;
  engine::User user;
  user.entity = engine::UserId(view.entity);
  user.display_text = std::string(view.display_text);
  if (!view.associated_aors.empty())
    user.associated_aors = MapUris(view.associated_aors);
  for (absl::string_view language : view.languages)
    user.languages.emplace_back(language);
  user.cascaded_focus = view.cascaded_focus;
  Mapped<engine::Role> role = MapRoles(view.roles);
  if (auto* reason = std::get_if<C3pReason>(&role))
    return *reason;
  user.role = std::get<engine::Role>(role);
  for (const codec::C3pEndpointView& e : view.endpoints) {
    Mapped<engine::Endpoint> endpoint = MapEndpoint(e);
    if (auto* reason = std::get_if<C3pReason>(&endpoint))
      return *reason;
    user.endpoints.push_back(std::make_shared<const engine::Endpoint>(
        std::get<engine::Endpoint>(std::move(endpoint))));
  }
  user.extensions = MapExtensions(view.extensions);
  user.attributes = MapAttributes(view.attributes);
  return user;
}

Mapped<engine::Media> OverlayMedia(engine::Media base,
                                   const codec::C3pMediaView& view) {
  if (!view.status.empty()) {
    base.status = codec::ParseWireName(codec::kMediaStatusNames, view.status);
    if (!base.status.has_value())
      return codec::C3pReason::kRequestMalformed;
  }
  if (!view.type.empty())
    base.type = std::string(view.type);
  if (!view.label.empty())
    base.label = std::string(view.label);
  if (!view.media_state.empty())
    base.media_state = std::string(view.media_state);
  if (!view.media_source_id.empty())
    base.media_source_id = std::string(view.media_source_id);
  return base;
}

Mapped<engine::ConferenceDescription> OverlayDescription(
    engine::ConferenceDescription base, const codec::C3pDescriptionView& view) {
  if (!view.display_text.empty()) {
    base.display_text = std::string(view.display_text);
  }
  if (!view.subject.empty())
    base.subject = std::string(view.subject);
  if (!view.free_text.empty())
    base.free_text = std::string(view.free_text);
  if (!view.keywords.empty()) {
    base.keywords = absl::StrSplit(view.keywords, absl::ByAnyChar(" \t\r\n"),
                                   absl::SkipEmpty());
  }
  // Lists replace the ones the conference has (RFC 4575 atomic elements);
  // conf-uris are the focus's, refused by the parser.
  if (!view.service_uris.empty())
    base.service_uris = MapUris(view.service_uris);
  if (!view.available_media.empty()) {
    Mapped<std::vector<engine::AvailableMedia>> media =
        MapAvailableMedia(view.available_media);
    if (auto* reason = std::get_if<C3pReason>(&media))
      return *reason;
    base.available_media =
        std::get<std::vector<engine::AvailableMedia>>(std::move(media));
  }
  if (!view.maximum_user_count.empty()) {
    uint32_t count = 0;
    if (!absl::SimpleAtoi(view.maximum_user_count, &count)) {
      return C3pReason::kRequestMalformed;
    }
    base.maximum_user_count = count;
  }
  if (!view.conference_id.empty()) {
    if (!IsValidConferenceId(view.conference_id)) {
      return C3pReason::kInvalidConferenceId;
    }
    base.conference_id = std::string(view.conference_id);
  }
  if (!view.expiry_time.empty()) {
    base.expiry_time = std::string(view.expiry_time);
  }
  if (!view.admission_policy.empty()) {
    base.admission_policy = codec::ParseWireName(codec::kAdmissionPolicyNames,
                                                 view.admission_policy);
    if (!base.admission_policy.has_value()) {
      return C3pReason::kRequestMalformed;
    }
  }
  if (!view.presenter_policy.empty()) {
    base.presenter_policy = codec::ParseWireName(codec::kPresenterPolicyNames,
                                                 view.presenter_policy);
    if (!base.presenter_policy.has_value())
      return C3pReason::kRequestMalformed;
  }
  if (!view.extensions.empty())
    base.extensions = MapExtensions(view.extensions);
  return base;
}

bool IsValidConferenceId(absl::string_view id) {
  if (id.empty() || id.size() > 32)
    return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
