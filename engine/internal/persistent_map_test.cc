#include "engine/internal/persistent_map.h"

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
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

TEST(PersistentMapTest, ChangeCopiesOneBranchOfMany) {
  Map map;
  for (int i = 0; i < 10000; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "u%05d", i);
    map = map.Set(MakeItem(key, i));
  }
  ASSERT_GT(map.BranchCountForTest(), 10u);
  // Sequential inserts fill branches to between kMaxBranch / 2 and
  // kMaxBranch chunks.
  EXPECT_LE(map.BranchCountForTest(),
            map.ChunkCountForTest() / (Map::kMaxBranch / 2) + 1);
  for (const char* key : {"u00000", "u05000", "u09999"}) {
    SCOPED_TRACE(key);
    const Map changed = map.Set(MakeItem(key, -1));
    ASSERT_EQ(changed.BranchCountForTest(), map.BranchCountForTest());
    ASSERT_EQ(changed.ChunkCountForTest(), map.ChunkCountForTest());
    // The branch and chunk that hold the key are copied; their neighbours
    // and every other value are shared.
    EXPECT_NE(changed.BranchIdentityForTest(key),
              map.BranchIdentityForTest(key));
    EXPECT_NE(changed.ChunkIdentityForTest(key), map.ChunkIdentityForTest(key));
    size_t shared_branches = 0;
    for (const char* other :
         {"u00000", "u02500", "u05000", "u07500", "u09999"}) {
      if (map.BranchIdentityForTest(other) != map.BranchIdentityForTest(key)) {
        EXPECT_EQ(changed.BranchIdentityForTest(other),
                  map.BranchIdentityForTest(other))
            << other;
        ++shared_branches;
      }
    }
    EXPECT_EQ(shared_branches, 4u);
    EXPECT_EQ(changed.Find("u04999").get(), map.Find("u04999").get());
    EXPECT_EQ(changed.Find(key)->value, -1);
    EXPECT_EQ(map.Find(key)->value, std::stoi(key + 1));
  }
}

TEST(PersistentMapTest, ManyBranchesMatchStdMapUnderRandomOperations) {
  // Enough keys for dozens of branches, and phases that grow the map and
  // shrink it to a few values, so branches split, merge and disappear.
  std::mt19937 rng(4242);
  Map map;
  std::map<std::string, int> model;
  std::vector<std::pair<Map, std::map<std::string, int>>> history;
  for (int phase = 0; phase < 6; ++phase) {
    const bool grow = phase % 2 == 0;
    for (int step = 0; step < 12000; ++step) {
      std::string key = "sip:user" + std::to_string(rng() % 6000) + "@x";
      if (grow ? rng() % 5 == 0 : rng() % 5 != 0) {
        map = map.Erase(key);
        model.erase(key);
      } else {
        const int value = static_cast<int>(rng() % 1000);
        map = map.Set(MakeItem(key, value));
        model[key] = value;
      }
    }
    SCOPED_TRACE(phase);
    ASSERT_NO_FATAL_FAILURE(ExpectSame(map, model));
    // Chunks and branches stay bounded as values come and go.
    EXPECT_LE(map.ChunkCountForTest(), map.size() / Map::kMinChunk + 2);
    EXPECT_LE(map.BranchCountForTest(),
              map.ChunkCountForTest() / Map::kMinBranch + 2);
    history.emplace_back(map, model);
  }
  // Every older version still reads as it did.
  for (const auto& [old_map, old_model] : history) {
    ASSERT_NO_FATAL_FAILURE(ExpectSame(old_map, old_model));
  }
}

TEST(PersistentMapTest, EraseEveryKeyInEitherOrderEmptiesTheMap) {
  for (const bool forward : {true, false}) {
    SCOPED_TRACE(forward ? "forward" : "backward");
    Map map;
    std::map<std::string, int> model;
    for (int i = 0; i < 3000; ++i) {
      char key[16];
      snprintf(key, sizeof(key), "u%05d", i);
      map = map.Set(MakeItem(key, i));
      model[key] = i;
    }
    ASSERT_GT(map.BranchCountForTest(), 2u);
    for (int n = 0; n < 3000; ++n) {
      char key[16];
      snprintf(key, sizeof(key), "u%05d", forward ? n : 2999 - n);
      map = map.Erase(key);
      model.erase(key);
      if (n % 211 == 0) {
        ASSERT_NO_FATAL_FAILURE(ExpectSame(map, model));
        EXPECT_LE(map.BranchCountForTest(),
                  map.ChunkCountForTest() / Map::kMinBranch + 2);
      }
    }
    EXPECT_TRUE(map.empty());
    EXPECT_EQ(map.begin(), map.end());
    EXPECT_EQ(map.ChunkCountForTest(), 0u);
    EXPECT_EQ(map.BranchCountForTest(), 0u);
  }
}

TEST(PersistentMapTest, ReplaceAtSlotEqualsSet) {
  Map map;
  for (int i = 0; i < 2000; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "u%05d", i);
    map = map.Set(MakeItem(key, i));
  }
  EXPECT_FALSE(map.FindSlot("u99999").has_value());
  EXPECT_FALSE(Map().FindSlot("u00000").has_value());
  for (const char* key : {"u00000", "u01000", "u01999"}) {
    SCOPED_TRACE(key);
    std::optional<Map::Slot> slot = map.FindSlot(key);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot->value().get(), map.Find(key).get());
    const Map replaced = map.Replace(*slot, MakeItem(key, -1));
    EXPECT_EQ(replaced.size(), map.size());
    EXPECT_EQ(replaced.Find(key)->value, -1);
    EXPECT_EQ(map.Find(key)->value, std::stoi(key + 1));
    EXPECT_EQ(replaced.ChunkCountForTest(), map.ChunkCountForTest());
    EXPECT_EQ(replaced.Find("u00500").get(), map.Find("u00500").get());
    std::map<std::string, int> model;
    for (const auto& value : map) {
      model[value->key] = value->value;
    }
    model[key] = -1;
    ASSERT_NO_FATAL_FAILURE(ExpectSame(replaced, model));
  }
}

TEST(PersistentMapTest, ReplaceWithSlotOfAnotherMapFallsBackToSet) {
  Map map = Map().Set(MakeItem("a", 1)).Set(MakeItem("b", 2));
  const std::optional<Map::Slot> slot_of_b = map.FindSlot("b");
  ASSERT_TRUE(slot_of_b.has_value());
  // The slot of "b" in `map` holds another key in `other` (index 1 is "a2"),
  // and is past the end of `small`: both still store the value by its key.
  const Map other = Map().Set(MakeItem("a", 1)).Set(MakeItem("a2", 5));
  const Map replaced = other.Replace(*slot_of_b, MakeItem("b", 3));
  ExpectSame(replaced, {{"a", 1}, {"a2", 5}, {"b", 3}});
  const Map small = Map().Set(MakeItem("z", 9));
  ExpectSame(small.Replace(*slot_of_b, MakeItem("b", 4)), {{"b", 4}, {"z", 9}});
  ExpectSame(Map().Replace(*slot_of_b, MakeItem("b", 7)), {{"b", 7}});
}

// A chunk annex as a cache uses it: written through a const reference after
// the chunk is shared. `mark` stands for the cached value; `owned` lets a
// test see when the annex is destroyed.
struct Mark {
  mutable std::atomic<int> mark{0};
  mutable std::shared_ptr<int> owned;
};

using MarkedMap = PersistentMap<std::string, Item, ItemKeyOf, Mark>;

MarkedMap MarkedMapWithKeys(int n) {
  MarkedMap map;
  for (int i = 0; i < n; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "u%04d", i);
    map = map.Set(MakeItem(key, i));
  }
  return map;
}

// Sets every chunk's mark to its position + 1.
void MarkEveryChunk(const MarkedMap& map) {
  int position = 0;
  for (const MarkedMap::Chunk& chunk : map.chunks()) {
    chunk.annex().mark.store(++position);
  }
}

// The chunk of `map` holding `key`, or nullptr.
const MarkedMap::Chunk* ChunkHolding(const MarkedMap& map,
                                     const std::string& key) {
  for (const MarkedMap::Chunk& chunk : map.chunks()) {
    for (const auto& value : chunk) {
      if (value->key == key) {
        return &chunk;
      }
    }
  }
  return nullptr;
}

TEST(PersistentMapChunksTest, EmptyMapHasNoChunks) {
  MarkedMap map;
  EXPECT_TRUE(map.chunks().empty());
  EXPECT_EQ(map.chunks().size(), 0u);
  EXPECT_EQ(map.chunks().begin(), map.chunks().end());
  EXPECT_TRUE(map.Set(MakeItem("a", 1)).Erase("a").chunks().empty());
}

TEST(PersistentMapChunksTest, ChunksHoldTheValuesInIterationOrder) {
  std::mt19937 rng(7);
  MarkedMap map;
  for (int step = 0; step < 3000; ++step) {
    std::string key = "k" + std::to_string(rng() % 700);
    map = rng() % 4 == 0 ? map.Erase(key)
                         : map.Set(MakeItem(key, static_cast<int>(step)));
  }
  ASSERT_GT(map.size(), 100u);
  EXPECT_EQ(map.chunks().size(), map.ChunkCountForTest());
  auto it = map.begin();
  size_t seen = 0;
  for (const MarkedMap::Chunk& chunk : map.chunks()) {
    EXPECT_GE(chunk.size(), 1u);
    EXPECT_LE(chunk.size(), MarkedMap::kMaxChunk);
    EXPECT_EQ(chunk.back(), chunk[chunk.size() - 1]);
    for (const auto& value : chunk) {
      ASSERT_NE(it, map.end());
      EXPECT_EQ(value.get(), it->get());  // the same object, same order
      ++it;
      ++seen;
    }
  }
  EXPECT_EQ(it, map.end());
  EXPECT_EQ(seen, map.size());
}

TEST(PersistentMapChunksTest, SetKeepsTheAnnexOfEveryOtherChunk) {
  const MarkedMap map = MarkedMapWithKeys(1000);
  ASSERT_GT(map.chunks().size(), 10u);
  MarkEveryChunk(map);

  const MarkedMap changed = map.Set(MakeItem("u0500", -1));
  ASSERT_EQ(changed.chunks().size(), map.chunks().size());
  const MarkedMap::Chunk* replaced = ChunkHolding(changed, "u0500");
  ASSERT_NE(replaced, nullptr);
  EXPECT_NE(replaced, ChunkHolding(map, "u0500"));
  EXPECT_EQ(replaced->annex().mark.load(), 0);  // starts empty

  auto old_chunk = map.chunks().begin();
  int position = 0;
  for (const MarkedMap::Chunk& chunk : changed.chunks()) {
    ++position;
    if (&chunk == replaced) {
      // The previous version keeps its own chunk and annex.
      EXPECT_EQ(old_chunk->annex().mark.load(), position);
    } else {
      EXPECT_EQ(&chunk, &*old_chunk) << "chunk " << position;
      EXPECT_EQ(chunk.annex().mark.load(), position) << "chunk " << position;
    }
    ++old_chunk;
  }
}

TEST(PersistentMapChunksTest, SplitAndMergedChunksStartWithEmptyAnnexes) {
  MarkedMap map = MarkedMapWithKeys(64);
  // Fill the chunk holding u0000 up to kMaxChunk so that the next insert
  // there splits it.
  for (int i = 100; ChunkHolding(map, "u0000")->size() < MarkedMap::kMaxChunk;
       ++i) {
    map = map.Set(MakeItem("u0000x" + std::to_string(i), i));
  }
  MarkEveryChunk(map);
  const size_t before = map.chunks().size();
  const MarkedMap split = map.Set(MakeItem("u0000a", 0));
  ASSERT_EQ(split.chunks().size(), before + 1);
  int empty = 0;
  for (const MarkedMap::Chunk& chunk : split.chunks()) {
    empty += chunk.annex().mark.load() == 0 ? 1 : 0;
  }
  EXPECT_EQ(empty, 2);  // the two halves
  EXPECT_EQ(split.ChunkIdentityForTest("u0063"),
            map.ChunkIdentityForTest("u0063"));

  // Erasing down to below kMinChunk merges with the right neighbour: the
  // merged chunk is new, the chunks after it keep their annexes.
  MarkedMap small = MarkedMapWithKeys(200);
  MarkEveryChunk(small);
  const MarkedMap::Chunk* first = &*small.chunks().begin();
  std::vector<std::string> first_keys;
  for (const auto& value : *first) {
    first_keys.push_back(value->key);
  }
  MarkedMap erased = small;
  for (size_t i = 0; i + MarkedMap::kMinChunk - 1 < first_keys.size(); ++i) {
    erased = erased.Erase(first_keys[i]);
  }
  ASSERT_LT(erased.chunks().size(), small.chunks().size());
  EXPECT_EQ(erased.chunks().begin()->annex().mark.load(), 0);
  EXPECT_EQ(erased.ChunkIdentityForTest("u0199"),
            small.ChunkIdentityForTest("u0199"));
  EXPECT_NE(ChunkHolding(erased, "u0199")->annex().mark.load(), 0);
}

TEST(PersistentMapChunksTest, AnnexIsDestroyedWithItsChunk) {
  std::weak_ptr<int> replaced_annex;
  std::weak_ptr<int> shared_annex;
  {
    MarkedMap map = MarkedMapWithKeys(100);
    ChunkHolding(map, "u0000")->annex().owned = std::make_shared<int>(1);
    ChunkHolding(map, "u0099")->annex().owned = std::make_shared<int>(2);
    replaced_annex = ChunkHolding(map, "u0000")->annex().owned;
    shared_annex = ChunkHolding(map, "u0099")->annex().owned;
    MarkedMap changed = map.Set(MakeItem("u0000", -1));
    map = MarkedMap();
    // The old chunk of u0000 went with the only map that held it; the chunk
    // of u0099 is still shared by `changed`.
    EXPECT_TRUE(replaced_annex.expired());
    EXPECT_FALSE(shared_annex.expired());
    EXPECT_EQ(ChunkHolding(changed, "u0099")->annex().owned.get(),
              shared_annex.lock().get());
  }
  EXPECT_TRUE(shared_annex.expired());
}

}  // namespace
}  // namespace internal
}  // namespace engine
}  // namespace conf
