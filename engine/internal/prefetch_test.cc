#include "engine/internal/prefetch.h"

#include <array>
#include <cstring>
#include <memory>

#include "gtest/gtest.h"

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {
namespace {

// The 16 bytes at `address`: a control block's reference counts lie in them
// (libstdc++ and libc++ put them after the vtable pointer).
std::array<unsigned char, 16> BytesAt(const void* address) {
  std::array<unsigned char, 16> bytes;
  std::memcpy(bytes.data(), address, bytes.size());
  return bytes;
}

// Whether copying `p` updates the bytes at `count` (and dropping the copy
// restores them): `count` then names the line a copy writes.
template <typename T>
bool CopyUpdates(const T& p, const void* count) {
  const std::array<unsigned char, 16> before = BytesAt(count);
  bool changed = false;
  {
    const T copy = p;
    changed = BytesAt(count) != before;
  }
  return changed && BytesAt(count) == before;
}

TEST(SharedCountAddressTest, NamesTheControlBlockHoweverAllocated) {
  EXPECT_EQ(SharedCountAddress(std::shared_ptr<const User>()), nullptr);

  const auto made = std::make_shared<const User>();
  const void* count = SharedCountAddress(made);
  ASSERT_NE(count, nullptr);
  EXPECT_TRUE(CopyUpdates(made, count));
  // make_shared puts the counts just before the object.
  EXPECT_LT(count, static_cast<const void*>(made.get()));

  // A separate control block, and an aliasing pointer into the object: both
  // name the owner's counts.
  const std::shared_ptr<const User> separate(new User());
  EXPECT_TRUE(CopyUpdates(separate, SharedCountAddress(separate)));
  const std::shared_ptr<const UserId> alias(made, &made->entity);
  EXPECT_EQ(SharedCountAddress(alias), count);
  EXPECT_TRUE(CopyUpdates(alias, count));
}

TEST(BoxedTest, BoxAddressNamesTheSharedCount) {
  Boxed<EntityCapabilities> empty;
  EXPECT_EQ(internal::CountAddress(empty), nullptr);
  Boxed<EntityCapabilities> boxed = EntityCapabilities{};
  ASSERT_NE(internal::CountAddress(boxed), nullptr);
  EXPECT_TRUE(CopyUpdates(boxed, internal::CountAddress(boxed)));
  // A copy shares the box until it is modified.
  Boxed<EntityCapabilities> copy = boxed;
  EXPECT_EQ(internal::CountAddress(copy), internal::CountAddress(boxed));
  copy->supports_audio = true;
  EXPECT_NE(internal::CountAddress(copy), internal::CountAddress(boxed));

  BoxedVector<Extension> list;
  EXPECT_EQ(internal::CountAddress(list), nullptr);
  list.push_back(Extension{"urn:x", "y", "<y xmlns=\"urn:x\"/>"});
  ASSERT_NE(internal::CountAddress(list), nullptr);
  EXPECT_TRUE(CopyUpdates(list, internal::CountAddress(list)));
}
TEST(WebJoinUrisTest, CountAddressNamesTheSharedCount) {
  EXPECT_EQ(internal::CountAddress(WebJoinUris()), nullptr);
  const WebJoinUris uris("https://a/int", "https://a/ext");
  ASSERT_NE(internal::CountAddress(uris), nullptr);
  EXPECT_TRUE(CopyUpdates(uris, internal::CountAddress(uris)));
  const WebJoinUris copy = uris;
  EXPECT_EQ(internal::CountAddress(copy), internal::CountAddress(uris));
}

}  // namespace
}  // namespace internal
}  // namespace engine
}  // namespace conf
