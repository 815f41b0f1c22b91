// Private to //focus. What a focus makes of the user in an addUser request:
// a join (the user dials in to the focus, MS-CONFBAS 2.2.3.4) or a dial-out
// (an MCU calls the user, 2.2.3.15). Clients send little: a real join names
// one endpoint by a GUID and nothing else (SIPE sends exactly that); the
// focus fills in the focus session as the specification's getConference
// response shows it (docs/FOCUS.md, "Joins").

#ifndef CONF_FOCUS_INTERNAL_JOINING_H_
#define CONF_FOCUS_INTERNAL_JOINING_H_

#include "absl/strings/string_view.h"

#include "engine/model.h"
#include "focus/focus.h"
#include "focus/internal/request_mapping.h"

namespace conf {
namespace focus {
namespace internal {

// A join: the endpoint that carries the focus session (the one whose
// msci:session-type is "focus", else the first without a session type)
// becomes it: session type "focus", status connected (the store makes it
// on-hold while the user waits in the lobby), joining-method dialed-in,
// msci:endpoint-uri the requester's Contact when the SIP layer knows it,
// and no media (media belong to the MCUs' endpoints). Everything else the
// client sent is kept. A user with no such endpoint gets one named after
// the requester's epid when there is one, and is kept as sent otherwise.
engine::User ShapeJoin(engine::User user, const RequestContext& context);

// A dial-out by the MCU of type `mcu_type`: only the IM and A/V MCUs dial
// out (notSupported for other MCU types). Every endpoint the request names
// becomes the MCU's call being placed: session type `mcu_type`, status
// dialing-out, joining-method dialed-out; msci:endpoint-uri and refer-to-uri
// (the number or URI to call) are kept. The MCU reports later states with
// modifyEndpoint.
Mapped<engine::User> ShapeDialOut(engine::User user,
                                  absl::string_view mcu_type);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_JOINING_H_
