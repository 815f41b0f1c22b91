// PersistentMap: an immutable ordered map from a key to a shared, immutable
// value, with structural sharing between versions.
//
// The map is a two-level tree. Values sit in chunks: immutable sorted vectors
// of at most kMaxChunk values held by std::shared_ptr<const T>. Chunks sit in
// branches of at most kMaxBranch chunks, and the root holds the branches:
//
//   root (shared_ptr<const Root>)
//     ├─ branch 0 ─┬─ chunk 0: [v0 v1 ... v31]   <- shared between versions
//     │            ├─ chunk 1: [v32 ... v63]     <- copied when a value changes
//     │            └─ ...
//     └─ branch 1 ─┬─ chunk k: [...]
//                  └─ ...
//
// Insert, replace and erase copy the root (one pointer per branch), one
// branch (at most kMaxBranch pointers) and one chunk (at most kMaxChunk
// pointers); every other branch, chunk and value is shared with the previous
// map. A change to one value in a map of n values therefore copies about
// n / (kMaxChunk * kMaxBranch) + kMaxBranch + kMaxChunk pointers, where a
// single root vector of chunks would copy n / kMaxChunk: 1000 values take 4
// root and about 12 branch pointers instead of about 40. Each copied
// pointer is a reference count taken now and dropped when the old version
// goes, so this is what a change costs beyond its own value. No key is
// copied: the key of a value is read from the value itself through `KeyOf`,
// so a copy is pointer copies only. Values are ordered by the key's
// operator<.
//
// Chunk annex: each chunk also holds an `Annex` (by default nothing),
// constructed empty with the chunk and destroyed with it. It is the place for
// state derived from a chunk's values, such as a set-once cache of something
// computed from them: Set and Erase build only the chunks they change (those
// start with an empty annex) and share every other chunk, annex included,
// with the previous map. Callers reach annexes through chunks(), by const
// reference only, so an annex that is written after construction must be
// thread-safe on its own (e.g. a set-once atomic slot). The map never reads
// it. Branches are not visible to callers: chunks() lists the chunks of every
// branch in key order.
//
// Thread safety: a PersistentMap is a value type; const methods may be called
// concurrently. Copies share structure and are O(1).

#ifndef CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_
#define CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace conf {
namespace engine {
namespace internal {

// The default chunk annex: nothing.
struct NoChunkAnnex {};

// `KeyOf` is a stateless functor: `const Key& operator()(const T&) const`.
// `Annex` is default-constructible; one is built empty with each chunk.
template <typename Key, typename T, typename KeyOf,
          typename Annex = NoChunkAnnex>
class PersistentMap {
 public:
  using ValuePtr = std::shared_ptr<const T>;

  // Chunks split above kMaxChunk values and merge with a neighbour below
  // kMinChunk, so a chunk copy is bounded and chunks do not fragment.
  static constexpr size_t kMaxChunk = 32;
  static constexpr size_t kMinChunk = 8;
  // Branches split above kMaxBranch chunks and merge with a neighbour below
  // kMinBranch. 16 keeps root plus branch short for the rosters a conference
  // holds (up to 10,000 users: about 30 branches of about 12 chunks).
  static constexpr size_t kMaxBranch = 16;
  static constexpr size_t kMinBranch = 4;

  // One immutable chunk: between 1 and kMaxChunk values in key order, and
  // its annex. Lives as long as any map (or caller's reference to a map)
  // that holds it.
  class Chunk {
   public:
    using const_iterator = typename std::vector<ValuePtr>::const_iterator;

    explicit Chunk(std::vector<ValuePtr> values) : values_(std::move(values)) {}
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;

    size_t size() const { return values_.size(); }
    const ValuePtr& operator[](size_t i) const { return values_[i]; }
    const ValuePtr& back() const { return values_.back(); }
    const_iterator begin() const { return values_.begin(); }
    const_iterator end() const { return values_.end(); }

    // This chunk's annex (see the file comment), created empty with it.
    const Annex& annex() const { return annex_; }

   private:
    std::vector<ValuePtr> values_;
    Annex annex_;
  };

 private:
  using Values = std::vector<ValuePtr>;
  using ChunkPtr = std::shared_ptr<const Chunk>;

  // Between 1 and kMaxBranch chunks in key order, inline: a branch is one
  // allocation, and copying it copies `size` pointers.
  struct Branch {
    size_t size = 0;
    ChunkPtr chunks[kMaxBranch];

    const Key& LastKey() const { return KeyOf()(*chunks[size - 1]->back()); }
  };
  using BranchPtr = std::shared_ptr<const Branch>;

  struct Root {
    std::vector<BranchPtr> branches;  // Never empty.
    size_t chunk_count = 0;
  };

  // Where a key is, or would be inserted: branch, chunk within the branch,
  // and position within the chunk.
  struct Position {
    size_t branch = 0;
    size_t chunk = 0;
    size_t index = 0;
    bool found = false;
  };

 public:
  // The chunks of a map in key order, as `const Chunk&`: the values of the
  // n-th chunk follow those of chunk n-1 in the map's iteration order. Valid
  // while the map it came from is alive (copies of the map keep it alive).
  class ChunkRange {
   public:
    class const_iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = Chunk;
      using difference_type = std::ptrdiff_t;
      using pointer = const Chunk*;
      using reference = const Chunk&;

      const_iterator() = default;
      reference operator*() const { return *Get(); }
      pointer operator->() const { return Get(); }
      const_iterator& operator++() {
        if (++chunk_ == root_->branches[branch_]->size) {
          chunk_ = 0;
          ++branch_;
        }
        return *this;
      }
      const_iterator operator++(int) {
        const_iterator old = *this;
        ++*this;
        return old;
      }
      friend bool operator==(const const_iterator& a, const const_iterator& b) {
        return a.branch_ == b.branch_ && a.chunk_ == b.chunk_;
      }
      friend bool operator!=(const const_iterator& a, const const_iterator& b) {
        return !(a == b);
      }

     private:
      friend class ChunkRange;
      const_iterator(const Root* root, size_t branch)
          : root_(root), branch_(branch) {}
      const Chunk* Get() const {
        return root_->branches[branch_]->chunks[chunk_].get();
      }
      const Root* root_ = nullptr;
      size_t branch_ = 0;
      size_t chunk_ = 0;
    };

    size_t size() const { return root_ == nullptr ? 0 : root_->chunk_count; }
    bool empty() const { return size() == 0; }
    const_iterator begin() const {
      return root_ == nullptr ? const_iterator() : const_iterator(root_, 0);
    }
    const_iterator end() const {
      return root_ == nullptr ? const_iterator()
                              : const_iterator(root_, root_->branches.size());
    }

   private:
    friend class PersistentMap;
    explicit ChunkRange(const Root* root) : root_(root) {}
    const Root* root_;
  };

  PersistentMap() = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Returns the value with `key`, or nullptr. O(log n).
  const ValuePtr* FindPtr(const Key& key) const {
    if (root_ == nullptr) {
      return nullptr;
    }
    const Position p = Locate(*root_, key);
    if (!p.found) {
      return nullptr;
    }
    return &(*root_->branches[p.branch]->chunks[p.chunk])[p.index];
  }

  // Returns the value with `key`, or an empty pointer.
  ValuePtr Find(const Key& key) const {
    const ValuePtr* p = FindPtr(key);
    return p == nullptr ? ValuePtr() : *p;
  }

  bool Contains(const Key& key) const { return FindPtr(key) != nullptr; }

  // A present value and where it sits in one map, from FindSlot: Replace
  // takes it to skip Set's search. Valid while that map (or a copy) lives.
  class Slot {
   public:
    const ValuePtr& value() const { return *value_; }

   private:
    friend class PersistentMap;
    Slot(const ValuePtr* value, const Position& position)
        : value_(value), position_(position) {}
    const ValuePtr* value_;
    Position position_;
  };

  // Returns the slot of the value with `key`, or std::nullopt. O(log n).
  std::optional<Slot> FindSlot(const Key& key) const {
    if (root_ == nullptr) {
      return std::nullopt;
    }
    const Position p = Locate(*root_, key);
    if (!p.found) {
      return std::nullopt;
    }
    return Slot(&(*root_->branches[p.branch]->chunks[p.chunk])[p.index], p);
  }

  // Returns a map with the value in `slot` replaced by `value`: the same map
  // as Set(value), without a second search. `slot` comes from FindSlot on
  // this map and `value` has the key of the value there; a slot that does
  // not hold a value with that key in this map (from another map) falls
  // back to Set.
  PersistentMap Replace(const Slot& slot, ValuePtr value) const {
    const Position& p = slot.position_;
    if (root_ == nullptr || p.branch >= root_->branches.size()) {
      return Set(std::move(value));
    }
    const Branch& branch = *root_->branches[p.branch];
    if (p.chunk >= branch.size || p.index >= branch.chunks[p.chunk]->size() ||
        !(KeyOf()(*(*branch.chunks[p.chunk])[p.index]) == KeyOf()(*value))) {
      return Set(std::move(value));
    }
    return SetAt(p, std::move(value));
  }

  // Returns a map with `value` stored under its key, replacing any value with
  // the same key. `value` must not be null.
  PersistentMap Set(ValuePtr value) const {
    PersistentMap out;
    if (root_ == nullptr) {
      auto branch = std::make_shared<Branch>();
      branch->chunks[0] =
          std::make_shared<const Chunk>(Values{std::move(value)});
      branch->size = 1;
      auto root = std::make_shared<Root>();
      root->branches.push_back(std::move(branch));
      root->chunk_count = 1;
      out.root_ = std::move(root);
      out.size_ = 1;
      return out;
    }
    const Position p = Locate(*root_, KeyOf()(*value));
    return SetAt(p, std::move(value));
  }

  // Returns a map without `key` (the same map if `key` is absent).
  PersistentMap Erase(const Key& key) const {
    if (root_ == nullptr) {
      return *this;
    }
    const Position p = Locate(*root_, key);
    if (!p.found) {
      return *this;
    }
    const Branch& branch = *root_->branches[p.branch];
    const Chunk& old_chunk = *branch.chunks[p.chunk];
    const auto pos = old_chunk.begin() + static_cast<std::ptrdiff_t>(p.index);

    Values values;
    values.reserve(old_chunk.size() - 1);
    values.insert(values.end(), old_chunk.begin(), pos);
    values.insert(values.end(), pos + 1, old_chunk.end());

    PersistentMap out;
    out.size_ = size_ - 1;
    if (out.size_ == 0) {
      return out;
    }
    // A chunk left below kMinChunk merges with a neighbour in its branch
    // (the right one first) when the two fit in one chunk, so chunks do not
    // fragment.
    if (values.size() < kMinChunk) {
      const size_t right = p.chunk + 1;
      if (right < branch.size &&
          values.size() + branch.chunks[right]->size() <= kMaxChunk) {
        const Chunk& next = *branch.chunks[right];
        values.insert(values.end(), next.begin(), next.end());
        ChunkPtr merged = std::make_shared<const Chunk>(std::move(values));
        out.root_ = ReplaceChunks(p.branch, p.chunk, 2, &merged, 1);
        return out;
      }
      if (p.chunk > 0 &&
          values.size() + branch.chunks[p.chunk - 1]->size() <= kMaxChunk) {
        const Chunk& previous = *branch.chunks[p.chunk - 1];
        values.insert(values.begin(), previous.begin(), previous.end());
        ChunkPtr merged = std::make_shared<const Chunk>(std::move(values));
        out.root_ = ReplaceChunks(p.branch, p.chunk - 1, 2, &merged, 1);
        return out;
      }
    }
    if (values.empty()) {
      out.root_ = ReplaceChunks(p.branch, p.chunk, 1, nullptr, 0);
    } else {
      ChunkPtr chunk = std::make_shared<const Chunk>(std::move(values));
      out.root_ = ReplaceChunks(p.branch, p.chunk, 1, &chunk, 1);
    }
    return out;
  }

  // Ordered iteration over the values (as `const ValuePtr&`).
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ValuePtr;
    using difference_type = std::ptrdiff_t;
    using pointer = const ValuePtr*;
    using reference = const ValuePtr&;

    const_iterator() = default;
    reference operator*() const { return (*chunk_)[index_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++index_ == chunk_->size()) {
        index_ = 0;
        const Branch& branch = *root_->branches[branch_];
        if (++chunk_index_ == branch.size) {
          chunk_index_ = 0;
          ++branch_;
        }
        chunk_ = branch_ == root_->branches.size()
                     ? nullptr
                     : root_->branches[branch_]->chunks[chunk_index_].get();
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.branch_ == b.branch_ && a.chunk_index_ == b.chunk_index_ &&
             a.index_ == b.index_;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) {
      return !(a == b);
    }

   private:
    friend class PersistentMap;
    const_iterator(const Root* root, size_t branch)
        : root_(root),
          branch_(branch),
          chunk_(branch == root->branches.size()
                     ? nullptr
                     : root->branches[branch]->chunks[0].get()) {}
    const Root* root_ = nullptr;
    size_t branch_ = 0;
    size_t chunk_index_ = 0;
    size_t index_ = 0;
    const Chunk* chunk_ = nullptr;  // Null at the end.
  };

  const_iterator begin() const {
    return root_ == nullptr ? const_iterator() : const_iterator(root_.get(), 0);
  }
  const_iterator end() const {
    return root_ == nullptr
               ? const_iterator()
               : const_iterator(root_.get(), root_->branches.size());
  }

  // The chunks, in key order, with their annexes. O(1).
  ChunkRange chunks() const { return ChunkRange(root_.get()); }

  // True when both maps hold the same structure (cheap identity test).
  bool SharesRootWith(const PersistentMap& other) const {
    return root_ == other.root_;
  }

  // Number of chunks; for tests of the sharing invariants.
  size_t ChunkCountForTest() const {
    return root_ == nullptr ? 0 : root_->chunk_count;
  }
  // Number of branches; for tests of the sharing invariants.
  size_t BranchCountForTest() const {
    return root_ == nullptr ? 0 : root_->branches.size();
  }
  // The chunk that holds `key`, or nullptr; for tests of structural sharing.
  const void* ChunkIdentityForTest(const Key& key) const {
    if (root_ == nullptr) {
      return nullptr;
    }
    const Position p = Locate(*root_, key);
    return p.found ? root_->branches[p.branch]->chunks[p.chunk].get() : nullptr;
  }
  // The branch that holds `key`, or nullptr; for tests of structural sharing.
  const void* BranchIdentityForTest(const Key& key) const {
    if (root_ == nullptr) {
      return nullptr;
    }
    const Position p = Locate(*root_, key);
    return p.found ? root_->branches[p.branch].get() : nullptr;
  }

 private:
  // Where `key` is in `root`, or where it would be inserted: a key above
  // every key goes to the end of the last chunk.
  static Position Locate(const Root& root, const Key& key) {
    Position p;
    const std::vector<BranchPtr>& branches = root.branches;
    p.branch = static_cast<size_t>(
        std::lower_bound(
            branches.begin(), branches.end() - 1, key,
            [](const BranchPtr& b, const Key& k) { return b->LastKey() < k; }) -
        branches.begin());
    const Branch& branch = *branches[p.branch];
    p.chunk = static_cast<size_t>(
        std::lower_bound(branch.chunks, branch.chunks + branch.size - 1, key,
                         [](const ChunkPtr& c, const Key& k) {
                           return KeyOf()(*c->back()) < k;
                         }) -
        branch.chunks);
    const Chunk& chunk = *branch.chunks[p.chunk];
    const auto it = std::lower_bound(
        chunk.begin(), chunk.end(), key,
        [](const ValuePtr& v, const Key& k) { return KeyOf()(*v) < k; });
    p.index = static_cast<size_t>(it - chunk.begin());
    p.found = it != chunk.end() && !(key < KeyOf()(**it));
    return p;
  }

  // Returns a map with chunk `p.chunk` of branch `p.branch` copied with
  // `value` at `p.index` (replacing the value there when `p.found`).
  PersistentMap SetAt(const Position& p, ValuePtr value) const {
    PersistentMap out;
    const Chunk& old_chunk = *root_->branches[p.branch]->chunks[p.chunk];
    const auto pos = old_chunk.begin() + static_cast<std::ptrdiff_t>(p.index);

    Values values;
    values.reserve(old_chunk.size() + (p.found ? 0 : 1));
    values.insert(values.end(), old_chunk.begin(), pos);
    values.push_back(std::move(value));
    values.insert(values.end(), pos + (p.found ? 1 : 0), old_chunk.end());

    if (values.size() > kMaxChunk) {
      const auto half =
          values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
      ChunkPtr halves[2] = {
          std::make_shared<const Chunk>(Values(values.begin(), half)),
          std::make_shared<const Chunk>(Values(half, values.end()))};
      out.root_ = ReplaceChunks(p.branch, p.chunk, 1, halves, 2);
    } else {
      ChunkPtr chunk = std::make_shared<const Chunk>(std::move(values));
      out.root_ = ReplaceChunks(p.branch, p.chunk, 1, &chunk, 1);
    }
    out.size_ = size_ + (p.found ? 0 : 1);
    return out;
  }

  // A root in which chunks [first, first + count) of branch `b` are
  // replaced by `replacement[0, n)`. Only branch `b` is copied (and, when it
  // falls below kMinBranch, its neighbour); every other branch is shared. A
  // branch above kMaxBranch splits in two, and an empty one is dropped.
  // Returns nullptr when no chunk is left.
  std::shared_ptr<const Root> ReplaceChunks(size_t b, size_t first,
                                            size_t count,
                                            const ChunkPtr* replacement,
                                            size_t n) const {
    const std::vector<BranchPtr>& old = root_->branches;
    const Branch& branch = *old[b];
    assert(first + count <= branch.size);
    const size_t new_size = branch.size - count + n;
    if (new_size > 0 && new_size <= kMaxBranch &&
        (new_size >= kMinBranch || old.size() == 1)) {
      // The common case: branch b is copied with the replacement, and the
      // root with the new branch b.
      auto out = std::make_shared<Branch>();
      for (size_t c = 0; c < first; ++c) {
        out->chunks[out->size++] = branch.chunks[c];
      }
      for (size_t c = 0; c < n; ++c) {
        out->chunks[out->size++] = replacement[c];
      }
      for (size_t c = first + count; c < branch.size; ++c) {
        out->chunks[out->size++] = branch.chunks[c];
      }
      auto root = std::make_shared<Root>();
      root->chunk_count = root_->chunk_count - count + n;
      root->branches = old;
      root->branches[b] = std::move(out);
      return root;
    }
    // The new chunks of branch b, and of the neighbour it merges with: at
    // most kMinBranch - 1 + kMaxBranch < 2 * kMaxBranch + 1.
    ChunkPtr chunks[2 * kMaxBranch + 1];
    size_t size = 0;
    size_t from = b;  // The old branches [from, to) are replaced.
    size_t to = b + 1;
    if (new_size > 0 && new_size < kMinBranch && old.size() > 1) {
      // Merge with the right neighbour, or the left one for the last branch.
      if (b + 1 < old.size()) {
        to = b + 2;
      } else {
        from = b - 1;
      }
    }
    for (size_t i = from; i < to; ++i) {
      const Branch& source = *old[i];
      if (i != b) {
        for (size_t c = 0; c < source.size; ++c) {
          chunks[size++] = source.chunks[c];
        }
        continue;
      }
      for (size_t c = 0; c < first; ++c) {
        chunks[size++] = source.chunks[c];
      }
      for (size_t c = 0; c < n; ++c) {
        chunks[size++] = replacement[c];
      }
      for (size_t c = first + count; c < source.size; ++c) {
        chunks[size++] = source.chunks[c];
      }
    }
    const size_t chunk_count = root_->chunk_count - count + n;
    if (chunk_count == 0) {
      return nullptr;
    }
    // One new branch, two when over kMaxBranch, none when empty.
    BranchPtr built[2];
    size_t built_count = 0;
    const size_t parts = size > kMaxBranch ? 2 : (size > 0 ? 1 : 0);
    size_t start = 0;
    for (size_t part = 0; part < parts; ++part) {
      const size_t end = part + 1 == parts ? size : size / 2;
      auto out = std::make_shared<Branch>();
      for (size_t c = start; c < end; ++c) {
        out->chunks[out->size++] = std::move(chunks[c]);
      }
      built[built_count++] = std::move(out);
      start = end;
    }
    auto root = std::make_shared<Root>();
    root->chunk_count = chunk_count;
    root->branches.reserve(old.size() - (to - from) + built_count);
    root->branches.insert(root->branches.end(), old.begin(),
                          old.begin() + static_cast<std::ptrdiff_t>(from));
    for (size_t i = 0; i < built_count; ++i) {
      root->branches.push_back(std::move(built[i]));
    }
    root->branches.insert(root->branches.end(),
                          old.begin() + static_cast<std::ptrdiff_t>(to),
                          old.end());
    return root;
  }

  std::shared_ptr<const Root> root_;
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_
