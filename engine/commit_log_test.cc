// The store with a commit log: records appended in version order with the
// install, deltas delivered only once durable, a failed log stops changes,
// and Restore/Capture bring a conference back as it was.

#include "engine/commit_log.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "engine/conference_store.h"
#include "engine/model.h"
#include "testing/status_matchers.h"

namespace conf {
namespace engine {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const UserId kAlice("sip:alice@fabrikam.com");
const UserId kBob("sip:bob@fabrikam.com");

// A log in memory: durable only when the test says so; single-threaded.
class ManualLog : public CommitLog {
 public:
  struct Record {
    uint64_t ticket;
    ConferenceId conference;
    uint64_t version;
    std::string payload;
  };

  std::string Prepare(const ConferenceDelta& delta,
                      const ConferenceSnapshot& after) override {
    ++prepared;
    return absl::StrCat(after.entity.value(), "@", delta.version);
  }
  absl::StatusOr<uint64_t> Append(const ConferenceDelta& delta,
                                  std::string record) override {
    if (!failure.ok()) {
      return failure;
    }
    records.push_back({++last, delta.conference, delta.version, record});
    return last;
  }
  void OnDurable(uint64_t ticket,
                 std::function<void(absl::Status)> done) override {
    if (ticket <= durable) {
      done(absl::OkStatus());
    } else {
      waiting.emplace_back(ticket, std::move(done));
    }
  }
  absl::Status WaitDurable(uint64_t ticket) override {
    return ticket <= durable ? absl::OkStatus() : failure;
  }
  uint64_t last_ticket() const override { return last; }

  // Makes everything up to `ticket` durable, or fails what is pending.
  void MakeDurable(uint64_t ticket) {
    durable = ticket;
    Complete(absl::OkStatus());
  }
  void Fail(absl::Status status) {
    failure = status;
    Complete(status);
  }

  std::vector<Record> records;
  int prepared = 0;

 private:
  void Complete(const absl::Status& status) {
    std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> later;
    for (auto& [ticket, done] : waiting) {
      if (!status.ok()) {
        done(status);
      } else if (ticket <= durable) {
        done(absl::OkStatus());
      } else {
        later.emplace_back(ticket, std::move(done));
      }
    }
    waiting = std::move(later);
  }

  uint64_t last = 0;
  uint64_t durable = 0;
  absl::Status failure;
  std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> waiting;
};

class RecordingSink : public SubscriptionSink {
 public:
  void OnDelta(const Subscriber&,
               const std::shared_ptr<const ConferenceDelta>& delta) override {
    versions.push_back(delta->version);
  }
  std::vector<uint64_t> versions;
};

User MakeUser(const UserId& entity) {
  User user;
  user.entity = entity;
  user.display_text = "someone";
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->entity = EndpointId("{EP-1}");
  endpoint->status = EndpointStatus::kConnected;
  user.endpoints.push_back(std::move(endpoint));
  return user;
}

class CommitLogTest : public ::testing::Test {
 protected:
  CommitLogTest() : store_(Options(&log_)) {}

  static StoreOptions Options(CommitLog* log) {
    StoreOptions options;
    options.commit_log = log;
    options.delta_log_capacity = 4;
    return options;
  }

  MutationResult AddConference(ConferenceStore& store) {
    AddConferenceRequest request;
    request.organizer = kAlice;
    request.description.subject = "weekly";
    request.mcu_types = {"chat", "audio-video"};
    absl::StatusOr<MutationResult> result =
        store.ApplyAddConference(std::move(request));
    EXPECT_THAT(result, IsOk());
    return *result;
  }

  absl::StatusOr<MutationResult> Join(ConferenceStore& store,
                                      const ConferenceId& conference,
                                      const UserId& user) {
    AddUserRequest request;
    request.conference = conference;
    request.requester = user;
    request.user = MakeUser(user);
    return store.ApplyAddUser(std::move(request));
  }

  ManualLog log_;
  ConferenceStore store_;
};

TEST_F(CommitLogTest, RecordsCarryTicketsInVersionOrder) {
  MutationResult created = AddConference(store_);
  const ConferenceId id = created.snapshot->entity;
  absl::StatusOr<MutationResult> joined = Join(store_, id, kBob);
  ASSERT_THAT(joined, IsOk());
  EXPECT_EQ(created.commit, 1u);
  EXPECT_EQ(joined->commit, 2u);
  ASSERT_EQ(log_.records.size(), 2u);
  EXPECT_EQ(log_.records[0].version, 1u);
  EXPECT_EQ(log_.records[1].version, 2u);
  EXPECT_EQ(log_.records[1].payload, absl::StrCat(id.value(), "@2"));
  EXPECT_EQ(log_.last_ticket(), 2u);
}

TEST_F(CommitLogTest, DeltasReachSubscribersOnlyOnceDurable) {
  MutationResult created = AddConference(store_);
  const ConferenceId id = created.snapshot->entity;
  log_.MakeDurable(created.commit);
  RecordingSink sink;
  ASSERT_THAT(store_.Subscribe(id, {SubscriptionId("s"), kAlice}, &sink),
              IsOk());
  absl::StatusOr<MutationResult> joined = Join(store_, id, kBob);
  ASSERT_THAT(joined, IsOk());
  EXPECT_THAT(sink.versions, IsEmpty());
  // Installed for readers already; the response waits for the log.
  EXPECT_EQ(store_.FindSnapshot(id)->version, 2u);
  log_.MakeDurable(joined->commit);
  EXPECT_THAT(sink.versions, ElementsAre(2u));
}

TEST_F(CommitLogTest, FailedAppendInstallsNothing) {
  MutationResult created = AddConference(store_);
  const ConferenceId id = created.snapshot->entity;
  log_.Fail(absl::DataLossError("fdatasync: EIO"));
  std::shared_ptr<const ConferenceSnapshot> before = store_.FindSnapshot(id);
  EXPECT_THAT(Join(store_, id, kBob),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("the focus cannot store changes: fdatasync")));
  EXPECT_EQ(store_.FindSnapshot(id), before);

  AddConferenceRequest another;
  another.organizer = kBob;
  another.mcu_types = {"chat"};
  EXPECT_THAT(store_.ApplyAddConference(std::move(another)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(store_.conference_count(), 1u);
  EXPECT_THAT(store_.ListConferencesOrganizedBy(kBob), IsEmpty());
}

TEST_F(CommitLogTest, ChangeThatNeverBecomesDurableIsNeverDelivered) {
  MutationResult created = AddConference(store_);
  const ConferenceId id = created.snapshot->entity;
  log_.MakeDurable(created.commit);
  RecordingSink sink;
  ASSERT_THAT(store_.Subscribe(id, {SubscriptionId("s"), kAlice}, &sink),
              IsOk());
  ASSERT_THAT(Join(store_, id, kBob), IsOk());
  log_.Fail(absl::UnavailableError("write: ENOSPC"));
  EXPECT_THAT(sink.versions, IsEmpty());
}

TEST_F(CommitLogTest, RestoreBringsAConferenceBackAsCaptured) {
  MutationResult created = AddConference(store_);
  const ConferenceId id = created.snapshot->entity;
  ASSERT_THAT(Join(store_, id, kBob), IsOk());
  log_.MakeDurable(log_.last_ticket());
  std::vector<CapturedConference> captured = store_.Capture();
  ASSERT_EQ(captured.size(), 1u);
  EXPECT_EQ(captured[0].last_commit, 2u);

  ManualLog second_log;
  ConferenceStore restored(Options(&second_log));
  ASSERT_THAT(restored.Restore(*captured[0].snapshot, 2), IsOk());
  std::shared_ptr<const ConferenceSnapshot> back = restored.FindSnapshot(id);
  ASSERT_NE(back, nullptr);
  EXPECT_TRUE(SnapshotsEqual(*back, *captured[0].snapshot));
  EXPECT_EQ(restored
                .FindSnapshotByConferenceId(
                    captured[0].snapshot->description->conference_id)
                ->entity,
            id);
  EXPECT_THAT(restored.ListConferencesOrganizedBy(kAlice), ElementsAre(id));
  EXPECT_THAT(restored.ListConferencesOf(kBob), ElementsAre(id));
  EXPECT_EQ(restored.Capture()[0].last_commit, 2u);
  // No deltas came back: a subscriber behind is sent a full document.
  EXPECT_THAT(restored.DeltasSince(id, 1),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(restored.DeltasSince(id, 2), IsOk());
  EXPECT_THAT(restored.Restore(*captured[0].snapshot, 2),
              StatusIs(absl::StatusCode::kAlreadyExists));

  // Versions continue, and a subscriber is delivered them in order.
  RecordingSink sink;
  ASSERT_THAT(restored.Subscribe(id, {SubscriptionId("s"), kAlice}, &sink),
              IsOk());
  DeleteUserRequest leave;
  leave.conference = id;
  leave.requester = kBob;
  leave.user = kBob;
  absl::StatusOr<MutationResult> left = restored.ApplyDeleteUser(leave);
  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->snapshot->version, 3u);
  second_log.MakeDurable(left->commit);
  EXPECT_THAT(sink.versions, ElementsAre(3u));
  EXPECT_THAT(restored.ListConferencesOf(kBob), IsEmpty());
  absl::StatusOr<MutationResult> back_again = Join(restored, id, kBob);
  ASSERT_THAT(back_again, IsOk());
  second_log.MakeDurable(back_again->commit);
  EXPECT_THAT(sink.versions, ElementsAre(3u, 4u));
  absl::StatusOr<std::vector<std::shared_ptr<const ConferenceDelta>>> since =
      restored.DeltasSince(id, 2);
  ASSERT_THAT(since, IsOk());
  ASSERT_EQ(since->size(), 2u);
  ASSERT_NE((*since)[0], nullptr);
  ASSERT_NE((*since)[1], nullptr);
  EXPECT_EQ((*since)[0]->version, 3u);
  EXPECT_EQ((*since)[1]->version, 4u);
}

}  // namespace
}  // namespace engine
}  // namespace conf
