// Users as conferencing clients typically send them in addUser, for tests
// and benchmarks: one place instead of a builder per caller.
//
// Example:
//   engine::User bob = testing::UserWithAudio("sip:bob@fabrikam.com",
//                                            engine::Role::kAttendee);

#ifndef CONF_TESTING_SAMPLE_USERS_H_
#define CONF_TESTING_SAMPLE_USERS_H_

#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace testing {

// `entity` with `role` and one connected audio-video endpoint
// ("<entity>/av") carrying one send-recv audio stream (id "1").
engine::User UserWithAudio(absl::string_view entity, engine::Role role);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_SAMPLE_USERS_H_
