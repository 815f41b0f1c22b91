#include "codec/wire_names.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace conf {
namespace codec {
namespace {

// Every enumerator of `Enum` (0 .. last) has a row, and parsing each name
// gives back a value with that name.
template <typename Enum, size_t N>
void ExpectComplete(const WireNameRow<Enum> (&table)[N], Enum last) {
  std::set<int> seen;
  for (const WireNameRow<Enum>& row : table) {
    seen.insert(static_cast<int>(row.value));
    const std::optional<Enum> parsed = ParseWireName(table, row.name);
    ASSERT_TRUE(parsed.has_value()) << row.name;
    EXPECT_EQ(WireName(table, *parsed), row.name);
  }
  for (int v = 0; v <= static_cast<int>(last); ++v) {
    EXPECT_EQ(seen.count(v), 1u) << "enumerator " << v << " has no row";
  }
}

TEST(WireNamesTest, TablesCoverEveryEnumerator) {
  ExpectComplete(kEndpointStatusNames, engine::EndpointStatus::kDisconnected);
  ExpectComplete(kJoiningMethodNames, engine::JoiningMethod::kFocusOwner);
  ExpectComplete(kDisconnectionMethodNames, engine::DisconnectionMethod::kBusy);
  ExpectComplete(kMediaStatusNames, engine::MediaStatus::kInactive);
  ExpectComplete(kAdmissionPolicyNames, engine::AdmissionPolicy::kAnonymous);
  ExpectComplete(kRoleNames, engine::Role::kAttendee);
}

TEST(WireNamesTest, ParsesWireSpellingsOnly) {
  EXPECT_EQ(ParseWireName(kEndpointStatusNames, "on-hold"),
            engine::EndpointStatus::kOnHold);
  EXPECT_EQ(ParseWireName(kMediaStatusNames, "recvonly"),
            engine::MediaStatus::kRecvOnly);
  EXPECT_EQ(ParseWireName(kRoleNames, "presenter"), engine::Role::kPresenter);
  EXPECT_FALSE(ParseWireName(kRoleNames, "organizer").has_value());
  EXPECT_FALSE(ParseWireName(kMediaStatusNames, "SendRecv").has_value());
  EXPECT_FALSE(ParseWireName(kEndpointStatusNames, "").has_value());
  EXPECT_EQ(WireName(kRoleNames, engine::Role::kOrganizer), "presenter");
}

}  // namespace
}  // namespace codec
}  // namespace conf
