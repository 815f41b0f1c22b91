// Key pairs with self-signed X.509 certificates, generated with BoringSSL:
// the identities a load generator or a development client presents in
// getConference (msci:x509-certificate), and the signing primitive tests
// build certificate chains with.
//
// Generating a 2048-bit RSA key takes tens of milliseconds; callers that
// need many identities generate them once, at start.
//
// Thread-safe: every function works on its arguments only.

#ifndef CONF_CRYPTO_SELF_SIGNED_H_
#define CONF_CRYPTO_SELF_SIGNED_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include <openssl/base.h>

namespace conf::crypto {

// What goes into a certificate besides its key.
struct CertificateSpec {
  // A negative value gives a negative serialNumber, as some clients'
  // certificates (the seed's among them) have.
  int64_t serial = 1;
  std::string common_name = "confstate";
};

// A certificate (DER) for `subject_key`, signed with SHA-256 by
// `signing_key` (self-signed when both are the same key), issued by and
// naming `spec.common_name`, valid from 2026-01-01 to 2036-01-01.
// kInternal with BoringSSL's reason if signing fails (for instance, a
// signing key without its private half).
absl::StatusOr<std::string> MakeCertificateDer(EVP_PKEY* subject_key,
                                               EVP_PKEY* signing_key,
                                               const CertificateSpec& spec);

// A new RSA key pair with a `bits`-bit modulus and public exponent
// `exponent`. kInvalidArgument if BoringSSL refuses the size or exponent.
absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> GenerateRsaKey(int bits,
                                                         uint32_t exponent);

// A new RSA key (exponent 65537) and its self-signed certificate.
struct SelfSignedIdentity {
  bssl::UniquePtr<EVP_PKEY> key;
  std::string certificate_der;
};
absl::StatusOr<SelfSignedIdentity> GenerateSelfSignedIdentity(
    int bits, const CertificateSpec& spec);

}  // namespace conf::crypto

#endif  // CONF_CRYPTO_SELF_SIGNED_H_
