// Structural checks of an RFC 4575 conference-info document, for the
// `confstate validate` command: everything codec::ParseConferenceInfo
// refuses (well-formed, namespace-correct XML; root `conference-info` in
// urn:ietf:params:xml:ns:conference-info with `entity` and an unsigned
// 32-bit `version`; every `state` / `ci:state` on the elements it reads one
// of full, partial, deleted, and only full under a full element; keys
// present), nesting at most 64 levels, and keys unique among siblings:
// users (roster and lobby) and endpoints by @entity, media by @id,
// msci:entity-view by @entity, conf-uris and service-uris entries by uri.
//
// Thread-safe (pure function).

#ifndef CONF_TOOLS_CONFSTATE_VALIDATE_H_
#define CONF_TOOLS_CONFSTATE_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace tools {

// OkStatus when `document` passes every check; kInvalidArgument naming the
// first problem otherwise.
absl::Status ValidateConferenceInfo(absl::string_view document);

}  // namespace tools
}  // namespace conf

#endif  // CONF_TOOLS_CONFSTATE_VALIDATE_H_
