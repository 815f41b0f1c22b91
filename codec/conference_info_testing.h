// Test fixtures for conference-info encoding: the specification's example
// conference (MS-CONFBAS 4.4.7, the seed) as an engine snapshot, and
// synthetic rosters of any size. Deterministic. Test-only.

#ifndef CONF_CODEC_CONFERENCE_INFO_TESTING_H_
#define CONF_CODEC_CONFERENCE_INFO_TESTING_H_

#include <memory>
#include <string>

#include "codec/conference_info.h"
#include "engine/model.h"

namespace conf {
namespace codec {
namespace testing {

// The seed response's conference: focus URI, four MCU conf-uris entries,
// pstn-access 37890, Alice (presenter) with one focus endpoint, and the five
// entity views with the capabilities, media and video mode the seed shows.
engine::ConferenceSnapshot SeedSnapshot();

// Fixed, clearly fake secrets (base64 of ASCII text) for golden documents.
DocumentSecrets FakeSecrets();

// A roster user `sip:user<i>@fabrikam.com` with a focus endpoint and an
// audio-video endpoint carrying two media streams; presenter when i % 10 == 0.
std::shared_ptr<const engine::User> MakeUser(int i);

// SeedSnapshot() with `users` synthetic users in the roster (Alice included
// as the first when users >= 1).
engine::ConferenceSnapshot SnapshotWithUsers(int users);

}  // namespace testing
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_CONFERENCE_INFO_TESTING_H_
