// The new-conference policy: what addConference requires of a request and
// what it assigns that the request does not carry. MCU types the store can
// create and each type's default entity-view, the form of a conference-id and
// how one is generated, the dial-in (PSTN) id, the conference key and the
// web-join URIs. The URIs built from the organizer and conference-id are
// FocusUriFor and McuUriFor (engine/conference_store.h), defined with this
// policy. Reserving the conference-id and installing the conference are the
// store's.

#ifndef CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_
#define CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

#include "engine/conference_store.h"
#include "engine/internal/mutations.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Checks an addConference before the store is touched: its values against
// `limits` (as RequestValidator), a sip: organizer, MCU types the store can
// create (MS-CONFPRO 4.7 plus applicationsharing) each named once, entity-views
// only for requested types, and a requested conference-id of 1 to 32 ASCII
// letters and digits. Returns OK, kInvalidArgument or kResourceExhausted.
absl::Status ValidateAddConference(const AddConferenceRequest& request,
                                   const StoreLimits& limits);

// Fills `size` bytes at `out` from the operating system's CSPRNG (through
// std::random_device): the store's RandomBytesFunction when the options set
// none.
void DefaultRandomBytes(uint8_t* out, size_t size);

// A conference key's bytes from `random`, with odd DES parity (FIPS 46-3).
void RandomKeyBytes(const RandomBytesFunction& random,
                    std::array<uint8_t, ConferenceKey::kSize>& key);

// A generated conference-id: 8 upper-case hex digits from `random`.
std::string GenerateConferenceIdString(const RandomBytesFunction& random);

// Version 1 of a new conference and its delta, for a request that passed
// ValidateAddConference and the conference-id `id_string` the store reserved
// for focus URI `entity`. Assigns one conf-uris entry and entity-view per MCU
// type (after the focus's own view), merging the requested views over each
// type's defaults; a PSTN id unless requested, and the conference key (epoch
// 1, odd DES parity), both from `random`; and the web-join URIs from
// `options`. The delta carries the description, host-info, state and every
// view in full.
Change BuildNewConference(AddConferenceRequest request,
                          const ConferenceId& entity,
                          const std::string& id_string,
                          const StoreOptions& options,
                          const RandomBytesFunction& random);

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_NEW_CONFERENCE_POLICY_H_
