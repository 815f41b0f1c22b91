#include "engine/internal/persistent_map.h"

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

struct Item {
  std::string key;
  int value = 0;
};

struct ItemKeyOf {
  const std::string& operator()(const Item& item) const { return item.key; }
};

using Map = PersistentMap<std::string, Item, ItemKeyOf>;

std::shared_ptr<const Item> MakeItem(std::string key, int value) {
  return std::make_shared<const Item>(Item{std::move(key), value});
}

// Checks `map` against `model` through size, lookup and ordered iteration.
void ExpectSame(const Map& map, const std::map<std::string, int>& model) {
  ASSERT_EQ(map.size(), model.size());
  auto it = map.begin();
  for (const auto& [key, value] : model) {
    ASSERT_NE(it, map.end());
    EXPECT_EQ((*it)->key, key);
    EXPECT_EQ((*it)->value, value);
    std::shared_ptr<const Item> found = map.Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(found->value, value);
    ++it;
  }
  EXPECT_EQ(it, map.end());
}

TEST(PersistentMapTest, EmptyMapHasNothing) {
  Map map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_EQ(map.begin(), map.end());
  EXPECT_EQ(map.Erase("a").size(), 0u);
}

TEST(PersistentMapTest, SetReplacesValueWithSameKey) {
  Map one = Map().Set(MakeItem("k", 1));
  Map two = one.Set(MakeItem("k", 2));
  EXPECT_EQ(two.size(), 1u);
  EXPECT_EQ(two.Find("k")->value, 2);
  EXPECT_EQ(one.Find("k")->value, 1);  // The old version is untouched.
}

TEST(PersistentMapTest, MatchesStdMapUnderRandomOperations) {
  std::mt19937 rng(12345);
  Map map;
  std::map<std::string, int> model;
  std::vector<std::pair<Map, std::map<std::string, int>>> history;
  for (int step = 0; step < 20000; ++step) {
    std::string key = "sip:user" + std::to_string(rng() % 500) + "@x";
    if (rng() % 3 == 0) {
      map = map.Erase(key);
      model.erase(key);
    } else {
      int value = static_cast<int>(rng() % 1000);
      map = map.Set(MakeItem(key, value));
      model[key] = value;
    }
    if (step % 997 == 0) {
      ASSERT_NO_FATAL_FAILURE(ExpectSame(map, model));
      history.emplace_back(map, model);
    }
  }
  ASSERT_NO_FATAL_FAILURE(ExpectSame(map, model));
  // Every older version still reads as it did.
  for (const auto& [old_map, old_model] : history) {
    ASSERT_NO_FATAL_FAILURE(ExpectSame(old_map, old_model));
  }
}

TEST(PersistentMapTest, ChangeSharesUntouchedChunks) {
  Map map;
  for (int i = 0; i < 1000; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "u%04d", i);
    map = map.Set(MakeItem(key, i));
  }
  ASSERT_GT(map.ChunkCountForTest(), 10u);
  Map changed = map.Set(MakeItem("u0500", -1));
  EXPECT_EQ(changed.ChunkCountForTest(), map.ChunkCountForTest());
  // Only the chunk holding the key was copied.
  EXPECT_NE(changed.ChunkIdentityForTest("u0500"),
            map.ChunkIdentityForTest("u0500"));
  EXPECT_EQ(changed.ChunkIdentityForTest("u0000"),
            map.ChunkIdentityForTest("u0000"));
  EXPECT_EQ(changed.ChunkIdentityForTest("u0999"),
            map.ChunkIdentityForTest("u0999"));
  // And every value object is shared except the replaced one.
  EXPECT_EQ(changed.Find("u0499").get(), map.Find("u0499").get());
}

TEST(PersistentMapTest, ChunksStayBoundedAfterManyErases) {
  Map map;
  for (int i = 0; i < 2000; ++i) {
    map = map.Set(MakeItem("k" + std::to_string(i), i));
  }
  for (int i = 0; i < 2000; i += 2) {
    map = map.Erase("k" + std::to_string(i));
  }
  EXPECT_EQ(map.size(), 1000u);
  // Merging keeps chunks from fragmenting into many tiny ones.
  EXPECT_LE(map.ChunkCountForTest(), 1000u / Map::kMinChunk + 1);
}

}  // namespace
}  // namespace internal
}  // namespace engine
}  // namespace conf
