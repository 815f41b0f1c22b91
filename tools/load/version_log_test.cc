#include "tools/load/version_log.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>  // NOLINT(build/c++11)

#include "gtest/gtest.h"

namespace conf {
namespace load {
namespace {

TEST(VersionLogTest, FindsWhatWasRecordedAndNothingElse) {
  VersionLog log;
  EXPECT_EQ(log.Find(1), std::nullopt);
  log.Record(1, 100);
  log.Record(2, 200);
  EXPECT_EQ(log.Find(1), 100);
  EXPECT_EQ(log.Find(2), 200);
  EXPECT_EQ(log.Find(3), std::nullopt);
  // Recorded again (a request that failed left its entry): the last wins.
  log.Record(3, 300);
  log.Record(3, 310);
  EXPECT_EQ(log.Find(3), 310);
}

TEST(VersionLogTest, ASlotIsOverwrittenOnlyARingLater) {
  VersionLog log;
  log.Record(5, 50);
  log.Record(5 + VersionLog::kSlots - 1, 60);
  EXPECT_EQ(log.Find(5), 50);
  log.Record(5 + VersionLog::kSlots, 70);
  EXPECT_EQ(log.Find(5), std::nullopt);
  EXPECT_EQ(log.Find(5 + VersionLog::kSlots), 70);
}

TEST(VersionLogTest, ComparesTheLow32BitsAsDocumentsCarryThem) {
  VersionLog log;
  const uint64_t version = (uint64_t{1} << 32) + 7;
  log.Record(version, 9);
  EXPECT_EQ(log.Find(7), 9);
}

// One writer records ahead while a reader looks up what exists: the reader
// sees every recorded time exactly, or (after an overwrite) nothing.
TEST(VersionLogTest, ReadersNeverSeeAWrongTime) {
  VersionLog log;
  std::atomic<uint64_t> written{0};
  constexpr uint64_t kVersions = 200000;
  std::thread writer([&] {
    for (uint64_t v = 1; v <= kVersions; ++v) {
      log.Record(v, static_cast<int64_t>(v * 10));
      written.store(v, std::memory_order_release);
    }
  });
  int64_t found = 0;
  while (written.load(std::memory_order_acquire) < kVersions) {
    const uint64_t v = written.load(std::memory_order_acquire);
    for (uint64_t back = 0; back < 4 && back < v; ++back) {
      if (std::optional<int64_t> start = log.Find(v - back)) {
        ASSERT_EQ(*start, static_cast<int64_t>((v - back) * 10));
        ++found;
      }
    }
  }
  writer.join();
  EXPECT_EQ(log.Find(kVersions), static_cast<int64_t>(kVersions * 10));
  EXPECT_GE(found, 0);
}

}  // namespace
}  // namespace load
}  // namespace conf
