#include "engine/internal/request_validator.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "engine/conference_store.h"
#include "engine/internal/messages.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

void RequestValidator::String(absl::string_view field,
                              absl::string_view value) {
  if (status_.ok() && value.size() > limits_.max_string_bytes) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(field, " is ", value.size(), " bytes, over the limit of ",
                     limits_.max_string_bytes));
  }
}

void RequestValidator::NonEmpty(absl::string_view field,
                                absl::string_view value) {
  if (status_.ok() && value.empty()) {
    status_ = absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  String(field, value);
}

void RequestValidator::Count(absl::string_view field, size_t count,
                             size_t limit) {
  if (status_.ok() && count > limit) {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        field, " has ", count, " entries, over the limit of ", limit));
  }
}

void RequestValidator::Extensions(absl::string_view field,
                                  const std::vector<Extension>& extensions) {
  Count(field, extensions.size(), limits_.max_extensions);
  for (const Extension& e : extensions) {
    String(field, e.namespace_uri);
    String(field, e.local_name);
    if (status_.ok() && e.raw_xml.size() > limits_.max_extension_bytes) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          field, " <", Quote(e.local_name), "> is ", e.raw_xml.size(),
          " bytes, over the limit of ", limits_.max_extension_bytes));
    }
  }
}

void RequestValidator::Attributes(
    absl::string_view field,
    const std::vector<ExtensionAttribute>& attributes) {
  Count(field, attributes.size(), limits_.max_extensions);
  for (const ExtensionAttribute& a : attributes) {
    String(field, a.namespace_uri);
    String(field, a.local_name);
    String(field, a.value);
  }
}

void RequestValidator::Execution(absl::string_view field,
                                 const engine::Execution& e) {
  String(field, e.when);
  String(field, e.reason);
  String(field, e.by);
}

void RequestValidator::Uris(absl::string_view field,
                            const std::vector<UriEntry>& uris) {
  Count(field, uris.size(), limits_.max_list_entries);
  for (const UriEntry& u : uris) {
    String(field, u.uri);
    String(field, u.display_text);
    String(field, u.purpose);
    if (u.modified.has_value()) {
      Execution(field, *u.modified);
    }
    Extensions(field, u.extensions);
    Attributes(field, u.attributes);
  }
}

void RequestValidator::Strings(absl::string_view field,
                               const std::vector<std::string>& list) {
  Count(field, list.size(), limits_.max_list_entries);
  for (const std::string& s : list) {
    String(field, s);
  }
}

void RequestValidator::Media(const engine::Media& m) {
  NonEmpty("media id", m.id.value());
  String("media display-text", m.display_text);
  String("media type", m.type);
  String("media label", m.label);
  String("media src-id", m.src_id);
  String("media media-state", m.media_state);
  String("media media-source-id", m.media_source_id);
  Extensions("media extension", m.extensions);
  Attributes("media attribute", m.attributes);
}

void RequestValidator::Endpoint(const engine::Endpoint& e) {
  NonEmpty("endpoint entity", e.entity.value());
  String("endpoint display-text", e.display_text);
  if (e.referred) {
    Execution("endpoint referred", *e.referred);
  }
  if (e.joining_info) {
    Execution("endpoint joining-info", *e.joining_info);
  }
  if (e.disconnection_info) {
    Execution("endpoint disconnection-info", *e.disconnection_info);
  }
  if (e.call_info) {
    String("endpoint call-info", e.call_info->display_text);
    String("endpoint call-info", e.call_info->call_id);
    String("endpoint call-info", e.call_info->from_tag);
    String("endpoint call-info", e.call_info->to_tag);
  }
  String("endpoint session-type", e.session_type);
  String("endpoint endpoint-uri", e.endpoint_uri);
  String("endpoint refer-to-uri", e.refer_to_uri);
  String("endpoint session-on-behalf-of", e.session_on_behalf_of);
  if (e.client_info) {
    Extensions("clientInfo extension", e.client_info->extensions);
    Attributes("clientInfo attribute", e.client_info->attributes);
  }
  Extensions("endpoint extension", e.extensions);
  Attributes("endpoint attribute", e.attributes);
  if (!status_.ok()) {
    return;
  }
  if (e.media.size() > limits_.max_media_per_endpoint) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "endpoint ", Quote(e.entity.value()), " has ", e.media.size(),
        " media, over the limit of ", limits_.max_media_per_endpoint));
    return;
  }
  for (size_t i = 0; i < e.media.size() && status_.ok(); ++i) {
    if (e.media[i] == nullptr) {
      status_ = absl::InvalidArgumentError("endpoint has a null media");
      return;
    }
    Media(*e.media[i]);
    for (size_t j = 0; j < i && status_.ok(); ++j) {
      if (e.media[j]->id == e.media[i]->id) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            "media id ", Quote(e.media[i]->id.value()),
            " appears twice in endpoint ", Quote(e.entity.value())));
      }
    }
  }
}

void RequestValidator::User(const engine::User& u) {
  NonEmpty("user entity", u.entity.value());
  String("user display-text", u.display_text);
  Uris("user associated-aors", u.associated_aors);
  Strings("user languages", u.languages);
  String("user cascaded-focus", u.cascaded_focus);
  Extensions("user extension", u.extensions);
  Attributes("user attribute", u.attributes);
  if (!status_.ok()) {
    return;
  }
  if (u.endpoints.size() > limits_.max_endpoints_per_user) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "user ", Quote(u.entity.value()), " has ", u.endpoints.size(),
        " endpoints, over the limit of ", limits_.max_endpoints_per_user));
    return;
  }
  for (size_t i = 0; i < u.endpoints.size() && status_.ok(); ++i) {
    if (u.endpoints[i] == nullptr) {
      status_ = absl::InvalidArgumentError("user has a null endpoint");
      return;
    }
    Endpoint(*u.endpoints[i]);
    for (size_t j = 0; j < i && status_.ok(); ++j) {
      if (u.endpoints[j]->entity == u.endpoints[i]->entity) {
        status_ = absl::InvalidArgumentError(
            absl::StrCat("endpoint ", Quote(u.endpoints[i]->entity.value()),
                         " appears twice in user ", Quote(u.entity.value())));
      }
    }
  }
}

void RequestValidator::Description(const ConferenceDescription& d) {
  String("display-text", d.display_text);
  String("subject", d.subject);
  String("free-text", d.free_text);
  Strings("keywords", d.keywords);
  Uris("conf-uris", d.conf_uris);
  Uris("service-uris", d.service_uris);
  Count("available-media", d.available_media.size(), limits_.max_list_entries);
  for (const AvailableMedia& m : d.available_media) {
    String("available-media label", m.label);
    String("available-media display-text", m.display_text);
    String("available-media type", m.type);
    Extensions("available-media extension", m.extensions);
    Attributes("available-media attribute", m.attributes);
  }
  String("conference-id", d.conference_id);
  String("expiry-time", d.expiry_time);
  if (d.pstn_access.has_value()) {
    String("pstn-access id", d.pstn_access->id);
    Extensions("pstn-access extension", d.pstn_access->extensions);
  }
  String("organizer display-name", d.organizer_display_name);
  String("join-url", d.join_url);
  Extensions("conference-description extension", d.extensions);
  Attributes("conference-description attribute", d.attributes);
}

void RequestValidator::HostInfo(const engine::HostInfo& h) {
  String("host-info display-text", h.display_text);
  String("host-info web-page", h.web_page);
  Uris("host-info uris", h.uris);
  Extensions("host-info extension", h.extensions);
}

void RequestValidator::View(const EntityView& v) {
  String("entity-view entity", v.entity);
  String("entity-view mcu type", v.mcu_type);
  if (v.capabilities.has_value()) {
    String("entity-capabilities control-permission",
           v.capabilities->control_permission);
    Extensions("entity-capabilities extension", v.capabilities->extensions);
  }
  String("entity-state application", v.state.application);
  Count("entity-state media", v.state.media.size(), limits_.max_list_entries);
  for (const EntityMedia& m : v.state.media) {
    String("entity-state media label", m.label);
    String("entity-state media display-text", m.display_text);
    String("entity-state media type", m.type);
    String("entity-state media video-mode", m.video_mode);
    Extensions("entity-state media extension", m.extensions);
  }
  Extensions("entity-state extension", v.state.extensions);
  Attributes("entity-state attribute", v.state.attributes);
  Extensions("entity-view extension", v.extensions);
  Attributes("entity-view attribute", v.attributes);
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
