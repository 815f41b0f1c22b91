#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec_key.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/mutex.h"
#include "crypto/internal/test_certificates.h"

namespace conf::crypto::testing {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test_certificates: %s failed\n", what);
    std::abort();
  }
}

std::string PrivateKeyDer(EVP_PKEY* key) {
  bssl::ScopedCBB cbb;
  uint8_t* data = nullptr;
  size_t len = 0;
  Require(CBB_init(cbb.get(), 2048) &&
              EVP_marshal_private_key(cbb.get(), key) &&
              CBB_finish(cbb.get(), &data, &len),
          "EVP_marshal_private_key");
  std::string der(reinterpret_cast<const char*>(data), len);
  OPENSSL_free(data);
  return der;
}

std::unique_ptr<TestIdentity> MakeIdentity(int bits, int64_t serial) {
  auto identity = std::make_unique<TestIdentity>();
  identity->key = GenerateRsaKey(bits, RSA_F4);
  CertificateSpec spec;
  spec.serial = serial;
  spec.common_name = absl::StrCat("confstate test ", bits, " #", serial);
  identity->certificate_der =
      MakeCertificateDer(identity->key.get(), identity->key.get(), spec);
  identity->certificate_base64 = WrappedBase64(identity->certificate_der);
  identity->certificate_pem = ToPem("CERTIFICATE", identity->certificate_der);
  identity->private_key_pem =
      ToPem("PRIVATE KEY", PrivateKeyDer(identity->key.get()));
  return identity;
}

struct IdentityCache {
  conf::Mutex mu;
  std::map<std::pair<int, int>, std::unique_ptr<TestIdentity>> identities
      ABSL_GUARDED_BY(mu);
};

IdentityCache& Cache() {
  static IdentityCache* cache = new IdentityCache();
  return *cache;
}

}  // namespace

const TestIdentity& ExtraRsaIdentity(int bits, int index) {
  IdentityCache& cache = Cache();
  conf::MutexLock lock(&cache.mu);
  std::unique_ptr<TestIdentity>& slot = cache.identities[{bits, index}];
  if (slot == nullptr) {
    slot = MakeIdentity(bits, 1000 + index);
  }
  return *slot;
}

const TestIdentity& RsaIdentity(int bits) { return ExtraRsaIdentity(bits, 0); }

std::string MakeCertificateDer(EVP_PKEY* subject_key, EVP_PKEY* signing_key,
                               const CertificateSpec& spec) {
  bssl::UniquePtr<X509> x509(X509_new());
  bssl::UniquePtr<BIGNUM> serial(BN_new());
  Require(x509 != nullptr && serial != nullptr, "X509_new");
  Require(BN_set_word(serial.get(),
                      static_cast<BN_ULONG>(spec.serial < 0 ? -spec.serial
                                                            : spec.serial)),
          "BN_set_word");
  BN_set_negative(serial.get(), spec.serial < 0);
  bssl::UniquePtr<ASN1_INTEGER> serial_asn1(
      BN_to_ASN1_INTEGER(serial.get(), nullptr));
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  Require(serial_asn1 != nullptr && name != nullptr, "serial/name");
  Require(X509_set_version(x509.get(), X509_VERSION_3) &&
              X509_set_serialNumber(x509.get(), serial_asn1.get()) &&
              X509_NAME_add_entry_by_txt(
                  name.get(), "CN", MBSTRING_UTF8,
                  reinterpret_cast<const uint8_t*>(spec.common_name.data()),
                  static_cast<int>(spec.common_name.size()), -1, 0) &&
              X509_set_issuer_name(x509.get(), name.get()) &&
              X509_set_subject_name(x509.get(), name.get()) &&
              ASN1_TIME_set_string(X509_getm_notBefore(x509.get()),
                                   "260101000000Z") &&
              ASN1_TIME_set_string(X509_getm_notAfter(x509.get()),
                                   "360101000000Z") &&
              X509_set_pubkey(x509.get(), subject_key) &&
              X509_sign(x509.get(), signing_key, EVP_sha256()),
          "building the certificate");
  uint8_t* der = nullptr;
  const int len = i2d_X509(x509.get(), &der);
  Require(len > 0, "i2d_X509");
  std::string result(reinterpret_cast<const char*>(der), len);
  OPENSSL_free(der);
  return result;
}

bssl::UniquePtr<EVP_PKEY> GenerateRsaKey(int bits, uint32_t exponent) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  Require(rsa != nullptr && e != nullptr && key != nullptr &&
              BN_set_word(e.get(), exponent) &&
              RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr) &&
              EVP_PKEY_set1_RSA(key.get(), rsa.get()),
          "RSA key generation");
  return key;
}

bssl::UniquePtr<EVP_PKEY> FakeRsaPublicKey(int bits, uint64_t exponent,
                                           ModulusParity parity) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> n(BN_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  Require(rsa != nullptr && n != nullptr && e != nullptr && key != nullptr &&
              BN_rand(n.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) &&
              (parity == ModulusParity::kOdd || BN_clear_bit(n.get(), 0)) &&
              BN_set_word(e.get(), exponent) &&
              RSA_set0_key(rsa.get(), n.release(), e.release(), nullptr) &&
              EVP_PKEY_set1_RSA(key.get(), rsa.get()),
          "fake RSA key");
  return key;
}

bssl::UniquePtr<EVP_PKEY> GenerateEcKey() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  Require(ec != nullptr && key != nullptr && EC_KEY_generate_key(ec.get()) &&
              EVP_PKEY_set1_EC_KEY(key.get(), ec.get()),
          "EC key generation");
  return key;
}

std::string WrappedBase64(absl::string_view der) {
  const std::string flat = absl::Base64Escape(der);
  std::string out;
  for (size_t i = 0; i < flat.size(); i += 64) {
    absl::StrAppend(&out, flat.substr(i, 64), "\n");
  }
  return out;
}

std::string ToPem(absl::string_view label, absl::string_view der) {
  return absl::StrCat("-----BEGIN ", label, "-----\n", WrappedBase64(der),
                      "-----END ", label, "-----\n");
}

std::string ReadRunfile(absl::string_view path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  Require(srcdir != nullptr && workspace != nullptr, "TEST_SRCDIR");
  const std::string full = absl::StrCat(srcdir, "/", workspace, "/", path);
  std::ifstream in(full, std::ios::binary);
  Require(static_cast<bool>(in), full.c_str());
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

}  // namespace conf::crypto::testing
