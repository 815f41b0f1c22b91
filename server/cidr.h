// A list of IPv4 and IPv6 address ranges in CIDR notation, such as the
// value of --trusted_peers: "10.0.0.0/8,192.0.2.7,::1/128". An entry
// without a prefix length is a single address (/32 or /128).
//
// Parsing is strict, so that a typo cannot widen the range silently:
//   - addresses are numeric (inet_pton); no host names, no IPv6 zone ids;
//   - a prefix length is decimal, 0..32 for IPv4 and 0..128 for IPv6;
//   - the address may have no bits set past its prefix ("10.0.0.1/8" is
//     refused: it most likely meant 10.0.0.1/32);
//   - entries are separated by commas, with optional spaces around them;
//     an empty entry (",," or a trailing comma) is refused. The empty
//     string is the empty list.
//
// Contains() treats an IPv4-mapped IPv6 address ("::ffff:10.1.2.3", as a
// dual-stack socket reports an IPv4 peer) as the IPv4 address it maps.
//
// Thread-safety: immutable after parsing; share it freely.
//
// Example:
//   CONF_ASSIGN_OR_RETURN(CidrList trusted,
//                         CidrList::Parse("10.0.0.0/8,2001:db8::/32"));
//   trusted.Contains("10.1.2.3");   // true
//   trusted.Contains("192.0.2.1");  // false

#ifndef CONF_SERVER_CIDR_H_
#define CONF_SERVER_CIDR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace server {

class CidrList {
 public:
  // The empty list: Contains() is always false.
  CidrList() = default;

  // Parses a comma-separated list of ranges. Returns kInvalidArgument for
  // a malformed entry; the message quotes the entry (escaped, at most 64
  // bytes) and says what is wrong with it, e.g.
  //   cidr: entry "10.0.0.300/8": not an IPv4 or IPv6 address
  static absl::StatusOr<CidrList> Parse(absl::string_view list);

  // Whether `address`, a numeric IPv4 or IPv6 address, is in any range.
  // False for anything that is not a numeric address.
  bool Contains(absl::string_view address) const;

  // The number of ranges parsed.
  size_t size() const { return ranges_.size(); }
  bool empty() const { return ranges_.empty(); }

 private:
  // IPv4 ranges are stored as IPv4-mapped IPv6 (::ffff:0:0/96), so that
  // both families compare the same way.
  struct Range {
    std::array<uint8_t, 16> address;  // bits past `prefix` are zero
    int prefix;                       // 0..128, in the IPv6 form
  };

  std::vector<Range> ranges_;
};

}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_CIDR_H_
