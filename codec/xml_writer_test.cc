#include "codec/xml_writer.h"

#include <memory>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

#include "testing/sample_conferences.h"

namespace conf {
namespace codec {
namespace {

TEST(XmlWriterTest, WritesNestedElementsAttributesAndText) {
  XmlWriter w;
  w.StartElement("a");
  w.Attribute("x", "1");
  w.StartElement("b");
  w.Text("hi");
  w.EndElement();
  w.StartElement("c");
  w.EndElement();
  w.TextElement("d", "");
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(), "<a x=\"1\"><b>hi</b><c/><d></d></a>");
}

TEST(XmlWriterTest, EscapesMarkupCharactersInTextAndAttributes) {
  XmlWriter w;
  w.StartElement("e");
  w.Attribute("v", "a&b<c>d\"e'f");
  w.Text("a&b<c>d\"e'f]]>");
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(),
            "<e v=\"a&amp;b&lt;c&gt;d&quot;e&apos;f\">"
            "a&amp;b&lt;c&gt;d&quot;e&apos;f]]&gt;</e>");
}

TEST(XmlWriterTest, KeepsWhitespaceThroughNormalization) {
  XmlWriter w;
  w.StartElement("e");
  w.Attribute("v", "a\tb\nc\rd");
  w.Text("a\tb\nc\rd");
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(),
            "<e v=\"a&#9;b&#10;c&#13;d\">a\tb\nc&#13;d</e>");
}

TEST(XmlWriterTest, ReplacesCharactersXmlCannotCarry) {
  struct Case {
    const char* name;
    std::string in;
    std::string out;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"nul", std::string("a\0b", 3), "a" + fffd + "b"},
      {"control",
       "a\x01\x1f"
       "b",
       "a" + fffd + fffd + "b"},
      {"lone continuation",
       "a\x80"
       "b",
       "a" + fffd + "b"},
      {"overlong slash", "\xC0\xAF", fffd + fffd},
      {"overlong 3-byte", "\xE0\x80\xAF", fffd + fffd + fffd},
      {"surrogate", "\xED\xA0\x80", fffd + fffd + fffd},
      {"U+FFFE", "\xEF\xBF\xBE", fffd + fffd + fffd},
      {"above U+10FFFF", "\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"truncated", "a\xE2\x82", "a" + fffd + fffd},
      {"valid 2-byte", "caf\xC3\xA9", "caf\xC3\xA9"},
      {"valid 3-byte", "\xE2\x82\xAC", "\xE2\x82\xAC"},
      {"valid 4-byte", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"no-break space", "\xC2\xA0", "\xC2\xA0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    XmlWriter w;
    w.StartElement("e");
    w.Text(c.in);
    w.EndElement();
    EXPECT_EQ(std::move(w).Finish(), "<e>" + c.out + "</e>");
  }
}

TEST(XmlWriterTest, EscapesSpecialCharactersAtEveryPositionOfLongRuns) {
  // Exercises the 16-byte scan: the special byte lands in every lane and in
  // the scalar tail.
  for (size_t pos = 0; pos < 40; ++pos) {
    std::string in(40, 'x');
    in[pos] = '<';
    std::string want(40, 'x');
    want.replace(pos, 1, "&lt;");
    XmlWriter w(1);
    w.StartElement("e");
    w.Text(in);
    w.EndElement();
    EXPECT_EQ(std::move(w).Finish(), "<e>" + want + "</e>") << pos;
  }
}

TEST(XmlWriterTest, PlainPrefixLengthStopsAtFirstSpecialByte) {
  EXPECT_EQ(internal::PlainPrefixLength(""), 0u);
  EXPECT_EQ(internal::PlainPrefixLength("abc"), 3u);
  EXPECT_EQ(internal::PlainPrefixLength(std::string(33, 'a') + "'"), 33u);
  EXPECT_EQ(internal::PlainPrefixLength(std::string(17, 'a') + "\xC3\xA9"),
            17u);
  EXPECT_EQ(internal::PlainPrefixLength(std::string(5, 'a') + "\n"), 5u);
}

// Every byte value at every position of texts of every length up to 50 (the
// 16-byte steps, the overlapping last 16 bytes and the byte loop), with a
// second special byte after it: the answer is the first special position.
TEST(XmlWriterTest, PlainPrefixLengthFindsTheFirstSpecialByteAnywhere) {
  auto special = [](int c) {
    return c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' ||
           c == '"' || c == '\'';
  };
  for (size_t length = 1; length <= 50; ++length) {
    ASSERT_EQ(internal::PlainPrefixLength(std::string(length, 'q')), length);
    for (size_t pos = 0; pos < length; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string text(length, 'q');
        text[pos] = static_cast<char>(c);
        if (pos + 1 < length) {
          text[length - 1] = '<';
        }
        const size_t expected =
            special(c) ? pos : (pos + 1 < length ? length - 1 : length);
        ASSERT_EQ(internal::PlainPrefixLength(text), expected)
            << "byte " << c << " at " << pos << " of " << length;
      }
    }
  }
}

TEST(IsVerbatimTextTest, TrueForEveryBase64Length) {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  std::string text;
  for (size_t length = 0; length <= 200; ++length) {
    EXPECT_TRUE(IsVerbatimText(text)) << length;
    text.push_back(alphabet[length % alphabet.size()]);
  }
}

// Every byte value at every position of texts of every length up to 70 (the
// SSE2 steps of 32 and 16 bytes, the overlapping last 16 and the byte loop):
// true exactly for the bytes the contract allows, and a true answer always
// agrees with what XmlWriter writes for the text.
TEST(IsVerbatimTextTest, RejectsEveryByteThatMayNeedEscapingAtEveryPosition) {
  for (size_t length = 1; length <= 70; ++length) {
    for (size_t pos = 0; pos < length; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string text(length, 'Q');
        text[pos] = static_cast<char>(c);
        const bool allowed = c >= 0x28 && c < 0x80 && c != '<' && c != '>';
        ASSERT_EQ(IsVerbatimText(text), allowed)
            << "byte " << c << " at " << pos << " of " << length;
        if (allowed) {
          XmlWriter w;
          w.StartElement("e");
          w.Attribute("a", text);
          w.Text(text);
          w.EndElement();
          ASSERT_EQ(std::move(w).Finish(),
                    "<e a=\"" + text + "\">" + text + "</e>");
        }
      }
    }
  }
}

TEST(XmlWriterTest, RawIsCopiedVerbatimAndClosesTheStartTag) {
  XmlWriter w;
  w.StartElement("a");
  w.RawAttributes(" k=\"v\"");
  w.Raw("<b>&amp;</b>");
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(), "<a k=\"v\"><b>&amp;</b></a>");
}

TEST(XmlWriterTest, NumericAttributesAreDecimal) {
  XmlWriter w;
  w.StartElement("a");
  w.Attribute("version", uint64_t{4294967295});
  w.Attribute("zero", uint64_t{0});
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(), "<a version=\"4294967295\" zero=\"0\"/>");
}

TEST(XmlWriterTest, GrowsFromATinyBufferWithoutLosingBytes) {
  XmlWriter w(1);
  w.StartElement("root");
  std::string want = "<root>";
  for (int i = 0; i < 1000; ++i) {
    w.TextElement("item", "v&");
    want += "<item>v&amp;</item>";
  }
  w.EndElement();
  want += "</root>";
  EXPECT_EQ(w.depth(), 0u);
  EXPECT_EQ(std::move(w).Finish(), want);
}

TEST(XmlWriterTest, EscapesAfterALongPlainPrefixAndGrowsOnlyForIt) {
  // A long clean run, then characters that need escaping, then another run:
  // the clean part is copied as it is and only the rest is reserved at the
  // worst case.
  const std::string plain(5000, 'p');
  XmlWriter w(16);
  w.StartElement("e");
  w.Attribute("a", plain + "\t\"" + plain);
  w.Text(plain + "<\xC3\xA9\x01" + plain);
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(),
            "<e a=\"" + plain + "&#9;&quot;" + plain + "\">" + plain +
                "&lt;\xC3\xA9\xEF\xBF\xBD" + plain + "</e>");
}

TEST(XmlWriterTest, ReleaseBufferHandsOverTheWrittenBytes) {
  XmlWriter w(2);
  w.StartElement("a");
  w.TextElement("b", "x&y");
  w.EndElement();
  const size_t size = w.size();
  const std::string expected(w.view());
  std::unique_ptr<char[]> bytes = std::move(w).ReleaseBuffer();
  EXPECT_EQ(std::string(bytes.get(), size), expected);
  EXPECT_EQ(expected, "<a><b>x&amp;y</b></a>");
}

// A writer started in a caller's scratch writes there until it outgrows it,
// then carries on in a heap buffer with the bytes so far; the output is the
// same at every scratch size, and the scratch is never written past its end.
TEST(XmlWriterTest, ScratchBufferGivesTheSameOutputAtEverySize) {
  auto write = [](XmlWriter& w) {
    w.StartElement("a");
    w.Attribute("k", "v<w");
    w.TextElement("b", "x&y");
    w.Raw("<c/>");
    w.EndElement();
  };
  XmlWriter reference(1024);
  write(reference);
  const std::string expected = std::move(reference).Finish();
  ASSERT_EQ(expected, "<a k=\"v&lt;w\"><b>x&amp;y</b><c/></a>");
  for (size_t capacity = 0; capacity <= expected.size() + 1; ++capacity) {
    SCOPED_TRACE(capacity);
    // A guard byte after the scratch.
    std::string scratch(capacity + 1, '#');
    {
      XmlWriter w(scratch.data(), capacity);
      write(w);
      EXPECT_EQ(w.view(), expected);
      EXPECT_EQ(std::move(w).Finish(), expected);
    }
    EXPECT_EQ(scratch.back(), '#');
    if (capacity >= expected.size()) {
      EXPECT_EQ(scratch.substr(0, expected.size()), expected);  // stayed
    }
    XmlWriter released(scratch.data(), capacity);
    write(released);
    const size_t size = released.size();
    std::unique_ptr<char[]> bytes = std::move(released).ReleaseBuffer();
    EXPECT_EQ(std::string(bytes.get(), size), expected);
    EXPECT_NE(bytes.get(), scratch.data());  // the caller's scratch stays its
  }
}

TEST(XmlWriterTest, EmptyValuesWriteNothing) {
  XmlWriter w(0);
  w.StartElement("a");
  w.Attribute("v", absl::string_view());
  w.Raw(absl::string_view());
  w.Text(absl::string_view());
  w.EndElement();
  EXPECT_EQ(std::move(w).Finish(), "<a v=\"\"></a>");
}

TEST(XmlWriterTest, RandomBytesAlwaysMakeWellFormedXml) {
  // Every byte value, valid and invalid UTF-8 alike, in text and attributes.
  std::mt19937 rng(42);
  XmlWriter w;
  w.StartElement("root");
  for (int i = 0; i < 2000; ++i) {
    std::string value(std::uniform_int_distribution<int>(0, 40)(rng), '\0');
    for (char& c : value) {
      c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    w.StartElement("e");
    w.Attribute("v", value);
    w.Text(value);
    w.EndElement();
  }
  w.EndElement();
  const testing::XmllintResult r = testing::RunXmllint(
      "random.xml", std::move(w).Finish(), testing::Schema::kNone);
  if (!r.ran) {
    GTEST_SKIP() << r.skip_reason;
  }
  EXPECT_TRUE(r.ok) << r.output.substr(0, 2000);
}

}  // namespace
}  // namespace codec
}  // namespace conf
