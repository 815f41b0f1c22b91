#include "engine/internal/new_conference_policy.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/status_macros.h"
#include "engine/conference_store.h"
#include "engine/internal/messages.h"
#include "engine/internal/mutations.h"
#include "engine/internal/request_validator.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

// MCU types this store can create (MS-CONFPRO 4.7 plus applicationsharing).
constexpr absl::string_view kMcuTypes[] = {"audio-video", "chat", "meeting",
                                           "phone-conf", "applicationsharing"};

bool IsKnownMcuType(absl::string_view type) {
  return std::find(std::begin(kMcuTypes), std::end(kMcuTypes), type) !=
         std::end(kMcuTypes);
}

// The default view of one MCU type, as the seed's getConference shows it.
EntityView DefaultView(absl::string_view mcu_type) {
  EntityView view;
  view.mcu_type = std::string(mcu_type);
  auto entry = [](absl::string_view label, absl::string_view type,
                  std::optional<MediaStatus> status) {
    EntityMedia m;
    m.label = std::string(label);
    m.type = std::string(type);
    m.status = status;
    return m;
  };
  if (mcu_type == "audio-video") {
    EntityCapabilities caps;
    caps.supports_audio = true;
    caps.supports_video = true;
    view.capabilities = caps;
    view.state.media.push_back(
        entry("main-audio", "audio", MediaStatus::kSendRecv));
    EntityMedia video = entry("main-video", "video", MediaStatus::kSendRecv);
    video.video_mode = "dominant-speaker-switched";
    view.state.media.push_back(std::move(video));
    view.state.media.push_back(
        entry("panoramic-video", "panoramic-video", MediaStatus::kSendRecv));
  } else {
    if (mcu_type == "applicationsharing") {
      // Who may take control of a shared application (msas:capabilities in
      // the specification's example).
      EntityCapabilities caps;
      caps.control_permission = "ActiveDirectoryUsers";
      view.capabilities = caps;
    }
    view.state.locked = false;
    if (mcu_type != "phone-conf") {
      view.state.media.push_back(entry(mcu_type, mcu_type, std::nullopt));
    }
  }
  return view;
}

absl::string_view WithoutSipScheme(absl::string_view uri) {
  if (absl::StartsWithIgnoreCase(uri, "sip:")) {
    uri.remove_prefix(4);
  }
  return uri;
}

bool IsValidConferenceIdString(absl::string_view id) {
  constexpr size_t kMaxConferenceIdLength = 32;
  if (id.empty() || id.size() > kMaxConferenceIdLength) {
    return false;
  }
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isalnum(c); });
}

// DES keys carry odd parity in the low bit of every byte (FIPS 46-3).
void SetOddParity(std::array<uint8_t, ConferenceKey::kSize>& key) {
  for (uint8_t& b : key) {
    int ones = 0;
    for (int bit = 1; bit < 8; ++bit) {
      ones += (b >> bit) & 1;
    }
    b = static_cast<uint8_t>((b & 0xFE) | ((ones % 2 == 0) ? 1 : 0));
  }
}

}  // namespace

void RandomKeyBytes(const RandomBytesFunction& random,
                    std::array<uint8_t, ConferenceKey::kSize>& key) {
  random(key.data(), key.size());
  SetOddParity(key);
}

namespace {

// The dial-in conference id (msci:pstn-access/id, as in the specification's
// example): five digits, first not zero.
PstnAccess NewPstnAccess(const RandomBytesFunction& random) {
  uint8_t bytes[4];
  random(bytes, sizeof(bytes));
  const uint32_t word = (uint32_t{bytes[0]} << 24) |
                        (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
                        uint32_t{bytes[3]};
  PstnAccess pstn;
  pstn.id = absl::StrCat(10000 + word % 90000);
  return pstn;
}

// Moves what the client asked for in `requested` over the defaults in `view`
// (the lock flag stays the store's).
void MergeRequestedView(EntityView& requested, EntityView& view) {
  if (requested.capabilities.has_value()) {
    view.capabilities = std::move(requested.capabilities);
  }
  std::optional<bool> locked = view.state.locked;
  if (!requested.state.media.empty() || !requested.state.application.empty() ||
      !requested.state.extensions.empty()) {
    view.state = std::move(requested.state);
    view.state.locked = locked;
  }
  view.extensions = std::move(requested.extensions);
  view.attributes = std::move(requested.attributes);
}

// The web-join URIs: "<base><organizer user part>/<conference-id>".
WebJoinUris WebJoinFor(const UserId& organizer, absl::string_view id_string,
                       const StoreOptions& options) {
  absl::string_view address = WithoutSipScheme(organizer.value());
  absl::string_view user_part = address.substr(0, address.find('@'));
  return WebJoinUris(
      absl::StrCat(options.web_join_internal_base, user_part, "/", id_string),
      absl::StrCat(options.web_join_external_base, user_part, "/", id_string));
}

}  // namespace

absl::Status ValidateAddConference(const AddConferenceRequest& request,
                                   const StoreLimits& limits) {
  RequestValidator validator(limits);
  validator.NonEmpty("organizer", request.organizer.value());
  validator.Description(request.description);
  if (request.host_info != nullptr) {
    validator.HostInfo(*request.host_info);
  }
  validator.Count("mcu types", request.mcu_types.size(),
                  limits.max_list_entries);
  for (const EntityView& view : request.views) {
    validator.View(view);
  }
  CONF_RETURN_IF_ERROR(validator.status());
  if (!absl::StartsWithIgnoreCase(request.organizer.value(), "sip:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("addConference: organizer ",
                     Quote(request.organizer.value()), " is not a sip uri"));
  }
  for (size_t i = 0; i < request.mcu_types.size(); ++i) {
    const std::string& type = request.mcu_types[i];
    if (!IsKnownMcuType(type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "addConference: mcu type ", Quote(type), " is not available"));
    }
    if (RepeatsEarlier(request.mcu_types, i)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "addConference: mcu type ", Quote(type), " appears twice"));
    }
  }
  for (const EntityView& view : request.views) {
    if (std::find(request.mcu_types.begin(), request.mcu_types.end(),
                  view.entity) == request.mcu_types.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("addConference: entity-view ", Quote(view.entity),
                       " names no requested mcu type"));
    }
  }
  const bool generate_id = request.description.conference_id.empty();
  if (!generate_id &&
      !IsValidConferenceIdString(request.description.conference_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("addConference: conference-id ",
                     Quote(request.description.conference_id),
                     " is not 1 to 32 letters and digits"));
  }
  return absl::OkStatus();
}

void DefaultRandomBytes(uint8_t* out, size_t size) {
  std::random_device device;  // The OS CSPRNG (/dev/urandom or RDRAND).
  for (size_t i = 0; i < size; i += 4) {
    uint32_t word = device();
    for (size_t j = 0; j < 4 && i + j < size; ++j) {
      out[i + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  }
}

std::string GenerateConferenceIdString(const RandomBytesFunction& random) {
  constexpr char kHex[] = "0123456789ABCDEF";
  uint8_t bytes[4];
  random(bytes, sizeof(bytes));
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

Change BuildNewConference(AddConferenceRequest request,
                          const ConferenceId& entity,
                          const std::string& id_string,
                          const StoreOptions& options,
                          const RandomBytesFunction& random) {
  Change first;
  ConferenceSnapshot& next = first.next;
  next.entity = entity;
  next.version = 1;
  next.organizer = request.organizer;
  auto description =
      std::make_shared<ConferenceDescription>(std::move(request.description));
  description->conference_id = id_string;
  description->conf_uris.clear();
  if (!description->pstn_access.has_value()) {
    description->pstn_access = NewPstnAccess(random);
  }
  auto focus_view = std::make_shared<EntityView>();
  focus_view->entity = std::string(entity.value());
  focus_view->mcu_type = "focus";
  focus_view->state.locked = false;
  next.views.push_back(std::move(focus_view));
  for (const std::string& type : request.mcu_types) {
    std::string mcu_uri = McuUriFor(request.organizer, type, id_string);
    UriEntry uri;
    uri.uri = mcu_uri;
    uri.display_text = type;
    uri.purpose = type;
    description->conf_uris.push_back(std::move(uri));
    EntityView view = DefaultView(type);
    for (EntityView& requested : request.views) {
      if (requested.entity == type) {
        MergeRequestedView(requested, view);
      }
    }
    view.entity = std::move(mcu_uri);
    view.mcu_type = type;
    next.views.push_back(std::make_shared<const EntityView>(std::move(view)));
  }
  next.description = std::move(description);
  next.host_info = std::move(request.host_info);
  next.state = std::make_shared<const ConferenceState>(
      ConferenceState{0, /*active=*/false, /*locked=*/false});
  RandomKeyBytes(random, next.key.bytes);
  next.key.epoch = 1;
  // Validated with the description.
  next.expires_at = ParseExpiryTime(next.description->expiry_time)
                        .value_or(absl::InfiniteFuture());
  next.web_join = WebJoinFor(request.organizer, id_string, options);

  ConferenceDelta& delta = first.delta;
  delta.conference = entity;
  delta.version = 1;
  delta.description = next.description;
  delta.host_info = next.host_info;
  delta.state = next.state;
  for (const auto& view : next.views) {
    delta.views.push_back({ChangeKind::kFull, view->entity, view});
  }
  return first;
}

}  // namespace internal

ConferenceId FocusUriFor(const UserId& organizer,
                         absl::string_view conference_id) {
  return ConferenceId(
      absl::StrCat("sip:", internal::WithoutSipScheme(organizer.value()),
                   ";gruu;opaque=app:conf:focus:id:", conference_id));
}

std::string McuUriFor(const UserId& organizer, absl::string_view mcu_type,
                      absl::string_view conference_id) {
  return absl::StrCat("sip:", internal::WithoutSipScheme(organizer.value()),
                      ";gruu;opaque=app:conf:", mcu_type,
                      ":id:", conference_id);
}

}  // namespace engine
}  // namespace conf
