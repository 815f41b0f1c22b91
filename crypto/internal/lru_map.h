// A bounded map that evicts its least recently used entry: the body of one
// RecipientPool shard. Not thread-safe; the shard's mutex guards it.
//
// Entries live in a std::list (most recent first) indexed by an
// absl::flat_hash_map; `Hash` and `Eq` may be transparent so that lookups
// take a view type without building a Key.

#ifndef CONF_CRYPTO_INTERNAL_LRU_MAP_H_
#define CONF_CRYPTO_INTERNAL_LRU_MAP_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace conf::crypto::internal {

template <typename Key, typename Value, typename Hash, typename Eq>
class LruMap {
 public:
  LruMap() = default;
  LruMap(const LruMap&) = delete;
  LruMap& operator=(const LruMap&) = delete;

  // At least 1. Shrinking takes effect at the next insert.
  void set_capacity(size_t capacity) {
    capacity_ = capacity < 1 ? 1 : capacity;
  }
  size_t size() const { return index_.size(); }
  uint64_t evictions() const { return evictions_; }

  // The value for `key`, marked most recently used, or nullptr.
  template <typename K>
  Value* Find(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Inserts (key, value) unless `key` is present, evicting the least recently
  // used entries beyond capacity. Returns the stored value either way.
  Value* Insert(Key key, Value value) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      entries_.splice(entries_.begin(), entries_, it->second);
      return &it->second->second;
    }
    entries_.emplace_front(key, std::move(value));
    index_.emplace(std::move(key), entries_.begin());
    while (index_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
      ++evictions_;
    }
    return &entries_.front().second;
  }

  // Erases every entry whose key satisfies `pred`; returns how many.
  template <typename Pred>
  size_t EraseIf(Pred pred) {
    size_t erased = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (pred(it->first)) {
        index_.erase(it->first);
        it = entries_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

 private:
  using List = std::list<std::pair<Key, Value>>;

  size_t capacity_ = 1;
  uint64_t evictions_ = 0;
  List entries_;
  absl::flat_hash_map<Key, typename List::iterator, Hash, Eq> index_;
};

}  // namespace conf::crypto::internal

#endif  // CONF_CRYPTO_INTERNAL_LRU_MAP_H_
