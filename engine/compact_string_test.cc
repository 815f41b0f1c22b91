#include "engine/compact_string.h"

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace conf {
namespace engine {
namespace {

TEST(CompactStringTest, IsOneWord) {
  EXPECT_EQ(sizeof(CompactString), sizeof(void*));
}

TEST(CompactStringTest, DefaultIsEmpty) {
  CompactString s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_NE(s.data(), nullptr);
  EXPECT_EQ(s.view(), "");
  EXPECT_EQ(s, "");
  EXPECT_FALSE(s.IsHeapAllocatedForTest());
}

TEST(CompactStringTest, EmptyInputIsEmpty) {
  EXPECT_TRUE(CompactString("").empty());
  EXPECT_TRUE(CompactString(std::string()).empty());
  EXPECT_TRUE(CompactString(absl::string_view()).empty());
  EXPECT_EQ(CompactString(""), CompactString());
}

TEST(CompactStringTest, KeepsEverySizeAroundTheInlineLimit) {
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t n = 0; n <= text.size(); ++n) {
    SCOPED_TRACE(n);
    const std::string expected = text.substr(0, n);
    CompactString s(expected);
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.empty(), n == 0);
    EXPECT_EQ(s.view(), expected);
    EXPECT_EQ(std::string(s), expected);
    EXPECT_EQ(s.IsHeapAllocatedForTest(), n > CompactString::kMaxInline);
  }
}

TEST(CompactStringTest, ShortStringsAreInline) {
  CompactString s("audio");
  EXPECT_FALSE(s.IsHeapAllocatedForTest());
  // The bytes live in the object itself.
  const char* object = reinterpret_cast<const char*>(&s);
  EXPECT_GE(s.data(), object);
  EXPECT_LT(s.data(), object + sizeof(s));
}

TEST(CompactStringTest, VocabularyIsNotAllocated) {
  for (absl::string_view word :
       {"audio-video", "main-audio", "main-video", "connected",
        "applicationsharing", "dominant-speaker-switched"}) {
    SCOPED_TRACE(word);
    CompactString s(word);
    EXPECT_FALSE(s.IsHeapAllocatedForTest());
    EXPECT_EQ(s, word);
    // Two constructions share the same static bytes.
    EXPECT_EQ(CompactString(word).data(), s.data());
  }
  // A prefix or a near miss of a vocabulary word is an ordinary string.
  EXPECT_TRUE(CompactString("main-audio2").IsHeapAllocatedForTest());
  EXPECT_TRUE(CompactString("main-audiO").IsHeapAllocatedForTest());
}

TEST(CompactStringTest, KeepsEmbeddedNul) {
  const std::string short_nul("a\0b", 3);
  const std::string long_nul("abc\0def\0ghijk", 13);
  CompactString a(short_nul);
  CompactString b(long_nul);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.view(), short_nul);
  EXPECT_EQ(b.size(), 13u);
  EXPECT_EQ(b.view(), long_nul);
  EXPECT_NE(a, CompactString("a"));
  EXPECT_NE(b, CompactString("abc"));
  // A NUL as the last inline byte is not taken for padding.
  EXPECT_NE(CompactString(std::string("abc\0", 4)), CompactString("abc"));
}

TEST(CompactStringTest, CopiesShareHeapBytes) {
  CompactString a("sip:alice@fabrikam.com");
  CompactString b = a;
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(a, b);
  CompactString c;
  c = b;
  EXPECT_EQ(c.data(), a.data());
  a = CompactString();
  b.clear();
  // The last copy still owns the bytes.
  EXPECT_EQ(c, "sip:alice@fabrikam.com");
}

// The reference count that block_address() names (its first word).
uint32_t CountAt(const void* block) {
  uint32_t count = 0;
  std::memcpy(&count, block, sizeof(count));
  return count;
}

TEST(CompactStringTest, BlockAddressNamesTheSharedCount) {
  EXPECT_EQ(CompactString().block_address(), nullptr);
  EXPECT_EQ(CompactString("abc").block_address(), nullptr);  // Inline.
  // The vocabulary's static block is named too (never counted).
  EXPECT_NE(CompactString("audio-video").block_address(), nullptr);

  const CompactString uri("sip:alice@fabrikam.com;gruu;opaque=app:conf:chat");
  const void* block = uri.block_address();
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(CountAt(block), 1u);
  {
    const CompactString copy = uri;
    EXPECT_EQ(copy.block_address(), block);
    EXPECT_EQ(CountAt(block), 2u);
  }
  EXPECT_EQ(CountAt(block), 1u);
  // Equal bytes in another block: another address.
  EXPECT_NE(CompactString(std::string(uri.view())).block_address(), block);
}

TEST(CompactStringTest, MoveLeavesSourceEmpty) {
  CompactString a("sip:alice@fabrikam.com");
  const char* bytes = a.data();
  CompactString b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.data(), bytes);
  CompactString c("x");
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c, "sip:alice@fabrikam.com");
  CompactString inline_source("abc");
  CompactString d(std::move(inline_source));
  EXPECT_EQ(d, "abc");
}

TEST(CompactStringTest, SelfAssignmentKeepsValue) {
  CompactString a("sip:alice@fabrikam.com");
  CompactString& alias = a;
  a = alias;
  EXPECT_EQ(a, "sip:alice@fabrikam.com");
  a = std::move(alias);
  EXPECT_EQ(a, "sip:alice@fabrikam.com");
}

TEST(CompactStringTest, ComparesWithTextOnEitherSide) {
  CompactString s("presenter-extra");
  const std::string same = "presenter-extra";
  const absl::string_view view = same;
  EXPECT_TRUE(s == "presenter-extra");
  EXPECT_TRUE("presenter-extra" == s);
  EXPECT_TRUE(s == same);
  EXPECT_TRUE(same == s);
  EXPECT_TRUE(s == view);
  EXPECT_TRUE(view == s);
  EXPECT_TRUE(s != "presenter");
  EXPECT_TRUE("presenter" != s);
  EXPECT_TRUE(CompactString("abc") < CompactString("abd"));
  EXPECT_TRUE(CompactString("ab") < CompactString("abc"));
  EXPECT_TRUE(CompactString() < CompactString("a"));
  EXPECT_TRUE(CompactString("abc") < "abd");
  EXPECT_TRUE("abc" < CompactString("abd"));
  EXPECT_FALSE(CompactString("b") < CompactString("a"));
  EXPECT_TRUE(CompactString("b") > CompactString("a"));
  EXPECT_TRUE(CompactString("a") <= CompactString("a"));
  EXPECT_TRUE(CompactString("a") >= CompactString("a"));
}

TEST(CompactStringTest, EqualStringsFromDifferentBlocksAreEqual) {
  std::string text = "sip:user1@fabrikam.com";
  CompactString a(text);
  CompactString b(text);
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a < b);
}

TEST(CompactStringTest, HashesLikeStringView) {
  for (absl::string_view text :
       {"", "abc", "main-audio", "sip:alice@fabrikam.com"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(absl::Hash<CompactString>()(CompactString(text)),
              absl::Hash<absl::string_view>()(text));
  }
  absl::flat_hash_set<CompactString> set = {"a", "main-audio",
                                            "sip:alice@fabrikam.com"};
  EXPECT_TRUE(set.contains(CompactString("sip:alice@fabrikam.com")));
  EXPECT_TRUE(set.contains(CompactString("main-audio")));
  EXPECT_FALSE(set.contains(CompactString("b")));
}

TEST(CompactStringTest, ConvertsToStringView) {
  CompactString s("sip:alice@fabrikam.com");
  auto takes_view = [](absl::string_view v) { return v.size(); };
  EXPECT_EQ(takes_view(s), s.size());
  std::string appended = "<" + std::string(s) + ">";
  EXPECT_EQ(appended, "<sip:alice@fabrikam.com>");
  std::string from_range(s.begin(), s.end());
  EXPECT_EQ(from_range, "sip:alice@fabrikam.com");
  EXPECT_EQ(s[4], 'a');
}

TEST(CompactStringTest, StreamsItsBytes) {
  std::ostringstream out;
  out << CompactString("main-video") << "|" << CompactString("ab");
  EXPECT_EQ(out.str(), "main-video|ab");
}

TEST(CompactStringTest, CopiesAndDestroysSharedBytesFromManyThreads) {
  const CompactString shared("sip:organizer@fabrikam.com;gruu;opaque=x");
  constexpr int kThreads = 4;
  constexpr int kCopies = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&shared] {
      std::vector<CompactString> copies;
      copies.reserve(64);
      for (int i = 0; i < kCopies; ++i) {
        copies.push_back(shared);
        if (copies.size() == 64) {
          copies.clear();
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(shared, "sip:organizer@fabrikam.com;gruu;opaque=x");
}

}  // namespace
}  // namespace engine
}  // namespace conf
