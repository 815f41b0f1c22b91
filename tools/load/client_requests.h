// What the load's clients send: the users that join, and the hostile
// requests of the mixed scenarios. Every C3P body comes from codec's request
// encoder; only the hostile ones are then cut or padded by hand.
//
// Pure functions; thread-safe.

#ifndef CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_
#define CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_

#include <string>

#include "absl/strings/string_view.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"

namespace conf {
namespace load {

// A joining user as the load's clients send it in addUser: `entity` with
// `role` and one connected audio-video endpoint ("<entity>/av") carrying one
// send-recv audio stream (id "1").
engine::User JoiningUser(absl::string_view entity, engine::Role role);

// --- Hostile requests. The expected answers are the caller's.

// A modifyConferenceLock cut to three quarters of its length: the envelope
// is never closed, so the focus cannot answer in C3P at all.
std::string TruncatedRequest(const codec::RequestEnvelope& envelope,
                             absl::string_view conference);

// `attendee`'s join with a 70 KB display-text: over the 64 KiB limit.
std::string OversizedJoinRequest(const codec::RequestEnvelope& envelope,
                                 absl::string_view conference,
                                 absl::string_view attendee);

// A ping with 10,000 levels of nesting inside the command. Only the nesting
// is hand-made; the envelope comes from the encoder.
std::string DeeplyNestedRequest(const codec::RequestEnvelope& envelope);

// A command no C3P version defines (frobnicateConference).
std::string UnknownCommandRequest(const codec::RequestEnvelope& envelope);

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_
