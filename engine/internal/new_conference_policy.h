// The new-conference policy: what addConference assigns that the request
// does not carry. MCU types the store can create and each type's default
// entity-view, the form of a conference-id and how one is generated, and the
// conference key's parity. The URIs built from them are FocusUriFor and
// McuUriFor (engine/conference_store.h), defined with this policy.

#ifndef CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_
#define CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Whether the store can create an MCU of `type` (MS-CONFPRO 4.7 plus
// applicationsharing).
bool IsKnownMcuType(absl::string_view type);

// The default view of one MCU type, as the seed's getConference shows it.
EntityView DefaultView(absl::string_view mcu_type);

// `uri` without a leading "sip:" (any case); a view into `uri`.
absl::string_view WithoutSipScheme(absl::string_view uri);

// Whether `id` is a conference-id a client may choose: 1 to 32 ASCII
// letters and digits.
bool IsValidConferenceIdString(absl::string_view id);

// Fills `size` bytes at `out` from the operating system's CSPRNG (through
// std::random_device): the store's RandomBytesFunction when the options set
// none.
void DefaultRandomBytes(uint8_t* out, size_t size);

// Sets the low bit of every byte of `key` so that the byte has odd parity.
void SetOddParity(std::array<uint8_t, ConferenceKey::kSize>& key);

// A generated conference-id: 8 upper-case hex digits from `random`.
std::string GenerateConferenceIdString(const RandomBytesFunction& random);

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_
