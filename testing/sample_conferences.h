// Test fixtures for conference-info encoding: the specification's example
// conference (MS-CONFBAS 4.4.7, the seed) as an engine snapshot, and
// synthetic rosters of any size. Deterministic. Test-only.

#ifndef CONF_TESTING_SAMPLE_CONFERENCES_H_
#define CONF_TESTING_SAMPLE_CONFERENCES_H_

#include <memory>
#include <string>

#include "codec/conference_info.h"
#include "engine/model.h"

namespace conf {
namespace testing {

// The seed response's conference: focus URI, four MCU conf-uris entries,
// pstn-access 37890, Alice (presenter) with one focus endpoint, and the five
// entity views with the capabilities, media and video mode the seed shows.
engine::ConferenceSnapshot SeedSnapshot();

// Fixed, clearly fake secrets (base64 of ASCII text) for golden documents.
codec::DocumentSecrets FakeSecrets();

// A roster user `sip:user<i>@fabrikam.com` with a focus endpoint and an
// audio-video endpoint carrying two media streams; presenter when i % 10 == 0.
std::shared_ptr<const engine::User> MakeUser(int i);

// SeedSnapshot() with `users` synthetic users in the roster (Alice included
// as the first when users >= 1).
engine::ConferenceSnapshot SnapshotWithUsers(int users);

// `snapshot` one version later, after a modifyUserRoles of roster user
// `user` (an attendee becomes a presenter, anyone else an attendee), as the
// store makes it: the user is a fresh object with nothing cached, its
// endpoints and every other user are shared, and so is every roster chunk
// but the one that holds it. `user` must be in the roster.
engine::ConferenceSnapshot WithRoleToggled(
    const engine::ConferenceSnapshot& snapshot, const engine::UserId& user);

// `snapshot` with its roster and lobby rebuilt from copies of their users
// (inserted in key order, so the chunks differ too): no user or chunk render
// cache is filled. Its document is assembled from fresh renderings, the
// reference for documents that reuse cached bytes.
engine::ConferenceSnapshot WithoutUserCaches(
    const engine::ConferenceSnapshot& snapshot);

// The result of running xmllint on a document.
struct XmllintResult {
  bool ran = false;  // false: xmllint or the schemas are not available
  std::string skip_reason;
  bool ok = false;     // exit status 0 and no diagnostics
  std::string output;  // xmllint's stdout and stderr
};

// Checks `document` with `xmllint --noout --nonet` (well-formedness and
// namespace errors: libxml2 reports an undeclared prefix as one) and then
// against the RFC 4575 schema in ../shared/spec/schemas when `schema` is
// kRfc4575. The shared folder is found by resolving the runfile symlink of
// codec/testdata/golden/seed_full_leader.xml (a data dependency of the test)
// to the workspace, then ../shared. `name` names the temporary file.
enum class Schema { kNone, kRfc4575 };
XmllintResult RunXmllint(const std::string& name, const std::string& document,
                         Schema schema);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_SAMPLE_CONFERENCES_H_
