#include "tools/load/roster_tracker.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/sample_users.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"
#include "tools/load/allocation_counter.h"

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

  // A partial document of `change` (at `version`), as the focus encodes it
  // for alice, whatever the store holds.
  std::string Delta(uint64_t version, engine::UserChange change) {
    engine::ConferenceDelta delta;
    delta.conference = engine::ConferenceId(conference_);
    delta.version = version;
    delta.users.push_back(std::move(change));
    codec::Viewer alice;
    alice.user = engine::UserId(kAlice);
    alice.role = engine::ViewerRole::kLeader;
    return codec::EncodeConferenceInfoDelta(delta, alice)->Bytes();
  }

  // A partial document with one partial user element holding `children`:
  // what RFC 4575 §4.4 allows a focus to send, and this one no longer does
  // (it sends changed users whole), written out by hand.
  std::string PartialUser(uint64_t version, absl::string_view user,
                          absl::string_view children) {
    return absl::StrCat(
        "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" "
        "entity=\"",
        conference_, "\" state=\"partial\" version=\"", version,
        "\"><users state=\"partial\"><user entity=\"", user,
        "\" state=\"partial\">", children, "</user></users></conference-info>");
  }

  static std::vector<std::pair<std::string, std::string>> Media(
      const TrackedEndpoint& e) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const TrackedMedia& m : e.media())
      out.emplace_back(m.id, m.status);
    return out;
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
  const TrackedUser* bob = t.roster().Find(kBob);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->roles(), "attendee");
  ASSERT_EQ(bob->endpoint_count(), 1u);
  const TrackedEndpoint* av = bob->FindEndpoint(absl::StrCat(kBob, "/av"));
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(av->status(), "connected");
  EXPECT_THAT(Media(*av), ElementsAre(Pair("1", "sendrecv")));
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

  const TrackedUser* bob = tracked.roster().Find(kBob);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->roles(), "presenter");
  const TrackedEndpoint* av = bob->FindEndpoint(absl::StrCat(kBob, "/av"));
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(av->status(), "on-hold");
  EXPECT_THAT(Media(*av), ElementsAre(Pair("1", "recvonly")));
  EXPECT_NE(tracked.lobby().Find(kCarol), nullptr);
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");

  ASSERT_TRUE(Send(kAlice, codec::EncodeDeleteUserRequest(Envelope(kAlice),
                                                          conference_, kBob)));
  ASSERT_TRUE(Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                               Envelope(kAlice), conference_, {kCarol},
                               engine::LobbyDecision::kGrant)));
  Drain(**leader, tracked);
  EXPECT_EQ(tracked.roster().Find(kBob), nullptr);
  EXPECT_NE(tracked.roster().Find(kCarol), nullptr);
  EXPECT_TRUE(tracked.lobby().empty());
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");

  // Bob comes back (his lobby slot is new, his roster slot is kept), and is
  // admitted into his old roster slot.
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));  // locked: the lobby
  Drain(**leader, tracked);
  EXPECT_NE(tracked.lobby().Find(kBob), nullptr);
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");
  ASSERT_TRUE(Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                               Envelope(kAlice), conference_, {kBob},
                               engine::LobbyDecision::kGrant)));
  Drain(**leader, tracked);
  ASSERT_NE(tracked.roster().Find(kBob), nullptr);
  EXPECT_EQ(tracked.roster().Find(kBob)->roles(), "attendee");
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

// What a subscriber can tell is wrong: each document below is refused and
// leaves the tracker as it was.
TEST_F(RosterTrackerTest, RefusesWrongNotificationsAndStaysUnchanged) {
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  ASSERT_TRUE(Send(
      kAlice, codec::EncodeModifyConferenceLockRequest(
                  Envelope(kAlice), conference_, engine::LockState::kLocked)));
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee));  // waits in the lobby
  const RosterTracker before = Fresh(kAlice);
  ASSERT_NE(before.lobby().Find(kCarol), nullptr);
  const uint32_t v = before.version();
  const auto bob = std::make_shared<const engine::User>(
      testing::UserWithAudio(kBob, engine::Role::kAttendee));
  const auto carol = std::make_shared<const engine::User>(
      testing::UserWithAudio(kCarol, engine::Role::kAttendee));
  const auto dave = std::make_shared<const engine::User>(
      testing::UserWithAudio("sip:dave@contoso.com", engine::Role::kAttendee));
  struct Case {
    const char* name;
    std::string document;
  };
  const Case kCases[] = {
      {"stale version", Delta(v, {engine::UserList::kRoster,
                                  engine::ChangeKind::kFull,
                                  bob->entity,
                                  bob,
                                  {}})},
      {"version gap", Delta(v + 2, {engine::UserList::kRoster,
                                    engine::ChangeKind::kFull,
                                    bob->entity,
                                    bob,
                                    {}})},
      {"missing user (partial)",
       PartialUser(v + 1, "sip:dave@contoso.com",
                   "<roles><entry>attendee</entry></roles>")},
      {"missing user (deleted)", Delta(v + 1, {engine::UserList::kRoster,
                                               engine::ChangeKind::kDeleted,
                                               dave->entity,
                                               nullptr,
                                               {}})},
      {"missing endpoint",
       PartialUser(v + 1, kBob,
                   "<endpoint entity=\"sip:bob/nope\" state=\"deleted\"/>")},
      {"user in the roster while in the lobby",
       Delta(v + 1, {engine::UserList::kRoster,
                     engine::ChangeKind::kFull,
                     carol->entity,
                     carol,
                     {}})},
      {"user in the lobby while in the roster",
       Delta(v + 1, {engine::UserList::kLobby,
                     engine::ChangeKind::kFull,
                     bob->entity,
                     bob,
                     {}})},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    RosterTracker t = before;
    EXPECT_THAT(t.Apply(c.document),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_EQ(t.version(), v);
    EXPECT_EQ(t.Difference(before), "");
  }
  // The same changes done right are taken.
  RosterTracker t = before;
  EXPECT_THAT(t.Apply(Delta(v + 1, {engine::UserList::kRoster,
                                    engine::ChangeKind::kFull,
                                    dave->entity,
                                    dave,
                                    {}})),
              IsOk());
  EXPECT_NE(t.roster().Find("sip:dave@contoso.com"), nullptr);
}

// Applying a parsed partial document allocates nothing once the users it
// names have been seen: not for a mute, a role, a user who leaves and comes
// back with a new endpoint, nor a move through the lobby.
TEST_F(RosterTrackerTest, ApplyingAllocatesNothingOnceUsersWereSeen) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(Join(absl::StrCat("sip:user", i, "@contoso.com"),
                     engine::Role::kAttendee));
  }
  auto leader = focus_.Subscribe({"a", kAlice, conference_, {}, {}});
  ASSERT_THAT(leader, IsOk());
  RosterTracker tracked;
  Drain(**leader, tracked);
  // Bob joins with endpoint `endpoint` (the same length each time).
  auto join = [&](int endpoint) {
    engine::User bob = testing::UserWithAudio(kBob, engine::Role::kAttendee);
    auto av = std::make_shared<engine::Endpoint>(*bob.endpoints[0]);
    av->entity = engine::EndpointId(absl::StrCat("{endpoint-", endpoint, "}"));
    bob.endpoints[0] = std::move(av);
    return Send(kBob, codec::EncodeAddUserRequest(Envelope(kBob), conference_,
                                                  std::move(bob)));
  };
  auto round = [&](int endpoint) {
    const std::string av = absl::StrCat("{endpoint-", endpoint, "}");
    return join(endpoint) &&
           Send(kBob, codec::EncodeModifyEndpointMediaRequest(
                          Envelope(kBob), conference_, kBob, av, "1",
                          engine::MediaStatus::kRecvOnly)) &&
           Send(kAlice, codec::EncodeModifyUserRolesRequest(
                            Envelope(kAlice), conference_, kBob,
                            engine::Role::kPresenter)) &&
           Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                            Envelope(kAlice), conference_,
                            engine::LockState::kLocked)) &&
           Join(kCarol, engine::Role::kAttendee) &&  // the lobby
           Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                            Envelope(kAlice), conference_, {kCarol},
                            engine::LobbyDecision::kGrant)) &&
           Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                            Envelope(kAlice), conference_,
                            engine::LockState::kUnlocked)) &&
           Send(kBob, codec::EncodeDeleteUserRequest(Envelope(kBob),
                                                     conference_, kBob)) &&
           Send(kCarol, codec::EncodeDeleteUserRequest(Envelope(kCarol),
                                                       conference_, kCarol));
  };
  ASSERT_TRUE(round(1));  // warm-up: bob and carol are seen
  Drain(**leader, tracked);
  ASSERT_TRUE(round(2));
  int applied = 0;
  for (const focus::Notification& n : (*leader)->Poll()) {
    const std::string bytes = n.Bytes();
    absl::StatusOr<codec::ConferenceInfoDocument> doc =
        codec::ParseConferenceInfo(bytes);
    ASSERT_THAT(doc, IsOk());
    const int64_t before = AllocationsOnThisThread();
    const absl::Status status = tracked.Apply(*doc);
    const int64_t allocations = AllocationsOnThisThread() - before;
    ASSERT_THAT(status, IsOk());
    EXPECT_EQ(allocations, 0) << bytes;
    ++applied;
  }
  EXPECT_EQ(applied, 9);
  EXPECT_EQ(tracked.Difference(Fresh(kAlice)), "");
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
