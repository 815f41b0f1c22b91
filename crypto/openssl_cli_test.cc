// Independent check of our EnvelopedData with the `openssl` command-line tool
// (OpenSSL 3), run as a subprocess: this binary links BoringSSL only.
//   - content mode: `openssl cms -decrypt` returns the original URI;
//   - conference-key mode: `openssl pkeyutl -decrypt` (PKCS#1 v1.5) of the
//     encryptedKey, located with `openssl asn1parse`, is the conference key;
//   - `openssl asn1parse` shows our blobs with the seed's structure.
// Skips (with a message) only when /usr/bin/openssl is absent.

#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"

#include "crypto/enveloped_data.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"

namespace conf::crypto {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::RsaIdentity;

constexpr char kOpenssl[] = "/usr/bin/openssl";
constexpr Cipher kCiphers[] = {Cipher::kDesEde3Cbc, Cipher::kAes128Cbc,
                               Cipher::kAes256Cbc};
constexpr int kModulusBits[] = {1024, 2048, 4096};

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir == nullptr ? "/tmp" : dir, "/", name);
}

void WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Runs `command` through the shell; returns its stdout, or sets `exit_code`.
std::string RunCommand(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return output;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    output.append(buf, n);
  }
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

// One line of `openssl asn1parse -i` output, e.g.
// "  119:d=5  hl=3 l= 128 prim:      OCTET STRING      [HEX DUMP]:05DE..."
struct Asn1Line {
  size_t offset = 0;
  int depth = 0;
  size_t header_length = 0;
  size_t length = 0;
  std::string kind;   // "cons" or "prim"
  std::string type;   // "SEQUENCE", "OBJECT", "cont [ 0 ]", ...
  std::string value;  // after ':' for OBJECT
};

std::vector<Asn1Line> Asn1Parse(const std::string& der_path) {
  int exit_code = 0;
  const std::string out = RunCommand(
      absl::StrCat(kOpenssl, " asn1parse -inform DER -i -in ", der_path),
      &exit_code);
  EXPECT_EQ(exit_code, 0) << out;
  std::vector<Asn1Line> lines;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    Asn1Line parsed;
    // offset
    std::vector<absl::string_view> head =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (head.size() != 2 ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(head[0]),
                          &parsed.offset)) {
      ADD_FAILURE() << "unexpected asn1parse line: " << line;
      continue;
    }
    absl::string_view rest = head[1];
    // d=5  hl=3 l= 128 prim: ...
    const size_t d = rest.find("d="), hl = rest.find("hl="),
                 l = rest.find(" l=");
    const size_t kind_pos = rest.find(": ", l);
    if (d == rest.npos || hl == rest.npos || l == rest.npos ||
        kind_pos == rest.npos) {
      ADD_FAILURE() << "unexpected asn1parse line: " << line;
      continue;
    }
    EXPECT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(rest.substr(d + 2, hl - d - 2)),
        &parsed.depth));
    EXPECT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(rest.substr(hl + 3, l - hl - 3)),
        &parsed.header_length));
    absl::string_view length_and_kind = rest.substr(l + 3, kind_pos - l - 3);
    std::vector<absl::string_view> lk =
        absl::StrSplit(length_and_kind, ' ', absl::SkipEmpty());
    EXPECT_EQ(lk.size(), 2u) << line;
    if (lk.size() == 2) {
      EXPECT_TRUE(absl::SimpleAtoi(lk[0], &parsed.length));
      parsed.kind = std::string(lk[1]);
    }
    absl::string_view type =
        absl::StripAsciiWhitespace(rest.substr(kind_pos + 1));
    const size_t colon = type.find(':');
    if (colon != type.npos) {
      parsed.value = std::string(type.substr(colon + 1));
      type = absl::StripAsciiWhitespace(type.substr(0, colon));
    }
    // "OCTET STRING      [HEX DUMP]" -> "OCTET STRING".
    const size_t gap = type.find("  ");
    parsed.type = std::string(
        gap == type.npos ? type
                         : absl::StripAsciiWhitespace(type.substr(0, gap)));
    lines.push_back(parsed);
  }
  return lines;
}

// The structural fingerprint of an asn1parse listing: depth, kind, type and,
// for OBJECTs, the name. The contents of the issuer Name (depth 6 and below
// inside the RecipientInfo) differ per certificate and are left out.
std::vector<std::string> Shape(const std::vector<Asn1Line>& lines) {
  std::vector<std::string> shape;
  for (const Asn1Line& line : lines) {
    if (line.depth >= 7) {
      continue;
    }
    shape.push_back(absl::StrCat(line.depth, " ", line.kind, " ", line.type,
                                 line.type == "OBJECT" ? line.value : ""));
  }
  return shape;
}

// `openssl cms -decrypt` of the DER blob `der` with the identity's PEM
// files: the plaintext, or the tool's output as the error.
absl::StatusOr<std::string> OpensslCmsDecrypt(absl::string_view der,
                                              const std::string& cert,
                                              const std::string& key) {
  const std::string blob = TempPath("cms_decrypt.der");
  const std::string out = TempPath("cms_decrypt.out");
  WriteFile(blob, der);
  std::remove(out.c_str());
  int exit_code = 0;
  const std::string log = RunCommand(
      absl::StrCat(kOpenssl, " cms -decrypt -binary -inform DER -in ", blob,
                   " -recip ", cert, " -inkey ", key, " -out ", out),
      &exit_code);
  if (exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl cms: ", log));
  }
  return ReadFile(out);
}

// The conference key inside the key blob `der`, recovered with openssl's
// own tools: asn1parse finds encryptedKey, the first OCTET STRING at depth 5
// (inside KeyTransRecipientInfo; the IV, also at depth 5, follows), which
// must be `bits` / 8 bytes, and pkeyutl decrypts it (PKCS#1 v1.5).
absl::StatusOr<std::string> OpensslDecryptEncryptedKey(absl::string_view der,
                                                       const std::string& key,
                                                       int bits) {
  const std::string blob = TempPath("key_blob.der");
  WriteFile(blob, der);
  const std::vector<Asn1Line> lines = Asn1Parse(blob);
  const auto encrypted_key =
      std::find_if(lines.begin(), lines.end(), [](const Asn1Line& line) {
        return line.depth == 5 && line.type == "OCTET STRING";
      });
  if (encrypted_key == lines.end()) {
    return absl::NotFoundError("no OCTET STRING at depth 5");
  }
  if (encrypted_key->length != static_cast<size_t>(bits / 8)) {
    return absl::InternalError(
        absl::StrCat("encryptedKey of ", encrypted_key->length, " bytes"));
  }
  const std::string in = TempPath("encrypted_key.bin");
  const std::string out = TempPath("cek.bin");
  WriteFile(in, der.substr(encrypted_key->offset + encrypted_key->header_length,
                           encrypted_key->length));
  std::remove(out.c_str());
  int exit_code = 0;
  const std::string log = RunCommand(
      absl::StrCat(kOpenssl, " pkeyutl -decrypt -inkey ", key,
                   " -pkeyopt rsa_padding_mode:pkcs1 -in ", in, " -out ", out),
      &exit_code);
  if (exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl pkeyutl: ", log));
  }
  return ReadFile(out);
}

std::string KeyBytes(const ContentKey& key) {
  const absl::Span<const uint8_t> bytes = key.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

class OpensslCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(kOpenssl, &st) != 0) {
      GTEST_SKIP() << kOpenssl << " not installed";
    }
  }

  // Writes the identity's PEM files; returns {cert path, key path}.
  std::pair<std::string, std::string> WriteIdentity(int bits) {
    const auto& identity = RsaIdentity(bits);
    const std::string cert = TempPath(absl::StrCat("cert", bits, ".pem"));
    const std::string key = TempPath(absl::StrCat("key", bits, ".pem"));
    WriteFile(cert, identity.certificate_pem);
    WriteFile(key, identity.private_key_pem);
    return {cert, key};
  }
};

TEST_F(OpensslCliTest, CmsDecryptRecoversTheUriForEveryCipherAndSize) {
  // UTF-8 of the URI, non-ASCII included (docs/CRYPTO.md).
  const std::string kUri =
      "https://meet.example.com/alice/7Q4ZK2XH?conf=caf\xc3\xa9";
  for (int bits : kModulusBits) {
    const auto [cert, key] = WriteIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(RsaIdentity(bits).certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher)));
      absl::StatusOr<std::string> der = WrapContent(*recipient, kUri, cipher);
      ASSERT_THAT(der.status(), IsOk());
      absl::StatusOr<std::string> plain = OpensslCmsDecrypt(*der, cert, key);
      ASSERT_THAT(plain.status(), IsOk());
      EXPECT_EQ(*plain, kUri);
    }
  }
}

TEST_F(OpensslCliTest, PkeyutlDecryptsTheConferenceKeyForEveryCipherAndSize) {
  for (int bits : kModulusBits) {
    const auto [cert, key] = WriteIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(RsaIdentity(bits).certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher)));
      absl::StatusOr<ContentKey> conference_key = GenerateContentKey(cipher);
      ASSERT_THAT(conference_key.status(), IsOk());
      absl::StatusOr<std::string> der =
          WrapConferenceKey(*recipient, conference_key->bytes(), cipher);
      ASSERT_THAT(der.status(), IsOk());
      absl::StatusOr<std::string> cek =
          OpensslDecryptEncryptedKey(*der, key, bits);
      ASSERT_THAT(cek.status(), IsOk());
      EXPECT_EQ(*cek, KeyBytes(*conference_key));
    }
  }
}

// docs/CRYPTO.md: the URI blobs of getConference are encrypted under the
// conference key, all three blobs carrying one RSA-wrapped key. openssl opens
// each URI blob as any CMS blob, and recovers the conference key from the
// key blob.
TEST_F(OpensslCliTest, CmsDecryptOpensEveryBlobSharingOneWrappedKey) {
  const std::string kUris[] = {
      "https://meet.example.com/alice/7Q4ZK2XH",
      "https://external.example.com/meet/alice/7Q4ZK2XH?sl=1&conf=caf\xc3\xa9"};
  const absl::string_view uris[] = {kUris[0], kUris[1]};
  for (int bits : kModulusBits) {
    const auto [cert, key] = WriteIdentity(bits);
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(RsaIdentity(bits).certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    for (Cipher cipher : kCiphers) {
      SCOPED_TRACE(absl::StrCat(bits, " bits, ", CipherName(cipher)));
      absl::StatusOr<ContentKey> conference_key = GenerateContentKey(cipher);
      ASSERT_THAT(conference_key.status(), IsOk());
      absl::StatusOr<std::vector<std::string>> blobs =
          WrapConferenceKeyAndContents(*recipient, conference_key->bytes(),
                                       uris, cipher);
      ASSERT_THAT(blobs.status(), IsOk());
      ASSERT_EQ(blobs->size(), 3u);
      for (size_t i = 0; i < 2; ++i) {
        SCOPED_TRACE(kUris[i]);
        absl::StatusOr<std::string> plain =
            OpensslCmsDecrypt((*blobs)[i + 1], cert, key);
        ASSERT_THAT(plain.status(), IsOk());
        EXPECT_EQ(*plain, kUris[i]);
      }
      absl::StatusOr<std::string> cek =
          OpensslDecryptEncryptedKey((*blobs)[0], key, bits);
      ASSERT_THAT(cek.status(), IsOk());
      EXPECT_EQ(*cek, KeyBytes(*conference_key));
    }
  }
}

// docs/CRYPTO.md, "URI ciphertext once per key epoch": one
// EncryptedContentInfo, encrypted once under the conference key, and one for
// the key blob, sealed for recipients of every key size; each opens its
// blobs with its own key.
TEST_F(OpensslCliTest, CmsDecryptOpensOneUriCiphertextSealedForEveryone) {
  const std::string kUri = "https://meet.example.com/alice/7Q4ZK2XH";
  for (Cipher cipher : kCiphers) {
    SCOPED_TRACE(CipherName(cipher));
    absl::StatusOr<ContentKey> conference_key = GenerateContentKey(cipher);
    ASSERT_THAT(conference_key.status(), IsOk());
    absl::StatusOr<std::string> info =
        EncryptContentUnderKey(conference_key->bytes(), kUri, cipher);
    ASSERT_THAT(info.status(), IsOk());
    const std::vector<std::string> infos = {*info};
    absl::StatusOr<std::string> key_info = KeyContentInfo(cipher);
    ASSERT_THAT(key_info.status(), IsOk());
    for (int bits : kModulusBits) {
      SCOPED_TRACE(absl::StrCat(bits, " bits"));
      const auto [cert, key] = WriteIdentity(bits);
      absl::StatusOr<Recipient> recipient =
          ParseRecipient(RsaIdentity(bits).certificate_base64);
      ASSERT_THAT(recipient.status(), IsOk());
      absl::StatusOr<std::vector<std::string>> blobs =
          WrapConferenceKeyAndEncryptedContents(
              *recipient, conference_key->bytes(), *key_info, infos, cipher);
      ASSERT_THAT(blobs.status(), IsOk());
      ASSERT_EQ(blobs->size(), 2u);
      // The shared halves end the blobs, verbatim.
      EXPECT_TRUE(absl::EndsWith((*blobs)[0], *key_info));
      EXPECT_TRUE(absl::EndsWith((*blobs)[1], *info));
      absl::StatusOr<std::string> plain =
          OpensslCmsDecrypt((*blobs)[1], cert, key);
      ASSERT_THAT(plain.status(), IsOk());
      EXPECT_EQ(*plain, kUri);
      absl::StatusOr<std::string> cek =
          OpensslDecryptEncryptedKey((*blobs)[0], key, bits);
      ASSERT_THAT(cek.status(), IsOk());
      EXPECT_EQ(*cek, KeyBytes(*conference_key));
    }
  }
}

TEST_F(OpensslCliTest, Asn1parseShowsTheSeedStructure) {
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  struct Case {
    const char* seed;
    bool content_mode;
  };
  const Case kCases[] = {{"conference_key", false},
                         {"encrypted_uri_web_internal", true}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.seed);
    std::string seed_der;
    std::string text = testing::ReadRunfile(
        absl::StrCat("crypto/testdata/seed/", c.seed, ".b64"));
    text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
    ASSERT_TRUE(absl::Base64Unescape(text, &seed_der));
    // 163 bytes of URI give the seed's 168 bytes of ciphertext.
    absl::StatusOr<std::string> ours =
        c.content_mode
            ? WrapContent(*recipient, std::string(163, 'u'))
            : WrapConferenceKey(*recipient, std::vector<uint8_t>(24, 0x01));
    ASSERT_THAT(ours.status(), IsOk());
    const std::string seed_path = TempPath("seed.der");
    const std::string our_path = TempPath("ours.der");
    WriteFile(seed_path, seed_der);
    WriteFile(our_path, *ours);
    const std::vector<Asn1Line> seed_lines = Asn1Parse(seed_path);
    const std::vector<Asn1Line> our_lines = Asn1Parse(our_path);
    EXPECT_GE(seed_lines.size(), 20u);
    EXPECT_EQ(Shape(our_lines), Shape(seed_lines));
    // Same sizes where they do not depend on the certificate: encryptedKey,
    // IV and encrypted content.
    auto sizes = [](const std::vector<Asn1Line>& lines) {
      std::vector<std::string> out;
      for (const Asn1Line& line : lines) {
        if (line.type == "OCTET STRING" ||
            (line.type == "cont [ 0 ]" && line.depth == 4)) {
          out.push_back(
              absl::StrCat(line.depth, ":", line.type, ":", line.length));
        }
      }
      return out;
    };
    EXPECT_EQ(sizes(our_lines), sizes(seed_lines));
  }
}

}  // namespace
}  // namespace conf::crypto
