// A durable focus when the disk fails: a failed write or sync stops changes
// with a C3P failure that says why while reads go on, and a power cut at any
// point of the journal's and the snapshots' writes loses no acknowledged
// change.

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request_encoder.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "journal/fault_file_system.h"
#include "journal/file_system.h"
#include "testing/focus_harness.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::IsOk;
using ::testing::HasSubstr;

constexpr char kAlice[] = "sip:alice@fabrikam.com";

std::unique_ptr<Focus> OpenFocus(const std::string& dir,
                                 journal::FileSystem* file_system,
                                 uint64_t segment_bytes = uint64_t{64} << 20) {
  DurabilityOptions durability;
  durability.state_dir = dir;
  durability.file_system = file_system;
  durability.segment_bytes = segment_bytes;
  durability.maintenance_interval = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Focus>> focus =
      Focus::Open(testing::SeededFocusOptions(), std::move(durability));
  EXPECT_THAT(focus, IsOk());
  return focus.ok() ? *std::move(focus) : nullptr;
}

std::string User(int i) { return absl::StrCat("sip:user", i, "@fabrikam.com"); }

std::string JoinBody(testing::FocusHarness& h, const std::string& user) {
  return codec::EncodeAddUserRequest(
      h.Envelope(user), h.conference(),
      testing::ClientJoin(user, engine::Role::kAttendee));
}

class FailStopTest : public ::testing::TestWithParam<bool> {};

// A failed write (ENOSPC) or sync (EIO): the change is refused with a
// reason, so is every later one, reads keep working, and after a restart
// every acknowledged change is there and no refused one but the first.
TEST_P(FailStopTest, FailedDiskStopsChangesAndKeepsReads) {
  const bool fail_sync = GetParam();
  const std::string dir = testing::NewTempDir("failstop");
  journal::FaultFileSystem disk(journal::DefaultFileSystem());
  testing::FocusHarness h(OpenFocus(dir, &disk));
  h.AddConference(kAlice);
  ASSERT_TRUE(h.Join(kAlice, engine::Role::kPresenter).success());
  const uint64_t acknowledged = h.Version();

  if (fail_sync) {
    disk.FailSync(1, EIO);
  } else {
    disk.FailWrite(1, ENOSPC);
  }
  for (int i = 0; i < 3; ++i) {
    C3pResult refused = h.Send(User(i), JoinBody(h, User(i)));
    EXPECT_FALSE(refused.success());
    EXPECT_EQ(refused.failure, codec::C3pReason::kOtherFailure);
    EXPECT_THAT(refused.body,
                HasSubstr("displayString=\"the focus cannot store changes\""));
    EXPECT_THAT(refused.body, HasSubstr("<addUser reason=\"otherFailure\""));
  }
  C3pResult read = h.Send(kAlice, codec::EncodeGetConferenceRequest(
                                      h.Envelope(kAlice), h.conference(), ""));
  EXPECT_TRUE(read.success());
  EXPECT_FALSE(h.focus().durable()->journal_status().ok());

  const std::string conference = h.conference();
  h.Close();
  testing::FocusHarness after(OpenFocus(dir, journal::DefaultFileSystem()));
  after.set_conference(conference);
  ASSERT_NE(after.Snapshot(), nullptr);
  // Every acknowledged change is there. The first refused one is in doubt,
  // as with any store whose sync fails: its bytes may have reached the disk
  // whole (a failed fdatasync after a full write); none after it were
  // written.
  const uint64_t version = after.Version();
  EXPECT_GE(version, acknowledged);
  EXPECT_LE(version, acknowledged + 1);
  const bool first_in =
      after.Snapshot()->users.Find(engine::UserId(User(0))) != nullptr;
  EXPECT_EQ(first_in, version == acknowledged + 1);
  EXPECT_EQ(after.Snapshot()->users.Find(engine::UserId(User(1))), nullptr);
  if (!fail_sync) {
    // Half a record was written: a torn tail, cut on recovery.
    EXPECT_EQ(version, acknowledged);
  }
  // The directory works again once the disk does.
  EXPECT_TRUE(after.Join(User(9), engine::Role::kAttendee).success());
}

INSTANTIATE_TEST_SUITE_P(WriteOrSync, FailStopTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "FailedSync" : "FailedWrite";
                         });

// Power cut before each mutating file operation in turn (segment rolls and
// snapshots included), with and without a torn partial write: after the
// reboot, the conference is as the last acknowledged change left it, or as
// the change in flight at the cut left it (its record may have reached the
// disk whole), never anything else.
TEST(PowerCutTest, NoAcknowledgedChangeIsLostAtAnyCut) {
  int cuts = 0;
  for (uint64_t torn : {uint64_t{0}, uint64_t{37}}) {
    for (int n = 1; n < 400; ++n) {
      SCOPED_TRACE(absl::StrCat("cut before operation ", n, ", torn ", torn));
      const std::string dir = testing::NewTempDir("powercut");
      journal::FaultFileSystem disk(journal::DefaultFileSystem());
      // Small segments: the run rolls several.
      testing::FocusHarness h(OpenFocus(dir, &disk, /*segment_bytes=*/2048));
      h.AddConference(kAlice);
      ASSERT_TRUE(h.Join(kAlice, engine::Role::kPresenter).success());
      disk.PowerCutAt(n, torn);

      std::shared_ptr<const engine::ConferenceSnapshot> acked = h.Snapshot();
      std::shared_ptr<const engine::ConferenceSnapshot> in_flight;
      bool cut = false;
      for (int i = 0; i < 24 && !cut; ++i) {
        if (i % 8 == 7) {
          cut = !h.focus().WriteSnapshot().ok();
          continue;
        }
        const std::string body = i % 3 == 2 ? codec::EncodeDeleteUserRequest(
                                                  h.Envelope(User(i - 1)),
                                                  h.conference(), User(i - 1))
                                            : JoinBody(h, User(i));
        const C3pResult result =
            h.Send(i % 3 == 2 ? User(i - 1) : User(i), body);
        if (result.success()) {
          acked = h.Snapshot();
        } else {
          cut = true;
          in_flight = h.Snapshot();  // Installed in memory, not acknowledged.
        }
      }
      if (!cut) {
        break;  // Past the last operation of the run: every cut was tried.
      }
      ++cuts;
      const std::string conference = h.conference();
      h.Close();
      disk.Restart();
      testing::FocusHarness after(OpenFocus(dir, &disk, 2048));
      after.set_conference(conference);
      std::shared_ptr<const engine::ConferenceSnapshot> recovered =
          after.Snapshot();
      ASSERT_NE(recovered, nullptr);
      const bool as_acked = engine::SnapshotsEqual(*recovered, *acked);
      const bool as_in_flight = in_flight != nullptr &&
                                engine::SnapshotsEqual(*recovered, *in_flight);
      EXPECT_TRUE(as_acked || as_in_flight)
          << "recovered version " << recovered->version << ", acknowledged "
          << acked->version;
      // And it takes changes again, continuing the version.
      EXPECT_TRUE(after.Join(User(99), engine::Role::kAttendee).success());
      EXPECT_EQ(after.Version(), recovered->version + 1);
    }
  }
  EXPECT_GT(cuts, 40);
}

}  // namespace
}  // namespace focus
}  // namespace conf
