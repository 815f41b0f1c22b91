#include "codec/xml_writer.h"

#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace conf {
namespace codec {
namespace {

// U+FFFD REPLACEMENT CHARACTER in UTF-8.
constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";

// Bytes the fast path must stop at, as one table: a short value (a name, a
// flag, a count) is scanned byte by byte, one load and test each.
struct AttentionTable {
  bool needs[256];
};

constexpr AttentionTable MakeAttentionTable() {
  AttentionTable t{};
  for (int c = 0; c < 256; ++c) {
    t.needs[c] = c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' ||
                 c == '"' || c == '\'';
  }
  return t;
}

constexpr AttentionTable kAttention = MakeAttentionTable();

inline bool NeedsAttention(unsigned char c) { return kAttention.needs[c]; }

// Length of the well-formed UTF-8 sequence at the start of `s` that encodes
// an XML 1.0 Char (§2.2), or 0 if there is none. `s` starts with a byte
// >= 0x80.
size_t ValidUtf8CharLength(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  auto cont = [&](size_t i) { return i < n && (s[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    const uint32_t cp =
        ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if (cp < 0x800) {
      return 0;  // overlong
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return 0;  // surrogate
    }
    if (cp == 0xFFFE || cp == 0xFFFF) {
      return 0;  // not an XML Char
    }
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    const uint32_t cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
                        ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF) {
      return 0;
    }
    return 4;
  }
  return 0;
}

}  // namespace

namespace internal {

size_t PlainPrefixLength(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i amp = _mm_set1_epi8('&');
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i quot = _mm_set1_epi8('"');
  const __m128i apos = _mm_set1_epi8('\'');
  // Bit k set: byte k of the 16 at `at` needs attention.
  auto hits = [&](const unsigned char* at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    // Signed compare: bytes >= 0x80 are negative, so this catches both
    // control characters and every non-ASCII byte.
    __m128i hit = _mm_cmplt_epi8(v, space);
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, amp));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, lt));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, gt));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quot));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, apos));
    return static_cast<unsigned>(_mm_movemask_epi8(hit));
  };
  for (; i + 16 <= n; i += 16) {
    const unsigned mask = hits(p + i);
    if (mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
  if (i != n && n >= 16) {
    // The last 16 bytes, overlapping the `16 - (n - i)` checked already.
    const unsigned mask = hits(p + n - 16) >> (16 - (n - i));
    return mask != 0 ? i + static_cast<size_t>(__builtin_ctz(mask)) : n;
  }
#else
  // Eight bytes at a time: skip words that are all printable ASCII with none
  // of the five special characters, checked bytewise only on a hit.
  for (; i + 8 <= n; i += 8) {
    bool clean = true;
    for (size_t j = 0; j < 8; ++j)
      clean &= !NeedsAttention(p[i + j]);
    if (!clean)
      break;
  }
#endif
  while (i < n && !NeedsAttention(p[i])) {
    ++i;
  }
  return i;
}

}  // namespace internal

bool IsVerbatimText(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  // Byte by byte: below '(' or at 0x80 and above, or '<' / '>' (the only
  // bytes whose value with bit 1 set is '>').
  auto rejected = [](unsigned char c) {
    return c < 0x28 || c >= 0x80 || (c | 0x02) == '>';
  };
  size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    // Signed compare: bytes >= 0x80 are negative, so one compare catches
    // them with everything below '('.
    const __m128i low = _mm_set1_epi8(0x28);
    const __m128i bit1 = _mm_set1_epi8(0x02);
    const __m128i angle = _mm_set1_epi8('>');
    auto reject = [&](const unsigned char* at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      return _mm_or_si128(_mm_cmplt_epi8(v, low),
                          _mm_cmpeq_epi8(_mm_or_si128(v, bit1), angle));
    };
    __m128i bad = _mm_setzero_si128();
    for (; i + 32 <= n; i += 32) {
      bad = _mm_or_si128(bad, _mm_or_si128(reject(p + i), reject(p + i + 16)));
    }
    if (i + 16 <= n) {
      bad = _mm_or_si128(bad, reject(p + i));
      i += 16;
    }
    if (i < n) {
      // The last 16 bytes, overlapping what was checked already.
      bad = _mm_or_si128(bad, reject(p + n - 16));
    }
    return _mm_movemask_epi8(bad) == 0;
  }
#endif
  bool bad = false;
  for (; i < n; ++i) {
    bad |= rejected(p[i]);
  }
  return !bad;
}

// new char[n] default-initializes: the bytes are left as they are, not
// zero-filled (std::string::resize would write each byte twice).
XmlWriter::XmlWriter(size_t reserve)
    : data_(new char[reserve]), owned_(data_), capacity_(reserve) {}

XmlWriter::XmlWriter(char* scratch, size_t capacity)
    : data_(scratch), capacity_(capacity) {}

void XmlWriter::GrowSlow(size_t n) {
  size_t capacity = capacity_ < 64 ? 64 : capacity_;
  while (capacity - size_ < n) {
    capacity *= 2;
  }
  std::unique_ptr<char[]> bigger(new char[capacity]);
  if (size_ > 0) {
    std::memcpy(bigger.get(), data_, size_);
  }
  owned_ = std::move(bigger);
  data_ = owned_.get();
  capacity_ = capacity;
}

void XmlWriter::StartElement(absl::string_view name) {
  CloseStartTag();
  char* p = Grow(name.size() + 1);
  p[0] = '<';
  std::memcpy(p + 1, name.data(), name.size());
  size_ += name.size() + 1;
  tag_open_ = true;
  open_.push_back(name);
}

void XmlWriter::Attribute(absl::string_view name, absl::string_view value) {
  assert(tag_open_ && "Attribute() outside a start tag");
  char* p = Grow(name.size() + 3);
  p[0] = ' ';
  std::memcpy(p + 1, name.data(), name.size());
  p[name.size() + 1] = '=';
  p[name.size() + 2] = '"';
  size_ += name.size() + 3;
  Escape(value, EscapeMode::kAttribute);
  Put('"');
}

void XmlWriter::Attribute(absl::string_view name, uint64_t value) {
  char digits[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(value, digits);
  Attribute(name, absl::string_view(digits, static_cast<size_t>(end - digits)));
}

void XmlWriter::Text(absl::string_view text) {
  CloseStartTag();
  Escape(text, EscapeMode::kText);
}

void XmlWriter::EndElement() {
  assert(!open_.empty() && "EndElement() without an open element");
  const absl::string_view name = open_.back();
  open_.pop_back();
  if (tag_open_) {
    Put("/>");
    tag_open_ = false;
    return;
  }
  char* p = Grow(name.size() + 3);
  p[0] = '<';
  p[1] = '/';
  std::memcpy(p + 2, name.data(), name.size());
  p[name.size() + 2] = '>';
  size_ += name.size() + 3;
}

void XmlWriter::TextElement(absl::string_view name, absl::string_view text) {
  StartElement(name);
  Text(text);
  EndElement();
}

void XmlWriter::Raw(absl::string_view bytes) {
  CloseStartTag();
  Put(bytes);
}

void XmlWriter::RawAttributes(absl::string_view bytes) {
  assert(tag_open_ && "RawAttributes() outside a start tag");
  Put(bytes);
}

std::string XmlWriter::Finish() && {
  assert(open_.empty() && "Finish() with open elements");
  std::string out(data_, size_);
  size_ = 0;
  tag_open_ = false;
  return out;
}

std::unique_ptr<char[]> XmlWriter::ReleaseBuffer() && {
  assert(open_.empty() && "ReleaseBuffer() with open elements");
  if (owned_ == nullptr) {  // still in the caller's scratch
    owned_.reset(new char[size_ > 0 ? size_ : 1]);
    if (size_ > 0)
      std::memcpy(owned_.get(), data_, size_);
  }
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  tag_open_ = false;
  return std::move(owned_);
}

void XmlWriter::Escape(absl::string_view s, EscapeMode mode) {
  // Most values need no escaping at all: they are copied as they are, and
  // only what they take is reserved.
  size_t plain = internal::PlainPrefixLength(s);
  if (plain == s.size()) {
    Put(s);
    return;
  }
  // Otherwise the worst case per remaining input byte ("&quot;", or the
  // 3-byte replacement for one byte: 6 bytes) is reserved up front, which
  // keeps the loop free of checks.
  char* out = Grow(plain + (s.size() - plain) * 6);
  char* const start = out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  while (true) {
    std::memcpy(out, p, plain);
    out += plain;
    p += plain;
    n -= plain;
    if (n == 0) {
      break;
    }
    const unsigned char c = *p;
    absl::string_view rep;
    size_t consumed = 1;
    switch (c) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\'':
        rep = "&apos;";
        break;
      case '\t':
        rep = mode == EscapeMode::kAttribute ? "&#9;" : "\t";
        break;
      case '\n':
        rep = mode == EscapeMode::kAttribute ? "&#10;" : "\n";
        break;
      case '\r':
        rep = "&#13;";  // XML 1.0 §2.11 would turn a literal CR into LF
        break;
      default:
        if (c < 0x20) {
          rep =
              kReplacement;  // XML 1.0 §2.2: not a Char, not even by reference
        } else {
          const size_t len = ValidUtf8CharLength(p, n);
          if (len == 0) {
            rep = kReplacement;
          } else {
            rep = absl::string_view(reinterpret_cast<const char*>(p), len);
            consumed = len;
          }
        }
        break;
    }
    std::memcpy(out, rep.data(), rep.size());
    out += rep.size();
    p += consumed;
    n -= consumed;
    plain = internal::PlainPrefixLength(
        absl::string_view(reinterpret_cast<const char*>(p), n));
  }
  size_ += static_cast<size_t>(out - start);
}

}  // namespace codec
}  // namespace conf
