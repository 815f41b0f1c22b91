#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/rsa.h>

#include "crypto/cms_reader.h"
#include "crypto/enveloped_data.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"

namespace conf::crypto {
namespace {

using ::conf::testing::Bytes;
using ::conf::testing::IsOk;
using ::conf::testing::RsaIdentity;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

constexpr Cipher kCiphers[] = {Cipher::kDesEde3Cbc, Cipher::kAes128Cbc,
                               Cipher::kAes256Cbc};

std::vector<uint8_t> KeyOfLength(size_t n, uint8_t seed) {
  std::vector<uint8_t> key(n);
  for (size_t i = 0; i < n; ++i) {
    key[i] = static_cast<uint8_t>(seed + 37 * i);
  }
  return key;
}

bool HasOddParity(uint8_t b) {
  int ones = 0;
  for (int i = 0; i < 8; ++i) {
    ones += (b >> i) & 1;
  }
  return ones % 2 == 1;
}

TEST(ParseRecipientTest, AcceptsBase64WithLineBreaks) {
  const auto& identity = RsaIdentity(1024);
  ASSERT_NE(identity.certificate_base64.find('\n'), std::string::npos);
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(absl::StrCat("  ", identity.certificate_base64, "\r\n"));
  ASSERT_THAT(recipient.status(), IsOk());
  EXPECT_EQ(recipient->modulus_bits(), 1024);
  EXPECT_NE(recipient->certificate(), nullptr);
  EXPECT_NE(recipient->public_key(), nullptr);
}

// Text with white space is copied without it; text without is decoded where
// it is. Both give the certificate's DER.
TEST(DecodeCertificateBase64Test, SameDerWithAndWithoutWhiteSpace) {
  const auto& identity = RsaIdentity(1024);
  const std::string flat = absl::Base64Escape(identity.certificate_der);
  absl::StatusOr<std::string> from_flat = DecodeCertificateBase64(flat);
  ASSERT_THAT(from_flat.status(), IsOk());
  EXPECT_EQ(*from_flat, identity.certificate_der);
  absl::StatusOr<std::string> from_wrapped = DecodeCertificateBase64(
      absl::StrCat("\t ", identity.certificate_base64, "\r\n "));
  ASSERT_THAT(from_wrapped.status(), IsOk());
  EXPECT_EQ(*from_wrapped, identity.certificate_der);
  EXPECT_THAT(
      DecodeCertificateBase64(flat.substr(0, 4) + "*" + flat).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, "certificate: not base64"));
}

TEST(ParseRecipientTest, DigestIsSha256OfTheDer) {
  const auto& identity = RsaIdentity(1024);
  absl::StatusOr<Recipient> a = ParseRecipient(identity.certificate_base64);
  absl::StatusOr<Recipient> b =
      ParseRecipientDer(Bytes(identity.certificate_der));
  absl::StatusOr<Recipient> other =
      ParseRecipient(RsaIdentity(2048).certificate_base64);
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_THAT(other.status(), IsOk());
  EXPECT_EQ(a->digest(), b->digest());
  EXPECT_NE(a->digest(), other->digest());
}

TEST(ParseRecipientTest, CopiesNegativeSerialVerbatim) {
  // The seed's clients have a certificate whose serial's top bit is set and
  // that is encoded as a negative INTEGER; the RecipientInfo must carry it
  // byte for byte.
  bssl::UniquePtr<EVP_PKEY> key = testing::GenerateRsaKey(1024, RSA_F4);
  testing::CertificateSpec spec;
  spec.serial = -0x699A183A86ABE66F;
  const std::string der =
      testing::MakeCertificateDer(key.get(), key.get(), spec);
  absl::StatusOr<Recipient> recipient = ParseRecipientDer(Bytes(der));
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::string> blob =
      WrapConferenceKey(*recipient, KeyOfLength(24, 1));
  ASSERT_THAT(blob.status(), IsOk());
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(*blob));
  ASSERT_THAT(parsed.status(), IsOk());
  const std::vector<uint8_t> expected_serial = {0x96, 0x65, 0xe7, 0xc5,
                                                0x79, 0x54, 0x19, 0x91};
  EXPECT_EQ(std::vector<uint8_t>(parsed->serial.begin(), parsed->serial.end()),
            expected_serial);
}

// Every defect gets its own message (and the focus answers all of them with
// the C3P reason for an invalid encryption key).
TEST(ParseRecipientTest, RejectsEachBadCertificateWithItsOwnError) {
  const auto& good = RsaIdentity(1024);
  const std::string der = good.certificate_der;
  bssl::UniquePtr<EVP_PKEY> ec = testing::GenerateEcKey();
  bssl::UniquePtr<EVP_PKEY> e3 = testing::GenerateRsaKey(1024, 3);
  bssl::UniquePtr<EVP_PKEY> small = testing::GenerateRsaKey(512, RSA_F4);
  bssl::UniquePtr<EVP_PKEY> huge = testing::FakeRsaPublicKey(16384, RSA_F4);
  bssl::UniquePtr<EVP_PKEY> even =
      testing::FakeRsaPublicKey(1024, RSA_F4, testing::ModulusParity::kEven);
  bssl::UniquePtr<EVP_PKEY> big_e =
      testing::FakeRsaPublicKey(1024, (uint64_t{1} << 40) + 1);
  EVP_PKEY* signer = good.key.get();

  struct Case {
    const char* name;
    std::string base64;
    const char* message;
  };
  const Case kCases[] = {
      {"truncated", absl::Base64Escape(der.substr(0, der.size() - 10)),
       "certificate: truncated"},
      {"trailing bytes", absl::Base64Escape(der + std::string("\0\0", 2)),
       "certificate: 2 trailing bytes after the certificate"},
      {"not base64", "MIIB$$$not*base64", "certificate: not base64"},
      {"empty", " \n ", "certificate: empty"},
      {"ec key",
       absl::Base64Escape(testing::MakeCertificateDer(ec.get(), signer)),
       "certificate: public key is not rsa (ec)"},
      {"exponent 3",
       absl::Base64Escape(testing::MakeCertificateDer(e3.get(), signer)),
       "certificate: rsa public exponent 3 rejected"},
      {"512-bit",
       absl::Base64Escape(testing::MakeCertificateDer(small.get(), signer)),
       "certificate: rsa modulus of 512 bits below the minimum of 1024"},
      {"16384-bit",
       absl::Base64Escape(testing::MakeCertificateDer(huge.get(), signer)),
       "certificate: rsa modulus of 16384 bits above the maximum of 4096"},
      {"even modulus",
       absl::Base64Escape(testing::MakeCertificateDer(even.get(), signer)),
       "certificate: rsa modulus is even"},
      {"41-bit exponent",
       absl::Base64Escape(testing::MakeCertificateDer(big_e.get(), signer)),
       // BoringSSL refuses it while parsing the key.
       "certificate: unsupported or malformed public key: bad_e_value"},
      {"garbage", absl::Base64Escape("this is not a certificate at all"),
       "certificate: not a der sequence"},
      {"sequence but not a certificate",
       absl::Base64Escape(std::string("\x30\x03\x02\x01\x05", 5)),
       "certificate: malformed x.509 structure"},
      {"oversized", std::string(40000, 'A'), "certificate: larger than"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(
        ParseRecipient(c.base64).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(ParseRecipientTest, ModulusLimitsAreConfigurable) {
  const auto& identity = RsaIdentity(2048);
  CertificateLimits strict;
  strict.min_modulus_bits = 3072;
  EXPECT_THAT(ParseRecipient(identity.certificate_base64, strict).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("2048 bits below the minimum of 3072")));
  CertificateLimits small;
  small.max_modulus_bits = 1024;
  EXPECT_THAT(ParseRecipient(identity.certificate_base64, small).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("2048 bits above the maximum of 1024")));
  CertificateLimits too_large;
  too_large.max_modulus_bits = 16384;
  EXPECT_THAT(ParseRecipient(identity.certificate_base64, too_large).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("certificate limits")));
}

TEST(ParseRecipientTest, EightKiloBitKeysNeedOptIn) {
  bssl::UniquePtr<EVP_PKEY> key = testing::FakeRsaPublicKey(8192, RSA_F4);
  const std::string der =
      testing::MakeCertificateDer(key.get(), RsaIdentity(1024).key.get());
  EXPECT_THAT(ParseRecipientDer(Bytes(der)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("8192 bits above the maximum of 4096")));
  CertificateLimits opt_in;
  opt_in.max_modulus_bits = kLargestModulusBits;
  EXPECT_THAT(ParseRecipientDer(Bytes(der), opt_in).status(), IsOk());
}

TEST(GenerateContentKeyTest, HasCipherLengthAndDesParity) {
  for (Cipher cipher : kCiphers) {
    SCOPED_TRACE(CipherName(cipher));
    absl::StatusOr<ContentKey> a = GenerateContentKey(cipher);
    absl::StatusOr<ContentKey> b = GenerateContentKey(cipher);
    ASSERT_THAT(a.status(), IsOk());
    ASSERT_THAT(b.status(), IsOk());
    EXPECT_EQ(a->size(), CipherKeyLength(cipher));
    EXPECT_FALSE(
        std::equal(a->bytes().begin(), a->bytes().end(), b->bytes().begin()));
    if (cipher == Cipher::kDesEde3Cbc) {
      for (uint8_t byte : a->bytes()) {
        EXPECT_TRUE(HasOddParity(byte));
      }
    }
  }
}

TEST(ContentKeyTest, MoveLeavesSourceEmpty) {
  absl::StatusOr<ContentKey> key = ContentKey::FromBytes(KeyOfLength(24, 9));
  ASSERT_THAT(key.status(), IsOk());
  ContentKey moved = *std::move(key);
  EXPECT_EQ(moved.size(), 24u);
  EXPECT_EQ(key->size(), 0u);  // NOLINT(bugprone-use-after-move): by design
  EXPECT_THAT(ContentKey::FromBytes(KeyOfLength(33, 0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WrapConferenceKeyTest, RoundTripsThroughTheReaderForEveryCipherAndSize) {
  for (int bits : {1024, 2048, 4096}) {
    const auto& identity = RsaIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(identity.certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher)));
      const std::vector<uint8_t> key = KeyOfLength(CipherKeyLength(cipher), 3);
      absl::StatusOr<std::string> der =
          WrapConferenceKey(*recipient, key, cipher);
      ASSERT_THAT(der.status(), IsOk());
      absl::StatusOr<ParsedEnvelopedData> parsed =
          ParseEnvelopedData(Bytes(*der));
      ASSERT_THAT(parsed.status(), IsOk());
      EXPECT_EQ(parsed->cipher, cipher);
      EXPECT_EQ(parsed->iv.size(), CipherIvLength(cipher));
      EXPECT_EQ(parsed->encrypted_key.size(), static_cast<size_t>(bits / 8));
      // The seed's form: a present, zero-length encryptedContent.
      EXPECT_EQ(parsed->content_form, EncryptedContentForm::kPresent);
      EXPECT_TRUE(parsed->encrypted_content.empty());
      EXPECT_TRUE(std::equal(parsed->issuer_and_serial.begin(),
                             parsed->issuer_and_serial.end(),
                             recipient->issuer_and_serial().begin(),
                             recipient->issuer_and_serial().end()));
      absl::StatusOr<UnwrappedEnvelope> opened =
          UnwrapEnvelopedData(*parsed, identity.key.get());
      ASSERT_THAT(opened.status(), IsOk());
      EXPECT_TRUE(std::equal(opened->key.bytes().begin(),
                             opened->key.bytes().end(), key.begin(),
                             key.end()));
      EXPECT_TRUE(opened->content.empty());
    }
  }
}

TEST(WrapConferenceKeyTest, RejectsKeyOfTheWrongLengthForTheCipher) {
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  EXPECT_THAT(
      WrapConferenceKey(*recipient, KeyOfLength(24, 0), Cipher::kAes128Cbc)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "conference key: 24 bytes, aes-128-cbc needs 16"));
  EXPECT_THAT(WrapConferenceKey(*recipient, KeyOfLength(16, 0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "conference key: 16 bytes, des-ede3-cbc needs 24"));
}

TEST(WrapConferenceKeyTest, EveryBlobIsFresh) {
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::string> a =
      WrapConferenceKey(*recipient, KeyOfLength(24, 5));
  absl::StatusOr<std::string> b =
      WrapConferenceKey(*recipient, KeyOfLength(24, 5));
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(a->size(), b->size());
  EXPECT_NE(*a, *b);  // random PKCS#1 padding and IV
}

TEST(WrapContentTest, RoundTripsUtf8UrisForEveryCipherAndSize) {
  const std::string kUri =
      "https://meet.example.com/alice/7Q4ZK2XH?sl=1&caf\xc3\xa9=\xe2\x9c\x93";
  for (int bits : {1024, 2048, 4096}) {
    const auto& identity = RsaIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(identity.certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      for (const std::string& content :
           {std::string(), kUri, std::string(160, 'u')}) {
        SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher), ", ",
                                  content.size(), " bytes"));
        absl::StatusOr<std::string> der =
            WrapContent(*recipient, content, cipher);
        ASSERT_THAT(der.status(), IsOk());
        absl::StatusOr<ParsedEnvelopedData> parsed =
            ParseEnvelopedData(Bytes(*der));
        ASSERT_THAT(parsed.status(), IsOk());
        const size_t block = cipher == Cipher::kDesEde3Cbc ? 8 : 16;
        EXPECT_EQ(parsed->encrypted_content.size(),
                  (content.size() / block + 1) * block);
        absl::StatusOr<UnwrappedEnvelope> opened =
            UnwrapEnvelopedData(*parsed, identity.key.get());
        ASSERT_THAT(opened.status(), IsOk());
        EXPECT_EQ(opened->content, content);
        EXPECT_EQ(opened->key.size(), CipherKeyLength(cipher));
      }
    }
  }
}

TEST(WrapContentTest, UriOfSeedSizeGivesSeedCiphertextLength) {
  // The seed's URI blobs carry 168 bytes of 3DES ciphertext: 160..167
  // plaintext bytes.
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::string> der =
      WrapContent(*recipient, std::string(163, 'x'));
  ASSERT_THAT(der.status(), IsOk());
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(*der));
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->encrypted_content.size(), 168u);
  // 1024-bit key and 3DES: the seed's blobs are 457 bytes; ours differ only
  // in the issuer Name and serial length.
  EXPECT_EQ(der->size() - recipient->issuer_and_serial().size(), 457u - 69u);
}

TEST(WrapContentTest, OtherPrivateKeyDoesNotOpenTheBlob) {
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::string> der = WrapContent(*recipient, "secret uri");
  ASSERT_THAT(der.status(), IsOk());
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(*der));
  ASSERT_THAT(parsed.status(), IsOk());
  absl::StatusOr<UnwrappedEnvelope> opened =
      UnwrapEnvelopedData(*parsed, RsaIdentity(2048).key.get());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(opened.status().message()),
              ::testing::Not(HasSubstr("secret")));
}

TEST(WrapConferenceKeyAndContentsTest, OneEncryptedKeyOpensEveryBlob) {
  const std::string kUris[] = {"https://meet.example.com/alice/7Q4ZK2XH",
                               "https://external.example.com/m/caf\xc3\xa9",
                               ""};
  const absl::string_view uris[] = {kUris[0], kUris[1], kUris[2]};
  for (int bits : {1024, 2048}) {
    const auto& identity = RsaIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(identity.certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher)));
      const std::vector<uint8_t> key = KeyOfLength(CipherKeyLength(cipher), 9);
      absl::StatusOr<std::vector<std::string>> blobs =
          WrapConferenceKeyAndContents(*recipient, key, uris, cipher);
      ASSERT_THAT(blobs.status(), IsOk());
      ASSERT_EQ(blobs->size(), 4u);
      std::vector<std::string> ivs;
      std::string encrypted_key;
      for (size_t i = 0; i < blobs->size(); ++i) {
        SCOPED_TRACE(i);
        absl::StatusOr<ParsedEnvelopedData> parsed =
            ParseEnvelopedData(Bytes((*blobs)[i]));
        ASSERT_THAT(parsed.status(), IsOk());
        EXPECT_EQ(parsed->cipher, cipher);
        const std::string this_key(parsed->encrypted_key.begin(),
                                   parsed->encrypted_key.end());
        if (i == 0) {
          encrypted_key = this_key;
          EXPECT_EQ(parsed->content_form, EncryptedContentForm::kPresent);
          EXPECT_TRUE(parsed->encrypted_content.empty());
        }
        EXPECT_EQ(this_key, encrypted_key);
        ivs.emplace_back(parsed->iv.begin(), parsed->iv.end());
        absl::StatusOr<UnwrappedEnvelope> opened =
            UnwrapEnvelopedData(*parsed, identity.key.get());
        ASSERT_THAT(opened.status(), IsOk());
        EXPECT_TRUE(std::equal(opened->key.bytes().begin(),
                               opened->key.bytes().end(), key.begin(),
                               key.end()));
        EXPECT_EQ(opened->content, i == 0 ? "" : kUris[i - 1]);
      }
      for (size_t i = 0; i < ivs.size(); ++i) {
        for (size_t j = i + 1; j < ivs.size(); ++j) {
          EXPECT_NE(ivs[i], ivs[j]) << i << " " << j;
        }
      }
    }
  }
}

TEST(WrapConferenceKeyAndContentsTest, RejectsWhatTheSingleWrapsReject) {
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  const absl::string_view uri = "https://meet.example.com/alice";
  EXPECT_THAT(WrapConferenceKeyAndContents(*recipient, KeyOfLength(16, 0),
                                           absl::MakeConstSpan(&uri, 1))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "conference key: 16 bytes, des-ede3-cbc needs 24"));
  const std::string huge((1 << 20) + 1, 'u');
  const absl::string_view too_long = huge;
  EXPECT_THAT(
      WrapConferenceKeyAndContents(*recipient, KeyOfLength(24, 0),
                                   absl::MakeConstSpan(&too_long, 1))
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("content: ")));
}

TEST(EncodeBase64Test, MatchesRfc4648) {
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(EncodeBase64(std::string("\x80\x00", 2)), "gAA=");
}

}  // namespace
}  // namespace conf::crypto
