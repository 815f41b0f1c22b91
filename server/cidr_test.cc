#include "server/cidr.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace server {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

CidrList MustParse(absl::string_view list) {
  absl::StatusOr<CidrList> parsed = CidrList::Parse(list);
  EXPECT_THAT(parsed, IsOk()) << list;
  return parsed.ok() ? *std::move(parsed) : CidrList();
}

TEST(CidrListTest, EmptyListContainsNothing) {
  const CidrList empty = MustParse("");
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.Contains("127.0.0.1"));
  EXPECT_FALSE(CidrList().Contains("::1"));
  EXPECT_TRUE(MustParse("  ").empty());
}

TEST(CidrListTest, MatchesAddressesAndPrefixes) {
  const CidrList list =
      MustParse("10.0.0.0/8, 192.0.2.7 ,::1/128,2001:db8::/32,172.16.0.0/12");
  EXPECT_EQ(list.size(), 5u);
  struct Case {
    const char* address;
    bool contained;
  };
  const Case kCases[] = {
      {"10.0.0.0", true},
      {"10.255.255.255", true},
      {"11.0.0.0", false},
      {"9.255.255.255", false},
      {"192.0.2.7", true},
      {"192.0.2.8", false},
      {"172.16.0.1", true},
      {"172.31.255.255", true},
      {"172.32.0.0", false},
      {"::1", true},
      {"::2", false},
      {"2001:db8::1", true},
      {"2001:db8:ffff::", true},
      {"2001:db9::", false},
      {"::ffff:10.1.2.3", true},
      {"::ffff:11.1.2.3", false},
      {"not an address", false},
      {"", false},
      {"10.0.0.1%eth0", false},
      {"fe80::1%lo", false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.address);
    EXPECT_EQ(list.Contains(c.address), c.contained);
  }
}

TEST(CidrListTest, PrefixesOfEveryLength) {
  EXPECT_TRUE(MustParse("0.0.0.0/0").Contains("203.0.113.9"));
  EXPECT_FALSE(MustParse("0.0.0.0/0").Contains("2001:db8::1"));
  EXPECT_TRUE(MustParse("::/0").Contains("2001:db8::1"));
  // Odd prefix lengths: 192.0.2.128/25 is .128 to .255.
  const CidrList odd = MustParse("192.0.2.128/25,2001:db8:8000::/33");
  EXPECT_TRUE(odd.Contains("192.0.2.128"));
  EXPECT_TRUE(odd.Contains("192.0.2.255"));
  EXPECT_FALSE(odd.Contains("192.0.2.127"));
  EXPECT_TRUE(odd.Contains("2001:db8:8000::1"));
  EXPECT_FALSE(odd.Contains("2001:db8:7fff::1"));
  EXPECT_TRUE(MustParse("192.0.2.1/32").Contains("192.0.2.1"));
  EXPECT_FALSE(MustParse("192.0.2.1/32").Contains("192.0.2.0"));
}

TEST(CidrListTest, RejectsBadEntriesQuotingThem) {
  struct Case {
    const char* list;
    const char* message;
  };
  const Case kCases[] = {
      {"10.0.0.300/8", "cidr: entry \"10.0.0.300/8\": not an IPv4 or IPv6"},
      {"example.com", "entry \"example.com\": not an IPv4 or IPv6"},
      {"10.0.0.0/33", "entry \"10.0.0.0/33\": prefix length must be 0..32"},
      {"::/129", "entry \"::/129\": prefix length must be 0..128"},
      {"10.0.0.0/", "prefix length must be 0..32"},
      {"10.0.0.0/+8", "prefix length must be 0..32"},
      {"10.0.0.0/8/8", "prefix length must be 0..32"},
      {"10.0.0.0/ 8", "prefix length must be 0..32"},
      {"/8", "entry \"/8\": not an IPv4 or IPv6"},
      {"10.0.0.1/8",
       "entry \"10.0.0.1/8\": address has bits set past the "
       "/8 prefix"},
      {"2001:db8::1/32", "bits set past the /32 prefix"},
      {"fe80::1%eth0", "not an IPv4 or IPv6"},
      {"10.0.0.0/8,,::1", "cidr: empty entry in \"10.0.0.0/8,,::1\""},
      {"10.0.0.0/8,", "empty entry"},
      {"10.0.0.0/8,\x01", "entry \"\\001\""},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.list);
    EXPECT_THAT(
        CidrList::Parse(c.list),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(CidrListTest, CapsLongEntriesInMessages) {
  const std::string entry(200, '1');
  EXPECT_THAT(CidrList::Parse(entry),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(std::string(64, '1') + "\"..."),
                             ::testing::Not(HasSubstr(std::string(65, '1'))))));
}

}  // namespace
}  // namespace server
}  // namespace conf
