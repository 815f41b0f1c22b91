#include "engine/internal/new_conference_policy.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

// MCU types this store can create (MS-CONFPRO 4.7 plus applicationsharing).
constexpr absl::string_view kMcuTypes[] = {"audio-video", "chat", "meeting",
                                           "phone-conf", "applicationsharing"};

}  // namespace

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

void DefaultRandomBytes(uint8_t* out, size_t size) {
  std::random_device device;  // The OS CSPRNG (/dev/urandom or RDRAND).
  for (size_t i = 0; i < size; i += 4) {
    uint32_t word = device();
    for (size_t j = 0; j < 4 && i + j < size; ++j) {
      out[i + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  }
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
