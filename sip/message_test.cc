#include "sip/message.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace sip {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Joins header lines with CRLF and appends the blank line and `body`.
std::string Wire(const std::vector<std::string>& head,
                 absl::string_view body = "") {
  return absl::StrCat(absl::StrJoin(head, "\r\n"), "\r\n\r\n", body);
}

// A minimal valid INFO; tests add to or replace its lines.
std::vector<std::string> InfoHead() {
  return {
      "INFO sip:focus@example.com SIP/2.0",
      "Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK776asdhds",
      "From: <sip:alice@example.com>;tag=1928301774",
      "To: <sip:focus@example.com>",
      "Call-ID: a84b4c76e66710@pc33.example.com",
      "CSeq: 314159 INFO",
      "Max-Forwards: 70",
      "Content-Length: 0",
  };
}

std::string ReadSeed(absl::string_view name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  EXPECT_NE(srcdir, nullptr);
  EXPECT_NE(workspace, nullptr);
  const std::string path =
      absl::StrCat(srcdir, "/", workspace, "/sip/testdata/seed/", name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// The seed as a client sends it: the printed header lines with CRLF, an
// empty line instead of the printed " ", the body byte for byte and a
// Content-Length that is its size (the printed 736 is not).
std::string SeedOnTheWire(absl::string_view stem) {
  const std::string printed = ReadSeed(absl::StrCat(stem, ".sip"));
  const std::string body = ReadSeed(absl::StrCat(stem, ".xml"));
  const size_t end = printed.find("\n \n");
  EXPECT_NE(end, std::string::npos);
  std::vector<std::string> head;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(printed).substr(0, end), '\n')) {
    if (absl::StartsWith(line, "Content-Length:")) {
      head.push_back(absl::StrCat("Content-Length: ", body.size()));
    } else {
      head.emplace_back(line);
    }
  }
  return Wire(head, body);
}

TEST(ParseMessageTest, ParsesSeedRequestAndItsC3pBody) {
  const std::string wire = SeedOnTheWire("getConference.request");
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), "INFO");
  EXPECT_EQ(m->request_uri(),
            "sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C");
  EXPECT_EQ(m->call_id(), "ad0da39085864c768630674f17692101");
  ASSERT_TRUE(m->cseq().has_value());
  EXPECT_EQ(m->cseq()->number, 12u);
  EXPECT_EQ(m->cseq()->method, "INFO");
  ASSERT_TRUE(m->from().has_value());
  EXPECT_EQ(m->from()->uri, "sip:bob@fabrikam.com");
  EXPECT_EQ(m->from()->tag, "958d8a3fbc");
  EXPECT_EQ(m->from()->params, "tag=958d8a3fbc;epid=c5574cd6b6");
  ASSERT_TRUE(m->to().has_value());
  EXPECT_EQ(m->to()->uri,
            "sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C");
  EXPECT_EQ(m->to()->tag, "");
  ASSERT_TRUE(m->top_via().has_value());
  EXPECT_EQ(m->top_via()->transport, "TLS");
  EXPECT_EQ(m->top_via()->sent_by, "10.1.2.50:4237");
  EXPECT_EQ(m->top_via()->branch, "");
  ASSERT_TRUE(m->contact().has_value());
  EXPECT_EQ(m->contact()->uri,
            "sip:bob@fabrikam.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;"
            "gruu");
  EXPECT_EQ(m->content_type(), "application/cccp+xml");
  EXPECT_EQ(m->max_forwards(), 70u);
  EXPECT_EQ(m->content_length(), 589u);
  EXPECT_EQ(m->headers().size(), 13u);
  // Proxy-Authorization's parameters are comma-separated but it is not a
  // list header: one value.
  EXPECT_EQ(m->Values("Proxy-Authorization").size(), 1u);
  EXPECT_EQ(m->FindHeader("ms-keep-alive"), "UAC;hop-hop=yes");
  EXPECT_EQ(m->body(), ReadSeed("getConference.request.xml"));
}

TEST(ParseMessageTest, ParsesSeedResponseInfoAndItsC3pBody) {
  const std::string wire = SeedOnTheWire("getConference.response");
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->method(), "INFO");
  EXPECT_EQ(m->cseq()->number, 53u);
  EXPECT_EQ(m->to()->uri, "sip:bob@fabrikam.com");
  EXPECT_EQ(m->to()->tag, "958d8a3fbc");
  EXPECT_EQ(m->from()->tag, "");
  EXPECT_EQ(m->body(), ReadSeed("getConference.response.xml"));
  EXPECT_EQ(m->body().size(), 7651u);
}

TEST(ParseMessageTest, RefusesSeedAsPrintedAtItsFirstBareLf) {
  // The printed example uses LF line ends (README.md, "artefacts").
  const std::string printed = ReadSeed("getConference.request.sip");
  EXPECT_THAT(ParseMessage(printed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bare LF at offset 73")));
}

TEST(ParseMessageTest, ParsesStatusLine) {
  std::vector<std::string> head = InfoHead();
  head[0] = "SIP/2.0 202 Accepted for processing";
  const std::string wire = Wire(head);
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->kind(), MessageKind::kResponse);
  EXPECT_EQ(m->status_code(), 202);
  EXPECT_EQ(m->reason_phrase(), "Accepted for processing");
  EXPECT_EQ(m->method(), "");
}

TEST(ParseMessageTest, AcceptsEmptyReasonPhrase) {
  std::vector<std::string> head = InfoHead();
  head[0] = "SIP/2.0 200 ";
  const std::string wire = Wire(head);
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->reason_phrase(), "");
}

TEST(ParseMessageTest, ExpandsEveryCompactForm) {
  struct Case {
    char compact;
    const char* full;
    const char* value;
  };
  const Case kCases[] = {
      {'a', "Accept-Contact", "*;audio"},
      {'b', "Referred-By", "<sip:ref@example.com>"},
      {'c', "Content-Type", "application/cccp+xml"},
      {'d', "Request-Disposition", "proxy"},
      {'e', "Content-Encoding", "gzip"},
      {'f', "From", "<sip:alice@example.com>;tag=1"},
      {'i', "Call-ID", "abc@host"},
      {'j', "Reject-Contact", "*;video"},
      {'k', "Supported", "ms-benotify"},
      {'l', "Content-Length", "0"},
      {'m', "Contact", "<sip:alice@10.0.0.1;transport=tls>"},
      {'n', "Identity-Info", "<https://example.com/cert>"},
      {'o', "Event", "conference"},
      {'r', "Refer-To", "<sip:carol@example.com>"},
      {'s', "Subject", "weekly"},
      {'t', "To", "<sip:focus@example.com>"},
      {'u', "Allow-Events", "conference"},
      {'v', "Via", "SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1"},
      {'x', "Session-Expires", "1800"},
      {'y', "Identity", "\"ZYNBbHC00VMZr2kZt6VmCvPonWJMGvQTBDqghoWeLxJfzB2\""},
  };
  for (const Case& c : kCases) {
    for (char letter : {c.compact, absl::ascii_toupper(c.compact)}) {
      SCOPED_TRACE(std::string(1, letter));
      EXPECT_EQ(ExpandCompactForm(letter), c.full);
      const std::string wire =
          Wire({"OPTIONS sip:focus@example.com SIP/2.0",
                absl::StrCat(std::string(1, letter), ": ", c.value)});
      const absl::StatusOr<Message> m = ParseMessage(wire);
      ASSERT_THAT(m, IsOk());
      ASSERT_EQ(m->headers().size(), 1u);
      EXPECT_EQ(m->headers()[0].name, c.full);
      EXPECT_EQ(m->FindHeader(c.full), c.value);
      EXPECT_EQ(m->FindHeader(std::string(1, c.compact)), c.value);
    }
  }
  EXPECT_EQ(ExpandCompactForm('z'), "");
  EXPECT_EQ(ExpandCompactForm('q'), "");
}

TEST(ParseMessageTest, ReadsTypedHeadersFromCompactForms) {
  const std::string wire =
      Wire({"SUBSCRIBE sip:focus@example.com SIP/2.0",
            "v: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKc",
            "f: \"Alice\" <sip:alice@example.com>;tag=a1",
            "t: <sip:focus@example.com>", "i: id-1", "CSeq: 1 SUBSCRIBE",
            "m: <sip:alice@10.0.0.1:5061;transport=tls>", "o: conference;id=7",
            "c: application/conference-info+xml;charset=utf-8", "l: 4",
            "Expires: 99999999999"},
           "body");
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->top_via()->branch, "z9hG4bKc");
  EXPECT_EQ(m->from()->display_name, "Alice");
  EXPECT_EQ(m->from()->tag, "a1");
  EXPECT_EQ(m->to()->uri, "sip:focus@example.com");
  EXPECT_EQ(m->call_id(), "id-1");
  EXPECT_EQ(m->contact()->uri, "sip:alice@10.0.0.1:5061;transport=tls");
  EXPECT_EQ(m->event(), "conference");
  EXPECT_EQ(m->content_type(), "application/conference-info+xml");
  EXPECT_EQ(m->content_length(), 4u);
  EXPECT_EQ(m->expires(), 4294967295u);  // saturated, RFC 3261 §25
  EXPECT_EQ(m->body(), "body");
}

TEST(ParseMessageTest, MatchesHeaderNamesCaseInsensitively) {
  const std::string wire =
      Wire({"INFO sip:focus@example.com SIP/2.0", "cALL-iD: x@y",
            "cseq: 2 INFO", "CONTENT-LENGTH: 0"});
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->call_id(), "x@y");
  EXPECT_EQ(m->cseq()->number, 2u);
  EXPECT_EQ(m->FindHeader("Call-Id"), "x@y");
  EXPECT_EQ(m->FindHeader("i"), "x@y");
  EXPECT_EQ(m->headers()[0].name, "cALL-iD");  // as sent
}

TEST(ParseMessageTest, UnfoldsContinuationLines) {
  const std::string wire =
      Wire({"INFO sip:focus@example.com SIP/2.0", "Subject: I know you're",
            "  there,\t", "\tpick up the phone", "From: <sip:a@example.com>",
            " ;tag=folded", "Content-Length: 0"});
  absl::StatusOr<Message> parsed = ParseMessage(wire);
  ASSERT_THAT(parsed, IsOk());
  // Moving the message keeps the unfolded values valid.
  Message m = *std::move(parsed);
  EXPECT_EQ(m.FindHeader("Subject"), "I know you're there, pick up the phone");
  EXPECT_EQ(m.from()->tag, "folded");
  EXPECT_EQ(m.headers().size(), 3u);
}

TEST(ParseMessageTest, KeepsRepeatedHeadersAndListValuesInOrder) {
  const std::string wire = Wire({
      "INVITE sip:focus@example.com SIP/2.0",
      "Via: SIP/2.0/TLS first.example.com;branch=z9hG4bK1, SIP/2.0/TLS "
      "second.example.com;branch=z9hG4bK2",
      "Supported: ms-benotify, timer",
      "Via: SIP/2.0/TCP third.example.com;branch=z9hG4bK3",
      "k: ms-sender",
      "Contact: \"Doe, John\" <sip:j@example.com;a=b,c>;q=0.5, "
      "<sip:k@example.com>",
      "m: <sip:l@example.com>",
      "Proxy-Authorization: NTLM qop=\"auth\", realm=\"SIP\"",
      "CSeq: 1 INVITE",
      "Content-Length: 0",
  });
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(m->Values("Via"),
              ElementsAre("SIP/2.0/TLS first.example.com;branch=z9hG4bK1",
                          "SIP/2.0/TLS second.example.com;branch=z9hG4bK2",
                          "SIP/2.0/TCP third.example.com;branch=z9hG4bK3"));
  EXPECT_EQ(m->top_via()->sent_by, "first.example.com");
  EXPECT_EQ(m->top_via()->branch, "z9hG4bK1");
  EXPECT_THAT(m->Values("supported"),
              ElementsAre("ms-benotify", "timer", "ms-sender"));
  EXPECT_THAT(m->Values("m"),
              ElementsAre("\"Doe, John\" <sip:j@example.com;a=b,c>;q=0.5",
                          "<sip:k@example.com>", "<sip:l@example.com>"));
  EXPECT_EQ(m->contact()->display_name, "Doe, John");
  EXPECT_EQ(m->contact()->uri, "sip:j@example.com;a=b,c");
  EXPECT_THAT(m->Values("Proxy-Authorization"),
              ElementsAre("NTLM qop=\"auth\", realm=\"SIP\""));
  EXPECT_TRUE(m->Values("Route").empty());
  EXPECT_EQ(m->FindHeader("Route"), std::nullopt);
}

TEST(ParseMessageTest, AcceptsContactStarAndAddrSpecForms) {
  const std::string wire =
      Wire({"REGISTER sip:example.com SIP/2.0", "Contact: *",
            "From: sip:a@example.com;tag=9", "To: Bob <sip:b@example.com>",
            "CSeq: 7 REGISTER", "Content-Length: 0"});
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->contact()->uri, "*");
  EXPECT_EQ(m->from()->uri, "sip:a@example.com");
  EXPECT_EQ(m->from()->tag, "9");
  EXPECT_EQ(m->to()->display_name, "Bob");
  EXPECT_EQ(m->to()->uri, "sip:b@example.com");
}

TEST(ParseMessageTest, BodyIsTheRestWithoutContentLength) {
  std::vector<std::string> head = InfoHead();
  head.pop_back();  // Content-Length
  const std::string wire = Wire(head, "<x/>");
  const absl::StatusOr<Message> m = ParseMessage(wire);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->content_length(), std::nullopt);
  EXPECT_EQ(m->body(), "<x/>");
}

TEST(ParseMessageTest, EnforcesEachLimit) {
  const std::string wire = Wire(InfoHead(), "");
  const size_t head_size = wire.size();
  struct Case {
    const char* name;
    ParseLimits limits;
    std::string input;
    absl::StatusCode code;
  };
  const std::string body_wire = Wire(
      {"INFO sip:f@example.com SIP/2.0", "Content-Length: 10"}, "0123456789");
  const std::string long_line =
      Wire({"INFO sip:f@example.com SIP/2.0",
            absl::StrCat("Subject: ", std::string(100, 'x'))});
  const Case kCases[] = {
      {"head at the limit", ParseLimits{head_size, 128, 1 << 20, 8 << 10}, wire,
       absl::StatusCode::kOk},
      {"head one byte over", ParseLimits{head_size - 1, 128, 1 << 20, 8 << 10},
       wire, absl::StatusCode::kResourceExhausted},
      {"header count at the limit", ParseLimits{1 << 14, 7, 1 << 20, 8 << 10},
       wire, absl::StatusCode::kOk},
      {"one header too many", ParseLimits{1 << 14, 6, 1 << 20, 8 << 10}, wire,
       absl::StatusCode::kResourceExhausted},
      {"body at the limit", ParseLimits{1 << 14, 128, 10, 8 << 10}, body_wire,
       absl::StatusCode::kOk},
      {"body over", ParseLimits{1 << 14, 128, 9, 8 << 10}, body_wire,
       absl::StatusCode::kResourceExhausted},
      {"body over without Content-Length", ParseLimits{1 << 14, 128, 3, 1024},
       Wire({"INFO sip:f@example.com SIP/2.0"}, "abcd"),
       absl::StatusCode::kResourceExhausted},
      {"line at the limit", ParseLimits{1 << 14, 128, 1 << 20, 109}, long_line,
       absl::StatusCode::kOk},
      {"line over", ParseLimits{1 << 14, 128, 1 << 20, 108}, long_line,
       absl::StatusCode::kResourceExhausted},
      {"huge Content-Length", ParseLimits{},
       Wire({"INFO sip:f@example.com SIP/2.0",
             "Content-Length: 99999999999999999999999999"}),
       absl::StatusCode::kResourceExhausted},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParseMessage(c.input, c.limits).status().code(), c.code)
        << ParseMessage(c.input, c.limits).status();
  }
}

TEST(ParseMessageTest, RefusesMalformedInputNamingWhatAndWhere) {
  struct Case {
    const char* name;
    std::string input;
    const char* message;
  };
  auto with = [](size_t index, std::string line) {
    std::vector<std::string> head = InfoHead();
    if (index < head.size()) {
      head[index] = std::move(line);
    } else {
      head.push_back(std::move(line));
    }
    return Wire(head);
  };
  const size_t kAppend = 100;
  const Case kCases[] = {
      {"empty input", "",
       "missing CRLF (headers end without a blank line) at "
       "offset 0"},
      {"no blank line", "INFO sip:a@b SIP/2.0\r\nCSeq: 1 INFO\r\n",
       "missing CRLF"},
      {"empty start line", "\r\n\r\n", "empty start line at offset 0"},
      {"bare LF", "INFO sip:a@b SIP/2.0\nCSeq: 1 INFO\r\n\r\n",
       "bare LF at offset 20"},
      {"bare CR", "INFO sip:a@b SIP/2.0\r\nSubject: a\rb\r\n\r\n",
       "bare CR at offset 32"},
      {"one-word start line", with(0, "INFO"), "malformed start line"},
      {"bad method", with(0, "IN(FO sip:a@b SIP/2.0"), "malformed method"},
      {"missing version", with(0, "INFO sip:a@b"), "malformed Request-URI"},
      {"URI without scheme", with(0, "INFO focus SIP/2.0"),
       "malformed Request-URI \"focus\" at offset 5"},
      {"double space", with(0, "INFO  sip:a@b SIP/2.0"),
       "malformed Request-URI"},
      {"wrong version", with(0, "INFO sip:a@b SIP/3.0"),
       "unsupported SIP version \"SIP/3.0\" at offset 13"},
      {"status version", with(0, "SIP/1.0 200 OK"), "unsupported SIP version"},
      {"status code letters", with(0, "SIP/2.0 2x0 OK"),
       "malformed status code"},
      {"status code 700", with(0, "SIP/2.0 700 OK"), "malformed status code"},
      {"status code 4 digits", with(0, "SIP/2.0 2000 OK"),
       "malformed status code"},
      {"NUL in start line", with(0, std::string("INFO sip:a@b\0 SIP/2.0", 21)),
       "control character in the start line"},
      {"header without colon", with(kAppend, "Subject yes"),
       "header line without a colon \"Subject yes\""},
      {"empty header name", with(kAppend, ": x"), "malformed header name"},
      {"space in header name", with(kAppend, "Sub ject: x"),
       "malformed header name"},
      {"continuation first", "INFO sip:a@b SIP/2.0\r\n folded\r\n\r\n",
       "continuation line before any header at offset 22"},
      {"control char in value", with(kAppend, "Subject: a\x01z"),
       "control character in Subject value"},
      {"repeated Call-ID", with(kAppend, "i: other"), "repeated Call-ID"},
      {"repeated Content-Length", with(kAppend, "l: 0"),
       "repeated Content-Length"},
      {"Call-ID with space", with(4, "Call-ID: a b"), "malformed Call-ID"},
      {"empty Call-ID", with(4, "Call-ID:"), "malformed Call-ID"},
      {"CSeq without method", with(5, "CSeq: 1"), "malformed CSeq"},
      {"CSeq letters", with(5, "CSeq: x INFO"), "malformed CSeq \"x INFO\""},
      {"CSeq 2**31", with(5, "CSeq: 2147483648 INFO"), "malformed CSeq"},
      {"CSeq other method", with(5, "CSeq: 1 INVITE"),
       "CSeq method \"INVITE\" differs from the request method"},
      {"From without URI", with(2, "From: <>"), "malformed From"},
      {"From unclosed <", with(2, "From: <sip:a@b;tag=1"), "malformed From"},
      {"From junk after >", with(2, "From: <sip:a@b> x"), "malformed From"},
      {"To unclosed quote", with(3, "To: \"Bob <sip:b@c>"), "malformed To"},
      {"To without scheme", with(3, "To: bob"), "malformed To"},
      {"Contact bad", with(kAppend, "Contact: <sip:a@b"), "malformed Contact"},
      {"Via one slash", with(1, "Via: SIP/TLS host"), "malformed Via"},
      {"Via no sent-by", with(1, "Via: SIP/2.0/TLS"), "malformed Via"},
      {"Via no space", with(1, "Via: SIP/2.0/TLS;branch=1"), "malformed Via"},
      {"Max-Forwards 256", with(6, "Max-Forwards: 256"),
       "malformed Max-Forwards"},
      {"Max-Forwards sign", with(6, "Max-Forwards: -1"),
       "malformed Max-Forwards"},
      {"Content-Length sign", with(7, "Content-Length: +0"),
       "malformed Content-Length"},
      {"Content-Length too small",
       Wire({"INFO sip:a@b SIP/2.0", "Content-Length: 2"}, "abc"),
       "Content-Length 2 but 3 body bytes at offset 43"},
      {"Content-Length too big",
       Wire({"INFO sip:a@b SIP/2.0", "Content-Length: 4"}, "abc"),
       "Content-Length 4 but 3 body bytes"},
      {"Content-Type no slash", with(kAppend, "c: text"),
       "malformed Content-Type"},
      {"Expires letters", with(kAppend, "Expires: soon"), "malformed Expires"},
      {"Event empty", with(kAppend, "o: ;id=1"), "malformed Event"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const absl::StatusOr<Message> m = ParseMessage(c.input);
    EXPECT_THAT(
        m, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    if (!m.ok()) {
      EXPECT_TRUE(absl::StartsWith(m.status().message(), "sip: "));
      EXPECT_THAT(m.status().message(), HasSubstr("offset"));
    }
  }
}

TEST(ParseMessageHeadTest, ReadsContentLengthWithoutBody) {
  const std::string head = Wire(
      {"INFO sip:f@example.com SIP/2.0", "Content-Length: 10", "CSeq: 1 INFO"});
  const absl::StatusOr<Message> m = ParseMessageHead(head);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->content_length(), 10u);
  EXPECT_THAT(ParseMessageHead(head + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bytes after the head")));
}

TEST(IsListHeaderTest, KnowsListsFromSingleValues) {
  EXPECT_TRUE(IsListHeader("Via"));
  EXPECT_TRUE(IsListHeader("v"));
  EXPECT_TRUE(IsListHeader("record-route"));
  EXPECT_FALSE(IsListHeader("Proxy-Authorization"));
  EXPECT_FALSE(IsListHeader("Call-ID"));
  EXPECT_FALSE(IsListHeader("X-Unknown"));
}

}  // namespace
}  // namespace sip
}  // namespace conf
