// Private to //focus. What happens to a conference besides its members'
// commands: it expires (msci:expiry-time), and its key is rotated (a
// leader's act, or the focus's after an ejection).

#ifndef CONF_FOCUS_INTERNAL_LIFECYCLE_H_
#define CONF_FOCUS_INTERNAL_LIFECYCLE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "engine/model.h"
#include "focus/internal/request_handler.h"

namespace conf {
namespace focus {
namespace internal {

// Whether `snapshot` is past its expiry time. Reads the clock only for a
// conference that has an expiry time.
bool IsExpired(const FocusParts& focus,
               const engine::ConferenceSnapshot& snapshot);

// Removes an expired conference as the focus (its subscribers get the
// deleted document) and forgets its wrapped secrets. A conference already
// gone is fine.
void RemoveExpired(const FocusParts& focus,
                   const engine::ConferenceId& conference);

// ConferenceStore::ApplyRotateKey, then the new key wrapped for every
// roster member's recorded certificate in one batch (GetOrWrapForMany, on
// the pool's threads), and the old epochs' blobs dropped. Errors: those of
// ApplyRotateKey; a member whose wrap fails is left to wrap on its next
// getConference.
absl::StatusOr<engine::MutationResult> RotateKey(
    const FocusParts& focus, const engine::RotateKeyRequest& request);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_LIFECYCLE_H_
