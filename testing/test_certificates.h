// Test-only RSA identities and certificates, generated with BoringSSL at test
// time: no key material is checked in. Keys are cached per process because a
// 4096-bit key takes seconds to generate (longer under sanitizers).
//
// Thread-safe.

#ifndef CONF_TESTING_TEST_CERTIFICATES_H_
#define CONF_TESTING_TEST_CERTIFICATES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include <openssl/base.h>
#include <openssl/evp.h>

#include "crypto/self_signed.h"

namespace conf::testing {

// A key pair with a self-signed certificate.
struct TestIdentity {
  bssl::UniquePtr<EVP_PKEY> key;
  std::string certificate_der;
  std::string certificate_base64;  // wrapped at 64 columns, as clients send
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

// An RSA identity with exponent 65537 and a `bits`-bit modulus, generated on
// first use and kept for the life of the process. Aborts on BoringSSL failure.
const TestIdentity& RsaIdentity(int bits);

// A further, distinct RSA identity of `bits` bits; `index` picks which (the
// same index returns the same identity). For pools of many recipients.
const TestIdentity& ExtraRsaIdentity(int bits, int index);

using ::conf::crypto::CertificateSpec;

// crypto::MakeCertificateDer, aborting on failure.
std::string MakeCertificateDer(EVP_PKEY* subject_key, EVP_PKEY* signing_key,
                               const CertificateSpec& spec = {});

// A real RSA key pair, generated on every call; aborts on failure.
bssl::UniquePtr<EVP_PKEY> GenerateRsaKey(int bits, uint32_t exponent);

// An RSA *public* key with a random odd `bits`-bit modulus (not a product of
// two primes) and exponent `exponent`: enough for intake tests of sizes that
// take minutes to generate for real, such as 16384 bits.
enum class ModulusParity { kOdd, kEven };
bssl::UniquePtr<EVP_PKEY> FakeRsaPublicKey(
    int bits, uint64_t exponent, ModulusParity parity = ModulusParity::kOdd);

// A P-256 key.
bssl::UniquePtr<EVP_PKEY> GenerateEcKey();

// PEM armour around DER: "-----BEGIN <label>-----" + base64 at 64 columns.
std::string ToPem(absl::string_view label, absl::string_view der);

// Base64 wrapped at 64 columns with "\n".
std::string WrappedBase64(absl::string_view der);

// The contents of `path` (relative to the workspace root, e.g.
// "crypto/testdata/seed/conference_key.b64") from the test's runfiles.
// Aborts if the file cannot be read.
std::string ReadRunfile(absl::string_view path);

inline absl::Span<const uint8_t> Bytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

}  // namespace conf::testing

#endif  // CONF_TESTING_TEST_CERTIFICATES_H_
