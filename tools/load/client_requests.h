// What the load's clients send: joins as SIPE sends them, the audio-video
// endpoint the A/V MCU reports, and the hostile requests of the mixed
// scenarios. Every C3P body comes from codec's request encoder; only the
// hostile ones are then cut or padded by hand.
//
// Pure functions; thread-safe (a random engine is the caller's).

#ifndef CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_
#define CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_

#include <random>
#include <string>

#include "absl/strings/string_view.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"

namespace conf {
namespace load {

// A fresh endpoint GUID as SIPE writes it in addUser: "{8-4-4-4-12}" in
// upper-case hex.
std::string NewEndpointGuid(std::mt19937_64& rng);

// A joining user as SIPE sends it in addUser: `entity` with `role` and one
// endpoint, named by the GUID `endpoint`, that says nothing else (no session
// type, status or media). Audio and video come later, from the A/V MCU
// (AudioVideoEndpoint).
engine::User JoiningUser(absl::string_view entity, engine::Role role,
                         absl::string_view endpoint);

// The endpoint the A/V MCU reports once a user's client has dialed in to
// it: "<entity>/av", session type audio-video, connected, dialed-in, one
// send-recv audio stream (id "1"), which mute toggles.
engine::Endpoint AudioVideoEndpoint(absl::string_view entity);

// --- Hostile requests. The expected answers are the caller's.

// A modifyConferenceLock cut to three quarters of its length: the envelope
// is never closed, so the focus cannot answer in C3P at all.
std::string TruncatedRequest(const codec::RequestEnvelope& envelope,
                             absl::string_view conference);

// `attendee`'s join with a 70 KB display-text: over the 64 KiB limit.
std::string OversizedJoinRequest(const codec::RequestEnvelope& envelope,
                                 absl::string_view conference,
                                 absl::string_view attendee,
                                 absl::string_view endpoint);

// A ping with 10,000 levels of nesting inside the command. Only the nesting
// is hand-made; the envelope comes from the encoder.
std::string DeeplyNestedRequest(const codec::RequestEnvelope& envelope);

// A command no C3P version defines (frobnicateConference).
std::string UnknownCommandRequest(const codec::RequestEnvelope& envelope);

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_CLIENT_REQUESTS_H_
