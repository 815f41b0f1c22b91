// DER contents of the object identifiers that our EnvelopedData uses, and the
// CBB/CBS helpers that write and compare them. Shared by the writer
// (enveloped_data.cc) and the reader (cms_reader.cc).

#ifndef CONF_CRYPTO_INTERNAL_CMS_OIDS_H_
#define CONF_CRYPTO_INTERNAL_CMS_OIDS_H_

#include <cstdint>
#include <cstring>

#include "absl/types/span.h"
#include <openssl/bytestring.h>

namespace conf::crypto::internal {

using Oid = absl::Span<const uint8_t>;

// RFC 5652 §4: id-data 1.2.840.113549.1.7.1.
inline constexpr uint8_t kOidDataBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                            0x0d, 0x01, 0x07, 0x01};
// RFC 5652 §6: id-envelopedData 1.2.840.113549.1.7.3.
inline constexpr uint8_t kOidEnvelopedDataBytes[] = {
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
// RFC 3370 §4.2.1 / RFC 8017: rsaEncryption 1.2.840.113549.1.1.1.
inline constexpr uint8_t kOidRsaEncryptionBytes[] = {
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
// RFC 3370 §5.1: des-ede3-cbc 1.2.840.113549.3.7.
inline constexpr uint8_t kOidDesEde3CbcBytes[] = {0x2a, 0x86, 0x48, 0x86,
                                                  0xf7, 0x0d, 0x03, 0x07};
// RFC 3565 §4.1: id-aes128-CBC 2.16.840.1.101.3.4.1.2.
inline constexpr uint8_t kOidAes128CbcBytes[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                                 0x03, 0x04, 0x01, 0x02};
// RFC 3565 §4.1: id-aes256-CBC 2.16.840.1.101.3.4.1.42.
inline constexpr uint8_t kOidAes256CbcBytes[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                                 0x03, 0x04, 0x01, 0x2a};

inline constexpr Oid kOidData(kOidDataBytes);
inline constexpr Oid kOidEnvelopedData(kOidEnvelopedDataBytes);
inline constexpr Oid kOidRsaEncryption(kOidRsaEncryptionBytes);
inline constexpr Oid kOidDesEde3Cbc(kOidDesEde3CbcBytes);
inline constexpr Oid kOidAes128Cbc(kOidAes128CbcBytes);
inline constexpr Oid kOidAes256Cbc(kOidAes256CbcBytes);

// Writes an OBJECT IDENTIFIER element. Returns 1 on success, 0 on failure
// (BoringSSL convention, so it chains inside CBB `||` sequences).
inline int AddOid(CBB* cbb, Oid oid) {
  CBB child;
  return CBB_add_asn1(cbb, &child, CBS_ASN1_OBJECT) &&
         CBB_add_bytes(&child, oid.data(), oid.size()) && CBB_flush(cbb);
}

// True if `contents` (the contents of an OBJECT IDENTIFIER) equals `oid`.
inline bool OidEquals(const CBS& contents, Oid oid) {
  return CBS_len(&contents) == oid.size() &&
         std::memcmp(CBS_data(&contents), oid.data(), oid.size()) == 0;
}

}  // namespace conf::crypto::internal

#endif  // CONF_CRYPTO_INTERNAL_CMS_OIDS_H_
