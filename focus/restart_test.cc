// A durable focus across restarts: every conference comes back as it was,
// from the journal alone and from a snapshot plus the records after it;
// versions continue under subscribers; secrets are sealed at rest; and a
// corrupt directory or a wrong node key refuses to start.

#include <atomic>
#include <future>  // NOLINT(build/c++11)
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request_encoder.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::FocusHarness;
using ::conf::testing::IsOk;
using ::conf::testing::ReferenceSubscriber;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "sip:alice@fabrikam.com";  // The organizer.
constexpr char kBob[] = "sip:bob@fabrikam.com";
constexpr char kCarol[] = "sip:carol@fabrikam.com";
constexpr char kDave[] = "sip:dave@fabrikam.com";
constexpr char kErin[] = "sip:erin@fabrikam.com";

using State = absl::flat_hash_map<std::string, engine::CapturedConference>;

// Every conference of `focus`, by entity.
State Capture(Focus& focus) {
  State state;
  for (engine::CapturedConference& c : focus.store().Capture()) {
    state[c.snapshot->entity.value()] = std::move(c);
  }
  return state;
}

// The two states hold the same conferences, field by field, secrets and
// expiry included.
void ExpectSameState(const State& before, const State& after) {
  EXPECT_EQ(before.size(), after.size());
  for (const auto& [entity, was] : before) {
    SCOPED_TRACE(entity);
    auto it = after.find(entity);
    ASSERT_NE(it, after.end());
    const engine::ConferenceSnapshot& a = *was.snapshot;
    const engine::ConferenceSnapshot& b = *it->second.snapshot;
    EXPECT_TRUE(engine::SnapshotsEqual(a, b));
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.web_join, b.web_join);
    EXPECT_EQ(a.expires_at, b.expires_at);
    EXPECT_EQ(was.last_commit, it->second.last_commit);
  }
}

class RestartTest : public ::testing::Test {
 protected:
  RestartTest() : dir_(testing::NewTempDir("restart")), h_(OpenFocus(dir_)) {}

  std::unique_ptr<Focus> OpenFocus(const std::string& dir,
                                   const std::string& key_file = "") {
    DurabilityOptions durability;
    durability.state_dir = dir;
    durability.node_key_file = key_file;
    durability.maintenance_interval = absl::ZeroDuration();
    durability.log = [this](absl::string_view line) {
      log_.push_back(std::string(line));
    };
    absl::StatusOr<std::unique_ptr<Focus>> focus =
        Focus::Open(testing::SeededFocusOptions(), std::move(durability));
    EXPECT_THAT(focus, IsOk());
    return focus.ok() ? *std::move(focus) : nullptr;
  }

  void Restart() {
    h_.Close();
    h_.Reopen(OpenFocus(dir_));
    ASSERT_NE(&h_.focus(), nullptr);
  }

  // A conference with a roster, roles, a lock, a lobby and an expiry
  // time, and a second conference; a third made and deleted.
  void BuildState() {
    codec::AddConferenceSpec spec;
    spec.subject = "weekly";
    spec.expiry_time = "2099-01-02T03:04:05Z";
    h_.AddConference(kDave);
    h_.AddConference(kCarol);
    const std::string doomed = h_.conference();
    ASSERT_TRUE(h_.Send(kCarol, codec::EncodeDeleteConferenceRequest(
                                    h_.Envelope(kCarol), doomed))
                    .success());
    conference_ = h_.AddConference(kAlice, spec);
    ASSERT_TRUE(h_.Join(kAlice, engine::Role::kPresenter).success());
    ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());
    ASSERT_TRUE(h_.Join(kCarol, engine::Role::kAttendee).success());
    ASSERT_TRUE(h_.Send(kAlice, codec::EncodeModifyUserRolesRequest(
                                    h_.Envelope(kAlice), conference_, kBob,
                                    engine::Role::kPresenter))
                    .success());
    ASSERT_TRUE(h_.Send(kAlice, codec::EncodeDeleteUserRequest(
                                    h_.Envelope(kAlice), conference_, kCarol))
                    .success());
    ASSERT_TRUE(h_.Send(kAlice, codec::EncodeModifyConferenceLockRequest(
                                    h_.Envelope(kAlice), conference_,
                                    engine::LockState::kLocked))
                    .success());
    // Locked: Dave waits in the lobby.
    ASSERT_TRUE(h_.Join(kDave, engine::Role::kAttendee).success());
  }

  std::string dir_;
  std::vector<std::string> log_;
  FocusHarness h_;
  std::string conference_;
};

TEST_F(RestartTest, EveryConferenceComesBackFromTheJournal) {
  BuildState();
  const State before = Capture(h_.focus());
  ASSERT_EQ(before.size(), 2u);
  Restart();
  ExpectSameState(before, Capture(h_.focus()));
  const journal::RecoveryReport& report = h_.focus().durable()->recovery();
  EXPECT_EQ(report.snapshot_covered, 0u);
  EXPECT_GT(report.records_replayed, 10u);
  EXPECT_EQ(report.conferences, 2u);
  EXPECT_THAT(log_, ::testing::Contains(HasSubstr("recovered 2 conferences")));

  // Versions continue where they were.
  h_.set_conference(conference_);
  const uint64_t version = h_.Version();
  ASSERT_TRUE(h_.Join(kErin, engine::Role::kAttendee).success());
  EXPECT_EQ(h_.Version(), version + 1);
  // The organizer's conferences and the lobby survived too.
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                                  h_.Envelope(kAlice), conference_, {kDave},
                                  engine::LobbyDecision::kGrant))
                  .success());
  EXPECT_NE(h_.Snapshot()->users.Find(engine::UserId(kDave)), nullptr);
}

TEST_F(RestartTest, SnapshotPlusLaterRecordsGiveTheSameState) {
  BuildState();
  ASSERT_THAT(h_.focus().WriteSnapshot(), IsOk());
  h_.set_conference(conference_);
  ASSERT_TRUE(h_.Join(kErin, engine::Role::kAttendee).success());
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeDeleteUserRequest(
                                  h_.Envelope(kAlice), conference_, kBob))
                  .success());
  const State before = Capture(h_.focus());
  Restart();
  ExpectSameState(before, Capture(h_.focus()));
  const journal::RecoveryReport& report = h_.focus().durable()->recovery();
  EXPECT_GT(report.snapshot_covered, 0u);
  EXPECT_EQ(report.snapshot_conferences, 2u);
  // Erin's join, Bob's ejection and the key rotation it causes.
  EXPECT_EQ(report.records_replayed, 3u);

  // A second restart from the same files, and one after a snapshot that
  // covers everything, agree.
  Restart();
  ExpectSameState(before, Capture(h_.focus()));
  ASSERT_THAT(h_.focus().WriteSnapshot(), IsOk());
  Restart();
  ExpectSameState(before, Capture(h_.focus()));
  EXPECT_EQ(h_.focus().durable()->recovery().records_replayed, 0u);
}

TEST_F(RestartTest, ASubscriberThatComesBackIsNeverReset) {
  BuildState();
  h_.set_conference(conference_);
  std::unique_ptr<Subscription> subscription = h_.Subscribe(kBob, "dialog-1");
  ReferenceSubscriber sub;
  h_.Drain(*subscription, sub);
  ASSERT_TRUE(h_.Join(kErin, engine::Role::kAttendee).success());
  h_.Drain(*subscription, sub);
  const uint32_t seen = sub.version();
  ASSERT_GT(seen, 1u);
  subscription.reset();
  Restart();

  SubscribeRequest again;
  again.subscription_id = "dialog-1";
  again.user = kBob;
  again.conference = conference_;
  again.last_seen_version = seen;
  absl::StatusOr<std::unique_ptr<Subscription>> resumed =
      h_.focus().Subscribe(std::move(again));
  ASSERT_THAT(resumed, IsOk());
  std::vector<Notification> notes = (*resumed)->Poll();
  ASSERT_FALSE(notes.empty());
  // The next version, a full document: the subscriber applies it in
  // place, without going back to version 1.
  EXPECT_EQ(notes[0].version, seen + 1);
  EXPECT_EQ(notes[0].kind, DocumentKind::kFull);
  for (const Notification& note : notes) {
    ASSERT_THAT(sub.Apply(note.Bytes()), IsOk());
  }
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeDeleteUserRequest(
                                  h_.Envelope(kAlice), conference_, kErin))
                  .success());
  h_.Drain(**resumed, sub);
  EXPECT_EQ(sub.Canonical(), h_.FreshCanonical(kBob));
}

TEST_F(RestartTest, AsynchronousAnswersArriveOnceDurable) {
  conference_ = h_.AddConference(kAlice);
  std::promise<absl::StatusOr<C3pResult>> answered;
  const uint64_t before = h_.focus().durable()->last_ticket();
  h_.focus().HandleRequestAsync(
      RequestContext::Authenticated(kBob),
      codec::EncodeAddUserRequest(
          h_.Envelope(kBob), conference_,
          testing::ClientJoin(kBob, engine::Role::kAttendee)),
      [&](absl::StatusOr<C3pResult> result) {
        answered.set_value(std::move(result));
      });
  absl::StatusOr<C3pResult> result = answered.get_future().get();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->success());
  EXPECT_GT(h_.focus().durable()->last_ticket(), before);
  const State state = Capture(h_.focus());
  Restart();
  ExpectSameState(state, Capture(h_.focus()));
}

TEST_F(RestartTest, SecretsAreSealedAtRest) {
  BuildState();
  ASSERT_THAT(h_.focus().WriteSnapshot(), IsOk());
  h_.set_conference(conference_);
  std::shared_ptr<const engine::ConferenceSnapshot> snapshot = h_.Snapshot();
  const std::string on_disk = testing::ReadAllFiles(dir_);
  ASSERT_FALSE(on_disk.empty());
  const std::string key(
      reinterpret_cast<const char*>(snapshot->key.bytes.data()),
      snapshot->key.bytes.size());
  EXPECT_EQ(on_disk.find(key), std::string::npos);
  EXPECT_EQ(on_disk.find(std::string(snapshot->web_join.internal())),
            std::string::npos);
  EXPECT_EQ(on_disk.find(std::string(snapshot->web_join.external())),
            std::string::npos);
  // What is not secret is there in the clear (the test can see anything).
  EXPECT_NE(on_disk.find("weekly"), std::string::npos);
}

TEST_F(RestartTest, AWrongNodeKeyRefusesToStart) {
  BuildState();
  h_.Close();
  const std::string other_key = testing::NewTempDir("key") + "/node.key";
  DurabilityOptions durability;
  durability.state_dir = dir_;
  durability.node_key_file = other_key;
  durability.maintenance_interval = absl::ZeroDuration();
  EXPECT_THAT(Focus::Open(testing::SeededFocusOptions(), durability),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("does not authenticate")));
}

// Snapshots taken while other threads change, create and delete
// conferences: records between the snapshot's start and end are applied
// exactly once on recovery (each conference's entry says what it reflects).
TEST_F(RestartTest, SnapshotsTakenUnderLoadRecoverExactly) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([this, t, &stop] {
      const std::string organizer = absl::StrCat("sip:org", t, "@fabrikam.com");
      int round = 0;
      while (!stop.load()) {
        codec::RequestEnvelope envelope{absl::StrCat(t, "-", round), organizer,
                                        testing::FactoryOf(organizer)};
        codec::AddConferenceSpec spec;
        spec.mcu_types = {"chat"};
        absl::StatusOr<C3pResult> added = h_.focus().HandleRequest(
            organizer, codec::EncodeAddConferenceRequest(envelope, spec));
        ASSERT_THAT(added, IsOk());
        std::vector<engine::ConferenceId> mine =
            h_.focus().store().ListConferencesOrganizedBy(
                engine::UserId(organizer));
        ASSERT_FALSE(mine.empty());
        const std::string conference(mine[round % mine.size()].value());
        for (int u = 0; u < 5; ++u) {
          const std::string user = absl::StrCat("sip:u", u, "@fabrikam.com");
          envelope.to = conference;
          h_.focus()
              .HandleRequest(
                  user, codec::EncodeAddUserRequest(
                            envelope, conference,
                            testing::ClientJoin(user, engine::Role::kAttendee)))
              .status()
              .IgnoreError();
        }
        if (round % 3 == 2) {
          envelope.to = conference;
          h_.focus()
              .HandleRequest(organizer, codec::EncodeDeleteConferenceRequest(
                                            envelope, conference))
              .status()
              .IgnoreError();
        }
        ++round;
      }
    });
  }
  int snapshots = 0;
  // Until the writers have made a few hundred changes, so that snapshots
  // overlap them.
  while (snapshots < 2000 &&
         (snapshots < 20 || h_.focus().durable()->last_ticket() < 600)) {
    ASSERT_THAT(h_.focus().WriteSnapshot(), IsOk());
    ++snapshots;
  }
  stop.store(true);
  for (std::thread& writer : writers) {
    writer.join();
  }
  // The last snapshot was taken under load: recovery starts from it.
  conference_ = h_.AddConference(kAlice);
  ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());
  const State before = Capture(h_.focus());
  Restart();
  ExpectSameState(before, Capture(h_.focus()));
  const journal::RecoveryReport& report = h_.focus().durable()->recovery();
  EXPECT_GT(report.records_replayed, 0u);
  std::printf("snapshots %d, replayed %zu, skipped %zu, last %llu\n", snapshots,
              report.records_replayed, report.records_skipped,
              static_cast<unsigned long long>(report.last_sequence));
}

TEST_F(RestartTest, ReadsWaitForNothingWhenAllIsDurable) {
  // A focus with nothing pending answers reads without a sync.
  conference_ = h_.AddConference(kAlice);
  const uint64_t ticket = h_.focus().durable()->last_ticket();
  C3pResult got = h_.Send(kAlice, codec::EncodeGetConferenceRequest(
                                      h_.Envelope(kAlice), conference_, ""));
  EXPECT_TRUE(got.success());
  EXPECT_EQ(h_.focus().durable()->last_ticket(), ticket);
}

}  // namespace
}  // namespace focus
}  // namespace conf
