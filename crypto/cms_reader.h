// A strict DER reader for the CMS EnvelopedData blobs that enveloped_data.h
// writes and that Microsoft's focus sends (the seed's `msci:cms-data`), and,
// given the recipient's private key, their decryption. It is what tests and
// the command-line tool use to check a blob; the focus itself never decrypts.
//
// Accepted shape (RFC 5652 §§3, 6.1, 6.2.1): ContentInfo(envelopedData) →
// EnvelopedData version 0 without originatorInfo or unprotectedAttrs → exactly
// one KeyTransRecipientInfo version 0 (issuerAndSerialNumber) with
// rsaEncryption → EncryptedContentInfo(data) with des-ede3-cbc, aes-128-cbc or
// aes-256-cbc and encryptedContent absent, empty or present.
//
// Thread-safe: plain functions over caller-owned buffers.
//
// Example:
//   CONF_ASSIGN_OR_RETURN(conf::crypto::ParsedEnvelopedData parsed,
//                         conf::crypto::ParseEnvelopedData(der));
//   CONF_ASSIGN_OR_RETURN(conf::crypto::UnwrappedEnvelope opened,
//                         conf::crypto::UnwrapEnvelopedData(parsed,
//                         key.get()));

#ifndef CONF_CRYPTO_CMS_READER_H_
#define CONF_CRYPTO_CMS_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include <openssl/base.h>
#include <openssl/evp.h>

#include "crypto/enveloped_data.h"

namespace conf::crypto {

// Whether EncryptedContentInfo carries the optional encryptedContent [0].
enum class EncryptedContentForm {
  kAbsent,   // no [0]: detached content
  kPresent,  // a [0], possibly zero-length (the seed's conference-key blob)
};

// The fields of one EnvelopedData. Every span points into the buffer given to
// ParseEnvelopedData and is valid as long as that buffer is.
struct ParsedEnvelopedData {
  // DER of the recipient's IssuerAndSerialNumber SEQUENCE (tag included),
  // comparable with Recipient::issuer_and_serial().
  absl::Span<const uint8_t> issuer_and_serial;
  absl::Span<const uint8_t> issuer;  // DER of the issuer Name
  absl::Span<const uint8_t> serial;  // contents of the serialNumber INTEGER
  absl::Span<const uint8_t> encrypted_key;
  Cipher cipher = Cipher::kDesEde3Cbc;
  absl::Span<const uint8_t> iv;
  EncryptedContentForm content_form = EncryptedContentForm::kAbsent;
  absl::Span<const uint8_t> encrypted_content;
};

// Parses a ContentInfo(EnvelopedData) in DER. The whole buffer must be one
// ContentInfo. Returns kInvalidArgument "cms: <what> at offset N" for
// malformed DER, unexpected versions or structure, and kUnimplemented
// "cms: ..." for well-formed but unsupported algorithms or several recipients.
absl::StatusOr<ParsedEnvelopedData> ParseEnvelopedData(
    absl::Span<const uint8_t> der);

// What a recipient recovers: the content-encryption key (the conference key,
// in conference-key mode) and the decrypted content (empty when the blob has
// no or an empty encryptedContent).
struct UnwrappedEnvelope {
  ContentKey key;
  std::string content;
};

// Decrypts `parsed` with the recipient's RSA `private_key` (PKCS#1 v1.5),
// checks the key length against the cipher and decrypts the content.
// Returns kInvalidArgument "cms: ..." when the key does not decrypt, has the
// wrong length, or the content padding is wrong; messages never include key
// or content bytes.
absl::StatusOr<UnwrappedEnvelope> UnwrapEnvelopedData(
    const ParsedEnvelopedData& parsed, EVP_PKEY* private_key);

// Parses a private key in DER, PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey.
// Returns kInvalidArgument "private key: ..." otherwise.
absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> ParsePrivateKeyDer(
    absl::Span<const uint8_t> der);

}  // namespace conf::crypto

#endif  // CONF_CRYPTO_CMS_READER_H_
