// Notification delivery through the conference's shared log: documents shared
// per view, wake-ups, slow subscribers, deletion, and subscriptions ending
// while changes are delivered on other threads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/sample_users.h"
#include "testing/status_matchers.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::ReferenceSubscriber;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "sip:alice@contoso.com";  // organizer, presenter
constexpr char kBob[] = "sip:bob@contoso.com";      // attendee
constexpr char kCarol[] = "sip:carol@contoso.com";  // presenter
constexpr char kDave[] = "sip:dave@contoso.com";    // joins later

FocusOptions TestOptions(size_t max_queued = 64) {
  FocusOptions options = testing::SeededFocusOptions(4575);
  options.max_queued_notifications = max_queued;
  return options;
}

class NotificationsTest : public ::testing::Test {
 protected:
  explicit NotificationsTest(FocusOptions options = TestOptions())
      : h_(std::move(options)), focus_(h_.focus()) {}

  void SetUp() override {
    codec::AddConferenceSpec spec;
    spec.subject = "notifications";
    spec.conference_id = "NOTE0001";
    conference_ = h_.AddConference(kAlice, spec);
    ASSERT_FALSE(conference_.empty());
    ASSERT_TRUE(Join(kAlice, engine::Role::kPresenter));
    ASSERT_TRUE(Join(kBob, engine::Role::kAttendee));
    ASSERT_TRUE(Join(kCarol, engine::Role::kPresenter));
  }

  bool Send(absl::string_view who, const std::string& body) {
    return h_.Send(who, body).success();
  }

  codec::RequestEnvelope Envelope(absl::string_view from) {
    return h_.Envelope(from);
  }

  bool Join(absl::string_view who, engine::Role role) {
    return Send(who,
                codec::EncodeAddUserRequest(Envelope(who), conference_,
                                            testing::UserWithAudio(who, role)));
  }

  // Alice toggles `who`'s audio: a change every view sees.
  bool Toggle(absl::string_view who) {
    muted_ = !muted_;
    return Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                            Envelope(kAlice), conference_, who,
                            absl::StrCat(who, "/av"), "1",
                            muted_ ? engine::MediaStatus::kRecvOnly
                                   : engine::MediaStatus::kSendRecv));
  }

  bool Lock(bool locked) {
    return Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                            Envelope(kAlice), conference_,
                            locked ? engine::LockState::kLocked
                                   : engine::LockState::kUnlocked));
  }

  std::unique_ptr<Subscription> Subscribe(
      absl::string_view who, absl::string_view id,
      std::function<void()> on_ready = nullptr) {
    SubscribeRequest request;
    request.subscription_id = std::string(id);
    request.user = std::string(who);
    request.conference = conference_;
    request.on_ready = std::move(on_ready);
    absl::StatusOr<std::unique_ptr<Subscription>> s =
        focus_.Subscribe(std::move(request));
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *std::move(s) : nullptr;
  }

  static bool SameBuffer(const Notification& a, const Notification& b) {
    return a.document.prefix().data() == b.document.prefix().data();
  }

  testing::FocusHarness h_;
  Focus& focus_;
  std::string conference_;
  bool muted_ = false;
};

TEST_F(NotificationsTest, SubscribersOfOneViewShareTheSameBytes) {
  auto alice = Subscribe(kAlice, "a");
  auto carol = Subscribe(kCarol, "c");
  auto bob = Subscribe(kBob, "b");
  std::vector<Notification> a = alice->Poll();
  std::vector<Notification> c = carol->Poll();
  std::vector<Notification> b = bob->Poll();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  // Two leaders starting at one version share one full document.
  EXPECT_EQ(a[0].kind, DocumentKind::kFull);
  EXPECT_TRUE(SameBuffer(a[0], c[0]));
  EXPECT_EQ(a[0].Bytes(), c[0].Bytes());

  ASSERT_TRUE(Toggle(kBob));
  a = alice->Poll();
  c = carol->Poll();
  b = bob->Poll();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].kind, DocumentKind::kPartial);
  EXPECT_EQ(a[0].version, 2u);
  EXPECT_TRUE(SameBuffer(a[0], c[0]));
  EXPECT_EQ(a[0].Bytes(), c[0].Bytes());
  EXPECT_THAT(a[0].Bytes(), HasSubstr("recvonly"));
  // The attendee view is encoded on its own (it has no lobby element).
  EXPECT_FALSE(SameBuffer(a[0], b[0]));
  EXPECT_THAT(b[0].Bytes(), HasSubstr("recvonly"));
}

TEST_F(NotificationsTest, EachRoleGetsItsOwnView) {
  auto alice = Subscribe(kAlice, "a");
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber alice_view, bob_view;
  for (const Notification& n : alice->Poll())
    ASSERT_THAT(alice_view.Apply(n.Bytes()), IsOk());
  for (const Notification& n : bob->Poll())
    ASSERT_THAT(bob_view.Apply(n.Bytes()), IsOk());
  ASSERT_TRUE(Lock(true));
  ASSERT_TRUE(Join(kDave, engine::Role::kAttendee));  // waits in the lobby
  auto dave = Subscribe(kDave, "d");

  // Leaders see the lock and the lobby; the attendee only the lock.
  std::vector<Notification> a = alice->Poll();
  std::vector<Notification> b = bob->Poll();
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_THAT(a[1].Bytes(), HasSubstr(kDave));
  EXPECT_THAT(b[0].Bytes(), Not(HasSubstr(kDave)));
  // The lobby user sees only itself.
  std::vector<Notification> d = dave->Poll();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, DocumentKind::kFull);
  EXPECT_THAT(d[0].Bytes(), HasSubstr(kDave));
  EXPECT_THAT(d[0].Bytes(), Not(HasSubstr(kBob)));
  for (const Notification& n : a)
    ASSERT_THAT(alice_view.Apply(n.Bytes()), IsOk());
  for (const Notification& n : b)
    ASSERT_THAT(bob_view.Apply(n.Bytes()), IsOk());
  EXPECT_EQ(alice_view.version(), 3u);
  EXPECT_EQ(bob_view.version(), 2u);
}

TEST_F(NotificationsTest, PollAppendsToTheCallersBuffer) {
  auto alice = Subscribe(kAlice, "a");
  std::vector<Notification> buffer;
  EXPECT_EQ(alice->Poll(&buffer), 1u);
  ASSERT_TRUE(Toggle(kBob));
  ASSERT_TRUE(Toggle(kBob));
  EXPECT_EQ(alice->Poll(&buffer), 2u);
  ASSERT_EQ(buffer.size(), 3u);
  EXPECT_EQ(buffer[0].version, 1u);
  EXPECT_EQ(buffer[1].version, 2u);
  EXPECT_EQ(buffer[2].version, 3u);
  EXPECT_EQ(alice->Poll(&buffer), 0u);
  EXPECT_EQ(buffer.size(), 3u);
}

TEST_F(NotificationsTest, OnReadyFiresOnceUntilPolledAndNotForInvisible) {
  int rings = 0;
  auto bob = Subscribe(kBob, "b", [&rings] { ++rings; });
  EXPECT_EQ(rings, 1);  // its first document
  ASSERT_EQ(bob->Poll().size(), 1u);
  ASSERT_TRUE(Toggle(kAlice));
  EXPECT_EQ(rings, 2);
  ASSERT_TRUE(Toggle(kAlice));  // not polled yet: no second call
  EXPECT_EQ(rings, 2);
  EXPECT_EQ(bob->Poll().size(), 2u);
  // A lobby change is invisible to an attendee: no call, no document.
  ASSERT_TRUE(Lock(true));
  EXPECT_EQ(rings, 3);
  ASSERT_EQ(bob->Poll().size(), 1u);
  ASSERT_TRUE(Join(kDave, engine::Role::kAttendee));
  EXPECT_EQ(rings, 3);
  EXPECT_TRUE(bob->Poll().empty());
  ASSERT_TRUE(Toggle(kAlice));
  EXPECT_EQ(rings, 4);
  std::vector<Notification> n = bob->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].version, 5u);
}

// An on_ready call may end subscriptions that the same delivery is about to
// wake, its own included: the delivery must neither call an ended one nor
// touch one that is gone (ASan runs this), and every ended one is freed once
// the delivery is over (LeakSanitizer).
TEST_F(NotificationsTest, OnReadyMayEndSubscriptionsOfTheSameDelivery) {
  constexpr int kPairs = 4;
  // Pair k: ender[k]'s on_ready ends ended[k] and then itself. Which of the
  // two the delivery wakes first is not specified; either way ended[k] is
  // never called once it is gone.
  std::vector<std::unique_ptr<Subscription>> ender(kPairs);
  std::vector<std::unique_ptr<Subscription>> ended(kPairs);
  std::vector<int> ender_calls(kPairs, 0);
  std::vector<int> ended_calls(kPairs, 0);
  int late_calls = 0;
  bool armed = false;
  for (int k = 0; k < kPairs; ++k) {
    ended[k] = Subscribe(kBob, absl::StrCat("ended-", k), [&, k] {
      if (armed && ended[k] == nullptr)
        ++late_calls;
      ++ended_calls[k];
    });
    ender[k] = Subscribe(kCarol, absl::StrCat("ender-", k), [&, k] {
      ++ender_calls[k];
      if (!armed)
        return;
      ended[k].reset();
      ender[k].reset();
    });
  }
  int survivor_calls = 0;
  auto survivor =
      Subscribe(kAlice, "survivor", [&survivor_calls] { ++survivor_calls; });
  // Each takes its first document and is armed for the next change.
  for (int k = 0; k < kPairs; ++k) {
    ASSERT_EQ(ended[k]->Poll().size(), 1u);
    ASSERT_EQ(ender[k]->Poll().size(), 1u);
  }
  ASSERT_EQ(survivor->Poll().size(), 1u);
  armed = true;

  ASSERT_TRUE(Toggle(kAlice));  // seen by every one of them

  EXPECT_EQ(late_calls, 0);
  for (int k = 0; k < kPairs; ++k) {
    EXPECT_EQ(ender[k], nullptr);
    EXPECT_EQ(ended[k], nullptr);
    EXPECT_EQ(ender_calls[k], 2);  // its first document, then the change
    EXPECT_LE(ended_calls[k], 2);
  }
  EXPECT_EQ(survivor_calls, 2);
  // The delivery after that wakes the survivor alone.
  ASSERT_EQ(survivor->Poll().size(), 1u);
  ASSERT_TRUE(Toggle(kAlice));
  EXPECT_EQ(survivor_calls, 3);
  EXPECT_EQ(late_calls, 0);
}

class SmallLogTest : public NotificationsTest {
 protected:
  SmallLogTest() : NotificationsTest(TestOptions(3)) {}
};

TEST_F(SmallLogTest, ASubscriberThatFallsOutOfTheLogGetsAFullDocument) {
  int slow_rings = 0;
  auto fast = Subscribe(kCarol, "fast");
  auto slow = Subscribe(kAlice, "slow", [&slow_rings] { ++slow_rings; });
  ReferenceSubscriber fast_view, slow_view;
  for (const Notification& n : fast->Poll())
    ASSERT_THAT(fast_view.Apply(n.Bytes()), IsOk());
  for (const Notification& n : slow->Poll())
    ASSERT_THAT(slow_view.Apply(n.Bytes()), IsOk());
  // Within the log: partial documents.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Toggle(kBob));
    for (const Notification& note : fast->Poll())
      ASSERT_THAT(fast_view.Apply(note.Bytes()), IsOk());
  }
  std::vector<Notification> n = slow->Poll();
  ASSERT_EQ(n.size(), 3u);
  for (const Notification& note : n) {
    EXPECT_EQ(note.kind, DocumentKind::kPartial);
    ASSERT_THAT(slow_view.Apply(note.Bytes()), IsOk());
  }
  // Four changes behind a log of three: one full document.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Toggle(kBob));
    for (const Notification& note : fast->Poll())
      ASSERT_THAT(fast_view.Apply(note.Bytes()), IsOk());
  }
  EXPECT_EQ(slow_rings, 3);  // the first document, then once per batch
  n = slow->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kFull);
  EXPECT_EQ(n[0].version, 5u);
  ASSERT_THAT(slow_view.Apply(n[0].Bytes()), IsOk());
  EXPECT_EQ(slow->resynchronizations(), 1u);
  EXPECT_EQ(fast->resynchronizations(), 0u);
  EXPECT_EQ(fast_view.version(), 8u);
  EXPECT_EQ(slow_view.Canonical(), fast_view.Canonical());
  // And partial documents again after it.
  ASSERT_TRUE(Toggle(kBob));
  n = slow->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kPartial);
  EXPECT_EQ(n[0].version, 6u);
}

TEST_F(SmallLogTest, DeletionReachesASubscriberBehindTheLog) {
  auto bob = Subscribe(kBob, "b");
  ASSERT_EQ(bob->Poll().size(), 1u);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(Toggle(kBob));
  ASSERT_TRUE(Send(kAlice, codec::EncodeDeleteConferenceRequest(
                               Envelope(kAlice), conference_)));
  std::vector<Notification> n = bob->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kDeleted);
  EXPECT_EQ(n[0].version, 2u);
  EXPECT_TRUE(bob->ended());
  EXPECT_TRUE(bob->Poll().empty());
}

TEST_F(NotificationsTest, AConferenceCreatedAgainGetsAFreshLog) {
  auto old = Subscribe(kBob, "b");
  ASSERT_EQ(old->Poll().size(), 1u);
  ASSERT_TRUE(Send(kAlice, codec::EncodeDeleteConferenceRequest(
                               Envelope(kAlice), conference_)));
  const std::string first = conference_;
  SetUp();  // the same organizer and conference id: the same focus URI
  ASSERT_EQ(conference_, first);
  // The old subscription still holds the deleted conference's log.
  std::vector<Notification> n = old->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kDeleted);
  auto bob = Subscribe(kBob, "b2");
  n = bob->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kFull);
  EXPECT_EQ(n[0].version, 1u);
  ASSERT_TRUE(Toggle(kAlice));
  n = bob->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kPartial);
  EXPECT_EQ(n[0].version, 2u);
}

// A dialog refreshed after its conference was deleted and made again under
// the same focus URI: the old versions say nothing of the new conference, so
// the refresh gets a full document of it (found by focus_fuzzer), numbered
// on from the dialog.
TEST_F(NotificationsTest, ARefreshAcrossARecreatedConferenceGetsAFullDocument) {
  auto old = Subscribe(kBob, "b");
  ASSERT_EQ(old->Poll().size(), 1u);
  ASSERT_TRUE(Send(kAlice, codec::EncodeDeleteConferenceRequest(
                               Envelope(kAlice), conference_)));
  const std::string first = conference_;
  SetUp();  // the same organizer and conference id: the same focus URI
  ASSERT_EQ(conference_, first);
  ASSERT_TRUE(Toggle(kAlice));
  SubscribeRequest refresh;
  refresh.subscription_id = "b";
  refresh.user = kBob;
  refresh.conference = conference_;
  refresh.last_seen_version = 1;
  absl::StatusOr<std::unique_ptr<Subscription>> again =
      focus_.Subscribe(std::move(refresh));
  ASSERT_THAT(again, IsOk());
  std::vector<Notification> n = (*again)->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kFull);
  EXPECT_EQ(n[0].version, 2u);
  ReferenceSubscriber view;
  ASSERT_THAT(view.Apply(n[0].Bytes()), IsOk());
  EXPECT_EQ(view.Canonical(), h_.FreshCanonical(kBob));
}

TEST_F(NotificationsTest, APromotedSubscriberGetsAFullDocumentOfItsNewView) {
  auto bob = Subscribe(kBob, "b");
  ASSERT_EQ(bob->Poll().size(), 1u);
  ASSERT_TRUE(Toggle(kAlice));
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyUserRolesRequest(
                               Envelope(kAlice), conference_, kBob,
                               engine::Role::kPresenter)));
  std::vector<Notification> n = bob->Poll();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, DocumentKind::kFull);
  EXPECT_EQ(n[0].version, 2u);
  EXPECT_THAT(n[0].Bytes(), HasSubstr("msci:lobby"));
}

// Changes are made on one thread while others subscribe, poll from on_ready
// and destroy subscriptions: once a Subscription is destroyed its on_ready
// is never called (each one checks a flag the test clears right after).
TEST_F(NotificationsTest, EndedSubscriptionsAreNeverWokenAgain) {
  std::atomic<bool> done{false};
  std::thread changer([&] {
    while (!done.load()) {
      if (!Toggle(kBob))
        break;
    }
  });
  std::vector<std::thread> subscribers;
  std::atomic<int> violations{0};
  for (int t = 0; t < 2; ++t) {
    subscribers.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        auto alive = std::make_shared<std::atomic<bool>>(true);
        std::atomic<int> calls{0};
        SubscribeRequest request;
        request.subscription_id = absl::StrCat("t", t, "-", round);
        request.user = t == 0 ? kCarol : kBob;
        request.conference = conference_;
        request.on_ready = [alive, &calls, &violations] {
          if (!alive->load())
            violations.fetch_add(1);
          calls.fetch_add(1);
        };
        absl::StatusOr<std::unique_ptr<Subscription>> s =
            focus_.Subscribe(std::move(request));
        ASSERT_THAT(s, IsOk());
        uint32_t last = 0;
        for (int polls = 0; polls < 3; ++polls) {
          for (const Notification& n : (*s)->Poll()) {
            EXPECT_EQ(n.version, last + 1);
            last = n.version;
          }
        }
        s->reset();
        alive->store(false);
      }
    });
  }
  for (std::thread& t : subscribers)
    t.join();
  done.store(true);
  changer.join();
  EXPECT_EQ(violations.load(), 0);
}

}  // namespace
}  // namespace focus
}  // namespace conf
