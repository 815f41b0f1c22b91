#include "codec/internal/xsd_values.h"

#include "gtest/gtest.h"

namespace conf {
namespace codec {
namespace internal {
namespace {

// Each expectation was checked against `xmllint --schema
// conference-info.xsd` (libxml2 2.9.14) on a document holding the value.
struct Case {
  const char* value;
  bool valid;
};

TEST(IsXsDateTimeTest, AcceptsWhatLibxml2Accepts) {
  const Case kCases[] = {
      {"2026-01-02T03:04:05Z", true},
      {"2026-01-02T03:04:05.5+01:00", true},
      {"2026-01-02T03:04:05.123456789", true},
      {"2024-02-29T00:00:00Z", true},
      {"2000-02-29T00:00:00", true},
      {"-0001-01-01T00:00:00", true},
      {"10000-01-01T00:00:00", true},
      {"2026-01-02T03:04:05+14:00", true},
      {"2026-01-02T03:04:05-13:59", true},
      {"2026-02-29T00:00:00Z", false},
      {"1900-02-29T00:00:00", false},
      {"2026-04-31T00:00:00", false},
      {"2026-13-01T00:00:00", false},
      {"0000-01-01T00:00:00", false},
      {"01000-01-01T00:00:00", false},
      {"2026-1-02T03:04:05", false},
      {"2026-01-02T03:04:60", false},
      {"2026-01-02T03:04:05.", false},
      {"2026-01-02T03:04", false},
      {"2026-01-02", false},
      {"2026-01-02T03:04:05+01", false},
      {"2026-01-02T03:04:05+14:01", false},
      {"2026-01-02T03:04:05z", false},
      {"yesterday", false},
      {"", false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(IsXsDateTime(c.value), c.valid) << c.value;
  }
  // libxml2 takes 24:00:00; we do not write it and need not accept it.
  EXPECT_FALSE(IsXsDateTime("2026-01-02T24:00:00Z"));
}

TEST(IsXsLanguageTest, AcceptsWhatLibxml2Accepts) {
  const Case kCases[] = {
      {"en", true},         {"en-US", true},
      {"zh-Hant-TW", true}, {"i-klingon", true},
      {"a-1", true},        {"abcdefgh", true},
      {"abcdefghi", false}, {"en-123456789", false},
      {"1en", false},       {"en-", false},
      {"-en", false},       {"en--US", false},
      {"en_US", false},     {"", false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(IsXsLanguage(c.value), c.valid) << c.value;
  }
}

TEST(IsXsAnyUriTest, AcceptsWhatLibxml2Accepts) {
  const Case kCases[] = {
      {"", true},
      {"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C", true},
      {"{09AA504C-BA41-4458-8669-8F35470F6CA2}", true},
      {"a b", true},
      {"sip:a|b", true},
      {"sip:a%20b", true},
      {"http://[::1]:80/x", true},
      {"//", true},
      {"x:y#z", true},
      {"sip:a#[x]", true},
      {"mailto:", true},
      {"a+:b", true},
      {"sip:%zz", false},
      {"sip:%4", false},
      {"%", false},
      {"sip:[::1]", false},
      {"sip:alice@[2001:db8::1]", false},
      {"sip:a]b", false},
      {"a#b#c", false},
      {":", false},
      {"1a:b", false},
      {"+a:b", false},
      {"http://h:/", false},
      {"http://h:8a/", false},
      {"http://a@b@c/", false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(IsXsAnyUri(c.value), c.valid) << c.value;
  }
}

}  // namespace
}  // namespace internal
}  // namespace codec
}  // namespace conf
