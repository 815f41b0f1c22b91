// Several threads mix reads, mutations and subscriptions on a few shared
// conferences; readers on the lock-free path race replacements, deletions
// and the growth of the read index. Checks, after the threads join: every live
// subscription saw exactly the versions after its start, in order, and
// replaying them onto its start snapshot gives the current snapshot; snapshots
// read concurrently were internally consistent; the user index matches the
// conferences; deleting the conferences ends every subscription with a final
// "deleted" delta. Run under
// --config=tsan in CI.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

#include "base/mutex.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "testing/status_matchers.h"

namespace conf {
namespace engine {
namespace {

using ::conf::testing::IsOk;

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 1500;
constexpr int kConferences = 3;
constexpr int kUsers = 12;

UserId UserAt(int i) { return UserId("sip:user" + std::to_string(i) + "@x"); }

// Records deltas, which may arrive (on any thread) before Subscribe returns.
class CheckingSink : public SubscriptionSink {
 public:
  void OnDelta(const Subscriber&,
               const std::shared_ptr<const ConferenceDelta>& delta) override {
    conf::MutexLock lock(&mu_);
    deltas_.push_back(delta);
  }

  std::vector<std::shared_ptr<const ConferenceDelta>> deltas() const {
    conf::MutexLock lock(&mu_);
    return deltas_;
  }

 private:
  mutable conf::Mutex mu_;
  std::vector<std::shared_ptr<const ConferenceDelta>> deltas_
      ABSL_GUARDED_BY(mu_);
};

struct LiveSubscription {
  ConferenceId conference;
  SubscriptionId id;
  std::shared_ptr<const ConferenceSnapshot> start;
  std::unique_ptr<CheckingSink> sink;
};

void ExpectConsistent(const ConferenceSnapshot& s) {
  EXPECT_EQ(s.state->user_count, s.users.size());
  for (const auto& user : s.users) {
    EXPECT_FALSE(s.lobby.Contains(user->entity));
  }
}

TEST(ConferenceStoreConcurrencyTest, MixedReadersWritersAndSubscribers) {
  StoreOptions options;
  options.random_bytes = [](uint8_t* out, size_t size) {
    static std::atomic<uint8_t> next{1};
    for (size_t i = 0; i < size; ++i) {
      out[i] = next.fetch_add(1);
    }
  };
  ConferenceStore store(options);
  std::vector<ConferenceId> conferences;
  for (int i = 0; i < kConferences; ++i) {
    AddConferenceRequest request;
    request.organizer = UserAt(0);
    request.mcu_types = {"chat"};
    request.description.conference_id = "C" + std::to_string(i);
    absl::StatusOr<MutationResult> created = store.ApplyAddConference(request);
    ASSERT_THAT(created, IsOk());
    conferences.push_back(created->snapshot->entity);
  }

  std::vector<std::vector<LiveSubscription>> subscriptions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      std::vector<LiveSubscription>& mine = subscriptions[t];
      int next_subscription = 0;
      for (int op = 0; op < kOpsPerThread; ++op) {
        const ConferenceId& conference = conferences[rng() % kConferences];
        const UserId user = UserAt(1 + static_cast<int>(rng() % kUsers));
        switch (rng() % 10) {
          case 0:
          case 1: {
            AddUserRequest request;
            request.conference = conference;
            request.user.entity = user;
            auto endpoint = std::make_shared<Endpoint>();
            endpoint->entity = EndpointId("{EP}");
            request.user.endpoints.push_back(std::move(endpoint));
            store.ApplyAddUser(std::move(request)).status().IgnoreError();
            break;
          }
          case 2:
            store.ApplyDeleteUser({conference, {}, user})
                .status()
                .IgnoreError();  // Not there: fine.
            break;
          case 3:
            store
                .ApplyModifyUserRoles(
                    {conference,
                     {},
                     user,
                     rng() % 2 ? Role::kPresenter : Role::kAttendee})
                .status()
                .IgnoreError();
            break;
          case 4:
            store
                .ApplyModifyConferenceLock(
                    {conference,
                     {},
                     rng() % 2 ? LockState::kLocked : LockState::kUnlocked})
                .status()
                .IgnoreError();
            break;
          case 5:
            store
                .ApplyLobbyDecision(
                    {conference,
                     {},
                     user,
                     rng() % 2 ? LobbyDecision::kGrant : LobbyDecision::kDeny})
                .status()
                .IgnoreError();
            break;
          case 6: {
            if (!mine.empty() && rng() % 2 == 0) {
              LiveSubscription& last = mine.back();
              EXPECT_THAT(store.Unsubscribe(last.conference, last.id), IsOk());
              mine.pop_back();  // Its sink is no longer called.
              break;
            }
            LiveSubscription sub;
            sub.conference = conference;
            sub.id = SubscriptionId("t" + std::to_string(t) + "-" +
                                    std::to_string(next_subscription++));
            sub.sink = std::make_unique<CheckingSink>();
            absl::StatusOr<SubscriptionStart> start =
                store.Subscribe(conference, {sub.id, user, ViewerRole::kLeader},
                                sub.sink.get());
            EXPECT_THAT(start, IsOk());
            sub.start = start->snapshot;
            mine.push_back(std::move(sub));
            break;
          }
          default: {
            std::shared_ptr<const ConferenceSnapshot> s =
                store.FindSnapshot(conference);
            ASSERT_NE(s, nullptr);
            ExpectConsistent(*s);
            store.ListConferencesOf(user);
            break;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  // Every live subscription replays to the current state.
  for (const auto& mine : subscriptions) {
    for (const LiveSubscription& sub : mine) {
      std::shared_ptr<const ConferenceSnapshot> now =
          store.FindSnapshot(sub.conference);
      ConferenceSnapshot replayed = *sub.start;
      uint64_t expected_version = sub.start->version;
      for (const auto& delta : sub.sink->deltas()) {
        ASSERT_EQ(delta->version, expected_version + 1);
        expected_version = delta->version;
        replayed = ApplyDelta(replayed, *delta);
      }
      EXPECT_EQ(expected_version, now->version);
      EXPECT_TRUE(SnapshotsEqual(replayed, *now)) << sub.id.value();
    }
  }

  // The user index matches the conferences.
  for (int i = 1; i <= kUsers; ++i) {
    std::vector<ConferenceId> expected;
    for (const ConferenceId& conference : conferences) {
      std::shared_ptr<const ConferenceSnapshot> s =
          store.FindSnapshot(conference);
      if (s->users.Contains(UserAt(i)) || s->lobby.Contains(UserAt(i))) {
        expected.push_back(conference);
      }
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(store.ListConferencesOf(UserAt(i)), expected) << i;
  }

  // Deleting ends every live subscription with a final "deleted" delta.
  for (const ConferenceId& conference : conferences) {
    ASSERT_THAT(store.ApplyDeleteConference({conference, {}}), IsOk());
  }
  for (const auto& mine : subscriptions) {
    for (const LiveSubscription& sub : mine) {
      std::vector<std::shared_ptr<const ConferenceDelta>> deltas =
          sub.sink->deltas();
      ASSERT_FALSE(deltas.empty());
      EXPECT_EQ(deltas.back()->kind, DeltaKind::kConferenceDeleted);
    }
  }
  EXPECT_TRUE(store.ListConferencesOrganizedBy(UserAt(0)).empty());
  for (int i = 1; i <= kUsers; ++i) {
    EXPECT_TRUE(store.ListConferencesOf(UserAt(i)).empty());
  }
}

// Two threads hammer one conference's roster while two read it: readers
// always see a snapshot whose version only grows.
TEST(ConferenceStoreConcurrencyTest, ReadersSeeMonotonicVersions) {
  ConferenceStore store;
  AddConferenceRequest request;
  request.organizer = UserAt(0);
  absl::StatusOr<MutationResult> created = store.ApplyAddConference(request);
  ASSERT_THAT(created, IsOk());
  const ConferenceId id = created->snapshot->entity;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 500; ++i) {
        UserId user("sip:w" + std::to_string(w) + "-" + std::to_string(i % 20) +
                    "@x");
        AddUserRequest add;
        add.conference = id;
        add.user.entity = user;
        if (!store.ApplyAddUser(std::move(add)).ok()) {
          EXPECT_THAT(store.ApplyDeleteUser({id, {}, user}), IsOk());
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      uint64_t last = 0;
      while (!done.load(std::memory_order_acquire)) {
        std::shared_ptr<const ConferenceSnapshot> s = store.FindSnapshot(id);
        EXPECT_GE(s->version, last);
        last = s->version;
        ExpectConsistent(*s);
      }
    });
  }
  threads[0].join();
  threads[1].join();
  done.store(true, std::memory_order_release);
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(store.FindSnapshot(id)->version, 1u + 2u * 500u);
}

// Encoders on several threads race to fill one render slot: all of them
// observe the same (first) value.
TEST(RenderSlotConcurrencyTest, AllThreadsSeeTheFirstValueStored) {
  auto user = std::make_shared<const User>();
  std::vector<std::shared_ptr<const std::string>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto mine = std::make_shared<const std::string>(std::to_string(t));
      std::shared_ptr<const std::string> got = user->rendered.Get();
      seen[t] = got != nullptr ? got : user->rendered.SetOnce(mine);
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  ASSERT_NE(user->rendered.Get(), nullptr);
  for (const auto& value : seen) {
    EXPECT_EQ(value, user->rendered.Get());
  }
}

// A store for the read-path races below: kStable conferences that are
// mutated and never deleted and kChurned that are deleted and re-created
// (watched_, in that order), and the writers that race the readers.
class ReadRaceTest : public ::testing::Test {
 protected:
  static constexpr int kStable = 8;   // Mutated, never deleted.
  static constexpr int kChurned = 8;  // Deleted and re-created.

  ReadRaceTest() : store_(Options()) {}

  void SetUp() override {
    for (int i = 0; i < kStable; ++i) {
      ASSERT_THAT(Add("S" + std::to_string(i)).status(), IsOk());
      watched_.push_back(EntityOf("S" + std::to_string(i)));
    }
    for (int i = 0; i < kChurned; ++i) {
      ASSERT_THAT(Add("C" + std::to_string(i)).status(), IsOk());
      watched_.push_back(EntityOf("C" + std::to_string(i)));
    }
  }

  absl::StatusOr<MutationResult> Add(const std::string& id) {
    AddConferenceRequest request;
    request.organizer = organizer_;
    request.description.conference_id = id;
    request.mcu_types = {"chat"};
    return store_.ApplyAddConference(std::move(request));
  }

  ConferenceId EntityOf(const std::string& id) const {
    return FocusUriFor(organizer_, id);
  }

  // Starts the three writers on `threads`; each decrements writers_running_
  // when it is done.
  //   1. `flips` rounds of lock/unlock on the stable conferences: the
  //      version parity gives the lock state (created unlocked at version 1).
  //   2. `churns` rounds of deleting and re-creating the churned ones.
  //   3. `growth` conferences "G<i>" added, so every shard's index is
  //      rebuilt.
  void StartWriters(int flips, int churns, int growth,
                    std::vector<std::thread>* threads) {
    threads->emplace_back([this, flips] {
      for (int n = 0; n < flips; ++n) {
        for (int i = 0; i < kStable; ++i) {
          auto s = store_.FindSnapshot(watched_[i]);
          ASSERT_NE(s, nullptr);
          ModifyConferenceLockRequest request;
          request.conference = watched_[i];
          request.lock =
              s->version % 2 == 1 ? LockState::kLocked : LockState::kUnlocked;
          EXPECT_THAT(store_.ApplyModifyConferenceLock(request).status(),
                      IsOk());
        }
      }
      writers_running_.fetch_sub(1);
    });
    threads->emplace_back([this, churns] {
      for (int n = 0; n < churns; ++n) {
        for (int i = 0; i < kChurned; ++i) {
          const std::string id = "C" + std::to_string(i);
          DeleteConferenceRequest request;
          request.conference = EntityOf(id);
          EXPECT_THAT(store_.ApplyDeleteConference(request).status(), IsOk());
          EXPECT_THAT(Add(id).status(), IsOk());
        }
      }
      writers_running_.fetch_sub(1);
    });
    threads->emplace_back([this, growth] {
      for (int i = 0; i < growth; ++i) {
        EXPECT_THAT(Add("G" + std::to_string(i)).status(), IsOk());
      }
      writers_running_.fetch_sub(1);
    });
  }

  ConferenceStore store_;
  std::vector<ConferenceId> watched_;
  std::atomic<int> writers_running_{3};

 private:
  static StoreOptions Options() {
    StoreOptions options;
    options.random_bytes = [](uint8_t* out, size_t size) {
      static std::atomic<uint8_t> next{1};
      for (size_t i = 0; i < size; ++i) {
        out[i] = next.fetch_add(1);
      }
    };
    return options;
  }

  const UserId organizer_{"sip:owner@x"};
};

// Readers on the lock-free path (Read) while writers add conferences (the
// read index grows and is replaced), mutate them and delete and re-create
// them under the same entity. A read sees either nothing or a whole snapshot
// of the conference it asked for, whose version never goes back within one
// incarnation; after the threads join, Read agrees with FindSnapshot. Run
// under --config=tsan (races) and --config=asan (a snapshot, node or index
// read after it was freed).
TEST_F(ReadRaceTest, LockFreeReadsDuringReplaceAndDelete) {
  constexpr int kGrowth = 1500;  // Added while readers run.
  std::atomic<int64_t> found{0};
  std::atomic<int64_t> missing{0};
  auto reader = [&](int seed) {
    std::mt19937 rng(seed);
    std::vector<uint64_t> last_version(watched_.size(), 0);
    std::vector<uint64_t> last_seen_key(watched_.size(), 0);
    int rounds = 0;
    while (writers_running_.load() > 0 || rounds < 2000) {
      ++rounds;
      const size_t k = rng() % watched_.size();
      const ConferenceId& id = watched_[k];
      const bool stable = k < static_cast<size_t>(kStable);
      absl::Status status = store_.Read(id, [&](const ConferenceSnapshot& s) {
        EXPECT_EQ(s.entity, id);
        ASSERT_NE(s.description, nullptr);
        ASSERT_NE(s.state, nullptr);
        EXPECT_EQ(s.state->locked, s.version % 2 == 0);
        if (stable) {
          EXPECT_GE(s.version, last_version[k]);
          last_version[k] = s.version;
        }
      });
      if (status.ok()) {
        found.fetch_add(1, std::memory_order_relaxed);
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
        EXPECT_FALSE(stable) << status;
        missing.fetch_add(1, std::memory_order_relaxed);
      }
      // Unwatched conferences being added: present or absent, never wrong.
      const ConferenceId other =
          EntityOf("G" + std::to_string(rng() % kGrowth));
      status = store_.Read(other, [&](const ConferenceSnapshot& s) {
        EXPECT_EQ(s.entity, other);
      });
      EXPECT_TRUE(status.ok() || absl::IsNotFound(status)) << status;
    }
  };

  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back(reader, 100 + r);
  }
  StartWriters(/*flips=*/600, /*churns=*/150, kGrowth, &threads);
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_GT(found.load(), 0);

  std::vector<ConferenceId> all = watched_;
  for (int i = 0; i < kGrowth; ++i) {
    all.push_back(EntityOf("G" + std::to_string(i)));
  }
  for (const ConferenceId& id : all) {
    std::shared_ptr<const ConferenceSnapshot> locked = store_.FindSnapshot(id);
    ASSERT_NE(locked, nullptr) << id.value();
    const ConferenceSnapshot* read = nullptr;
    EXPECT_THAT(
        store_.Read(id, [&](const ConferenceSnapshot& s) { read = &s; }),
        IsOk());
    EXPECT_EQ(read, locked.get()) << id.value();
  }
  EXPECT_EQ(store_.conference_count(), all.size());
  // Gone after deletion.
  DeleteConferenceRequest request;
  request.conference = watched_.back();
  ASSERT_THAT(store_.ApplyDeleteConference(request).status(), IsOk());
  EXPECT_EQ(
      store_.Read(watched_.back(), [](const ConferenceSnapshot&) {}).code(),
      absl::StatusCode::kNotFound);
}

// Batch readers (ReadBatch, batches longer than a group, with duplicates and
// ids of conferences being added) while writers replace, delete and
// re-create conferences and grow the store_. Each item is nothing or a whole
// snapshot of the conference it names, versions of a stable conference
// never go back along a batch or across batches; after the threads join, a
// batch agrees with FindSnapshot. Run under --config=tsan and --config=asan.
TEST_F(ReadRaceTest, BatchReadsDuringReplaceAndDelete) {
  constexpr int kGrowth = 1000;
  std::vector<ConferenceId> growth;
  for (int i = 0; i < kGrowth; ++i) {
    growth.push_back(EntityOf("G" + std::to_string(i)));
  }

  std::atomic<int64_t> found{0};
  auto reader = [&](int seed) {
    std::mt19937 rng(seed);
    std::vector<uint64_t> last_version(kStable, 0);
    const size_t length = 2 * ConferenceStore::kReadBatchGroup + 3;
    std::vector<ConferenceId> batch;
    std::vector<int> watched_index;  // -1: an id from `growth`.
    int rounds = 0;
    while (writers_running_.load() > 0 || rounds < 300) {
      ++rounds;
      batch.clear();
      watched_index.clear();
      for (size_t i = 0; i < length; ++i) {
        if (rng() % 2 == 0) {
          const int k = static_cast<int>(rng() % watched_.size());
          batch.push_back(watched_[k]);
          watched_index.push_back(k);
        } else {
          batch.push_back(growth[rng() % growth.size()]);
          watched_index.push_back(-1);
        }
      }
      size_t expected_index = 0;
      int64_t hits = 0;
      store_.ReadBatch(batch, [&](size_t i, const ConferenceSnapshot* s) {
        EXPECT_EQ(i, expected_index++);
        const int k = watched_index[i];
        if (s == nullptr) {
          EXPECT_FALSE(k >= 0 && k < kStable) << batch[i].value();
          return;
        }
        ++hits;
        EXPECT_EQ(s->entity, batch[i]);
        ASSERT_NE(s->description, nullptr);
        ASSERT_NE(s->state, nullptr);
        if (k >= 0) {
          EXPECT_EQ(s->state->locked, s->version % 2 == 0);
        }
        if (k >= 0 && k < kStable) {
          EXPECT_GE(s->version, last_version[k]);
          last_version[k] = s->version;
        }
      });
      EXPECT_EQ(expected_index, length);
      found.fetch_add(hits, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back(reader, 200 + r);
  }
  StartWriters(/*flips=*/400, /*churns=*/100, kGrowth, &threads);
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_GT(found.load(), 0);

  std::vector<ConferenceId> all = watched_;
  all.insert(all.end(), growth.begin(), growth.end());
  std::vector<const ConferenceSnapshot*> read(all.size(), nullptr);
  store_.ReadBatch(all,
                   [&](size_t i, const ConferenceSnapshot* s) { read[i] = s; });
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(read[i], store_.FindSnapshot(all[i]).get()) << all[i].value();
  }
}

}  // namespace
}  // namespace engine
}  // namespace conf
