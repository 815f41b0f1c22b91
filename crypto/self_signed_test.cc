#include "crypto/self_signed.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "testing/status_matchers.h"

namespace conf::crypto {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;

bssl::UniquePtr<X509> Parse(const std::string& der) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, der.size()));
  EXPECT_EQ(p, reinterpret_cast<const uint8_t*>(der.data()) + der.size());
  return x509;
}

TEST(SelfSignedTest, CertificateCarriesTheKeyAndVerifiesWithIt) {
  CertificateSpec spec;
  spec.serial = 42;
  spec.common_name = "load client 7";
  absl::StatusOr<SelfSignedIdentity> identity =
      GenerateSelfSignedIdentity(1024, spec);
  ASSERT_THAT(identity, IsOk());
  bssl::UniquePtr<X509> x509 = Parse(identity->certificate_der);
  ASSERT_NE(x509, nullptr);
  bssl::UniquePtr<EVP_PKEY> public_key(X509_get_pubkey(x509.get()));
  ASSERT_NE(public_key, nullptr);
  EXPECT_EQ(EVP_PKEY_cmp(public_key.get(), identity->key.get()), 1);
  EXPECT_EQ(EVP_PKEY_bits(public_key.get()), 1024);
  EXPECT_EQ(X509_verify(x509.get(), identity->key.get()), 1);
  EXPECT_EQ(ASN1_INTEGER_get(X509_get_serialNumber(x509.get())), 42);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509.get()), NID_commonName,
                            cn, sizeof(cn));
  EXPECT_STREQ(cn, "load client 7");
}

TEST(SelfSignedTest, NegativeSerialIsEncodedNegative) {
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key = GenerateRsaKey(1024, RSA_F4);
  ASSERT_THAT(key, IsOk());
  CertificateSpec spec;
  spec.serial = -7;
  absl::StatusOr<std::string> der =
      MakeCertificateDer(key->get(), key->get(), spec);
  ASSERT_THAT(der, IsOk());
  bssl::UniquePtr<X509> x509 = Parse(*der);
  ASSERT_NE(x509, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(X509_get_serialNumber(x509.get())), -7);
}

TEST(SelfSignedTest, SigningWithAPublicKeyIsAnError) {
  absl::StatusOr<SelfSignedIdentity> identity =
      GenerateSelfSignedIdentity(1024, {});
  ASSERT_THAT(identity, IsOk());
  bssl::UniquePtr<X509> x509 = Parse(identity->certificate_der);
  bssl::UniquePtr<EVP_PKEY> public_only(X509_get_pubkey(x509.get()));
  EXPECT_THAT(MakeCertificateDer(public_only.get(), public_only.get(), {}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(SelfSignedTest, RefusesAKeySizeBoringSslRejects) {
  EXPECT_THAT(GenerateRsaKey(64, RSA_F4),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace conf::crypto
