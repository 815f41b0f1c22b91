#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

std::string SeedBlob(absl::string_view name) {
  std::string der;
  std::string text =
      testing::ReadRunfile(absl::StrCat("crypto/testdata/seed/", name, ".b64"));
  text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
  EXPECT_TRUE(absl::Base64Unescape(text, &der)) << name;
  return der;
}

TEST(ParseEnvelopedDataTest, ParsesTheSeedConferenceKeyBlob) {
  const std::string der = SeedBlob("conference_key");
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->cipher, Cipher::kDesEde3Cbc);
  EXPECT_EQ(parsed->encrypted_key.size(), 128u);  // RSA-1024
  EXPECT_EQ(parsed->iv.size(), 8u);
  EXPECT_EQ(
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(parsed->iv.data()), parsed->iv.size())),
      "ffbe47d9bbb87f50");
  EXPECT_EQ(parsed->content_form, EncryptedContentForm::kPresent);
  EXPECT_TRUE(parsed->encrypted_content.empty());
  EXPECT_EQ(parsed->issuer_and_serial.size(), 69u);
  EXPECT_EQ(parsed->serial.size(), 16u);
}

TEST(ParseEnvelopedDataTest, ParsesTheSeedEncryptedUriBlobs) {
  for (const char* name :
       {"encrypted_uri_web_internal", "encrypted_uri_web_external"}) {
    SCOPED_TRACE(name);
    const std::string der = SeedBlob(name);
    absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_EQ(parsed->cipher, Cipher::kDesEde3Cbc);
    EXPECT_EQ(parsed->encrypted_key.size(), 128u);
    EXPECT_EQ(parsed->content_form, EncryptedContentForm::kPresent);
    EXPECT_EQ(parsed->encrypted_content.size(), 168u);
    // The serial is a negative INTEGER (top bit set), kept as is.
    ASSERT_FALSE(parsed->serial.empty());
    EXPECT_EQ(parsed->serial[0], 0x96);
  }
}

TEST(ParseEnvelopedDataTest, AcceptsAnAbsentEncryptedContent) {
  // The seed's conference-key blob without its zero-length [0] (the last two
  // bytes), with the four enclosing lengths shortened to match: the detached
  // form other encoders use.
  std::string der = SeedBlob("conference_key");
  ASSERT_EQ(der.size(), 287u);
  ASSERT_EQ(der.substr(285), std::string("\x80\x00", 2));
  der.resize(285);
  for (size_t length_offset : {3, 18, 22}) {  // 2-byte long-form lengths
    der[length_offset] = static_cast<char>(der[length_offset] - 2);
  }
  der[251] = static_cast<char>(der[251] - 2);  // EncryptedContentInfo
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->content_form, EncryptedContentForm::kAbsent);
  EXPECT_TRUE(parsed->encrypted_content.empty());
  EXPECT_EQ(parsed->encrypted_key.size(), 128u);
}

TEST(ParseEnvelopedDataTest, RejectsEveryTruncationOfTheSeedBlob) {
  const std::string der = SeedBlob("conference_key");
  for (size_t len = 0; len < der.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_THAT(
        ParseEnvelopedData(Bytes(der.substr(0, len))).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cms: ")));
  }
}

TEST(ParseEnvelopedDataTest, RejectsStructuralDefectsWithOffsets) {
  const std::string der = SeedBlob("conference_key");
  struct Case {
    const char* name;
    std::string input;
    absl::StatusCode code;
    const char* message;
  };
  std::string wrong_type = der;
  wrong_type[14] = 0x01;  // id-data instead of id-envelopedData
  std::string wrong_version = der;
  wrong_version[25] = 0x02;  // EnvelopedData version 2
  std::string wrong_cipher = der;
  wrong_cipher[274] = 0x02;  // 1.2.840.113549.3.2 (rc2-cbc)
  std::string wrong_ktri_version = der;
  wrong_ktri_version[34] = 0x02;
  const Case kCases[] = {
      {"trailing bytes", der + "x", absl::StatusCode::kInvalidArgument,
       "cms: trailing bytes after ContentInfo at offset 287"},
      {"wrong content type", wrong_type, absl::StatusCode::kUnimplemented,
       "cms: content type is not id-envelopedData at offset 6"},
      {"wrong version", wrong_version, absl::StatusCode::kUnimplemented,
       "cms: enveloped data version is not 0"},
      {"wrong cipher", wrong_cipher, absl::StatusCode::kUnimplemented,
       "cms: unsupported content encryption algorithm at offset 267"},
      {"wrong recipient version", wrong_ktri_version,
       absl::StatusCode::kInvalidArgument,
       "cms: recipient info version is not 0"},
      {"not der", "hello", absl::StatusCode::kInvalidArgument,
       "cms: expected ContentInfo sequence at offset 0"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseEnvelopedData(Bytes(c.input)).status(),
                StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST(UnwrapEnvelopedDataTest, RejectsNonRsaKey) {
  const std::string der = SeedBlob("conference_key");
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
  ASSERT_THAT(parsed.status(), IsOk());
  bssl::UniquePtr<EVP_PKEY> ec = testing::GenerateEcKey();
  EXPECT_THAT(UnwrapEnvelopedData(*parsed, ec.get()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cms: private key is not rsa"));
}

TEST(ParsePrivateKeyDerTest, ReadsPkcs8AndRejectsGarbage) {
  const auto& identity = RsaIdentity(1024);
  std::string pem = identity.private_key_pem;
  // Strip the armour to get the PKCS#8 DER back.
  std::string body;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (!line.empty() && line[0] != '-') {
      absl::StrAppend(&body, line);
    }
  }
  std::string der;
  ASSERT_TRUE(absl::Base64Unescape(body, &der));
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key =
      ParsePrivateKeyDer(Bytes(der));
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(EVP_PKEY_cmp(key->get(), identity.key.get()), 1);
  EXPECT_THAT(
      ParsePrivateKeyDer(Bytes("nope")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key: ")));
}

}  // namespace
}  // namespace conf::crypto
