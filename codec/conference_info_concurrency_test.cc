// Full documents encoded from several threads at once while the render
// caches of users and roster chunks are being filled: every thread must get
// the bytes of a document assembled from fresh renderings. Run under TSan
// in CI (tag "concurrency").

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "codec/conference_info.h"
#include "engine/model.h"
#include "testing/sample_conferences.h"

namespace conf {
namespace codec {
namespace {

TEST(EncodeConferenceInfoConcurrencyTest, ThreadsFillChunkCachesOnce) {
  constexpr int kThreads = 4;
  constexpr int kVersions = 40;
  const Viewer kLeader{engine::ViewerRole::kLeader,
                       engine::UserId("sip:alice@fabrikam.com")};
  const Viewer kAttendee{engine::ViewerRole::kAttendee,
                         engine::UserId("sip:user1@fabrikam.com")};

  // A chain of versions, each one role change after the previous, as a
  // focus sees them; no document of any of them was encoded yet.
  std::vector<engine::ConferenceSnapshot> versions;
  versions.push_back(testing::SnapshotWithUsers(150));
  for (int v = 1; v < kVersions; ++v) {
    versions.push_back(testing::WithRoleToggled(
        versions.back(),
        engine::UserId(
            absl::StrCat("sip:user", 1 + (v * 37) % 149, "@fabrikam.com"))));
  }
  std::vector<std::string> expected;
  for (const engine::ConferenceSnapshot& s : versions) {
    expected.push_back(
        EncodeConferenceInfo(testing::WithoutUserCaches(s), kLeader).Bytes());
  }

  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (const engine::ConferenceSnapshot& s : versions) {
        // Half the threads also race an attendee's document on the same
        // chunks.
        if (t % 2 == 1) {
          EncodeConferenceInfo(s, kAttendee);
        }
        got[t].push_back(EncodeConferenceInfo(s, kLeader).Bytes());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(got[t].size(), expected.size());
    for (size_t v = 0; v < expected.size(); ++v) {
      EXPECT_EQ(got[t][v], expected[v]) << "thread " << t << " version " << v;
    }
  }
  // Every slot was filled once and is the one all threads read.
  for (const engine::ConferenceSnapshot& s : versions) {
    for (const engine::UserMap::Chunk& chunk : s.users.chunks()) {
      EXPECT_NE(chunk.annex().Peek(), nullptr);
    }
  }
}

}  // namespace
}  // namespace codec
}  // namespace conf
