#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace {

TEST(RenderSlotTest, PeekSeesTheFirstValueStored) {
  RenderSlot slot;
  EXPECT_EQ(slot.Peek(), nullptr);
  EXPECT_EQ(slot.Get(), nullptr);
  auto first = std::make_shared<const std::string>("<user/>");
  auto second = std::make_shared<const std::string>("<other/>");
  EXPECT_EQ(slot.SetOnce(first), first);
  EXPECT_EQ(slot.SetOnce(second), first);
  EXPECT_EQ(slot.Peek(), first.get());
  EXPECT_EQ(slot.Get(), first);
}

TEST(RenderSlotTest, StoringNothingLeavesTheSlotEmpty) {
  RenderSlot slot;
  EXPECT_EQ(slot.SetOnce(nullptr), nullptr);
  EXPECT_EQ(slot.Peek(), nullptr);
  auto bytes = std::make_shared<const std::string>("<user/>");
  EXPECT_EQ(slot.SetOnce(bytes), bytes);
  EXPECT_EQ(slot.SetOnce(nullptr), bytes);
  EXPECT_EQ(slot.Peek(), bytes.get());
}

TEST(RenderSlotTest, SlotKeepsTheBytesAliveWithoutOtherOwners) {
  RenderSlot slot;
  slot.SetOnce(std::make_shared<const std::string>("<endpoint/>"));
  ASSERT_NE(slot.Peek(), nullptr);
  EXPECT_EQ(*slot.Peek(), "<endpoint/>");
}

TEST(RenderSlotTest, GetOutlivesTheSlot) {
  std::shared_ptr<const std::string> kept;
  {
    RenderSlot slot;
    slot.SetOnce(std::make_shared<const std::string>("<view/>"));
    kept = slot.Get();
  }
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(*kept, "<view/>");
}

TEST(RenderSlotTest, CopiesStartEmptyAndAssignmentEmptiesTheTarget) {
  RenderSlot filled;
  filled.SetOnce(std::make_shared<const std::string>("<a/>"));
  RenderSlot copy = filled;
  EXPECT_EQ(copy.Peek(), nullptr);

  RenderSlot target;
  target.SetOnce(std::make_shared<const std::string>("<b/>"));
  target = filled;
  EXPECT_EQ(target.Peek(), nullptr);
  EXPECT_EQ(target.Get(), nullptr);
  auto fresh = std::make_shared<const std::string>("<c/>");
  EXPECT_EQ(target.SetOnce(fresh), fresh);
  EXPECT_EQ(*filled.Peek(), "<a/>");  // The source keeps its value.
}

// Readers and writers race on fresh slots: every reader that sees bytes sees
// the winner's complete string, and every SetOnce returns the winner.
TEST(RenderSlotConcurrencyTest, ConcurrentSetOnceAndPeekAgreeOnTheWinner) {
  constexpr int kThreads = 4;
  constexpr int kSlots = 200;
  std::vector<RenderSlot> slots(kSlots);
  std::vector<std::vector<const std::string*>> returned(
      kThreads, std::vector<const std::string*>(kSlots, nullptr));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1, std::memory_order_acq_rel);
      while (ready.load(std::memory_order_acquire) < kThreads) {
        std::this_thread::yield();
      }
      for (int i = 0; i < kSlots; ++i) {
        const RenderSlot& slot = slots[i];
        if (const std::string* seen = slot.Peek()) {
          // A published value is complete and final.
          EXPECT_EQ(seen->substr(0, 5), "slot" + std::to_string(i % 10));
          returned[t][i] = seen;
          continue;
        }
        const std::string value =
            "slot" + std::to_string(i % 10) + "/t" + std::to_string(t);
        std::shared_ptr<const std::string> winner =
            slot.SetOnce(std::make_shared<const std::string>(value));
        returned[t][i] = winner.get();
        // SetOnce returned, so the winner is published to this thread.
        EXPECT_EQ(slot.Peek(), winner.get());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kSlots; ++i) {
    const std::string* stored = slots[i].Peek();
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(slots[i].Get().get(), stored);
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(returned[t][i], stored) << "slot " << i << " thread " << t;
    }
  }
}

}  // namespace
}  // namespace engine
}  // namespace conf
