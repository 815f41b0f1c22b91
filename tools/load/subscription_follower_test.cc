#include "tools/load/subscription_follower.h"

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
#include "tools/load/allocation_counter.h"
#include "tools/load/roster_tracker.h"
#include "tools/load/version_log.h"

namespace conf {
namespace load {
namespace {

using ::testing::HasSubstr;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kBob[] = "sip:bob@contoso.com";
constexpr char kCarol[] = "sip:carol@contoso.com";

// A focus with one conference organized by alice, and alice's subscription
// followed as the load tool follows it: every request the test sends is
// recorded in the conference's VersionLog first.
class SubscriptionFollowerTest : public ::testing::Test {
 protected:
  SubscriptionFollowerTest() : focus_(Options()) {}

  static focus::FocusOptions Options() {
    focus::FocusOptions options;
    options.store.random_bytes = testing::SeededRandomBytes(11);
    return options;
  }

  void SetUp() override {
    codec::AddConferenceSpec spec;
    spec.conference_id = "FOLLOW1";
    spec.mcu_types = {"audio-video"};
    ASSERT_TRUE(Send(kAlice, codec::EncodeAddConferenceRequest(
                                 {"1", kAlice,
                                  absl::StrCat(kAlice,
                                               ";gruu;opaque=app:conf:"
                                               "focusfactory")},
                                 spec)));
    conference_ = std::string(
        focus_.store().FindSnapshotByConferenceId("FOLLOW1")->entity.value());
    ASSERT_TRUE(Join(kAlice, engine::Role::kPresenter));
    follower_ =
        std::make_unique<SubscriptionFollower>(conference_, kAlice, &log_);
    focus::SubscribeRequest request;
    request.subscription_id = "dialog-1";
    request.user = kAlice;
    request.conference = conference_;
    request.on_ready = follower_->OnReady();
    auto subscription = focus_.Subscribe(std::move(request));
    ASSERT_TRUE(subscription.ok());
    follower_->Attach(*std::move(subscription));
  }

  uint64_t Version() {
    return focus_.store()
        .FindSnapshot(engine::ConferenceId(conference_))
        ->version;
  }

  // Sends a request as the load tool does: its version recorded first.
  bool Send(absl::string_view identity, const std::string& body) {
    if (!conference_.empty()) {
      log_.Record(Version() + 1, 0);
    }
    absl::StatusOr<focus::C3pResult> r = focus_.HandleRequest(identity, body);
    return r.ok() && r->success();
  }

  codec::RequestEnvelope Envelope(absl::string_view from) {
    return {absl::StrCat(++request_id_), std::string(from), conference_};
  }

  bool Join(absl::string_view who, engine::Role role) {
    return Send(who,
                codec::EncodeAddUserRequest(Envelope(who), conference_,
                                            testing::UserWithAudio(who, role)));
  }

  bool Mute(absl::string_view who, bool muted) {
    return Send(
        who, codec::EncodeModifyEndpointMediaRequest(
                 Envelope(who), conference_, who, absl::StrCat(who, "/av"), "1",
                 muted ? engine::MediaStatus::kRecvOnly
                       : engine::MediaStatus::kSendRecv));
  }

  // A notification of `change` at conference version `conference_version`,
  // as the focus would encode it for alice, numbered `version`.
  focus::Notification Wrong(uint32_t version, uint64_t conference_version,
                            engine::UserChange change) {
    engine::ConferenceDelta delta;
    delta.conference = engine::ConferenceId(conference_);
    delta.version = conference_version;
    delta.users.push_back(std::move(change));
    codec::Viewer alice;
    alice.user = engine::UserId(kAlice);
    alice.role = engine::ViewerRole::kLeader;
    return {version, focus::DocumentKind::kPartial,
            *codec::EncodeConferenceInfoDelta(delta, alice)};
  }

  // The tracker of a fresh full document of alice's view.
  RosterTracker Fresh() {
    auto snapshot =
        focus_.store().FindSnapshot(engine::ConferenceId(conference_));
    codec::Viewer v;
    v.user = engine::UserId(kAlice);
    v.role = engine::ViewerRoleFor(*snapshot, v.user);
    RosterTracker fresh;
    EXPECT_TRUE(
        fresh.Apply(codec::EncodeConferenceInfo(*snapshot, v).Bytes()).ok());
    return fresh;
  }

  focus::Focus focus_;
  std::string conference_;
  int request_id_ = 1;
  VersionLog log_;
  std::unique_ptr<SubscriptionFollower> follower_;
};

TEST_F(SubscriptionFollowerTest, FollowsWhatTheFocusSends) {
  FollowerStats stats;
  follower_->Drain(stats);  // the first, full document
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  ASSERT_TRUE(Mute(kBob, true));
  ASSERT_TRUE(Send(
      kAlice, codec::EncodeModifyConferenceLockRequest(
                  Envelope(kAlice), conference_, engine::LockState::kLocked)));
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee));  // the lobby
  follower_->Drain(stats);
  EXPECT_EQ(stats.failures, 0) << stats.messages.front();
  EXPECT_EQ(stats.notifications, 5);
  EXPECT_EQ(stats.lag.count(), 5);
  EXPECT_EQ(follower_->DifferenceFrom(Fresh()), "");
  // Nothing is left without a wake-up.
  EXPECT_TRUE(follower_->PollForgotten().empty());
}

// Each wrong notification is caught by its own check.
TEST_F(SubscriptionFollowerTest, CatchesWrongNotifications) {
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  ASSERT_TRUE(Send(
      kAlice, codec::EncodeModifyConferenceLockRequest(
                  Envelope(kAlice), conference_, engine::LockState::kLocked)));
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee));  // the lobby
  const uint64_t at = Version();
  log_.Record(at + 1, 0);  // as if a request had made version at + 1
  // Each case's follower starts from its first document (number 1): a full
  // one at conference version `at`. The next is number 2.
  const focus::Notification full{
      1, focus::DocumentKind::kFull, [&] {
        codec::Viewer v;
        v.user = engine::UserId(kAlice);
        v.role = engine::ViewerRole::kLeader;
        return codec::EncodeConferenceInfo(
            *focus_.store().FindSnapshot(engine::ConferenceId(conference_)), v);
      }()};
  const auto bob = std::make_shared<const engine::User>(
      testing::UserWithAudio(kBob, engine::Role::kAttendee));
  const auto carol = std::make_shared<const engine::User>(
      testing::UserWithAudio(kCarol, engine::Role::kAttendee));
  const auto dave = std::make_shared<const engine::User>(
      testing::UserWithAudio("sip:dave@contoso.com", engine::Role::kAttendee));
  const engine::UserChange bob_again{engine::UserList::kRoster,
                                     engine::ChangeKind::kFull,
                                     bob->entity,
                                     bob,
                                     {}};
  struct Case {
    const char* name;
    focus::Notification notification;
    std::string message;
  };
  const Case kCases[] = {
      {"stale version", Wrong(1, at + 1, bob_again), "version 1 after 1"},
      {"conference version no request produced", Wrong(2, at + 2, bob_again),
       "which no request of the tool produced"},
      {"conference version going back", Wrong(2, at - 1, bob_again),
       absl::StrCat("conference version ", at - 1, " after ", at)},
      // The focus sends changed users whole (docs/CODEC.md), so a user
      // it never had can only show up missing when it is deleted.
      {"missing user",
       Wrong(2, at + 1,
             {engine::UserList::kRoster,
              engine::ChangeKind::kDeleted,
              dave->entity,
              nullptr,
              {}}),
       "sip:dave@contoso.com"},
      {"user in the roster while in the lobby",
       Wrong(2, at + 1,
             {engine::UserList::kRoster,
              engine::ChangeKind::kFull,
              carol->entity,
              carol,
              {}}),
       "in users and in the lobby at once"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SubscriptionFollower follower(conference_, kAlice, &log_);
    FollowerStats stats;
    follower.Accept(full, 0, stats);
    ASSERT_EQ(stats.failures, 0) << stats.messages.front();
    follower.Accept(c.notification, 0, stats);
    EXPECT_GE(stats.failures, 1);
    ASSERT_FALSE(stats.messages.empty());
    EXPECT_THAT(stats.messages.front(), HasSubstr(c.message));
  }
  // The same change, right, is taken.
  SubscriptionFollower follower(conference_, kAlice, &log_);
  FollowerStats stats;
  follower.Accept(full, 0, stats);
  follower.Accept(Wrong(2, at + 1, bob_again), 0, stats);
  EXPECT_EQ(stats.failures, 0) << stats.messages.front();
}

// Subscribers of one view get one encoded document; a worker parses it
// once, and each applies it with its own version.
TEST_F(SubscriptionFollowerTest, SubscribersOfOneViewShareOneParse) {
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee));
  std::vector<std::unique_ptr<SubscriptionFollower>> attendees;
  for (const char* who : {kBob, kCarol}) {
    attendees.push_back(
        std::make_unique<SubscriptionFollower>(conference_, who, &log_));
    focus::SubscribeRequest request;
    request.subscription_id = absl::StrCat("dialog-", who);
    request.user = who;
    request.conference = conference_;
    request.on_ready = attendees.back()->OnReady();
    auto subscription = focus_.Subscribe(std::move(request));
    ASSERT_TRUE(subscription.ok());
    attendees.back()->Attach(*std::move(subscription));
  }
  FollowerStats stats;
  for (auto& f : attendees)
    f->Drain(stats);  // each its full document
  ASSERT_TRUE(Mute(kBob, true));
  ASSERT_TRUE(Mute(kBob, false));
  const int64_t parsed = stats.documents.parsed();
  const int64_t reused = stats.documents.reused();
  for (auto& f : attendees)
    f->Drain(stats);
  EXPECT_EQ(stats.failures, 0) << stats.messages.front();
  EXPECT_EQ(stats.documents.parsed() - parsed, 2);
  EXPECT_EQ(stats.documents.reused() - reused, 2);
  for (auto& f : attendees) {
    auto snapshot =
        focus_.store().FindSnapshot(engine::ConferenceId(conference_));
    codec::Viewer v;
    v.user = engine::UserId(f->user());
    v.role = engine::ViewerRole::kAttendee;
    RosterTracker fresh;
    ASSERT_TRUE(
        fresh.Apply(codec::EncodeConferenceInfo(*snapshot, v).Bytes()).ok());
    EXPECT_EQ(f->DifferenceFrom(fresh), "") << f->user();
  }
}

// Per notification the follower allocates what the document's parse does,
// and nothing for the roster, however large.
TEST_F(SubscriptionFollowerTest, AllocatesOnlyTheDocument) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Join(absl::StrCat("sip:user", i, "@contoso.com"),
                     engine::Role::kAttendee));
  }
  ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
  FollowerStats stats;
  follower_->Drain(stats);
  ASSERT_EQ(stats.failures, 0) << stats.messages.front();
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(Mute(kBob, true));
    auto subscription_poll = [&] {
      // What Drain polls, taken here so that the focus's allocations are
      // not counted.
      return follower_->PollForgotten();
    };
    std::vector<focus::Notification> polled = subscription_poll();
    ASSERT_EQ(polled.size(), 1u);
    const std::string bytes = polled[0].Bytes();
    int64_t start = AllocationsOnThisThread();
    {
      auto doc = codec::ParseConferenceInfo(
          std::vector<char>(bytes.begin(), bytes.end()));
      ASSERT_TRUE(doc.ok());
    }
    const int64_t document = AllocationsOnThisThread() - start;
    start = AllocationsOnThisThread();
    follower_->Accept(polled[0], 0, stats);
    const int64_t accepted = AllocationsOnThisThread() - start;
    EXPECT_EQ(stats.failures, 0) << stats.messages.front();
    EXPECT_EQ(accepted, document) << "round " << round;
    ASSERT_TRUE(Mute(kBob, false));
    polled = subscription_poll();
    ASSERT_EQ(polled.size(), 1u);
    follower_->Accept(polled[0], 0, stats);
  }
  EXPECT_EQ(follower_->DifferenceFrom(Fresh()), "");
}

}  // namespace
}  // namespace load
}  // namespace conf
