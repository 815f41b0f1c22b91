// PersistentMap: an immutable ordered map from a key to a shared, immutable
// value, with structural sharing between versions.
//
// The map is a sorted sequence of chunks; each chunk is an immutable sorted
// vector of at most kMaxChunk values held by std::shared_ptr<const T>:
//
//   root (shared_ptr<const Chunks>)
//     ├─ chunk 0: [v0 v1 ... v31]      <- shared between versions
//     ├─ chunk 1: [v32 ... v63]        <- copied when one of its values changes
//     └─ chunk 2: [v64 ...]
//
// Insert, replace and erase copy the root vector (n / kMaxChunk pointers) and
// one chunk (at most kMaxChunk pointers); every other chunk and every value is
// shared with the previous map. No key is copied: the key of a value is read
// from the value itself through `KeyOf`, so a chunk copy is pointer copies
// only. Values are ordered by the key's operator<.
//
// Chunk annex: each chunk also holds an `Annex` (by default nothing),
// constructed empty with the chunk and destroyed with it. It is the place for
// state derived from a chunk's values, such as a set-once cache of something
// computed from them: Set and Erase build only the chunks they change (those
// start with an empty annex) and share every other chunk, annex included,
// with the previous map. Callers reach annexes through chunks(), by const
// reference only, so an annex that is written after construction must be
// thread-safe on its own (e.g. a set-once atomic slot). The map never reads
// it.
//
// Thread safety: a PersistentMap is a value type; const methods may be called
// concurrently. Copies share structure and are O(1).

#ifndef CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_
#define CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
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
  // kMinChunk, so a chunk copy is bounded and the root stays short.
  static constexpr size_t kMaxChunk = 32;
  static constexpr size_t kMinChunk = 8;

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
  using Chunks = std::vector<std::shared_ptr<const Chunk>>;

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
      reference operator*() const { return **it_; }
      pointer operator->() const { return it_->get(); }
      const_iterator& operator++() {
        ++it_;
        return *this;
      }
      const_iterator operator++(int) {
        const_iterator old = *this;
        ++it_;
        return old;
      }
      friend bool operator==(const const_iterator& a, const const_iterator& b) {
        return a.it_ == b.it_;
      }
      friend bool operator!=(const const_iterator& a, const const_iterator& b) {
        return a.it_ != b.it_;
      }

     private:
      friend class ChunkRange;
      explicit const_iterator(typename Chunks::const_iterator it) : it_(it) {}
      typename Chunks::const_iterator it_{};
    };

    size_t size() const { return chunks_ == nullptr ? 0 : chunks_->size(); }
    bool empty() const { return size() == 0; }
    const_iterator begin() const {
      return chunks_ == nullptr ? const_iterator()
                                : const_iterator(chunks_->begin());
    }
    const_iterator end() const {
      return chunks_ == nullptr ? const_iterator()
                                : const_iterator(chunks_->end());
    }

   private:
    friend class PersistentMap;
    explicit ChunkRange(const Chunks* chunks) : chunks_(chunks) {}
    const Chunks* chunks_;
  };

  PersistentMap() = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Returns the value with `key`, or nullptr. O(log n).
  const ValuePtr* FindPtr(const Key& key) const {
    if (root_ == nullptr) {
      return nullptr;
    }
    const Chunks& chunks = *root_;
    size_t c = ChunkFor(chunks, key);
    if (c == chunks.size()) {
      return nullptr;
    }
    const Chunk& chunk = *chunks[c];
    auto it = LowerBound(chunk, key);
    if (it == chunk.end() || KeyOf()(**it) < key || key < KeyOf()(**it)) {
      return nullptr;
    }
    return &*it;
  }

  // Returns the value with `key`, or an empty pointer.
  ValuePtr Find(const Key& key) const {
    const ValuePtr* p = FindPtr(key);
    return p == nullptr ? ValuePtr() : *p;
  }

  bool Contains(const Key& key) const { return FindPtr(key) != nullptr; }

  // Returns a map with `value` stored under its key, replacing any value with
  // the same key. `value` must not be null.
  PersistentMap Set(ValuePtr value) const {
    const Key& key = KeyOf()(*value);
    PersistentMap out;
    if (root_ == nullptr || root_->empty()) {
      auto chunks = std::make_shared<Chunks>();
      chunks->push_back(
          std::make_shared<const Chunk>(Values{std::move(value)}));
      out.root_ = std::move(chunks);
      out.size_ = 1;
      return out;
    }
    const Chunks& old_chunks = *root_;
    size_t c = ChunkFor(old_chunks, key);
    if (c == old_chunks.size()) {
      c = old_chunks.size() - 1;  // Larger than every key: append to the last.
    }
    const Chunk& old_chunk = *old_chunks[c];
    auto pos = LowerBound(old_chunk, key);
    bool replace = pos != old_chunk.end() && !(key < KeyOf()(**pos));

    Values chunk;
    chunk.reserve(old_chunk.size() + (replace ? 0 : 1));
    chunk.insert(chunk.end(), old_chunk.begin(), pos);
    chunk.push_back(std::move(value));
    chunk.insert(chunk.end(), pos + (replace ? 1 : 0), old_chunk.end());

    auto chunks = std::make_shared<Chunks>();
    if (chunk.size() > kMaxChunk) {
      chunks->reserve(old_chunks.size() + 1);
      chunks->insert(chunks->end(), old_chunks.begin(), old_chunks.begin() + c);
      size_t half = chunk.size() / 2;
      chunks->push_back(std::make_shared<const Chunk>(
          Values(chunk.begin(), chunk.begin() + half)));
      chunks->push_back(std::make_shared<const Chunk>(
          Values(chunk.begin() + half, chunk.end())));
      chunks->insert(chunks->end(), old_chunks.begin() + c + 1,
                     old_chunks.end());
    } else {
      chunks->reserve(old_chunks.size());
      *chunks = old_chunks;
      (*chunks)[c] = std::make_shared<const Chunk>(std::move(chunk));
    }
    out.root_ = std::move(chunks);
    out.size_ = size_ + (replace ? 0 : 1);
    return out;
  }

  // Returns a map without `key` (the same map if `key` is absent).
  PersistentMap Erase(const Key& key) const {
    if (!Contains(key)) {
      return *this;
    }
    const Chunks& old_chunks = *root_;
    size_t c = ChunkFor(old_chunks, key);
    const Chunk& old_chunk = *old_chunks[c];
    auto pos = LowerBound(old_chunk, key);

    Values chunk;
    chunk.reserve(old_chunk.size());
    chunk.insert(chunk.end(), old_chunk.begin(), pos);
    chunk.insert(chunk.end(), pos + 1, old_chunk.end());

    auto chunks = std::make_shared<Chunks>();
    chunks->reserve(old_chunks.size());
    chunks->insert(chunks->end(), old_chunks.begin(), old_chunks.begin() + c);
    size_t next = c + 1;
    if (chunk.size() < kMinChunk && next < old_chunks.size() &&
        chunk.size() + old_chunks[next]->size() <= kMaxChunk) {
      // Merge with the right neighbour so chunks do not fragment.
      chunk.insert(chunk.end(), old_chunks[next]->begin(),
                   old_chunks[next]->end());
      ++next;
    }
    if (!chunk.empty()) {
      chunks->push_back(std::make_shared<const Chunk>(std::move(chunk)));
    }
    chunks->insert(chunks->end(), old_chunks.begin() + next, old_chunks.end());
    PersistentMap out;
    if (!chunks->empty()) {
      out.root_ = std::move(chunks);
    }
    out.size_ = size_ - 1;
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
    reference operator*() const { return (*(*chunks_)[chunk_])[index_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++index_ == (*chunks_)[chunk_]->size()) {
        index_ = 0;
        ++chunk_;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.index_ == b.index_;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) {
      return !(a == b);
    }

   private:
    friend class PersistentMap;
    const_iterator(const Chunks* chunks, size_t chunk)
        : chunks_(chunks), chunk_(chunk) {}
    const Chunks* chunks_ = nullptr;
    size_t chunk_ = 0;
    size_t index_ = 0;
  };

  const_iterator begin() const {
    return root_ == nullptr ? const_iterator() : const_iterator(root_.get(), 0);
  }
  const_iterator end() const {
    return root_ == nullptr ? const_iterator()
                            : const_iterator(root_.get(), root_->size());
  }

  // The chunks, in key order, with their annexes. O(1).
  ChunkRange chunks() const { return ChunkRange(root_.get()); }

  // True when both maps hold the same structure (cheap identity test).
  bool SharesRootWith(const PersistentMap& other) const {
    return root_ == other.root_;
  }

  // Number of chunks; for tests of the sharing invariants.
  size_t ChunkCountForTest() const {
    return root_ == nullptr ? 0 : root_->size();
  }
  // The chunk that holds `key`, or nullptr; for tests of structural sharing.
  const void* ChunkIdentityForTest(const Key& key) const {
    if (root_ == nullptr) {
      return nullptr;
    }
    size_t c = ChunkFor(*root_, key);
    return c == root_->size() ? nullptr : (*root_)[c].get();
  }

 private:
  static typename Chunk::const_iterator LowerBound(const Chunk& chunk,
                                                   const Key& key) {
    return std::lower_bound(
        chunk.begin(), chunk.end(), key,
        [](const ValuePtr& v, const Key& k) { return KeyOf()(*v) < k; });
  }

  // Index of the first chunk whose last key is >= key; chunks.size() if none.
  static size_t ChunkFor(const Chunks& chunks, const Key& key) {
    auto it =
        std::lower_bound(chunks.begin(), chunks.end(), key,
                         [](const std::shared_ptr<const Chunk>& c,
                            const Key& k) { return KeyOf()(*c->back()) < k; });
    return static_cast<size_t>(it - chunks.begin());
  }

  std::shared_ptr<const Chunks> root_;
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_PERSISTENT_MAP_H_
