#include "focus/internal/secrets_version.h"

#include <cstdint>
#include <set>

#include "gtest/gtest.h"

#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

engine::ConferenceKey KeyWithByte(size_t index, uint8_t value, uint32_t epoch) {
  engine::ConferenceKey key;
  key.bytes[index] = value;
  key.epoch = epoch;
  return key;
}

TEST(SecretsVersionTest, KeysOfTheSameEpochDiffer) {
  // A re-created conference: epoch 1 again, another key. Every single-byte
  // difference anywhere in the key gives another version.
  std::set<uint64_t> versions;
  versions.insert(SecretsVersion(engine::ConferenceKey{{}, 1}));
  for (size_t i = 0; i < engine::ConferenceKey::kSize; ++i) {
    for (int value : {0x01, 0x80, 0xfe}) {
      versions.insert(SecretsVersion(KeyWithByte(i, value, 1)));
    }
  }
  EXPECT_EQ(versions.size(), 1 + engine::ConferenceKey::kSize * 3);
}

TEST(SecretsVersionTest, LaterEpochsAreLargerWhateverTheKey) {
  engine::ConferenceKey key = KeyWithByte(5, 0xff, 1);
  const uint64_t first = SecretsVersion(key);
  EXPECT_EQ(first >> 32, 1u);
  for (uint32_t epoch = 2; epoch < 100; ++epoch) {
    engine::ConferenceKey later = KeyWithByte(epoch % 24, epoch, epoch);
    EXPECT_GT(SecretsVersion(later), first);
    EXPECT_EQ(SecretsVersion(later) >> 32, epoch);
  }
}

TEST(SecretsVersionTest, SameKeySameVersion) {
  EXPECT_EQ(SecretsVersion(KeyWithByte(7, 0x42, 3)),
            SecretsVersion(KeyWithByte(7, 0x42, 3)));
  EXPECT_NE(SecretsVersion(KeyWithByte(7, 0x42, 3)),
            SecretsVersion(KeyWithByte(7, 0x42, 4)));
}

}  // namespace
}  // namespace internal
}  // namespace focus
}  // namespace conf
