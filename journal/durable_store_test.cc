// DurableStore: a store's changes journaled and recovered, and snapshots
// whose capture overlaps changes recovered exactly once each.

#include "journal/durable_store.h"

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
#include "testing/temp_dir.h"

namespace conf {
namespace journal {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

const engine::UserId kAlice("sip:alice@fabrikam.com");
const engine::UserId kBob("sip:bob@fabrikam.com");

// A durable store in a directory: the DurableStore, then the store using it.
struct Node {
  std::unique_ptr<DurableStore> durable;
  std::unique_ptr<engine::ConferenceStore> store;
};

Node OpenNode(const std::string& dir) {
  DurableStoreOptions options;
  options.state_dir = dir;
  absl::StatusOr<std::unique_ptr<DurableStore>> durable =
      DurableStore::Open(std::move(options));
  EXPECT_THAT(durable, IsOk());
  Node node;
  node.durable = *std::move(durable);
  engine::StoreOptions store_options;
  store_options.commit_log = node.durable.get();
  node.store = std::make_unique<engine::ConferenceStore>(store_options);
  EXPECT_THAT(node.durable->RestoreInto(*node.store), IsOk());
  return node;
}

void Close(Node& node) {
  node.durable.reset();  // Flushes and completes deliveries first.
  node.store.reset();
}

engine::ConferenceId Create(Node& node, const engine::UserId& organizer) {
  engine::AddConferenceRequest request;
  request.organizer = organizer;
  request.mcu_types = {"chat"};
  absl::StatusOr<engine::MutationResult> result =
      node.store->ApplyAddConference(std::move(request));
  EXPECT_THAT(result, IsOk());
  EXPECT_THAT(node.durable->WaitDurable(result->commit), IsOk());
  return result->snapshot->entity;
}

void Join(Node& node, const engine::ConferenceId& conference,
          const engine::UserId& user) {
  engine::AddUserRequest request;
  request.conference = conference;
  request.requester = user;
  request.user.entity = user;
  absl::StatusOr<engine::MutationResult> result =
      node.store->ApplyAddUser(std::move(request));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(node.durable->WaitDurable(result->commit), IsOk());
}

void Delete(Node& node, const engine::ConferenceId& conference,
            const engine::UserId& organizer) {
  engine::DeleteConferenceRequest request;
  request.conference = conference;
  request.requester = organizer;
  absl::StatusOr<engine::MutationResult> result =
      node.store->ApplyDeleteConference(request);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(node.durable->WaitDurable(result->commit), IsOk());
}

void ExpectSame(engine::ConferenceStore& a, engine::ConferenceStore& b) {
  std::vector<engine::CapturedConference> left = a.Capture();
  ASSERT_EQ(left.size(), b.conference_count());
  for (const engine::CapturedConference& c : left) {
    std::shared_ptr<const engine::ConferenceSnapshot> other =
        b.FindSnapshot(c.snapshot->entity);
    ASSERT_NE(other, nullptr) << c.snapshot->entity.value();
    EXPECT_TRUE(engine::SnapshotsEqual(*c.snapshot, *other));
    EXPECT_EQ(c.snapshot->key, other->key);
    EXPECT_EQ(c.snapshot->web_join, other->web_join);
  }
}

TEST(DurableStoreTest, ChangesDuringTheCaptureAreRecoveredOnce) {
  const std::string dir = ::conf::testing::NewTempDir("durable");
  Node node = OpenNode(dir);
  const engine::ConferenceId kept = Create(node, kAlice);
  const engine::ConferenceId doomed = Create(node, kBob);
  engine::ConferenceId born;
  // After the snapshot noted what it covers and before it captures: an
  // update, a deletion after an update, and a creation.
  node.durable->SetCaptureHookForTest([&] {
    Join(node, kept, kBob);
    Join(node, doomed, kAlice);
    Delete(node, doomed, kBob);
    born = Create(node, kBob);
  });
  ASSERT_THAT(node.durable->WriteSnapshot(*node.store), IsOk());
  node.durable->SetCaptureHookForTest(nullptr);
  Join(node, born, kAlice);  // After the snapshot: replayed.

  Node copy = OpenNode(dir);  // Reads the files as they are now.
  const RecoveryReport& report = copy.durable->recovery();
  EXPECT_EQ(report.snapshot_conferences, 2u);
  EXPECT_EQ(report.records_skipped, 4u);
  EXPECT_EQ(report.records_replayed, 1u);
  ExpectSame(*node.store, *copy.store);
  Close(copy);
  Close(node);

  // And once more from the files both left.
  Node again = OpenNode(dir);
  EXPECT_EQ(again.store->conference_count(), 2u);
  EXPECT_EQ(again.store->FindSnapshot(doomed), nullptr);
  EXPECT_NE(again.store->FindSnapshot(born), nullptr);
  Close(again);
}

TEST(DurableStoreTest, AChangeToAMissingConferenceAfterTheCaptureIsCorruption) {
  const std::string dir = ::conf::testing::NewTempDir("durable");
  Node node = OpenNode(dir);
  const engine::ConferenceId conference = Create(node, kAlice);
  ASSERT_THAT(node.durable->WriteSnapshot(*node.store), IsOk());
  Join(node, conference, kBob);
  Close(node);
  // A snapshot that lost the conference (as a faulty release might write
  // one): the record after it has nothing to apply to.
  {
    Node writer = OpenNode(dir);
    engine::ConferenceStore nothing;
    ASSERT_THAT(writer.durable->WriteSnapshot(nothing), IsOk());
    Join(writer, conference, kAlice);
    Close(writer);
  }
  DurableStoreOptions options;
  options.state_dir = dir;
  EXPECT_THAT(
      DurableStore::Open(options),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("journal record")));
}

}  // namespace
}  // namespace journal
}  // namespace conf
