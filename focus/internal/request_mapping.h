// Private to //focus. Turns the codec's parsed C3P views (string
// views into the request's buffer) into the engine's owned request values,
// validating enumerations on the way. Each function returns the C3P failure
// reason to answer with when the request cannot be mapped.

#ifndef CONF_FOCUS_INTERNAL_REQUEST_MAPPING_H_
#define CONF_FOCUS_INTERNAL_REQUEST_MAPPING_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {

// A mapped value, or the reason the request is refused.
template <typename T>
using Mapped = std::variant<T, codec::C3pReason>;

// Extensions keep the separators they followed (Extension::
// separators_before).
std::vector<engine::Extension> MapExtensions(
    const std::vector<codec::C3pExtension>& extensions);

// uris-type entries (service-uris, associated-aors), whose values the
// parser checked.
std::vector<engine::UriEntry> MapUris(
    const std::vector<codec::C3pUriEntryView>& entries);
std::vector<engine::ExtensionAttribute> MapAttributes(
    const std::vector<codec::C3pExtensionAttribute>& attributes);

// roles/entry values: every entry must be "presenter" or "attendee"
// (invalidRole otherwise); a presenter entry makes the user a presenter, no
// entry an attendee.
Mapped<engine::Role> MapRoles(const std::vector<absl::string_view>& roles);

// A media stream (requestMalformed for an unknown status or a missing id).
Mapped<engine::Media> MapMedia(const codec::C3pMediaView& media);

// An endpoint with its referred, joining-info, disconnection-info and
// call-info/sip (requestMalformed for unknown enumerations or no entity).
Mapped<engine::Endpoint> MapEndpoint(const codec::C3pEndpointView& endpoint);

// A user with its associated-aors, languages, cascaded-focus and endpoints
// (requestMalformed / invalidRole).
Mapped<engine::User> MapUser(const codec::C3pUserView& user);

// Overlays the fields a modifyEndpointMedia `view` carries onto `base`:
// status, type, label, media-state, media-source-id (requestMalformed for an
// unknown status). The id is the caller's to check.
Mapped<engine::Media> OverlayMedia(engine::Media base,
                                   const codec::C3pMediaView& view);

// Overlays the fields `view` carries onto `base` (modifyConference and
// addConference): subject, display-text, free-text, keywords, service-uris,
// maximum user count, available-media, conference-id, expiry-time,
// admission policy, presenter policy, extensions. A list the view carries
// replaces the one `base` has (requestMalformed for an unknown
// available-media status).
Mapped<engine::ConferenceDescription> OverlayDescription(
    engine::ConferenceDescription base, const codec::C3pDescriptionView& view);

// Whether `id` is a conference-id the store accepts: 1 to 32 ASCII letters
// and digits (PROTOCOL.md §1.2 says 8 to 32; the specification's own example
// uses 7).
bool IsValidConferenceId(absl::string_view id);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_REQUEST_MAPPING_H_
