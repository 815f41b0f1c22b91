#include "focus/focus.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/sample_users.h"
#include "testing/status_matchers.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::ReferenceSubscriber;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kBob[] = "sip:bob@contoso.com";
constexpr char kCarol[] = "sip:carol@contoso.com";

FocusOptions TestOptions() { return testing::SeededFocusOptions(1234); }

using ::conf::testing::EmbeddedDocument;
using ::conf::testing::FactoryOf;

// The focus's tests on one conference, "ABCD1234" (chat and audio-video),
// which Alice (a presenter) and Bob (an attendee) have joined with an
// audio-video endpoint each; the steps are testing::FocusHarness's.
class FocusTest : public ::testing::Test {
 protected:
  explicit FocusTest(FocusOptions options = TestOptions())
      : h_(std::move(options)), focus_(h_.focus()) {}

  void SetUp() override {
    codec::AddConferenceSpec spec;
    spec.subject = "weekly";
    spec.conference_id = "ABCD1234";
    conference_ = h_.AddConference(kAlice, spec);
    ASSERT_FALSE(conference_.empty());
    Join(kAlice, engine::Role::kPresenter);
    Join(kBob, engine::Role::kAttendee);
  }

  codec::RequestEnvelope Envelope(absl::string_view from,
                                  absl::string_view to = "") {
    return h_.Envelope(from, to);
  }
  C3pResult Send(absl::string_view identity, const std::string& body) {
    return h_.Send(identity, body);
  }
  C3pResult Join(absl::string_view who, engine::Role role) {
    return Send(who,
                codec::EncodeAddUserRequest(Envelope(who), conference_,
                                            testing::UserWithAudio(who, role)));
  }
  uint64_t Version() { return h_.Version(); }
  std::unique_ptr<Subscription> Subscribe(absl::string_view who,
                                          absl::string_view id) {
    return h_.Subscribe(who, id);
  }
  void Drain(Subscription& s, ReferenceSubscriber& sub,
             absl::Time now = absl::InfinitePast()) {
    h_.Drain(s, sub, now);
  }
  std::string FreshCanonical(absl::string_view who) {
    return h_.FreshCanonical(who);
  }

  testing::FocusHarness h_;
  Focus& focus_;
  std::string conference_;
};

TEST_F(FocusTest, AddConferenceAssignsFocusUriAndJoinGrantsRole) {
  EXPECT_EQ(conference_,
            "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ABCD1234");
  auto snapshot =
      focus_.store().FindSnapshot(engine::ConferenceId(conference_));
  ASSERT_EQ(snapshot->users.size(), 2u);
  EXPECT_TRUE(
      engine::IsLeader(snapshot->users.Find(engine::UserId(kAlice))->role));
  C3pResult r = Join(kCarol, engine::Role::kAttendee);
  EXPECT_TRUE(r.success());
  EXPECT_THAT(r.body, HasSubstr("code=\"success\""));
  EXPECT_THAT(r.body, HasSubstr("<addUser>"));
  EXPECT_THAT(r.body, HasSubstr("attendee"));
}

// addUser answers with the user as the store admitted it: to the roster, or
// to the lobby of a locked conference, with the role it was granted.
TEST_F(FocusTest, AddUserAnswersWithTheUserAsAdmitted) {
  const auto entity = [](absl::string_view user) {
    return absl::StrCat("entity=\"", user, "\"");
  };
  const auto role_of = [&](const std::shared_ptr<const engine::User>& user) {
    return absl::StrCat(
        ">", engine::IsLeader(user->role) ? "presenter" : "attendee", "<");
  };
  C3pResult r = Join(kCarol, engine::Role::kPresenter);
  ASSERT_TRUE(r.success()) << r.body;
  auto snapshot =
      focus_.store().FindSnapshot(engine::ConferenceId(conference_));
  auto carol = snapshot->users.Find(engine::UserId(kCarol));
  ASSERT_NE(carol, nullptr);
  EXPECT_THAT(r.body, HasSubstr(entity(kCarol)));
  EXPECT_THAT(r.body, HasSubstr(role_of(carol)));

  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                               Envelope(kAlice), conference_,
                               engine::LockState::kLocked))
                  .success());
  constexpr char kDave[] = "sip:dave@contoso.com";
  r = Join(kDave, engine::Role::kAttendee);
  ASSERT_TRUE(r.success()) << r.body;
  snapshot = focus_.store().FindSnapshot(engine::ConferenceId(conference_));
  EXPECT_FALSE(snapshot->users.Contains(engine::UserId(kDave)));
  auto dave = snapshot->lobby.Find(engine::UserId(kDave));
  ASSERT_NE(dave, nullptr);
  EXPECT_THAT(r.body, HasSubstr("<addUser>"));
  EXPECT_THAT(r.body, HasSubstr(entity(kDave)));
  EXPECT_THAT(r.body, HasSubstr(role_of(dave)));
  EXPECT_THAT(r.body, Not(HasSubstr(entity(kCarol))));
}

TEST_F(FocusTest, FromMustBeTheAuthenticatedIdentity) {
  const uint64_t before = Version();
  C3pResult r = Send(
      kBob, codec::EncodeModifyConferenceLockRequest(
                Envelope(kAlice), conference_, engine::LockState::kLocked));
  EXPECT_FALSE(r.success());
  EXPECT_EQ(r.failure, codec::C3pReason::kUnauthorized);
  EXPECT_THAT(r.body, HasSubstr("reason=\"unauthorized\""));
  EXPECT_EQ(Version(), before);
}

TEST_F(FocusTest, ToMustNameTheAddressedConference) {
  const uint64_t before = Version();
  C3pResult r = Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                                 Envelope(kAlice, "sip:elsewhere@contoso.com"),
                                 conference_, engine::LockState::kLocked));
  EXPECT_EQ(r.failure, codec::C3pReason::kRequestMalformed);
  EXPECT_EQ(Version(), before);
}

// URIs hold no white space, and the specification's own example ends a `to`
// with a space: white space around `from` and `to` is ignored, white space
// inside them is not (docs/FOCUS.md).
TEST_F(FocusTest, FromAndToAreComparedWithoutSurroundingWhiteSpace) {
  for (const char* pad : {" ", "\t", "\r\n "}) {
    SCOPED_TRACE(absl::CEscape(pad));
    const std::string from = absl::StrCat(pad, kAlice, pad);
    const std::string to = absl::StrCat(pad, conference_, pad);
    C3pResult r = Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                                   Envelope(from, to), conference_,
                                   engine::LockState::kLocked));
    EXPECT_TRUE(r.success()) << r.body;
  }
  const absl::string_view alice = kAlice;
  const std::string inside =
      absl::StrCat(alice.substr(0, 4), " ", alice.substr(4));
  C3pResult r = Send(
      kAlice, codec::EncodeModifyConferenceLockRequest(
                  Envelope(inside), conference_, engine::LockState::kUnlocked));
  EXPECT_EQ(r.failure, codec::C3pReason::kUnauthorized);
}

TEST_F(FocusTest, AttendeesCannotLockEjectPromoteOrAdmit) {
  const uint64_t before = Version();
  const std::string requests[] = {
      codec::EncodeModifyConferenceLockRequest(Envelope(kBob), conference_,
                                               engine::LockState::kLocked),
      codec::EncodeDeleteUserRequest(Envelope(kBob), conference_, kAlice),
      codec::EncodeModifyUserRolesRequest(Envelope(kBob), conference_, kBob,
                                          engine::Role::kPresenter),
  };
  for (const std::string& request : requests) {
    C3pResult r = Send(kBob, request);
    EXPECT_FALSE(r.success()) << request;
    EXPECT_EQ(r.failure, codec::C3pReason::kUnauthorized) << r.body;
  }
  EXPECT_EQ(Version(), before);

  // Admission: carol waits in the locked conference; bob may not let her in.
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                               Envelope(kAlice), conference_,
                               engine::LockState::kLocked))
                  .success());
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee).success());
  const uint64_t locked = Version();
  C3pResult r = Send(kBob, codec::EncodeSetLobbyAccessRequest(
                               Envelope(kBob), conference_, {kCarol},
                               engine::LobbyDecision::kGrant));
  EXPECT_EQ(r.failure, codec::C3pReason::kUnauthorized);
  EXPECT_EQ(Version(), locked);
  // The presenter may.
  EXPECT_TRUE(Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                               Envelope(kAlice), conference_, {kCarol},
                               engine::LobbyDecision::kGrant))
                  .success());
  EXPECT_TRUE(focus_.store()
                  .FindSnapshot(engine::ConferenceId(conference_))
                  ->users.Contains(engine::UserId(kCarol)));
}

TEST_F(FocusTest, LobbyUsersSeeOnlyThemselves) {
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                               Envelope(kAlice), conference_,
                               engine::LockState::kLocked))
                  .success());
  auto alice = Subscribe(kAlice, "a");
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber alice_view, bob_view, carol_view;
  Drain(*alice, alice_view);
  Drain(*bob, bob_view);
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee).success());
  auto carol = Subscribe(kCarol, "c");
  Drain(*carol, carol_view);
  // Entities are attributes: `entity="sip:..."` (the focus URI also holds
  // alice's address, so match whole attribute values).
  const auto entity = [](absl::string_view user) {
    return absl::StrCat("entity=\"", user, "\"");
  };
  EXPECT_THAT(carol_view.Canonical(), HasSubstr(entity(kCarol)));
  EXPECT_THAT(carol_view.Canonical(), Not(HasSubstr(entity(kAlice))));
  EXPECT_THAT(carol_view.Canonical(), Not(HasSubstr(entity(kBob))));
  // The leader is told about the waiting user; the attendee is not.
  Drain(*alice, alice_view);
  Drain(*bob, bob_view);
  EXPECT_THAT(alice_view.Canonical(), HasSubstr(entity(kCarol)));
  EXPECT_THAT(bob_view.Canonical(), Not(HasSubstr(entity(kCarol))));
  EXPECT_THAT(bob_view.Canonical(), HasSubstr(entity(kAlice)));
  EXPECT_EQ(alice_view.Canonical(), FreshCanonical(kAlice));
  EXPECT_EQ(bob_view.Canonical(), FreshCanonical(kBob));
  EXPECT_EQ(carol_view.Canonical(), FreshCanonical(kCarol));
}

TEST_F(FocusTest, NotificationsFollowEveryChangeWithVersionsRisingByOne) {
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber view;
  Drain(*bob, view);
  EXPECT_EQ(view.version(), 1u);
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                               Envelope(kAlice), conference_, kBob,
                               absl::StrCat(kBob, "/av"), "1",
                               engine::MediaStatus::kRecvOnly))
                  .success());
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee).success());
  ASSERT_TRUE(Send(kCarol, codec::EncodeDeleteUserRequest(Envelope(kCarol),
                                                          conference_, kCarol))
                  .success());
  std::vector<Notification> notes = bob->Poll();
  ASSERT_EQ(notes.size(), 3u);
  for (const Notification& n : notes) {
    EXPECT_EQ(n.kind, DocumentKind::kPartial);
    ASSERT_THAT(view.Apply(n.Bytes()), IsOk());
  }
  EXPECT_EQ(view.version(), 4u);
  EXPECT_THAT(notes[0].Bytes(), HasSubstr("recvonly"));
  EXPECT_EQ(view.Canonical(), FreshCanonical(kBob));
}

TEST_F(FocusTest, FailedRequestsNotifyNobody) {
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber view;
  Drain(*bob, view);
  EXPECT_FALSE(Send(kBob, codec::EncodeDeleteUserRequest(Envelope(kBob),
                                                         conference_, kAlice))
                   .success());
  EXPECT_FALSE(Join(kAlice, engine::Role::kPresenter).success());
  EXPECT_TRUE(bob->Poll().empty());
}

class SmallQueueFocusTest : public FocusTest {
 protected:
  static FocusOptions Options() {
    FocusOptions options = TestOptions();
    options.max_queued_notifications = 2;
    return options;
  }
  SmallQueueFocusTest() : FocusTest(Options()) {}
};

TEST_F(SmallQueueFocusTest, SlowSubscriberIsResynchronizedWithAFullDocument) {
  auto slow = Subscribe(kBob, "slow");
  auto fast = Subscribe(kAlice, "fast");
  ReferenceSubscriber slow_view, fast_view;
  Drain(*slow, slow_view);
  Drain(*fast, fast_view);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                                 Envelope(kAlice), conference_, kBob,
                                 absl::StrCat(kBob, "/av"), "1",
                                 i % 2 == 0 ? engine::MediaStatus::kRecvOnly
                                            : engine::MediaStatus::kSendRecv))
                    .success());
    Drain(*fast, fast_view);  // the fast one keeps up
  }
  EXPECT_EQ(fast->resynchronizations(), 0u);
  EXPECT_EQ(fast_view.version(), 6u);
  std::vector<Notification> notes = slow->Poll();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].kind, DocumentKind::kFull);
  EXPECT_EQ(notes[0].version, 2u);
  ASSERT_THAT(slow_view.Apply(notes[0].Bytes()), IsOk());
  EXPECT_EQ(slow->resynchronizations(), 1u);
  EXPECT_EQ(slow_view.Canonical(), FreshCanonical(kBob));
}

class CoalescingFocusTest : public FocusTest {
 protected:
  static FocusOptions Options() {
    FocusOptions options = TestOptions();
    options.notification_interval = absl::Seconds(5);
    return options;
  }
  CoalescingFocusTest() : FocusTest(Options()) {}
};

TEST_F(CoalescingFocusTest, ChangesWithinTheIntervalBecomeOnePartialDocument) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber view;
  Drain(*bob, view, t0);
  ASSERT_EQ(view.version(), 1u);
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee).success());
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                               Envelope(kAlice), conference_, kCarol,
                               absl::StrCat(kCarol, "/av"), "1",
                               engine::MediaStatus::kRecvOnly))
                  .success());
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyUserRolesRequest(
                               Envelope(kAlice), conference_, kCarol,
                               engine::Role::kPresenter))
                  .success());
  EXPECT_TRUE(bob->Poll(t0 + absl::Seconds(1)).empty());
  ASSERT_TRUE(bob->NextDue().has_value());
  EXPECT_EQ(*bob->NextDue(), t0 + absl::Seconds(5));
  std::vector<Notification> notes = bob->Poll(t0 + absl::Seconds(5));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].version, 2u);
  ASSERT_THAT(view.Apply(notes[0].Bytes()), IsOk());
  EXPECT_EQ(view.Canonical(), FreshCanonical(kBob));
  EXPECT_FALSE(bob->NextDue().has_value());
}

TEST_F(FocusTest, RefreshWithLastSeenVersionReplaysWhatWasMissed) {
  auto bob = Subscribe(kBob, "dialog");
  ReferenceSubscriber view;
  Drain(*bob, view);
  ASSERT_TRUE(Join(kCarol, engine::Role::kAttendee).success());
  Drain(*bob, view);
  ASSERT_EQ(view.version(), 2u);
  // Two more changes are handed out but "lost in transit".
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyUserRolesRequest(
                               Envelope(kAlice), conference_, kCarol,
                               engine::Role::kPresenter))
                  .success());
  ASSERT_TRUE(Send(kCarol, codec::EncodeDeleteUserRequest(Envelope(kCarol),
                                                          conference_, kCarol))
                  .success());
  ASSERT_EQ(bob->Poll().size(), 2u);
  // The client refreshes, saying it has version 2.
  SubscribeRequest refresh;
  refresh.subscription_id = "dialog";
  refresh.user = kBob;
  refresh.conference = conference_;
  refresh.last_seen_version = 2;
  absl::StatusOr<std::unique_ptr<Subscription>> again =
      focus_.Subscribe(std::move(refresh));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(bob->ended());
  std::vector<Notification> notes = (*again)->Poll();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].kind, DocumentKind::kPartial);
  EXPECT_EQ(notes[0].version, 3u);
  for (const Notification& n : notes)
    ASSERT_THAT(view.Apply(n.Bytes()), IsOk());
  EXPECT_EQ(view.Canonical(), FreshCanonical(kBob));
}

TEST_F(FocusTest, RefreshWithoutHistoryGetsAFullDocument) {
  SubscribeRequest request;
  request.subscription_id = "new-dialog";
  request.user = kBob;
  request.conference = conference_;
  request.last_seen_version = 17;
  absl::StatusOr<std::unique_ptr<Subscription>> s =
      focus_.Subscribe(std::move(request));
  ASSERT_THAT(s, IsOk());
  std::vector<Notification> notes = (*s)->Poll();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].kind, DocumentKind::kFull);
  EXPECT_EQ(notes[0].version, 18u);
}

TEST_F(FocusTest, DeletingTheConferenceSendsDeletedAndEndsSubscriptions) {
  auto bob = Subscribe(kBob, "b");
  ReferenceSubscriber view;
  Drain(*bob, view);
  C3pResult r = Send(kAlice, codec::EncodeDeleteConferenceRequest(
                                 Envelope(kAlice), conference_));
  ASSERT_TRUE(r.success()) << r.body;
  std::vector<Notification> notes = bob->Poll();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].kind, DocumentKind::kDeleted);
  ASSERT_THAT(view.Apply(notes[0].Bytes()), IsOk());
  EXPECT_TRUE(view.deleted());
  EXPECT_TRUE(bob->ended());
  EXPECT_TRUE(bob->Poll().empty());
  C3pResult get = Send(
      kBob, codec::EncodeGetConferenceRequest(Envelope(kBob), conference_, ""));
  EXPECT_EQ(get.failure, codec::C3pReason::kConferenceDoesntExist);
}

TEST_F(FocusTest, SubscribersMustBeMembers) {
  SubscribeRequest request;
  request.subscription_id = "x";
  request.user = "sip:mallory@contoso.com";
  request.conference = conference_;
  EXPECT_THAT(focus_.Subscribe(request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  request.user = kBob;
  request.conference = "sip:nobody;gruu;opaque=app:conf:focus:id:X";
  EXPECT_THAT(focus_.Subscribe(request), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FocusTest, BadRequestsGetSpecificFailures) {
  // Unknown command.
  std::string unknown =
      codec::EncodeEmptyCommandRequest(Envelope(kBob), "ping");
  const size_t at = unknown.find("<ping/>");
  ASSERT_NE(at, std::string::npos);
  unknown.replace(at, 7, "<teleport/>");
  EXPECT_EQ(Send(kBob, unknown).failure, codec::C3pReason::kNotSupported);
  // Well-formed XML that is not valid C3P is answered in C3P.
  std::string invalid =
      codec::EncodeGetConferenceRequest(Envelope(kBob), conference_, "");
  const size_t keys = invalid.find("<conferenceKeys");
  invalid.erase(keys, invalid.find("/>", keys) + 2 - keys);
  C3pResult r = Send(kBob, invalid);
  EXPECT_EQ(r.failure, codec::C3pReason::kRequestMalformed) << r.body;
  // XML that is not well-formed cannot be answered in C3P: SIP 400.
  std::string broken =
      codec::EncodeGetConferenceRequest(Envelope(kBob), conference_, "");
  broken.replace(broken.find("</getConference>"), 16, "</getConferenc>");
  EXPECT_THAT(focus_.HandleRequest(kBob, broken),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Not C3P at all: the SIP layer answers 400.
  EXPECT_THAT(focus_.HandleRequest(kBob, "hello"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Invalid certificate.
  r = Send(kBob, codec::EncodeGetConferenceRequest(Envelope(kBob), conference_,
                                                   "123213789BC234D"));
  EXPECT_EQ(r.failure, codec::C3pReason::kInvalidEncryptionKey);
  // Unknown user, conference, role.
  r = Send(kAlice, codec::EncodeDeleteUserRequest(Envelope(kAlice), conference_,
                                                  "sip:nobody@contoso.com"));
  EXPECT_EQ(r.failure, codec::C3pReason::kUserDoesntExist);
  const std::string other =
      "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:NOPE";
  r = Send(kAlice, codec::EncodeGetConferenceRequest(Envelope(kAlice, other),
                                                     other, ""));
  EXPECT_EQ(r.failure, codec::C3pReason::kConferenceDoesntExist);
  r = Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                       Envelope(kAlice), conference_, kBob, "{nope}", "1",
                       engine::MediaStatus::kRecvOnly));
  EXPECT_EQ(r.failure, codec::C3pReason::kEndpointDoesntExist);
}

// modifyEndpointMedia changes what the request carries (the status) and
// keeps the rest of the stream; each missing object has its own reason.
TEST_F(FocusTest, ModifyEndpointMediaKeepsWhatTheRequestLeavesOut) {
  const std::string endpoint = absl::StrCat(kBob, "/av");
  ASSERT_TRUE(Send(kAlice, codec::EncodeModifyEndpointMediaRequest(
                               Envelope(kAlice), conference_, kBob, endpoint,
                               "1", engine::MediaStatus::kRecvOnly))
                  .success());
  auto snapshot =
      focus_.store().FindSnapshot(engine::ConferenceId(conference_));
  ASSERT_NE(snapshot, nullptr);
  auto bob = snapshot->users.Find(engine::UserId(kBob));
  ASSERT_NE(bob, nullptr);
  const engine::Endpoint* av = bob->FindEndpoint(engine::EndpointId(endpoint));
  ASSERT_NE(av, nullptr);
  const engine::Media* audio = av->FindMedia(engine::MediaId("1"));
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(audio->status, engine::MediaStatus::kRecvOnly);
  EXPECT_EQ(audio->type.view(), "audio");
  // A user changes its own streams; only a leader changes another's.
  EXPECT_TRUE(Send(kBob, codec::EncodeModifyEndpointMediaRequest(
                             Envelope(kBob), conference_, kBob, endpoint, "1",
                             engine::MediaStatus::kSendRecv))
                  .success());
  const uint64_t version = Version();
  struct Case {
    const char* sender;
    const char* user;
    std::string endpoint;
    const char* media;
    codec::C3pReason reason;
  };
  const Case kCases[] = {
      {kAlice, kCarol, absl::StrCat(kCarol, "/av"), "1",
       codec::C3pReason::kUserDoesntExist},
      {kAlice, kBob, absl::StrCat(kBob, "/none"), "1",
       codec::C3pReason::kEndpointDoesntExist},
      {kAlice, kBob, endpoint, "9", codec::C3pReason::kMediaDoesntExist},
      {kBob, kAlice, absl::StrCat(kAlice, "/av"), "1",
       codec::C3pReason::kUnauthorized},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.sender, " ", c.endpoint, " ", c.media));
    C3pResult r =
        Send(c.sender, codec::EncodeModifyEndpointMediaRequest(
                           Envelope(c.sender), conference_, c.user, c.endpoint,
                           c.media, engine::MediaStatus::kInactive));
    EXPECT_FALSE(r.success());
    EXPECT_EQ(r.failure, c.reason);
  }
  EXPECT_EQ(Version(), version);
}

TEST_F(FocusTest, GetConferenceWithoutCertificateLeavesSecretsOut) {
  C3pResult r = Send(
      kBob, codec::EncodeGetConferenceRequest(Envelope(kBob), conference_, ""));
  ASSERT_TRUE(r.success());
  EXPECT_THAT(r.body, Not(HasSubstr("conference-key")));
  EXPECT_THAT(r.body, Not(HasSubstr("encrypted-uri")));
  EXPECT_THAT(r.body, HasSubstr(kBob));
  // Outsiders get nothing.
  r = Send("sip:mallory@contoso.com",
           codec::EncodeGetConferenceRequest(
               Envelope("sip:mallory@contoso.com"), conference_, ""));
  EXPECT_EQ(r.failure, codec::C3pReason::kUnauthorized);
}

TEST_F(FocusTest, ResultBufferIsReusedAcrossRequestsWithIdenticalAnswers) {
  const std::string get =
      codec::EncodeGetConferenceRequest(Envelope(kBob), conference_, "");
  const std::string mcu_types = codec::EncodeEmptyCommandRequest(
      Envelope(kBob, FactoryOf(kBob)), "getAvailableMcuTypes");
  const std::string missing = codec::EncodeGetConferenceRequest(
      Envelope(kBob), "sip:nowhere@contoso.com", "");
  const C3pResult expected_get = Send(kBob, get);
  const C3pResult expected_short = Send(kBob, mcu_types);
  const C3pResult expected_failure = Send(kBob, missing);
  ASSERT_TRUE(expected_get.success());
  ASSERT_TRUE(expected_short.success());
  ASSERT_FALSE(expected_failure.success());

  // A send buffer with stale bytes and more room than any answer needs.
  C3pResult reply;
  reply.body.assign(4 * expected_get.body.size(), '#');
  const size_t capacity = reply.body.capacity();
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    ASSERT_THAT(focus_.HandleRequest(kBob, get, &reply), IsOk());
    EXPECT_TRUE(reply.success());
    EXPECT_EQ(reply.body, expected_get.body);
    // A short answer is written into the same storage.
    ASSERT_THAT(focus_.HandleRequest(kBob, mcu_types, &reply), IsOk());
    EXPECT_TRUE(reply.success());
    EXPECT_EQ(reply.body, expected_short.body);
    EXPECT_EQ(reply.body.capacity(), capacity);
  }
  // A failure replaces the answer too.
  ASSERT_THAT(focus_.HandleRequest(kBob, missing, &reply), IsOk());
  EXPECT_FALSE(reply.success());
  EXPECT_EQ(reply.failure, expected_failure.failure);
  EXPECT_EQ(reply.body, expected_failure.body);
  ASSERT_THAT(focus_.HandleRequest(kBob, get, &reply), IsOk());
  EXPECT_EQ(reply.body, expected_get.body);
  // A body that cannot be answered in C3P: the same status as the other
  // overloads.
  EXPECT_THAT(focus_.HandleRequest(kBob, "not xml", &reply),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace focus
}  // namespace conf
