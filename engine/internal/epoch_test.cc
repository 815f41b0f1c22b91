#include "engine/internal/epoch.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "gtest/gtest.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

// Counts its destructions and detects use after destruction.
class Tracked {
 public:
  static constexpr uint64_t kAlive = 0xA11CEA11CEA11CEull;

  explicit Tracked(std::atomic<int>* destroyed, int value = 0)
      : destroyed_(destroyed), value_(value) {}
  ~Tracked() {
    magic_ = 0;
    destroyed_->fetch_add(1);
  }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;

  bool alive() const { return magic_ == kAlive; }
  int value() const { return value_; }

 private:
  std::atomic<int>* const destroyed_;
  const int value_;
  uint64_t magic_ = kAlive;
};

// Destroys what is safe now; returns how many objects that was.
size_t Reclaim(EpochDomain& domain, RetireList& list) {
  std::vector<std::shared_ptr<const void>> freed;
  list.Reclaim(domain, &freed);
  return freed.size();
}

// Runs `fn` on another thread while the test thread waits for `step`.
class Stepper {
 public:
  void Signal(int step) { step_.store(step); }
  void WaitFor(int step) const {
    while (step_.load() < step) {
      std::this_thread::yield();
    }
  }

 private:
  std::atomic<int> step_{0};
};

TEST(EpochDomainTest, RetiredObjectOutlivesAPinnedReader) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  Stepper steps;
  std::thread reader([&] {
    EpochDomain::Guard guard(domain);
    EXPECT_TRUE(guard.pinned());
    steps.Signal(1);
    steps.WaitFor(2);
  });
  steps.WaitFor(1);
  list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
  EXPECT_EQ(Reclaim(domain, list), 0u);
  EXPECT_EQ(destroyed.load(), 0);
  EXPECT_EQ(list.size(), 1u);

  steps.Signal(2);
  reader.join();
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(list.size(), 0u);
}

TEST(EpochDomainTest, ReaderPinnedAfterTheRetirementDoesNotHoldIt) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  const uint64_t tag = domain.RetireEpoch();
  list.Add(tag, std::make_shared<const Tracked>(&destroyed));
  // Advances past the tag; a reader pinning from now on cannot reach the
  // object, which was unlinked before.
  domain.AdvancePast(tag);
  EXPECT_EQ(domain.RetireEpoch(), tag + 1);
  Stepper steps;
  std::thread reader([&] {
    EpochDomain::Guard guard(domain);
    steps.Signal(1);
    steps.WaitFor(2);
  });
  steps.WaitFor(1);
  EXPECT_EQ(domain.SafeBound(), tag + 1);
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 1);
  steps.Signal(2);
  reader.join();
}

TEST(EpochDomainTest, ReclaimAdvancesTheEpochOnlyWhenAnObjectStays) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  const uint64_t start = domain.RetireEpoch();
  // Nobody pinned: freed at once, and the epoch (a line every reader
  // loads) is not written.
  for (int i = 0; i < 3; ++i) {
    list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
    EXPECT_EQ(Reclaim(domain, list), 1u);
  }
  EXPECT_EQ(destroyed.load(), 3);
  EXPECT_EQ(domain.RetireEpoch(), start);

  // A pinned reader holds the next one: the epoch moves past its tag once,
  // and the reader's next pin no longer holds it.
  Stepper steps;
  std::thread reader([&] {
    {
      EpochDomain::Guard guard(domain);
      steps.Signal(1);
      steps.WaitFor(2);
    }
    EpochDomain::Guard guard(domain);
    steps.Signal(3);
    steps.WaitFor(4);
  });
  steps.WaitFor(1);
  list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
  EXPECT_EQ(Reclaim(domain, list), 0u);
  EXPECT_EQ(domain.RetireEpoch(), start + 1);
  EXPECT_EQ(Reclaim(domain, list), 0u);
  EXPECT_EQ(domain.RetireEpoch(), start + 1);  // Already past the tag.
  steps.Signal(2);
  steps.WaitFor(3);  // Pinned again, at start + 1.
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 4);
  steps.Signal(4);
  reader.join();
}

TEST(EpochDomainTest, NestedGuardsUnpinWithTheOutermost) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  {
    EpochDomain::Guard outer(domain);
    {
      EpochDomain::Guard inner(domain);
      EXPECT_TRUE(inner.pinned());
    }
    list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
    EXPECT_EQ(Reclaim(domain, list), 0u);  // Still pinned by `outer`.
    EXPECT_EQ(destroyed.load(), 0);
  }
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(EpochDomainTest, ReleaseEndsThePinEarly) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  EpochDomain::Guard guard(domain);
  list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
  EXPECT_EQ(Reclaim(domain, list), 0u);
  guard.Release();
  EXPECT_FALSE(guard.pinned());
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(EpochDomainTest, PinsOnOtherDomainsDoNotHoldObjects) {
  EpochDomain domain;
  EpochDomain other;
  RetireList list;
  std::atomic<int> destroyed{0};
  EpochDomain::Guard guard(other);
  list.Add(domain.RetireEpoch(), std::make_shared<const Tracked>(&destroyed));
  EXPECT_EQ(Reclaim(domain, list), 1u);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(EpochDomainTest, TakeBeforeKeepsNewerObjectsInOrder) {
  std::atomic<int> destroyed{0};
  RetireList list;
  for (uint64_t epoch = 1; epoch <= 6; ++epoch) {
    list.Add(epoch, std::make_shared<const Tracked>(&destroyed,
                                                    static_cast<int>(epoch)));
  }
  std::vector<std::shared_ptr<const void>> taken;
  list.TakeBefore(4, &taken);
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(destroyed.load(), 0);  // The caller decides when.
  taken.clear();
  EXPECT_EQ(destroyed.load(), 3);
  list.TakeBefore(std::numeric_limits<uint64_t>::max(), &taken);
  ASSERT_EQ(taken.size(), 3u);
  for (size_t i = 0; i < taken.size(); ++i) {
    EXPECT_EQ(static_cast<const Tracked*>(taken[i].get())->value(),
              static_cast<int>(4 + i));
  }
}

TEST(EpochDomainTest, DestroyingTheListDestroysWhatItHolds) {
  std::atomic<int> destroyed{0};
  {
    RetireList list;
    for (int i = 0; i < 10; ++i) {
      list.Add(1, std::make_shared<const Tracked>(&destroyed));
    }
  }
  EXPECT_EQ(destroyed.load(), 10);
}

TEST(EpochDomainTest, ExitedThreadsGiveTheirSlotsBack) {
  EpochDomain domain;
  // More threads than slots, one after the other: each finds a slot.
  for (size_t i = 0; i < kMaxEpochThreads + 64; ++i) {
    bool pinned = false;
    std::thread([&] {
      EpochDomain::Guard guard(domain);
      pinned = guard.pinned();
    }).join();
    ASSERT_TRUE(pinned) << "thread " << i;
  }
}

// Readers follow a published pointer while a writer replaces and retires
// it; every object is seen alive and, at the end, every retired one is
// destroyed exactly once.
TEST(EpochDomainTest, ReadersNeverSeeADestroyedObject) {
  EpochDomain domain;
  RetireList list;
  std::atomic<int> destroyed{0};
  std::atomic<const Tracked*> current{new Tracked(&destroyed, 0)};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> dead_seen{0};
  std::atomic<int64_t> reads{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      int64_t local = 0;
      while (!stop.load(std::memory_order_relaxed) || local < 1000) {
        EpochDomain::Guard guard(domain);
        const Tracked* seen = current.load();
        if (!seen->alive()) {
          dead_seen.fetch_add(1);
        }
        ++local;
      }
      reads.fetch_add(local);
    });
  }

  constexpr int kReplacements = 20000;
  size_t reclaimed = 0;
  for (int i = 1; i <= kReplacements; ++i) {
    const Tracked* old = current.exchange(new Tracked(&destroyed, i));
    list.Add(domain.RetireEpoch(), std::shared_ptr<const void>(old));
    if (i % 16 == 0) {
      reclaimed += Reclaim(domain, list);
    }
  }
  stop.store(true);
  for (std::thread& reader : readers) {
    reader.join();
  }
  reclaimed += Reclaim(domain, list);
  EXPECT_EQ(dead_seen.load(), 0);
  EXPECT_GE(reads.load(), 3000);
  EXPECT_EQ(reclaimed, static_cast<size_t>(kReplacements));
  EXPECT_EQ(destroyed.load(), kReplacements);
  delete current.load();
  EXPECT_EQ(destroyed.load(), kReplacements + 1);
}

}  // namespace
}  // namespace internal
}  // namespace engine
}  // namespace conf
