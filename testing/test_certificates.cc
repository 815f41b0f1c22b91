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
#include "crypto/self_signed.h"
#include "testing/test_certificates.h"

namespace conf::testing {
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
  identity->key = testing::GenerateRsaKey(bits, RSA_F4);
  CertificateSpec spec;
  spec.serial = serial;
  spec.common_name = absl::StrCat("confstate test ", bits, " #", serial);
  identity->certificate_der = testing::MakeCertificateDer(
      identity->key.get(), identity->key.get(), spec);
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
  absl::StatusOr<std::string> der =
      crypto::MakeCertificateDer(subject_key, signing_key, spec);
  Require(der.ok(), "MakeCertificateDer");
  return *std::move(der);
}

bssl::UniquePtr<EVP_PKEY> GenerateRsaKey(int bits, uint32_t exponent) {
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key =
      crypto::GenerateRsaKey(bits, exponent);
  Require(key.ok(), "RSA key generation");
  return *std::move(key);
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

}  // namespace conf::testing
