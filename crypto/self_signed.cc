#include <openssl/base.h>
#if !defined(OPENSSL_IS_BORINGSSL)
#error "confstate builds against BoringSSL only"
#endif

#include <utility>

#include "absl/status/status.h"
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/mem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/internal/bssl_status.h"
#include "crypto/self_signed.h"

namespace conf::crypto {

absl::StatusOr<std::string> MakeCertificateDer(EVP_PKEY* subject_key,
                                               EVP_PKEY* signing_key,
                                               const CertificateSpec& spec) {
  bssl::UniquePtr<X509> x509(X509_new());
  bssl::UniquePtr<BIGNUM> serial(BN_new());
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  const uint64_t magnitude = spec.serial < 0
                                 ? 0 - static_cast<uint64_t>(spec.serial)
                                 : static_cast<uint64_t>(spec.serial);
  if (x509 == nullptr || serial == nullptr || name == nullptr ||
      !BN_set_u64(serial.get(), magnitude)) {
    return internal::BsslError(absl::StatusCode::kInternal,
                               "certificate: allocation");
  }
  BN_set_negative(serial.get(), spec.serial < 0);
  bssl::UniquePtr<ASN1_INTEGER> serial_asn1(
      BN_to_ASN1_INTEGER(serial.get(), nullptr));
  // RFC 5280 §4.1: version, serialNumber, issuer, validity, subject,
  // subjectPublicKeyInfo; then the signature over them.
  if (serial_asn1 == nullptr || !X509_set_version(x509.get(), X509_VERSION_3) ||
      !X509_set_serialNumber(x509.get(), serial_asn1.get()) ||
      !X509_NAME_add_entry_by_txt(
          name.get(), "CN", MBSTRING_UTF8,
          reinterpret_cast<const uint8_t*>(spec.common_name.data()),
          static_cast<int>(spec.common_name.size()), -1, 0) ||
      !X509_set_issuer_name(x509.get(), name.get()) ||
      !X509_set_subject_name(x509.get(), name.get()) ||
      !ASN1_TIME_set_string(X509_getm_notBefore(x509.get()), "260101000000Z") ||
      !ASN1_TIME_set_string(X509_getm_notAfter(x509.get()), "360101000000Z") ||
      !X509_set_pubkey(x509.get(), subject_key) ||
      !X509_sign(x509.get(), signing_key, EVP_sha256())) {
    return internal::BsslError(absl::StatusCode::kInternal,
                               "certificate: signing");
  }
  uint8_t* der = nullptr;
  const int len = i2d_X509(x509.get(), &der);
  if (len <= 0) {
    return internal::BsslError(absl::StatusCode::kInternal,
                               "certificate: encoding");
  }
  bssl::UniquePtr<uint8_t> owned(der);
  return std::string(reinterpret_cast<const char*>(der),
                     static_cast<size_t>(len));
}

absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> GenerateRsaKey(int bits,
                                                         uint32_t exponent) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (rsa == nullptr || e == nullptr || key == nullptr ||
      !BN_set_word(e.get(), exponent) ||
      !RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr) ||
      !EVP_PKEY_set1_RSA(key.get(), rsa.get())) {
    return internal::BsslError(absl::StatusCode::kInvalidArgument,
                               "rsa key generation");
  }
  return key;
}

absl::StatusOr<SelfSignedIdentity> GenerateSelfSignedIdentity(
    int bits, const CertificateSpec& spec) {
  SelfSignedIdentity identity;
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key = GenerateRsaKey(bits, RSA_F4);
  if (!key.ok())
    return key.status();
  identity.key = std::move(*key);
  absl::StatusOr<std::string> der =
      MakeCertificateDer(identity.key.get(), identity.key.get(), spec);
  if (!der.ok())
    return der.status();
  identity.certificate_der = std::move(*der);
  return identity;
}

}  // namespace conf::crypto
