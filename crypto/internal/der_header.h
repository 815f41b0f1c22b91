// DER identifier and length octets (X.690 §8.1, §10.1) for an element whose
// content length is known before its content is written. CBB_add_asn1 learns
// a length only when the child is flushed, and moves the child's bytes when
// the length needs more than one octet; an outer structure around kilobytes
// of content then moves them once per level. With the lengths computed
// first, every byte is written once, in order.

#ifndef CONF_CRYPTO_INTERNAL_DER_HEADER_H_
#define CONF_CRYPTO_INTERNAL_DER_HEADER_H_

#include <cstddef>
#include <cstdint>

namespace conf::crypto::internal {

// Identifier octets of the constructed types our writer frames this way
// (low tag numbers: one octet).
inline constexpr uint8_t kDerSequence = 0x30;
inline constexpr uint8_t kDerSet = 0x31;
inline constexpr uint8_t kDerContextConstructed0 = 0xa0;  // [0] EXPLICIT

// The number of octets of `length` in the long form: big-endian, with no
// leading zero octet.
inline int DerLengthOctets(size_t length) {
  int octets = 0;
  for (size_t rest = length; rest != 0; rest >>= 8)
    ++octets;
  return octets;
}

// The size of the identifier and length octets of an element with `length`
// content bytes: the short form below 128, else 0x80 | n and n octets.
inline size_t DerHeaderSize(size_t length) {
  return length < 0x80 ? 2 : 2 + static_cast<size_t>(DerLengthOctets(length));
}

// Writes the identifier octet `tag` and the DER length octets of `length`
// at `out`, DerHeaderSize(length) bytes, and returns the end of what it
// wrote. The caller sized the buffer: no CBB, whose every call would flush.
inline uint8_t* WriteDerHeader(uint8_t* out, uint8_t tag, size_t length) {
  *out++ = tag;
  if (length < 0x80) {
    *out++ = static_cast<uint8_t>(length);
    return out;
  }
  const int octets = DerLengthOctets(length);
  *out++ = static_cast<uint8_t>(0x80 | octets);
  for (int i = octets - 1; i >= 0; --i)
    *out++ = static_cast<uint8_t>(length >> (8 * i));
  return out;
}

}  // namespace conf::crypto::internal

#endif  // CONF_CRYPTO_INTERNAL_DER_HEADER_H_
