#include "server/cidr.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace server {
namespace {

using Bytes = std::array<uint8_t, 16>;

// The 96-bit prefix of an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2).
constexpr int kMappedPrefixBits = 96;
constexpr size_t kMaxQuotedBytes = 64;
// Longer than any numeric IPv6 address (INET6_ADDRSTRLEN is 46).
constexpr size_t kMaxAddressChars = 64;

struct Address {
  Bytes bytes;  // IPv4 as IPv4-mapped IPv6
  bool is_v4;
};

// Parses a numeric address. inet_pton needs a NUL-terminated string, and
// refuses zone ids, host names and surrounding spaces.
std::optional<Address> ParseAddress(absl::string_view text) {
  if (text.empty() || text.size() > kMaxAddressChars)
    return std::nullopt;
  const std::string terminated(text);
  Address address{};
  if (!absl::StrContains(text, ':')) {
    in_addr v4;
    if (inet_pton(AF_INET, terminated.c_str(), &v4) != 1)
      return std::nullopt;
    address.bytes[10] = 0xff;
    address.bytes[11] = 0xff;
    std::memcpy(&address.bytes[12], &v4, sizeof(v4));
    address.is_v4 = true;
    return address;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, terminated.c_str(), &v6) != 1)
    return std::nullopt;
  std::memcpy(address.bytes.data(), &v6, sizeof(v6));
  address.is_v4 = false;
  return address;
}

// A decimal prefix length of at most 3 digits, no sign, no spaces.
std::optional<int> ParsePrefix(absl::string_view text) {
  if (text.empty() || text.size() > 3)
    return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Whether the first `prefix` bits of `a` and `b` are equal.
bool SamePrefix(const Bytes& a, const Bytes& b, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0)
    return false;
  const int rest = prefix % 8;
  if (rest == 0)
    return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Whether any bit of `bytes` past the first `prefix` is set.
bool HasHostBits(const Bytes& bytes, int prefix) {
  Bytes masked{};
  for (int bit = 0; bit < prefix; ++bit) {
    const uint8_t one = static_cast<uint8_t>(0x80 >> (bit % 8));
    masked[bit / 8] |= bytes[bit / 8] & one;
  }
  return masked != bytes;
}

absl::Status BadEntry(absl::string_view entry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "cidr: entry \"", absl::CEscape(entry.substr(0, kMaxQuotedBytes)), "\"",
      entry.size() > kMaxQuotedBytes ? "..." : "", ": ", why));
}

}  // namespace

absl::StatusOr<CidrList> CidrList::Parse(absl::string_view list) {
  CidrList result;
  if (absl::StripAsciiWhitespace(list).empty())
    return result;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cidr: empty entry in \"",
                       absl::CEscape(list.substr(0, kMaxQuotedBytes)), "\"",
                       list.size() > kMaxQuotedBytes ? "..." : ""));
    }
    const size_t slash = entry.find('/');
    const std::optional<Address> address = ParseAddress(entry.substr(0, slash));
    if (!address.has_value())
      return BadEntry(entry, "not an IPv4 or IPv6 address");
    const int max_prefix = address->is_v4 ? 32 : 128;
    int prefix = max_prefix;
    if (slash != absl::string_view::npos) {
      const std::optional<int> parsed = ParsePrefix(entry.substr(slash + 1));
      if (!parsed.has_value() || *parsed > max_prefix) {
        return BadEntry(entry,
                        absl::StrCat("prefix length must be 0..", max_prefix));
      }
      prefix = *parsed;
    }
    const int stored_prefix =
        address->is_v4 ? kMappedPrefixBits + prefix : prefix;
    if (HasHostBits(address->bytes, stored_prefix)) {
      return BadEntry(entry, absl::StrCat("address has bits set past the /",
                                          prefix, " prefix"));
    }
    result.ranges_.push_back(Range{address->bytes, stored_prefix});
  }
  return result;
}

bool CidrList::Contains(absl::string_view address) const {
  const std::optional<Address> parsed = ParseAddress(address);
  if (!parsed.has_value())
    return false;
  for (const Range& range : ranges_) {
    if (SamePrefix(parsed->bytes, range.address, range.prefix))
      return true;
  }
  return false;
}

}  // namespace server
}  // namespace conf
