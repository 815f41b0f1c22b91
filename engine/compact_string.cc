#include "engine/compact_string.h"

#include <array>
#include <new>
#include <ostream>
#include <vector>

#include "base/check.h"

namespace conf {
namespace engine {
namespace {

// Values longer than CompactString::kMaxInline that recur in most
// conferences: MCU and media types, the seed's media labels, media states
// (PROTOCOL.md §5.3, the seed getConference), video modes, uri purposes.
// Shorter ones ("audio", "video", "chat", "focus") are inline anyway.
constexpr absl::string_view kVocabulary[] = {
    "applicationsharing",
    "attendee",
    "audio-video",
    "connected",
    "connecting",
    "disconnected",
    "dominant-speaker-switched",
    "main-audio",
    "main-video",
    "panoramic-video",
    "phone-conf",
    "presenter",
    "web-external",
    "web-internal",
};

constexpr size_t kMaxVocabularySize = 32;

}  // namespace

// A vocabulary string is found by its size first, then compared.
const CompactString::Block* CompactString::FindVocabulary(absl::string_view s) {
  if (s.size() > kMaxVocabularySize) {
    return nullptr;
  }
  using BySize = std::array<std::vector<const Block*>, kMaxVocabularySize + 1>;
  // Built once and never freed (the blocks are referenced by every
  // CompactString holding a vocabulary value, up to process exit).
  static const BySize* const kBySize = [] {
    auto* by_size = new BySize();
    for (absl::string_view word : kVocabulary) {
      static_assert(alignof(Block) >= 2, "the inline tag needs bit 0 free");
      void* memory = ::operator new(sizeof(Block) + word.size());
      Block* block =
          new (memory) Block{{kStaticRefs}, static_cast<uint32_t>(word.size())};
      std::memcpy(block->bytes(), word.data(), word.size());
      (*by_size)[word.size()].push_back(block);
    }
    return by_size;
  }();
  for (const Block* block : (*kBySize)[s.size()]) {
    if (std::memcmp(block->bytes(), s.data(), s.size()) == 0) {
      return block;
    }
  }
  return nullptr;
}

uintptr_t CompactString::Make(absl::string_view s) {
  if (s.empty()) {
    return 0;
  }
  if (s.size() <= kMaxInline) {
    uintptr_t rep = 0;
    std::memcpy(reinterpret_cast<char*>(&rep) + 1, s.data(), s.size());
    return rep | (static_cast<uintptr_t>(s.size()) << 1) | 1;
  }
  if (const Block* vocabulary = FindVocabulary(s)) {
    return reinterpret_cast<uintptr_t>(vocabulary);
  }
  CONF_CHECK(s.size() <= kMaxSize);
  void* memory = ::operator new(sizeof(Block) + s.size());
  Block* block = new (memory) Block{{1}, static_cast<uint32_t>(s.size())};
  std::memcpy(block->bytes(), s.data(), s.size());
  return reinterpret_cast<uintptr_t>(block);
}

void CompactString::Free(Block* block) {
  block->~Block();
  ::operator delete(block);
}

bool CompactString::IsHeapAllocatedForTest() const {
  return rep_ != 0 && !IsInline() &&
         block()->refs.load(std::memory_order_relaxed) != kStaticRefs;
}

std::ostream& operator<<(std::ostream& os, const CompactString& s) {
  return os << s.view();
}

}  // namespace engine
}  // namespace conf
