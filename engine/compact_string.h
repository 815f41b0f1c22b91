// CompactString: an immutable string in one machine word, for the text fields
// of the conference model.
//
// A conference holds many short, often empty strings per user (display-text,
// media type and label, endpoint session-type, ...). std::string costs 32
// bytes each even when empty; CompactString costs 8:
//
//   rep_ == 0                 empty
//   rep_ & 1 == 1             inline: up to 7 bytes in the word itself; the
//                             lowest byte is (size << 1) | 1, the next seven
//                             hold the bytes (little-endian layout)
//   otherwise                 a pointer to a Block { refs, size, bytes[] }:
//                             either a heap block shared by every copy
//                             (copying bumps a reference count), or a static
//                             block of the protocol vocabulary (below)
//
// Strings of 1 to 7 bytes are always inline and longer ones always in a
// block, so equal short strings have equal words. Longer strings that are
// common protocol values ("audio-video", "main-audio", "connected", ...) are
// not allocated at all: construction finds them in a fixed vocabulary and
// points at its static block. Everything else is allocated once and shared by
// copies, so copying a model object (or keying an index by a model's id) does
// not copy its bytes.
//
// CompactString converts implicitly to absl::string_view, so functions that
// take a string_view (the codec's writers) accept it unchanged. It has no
// implicit conversion to std::string; write std::string(s.view()).
//
// Thread safety: immutable. Distinct CompactString objects may be copied and
// destroyed concurrently even when they share a block (the count is atomic).
// A view (data(), view()) is valid while the CompactString it came from is
// alive and unmodified; for inline strings it points into the object itself,
// so it does not survive a move of that object (as with std::string's short
// strings).
//
// Example:
//   CompactString type = "audio";           // inline, no allocation
//   CompactString label = "main-audio";     // vocabulary, no allocation
//   CompactString uri = std::string(...);   // one shared heap block
//   writer.Attribute("label", label);       // converts to string_view

#ifndef CONF_ENGINE_COMPACT_STRING_H_
#define CONF_ENGINE_COMPACT_STRING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/config.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace engine {

#if !defined(ABSL_IS_LITTLE_ENDIAN)
#error "CompactString's inline form assumes a little-endian layout"
#endif

namespace internal {
// Enables CompactString's mixed comparisons for types that convert to
// absl::string_view (string literals, std::string, string_view).
template <typename T, typename Self>
using EnableIfText =
    std::enable_if_t<!std::is_same<std::decay_t<T>, Self>::value &&
                     std::is_convertible<const T&, absl::string_view>::value>;
}  // namespace internal

class CompactString {
 public:
  // The longest string stored inline (the word minus its tag byte).
  static constexpr size_t kMaxInline = sizeof(uintptr_t) - 1;
  // The longest string a CompactString can hold.
  static constexpr size_t kMaxSize = UINT32_MAX;

  CompactString() = default;
  // Implicit, like std::string's, so that model fields assign from text.
  // A string longer than kMaxSize aborts (the store and the codec cap every
  // field far below it).
  CompactString(absl::string_view s)  // NOLINT(google-explicit-constructor)
      : rep_(Make(s)) {}
  CompactString(const char* s)  // NOLINT(google-explicit-constructor)
      : CompactString(absl::string_view(s)) {}
  CompactString(const std::string& s)  // NOLINT(google-explicit-constructor)
      : CompactString(absl::string_view(s)) {}

  // GCC 12 reports the word of a disengaged std::optional<CompactString> as
  // "maybe uninitialized" when an engaged one is copied or moved under
  // -fsanitize=address (GCC bug 80635); the read only happens when engaged.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  CompactString(const CompactString& other) : rep_(other.rep_) { Ref(); }
  CompactString(CompactString&& other) noexcept : rep_(other.rep_) {
    other.rep_ = 0;
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  CompactString& operator=(const CompactString& other) {
    CompactString copy(other);
    Swap(copy);
    return *this;
  }
  CompactString& operator=(CompactString&& other) noexcept {
    CompactString moved(std::move(other));
    Swap(moved);
    return *this;
  }
  ~CompactString() { Unref(); }

  bool empty() const { return rep_ == 0; }
  size_t size() const {
    if (rep_ == 0) {
      return 0;
    }
    if (IsInline()) {
      return static_cast<size_t>((rep_ & 0xff) >> 1);
    }
    return block()->size;
  }
  size_t length() const { return size(); }
  // Never null; not NUL-terminated.
  const char* data() const {
    if (rep_ == 0) {
      return kEmpty;
    }
    if (IsInline()) {
      return reinterpret_cast<const char*>(&rep_) + 1;
    }
    return block()->bytes();
  }
  absl::string_view view() const { return absl::string_view(data(), size()); }
  operator absl::string_view() const {  // NOLINT(google-explicit-constructor)
    return view();
  }
  explicit operator std::string() const { return std::string(view()); }

  const char* begin() const { return data(); }
  const char* end() const { return data() + size(); }
  char operator[](size_t i) const { return data()[i]; }

  void clear() { *this = CompactString(); }
  void Swap(CompactString& other) noexcept { std::swap(rep_, other.rep_); }
  friend void swap(CompactString& a, CompactString& b) noexcept { a.Swap(b); }

  // Whether this string's bytes live in a heap block shared by copies (not
  // inline, not vocabulary). For tests and memory accounting.
  bool IsHeapAllocatedForTest() const;

  // The block holding this string's bytes, whose first word is the reference
  // count that a copy or destruction updates; nullptr when there is none
  // (empty or inline). For callers that prefetch that line before copying a
  // cold string. A vocabulary block is returned too (it is never updated, so
  // prefetching it costs a read of a static line; telling it apart would
  // read the block). Valid while this string is alive and unmodified.
  const void* block_address() const {
    return rep_ == 0 || IsInline() ? nullptr
                                   : reinterpret_cast<const void*>(rep_);
  }

  friend bool operator==(const CompactString& a, const CompactString& b) {
    return a.rep_ == b.rep_ || a.view() == b.view();
  }
  friend bool operator!=(const CompactString& a, const CompactString& b) {
    return !(a == b);
  }
  friend bool operator<(const CompactString& a, const CompactString& b) {
    return a.view() < b.view();
  }
  friend bool operator>(const CompactString& a, const CompactString& b) {
    return b < a;
  }
  friend bool operator<=(const CompactString& a, const CompactString& b) {
    return !(b < a);
  }
  friend bool operator>=(const CompactString& a, const CompactString& b) {
    return !(a < b);
  }

  // Comparisons with anything that converts to absl::string_view (string
  // literals, std::string, string_view), on either side.
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator==(const CompactString& a, const T& b) {
    return a.view() == absl::string_view(b);
  }
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator==(const T& a, const CompactString& b) {
    return absl::string_view(a) == b.view();
  }
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator!=(const CompactString& a, const T& b) {
    return !(a == b);
  }
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator!=(const T& a, const CompactString& b) {
    return !(a == b);
  }
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator<(const CompactString& a, const T& b) {
    return a.view() < absl::string_view(b);
  }
  template <typename T, typename = internal::EnableIfText<T, CompactString>>
  friend bool operator<(const T& a, const CompactString& b) {
    return absl::string_view(a) < b.view();
  }

  // Hashes as the string_view of the same bytes, so hash containers keyed by
  // CompactString can be probed with a string_view.
  template <typename H>
  friend H AbslHashValue(H h, const CompactString& s) {
    return H::combine(std::move(h), s.view());
  }

 private:
  // The header of an out-of-line string; the bytes follow it.
  struct Block {
    // kStaticRefs for vocabulary blocks, which are never counted or freed.
    std::atomic<uint32_t> refs;
    uint32_t size;

    const char* bytes() const {
      return reinterpret_cast<const char*>(this + 1);
    }
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };
  static constexpr uint32_t kStaticRefs = UINT32_MAX;
  static constexpr char kEmpty[1] = "";

  // The representation of `s`: empty, inline, vocabulary or a new block.
  static uintptr_t Make(absl::string_view s);
  // The static vocabulary block holding `s`, or nullptr.
  static const Block* FindVocabulary(absl::string_view s);
  static void Free(Block* block);

  bool IsInline() const { return (rep_ & 1) != 0; }
  Block* block() const { return reinterpret_cast<Block*>(rep_); }

  void Ref() const {
    if (rep_ == 0 || IsInline()) {
      return;
    }
    Block* b = block();
    if (b->refs.load(std::memory_order_relaxed) != kStaticRefs) {
      b->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void Unref() {
    if (rep_ == 0 || IsInline()) {
      return;
    }
    Block* b = block();
    if (b->refs.load(std::memory_order_relaxed) != kStaticRefs &&
        b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Free(b);
    }
  }

  uintptr_t rep_ = 0;
};

static_assert(sizeof(CompactString) == sizeof(void*),
              "CompactString is one word");

std::ostream& operator<<(std::ostream& os, const CompactString& s);

}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_COMPACT_STRING_H_
