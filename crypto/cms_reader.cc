#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include <openssl/bytestring.h>
#include <openssl/cipher.h>
#include <openssl/mem.h>
#include <openssl/rsa.h>

#include "base/status_macros.h"
#include "crypto/cms_reader.h"
#include "crypto/internal/bssl_status.h"
#include "crypto/internal/cms_oids.h"

namespace conf::crypto {
namespace {

using internal::OidEquals;

// Tracks the start of the input so that errors carry a byte offset.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> der) : der_(der) {}

  absl::Status Fail(absl::string_view what, const CBS& at) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "cms: ", what, " at offset ", CBS_data(&at) - der_.data()));
  }
  absl::Status Unsupported(absl::string_view what, const CBS& at) const {
    return absl::UnimplementedError(absl::StrCat("cms: ", what, " at offset ",
                                                 CBS_data(&at) - der_.data()));
  }

 private:
  absl::Span<const uint8_t> der_;
};

absl::Span<const uint8_t> ToSpan(const CBS& cbs) {
  return absl::MakeConstSpan(CBS_data(&cbs), CBS_len(&cbs));
}

// Reads an INTEGER that must be a small non-negative `expected`.
bool GetVersion(CBS* cbs, uint64_t expected) {
  uint64_t version;
  return CBS_get_asn1_uint64(cbs, &version) && version == expected;
}

// RFC 5652 §6.2.1 KeyTransRecipientInfo, version 0 with
// issuerAndSerialNumber (§10.2.4) and rsaEncryption.
absl::Status ParseKeyTransRecipientInfo(const Reader& reader, CBS* ktri,
                                        ParsedEnvelopedData* out) {
  CBS rid, rid_contents, issuer, serial, algorithm, oid, encrypted_key;
  if (!GetVersion(ktri, 0)) {
    return reader.Fail("recipient info version is not 0", *ktri);
  }
  const CBS rid_start = *ktri;
  if (!CBS_get_asn1_element(ktri, &rid, CBS_ASN1_SEQUENCE)) {
    return reader.Fail("expected issuerAndSerialNumber", rid_start);
  }
  rid_contents = rid;
  CBS rid_inner;
  if (!CBS_get_asn1(&rid_contents, &rid_inner, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&rid_inner, &issuer, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&rid_inner, &serial, CBS_ASN1_INTEGER) ||
      !CBS_is_valid_asn1_integer(&serial, nullptr) ||
      CBS_len(&rid_inner) != 0) {
    return reader.Fail("malformed issuerAndSerialNumber", rid_start);
  }
  const CBS algorithm_start = *ktri;
  if (!CBS_get_asn1(ktri, &algorithm, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&algorithm, &oid, CBS_ASN1_OBJECT)) {
    return reader.Fail("malformed keyEncryptionAlgorithm", algorithm_start);
  }
  if (!OidEquals(oid, internal::kOidRsaEncryption)) {
    return reader.Unsupported("key encryption algorithm is not rsaEncryption",
                              algorithm_start);
  }
  // Parameters: NULL (RFC 3370 §4.2.1); some encoders omit them.
  if (CBS_len(&algorithm) != 0 &&
      (!CBS_get_asn1(&algorithm, nullptr, CBS_ASN1_NULL) ||
       CBS_len(&algorithm) != 0)) {
    return reader.Fail("rsaEncryption parameters are not NULL",
                       algorithm_start);
  }
  const CBS key_start = *ktri;
  if (!CBS_get_asn1(ktri, &encrypted_key, CBS_ASN1_OCTETSTRING) ||
      CBS_len(&encrypted_key) == 0) {
    return reader.Fail("expected encryptedKey", key_start);
  }
  if (CBS_len(ktri) != 0) {
    return reader.Fail("trailing data in recipient info", *ktri);
  }
  out->issuer_and_serial = ToSpan(rid);
  out->issuer = ToSpan(issuer);
  out->serial = ToSpan(serial);
  out->encrypted_key = ToSpan(encrypted_key);
  return absl::OkStatus();
}

// RFC 5652 §6.1 EncryptedContentInfo.
absl::Status ParseEncryptedContentInfo(const Reader& reader, CBS* info,
                                       ParsedEnvelopedData* out) {
  CBS content_type, algorithm, oid, iv;
  if (!CBS_get_asn1(info, &content_type, CBS_ASN1_OBJECT)) {
    return reader.Fail("expected contentType", *info);
  }
  if (!OidEquals(content_type, internal::kOidData)) {
    return reader.Unsupported("encrypted content type is not id-data",
                              content_type);
  }
  const CBS algorithm_start = *info;
  if (!CBS_get_asn1(info, &algorithm, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&algorithm, &oid, CBS_ASN1_OBJECT)) {
    return reader.Fail("malformed contentEncryptionAlgorithm", algorithm_start);
  }
  if (OidEquals(oid, internal::kOidDesEde3Cbc)) {
    out->cipher = Cipher::kDesEde3Cbc;
  } else if (OidEquals(oid, internal::kOidAes128Cbc)) {
    out->cipher = Cipher::kAes128Cbc;
  } else if (OidEquals(oid, internal::kOidAes256Cbc)) {
    out->cipher = Cipher::kAes256Cbc;
  } else {
    return reader.Unsupported("unsupported content encryption algorithm", oid);
  }
  if (!CBS_get_asn1(&algorithm, &iv, CBS_ASN1_OCTETSTRING) ||
      CBS_len(&algorithm) != 0 || CBS_len(&iv) != CipherIvLength(out->cipher)) {
    return reader.Fail("malformed iv", algorithm_start);
  }
  out->iv = ToSpan(iv);
  int present = 0;
  CBS encrypted;
  const CBS content_start = *info;
  if (!CBS_get_optional_asn1(info, &encrypted, &present,
                             CBS_ASN1_CONTEXT_SPECIFIC | 0)) {
    return reader.Fail("malformed encryptedContent", content_start);
  }
  if (CBS_len(info) != 0) {
    return reader.Fail("trailing data in encrypted content info", *info);
  }
  out->content_form =
      present ? EncryptedContentForm::kPresent : EncryptedContentForm::kAbsent;
  if (present) {
    out->encrypted_content = ToSpan(encrypted);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedEnvelopedData> ParseEnvelopedData(
    absl::Span<const uint8_t> der) {
  const Reader reader(der);
  ParsedEnvelopedData out;
  CBS input, content_info, content_type, explicit_content, enveloped,
      recipient_infos, ktri, encrypted_content_info;
  CBS_init(&input, der.data(), der.size());
  // RFC 5652 §3 ContentInfo.
  if (!CBS_get_asn1(&input, &content_info, CBS_ASN1_SEQUENCE)) {
    return reader.Fail("expected ContentInfo sequence", input);
  }
  if (CBS_len(&input) != 0) {
    return reader.Fail("trailing bytes after ContentInfo", input);
  }
  if (!CBS_get_asn1(&content_info, &content_type, CBS_ASN1_OBJECT)) {
    return reader.Fail("expected contentType", content_info);
  }
  if (!OidEquals(content_type, internal::kOidEnvelopedData)) {
    return reader.Unsupported("content type is not id-envelopedData",
                              content_type);
  }
  if (!CBS_get_asn1(&content_info, &explicit_content,
                    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      CBS_len(&content_info) != 0) {
    return reader.Fail("expected [0] content", content_info);
  }
  // RFC 5652 §6.1 EnvelopedData.
  if (!CBS_get_asn1(&explicit_content, &enveloped, CBS_ASN1_SEQUENCE) ||
      CBS_len(&explicit_content) != 0) {
    return reader.Fail("expected EnvelopedData sequence", explicit_content);
  }
  if (!GetVersion(&enveloped, 0)) {
    return reader.Unsupported("enveloped data version is not 0", enveloped);
  }
  if (!CBS_get_asn1(&enveloped, &recipient_infos, CBS_ASN1_SET)) {
    return reader.Fail("expected recipientInfos set", enveloped);
  }
  if (!CBS_get_asn1(&recipient_infos, &ktri, CBS_ASN1_SEQUENCE)) {
    return reader.Unsupported("expected one KeyTransRecipientInfo",
                              recipient_infos);
  }
  if (CBS_len(&recipient_infos) != 0) {
    return reader.Unsupported("more than one recipient", recipient_infos);
  }
  CONF_RETURN_IF_ERROR(ParseKeyTransRecipientInfo(reader, &ktri, &out));
  if (!CBS_get_asn1(&enveloped, &encrypted_content_info, CBS_ASN1_SEQUENCE)) {
    return reader.Fail("expected EncryptedContentInfo", enveloped);
  }
  CONF_RETURN_IF_ERROR(
      ParseEncryptedContentInfo(reader, &encrypted_content_info, &out));
  if (CBS_len(&enveloped) != 0) {
    return reader.Unsupported("unprotectedAttrs", enveloped);
  }
  return out;
}

absl::StatusOr<UnwrappedEnvelope> UnwrapEnvelopedData(
    const ParsedEnvelopedData& parsed, EVP_PKEY* private_key) {
  if (private_key == nullptr || EVP_PKEY_id(private_key) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("cms: private key is not rsa");
  }
  uint8_t cek[512];
  size_t cek_len = sizeof(cek);
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(private_key, nullptr));
  if (ctx == nullptr || !EVP_PKEY_decrypt_init(ctx.get()) ||
      !EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) ||
      static_cast<size_t>(EVP_PKEY_size(private_key)) > sizeof(cek) ||
      !EVP_PKEY_decrypt(ctx.get(), cek, &cek_len, parsed.encrypted_key.data(),
                        parsed.encrypted_key.size())) {
    OPENSSL_cleanse(cek, sizeof(cek));
    return internal::BsslError(absl::StatusCode::kInvalidArgument,
                               "cms: encryptedKey does not decrypt");
  }
  UnwrappedEnvelope result;
  const size_t key_len = CipherKeyLength(parsed.cipher);
  if (cek_len != key_len) {
    OPENSSL_cleanse(cek, sizeof(cek));
    return absl::InvalidArgumentError(
        absl::StrCat("cms: content key of ", cek_len, " bytes, ",
                     CipherName(parsed.cipher), " needs ", key_len));
  }
  absl::StatusOr<ContentKey> key =
      ContentKey::FromBytes(absl::MakeConstSpan(cek, cek_len));
  OPENSSL_cleanse(cek, sizeof(cek));
  if (!key.ok()) {
    return key.status();
  }
  result.key = *std::move(key);
  if (parsed.encrypted_content.empty()) {
    return result;
  }
  const EVP_CIPHER* cipher = nullptr;
  switch (parsed.cipher) {
    case Cipher::kDesEde3Cbc:
      cipher = EVP_des_ede3_cbc();
      break;
    case Cipher::kAes128Cbc:
      cipher = EVP_aes_128_cbc();
      break;
    case Cipher::kAes256Cbc:
      cipher = EVP_aes_256_cbc();
      break;
  }
  bssl::ScopedEVP_CIPHER_CTX cipher_ctx;
  result.content.resize(parsed.encrypted_content.size() + 32);
  uint8_t* buf = reinterpret_cast<uint8_t*>(&result.content[0]);
  int update_len = 0, final_len = 0;
  if (!EVP_DecryptInit_ex(cipher_ctx.get(), cipher, nullptr,
                          result.key.bytes().data(), parsed.iv.data()) ||
      !EVP_DecryptUpdate(cipher_ctx.get(), buf, &update_len,
                         parsed.encrypted_content.data(),
                         static_cast<int>(parsed.encrypted_content.size())) ||
      !EVP_DecryptFinal_ex(cipher_ctx.get(), buf + update_len, &final_len)) {
    OPENSSL_cleanse(buf, result.content.size());
    return internal::BsslError(absl::StatusCode::kInvalidArgument,
                               "cms: content does not decrypt");
  }
  result.content.resize(update_len + final_len);
  return result;
}

absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> ParsePrivateKeyDer(
    absl::Span<const uint8_t> der) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<EVP_PKEY> key(EVP_parse_private_key(&cbs));
  if (key != nullptr && CBS_len(&cbs) == 0) {
    return key;
  }
  internal::ClearBsslErrors();
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<RSA> rsa(RSA_parse_private_key(&cbs));
  key.reset(EVP_PKEY_new());
  if (rsa == nullptr || CBS_len(&cbs) != 0 || key == nullptr ||
      !EVP_PKEY_set1_RSA(key.get(), rsa.get())) {
    return internal::BsslError(absl::StatusCode::kInvalidArgument,
                               "private key: not a pkcs#8 or pkcs#1 der key");
  }
  return key;
}

}  // namespace conf::crypto
