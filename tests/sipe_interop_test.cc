// What a pidgin-sipe client sees of a conference run by the focus: its
// requests as sipe-conf.c writes them, and every notification followed with
// SIPE's own rules (testing/sipe_follower.h). Its chat roster, operators and
// lock must match the conference after every change.

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/sipe_follower.h"
#include "testing/status_matchers.h"

namespace conf {
namespace {

using ::conf::testing::FocusHarness;
using ::conf::testing::IsOk;
using ::conf::testing::SipeFollower;
using ::testing::HasSubstr;

constexpr char kAlice[] = "sip:alice@fabrikam.com";
constexpr char kBob[] = "sip:bob@fabrikam.com";
constexpr char kCarol[] = "sip:carol@fabrikam.com";

class SipeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(h_.AddConference(kAlice).empty());
    for (const char* who : {kAlice, kBob, kCarol}) {
      // SIPE's join: attendee, one endpoint named by a GUID.
      ASSERT_TRUE(h_.Join(who, engine::Role::kAttendee).success());
    }
    subscription_ = h_.Subscribe(kBob, "sipe-bob");
    ASSERT_NE(subscription_, nullptr);
    Follow();
  }

  // The chat MCU reports `who` in the chat (its endpoint, connected).
  void EnterChat(absl::string_view who) {
    engine::Endpoint chat;
    chat.entity = engine::EndpointId(absl::StrCat("{chat-", who, "}"));
    chat.session_type = "chat";
    chat.status = engine::EndpointStatus::kConnected;
    ASSERT_TRUE(h_.Send(who, codec::EncodeModifyEndpointRequest(
                                 h_.Envelope(who), h_.conference(), who, chat))
                    .success());
  }

  // Feeds SIPE every notification.
  void Follow() {
    for (const focus::Notification& n : subscription_->Poll()) {
      ASSERT_THAT(sipe_.Apply(n.Bytes()), IsOk()) << n.Bytes();
    }
  }

  // What SIPE should show: users with a connected chat endpoint, and which
  // are presenters (SIPE never takes operator status back, so only ever
  // presenters are compared as operators).
  void ExpectSipeMatchesTheConference() {
    std::shared_ptr<const engine::ConferenceSnapshot> s = h_.Snapshot();
    std::map<std::string, bool> expected;
    for (const std::shared_ptr<const engine::User>& u : s->users) {
      for (const auto& e : u->endpoints) {
        if (e->session_type.view() == "chat" &&
            e->status == engine::EndpointStatus::kConnected) {
          expected[std::string(u->entity.value())] =
              engine::IsLeader(u->role) ||
              (sipe_.roster().count(std::string(u->entity.value())) != 0 &&
               sipe_.roster().at(std::string(u->entity.value())));
        }
      }
    }
    EXPECT_EQ(sipe_.roster(), expected);
    EXPECT_EQ(sipe_.locked(), s->state->locked);
  }

  FocusHarness h_;
  std::unique_ptr<focus::Subscription> subscription_;
  SipeFollower sipe_;
};

TEST_F(SipeInteropTest, SipeSeesTheChatRosterOperatorsAndLockThroughout) {
  for (const char* who : {kAlice, kBob, kCarol}) {
    EnterChat(who);
    Follow();
    ExpectSipeMatchesTheConference();
  }
  ASSERT_EQ(sipe_.roster().size(), 3u);
  EXPECT_TRUE(sipe_.roster().at(kAlice));  // The organizer presents.

  // A role change alone: the user must stay in SIPE's roster.
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeModifyUserRolesRequest(
                                  h_.Envelope(kAlice), h_.conference(), kCarol,
                                  engine::Role::kPresenter))
                  .success());
  Follow();
  ExpectSipeMatchesTheConference();
  EXPECT_TRUE(sipe_.roster().at(kCarol));

  // A status change of another endpoint of the user, then the lock.
  engine::Endpoint av;
  av.entity = engine::EndpointId("{av-bob}");
  av.session_type = "audio-video";
  av.status = engine::EndpointStatus::kConnected;
  ASSERT_TRUE(h_.Send(kBob, codec::EncodeModifyEndpointRequest(
                                h_.Envelope(kBob), h_.conference(), kBob, av))
                  .success());
  ASSERT_TRUE(h_.Send(kBob, codec::EncodeModifyEndpointStatusRequest(
                                h_.Envelope(kBob), h_.conference(), kBob,
                                "{av-bob}", engine::EndpointStatus::kOnHold))
                  .success());
  Follow();
  ExpectSipeMatchesTheConference();
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                                  h_.Envelope(kAlice), h_.conference(),
                                  engine::LockState::kLocked))
                  .success());
  Follow();
  ExpectSipeMatchesTheConference();
  EXPECT_TRUE(sipe_.locked());

  // Leaving the chat, and an ejection.
  ASSERT_TRUE(h_.Send(kBob, codec::EncodeDeleteEndpointRequest(
                                h_.Envelope(kBob), h_.conference(), kBob,
                                absl::StrCat("{chat-", kBob, "}")))
                  .success());
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeDeleteUserRequest(
                                  h_.Envelope(kAlice), h_.conference(), kCarol))
                  .success());
  Follow();
  ExpectSipeMatchesTheConference();
  EXPECT_EQ(sipe_.roster().size(), 1u);
}

TEST(SipeInteropCapabilitiesTest, DefaultRegionIsWhereSipeReadsIt) {
  focus::FocusOptions options = testing::SeededFocusOptions();
  options.pstn_regions.push_back({"EMEA", {"+44 20 7946 0000"}});
  options.default_pstn_region = "EMEA";
  FocusHarness h(std::move(options));
  // SIPE sends it by SERVICE to its own focus factory.
  const focus::C3pResult caps =
      h.Send(kAlice, codec::EncodeEmptyCommandRequest(
                         h.Envelope(kAlice, testing::FactoryOf(kAlice)),
                         "getConferencingCapabilities"));
  ASSERT_TRUE(caps.success()) << caps.body;
  // getConferencingCapabilities/pstn-bridging/access-numbers/default-region
  EXPECT_THAT(caps.body,
              HasSubstr("<access-numbers><region name=\"EMEA\"><access-number>"
                        "<number>+44 20 7946 0000</number></access-number>"
                        "</region><default-region>EMEA</default-region>"
                        "</access-numbers>"));
}

}  // namespace
}  // namespace conf
