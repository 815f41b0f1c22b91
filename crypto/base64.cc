#include "crypto/base64.h"

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace conf::crypto {
namespace {

// RFC 4648 §4, Table 1.
constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// kPairs[i] holds the two characters of the 12-bit value i, in output order
// (the character of the high six bits first): 8 KiB, built at compile time.
struct PairTable {
  std::array<char, 2 * 4096> chars{};
  constexpr PairTable() {
    for (size_t i = 0; i < 4096; ++i) {
      chars[2 * i] = kAlphabet[i >> 6];
      chars[2 * i + 1] = kAlphabet[i & 63];
    }
  }
};
constexpr PairTable kPairs;

// The eight bytes at `p` as a big-endian number.
inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

inline void PutPair(uint32_t index, char* out) {
  std::memcpy(out, &kPairs.chars[2 * index], 2);
}

// The decoder's tables: kDecode.at[k][c] is the six bits of character c
// placed as the k-th character of a group (bits 23-18, 17-12, 11-6, 5-0),
// or kInvalid for a character outside the alphabet, so that a group is
// four loads and three ORs, and one test finds any bad character.
constexpr uint32_t kInvalid = 0x80000000u;
struct DecodeTables {
  uint32_t at[4][256] = {};
  constexpr DecodeTables() {
    for (int k = 0; k < 4; ++k) {
      for (int c = 0; c < 256; ++c) {
        at[k][c] = kInvalid;
      }
    }
    for (uint32_t v = 0; v < 64; ++v) {
      const auto c = static_cast<unsigned char>(kAlphabet[v]);
      at[0][c] = v << 18;
      at[1][c] = v << 12;
      at[2][c] = v << 6;
      at[3][c] = v;
    }
  }
};
constexpr DecodeTables kDecode;

// The 24 bits of a complete group at `in`, or a value with kInvalid set.
inline uint32_t DecodeGroup(const uint8_t* in) {
  return kDecode.at[0][in[0]] | kDecode.at[1][in[1]] | kDecode.at[2][in[2]] |
         kDecode.at[3][in[3]];
}

// Stores the three bytes of `bits` (a decoded group) at `out`, and one byte
// of garbage after them.
inline void PutGroup(uint32_t bits, char* out) {
  uint32_t v = bits << 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  std::memcpy(out, &v, sizeof(v));
}

// absl::ascii_isspace: space, and TAB through CR.
inline bool IsAsciiSpace(char c) {
  return c == ' ' || static_cast<unsigned char>(c - '\t') <= '\r' - '\t';
}

}  // namespace

size_t EncodeBase64To(absl::string_view bytes, char* out) {
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  char* const start = out;
  // Six bytes (four 12-bit indices, eight characters) per step from one
  // 8-byte big-endian load; the load may not run past the input, so this
  // stops while at least 8 bytes remain.
  while (n >= 8) {
    const uint64_t v = LoadBigEndian64(in);
    PutPair(static_cast<uint32_t>(v >> 52), out);
    PutPair(static_cast<uint32_t>(v >> 40) & 0xFFF, out + 2);
    PutPair(static_cast<uint32_t>(v >> 28) & 0xFFF, out + 4);
    PutPair(static_cast<uint32_t>(v >> 16) & 0xFFF, out + 6);
    in += 6;
    n -= 6;
    out += 8;
  }
  while (n >= 3) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | in[2];
    PutPair(v >> 12, out);
    PutPair(v & 0xFFF, out + 2);
    in += 3;
    n -= 3;
    out += 4;
  }
  // RFC 4648 §4: a final group of one or two bytes is zero-filled and padded
  // with `=` to four characters.
  if (n == 2) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8);
    PutPair(v >> 12, out);
    out[2] = kAlphabet[(v >> 6) & 63];
    out[3] = '=';
    out += 4;
  } else if (n == 1) {
    PutPair(uint32_t{in[0]} << 4, out);
    out[2] = '=';
    out[3] = '=';
    out += 4;
  }
  return static_cast<size_t>(out - start);
}

std::string EncodeBase64(absl::string_view bytes) {
  std::string out;
  const size_t size = Base64EncodedSize(bytes.size());
  if (size == 0) {
    return out;
  }
  // resize() zero-fills once; the encoder then writes every character. A
  // blob is under a few kilobytes, so the fill is noise beside the encoding.
  out.resize(size);
  [[maybe_unused]] const size_t written = EncodeBase64To(bytes, &out[0]);
  assert(written == size);
  return out;
}

size_t StripAsciiSpace(absl::string_view text, char* out) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t len = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i span = _mm_set1_epi8('\r' - '\t');
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // TAB..CR: v - TAB, unsigned, at most CR - TAB (min(t, span) == t).
    const __m128i t = _mm_sub_epi8(v, tab);
    const __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, space),
                                    _mm_cmpeq_epi8(_mm_min_epu8(t, span), t));
    // The block is stored whole; only its bytes before the first white
    // space are kept (the next step starts right after that byte).
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + len), v);
    const int mask = _mm_movemask_epi8(ws);
    if (mask == 0) {
      len += 16;
      i += 16;
      continue;
    }
    const size_t run = static_cast<size_t>(__builtin_ctz(mask));
    len += run;
    i += run + 1;
  }
#endif
  for (; i < n; ++i) {
    out[len] = p[i];
    len += IsAsciiSpace(p[i]) ? 0 : 1;
  }
  return len;
}

bool DecodeBase64To(absl::string_view text, char* out, size_t* size) {
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  size_t n = text.size();
  // Padding completes the final group: one `=` after three characters, two
  // after two. Without it the final group may be two or three characters.
  size_t pad = 0;
  if (n > 0 && in[n - 1] == '=') {
    pad = (n > 1 && in[n - 2] == '=') ? 2 : 1;
    if (n % 4 != 0) {
      return false;
    }
  }
  n -= pad;
  const size_t tail = n % 4;
  if (tail == 1 || (pad != 0 && tail != 4 - pad)) {
    return false;
  }
  char* const start = out;
  const uint8_t* const end = in + (n - tail);
  // Two groups per step, one test for both.
  while (end - in >= 8) {
    const uint32_t a = DecodeGroup(in);
    const uint32_t b = DecodeGroup(in + 4);
    if ((a | b) & kInvalid) {
      return false;
    }
    PutGroup(a, out);
    PutGroup(b, out + 3);
    in += 8;
    out += 6;
  }
  if (in != end) {
    const uint32_t a = DecodeGroup(in);
    if (a & kInvalid) {
      return false;
    }
    PutGroup(a, out);
    in += 4;
    out += 3;
  }
  if (tail != 0) {
    uint32_t bits = kDecode.at[0][in[0]] | kDecode.at[1][in[1]];
    if (tail == 3) {
      bits |= kDecode.at[2][in[2]];
    }
    if (bits & kInvalid) {
      return false;
    }
    out[0] = static_cast<char>(bits >> 16);
    if (tail == 3) {
      out[1] = static_cast<char>(bits >> 8);
    }
    out += tail - 1;
  }
  *size = static_cast<size_t>(out - start);
  return true;
}

}  // namespace conf::crypto
