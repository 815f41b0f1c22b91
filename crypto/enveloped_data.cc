#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/cipher.h>
#include <openssl/des.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "base/status_macros.h"
#include "crypto/base64.h"
#include "crypto/enveloped_data.h"
#include "crypto/internal/bssl_status.h"
#include "crypto/internal/cms_oids.h"
#include "crypto/internal/der_header.h"

namespace conf::crypto {
namespace {

using internal::BsslError;

constexpr size_t kMaxContentBytes = 1 << 20;

absl::Status CertificateError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("certificate: ", what));
}

const EVP_CIPHER* EvpCipher(Cipher cipher) {
  switch (cipher) {
    case Cipher::kDesEde3Cbc:
      return EVP_des_ede3_cbc();
    case Cipher::kAes128Cbc:
      return EVP_aes_128_cbc();
    case Cipher::kAes256Cbc:
      return EVP_aes_256_cbc();
  }
  return nullptr;
}

internal::Oid CipherOid(Cipher cipher) {
  switch (cipher) {
    case Cipher::kDesEde3Cbc:
      return internal::kOidDesEde3Cbc;
    case Cipher::kAes128Cbc:
      return internal::kOidAes128Cbc;
    case Cipher::kAes256Cbc:
      return internal::kOidAes256Cbc;
  }
  return internal::Oid();
}

// Length of the DER element at the start of `der` according to its header,
// or 0 if the header itself is unreadable. Used only to tell a truncated
// certificate from garbage.
size_t DeclaredElementLength(absl::Span<const uint8_t> der) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  uint8_t tag, first;
  if (!CBS_get_u8(&cbs, &tag) || !CBS_get_u8(&cbs, &first)) {
    return 0;
  }
  if ((first & 0x80) == 0) {
    return 2 + first;
  }
  const size_t num_bytes = first & 0x7f;
  if (num_bytes == 0 || num_bytes > 4) {
    return 0;
  }
  uint64_t length = 0;
  for (size_t i = 0; i < num_bytes; ++i) {
    uint8_t b;
    if (!CBS_get_u8(&cbs, &b)) {
      return 0;
    }
    length = (length << 8) | b;
  }
  return 2 + num_bytes + length;
}

// RFC 5652 §10.2.4 IssuerAndSerialNumber, with the issuer Name and the
// serialNumber INTEGER copied verbatim from the certificate's TBSCertificate
// (RFC 5280 §4.1), so that even a non-minimal or negative serial (the seed's
// clients have one) matches what the client looks for.
bool EncodeIssuerAndSerial(absl::Span<const uint8_t> certificate_der,
                           std::vector<uint8_t>* out) {
  CBS input, certificate, tbs, serial, issuer;
  CBS_init(&input, certificate_der.data(), certificate_der.size());
  bssl::ScopedCBB cbb;
  CBB seq;
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!CBS_get_asn1(&input, &certificate, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&certificate, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_optional_asn1(
          &tbs, nullptr, nullptr,
          CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      !CBS_get_asn1_element(&tbs, &serial, CBS_ASN1_INTEGER) ||
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_SEQUENCE) ||  // signature
      !CBS_get_asn1_element(&tbs, &issuer, CBS_ASN1_SEQUENCE) ||
      !CBB_init(cbb.get(), CBS_len(&issuer) + CBS_len(&serial) + 8) ||
      !CBB_add_asn1(cbb.get(), &seq, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&seq, CBS_data(&issuer), CBS_len(&issuer)) ||
      !CBB_add_bytes(&seq, CBS_data(&serial), CBS_len(&serial)) ||
      !CBB_finish(cbb.get(), &data, &len)) {
    return false;
  }
  bssl::UniquePtr<uint8_t> owned(data);
  out->assign(data, data + len);
  return true;
}

absl::Status CheckRsaKey(const EVP_PKEY& key, const CertificateLimits& limits) {
  const int type = EVP_PKEY_id(&key);
  if (type != EVP_PKEY_RSA) {
    absl::string_view name = "unknown type";
    switch (type) {
      case EVP_PKEY_EC:
        name = "ec";
        break;
      case EVP_PKEY_ED25519:
        name = "ed25519";
        break;
      case EVP_PKEY_DSA:
        name = "dsa";
        break;
      case EVP_PKEY_RSA_PSS:
        name = "rsa-pss";
        break;
      default:
        break;
    }
    return CertificateError(absl::StrCat("public key is not rsa (", name, ")"));
  }
  const RSA* rsa = EVP_PKEY_get0_RSA(&key);
  const BIGNUM* e = RSA_get0_e(rsa);
  if (e == nullptr || !BN_is_odd(e) ||
      (BN_num_bits(e) <= 17 && BN_get_word(e) < RSA_F4)) {
    const unsigned long word = e == nullptr ? 0 : BN_get_word(e);
    return CertificateError(
        absl::StrCat("rsa public exponent ", word,
                     " rejected (must be odd and at least 65537)"));
  }
  // BoringSSL's public operation refuses exponents over 33 bits
  // (kMaxExponentBits); reject them here rather than fail at wrap time.
  if (BN_num_bits(e) > 33) {
    return CertificateError(absl::StrCat("rsa public exponent of ",
                                         BN_num_bits(e),
                                         " bits rejected (at most 33)"));
  }
  // An even modulus is not a product of two odd primes, and Montgomery
  // arithmetic (every RSA operation) needs an odd one.
  if (!BN_is_odd(RSA_get0_n(rsa))) {
    return CertificateError("rsa modulus is even");
  }
  const int bits = static_cast<int>(RSA_bits(rsa));
  if (bits < limits.min_modulus_bits) {
    return CertificateError(absl::StrCat("rsa modulus of ", bits,
                                         " bits below the minimum of ",
                                         limits.min_modulus_bits));
  }
  if (bits > limits.max_modulus_bits) {
    return CertificateError(absl::StrCat("rsa modulus of ", bits,
                                         " bits above the maximum of ",
                                         limits.max_modulus_bits));
  }
  return absl::OkStatus();
}

// RSA-encrypts `cek` for `recipient` with PKCS#1 v1.5 (RFC 3370 §4.2.1):
// the RecipientInfo's encryptedKey, modulus-length bytes.
absl::StatusOr<std::vector<uint8_t>> EncryptKey(const Recipient& recipient,
                                                absl::Span<const uint8_t> cek) {
  EVP_PKEY* public_key = recipient.public_key();
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(public_key, nullptr));
  std::vector<uint8_t> out(EVP_PKEY_size(public_key));
  size_t len = out.size();
  if (ctx == nullptr || !EVP_PKEY_encrypt_init(ctx.get()) ||
      !EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) ||
      !EVP_PKEY_encrypt(ctx.get(), out.data(), &len, cek.data(), cek.size())) {
    return BsslError(absl::StatusCode::kInternal, "rsa encrypt");
  }
  out.resize(len);
  return out;
}

// RFC 5652 §6.2.1 KeyTransRecipientInfo, version 0 (issuerAndSerialNumber),
// keyEncryptionAlgorithm rsaEncryption with NULL parameters (RFC 3370 §4.2.1)
// and the already encrypted key.
absl::Status AddKeyTransRecipientInfo(CBB* out, const Recipient& recipient,
                                      absl::Span<const uint8_t> encrypted_key) {
  CBB ktri, algorithm, null_parameters;
  if (!CBB_add_asn1(out, &ktri, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1_uint64(&ktri, 0) ||
      !CBB_add_bytes(&ktri, recipient.issuer_and_serial().data(),
                     recipient.issuer_and_serial().size()) ||
      !CBB_add_asn1(&ktri, &algorithm, CBS_ASN1_SEQUENCE) ||
      !internal::AddOid(&algorithm, internal::kOidRsaEncryption) ||
      !CBB_add_asn1(&algorithm, &null_parameters, CBS_ASN1_NULL) ||
      !CBB_add_asn1_octet_string(&ktri, encrypted_key.data(),
                                 encrypted_key.size()) ||
      !CBB_flush(out)) {
    return BsslError(absl::StatusCode::kInternal, "cms recipient info");
  }
  return absl::OkStatus();
}

enum class ContentMode { kDetachedEmpty, kEncrypt };

// RFC 5652 §6.1 EncryptedContentInfo: contentType id-data, the
// ContentEncryptionAlgorithmIdentifier with the IV as parameters (RFC 3370
// §5.1 for des-ede3-cbc, RFC 3565 §4.1 for AES-CBC), and encryptedContent
// [0] IMPLICIT OCTET STRING. In kDetachedEmpty mode the [0] is present and
// empty, exactly as in the seed's conference-key blob.
absl::Status AddEncryptedContentInfo(CBB* out, Cipher cipher,
                                     absl::Span<const uint8_t> cek,
                                     absl::string_view content,
                                     ContentMode mode) {
  uint8_t iv[16];
  const size_t iv_len = CipherIvLength(cipher);
  CBB info, algorithm, encrypted;
  if (!RAND_bytes(iv, iv_len) || !CBB_add_asn1(out, &info, CBS_ASN1_SEQUENCE) ||
      !internal::AddOid(&info, internal::kOidData) ||
      !CBB_add_asn1(&info, &algorithm, CBS_ASN1_SEQUENCE) ||
      !internal::AddOid(&algorithm, CipherOid(cipher)) ||
      !CBB_add_asn1_octet_string(&algorithm, iv, iv_len) ||
      !CBB_add_asn1(&info, &encrypted, CBS_ASN1_CONTEXT_SPECIFIC | 0)) {
    return BsslError(absl::StatusCode::kInternal, "cms encrypted content");
  }
  if (mode == ContentMode::kEncrypt) {
    bssl::ScopedEVP_CIPHER_CTX ctx;
    uint8_t* buf = nullptr;
    int update_len = 0, final_len = 0;
    const size_t max_len = content.size() + 16;
    if (!EVP_EncryptInit_ex(ctx.get(), EvpCipher(cipher), nullptr, cek.data(),
                            iv) ||
        !CBB_reserve(&encrypted, &buf, max_len) ||
        !EVP_EncryptUpdate(ctx.get(), buf, &update_len,
                           reinterpret_cast<const uint8_t*>(content.data()),
                           static_cast<int>(content.size())) ||
        !EVP_EncryptFinal_ex(ctx.get(), buf + update_len, &final_len) ||
        !CBB_did_write(&encrypted, update_len + final_len)) {
      return BsslError(absl::StatusCode::kInternal, "cms content encryption");
    }
  }
  if (!CBB_flush(out)) {
    return BsslError(absl::StatusCode::kInternal, "cms encrypted content");
  }
  return absl::OkStatus();
}

// Finishes `cbb` into a string (BoringSSL allocates; the bytes are copied
// once).
absl::StatusOr<std::string> FinishCbb(CBB* cbb, const char* what) {
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!CBB_finish(cbb, &data, &len)) {
    return BsslError(absl::StatusCode::kInternal, what);
  }
  bssl::UniquePtr<uint8_t> owned(data);
  return std::string(reinterpret_cast<const char*>(data), len);
}

// The KeyTransRecipientInfo alone, as DER: the same bytes for every blob
// that carries `encrypted_key`.
absl::StatusOr<std::string> KeyTransRecipientInfoDer(
    const Recipient& recipient, absl::Span<const uint8_t> encrypted_key) {
  bssl::ScopedCBB cbb;
  if (!CBB_init(cbb.get(), 64 + recipient.issuer_and_serial().size() +
                               encrypted_key.size())) {
    return BsslError(absl::StatusCode::kInternal, "cms recipient info");
  }
  CONF_RETURN_IF_ERROR(
      AddKeyTransRecipientInfo(cbb.get(), recipient, encrypted_key));
  return FinishCbb(cbb.get(), "cms recipient info");
}

// The EncryptedContentInfo alone, as DER.
absl::StatusOr<std::string> EncryptedContentInfoDer(
    Cipher cipher, absl::Span<const uint8_t> cek, absl::string_view content,
    ContentMode mode) {
  bssl::ScopedCBB cbb;
  if (!CBB_init(cbb.get(), 64 + content.size())) {
    return BsslError(absl::StatusCode::kInternal, "cms encrypted content");
  }
  CONF_RETURN_IF_ERROR(
      AddEncryptedContentInfo(cbb.get(), cipher, cek, content, mode));
  return FinishCbb(cbb.get(), "cms encrypted content");
}

// RFC 5652 §3 ContentInfo { id-envelopedData, [0] EXPLICIT EnvelopedData },
// and §6.1 EnvelopedData with version 0: no originatorInfo, no
// unprotectedAttrs, the SET of one RecipientInfo `recipient_info` and the
// EncryptedContentInfo `content_info`, both already DER. The lengths are
// known, so the blob is written front to back into a buffer of its exact
// size (internal/der_header.h).
absl::StatusOr<std::string> AssembleEnvelopedData(
    absl::string_view recipient_info, absl::string_view content_info) {
  using internal::DerHeaderSize;
  constexpr size_t kVersionSize = 3;  // INTEGER 0
  const size_t oid_size = 2 + internal::kOidEnvelopedData.size();
  const size_t set_size = recipient_info.size();
  const size_t enveloped_size =
      kVersionSize + DerHeaderSize(set_size) + set_size + content_info.size();
  const size_t explicit_size = DerHeaderSize(enveloped_size) + enveloped_size;
  const size_t outer_size =
      oid_size + DerHeaderSize(explicit_size) + explicit_size;
  std::string blob(DerHeaderSize(outer_size) + outer_size, '\0');
  uint8_t* const begin = reinterpret_cast<uint8_t*>(blob.data());
  uint8_t* p = begin;
  auto append = [&p](absl::Span<const uint8_t> bytes) {
    std::memcpy(p, bytes.data(), bytes.size());
    p += bytes.size();
  };
  auto bytes_of = [](absl::string_view s) {
    return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                               s.size());
  };
  static constexpr uint8_t kVersion0[] = {0x02, 0x01, 0x00};  // INTEGER 0
  static_assert(sizeof(kVersion0) == kVersionSize, "");
  static_assert(sizeof(internal::kOidEnvelopedDataBytes) < 0x80,
                "the OID's length is one octet");
  p = internal::WriteDerHeader(p, internal::kDerSequence, outer_size);
  *p++ = 0x06;  // OBJECT IDENTIFIER
  *p++ = static_cast<uint8_t>(internal::kOidEnvelopedData.size());
  append(internal::kOidEnvelopedData);
  p = internal::WriteDerHeader(p, internal::kDerContextConstructed0,
                               explicit_size);
  p = internal::WriteDerHeader(p, internal::kDerSequence, enveloped_size);
  append(kVersion0);
  p = internal::WriteDerHeader(p, internal::kDerSet, set_size);
  append(bytes_of(recipient_info));
  append(bytes_of(content_info));
  if (p != begin + blob.size()) {
    return absl::InternalError("cms enveloped data: size mismatch");
  }
  return blob;
}

absl::StatusOr<std::string> Seal(const Recipient& recipient, Cipher cipher,
                                 absl::Span<const uint8_t> cek,
                                 absl::Span<const uint8_t> encrypted_key,
                                 absl::string_view content, ContentMode mode) {
  CONF_ASSIGN_OR_RETURN(std::string recipient_info,
                        KeyTransRecipientInfoDer(recipient, encrypted_key));
  CONF_ASSIGN_OR_RETURN(std::string content_info,
                        EncryptedContentInfoDer(cipher, cek, content, mode));
  return AssembleEnvelopedData(recipient_info, content_info);
}

absl::Status CheckConferenceKeyLength(absl::Span<const uint8_t> key,
                                      Cipher cipher) {
  if (key.size() != CipherKeyLength(cipher)) {
    return absl::InvalidArgumentError(
        absl::StrCat("conference key: ", key.size(), " bytes, ",
                     CipherName(cipher), " needs ", CipherKeyLength(cipher)));
  }
  return absl::OkStatus();
}

absl::Status CheckContentLength(absl::string_view content) {
  if (content.size() > kMaxContentBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content: ", content.size(), " bytes, at most ", kMaxContentBytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view CipherName(Cipher cipher) {
  switch (cipher) {
    case Cipher::kDesEde3Cbc:
      return "des-ede3-cbc";
    case Cipher::kAes128Cbc:
      return "aes-128-cbc";
    case Cipher::kAes256Cbc:
      return "aes-256-cbc";
  }
  return "unknown cipher";
}

size_t CipherKeyLength(Cipher cipher) {
  switch (cipher) {
    case Cipher::kDesEde3Cbc:
      return 24;
    case Cipher::kAes128Cbc:
      return 16;
    case Cipher::kAes256Cbc:
      return 32;
  }
  return 0;
}

size_t CipherIvLength(Cipher cipher) {
  switch (cipher) {
    case Cipher::kDesEde3Cbc:
      return 8;
    case Cipher::kAes128Cbc:
    case Cipher::kAes256Cbc:
      return 16;
  }
  return 0;
}

ContentKey::ContentKey(ContentKey&& other) noexcept
    : bytes_(other.bytes_), size_(other.size_) {
  other.Wipe();
}

ContentKey& ContentKey::operator=(ContentKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    size_ = other.size_;
    other.Wipe();
  }
  return *this;
}

ContentKey::~ContentKey() { Wipe(); }

void ContentKey::Wipe() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  size_ = 0;
}

absl::StatusOr<ContentKey> ContentKey::FromBytes(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content key: ", bytes.size(), " bytes, at most ", kMaxSize));
  }
  ContentKey key;
  std::memcpy(key.bytes_.data(), bytes.data(), bytes.size());
  key.size_ = bytes.size();
  return key;
}

absl::StatusOr<ContentKey> GenerateContentKey(Cipher cipher) {
  const size_t len = CipherKeyLength(cipher);
  uint8_t buf[ContentKey::kMaxSize];
  if (!RAND_bytes(buf, len)) {
    OPENSSL_cleanse(buf, sizeof(buf));
    return BsslError(absl::StatusCode::kInternal, "content key generation");
  }
  if (cipher == Cipher::kDesEde3Cbc) {
    // FIPS 46-3: each DES key byte has odd parity; CryptoAPI-style clients
    // expect it.
    for (size_t i = 0; i < len; i += 8) {
      DES_set_odd_parity(reinterpret_cast<DES_cblock*>(buf + i));
    }
  }
  absl::StatusOr<ContentKey> result =
      ContentKey::FromBytes(absl::MakeConstSpan(buf, len));
  OPENSSL_cleanse(buf, sizeof(buf));
  return result;
}

absl::StatusOr<std::string> DecodeCertificateBase64(
    absl::string_view certificate_base64, const CertificateLimits& limits) {
  if (certificate_base64.size() > limits.max_certificate_bytes * 2) {
    return CertificateError(absl::StrCat(
        "larger than ", limits.max_certificate_bytes * 2, " bytes of base64"));
  }
  // Stripped, then decoded in place: one buffer, no byte-at-a-time append.
  std::string der;
  der.resize(certificate_base64.size() + kStripSpaceSlack);
  const size_t chars = StripAsciiSpace(certificate_base64, der.data());
  if (chars == 0) {
    return CertificateError("empty");
  }
  // The standard alphabet and `=` padding (missing padding tolerated, as
  // absl::Base64Unescape does); anything else fails here.
  size_t size = 0;
  if (!DecodeBase64To(absl::string_view(der.data(), chars), der.data(),
                      &size)) {
    return CertificateError("not base64");
  }
  der.resize(size);
  return der;
}

absl::StatusOr<Recipient> ParseRecipient(absl::string_view certificate_base64,
                                         const CertificateLimits& limits) {
  CONF_ASSIGN_OR_RETURN(std::string der,
                        DecodeCertificateBase64(certificate_base64, limits));
  return ParseRecipientDer(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(der.data()),
                          der.size()),
      limits);
}

absl::StatusOr<Recipient> ParseRecipientDer(absl::Span<const uint8_t> der,
                                            const CertificateLimits& limits) {
  CertificateDigest digest;
  SHA256(der.data(), der.size(), digest.data());
  return ParseRecipientDerWithDigest(der, limits, digest);
}

absl::StatusOr<Recipient> ParseRecipientDerWithDigest(
    absl::Span<const uint8_t> der, const CertificateLimits& limits,
    const CertificateDigest& digest) {
  if (limits.max_modulus_bits > kLargestModulusBits ||
      limits.min_modulus_bits > limits.max_modulus_bits) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate limits: modulus range ",
                     limits.min_modulus_bits, "..", limits.max_modulus_bits,
                     " is empty or exceeds ", kLargestModulusBits, " bits"));
  }
  if (der.empty()) {
    return CertificateError("empty");
  }
  if (der.size() > limits.max_certificate_bytes) {
    return CertificateError(
        absl::StrCat("larger than ", limits.max_certificate_bytes, " bytes"));
  }
  // Frame the outer SEQUENCE with CBS first: this is what makes intake
  // strict (d2i_X509 would stop after the certificate and ignore the rest)
  // and what lets us name the defect.
  CBS input, element;
  CBS_init(&input, der.data(), der.size());
  if (!CBS_get_asn1_element(&input, &element, CBS_ASN1_SEQUENCE)) {
    const size_t declared = DeclaredElementLength(der);
    if (der[0] == 0x30 && declared > der.size()) {
      return CertificateError(
          absl::StrCat("truncated (", der.size(), " of ", declared, " bytes)"));
    }
    return CertificateError("not a der sequence");
  }
  if (CBS_len(&input) != 0) {
    return CertificateError(
        absl::StrCat(CBS_len(&input), " trailing bytes after the certificate"));
  }
  Recipient recipient;
  const uint8_t* p = der.data();
  recipient.certificate_.reset(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (recipient.certificate_ == nullptr) {
    return BsslError(absl::StatusCode::kInvalidArgument,
                     "certificate: malformed x.509 structure");
  }
  if (p != der.data() + der.size()) {
    internal::ClearBsslErrors();
    return CertificateError("malformed x.509 structure (length mismatch)");
  }
  recipient.public_key_.reset(X509_get_pubkey(recipient.certificate_.get()));
  if (recipient.public_key_ == nullptr) {
    return BsslError(absl::StatusCode::kInvalidArgument,
                     "certificate: unsupported or malformed public key");
  }
  CONF_RETURN_IF_ERROR(CheckRsaKey(*recipient.public_key_, limits));
  if (!EncodeIssuerAndSerial(der, &recipient.issuer_and_serial_)) {
    internal::ClearBsslErrors();
    return CertificateError("malformed issuer or serial number");
  }
  recipient.modulus_bits_ = static_cast<int>(
      RSA_bits(EVP_PKEY_get0_RSA(recipient.public_key_.get())));
  recipient.digest_ = digest;
  return recipient;
}

absl::StatusOr<std::string> WrapConferenceKey(const Recipient& recipient,
                                              absl::Span<const uint8_t> key,
                                              Cipher cipher) {
  CONF_RETURN_IF_ERROR(CheckConferenceKeyLength(key, cipher));
  CONF_ASSIGN_OR_RETURN(std::vector<uint8_t> encrypted_key,
                        EncryptKey(recipient, key));
  return Seal(recipient, cipher, key, encrypted_key, absl::string_view(),
              ContentMode::kDetachedEmpty);
}

absl::StatusOr<std::string> WrapContent(const Recipient& recipient,
                                        absl::string_view content,
                                        Cipher cipher) {
  CONF_RETURN_IF_ERROR(CheckContentLength(content));
  CONF_ASSIGN_OR_RETURN(ContentKey cek, GenerateContentKey(cipher));
  CONF_ASSIGN_OR_RETURN(std::vector<uint8_t> encrypted_key,
                        EncryptKey(recipient, cek.bytes()));
  return Seal(recipient, cipher, cek.bytes(), encrypted_key, content,
              ContentMode::kEncrypt);
}

absl::StatusOr<std::string> EncryptContentUnderKey(
    absl::Span<const uint8_t> key, absl::string_view content, Cipher cipher) {
  CONF_RETURN_IF_ERROR(CheckConferenceKeyLength(key, cipher));
  CONF_RETURN_IF_ERROR(CheckContentLength(content));
  return EncryptedContentInfoDer(cipher, key, content, ContentMode::kEncrypt);
}

absl::StatusOr<std::string> KeyContentInfo(Cipher cipher) {
  return EncryptedContentInfoDer(cipher, {}, absl::string_view(),
                                 ContentMode::kDetachedEmpty);
}

absl::StatusOr<std::vector<std::string>> WrapConferenceKeyAndEncryptedContents(
    const Recipient& recipient, absl::Span<const uint8_t> key,
    absl::string_view key_content_info,
    absl::Span<const std::string> encrypted_contents, Cipher cipher) {
  CONF_RETURN_IF_ERROR(CheckConferenceKeyLength(key, cipher));
  // The one RSA operation: every blob carries this encryptedKey
  // (docs/CRYPTO.md).
  CONF_ASSIGN_OR_RETURN(std::vector<uint8_t> encrypted_key,
                        EncryptKey(recipient, key));
  CONF_ASSIGN_OR_RETURN(std::string recipient_info,
                        KeyTransRecipientInfoDer(recipient, encrypted_key));
  std::vector<std::string> blobs;
  blobs.reserve(1 + encrypted_contents.size());
  CONF_ASSIGN_OR_RETURN(
      std::string key_blob,
      AssembleEnvelopedData(recipient_info, key_content_info));
  blobs.push_back(std::move(key_blob));
  for (const std::string& content_info : encrypted_contents) {
    // RFC 5652 §6.1: the EncryptedContentInfo follows the recipientInfos.
    CONF_ASSIGN_OR_RETURN(std::string blob,
                          AssembleEnvelopedData(recipient_info, content_info));
    blobs.push_back(std::move(blob));
  }
  return blobs;
}

absl::StatusOr<std::vector<std::string>> WrapConferenceKeyAndContents(
    const Recipient& recipient, absl::Span<const uint8_t> key,
    absl::Span<const absl::string_view> contents, Cipher cipher) {
  CONF_RETURN_IF_ERROR(CheckConferenceKeyLength(key, cipher));
  std::vector<std::string> encrypted;
  encrypted.reserve(contents.size());
  for (absl::string_view content : contents) {
    CONF_ASSIGN_OR_RETURN(std::string info,
                          EncryptContentUnderKey(key, content, cipher));
    encrypted.push_back(std::move(info));
  }
  CONF_ASSIGN_OR_RETURN(std::string key_info, KeyContentInfo(cipher));
  return WrapConferenceKeyAndEncryptedContents(recipient, key, key_info,
                                               encrypted, cipher);
}

}  // namespace conf::crypto
