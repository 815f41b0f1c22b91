// Status messages the store's parts share: how input is echoed in a message
// (STYLE §3) and the kNotFound statuses several commands return.

#ifndef CONF_ENGINE_INTERNAL_MESSAGES_H_
#define CONF_ENGINE_INTERNAL_MESSAGES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Input echoed in a message: escaped and capped at 64 bytes (STYLE §3), in
// double quotes ("..." marks a cut).
std::string Quote(absl::string_view value);

// kNotFound: conference `id` does not exist.
// kUnavailable: the commit log failed (`cause`); no change is accepted any
// more.
absl::Status CannotStore(const absl::Status& cause);
absl::Status ConferenceNotFound(const ConferenceId& id);

// kNotFound: `user` is in neither the roster nor the lobby of `conference`.
absl::Status UserNotFound(const UserId& user, const ConferenceId& conference);

// kNotFound: `user` has no endpoint `endpoint`.
absl::Status EndpointNotFound(const EndpointId& endpoint, const UserId& user);

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_MESSAGES_H_
