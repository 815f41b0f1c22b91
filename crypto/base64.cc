#include "crypto/base64.h"

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

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

}  // namespace conf::crypto
