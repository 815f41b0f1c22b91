#include "crypto/base64.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include <openssl/base64.h>

namespace conf::crypto {
namespace {

// RFC 4648 §10 test vectors: {bytes, base64}.
constexpr absl::string_view kRfc4648Vectors[][2] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(EncodeBase64Test, Rfc4648TestVectors) {
  for (const auto& [bytes, base64] : kRfc4648Vectors) {
    EXPECT_EQ(EncodeBase64(bytes), base64);
  }
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

// The naive definition: every character but absl::ascii_isspace's.
std::string NaiveStrip(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c)))
      out.push_back(c);
  }
  return out;
}

// Decodes with DecodeBase64To into a buffer of exactly the documented bound
// (so a write past it is caught by ASan), returning nullopt on rejection.
std::optional<std::string> Decode(absl::string_view text) {
  std::vector<char> out(Base64DecodedBound(text.size()));
  size_t size = 0;
  if (!DecodeBase64To(text, out.data(), &size)) {
    return std::nullopt;
  }
  return std::string(out.data(), size);
}

std::optional<std::string> AbslDecode(absl::string_view text) {
  std::string out;
  if (!absl::Base64Unescape(text, &out)) {
    return std::nullopt;
  }
  return out;
}

TEST(DecodeBase64Test, Rfc4648TestVectors) {
  for (const auto& [bytes, base64] : kRfc4648Vectors) {
    EXPECT_EQ(Decode(base64), bytes);
    // Without padding, as clients sometimes send it.
    EXPECT_EQ(Decode(absl::StripSuffix(absl::StripSuffix(base64, "="), "=")),
              bytes);
  }
}

TEST(DecodeBase64Test, RejectsWhatAbseilRejects) {
  for (absl::string_view bad :
       {"Z", "Zg=", "Zg===", "Zm8==", "Zm9v=", "Zm9v====", "Z===", "Zg=A",
        "Z=g=", "Zm9vY", "=", "==", "====", "Zg==Zg==", "Zm9v Zg==", "Zm9\n",
        "Zm9v!", "Zm-_", "\xC3\xA9xx"}) {
    EXPECT_EQ(Decode(bad), std::nullopt) << bad;
    EXPECT_EQ(AbslDecode(bad).has_value() && !absl::StrContains(bad, ' ') &&
                  !absl::StrContains(bad, '\n'),
              false)
        << bad;
  }
}

// Every string of up to six characters over a set that holds each class
// the decoder tells apart (start, middle and end of the alphabet, '+', '/',
// padding, a character outside the alphabet, a high byte, white space)
// decodes, stripped, exactly as absl::Base64Unescape decodes it.
TEST(DecodeBase64Test, AgreesWithAbseilOnEveryShortString) {
  const std::string kChars = {'A', 'Q', 'z', '0',    '+',
                              '/', '=', '-', '\xFF', ' '};
  std::string text;
  size_t checked = 0;
  for (size_t length = 0; length <= 6; ++length) {
    std::vector<size_t> digits(length, 0);
    while (true) {
      text.clear();
      for (size_t d : digits)
        text.push_back(kChars[d]);
      ASSERT_EQ(Decode(NaiveStrip(text)), AbslDecode(text))
          << absl::CEscape(text);
      ++checked;
      size_t i = 0;
      while (i < length && ++digits[i] == kChars.size()) {
        digits[i++] = 0;
      }
      if (i == length)
        break;
    }
  }
  EXPECT_GT(checked, size_t{1000000});
}

// Encodings of random bytes of every length 0..300, with padding kept or
// dropped, and with one character replaced at a random place (white space
// included: stripped, then decoded, as certificate intake does, agrees with
// Abseil, which skips it).
TEST(DecodeBase64Test, AgreesWithAbseilOnRandomEncodings) {
  std::mt19937 rng(20261125);
  for (size_t length = 0; length <= 300; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes)
      c = static_cast<char>(rng());
    std::string text = EncodeBase64(bytes);
    EXPECT_EQ(Decode(text), bytes);
    std::string unpadded(absl::StripSuffix(absl::StripSuffix(text, "="), "="));
    EXPECT_EQ(Decode(unpadded), bytes);
    if (!text.empty()) {
      for (int k = 0; k < 4; ++k) {
        std::string changed = text;
        changed[rng() % changed.size()] = static_cast<char>(rng());
        ASSERT_EQ(Decode(NaiveStrip(changed)), AbslDecode(changed))
            << absl::CEscape(changed);
      }
    }
  }
}

TEST(DecodeBase64Test, DecodesInPlace) {
  std::mt19937 rng(7);
  for (size_t length = 0; length <= 100; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes)
      c = static_cast<char>(rng());
    std::string buffer = EncodeBase64(bytes);
    buffer.resize(std::max(buffer.size(), Base64DecodedBound(buffer.size())));
    size_t size = 0;
    ASSERT_TRUE(DecodeBase64To(
        absl::string_view(buffer.data(), Base64EncodedSize(length)),
        buffer.data(), &size));
    EXPECT_EQ(absl::string_view(buffer.data(), size), bytes);
  }
}

std::string Strip(absl::string_view text) {
  std::vector<char> out(text.size() + kStripSpaceSlack);
  return std::string(out.data(), StripAsciiSpace(text, out.data()));
}

TEST(StripAsciiSpaceTest, EveryByteValueAtEveryPositionOfABlock) {
  const std::string base = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx";
  for (int c = 0; c < 256; ++c) {
    for (size_t pos = 0; pos < base.size(); ++pos) {
      std::string text = base;
      text[pos] = static_cast<char>(c);
      ASSERT_EQ(Strip(text), NaiveStrip(text)) << c << " at " << pos;
    }
  }
}

TEST(StripAsciiSpaceTest, WrappedCertificateText) {
  std::mt19937 rng(11);
  const std::string kSpace = " \t\n\v\f\r";
  for (size_t width : {1, 15, 16, 17, 64, 76}) {
    std::string bytes(1200, '\0');
    for (char& c : bytes)
      c = static_cast<char>(rng());
    const std::string flat = EncodeBase64(bytes);
    std::string wrapped;
    for (size_t i = 0; i < flat.size(); i += width) {
      wrapped += flat.substr(i, width);
      wrapped += kSpace[rng() % kSpace.size()];
      if (rng() % 3 == 0)
        wrapped += "\r\n  ";
    }
    EXPECT_EQ(Strip(wrapped), flat) << width;
  }
  EXPECT_EQ(Strip(""), "");
  EXPECT_EQ(Strip(" \t\n\v\f\r"), "");
}

}  // namespace
}  // namespace conf::crypto
