#include "engine/internal/indexed_snapshot.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

std::shared_ptr<const ConferenceSnapshot> Make(const std::string& entity,
                                               uint64_t version) {
  ConferenceSnapshot snapshot;
  snapshot.entity = ConferenceId(entity);
  snapshot.version = version;
  return IndexedSnapshot::Make(std::move(snapshot));
}

// Keys shorter than, as long as, and longer than the inline prefix.
std::vector<size_t> Lengths() {
  const size_t n = IndexKey::kInlineKey;
  return {0, 1, 7, 8, 63, 64, n - 1, n, n + 1, 2 * n, 2048};
}

std::string Key(size_t length) {
  std::string key;
  for (size_t i = 0; i < length; ++i) {
    key.push_back(static_cast<char>('a' + i % 26));
  }
  return key;
}

TEST(IndexedSnapshotTest, KeepsTheSnapshot) {
  const std::string entity =
      "sip:alice@fabrikam.com;gruu;opaque=app:conf:"
      "focus:id:4KV6RZ7F";
  std::shared_ptr<const ConferenceSnapshot> s = Make(entity, 7);
  EXPECT_EQ(s->entity.value(), entity);
  EXPECT_EQ(s->version, 7u);
  EXPECT_TRUE(IndexedSnapshot::Of(s.get()).HasKey(entity));
}

TEST(IndexedSnapshotTest, MatchesItsOwnKeyAtEveryLength) {
  for (size_t length : Lengths()) {
    const std::string key = Key(length);
    std::shared_ptr<const ConferenceSnapshot> s = Make(key, 1);
    EXPECT_TRUE(IndexedSnapshot::Of(s.get()).HasKey(key)) << length;
    // A copy of the key elsewhere in memory matches too.
    const std::string copy(key.data(), key.size());
    EXPECT_TRUE(IndexedSnapshot::Of(s.get()).HasKey(copy)) << length;
  }
}

// A key that differs in one byte, inline or in the tail, or in its length,
// does not match.
TEST(IndexedSnapshotTest, RejectsEveryOtherKey) {
  for (size_t length : Lengths()) {
    const std::string key = Key(length);
    std::shared_ptr<const ConferenceSnapshot> s = Make(key, 1);
    const IndexedSnapshot& indexed = IndexedSnapshot::Of(s.get());
    for (size_t i = 0; i < length; ++i) {
      std::string other = key;
      other[i] = static_cast<char>(other[i] ^ 0x20);
      EXPECT_FALSE(indexed.HasKey(other)) << length << " at " << i;
    }
    EXPECT_FALSE(indexed.HasKey(key + "x")) << length;
    if (length > 0) {
      EXPECT_FALSE(indexed.HasKey(key.substr(0, length - 1))) << length;
    }
  }
}

// A NUL byte is an ordinary key byte.
TEST(IndexedSnapshotTest, ComparesEmbeddedNuls) {
  const std::string key("sip:a\0b@x", 9);
  std::shared_ptr<const ConferenceSnapshot> s = Make(key, 1);
  EXPECT_TRUE(IndexedSnapshot::Of(s.get()).HasKey(key));
  EXPECT_FALSE(
      IndexedSnapshot::Of(s.get()).HasKey(std::string("sip:a\0c@x", 9)));
}

}  // namespace
}  // namespace internal
}  // namespace engine
}  // namespace conf
