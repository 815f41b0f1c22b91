#include "crypto/base64.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include <openssl/base64.h>

namespace conf::crypto {
namespace {

// RFC 4648 §10 test vectors.
TEST(EncodeBase64Test, Rfc4648TestVectors) {
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("f"), "Zg==");
  EXPECT_EQ(EncodeBase64("fo"), "Zm8=");
  EXPECT_EQ(EncodeBase64("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64("foob"), "Zm9vYg==");
  EXPECT_EQ(EncodeBase64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
}

TEST(EncodeBase64Test, EveryCharacterOfTheAlphabet) {
  // 0x00, 0x10, 0x83, ... : the 48 bytes whose 64 six-bit groups are
  // 0, 1, 2, ..., 63 in order.
  std::string bytes;
  for (uint32_t i = 0; i < 64; i += 4) {
    const uint32_t v = (i << 18) | ((i + 1) << 12) | ((i + 2) << 6) | (i + 3);
    bytes.push_back(static_cast<char>(v >> 16));
    bytes.push_back(static_cast<char>(v >> 8));
    bytes.push_back(static_cast<char>(v));
  }
  EXPECT_EQ(EncodeBase64(bytes),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

TEST(EncodeBase64Test, HighBytesAndZeros) {
  EXPECT_EQ(EncodeBase64(std::string("\x80\x00", 2)), "gAA=");
  EXPECT_EQ(EncodeBase64(std::string(8, '\xff')), "//////////8=");
  EXPECT_EQ(EncodeBase64(std::string(9, '\0')), "AAAAAAAAAAAA");
}

// Decodes with BoringSSL; fails the test if it refuses.
std::string DecodeWithBoringSsl(absl::string_view text) {
  size_t max_out = 0;
  EXPECT_EQ(EVP_DecodedLength(&max_out, text.size()), 1);
  std::vector<uint8_t> out(max_out + 1);
  size_t out_len = 0;
  EXPECT_EQ(EVP_DecodeBase64(out.data(), &out_len, out.size(),
                             reinterpret_cast<const uint8_t*>(text.data()),
                             text.size()),
            1)
      << text;
  return std::string(reinterpret_cast<const char*>(out.data()), out_len);
}

// Every length from 0 to 300, random bytes, at every alignment of the
// input: the fast 6-byte path, the 3-byte path and both padded endings.
TEST(EncodeBase64Test, RoundTripsThroughBoringSslForEveryLength) {
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t length = 0; length <= 300; ++length) {
    for (size_t offset = 0; offset < 3; ++offset) {
      std::string buffer(offset + length, '\0');
      for (char& c : buffer) {
        c = static_cast<char>(byte(rng));
      }
      const absl::string_view bytes = absl::string_view(buffer).substr(offset);
      const std::string text = EncodeBase64(bytes);
      ASSERT_EQ(text.size(), Base64EncodedSize(length)) << length;
      EXPECT_EQ(DecodeWithBoringSsl(text), bytes) << length;
      EXPECT_EQ(text, absl::Base64Escape(bytes)) << length;
      std::vector<uint8_t> block(text.size() + 1);
      ASSERT_EQ(EVP_EncodeBlock(block.data(),
                                reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
                text.size());
      EXPECT_EQ(text,
                absl::string_view(reinterpret_cast<const char*>(block.data()),
                                  text.size()))
          << length;
    }
  }
}

TEST(EncodeBase64Test, EncodeToWritesExactlyTheEncodedSize) {
  for (size_t length = 0; length <= 40; ++length) {
    const std::string bytes(length, '\x5a');
    const size_t size = Base64EncodedSize(length);
    std::string out(size + 8, '#');
    EXPECT_EQ(EncodeBase64To(bytes, &out[0]), size);
    EXPECT_EQ(out.substr(0, size), absl::Base64Escape(bytes));
    EXPECT_EQ(out.substr(size), std::string(8, '#')) << length;
  }
}

}  // namespace
}  // namespace conf::crypto
