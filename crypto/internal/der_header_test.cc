#include "crypto/internal/der_header.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include <openssl/bytestring.h>
#include <openssl/mem.h>

namespace conf::crypto::internal {
namespace {

// What BoringSSL writes for an element of `tag` around `length` content
// bytes, framed the usual way (CBB_add_asn1, which learns the length on
// flush): the reference our precomputed headers must equal.
std::string ReferenceElement(unsigned tag, size_t length) {
  bssl::ScopedCBB cbb;
  CBB child;
  std::string content(length, '\x5a');
  uint8_t* data = nullptr;
  size_t size = 0;
  if (!CBB_init(cbb.get(), 0) || !CBB_add_asn1(cbb.get(), &child, tag) ||
      !CBB_add_bytes(&child, reinterpret_cast<const uint8_t*>(content.data()),
                     content.size()) ||
      !CBB_finish(cbb.get(), &data, &size)) {
    return "";
  }
  bssl::UniquePtr<uint8_t> owned(data);
  return std::string(reinterpret_cast<const char*>(data), size);
}

std::string PrecomputedElement(uint8_t tag, size_t length) {
  std::string out(DerHeaderSize(length) + length, '\x5a');
  uint8_t* const begin = reinterpret_cast<uint8_t*>(out.data());
  if (WriteDerHeader(begin, tag, length) != begin + DerHeaderSize(length))
    return "size mismatch";
  return out;
}

TEST(DerHeaderTest, MatchesBoringSslFramingAcrossEveryLengthForm) {
  // Each boundary of the short form and of the one-, two- and three-octet
  // long forms, and the sizes our blobs reach (kilobytes; contents up to
  // 1 MiB).
  const std::vector<size_t> lengths = {
      0,   1,    126,   127,   128,   129,     255,      256,
      257, 1500, 65535, 65536, 65537, 1 << 20, 0xffffff, 0x1000000};
  const struct {
    uint8_t ours;
    unsigned boringssl;  // CBB_add_asn1's form
  } kTags[] = {
      {kDerSequence, CBS_ASN1_SEQUENCE},
      {kDerSet, CBS_ASN1_SET},
      {kDerContextConstructed0,
       CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0},
  };
  for (const auto& tag : kTags) {
    for (size_t length : lengths) {
      SCOPED_TRACE(absl::StrCat("tag ", tag.ours, ", length ", length));
      const std::string reference = ReferenceElement(tag.boringssl, length);
      ASSERT_FALSE(reference.empty());
      EXPECT_EQ(DerHeaderSize(length), reference.size() - length);
      EXPECT_TRUE(PrecomputedElement(tag.ours, length) == reference);
    }
  }
}

}  // namespace
}  // namespace conf::crypto::internal
