#include "engine/internal/request_validator.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
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

// How the messages about one kind of keyed children name them.
struct RequestValidator::ChildNames {
  absl::string_view parent;    // "<parent> \"p\" has 17 <plural>, ..."
  absl::string_view singular;  // "<parent> has a null <singular>"
  absl::string_view plural;
  absl::string_view key;  // "<key> \"k\" appears twice in <parent> \"p\""
};

namespace {

// kInvalidArgument: `what` is `size` bytes, over the limit of `limit`.
absl::Status TooManyBytes(absl::string_view what, size_t size, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is ", size, " bytes, over the limit of ", limit));
}

}  // namespace

void RequestValidator::Fail(absl::Status failure) {
  if (status_.ok()) {
    status_ = std::move(failure);
  }
}

void RequestValidator::String(absl::string_view field,
                              absl::string_view value) {
  if (value.size() > limits_.max_string_bytes) {
    Fail(TooManyBytes(field, value.size(), limits_.max_string_bytes));
  }
}

void RequestValidator::NonEmpty(absl::string_view field,
                                absl::string_view value) {
  if (value.empty()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(field, " is empty")));
  }
  String(field, value);
}

void RequestValidator::Count(absl::string_view field, size_t count,
                             size_t limit) {
  if (count > limit) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        field, " has ", count, " entries, over the limit of ", limit)));
  }
}

template <typename List, typename CheckFn>
void RequestValidator::Each(absl::string_view field, const List& list,
                            size_t limit, CheckFn check) {
  Count(field, list.size(), limit);
  for (const auto& entry : list) {
    check(entry);
  }
}

template <typename Children, typename KeyFn, typename CheckFn>
void RequestValidator::KeyedChildren(const ChildNames& names,
                                     absl::string_view parent,
                                     const Children& children, size_t limit,
                                     KeyFn key, CheckFn check) {
  if (!status_.ok()) {
    return;
  }
  if (children.size() > limit) {
    Fail(absl::ResourceExhaustedError(
        absl::StrCat(names.parent, " ", Quote(parent), " has ", children.size(),
                     " ", names.plural, ", over the limit of ", limit)));
    return;
  }
  for (size_t i = 0; i < children.size() && status_.ok(); ++i) {
    if (children[i] == nullptr) {
      Fail(absl::InvalidArgumentError(
          absl::StrCat(names.parent, " has a null ", names.singular)));
      return;
    }
    check(*children[i]);
    if (status_.ok() && RepeatsEarlier(children, i, key)) {
      Fail(absl::InvalidArgumentError(absl::StrCat(
          names.key, " ", Quote(key(children[i])), " appears twice in ",
          names.parent, " ", Quote(parent))));
    }
  }
}

void RequestValidator::Extensions(absl::string_view field,
                                  const std::vector<Extension>& extensions) {
  Each(field, extensions, limits_.max_extensions, [&](const Extension& e) {
    String(field, e.namespace_uri);
    String(field, e.local_name);
    if (e.raw_xml.size() > limits_.max_extension_bytes) {
      Fail(TooManyBytes(absl::StrCat(field, " <", Quote(e.local_name), ">"),
                        e.raw_xml.size(), limits_.max_extension_bytes));
    }
  });
}

void RequestValidator::Attributes(
    absl::string_view field,
    const std::vector<ExtensionAttribute>& attributes) {
  Each(field, attributes, limits_.max_extensions,
       [&](const ExtensionAttribute& a) {
         String(field, a.namespace_uri);
         String(field, a.local_name);
         String(field, a.value);
       });
}

void RequestValidator::Execution(absl::string_view field,
                                 const engine::Execution& e) {
  String(field, e.when);
  String(field, e.reason);
  String(field, e.by);
}

void RequestValidator::Uris(absl::string_view field,
                            const std::vector<UriEntry>& uris) {
  Each(field, uris, limits_.max_list_entries, [&](const UriEntry& u) {
    String(field, u.uri);
    String(field, u.display_text);
    String(field, u.purpose);
    if (u.modified.has_value()) {
      Execution(field, *u.modified);
    }
    Extensions(field, u.extensions);
    Attributes(field, u.attributes);
  });
}

void RequestValidator::Strings(absl::string_view field,
                               const std::vector<std::string>& list) {
  Each(field, list, limits_.max_list_entries,
       [&](const std::string& s) { String(field, s); });
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
  static constexpr ChildNames kMedia{"endpoint", "media", "media", "media id"};
  KeyedChildren(
      kMedia, e.entity.value(), e.media, limits_.max_media_per_endpoint,
      [](const std::shared_ptr<const engine::Media>& m) {
        return m->id.value();
      },
      [&](const engine::Media& m) { Media(m); });
}

void RequestValidator::User(const engine::User& u) {
  NonEmpty("user entity", u.entity.value());
  String("user display-text", u.display_text);
  Uris("user associated-aors", u.associated_aors);
  Strings("user languages", u.languages);
  String("user cascaded-focus", u.cascaded_focus);
  Extensions("user extension", u.extensions);
  Attributes("user attribute", u.attributes);
  static constexpr ChildNames kEndpoints{"user", "endpoint", "endpoints",
                                         "endpoint"};
  KeyedChildren(
      kEndpoints, u.entity.value(), u.endpoints, limits_.max_endpoints_per_user,
      [](const std::shared_ptr<const engine::Endpoint>& e) {
        return e->entity.value();
      },
      [&](const engine::Endpoint& e) { Endpoint(e); });
}

void RequestValidator::Description(const ConferenceDescription& d) {
  String("display-text", d.display_text);
  String("subject", d.subject);
  String("free-text", d.free_text);
  Strings("keywords", d.keywords);
  Uris("conf-uris", d.conf_uris);
  Uris("service-uris", d.service_uris);
  Each("available-media", d.available_media, limits_.max_list_entries,
       [&](const AvailableMedia& m) {
         String("available-media label", m.label);
         String("available-media display-text", m.display_text);
         String("available-media type", m.type);
         Extensions("available-media extension", m.extensions);
         Attributes("available-media attribute", m.attributes);
       });
  String("conference-id", d.conference_id);
  String("expiry-time", d.expiry_time);
  if (!ParseExpiryTime(d.expiry_time).has_value()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        "expiry-time is not an xs:dateTime: ", Quote(d.expiry_time))));
  }
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
  Each("entity-state media", v.state.media, limits_.max_list_entries,
       [&](const EntityMedia& m) {
         String("entity-state media label", m.label);
         String("entity-state media display-text", m.display_text);
         String("entity-state media type", m.type);
         String("entity-state media video-mode", m.video_mode);
         Extensions("entity-state media extension", m.extensions);
       });
  Extensions("entity-state extension", v.state.extensions);
  Attributes("entity-state attribute", v.state.attributes);
  Extensions("entity-view extension", v.extensions);
  Attributes("entity-view attribute", v.attributes);
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
