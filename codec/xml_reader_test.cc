#include "codec/xml_reader.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<char> Bytes(absl::string_view s) {
  return std::vector<char>(s.begin(), s.end());
}

absl::StatusOr<XmlDocument> ParseString(absl::string_view s,
                                        const ParseLimits& limits = {}) {
  return XmlDocument::Parse(Bytes(s), limits);
}

TEST(XmlDocumentTest, ResolvesNamespacesWhateverThePrefix) {
  absl::StatusOr<XmlDocument> doc = ParseString(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<x:request xmlns:x=\"urn:ietf:params:xml:ns:cccp\" requestId=\"5\">"
      "<getConference xmlns=\"urn:ietf:params:xml:ns:cccp\" "
      "xmlns:q=\"urn:q\" q:a=\"1\" a=\"2\"/></x:request>");
  ASSERT_THAT(doc, IsOk());
  const XmlElement& root = doc->root();
  EXPECT_TRUE(root.Is("urn:ietf:params:xml:ns:cccp", "request"));
  ASSERT_NE(root.FindAttribute("", "requestId"), nullptr);
  EXPECT_EQ(root.FindAttribute("", "requestId")->value, "5");
  const XmlElement* get = root.first_child;
  ASSERT_NE(get, nullptr);
  EXPECT_TRUE(get->Is("urn:ietf:params:xml:ns:cccp", "getConference"));
  EXPECT_EQ(get->FindAttribute("urn:q", "a")->value, "1");
  EXPECT_EQ(get->FindAttribute("", "a")->value, "2");
  EXPECT_EQ(get->parent, &root);
  EXPECT_EQ(get->depth, 2);
}

TEST(XmlDocumentTest, ResolvesReferencesAndJoinsCdataInPlace) {
  absl::StatusOr<XmlDocument> doc = ParseString(
      "<a v=\"x&amp;y&#x41;&#66;\">1&lt;2<![CDATA[<b>]]>&quot;<!-- c -->z</a>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->root().attributes[0].value, "x&yAB");
  EXPECT_EQ(doc->root().text, "1<2<b>\"z");
}

TEST(XmlDocumentTest, NormalizesWhiteSpaceInAttributeValues) {
  absl::StatusOr<XmlDocument> doc = ParseString("<a v=\"x\ty\nz&#10;\"/>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->root().attributes[0].value, "x y z\n");
}

TEST(XmlDocumentTest, SerializedFragmentCarriesItsNamespaces) {
  absl::StatusOr<XmlDocument> doc = ParseString(
      "<r xmlns=\"urn:d\" xmlns:m=\"urn:m\" xmlns:u=\"urn:unused\">"
      "<m:ext a=\"&quot;&lt;\" m:b=\"1\"><inner>t&amp;</inner><m:e/></m:ext>"
      "</r>");
  ASSERT_THAT(doc, IsOk());
  const std::string fragment = doc->SerializeFragment(*doc->root().first_child);
  EXPECT_EQ(fragment,
            "<m:ext xmlns:m=\"urn:m\" xmlns=\"urn:d\" a=\"&quot;&lt;\" "
            "m:b=\"1\"><inner>t&amp;</inner><m:e/></m:ext>");
  // The fragment parses on its own to the same names.
  absl::StatusOr<XmlDocument> again = ParseString(fragment);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->root().Is("urn:m", "ext"));
  EXPECT_TRUE(again->root().first_child->Is("urn:d", "inner"));
  EXPECT_EQ(again->root().first_child->text, "t&");
}

TEST(XmlDocumentTest, SerializedFragmentUndeclaresDefaultWhenInNoNamespace) {
  absl::StatusOr<XmlDocument> doc =
      ParseString("<p:r xmlns:p=\"urn:p\"><e/></p:r>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->SerializeFragment(*doc->root().first_child),
            "<e xmlns=\"\"/>");
}

struct RejectCase {
  const char* name;
  std::string body;
  absl::StatusCode code;
  const char* message;
};

std::vector<RejectCase> RejectCases() {
  return {
      {"mismatched end tag", "<a><b></a></b>",
       absl::StatusCode::kInvalidArgument, "end tag </a> does not match <b>"},
      {"several roots", "<a/><b/>", absl::StatusCode::kInvalidArgument,
       "second root element"},
      {"text after root", "<a/>x", absl::StatusCode::kInvalidArgument,
       "content after the root element"},
      {"duplicate attribute", "<a x=\"1\" x=\"2\"/>",
       absl::StatusCode::kInvalidArgument, "duplicate attribute x"},
      {"duplicate expanded attribute",
       "<a xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:x=\"1\" q:x=\"2\"/>",
       absl::StatusCode::kInvalidArgument, "duplicate attribute q:x"},
      {"lt in attribute", "<a x=\"<\"/>", absl::StatusCode::kInvalidArgument,
       "'<' in value of attribute x"},
      {"invalid utf8", "<a>\xC3\x28</a>", absl::StatusCode::kInvalidArgument,
       "invalid UTF-8 byte 0xC3"},
      {"overlong utf8", "<a>\xC0\xAF</a>", absl::StatusCode::kInvalidArgument,
       "invalid UTF-8"},
      {"surrogate utf8", "<a>\xED\xA0\x80</a>",
       absl::StatusCode::kInvalidArgument, "invalid UTF-8"},
      {"control char", std::string("<a>\x01</a>"),
       absl::StatusCode::kInvalidArgument, "character U+0001 not allowed"},
      {"nul byte", std::string("<a>\0</a>", 8),
       absl::StatusCode::kInvalidArgument, "U+0000 (NUL) not allowed"},
      {"char ref zero", "<a>&#0;</a>", absl::StatusCode::kInvalidArgument,
       "&#0; not allowed"},
      {"char ref overflow", "<a>&#99999999999999999999;</a>",
       absl::StatusCode::kInvalidArgument, "out of range"},
      {"char ref hex overflow", "<a>&#x110000;</a>",
       absl::StatusCode::kInvalidArgument, "out of range"},
      {"char ref non xml char", "<a>&#xFFFE;</a>",
       absl::StatusCode::kInvalidArgument, "U+FFFE"},
      {"char ref surrogate", "<a x=\"&#xD800;\"/>",
       absl::StatusCode::kInvalidArgument, "U+D800"},
      {"char ref upper X", "<a>&#X41;</a>", absl::StatusCode::kInvalidArgument,
       "malformed character reference"},
      {"undefined entity", "<a>&nbsp;</a>", absl::StatusCode::kInvalidArgument,
       "undefined entity reference '&nbsp'"},
      {"bare ampersand", "<a>a & b</a>", absl::StatusCode::kInvalidArgument,
       "undefined entity reference"},
      {"doctype", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
       absl::StatusCode::kInvalidArgument, "DOCTYPE not allowed"},
      {"entity declaration", "<!ENTITY x \"y\"><a/>",
       absl::StatusCode::kInvalidArgument, "markup declaration not allowed"},
      {"processing instruction", "<a><?pi x?></a>",
       absl::StatusCode::kInvalidArgument, "processing instruction"},
      {"late xml declaration", " <?xml version=\"1.0\"?><a/>",
       absl::StatusCode::kInvalidArgument, "processing instruction"},
      {"declaration with other encoding",
       "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
       absl::StatusCode::kInvalidArgument, "unsupported encoding"},
      {"double dash in comment", "<a><!-- x -- y --></a>",
       absl::StatusCode::kInvalidArgument, "'--' inside a comment"},
      {"cdata end in text", "<a>]]></a>", absl::StatusCode::kInvalidArgument,
       "']]>' in text"},
      {"bad name start", "<1a/>", absl::StatusCode::kInvalidArgument,
       "expected element name but found '1'"},
      {"two colons", "<a:b:c/>", absl::StatusCode::kInvalidArgument,
       "expected white space"},
      {"undeclared prefix", "<p:a/>", absl::StatusCode::kInvalidArgument,
       "undeclared namespace prefix p"},
      {"undeclared attribute prefix", "<a p:x=\"1\"/>",
       absl::StatusCode::kInvalidArgument, "undeclared namespace prefix p"},
      {"empty prefixed namespace", "<a xmlns:p=\"\"/>",
       absl::StatusCode::kInvalidArgument, "empty namespace URI"},
      {"rebinding xml", "<a xmlns:xml=\"urn:x\"/>",
       absl::StatusCode::kInvalidArgument, "reserved namespace binding"},
      {"no space between attributes", "<a x=\"1\"y=\"2\"/>",
       absl::StatusCode::kInvalidArgument, "expected white space"},
      {"unquoted attribute", "<a x=1/>", absl::StatusCode::kInvalidArgument,
       "expected a quoted value"},
      {"unterminated", "<a><b>", absl::StatusCode::kInvalidArgument,
       "end of data inside <b>"},
      {"mixed content", "<a>x<b/></a>", absl::StatusCode::kInvalidArgument,
       "text mixed with child elements"},
      {"empty body", "", absl::StatusCode::kInvalidArgument, "no root element"},
      {"no-break space in tag", "<a\xC2\xA0x=\"1\"/>",
       absl::StatusCode::kInvalidArgument, "U+00A0 (no-break space"},
      {"depth over limit", std::string(33 * 3, ' '),  // replaced below
       absl::StatusCode::kResourceExhausted, "nested deeper than 32"},
  };
}

TEST(XmlDocumentTest, RejectsEachMalformedInputWithItsOwnError) {
  std::vector<RejectCase> cases = RejectCases();
  std::string deep;
  for (int i = 0; i < 33; ++i)
    deep += "<a>";
  for (int i = 0; i < 33; ++i)
    deep += "</a>";
  cases.back().body = deep;
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseString(c.body), StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST(XmlDocumentTest, ErrorsNameOffsetLineAndColumn) {
  EXPECT_THAT(ParseString("<a>\n  <b x='1' x='2'/></a>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at offset 15 (line 2, column 12)")));
}

TEST(XmlDocumentTest, RefusesHundredThousandLevelsQuickly) {
  std::string body;
  body.reserve(700000);
  for (int i = 0; i < 100000; ++i)
    body += "<a>";
  for (int i = 0; i < 100000; ++i)
    body += "</a>";
  ParseLimits limits;
  limits.max_bytes = body.size();
  EXPECT_THAT(ParseString(body, limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("nested deeper than 32 levels")));
}

TEST(XmlDocumentTest, RefusesTenMebibyteBodyBeforeScanning) {
  std::vector<char> body(10 << 20, 'x');
  EXPECT_THAT(XmlDocument::Parse(std::move(body)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("body of 10485760 bytes exceeds the limit of "
                                 "65536 bytes")));
}

TEST(XmlDocumentTest, RefusesFortyThousandAttributesOnOneElement) {
  std::string body = "<a";
  for (int i = 0; i < 40000; ++i)
    absl::StrAppend(&body, " a", i, "=\"\"");
  body += "/>";
  ParseLimits limits;
  limits.max_bytes = body.size();
  EXPECT_THAT(ParseString(body, limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("more than 64 attributes on <a>")));
}

TEST(XmlDocumentTest, RefusesTooManyElements) {
  std::string body = "<a>";
  for (int i = 0; i < 5000; ++i)
    body += "<b/>";
  body += "</a>";
  EXPECT_THAT(ParseString(body),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("more than 4096 elements")));
}

TEST(XmlDocumentTest, AcceptsBomDeclarationCommentsAndTrailingWhiteSpace) {
  EXPECT_THAT(ParseString("\xEF\xBB\xBF<?xml version='1.0'?><!-- c -->\n<a/>"
                          "<!-- d -->\n"),
              IsOk());
}

// Inputs where a tokenizer that differs from RapidXML's would go wrong.
TEST(XmlDocumentTest, AgreesWithRapidXmlOnTrickyWellFormedInput) {
  struct Case {
    const char* body;
    const char* attribute;  // value of the root's attribute `v`
    const char* text;       // text of the root's first child, or root
  };
  const Case kCases[] = {
      {"<r v='say \"hi\"'><c>x</c></r>", "say \"hi\"", "x"},
      {"<r v=\"it's > ok\"><c>a > b</c></r>", "it's > ok", "a > b"},
      {"<r v=''><!-- <c>not</c> --><c><![CDATA[<c>]]></c></r>", "", "<c>"},
      {"<r v='&lt;&#x3C;'><c >]]&gt;</c ></r >", "<<", "]]>"},
      {"<r\tv\n=\r'1'\n><c>]</c></r>", "1", "]"},
      {"<r v='-->'><c><!----></c></r>", "-->", ""},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<XmlDocument> doc = ParseString(c.body);
    ASSERT_THAT(doc, IsOk());
    ASSERT_NE(doc->root().FindAttribute("", "v"), nullptr);
    EXPECT_EQ(doc->root().FindAttribute("", "v")->value, c.attribute);
    ASSERT_NE(doc->root().first_child, nullptr);
    EXPECT_EQ(doc->root().first_child->text, c.text);
    EXPECT_EQ(doc->element_count(), 2u);
  }
}

TEST(XmlDocumentTest, LineNumbersCountLineFeedsNormalizedInAttributes) {
  EXPECT_THAT(ParseString("<a x=\"1\n2\">\n<p:b/></a>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("undeclared namespace prefix p on <p:b> at "
                                 "offset 12 (line 3, column 1)")));
}

TEST(XmlDocumentTest, AcceptsNonAsciiNamesAndText) {
  absl::StatusOr<XmlDocument> doc = ParseString(
      "<\xC3\xA9l\xC3\xA9ment>caf\xC3\xA9 \xF0\x9F\x98\x80</"
      "\xC3\xA9l\xC3\xA9ment>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->root().text, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

// Text and attribute values are scanned 16 bytes at a time: every byte that
// ends a plain run must be seen wherever it falls in a block, and the error
// must name its offset.
TEST(XmlDocumentTest, FindsEachSpecialByteAtEveryPositionOfALongRun) {
  struct Case {
    const char* name;
    std::string inserted;
    bool in_text;
    absl::StatusCode code;
    const char* message;  // "" when the document parses
    std::string text;     // the value read back, "" when refused
  };
  const Case kCases[] = {
      {"control in text", "\x01", true, absl::StatusCode::kInvalidArgument,
       "character U+0001 not allowed in text", ""},
      {"DEL in text", "\x7F", true, absl::StatusCode::kInvalidArgument,
       "character U+007F not allowed in text", ""},
      {"bad UTF-8 in text", "\xC3", true, absl::StatusCode::kInvalidArgument,
       "invalid UTF-8 byte 0xC3 in text", ""},
      {"]]> in text", "]]>", true, absl::StatusCode::kInvalidArgument,
       "']]>' in text", ""},
      {"undefined entity in text", "&nope;", true,
       absl::StatusCode::kInvalidArgument, "undefined entity reference", ""},
      {"reference in text", "&amp;", true, absl::StatusCode::kOk, "", "&"},
      {"line feed and tab in text", "\n\t\r", true, absl::StatusCode::kOk, "",
       "\n\t\r"},
      {"two-byte UTF-8 in text", "\xC3\xA9", true, absl::StatusCode::kOk, "",
       "\xC3\xA9"},
      {"bracket in text", "]", true, absl::StatusCode::kOk, "", "]"},
      {"control in attribute", "\x01", false,
       absl::StatusCode::kInvalidArgument,
       "character U+0001 not allowed in attribute value", ""},
      {"< in attribute", "<", false, absl::StatusCode::kInvalidArgument,
       "'<' in value of attribute v", ""},
      {"reference in attribute", "&lt;", false, absl::StatusCode::kOk, "", "<"},
      {"other quote in attribute", "'", false, absl::StatusCode::kOk, "", "'"},
      {"tab in attribute", "\t", false, absl::StatusCode::kOk, "", " "},
      {"three-byte UTF-8 in attribute", "\xE2\x9C\x93", false,
       absl::StatusCode::kOk, "", "\xE2\x9C\x93"},
  };
  for (const Case& c : kCases) {
    for (size_t before = 0; before < 40; ++before) {
      SCOPED_TRACE(absl::StrCat(c.name, ", after ", before, " plain bytes"));
      const std::string plain_before(before, 'x');
      const std::string plain_after(37, 'y');
      const std::string value =
          absl::StrCat(plain_before, c.inserted, plain_after);
      const std::string prefix = c.in_text ? "<a>" : "<a v=\"";
      const std::string body = c.in_text ? absl::StrCat(prefix, value, "</a>")
                                         : absl::StrCat(prefix, value, "\"/>");
      absl::StatusOr<XmlDocument> doc = ParseString(body);
      if (c.code != absl::StatusCode::kOk) {
        EXPECT_THAT(doc, StatusIs(c.code, HasSubstr(c.message)));
        EXPECT_THAT(doc,
                    StatusIs(c.code, HasSubstr(absl::StrCat(
                                         "offset ", prefix.size() + before))));
        continue;
      }
      ASSERT_THAT(doc, IsOk());
      const absl::string_view read =
          c.in_text ? doc->root().text : doc->root().attributes[0].value;
      EXPECT_EQ(read, absl::StrCat(plain_before, c.text, plain_after));
    }
  }
}

// Every byte value at every position of a 64-byte plain run (text is
// checked 32 bytes per step): bytes outside 0x20-0x7E other than TAB, LF and
// CR are refused at their offset, all others (but the markup bytes, tested
// above) are kept as they are.
TEST(XmlDocumentTest, ClassifiesEveryByteValueAtEveryPositionOfARun) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (c == '<' || c == '&' || c == ']' || c == '"' || c == '\'')
      continue;
    const bool printable = b >= 0x20 && b < 0x7F;
    const bool space = c == '\t' || c == '\n' || c == '\r';
    for (size_t at = 0; at < 64; ++at) {
      SCOPED_TRACE(absl::StrCat("byte ", b, " at ", at));
      std::string run(64, 'Q');
      run[at] = c;
      absl::StatusOr<XmlDocument> text =
          ParseString(absl::StrCat("<a>", run, "</a>"));
      absl::StatusOr<XmlDocument> value =
          ParseString(absl::StrCat("<a v=\"", run, "\"/>"));
      if (printable || space) {
        ASSERT_THAT(text, IsOk());
        ASSERT_THAT(value, IsOk());
        // CR in text reaches the view as it is (RapidXML does no end-of-line
        // handling); attribute values turn TAB, LF and CR into spaces.
        EXPECT_EQ(text->root().text, run);
        std::string normalized = run;
        if (space)
          normalized[at] = ' ';
        EXPECT_EQ(value->root().attributes[0].value, normalized);
        continue;
      }
      EXPECT_THAT(text, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(absl::StrCat("offset ", 3 + at))));
      EXPECT_THAT(value, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr(absl::StrCat("offset ", 6 + at))));
    }
  }
}

// End tags are matched against the open element's name without rescanning
// it when the bytes agree; a longer, shorter or differently prefixed name,
// or one that goes on with non-ASCII characters, is still told apart.
TEST(XmlDocumentTest, MatchesEndTagsExactly) {
  struct Case {
    const char* body;
    const char* error;  // "" when the document parses
  };
  const Case kCases[] = {
      {"<abc></abc>", ""},
      {"<abc></abc >", ""},
      {"<abc></abc\n>", ""},
      {"<p:abc xmlns:p=\"urn:p\"></p:abc>", ""},
      {"<\xC3\xA9t\xC3\xA9></\xC3\xA9t\xC3\xA9>", ""},
      {"<ab\xC3\xA9></ab\xC3\xA9>", ""},
      {"<abc></ab>", "end tag </ab> does not match <abc>"},
      {"<ab></abc>", "end tag </abc> does not match <ab>"},
      {"<ab></ab\xC3\xA9>", "does not match <ab>"},
      {"<ab></ab:c>", "end tag </ab:c> does not match <ab>"},
      {"<ab></ab-c>", "end tag </ab-c> does not match <ab>"},
      {"<p:ab xmlns:p=\"urn:p\"></q:ab>", "does not match <p:ab>"},
      {"<ab></ab", "expected '>' in end tag </ab>"},
      {"<ab></ab/>", "expected '>' in end tag </ab>"},
      {"<ab></ab:>", "expected local name after ':'"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<XmlDocument> doc = ParseString(c.body);
    if (c.error[0] == '\0') {
      EXPECT_THAT(doc, IsOk());
    } else {
      EXPECT_THAT(doc, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr(c.error)));
    }
  }
}

// Qualified names take an ASCII fast path; names that go on with non-ASCII
// characters, or that break the QName rules, read as they did without it.
TEST(XmlDocumentTest, ScansAsciiAndNonAsciiQualifiedNames) {
  absl::StatusOr<XmlDocument> doc = ParseString(
      "<p:a\xC3\xA9 xmlns:p=\"urn:p\" b\xC3\xA9=\"1\" p:c=\"2\">"
      "<p:\xC3\xA9/></p:a\xC3\xA9>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_TRUE(doc->root().Is("urn:p", "a\xC3\xA9"));
  EXPECT_EQ(doc->root().FindAttribute("", "b\xC3\xA9")->value, "1");
  EXPECT_EQ(doc->root().FindAttribute("urn:p", "c")->value, "2");
  EXPECT_TRUE(doc->root().first_child->Is("urn:p", "\xC3\xA9"));

  const struct {
    const char* body;
    const char* error;
  } kRefused[] = {
      {"<a:b:c xmlns:a=\"urn:a\"/>", "expected white space"},
      {"<a:1/>", "expected local name after ':'"},
      {"<a b:=\"1\"/>", "expected local name after ':'"},
      {"<a\xC3\x97/>", "expected white space"},  // U+00D7 is no NameChar
      {"<a b=\"1\"c=\"2\"/>", "expected white space"},
  };
  for (const auto& c : kRefused) {
    SCOPED_TRACE(c.body);
    EXPECT_THAT(
        ParseString(c.body),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }
}

// Names are scanned 16 bytes at a time: every byte value at every position
// of a long element name ends it unless it is an ASCII name byte, and an
// ASCII byte that ends it cannot start anything a start tag accepts there.
TEST(XmlDocumentTest, ClassifiesEveryByteValueInsideALongName) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (c == ':')
      continue;  // a prefix; tested with namespaces
    const bool name_byte = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                           c == '.';
    // Never last: white space before "/>" is allowed.
    for (size_t at = 1; at < 39; ++at) {
      SCOPED_TRACE(absl::StrCat("byte ", b, " at ", at));
      std::string name(40, 'n');
      name[at] = c;
      absl::StatusOr<XmlDocument> doc =
          ParseString(absl::StrCat("<", name, "/>"));
      if (name_byte) {
        ASSERT_THAT(doc, IsOk());
        EXPECT_EQ(doc->root().qname, name);
      } else {
        EXPECT_THAT(doc, StatusIs(absl::StatusCode::kInvalidArgument));
      }
    }
  }
}

// Elements and attributes carry the index (plus one) of their namespace URI
// in the list given to Parse; 0 when it is not listed or when they are in no
// namespace. The id follows the URI, whatever the prefix or its scope.
TEST(XmlDocumentTest, GivesKnownNamespacesTheirIds) {
  const absl::string_view kKnown[] = {"urn:a", "urn:b",
                                      "http://www.w3.org/XML/1998/namespace"};
  absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(
      Bytes("<r xmlns=\"urn:a\" xmlns:p=\"urn:b\" xmlns:q=\"urn:other\" "
            "p:x=\"1\" y=\"2\" q:z=\"3\" xml:lang=\"en\">"
            "<p:c xmlns:p=\"urn:a\"/><q:d/><e xmlns=\"\"/>"
            "<f xmlns=\"urn:b\"/></r>"),
      ParseLimits(), kKnown);
  ASSERT_THAT(doc, IsOk());
  const XmlElement& r = doc->root();
  EXPECT_EQ(r.ns_id, 1);
  EXPECT_TRUE(r.IsKnown(1, "r"));
  EXPECT_FALSE(r.IsKnown(2, "r"));
  EXPECT_FALSE(r.IsKnown(1, "s"));
  EXPECT_EQ(r.FindAttribute("urn:b", "x")->ns_id, 2);
  EXPECT_EQ(r.FindAttribute("", "y")->ns_id, 0);
  EXPECT_EQ(r.FindAttribute("urn:other", "z")->ns_id, 0);
  EXPECT_EQ(
      r.FindAttribute("http://www.w3.org/XML/1998/namespace", "lang")->ns_id,
      3);
  const XmlElement* c = r.first_child;
  EXPECT_TRUE(c->IsKnown(1, "c"));  // p rebound to urn:a
  const XmlElement* d = c->next_sibling;
  EXPECT_EQ(d->ns_uri, "urn:other");
  EXPECT_EQ(d->ns_id, 0);
  const XmlElement* e = d->next_sibling;
  EXPECT_EQ(e->ns_uri, "");
  EXPECT_EQ(e->ns_id, 0);
  EXPECT_TRUE(e->next_sibling->IsKnown(2, "f"));

  // Without a list every id is 0.
  absl::StatusOr<XmlDocument> plain = ParseString("<r xmlns=\"urn:a\"/>");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->root().ns_id, 0);
}

// Base64 wrapped at 64 columns, as a client certificate arrives.
std::string WrappedBase64(size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  for (size_t i = 0; i < size; ++i)
    text.push_back((i + 1) % 65 == 0 ? '\n' : kAlphabet[(i * 7) % 64]);
  return text;
}

// A leaf's long plain text near the end of the body is moved out of
// RapidXML's way; it must read back the same, and every offset, line and
// column after it must be the body's.
TEST(XmlDocumentTest, ReadsLongLeafTextNearTheEndAsWritten) {
  const std::string cert = WrappedBase64(1200);
  const std::string body = absl::StrCat("<r xmlns=\"urn:r\">\n<k>", cert,
                                        "</k>\n<s v=\"a&amp;b\">x&lt;y</s>",
                                        "<t><![CDATA[z]]></t></r>");
  absl::StatusOr<XmlDocument> doc = ParseString(body);
  ASSERT_THAT(doc, IsOk());
  const XmlElement* k = doc->root().first_child;
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->local_name, "k");
  EXPECT_EQ(k->text, cert);
  EXPECT_EQ(k->offset, body.find("<k>"));
  EXPECT_EQ(doc->Where(k->offset), "offset 18 (line 2, column 1)");
  const XmlElement* s = k->next_sibling;
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->offset, body.find("<s "));
  EXPECT_EQ(s->attributes[0].value, "a&b");
  EXPECT_EQ(s->text, "x<y");
  const XmlElement* t = s->next_sibling;
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->offset, body.find("<t>"));
  EXPECT_EQ(t->text, "z");
  EXPECT_EQ(doc->SerializeFragment(*k),
            absl::StrCat("<k xmlns=\"urn:r\">", cert, "</k>"));

  // An error after the text names the body's offset and line.
  const std::string bad = absl::StrCat("<r>\n<k>", cert, "</k>\n<p:b/></r>");
  const size_t lines =
      3 + static_cast<size_t>(std::count(cert.begin(), cert.end(), '\n'));
  EXPECT_THAT(ParseString(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat("undeclared namespace prefix p "
                                              "on <p:b> at offset ",
                                              bad.find("<p:b"), " (line ",
                                              lines, ", column 1)"))));
  // Text mixed with elements after it is still refused where it is.
  const std::string mixed = absl::StrCat("<r><k>", cert, "</k>oops<b/></r>");
  EXPECT_THAT(
      ParseString(mixed),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat("text mixed with child elements in <r> "
                                      "at offset ",
                                      mixed.find("oops")))));
}

// Around the length and distance bounds of the move, with the longest of
// several candidates moved: every text reads back as written, but for
// content that is all white space, which reads as empty either way.
TEST(XmlDocumentTest, ReadsLeafTextsOfEveryLengthAndDistanceFromTheEnd) {
  for (size_t size : {1, 63, 64, 65, 300}) {
    for (size_t tail : {0, 200, 240, 241, 242, 300}) {
      SCOPED_TRACE(absl::StrCat(size, " bytes, ", tail, " after"));
      const std::string first = WrappedBase64(size);
      const std::string second = WrappedBase64(size / 2 + 64);
      // All white space when odd: RapidXML reads no text then, nor may we.
      const std::string padding(tail, tail % 2 == 1 ? ' ' : 'p');
      const std::string padding_read = tail % 2 == 1 ? "" : padding;
      const std::string body = absl::StrCat("<r><a>", first, "</a><b>", second,
                                            "</b><c>", padding, "</c></r>");
      absl::StatusOr<XmlDocument> doc = ParseString(body);
      ASSERT_THAT(doc, IsOk());
      const XmlElement* a = doc->root().first_child;
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->text, first);
      EXPECT_EQ(a->next_sibling->text, second);
      EXPECT_EQ(a->next_sibling->next_sibling->text, padding_read);
      EXPECT_EQ(a->next_sibling->next_sibling->offset, body.find("<c>"));
    }
  }
  // The root's own text.
  const std::string cert = WrappedBase64(500);
  absl::StatusOr<XmlDocument> root =
      ParseString(absl::StrCat("<r>", cert, "</r>"));
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(root->root().text, cert);
}

void ExpectSameTree(const XmlElement& a, const XmlElement& b) {
  EXPECT_EQ(a.qname, b.qname);
  EXPECT_EQ(a.ns_uri, b.ns_uri);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.offset, b.offset);
  ASSERT_EQ(a.attributes.size(), b.attributes.size());
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    EXPECT_EQ(a.attributes[i].qname, b.attributes[i].qname);
    EXPECT_EQ(a.attributes[i].value, b.attributes[i].value);
  }
  const XmlElement* x = a.first_child;
  const XmlElement* y = b.first_child;
  for (; x != nullptr && y != nullptr; x = x->next_sibling, y = y->next_sibling)
    ExpectSameTree(*x, *y);
  EXPECT_EQ(x == nullptr, y == nullptr);
}

// The same documents with 300 bytes of white space after the root, which
// keeps any text from being moved out of RapidXML's way: both must read the
// same, whatever the text holds.
TEST(XmlDocumentTest, MovedTextReadsAsRapidXmlReadsIt) {
  const std::string base64 = WrappedBase64(300);
  const std::string texts[] = {
      base64,
      absl::StrCat("  \n", base64, "\n  "),
      absl::StrCat(base64, "\t\r\n"),
      std::string(200, ' '),
      std::string(100, '\n'),
      absl::StrCat(base64, "&amp;"),
      absl::StrCat(base64, "<![CDATA[x]]>"),
      absl::StrCat(base64, "<!-- c -->y"),
      absl::StrCat(base64, "]"),
      absl::StrCat(base64, "\xC3\xA9"),
      absl::StrCat(base64, "<e/>"),
  };
  for (const std::string& text : texts) {
    SCOPED_TRACE(EscapeForError(text.substr(text.size() - 16)));
    const std::string body =
        absl::StrCat("<r xmlns:p=\"urn:p\" a=\"1\">\n<p:k b=\"2\">", text,
                     "</p:k>\n<s>x&lt;y</s></r>");
    absl::StatusOr<XmlDocument> moved = ParseString(body);
    absl::StatusOr<XmlDocument> kept =
        ParseString(absl::StrCat(body, std::string(300, ' ')));
    ASSERT_EQ(moved.ok(), kept.ok());
    if (!moved.ok()) {
      EXPECT_EQ(moved.status(), kept.status());
      continue;
    }
    ExpectSameTree(moved->root(), kept->root());
  }
}

// The duplicate-attribute check compares bytes only for names of the same
// length and the same first and last bytes; its list is reused from tag to
// tag, so a name on an earlier tag must never count.
TEST(XmlDocumentTest, DuplicateAttributesFoundWhateverTheirNamesShare) {
  EXPECT_THAT(
      ParseString("<a abc=\"1\" axc=\"2\" abd=\"3\" bbc=\"4\" ab=\"5\"/>"),
      IsOk());
  EXPECT_THAT(ParseString("<a abc=\"1\" axc=\"2\" abc=\"3\"/>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate attribute abc")));
  EXPECT_THAT(ParseString("<a x=\"1\" xmlns:x=\"urn:x\" x:x=\"2\" x=\"3\"/>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate attribute x on <a>")));
  EXPECT_THAT(ParseString("<r x=\"1\" y=\"2\" z=\"3\"><a z=\"1\"/>"
                          "<b y=\"1\" x=\"2\"/><c/><d x=\"1\"/></r>"),
              IsOk());

  // More attributes than the list holds inline, then fewer, then more again.
  std::string many;
  for (int i = 0; i < 40; ++i)
    absl::StrAppend(&many, " a", i, "=\"", i, "\"");
  absl::StatusOr<XmlDocument> doc = ParseString(
      absl::StrCat("<r", many, "><s a39=\"x\" a0=\"y\"/><t", many, "/></r>"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->root().attributes.size(), 40u);
  for (int dup : {0, 16, 17, 39}) {
    SCOPED_TRACE(dup);
    EXPECT_THAT(
        ParseString(absl::StrCat("<r><s b=\"1\"/><t", many, " a", dup,
                                 "=\"again\"/></r>")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat("duplicate attribute a", dup))));
  }
}

// Names are split at their colon by offsets the pre-scan records: elements
// and attributes, ASCII and not, before and after a long text that is moved
// out of RapidXML's way (whose tail is then read from a new place).
TEST(XmlDocumentTest, SplitsEveryPrefixedNameAtItsColon) {
  const std::string tail =
      "<p:e p:u=\"1\" v=\"2\" q:w=\"3\"/><f.g-h p:x=\"4\"/>"
      "<q:\xC3\xA9t\xC3\xA9 \xC3\xA9:y=\"5\" xmlns:\xC3\xA9=\"urn:e\"/>";
  for (bool moved : {true, false}) {
    SCOPED_TRACE(moved);
    const std::string body = absl::StrCat(
        "<p:r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" xmlns=\"urn:d\" q:a=\"0\">"
        "<k>",
        WrappedBase64(moved ? 300 : 30), "</k>", tail, "</p:r>");
    absl::StatusOr<XmlDocument> doc = ParseString(body);
    ASSERT_THAT(doc, IsOk());
    const XmlElement& r = doc->root();
    EXPECT_TRUE(r.Is("urn:p", "r"));
    ASSERT_EQ(r.attributes.size(), 1u);
    EXPECT_EQ(r.attributes[0].local_name, "a");
    EXPECT_EQ(r.attributes[0].ns_uri, "urn:q");
    const XmlElement* k = r.first_child;
    ASSERT_NE(k, nullptr);
    EXPECT_TRUE(k->Is("urn:d", "k"));
    const XmlElement* e = k->next_sibling;
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->Is("urn:p", "e"));
    EXPECT_EQ(e->qname, "p:e");
    ASSERT_EQ(e->attributes.size(), 3u);
    EXPECT_EQ(e->FindAttribute("urn:p", "u")->value, "1");
    EXPECT_EQ(e->FindAttribute("", "v")->value, "2");
    EXPECT_EQ(e->FindAttribute("urn:q", "w")->value, "3");
    const XmlElement* f = e->next_sibling;
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->Is("urn:d", "f.g-h"));
    EXPECT_EQ(f->FindAttribute("urn:p", "x")->value, "4");
    const XmlElement* t = f->next_sibling;
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(t->Is("urn:q", "\xC3\xA9t\xC3\xA9"));
    ASSERT_EQ(t->attributes.size(), 1u);
    EXPECT_EQ(t->attributes[0].local_name, "y");
    EXPECT_EQ(t->attributes[0].ns_uri, "urn:e");
  }
}

// A root whose attribute values hold no reference and whose content is
// only elements, comments and white space is built from the pre-scan's
// record, RapidXML reading only its content. A character reference in the
// root's `a` (same length, another value) sends the same document through
// RapidXML whole: both must read the same.
TEST(XmlDocumentTest, RootReadByThePreScanReadsAsRapidXmlReadsIt) {
  const std::string contents[] = {
      "",
      " \n\t ",
      "<c/>",
      "\n  <p:c p:x=\"1\" y=\"&lt;\"/>\n  <d>t&amp;u</d>\n",
      "<!-- c --><c/><!-- d -->",
      "<!-- only a comment -->",
      absl::StrCat("<k>", WrappedBase64(300), "</k>\n"),
      "<p:e><f><g xmlns=\"urn:g\" xmlns:p=\"urn:p2\"><p:h/></g></f></p:e>",
  };
  for (const std::string& content : contents) {
    SCOPED_TRACE(EscapeForError(content));
    const auto body = [&](absl::string_view a) {
      return absl::StrCat(
          "<?xml version=\"1.0\"?>\n<p:r xmlns:p=\"urn:p\" xmlns=\"urn:d\" "
          "b='x\ty' a=\"",
          a, "\" p:c=\"2\">", content, "</p:r>\n<!-- after -->");
    };
    absl::StatusOr<XmlDocument> scanned = ParseString(body("11111"));
    absl::StatusOr<XmlDocument> rapid = ParseString(body("&#49;"));
    ASSERT_THAT(scanned, IsOk());
    ASSERT_THAT(rapid, IsOk());
    const XmlElement& x = scanned->root();
    const XmlElement& y = rapid->root();
    EXPECT_TRUE(x.Is("urn:p", "r"));
    EXPECT_EQ(x.qname, y.qname);
    EXPECT_EQ(x.offset, y.offset);
    EXPECT_EQ(x.text, "");
    EXPECT_EQ(y.text, "");
    ASSERT_EQ(x.namespace_decls.size(), 2u);
    ASSERT_EQ(y.namespace_decls.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(x.namespace_decls[i].prefix, y.namespace_decls[i].prefix);
      EXPECT_EQ(x.namespace_decls[i].uri, y.namespace_decls[i].uri);
    }
    ASSERT_EQ(x.attributes.size(), 3u);
    ASSERT_EQ(y.attributes.size(), 3u);
    EXPECT_EQ(x.FindAttribute("", "b")->value, "x y");
    EXPECT_EQ(y.FindAttribute("", "b")->value, "x y");
    EXPECT_EQ(x.FindAttribute("", "a")->value, "11111");
    EXPECT_EQ(y.FindAttribute("", "a")->value, "1");
    EXPECT_EQ(x.FindAttribute("urn:p", "c")->value, "2");
    EXPECT_EQ(y.FindAttribute("urn:p", "c")->value, "2");
    const XmlElement* c = x.first_child;
    const XmlElement* d = y.first_child;
    for (; c != nullptr && d != nullptr;
         c = c->next_sibling, d = d->next_sibling) {
      EXPECT_EQ(c->parent, &x);
      EXPECT_EQ(c->depth, 2);
      ExpectSameTree(*c, *d);
    }
    EXPECT_EQ(c == nullptr, d == nullptr);
    EXPECT_EQ(scanned->element_count(), rapid->element_count());
  }
}

// Roots that RapidXML reads whole: text, CDATA or a reference directly in
// the root, and errors in a root read either way.
TEST(XmlDocumentTest, RootsWithTextOrErrorsReadAsBefore) {
  absl::StatusOr<XmlDocument> text = ParseString("<r a=\"1\">hello</r>");
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(text->root().text, "hello");
  absl::StatusOr<XmlDocument> cdata =
      ParseString("<r a=\"1\"> <![CDATA[<x>]]> </r>");
  ASSERT_THAT(cdata, IsOk());
  EXPECT_EQ(cdata->root().text, "<x>");  // white space around it dropped
  absl::StatusOr<XmlDocument> reference = ParseString("<r>&amp;</r>");
  ASSERT_THAT(reference, IsOk());
  EXPECT_EQ(reference->root().text, "&");
  EXPECT_THAT(ParseString("<r a=\"1\"><c/>text<d/></r>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("text mixed with child elements in <r>")));
  for (absl::string_view a : {"11111", "&#49;"}) {
    SCOPED_TRACE(a);
    EXPECT_THAT(
        ParseString(absl::StrCat("<r a=\"", a, "\" q:b=\"1\"><c/></r>")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("undeclared namespace prefix q on attribute q:b at "
                           "offset 0 (line 1, column 1)")));
    EXPECT_THAT(
        ParseString(absl::StrCat("<r a=\"", a, "\" xmlns:q=\"\"><c/></r>")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("empty namespace URI for prefix q")));
    EXPECT_THAT(ParseString(absl::StrCat("<r a=\"", a,
                                         "\" xmlns=\"urn:r\">\n<q:c/></r>")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("undeclared namespace prefix q on <q:c> at "
                                   "offset 28 (line 2, column 1)")));
    EXPECT_THAT(ParseString(absl::StrCat("<r a=\"", a, "\" a=\"2\"><c/></r>")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("duplicate attribute a on <r>")));
  }
}

}  // namespace
}  // namespace codec
}  // namespace conf
