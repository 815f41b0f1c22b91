// Structural checks of an RFC 4575 conference-info document, for the
// `confstate validate` command: well-formed XML, root `conference-info` in
// urn:ietf:params:xml:ns:conference-info, `entity` and `version` present
// (version an unsigned 32-bit integer), every `state` / `ci:state` value one
// of full, partial, deleted, and keys unique among siblings (user and
// endpoint @entity, media @id, msci:entity-view @entity, entry uri text).
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
