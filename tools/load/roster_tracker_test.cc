#include "tools/load/roster_tracker.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "codec/conference_info.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/sample_users.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"

namespace conf {
namespace load {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kBob[] = "sip:bob@contoso.com";
constexpr char kCarol[] = "sip:carol@contoso.com";

// Drives a real Focus so every document comes from the codec's encoder:
// notifications are EncodeConferenceInfoDelta output, the fresh view is
// EncodeConferenceInfo of the store's snapshot.
class RosterTrackerTest : public ::testing::Test {
 protected:
  RosterTrackerTest() : focus_(Options()) {}

  static focus::FocusOptions Options() {
    focus::FocusOptions options;
    options.store.random_bytes = testing::SeededRandomBytes(7);
    return options;
  }

  void SetUp() override {
    codec::AddConferenceSpec spec;
    spec.conference_id = "ROSTER1";
    spec.mcu_types = {"audio-video"};
    ASSERT_TRUE(Send(kAlice, codec::EncodeAddConferenceRequest(
                                 {"1", kAlice,
                                  absl::StrCat(kAlice,
                                               ";gruu;opaque=app:conf:"
                                               "focusfactory")},
                                 spec)));
    conference_ = std::string(
        focus_.store().FindSnapshotByConferenceId("ROSTER1")->entity.value());
    ASSERT_TRUE(Join(kAlice, engine::Role::kPresenter));
  }

  codec::RequestEnvelope Envelope(absl::string_view from) {
    return {absl::StrCat(++request_id_), std::string(from), conference_};
  }

  bool Send(absl::string_view identity, const std::string& body) {
    absl::StatusOr<focus::C3pResult> r = focus_.HandleRequest(identity, body);
    return r.ok() && r->success();
  }

  bool Join(absl::string_view who, engine::Role role) {
    return Send(who,
                codec::EncodeAddUserRequest(Envelope(who), conference_,
                                            testing::UserWithAudio(who, role)));
  }

  // The tracker of a fresh full document of `viewer`'s view.
  RosterTracker Fresh(absl::string_view viewer) {
    auto snapshot =
        focus_.store().FindSnapshot(engine::ConferenceId(conference_));
    codec::Viewer v;
    v.user = engine::UserId(viewer);
    v.role = engine::ViewerRoleFor(*snapshot, v.user);
    RosterTracker fresh;
    EXPECT_THAT(fresh.Apply(codec::EncodeConferenceInfo(*snapshot, v).Bytes()),
                IsOk());
    return fresh;
  }

  void Drain(focus::Subscription& s, RosterTracker& tracker) {
    for (const focus::Notification& n : s.Poll()) {
      ASSERT_THAT(tracker.Apply(n.Bytes()), IsOk()) << n.Bytes();
      ASSERT_EQ(tracker.version(), n.version);
    }
  }

  focus::Focus focus_;
  std::string conference_;
  int request_id_ = 1;
};

TEST_F(RosterTrackerTest, FullDocumentGivesRolesEndpointsAndMedia) {
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  RosterTracker t = Fresh(kAlice);
  EXPECT_FALSE(t.deleted());
  ASSERT_EQ(t.roster().size(), 2u);
  const TrackedUser& bob = t.roster().at(kBob);
  EXPECT_EQ(bob.roles, "attendee");
  ASSERT_EQ(bob.endpoints.size(), 1u);
  const TrackedEndpoint& av = bob.endpoints.at(absl::StrCat(kBob, "/av"));
  EXPECT_EQ(av.status, "connected");
  EXPECT_THAT(av.media, ElementsAre(Pair("1", "sendrecv")));
  EXPECT_TRUE(t.lobby().empty());
}

TEST_F(RosterTrackerTest, PartialDocumentsAddUpToTheFreshView) {
  auto leader = focus_.Subscribe({"a", kAlice, conference_, {}, {}});
  ASSERT_THAT(leader, IsOk());
  RosterTracker tracked;
  Drain(**leader, tracked);
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  ASSERT_TRUE(Send(
      kBob, codec::EncodeModifyEndpointMediaRequest(
                Envelope(kBob), conference_, kBob, absl::StrCat(kBob, "/av"),
                "1", engine::MediaStatus::kRecvOnly)));
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyUserRolesRequest(
                               Envelope(kAlice), conference_, kBob,
                               engine::Role::kPresenter)));
  ASSERT_TRUE(Send(
      kBob, codec::EncodeModifyEndpointStatusRequest(
                Envelope(kBob), conference_, kBob, absl::StrCat(kBob, "/av"),
                engine::EndpointStatus::kOnHold)));
  ASSERT_TRUE(Send(
      kAlice, codec::EncodeModifyConferenceLockRequest(
                  Envelope(kAlice), conference_, engine::LockState::kLocked)));
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee));  // waits in the lobby
  Drain(**leader, tracked);

  const TrackedUser& bob = tracked.roster().at(kBob);
  EXPECT_EQ(bob.roles, "presenter");
  const TrackedEndpoint& av = bob.endpoints.at(absl::StrCat(kBob, "/av"));
  EXPECT_EQ(av.status, "on-hold");
  EXPECT_THAT(av.media, ElementsAre(Pair("1", "recvonly")));
  EXPECT_EQ(tracked.lobby().count(kCarol), 1u);
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");

  ASSERT_TRUE(Send(kAlice, codec::EncodeDeleteUserRequest(Envelope(kAlice),
                                                          conference_, kBob)));
  ASSERT_TRUE(Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                               Envelope(kAlice), conference_, {kCarol},
                               engine::LobbyDecision::kGrant)));
  Drain(**leader, tracked);
  EXPECT_EQ(tracked.roster().count(kBob), 0u);
  EXPECT_EQ(tracked.roster().count(kCarol), 1u);
  EXPECT_TRUE(tracked.lobby().empty());
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");
}

TEST_F(RosterTrackerTest, DifferenceNamesTheUser) {
  RosterTracker before = Fresh(kAlice);
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  EXPECT_THAT(before.Difference(Fresh(kAlice)),
              ::testing::HasSubstr("sip:bob@contoso.com only on the right"));
}

TEST_F(RosterTrackerTest, DeletedDocumentEmptiesTheRoster) {
  RosterTracker t = Fresh(kAlice);
  ASSERT_THAT(t.Apply(codec::EncodeConferenceInfoDeleted(
                          engine::ConferenceId(conference_), 9)
                          .Bytes()),
              IsOk());
  EXPECT_TRUE(t.deleted());
  EXPECT_TRUE(t.roster().empty());
  EXPECT_EQ(t.version(), 9u);
}

TEST(RosterTrackerErrorTest, RejectsBadInputAndStaysUnchanged) {
  RosterTracker t;
  EXPECT_THAT(t.Apply("<conference-info version='1' state='full'"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t.Apply("<other version='1'/>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t.Apply("<conference-info version='2' state='partial'/>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(t.version(), 0u);
  EXPECT_THAT(t.Apply("<conference-info version='x' state='full'/>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace load
}  // namespace conf
