// CMS EnvelopedData (RFC 5652) for a C3P client's certificate: certificate
// intake, and wrapping of the conference key or of a payload (the web-join
// URIs of `msci:encrypted-uri`), byte for byte in the shape Microsoft's focus
// emits (PROTOCOL.md §6):
//
//   ContentInfo { envelopedData, [0] EnvelopedData {
//     version 0,
//     SET { KeyTransRecipientInfo { 0, IssuerAndSerialNumber (copied from the
//           certificate), rsaEncryption (PKCS#1 v1.5), encryptedKey } },
//     EncryptedContentInfo { data, { cipher OID, IV }, [0] ciphertext } } }
//
// Three entry points:
//   - WrapConferenceKey: the conference key itself is the content-encryption
//     key (CEK) and the encrypted content is empty (a zero-length [0], as in
//     the seed's `msci:conference-key`). The client recovers the key by
//     RSA-decrypting `encryptedKey`.
//   - WrapContent: a fresh random CEK encrypts the payload (CBC, PKCS#7
//     padding), the standard CMS shape that any CMS implementation opens.
//   - WrapConferenceKeyAndContents: both shapes for one client at the cost of
//     one RSA operation: the payloads are encrypted under the conference key
//     (what the focus sends in getConference).
//
// Every key and IV comes from RAND_bytes; generated DES keys have odd parity.
// Key buffers are wiped with OPENSSL_cleanse; no key or plaintext ever appears
// in a status message.
//
// Thread-safety: a `Recipient` is immutable after parsing and may be used by
// any number of threads at once (each operation makes its own EVP_PKEY_CTX).
// All functions here are thread-safe.
//
// Example:
//   CONF_ASSIGN_OR_RETURN(conf::crypto::Recipient recipient,
//                         conf::crypto::ParseRecipient(certificate_base64));
//   CONF_ASSIGN_OR_RETURN(std::string der,
//                         conf::crypto::WrapConferenceKey(recipient, key));
//   std::string cms_data = conf::crypto::EncodeBase64(der);

#ifndef CONF_CRYPTO_ENVELOPED_DATA_H_
#define CONF_CRYPTO_ENVELOPED_DATA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include <openssl/base.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

// EncodeBase64 (for `msci:cms-data`) is declared there.
#include "crypto/base64.h"

namespace conf::crypto {

// The content-encryption algorithm. des-ede3-cbc is the default because the
// clients that speak C3P expect it (the seed uses it); NIST no longer allows
// 3DES for encryption, so the AES variants (RFC 3565 OIDs) are offered for
// deployments whose clients accept them.
enum class Cipher {
  kDesEde3Cbc,  // 1.2.840.113549.3.7, 24-byte key, 8-byte IV
  kAes128Cbc,   // 2.16.840.1.101.3.4.1.2, 16-byte key, 16-byte IV
  kAes256Cbc,   // 2.16.840.1.101.3.4.1.42, 32-byte key, 16-byte IV
};

// "des-ede3-cbc", "aes-128-cbc" or "aes-256-cbc".
absl::string_view CipherName(Cipher cipher);
// Key length in bytes: 24, 16 or 32.
size_t CipherKeyLength(Cipher cipher);
// IV length in bytes: 8, 16 or 16.
size_t CipherIvLength(Cipher cipher);

// The largest modulus `CertificateLimits::max_modulus_bits` may allow. Each
// RSA public operation at 16384 bits costs about 0.9 ms, a lever for denial of
// service, so larger keys are never accepted.
inline constexpr int kLargestModulusBits = 8192;

// What certificate intake accepts.
struct CertificateLimits {
  // RSA modulus size range, inclusive. The seed's clients use 1024-bit keys.
  // `max_modulus_bits` above kLargestModulusBits is a configuration error.
  int min_modulus_bits = 1024;
  int max_modulus_bits = 4096;
  // Upper bound on the base64 text (whitespace included) and on the DER.
  size_t max_certificate_bytes = 16 * 1024;
};

// A symmetric key of up to 32 bytes that wipes itself (OPENSSL_cleanse) when
// destroyed or moved from. Move-only, so a key is never copied by accident.
class ContentKey {
 public:
  static constexpr size_t kMaxSize = 32;

  ContentKey() = default;
  ContentKey(ContentKey&& other) noexcept;
  ContentKey& operator=(ContentKey&& other) noexcept;
  ContentKey(const ContentKey&) = delete;
  ContentKey& operator=(const ContentKey&) = delete;
  ~ContentKey();

  // Copies `bytes`; returns kInvalidArgument if longer than kMaxSize.
  static absl::StatusOr<ContentKey> FromBytes(absl::Span<const uint8_t> bytes);

  absl::Span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  size_t size() const { return size_; }

 private:
  void Wipe();

  std::array<uint8_t, kMaxSize> bytes_{};
  size_t size_ = 0;
};

// Generates a random key of CipherKeyLength(cipher) bytes from RAND_bytes;
// DES keys get odd parity. Returns kInternal only if BoringSSL's RNG fails.
// This is how the engine makes a conference key (24 bytes, 3DES).
absl::StatusOr<ContentKey> GenerateContentKey(Cipher cipher);

// SHA-256 of a certificate's DER: the recipient's identity in every cache.
using CertificateDigest = std::array<uint8_t, 32>;

// A client certificate accepted by intake: the parsed X509, its RSA public
// key, the pre-encoded IssuerAndSerialNumber (RFC 5652 §10.2.4, the DER of
// the issuer Name and serialNumber copied verbatim from the certificate) and
// the SHA-256 of the certificate DER. Immutable; movable, not copyable.
class Recipient {
 public:
  Recipient(Recipient&&) = default;
  Recipient& operator=(Recipient&&) = default;
  Recipient(const Recipient&) = delete;
  Recipient& operator=(const Recipient&) = delete;
  ~Recipient() = default;

  const CertificateDigest& digest() const { return digest_; }
  int modulus_bits() const { return modulus_bits_; }
  // DER of IssuerAndSerialNumber, ready to be copied into a RecipientInfo.
  absl::Span<const uint8_t> issuer_and_serial() const {
    return issuer_and_serial_;
  }
  const X509* certificate() const { return certificate_.get(); }
  // BoringSSL's EVP_PKEY is safe to share between threads as long as nobody
  // mutates it; it is non-const only because EVP_PKEY_CTX_new takes a
  // non-const pointer (to take a reference).
  EVP_PKEY* public_key() const { return public_key_.get(); }

 private:
  friend absl::StatusOr<Recipient> ParseRecipientDer(
      absl::Span<const uint8_t> der, const CertificateLimits& limits);
  friend absl::StatusOr<Recipient> ParseRecipientDerWithDigest(
      absl::Span<const uint8_t> der, const CertificateLimits& limits,
      const CertificateDigest& digest);

  Recipient() = default;

  bssl::UniquePtr<X509> certificate_;
  bssl::UniquePtr<EVP_PKEY> public_key_;
  std::vector<uint8_t> issuer_and_serial_;
  CertificateDigest digest_{};
  int modulus_bits_ = 0;
};

// Certificate intake for `msci:x509-certificate`: strips ASCII whitespace,
// decodes base64 and calls ParseRecipientDer. Every failure is
// kInvalidArgument with a message starting "certificate: " (the focus answers
// it with the C3P failure reason for an invalid encryption key):
//   "certificate: not base64", "certificate: empty",
//   "certificate: larger than N bytes", and those of ParseRecipientDer.
absl::StatusOr<Recipient> ParseRecipient(absl::string_view certificate_base64,
                                         const CertificateLimits& limits = {});

// The first step of ParseRecipient: strips ASCII whitespace and decodes the
// base64, with the same "certificate: ..." kInvalidArgument errors. The
// recipient pool decodes first to key its lookup by the SHA-256 of the DER.
absl::StatusOr<std::string> DecodeCertificateBase64(
    absl::string_view certificate_base64, const CertificateLimits& limits = {});

// Parses one DER certificate, strictly: the buffer must hold exactly one
// certificate (BoringSSL's d2i_X509 alone would ignore trailing bytes).
// Requires an RSA key with an odd public exponent >= 65537 and a modulus of
// limits.min_modulus_bits..limits.max_modulus_bits bits. kInvalidArgument
// messages, one per defect:
//   "certificate: truncated (...)", "certificate: N trailing bytes ...",
//   "certificate: not a der sequence", "certificate: malformed x.509 ...",
//   "certificate: public key is not rsa (...)", "certificate: rsa public
//   exponent ...", "certificate: rsa modulus is even",
//   "certificate: rsa modulus of N bits below/above ...". An invalid
//   `limits` (empty range, or a maximum over kLargestModulusBits) is
//   kInvalidArgument "certificate limits: ...".
absl::StatusOr<Recipient> ParseRecipientDer(
    absl::Span<const uint8_t> der, const CertificateLimits& limits = {});

// ParseRecipientDer for a caller that has already computed `digest`, the
// SHA-256 of `der` (RecipientPool looks the digest up before parsing), so
// that it is not computed twice. Same results as ParseRecipientDer.
absl::StatusOr<Recipient> ParseRecipientDerWithDigest(
    absl::Span<const uint8_t> der, const CertificateLimits& limits,
    const CertificateDigest& digest);

// Wraps `key` for `recipient` with the key itself as CEK and no encrypted
// content (conference-key mode). Returns the ContentInfo DER. `key` must be
// exactly CipherKeyLength(cipher) bytes: a 24-byte conference key goes with
// kDesEde3Cbc; for AES the engine must generate a 16- or 32-byte key
// (GenerateContentKey(cipher)). A mismatch is kInvalidArgument
// ("conference key: 24 bytes, aes-128-cbc needs 16"); the key is never
// truncated or stretched. DES parity is neither checked nor fixed. BoringSSL
// failures (RNG, RSA) are kInternal.
absl::StatusOr<std::string> WrapConferenceKey(
    const Recipient& recipient, absl::Span<const uint8_t> key,
    Cipher cipher = Cipher::kDesEde3Cbc);

// Encrypts `content` under a fresh random CEK (CBC with PKCS#7 padding) and
// wraps the CEK for `recipient` (content mode). Returns the ContentInfo DER,
// which `openssl cms -decrypt` opens. Content may be empty; contents over
// 1 MiB are kInvalidArgument. BoringSSL failures are kInternal.
absl::StatusOr<std::string> WrapContent(const Recipient& recipient,
                                        absl::string_view content,
                                        Cipher cipher = Cipher::kDesEde3Cbc);

// The conference key and `contents` (the web-join URIs) for one recipient,
// with one RSA operation (docs/CRYPTO.md, "One RSA operation per client").
// Returns 1 + contents.size() ContentInfo DER blobs: [0] is exactly what
// WrapConferenceKey returns; [i + 1] encrypts contents[i] under the
// conference key itself (CBC, PKCS#7 padding, its own random IV) and carries
// the same encryptedKey, so `openssl cms -decrypt` opens it as it opens a
// WrapContent blob. Errors as WrapConferenceKey and WrapContent.
absl::StatusOr<std::vector<std::string>> WrapConferenceKeyAndContents(
    const Recipient& recipient, absl::Span<const uint8_t> key,
    absl::Span<const absl::string_view> contents,
    Cipher cipher = Cipher::kDesEde3Cbc);

// The recipient-independent half of a WrapConferenceKeyAndContents content
// blob: the DER EncryptedContentInfo (RFC 5652 §6.1) of `content` under the
// conference `key` itself (CBC, PKCS#7 padding, a fresh random IV). Every
// member may be sent the same bytes: they all hold `key` (docs/CRYPTO.md,
// "URI ciphertext once per key epoch"). Errors as
// WrapConferenceKeyAndContents.
absl::StatusOr<std::string> EncryptContentUnderKey(
    absl::Span<const uint8_t> key, absl::string_view content,
    Cipher cipher = Cipher::kDesEde3Cbc);

// The recipient-independent half of a WrapConferenceKey blob: the DER
// EncryptedContentInfo (RFC 5652 §6.1) with the cipher's OID, a fresh random
// IV and an empty encryptedContent. Nothing is encrypted under that IV, so
// every member of a key epoch may be sent the same bytes (docs/CRYPTO.md,
// "URI ciphertext once per key epoch"). BoringSSL failures are kInternal.
absl::StatusOr<std::string> KeyContentInfo(Cipher cipher = Cipher::kDesEde3Cbc);

// WrapConferenceKeyAndContents with the recipient-independent halves made
// already: `key_content_info` by KeyContentInfo and `encrypted_contents` by
// EncryptContentUnderKey (same key and cipher). One RSA operation; blob [0]
// carries `key_content_info` and blob [i + 1] `encrypted_contents[i]`
// verbatim after this recipient's KeyTransRecipientInfo. Errors as
// WrapConferenceKey.
absl::StatusOr<std::vector<std::string>> WrapConferenceKeyAndEncryptedContents(
    const Recipient& recipient, absl::Span<const uint8_t> key,
    absl::string_view key_content_info,
    absl::Span<const std::string> encrypted_contents,
    Cipher cipher = Cipher::kDesEde3Cbc);

}  // namespace conf::crypto

#endif  // CONF_CRYPTO_ENVELOPED_DATA_H_
