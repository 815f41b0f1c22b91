#include "sip/framer.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sip/message.h"
#include "testing/status_matchers.h"

namespace conf {
namespace sip {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kInfo =
    "INFO sip:focus@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.com>;tag=a\r\n"
    "To: <sip:focus@example.com>\r\n"
    "Call-ID: one\r\n"
    "CSeq: 1 INFO\r\n"
    "Content-Type: application/cccp+xml\r\n"
    "Content-Length: 24\r\n"
    "\r\n"
    "<request requestId=\"1\"/>";

constexpr absl::string_view kNotify =
    "NOTIFY sip:alice@10.0.0.1:5061;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 10.0.0.2:5061;branch=z9hG4bK2\r\n"
    "From: <sip:focus@example.com>;tag=f\r\n"
    "To: <sip:alice@example.com>;tag=a\r\n"
    "i: two\r\n"
    "CSeq: 2 NOTIFY\r\n"
    "o: conference\r\n"
    "l: 0\r\n"
    "\r\n";

// What a test saw: each message's bytes, or "PING".
std::vector<std::string> Drain(StreamFramer& framer) {
  std::vector<std::string> out;
  while (std::optional<Frame> frame = framer.Next()) {
    if (frame->type() == FrameType::kKeepAlivePing) {
      out.push_back("PING");
    } else {
      out.emplace_back(frame->bytes());
    }
  }
  return out;
}

TEST(StreamFramerTest, FramesPipelinedMessagesFromOneRead) {
  StreamFramer framer;
  ASSERT_THAT(framer.Feed(absl::StrCat(kInfo, kNotify, kInfo)), IsOk());
  std::optional<Frame> first = framer.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->message().body(), "<request requestId=\"1\"/>");
  EXPECT_EQ(first->message().call_id(), "one");
  std::optional<Frame> second = framer.Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->message().method(), "NOTIFY");
  EXPECT_EQ(second->message().event(), "conference");
  EXPECT_EQ(second->bytes(), kNotify);
  EXPECT_TRUE(framer.Next().has_value());
  EXPECT_FALSE(framer.Next().has_value());
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(StreamFramerTest, SplitAtEveryOffsetGivesTheSameMessages) {
  const std::string stream = absl::StrCat(kInfo, "\r\n", kNotify);
  for (size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(split);
    StreamFramer framer;
    ASSERT_THAT(framer.Feed(absl::string_view(stream).substr(0, split)),
                IsOk());
    ASSERT_THAT(framer.Feed(absl::string_view(stream).substr(split)), IsOk());
    EXPECT_THAT(Drain(framer), ElementsAre(kInfo, kNotify));
  }
}

TEST(StreamFramerTest, ByteByByteGivesTheSameMessages) {
  const std::string stream = absl::StrCat(kNotify, kInfo, "\r\n\r\n", kInfo);
  StreamFramer framer;
  for (char c : stream)
    ASSERT_THAT(framer.Feed(absl::string_view(&c, 1)), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre(kNotify, kInfo, "PING", kInfo));
}

TEST(StreamFramerTest, FrameOutlivesTheFramer) {
  std::optional<Frame> frame;
  {
    StreamFramer framer;
    std::string read(kInfo);
    ASSERT_THAT(framer.Feed(read), IsOk());
    read.assign(read.size(), 'X');  // the read buffer is reused
    frame = framer.Next();
  }
  ASSERT_TRUE(frame.has_value());
  Frame moved = *std::move(frame);
  EXPECT_EQ(moved.message().from()->tag, "a");
  EXPECT_EQ(moved.message().body(), "<request requestId=\"1\"/>");
}

TEST(StreamFramerTest, AnswersDoubleCrlfPingsAndSkipsLoneCrlf) {
  StreamFramer framer;
  ASSERT_THAT(framer.Feed("\r\n\r\n"), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre("PING"));
  ASSERT_THAT(framer.Feed("\r\n\r"), IsOk());
  EXPECT_TRUE(Drain(framer).empty());
  ASSERT_THAT(framer.Feed("\n"), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre("PING"));
  ASSERT_THAT(framer.Feed("\r\n\r\n\r\n\r\n"), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre("PING", "PING"));
  // RFC 3261 §7.5: a lone CRLF before a start line is ignored.
  ASSERT_THAT(framer.Feed(absl::StrCat("\r\n", kInfo)), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre(kInfo));
  EXPECT_EQ(kKeepAlivePong, "\r\n");
}

TEST(StreamFramerTest, RefusesMissingContentLengthAndStaysFailed) {
  StreamFramer framer;
  const absl::Status status =
      framer.Feed(absl::StrCat(kInfo,
                               "OPTIONS sip:focus@example.com "
                               "SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("missing Content-Length on a stream "
                                         "transport at stream offset 260")));
  // The message before the error is still delivered.
  EXPECT_THAT(Drain(framer), ElementsAre(kInfo));
  EXPECT_EQ(framer.Feed(kInfo), status);
  EXPECT_EQ(framer.Feed(""), status);
  EXPECT_TRUE(Drain(framer).empty());
}

TEST(StreamFramerTest, BoundsAnEndlessHeaderFedByteByByte) {
  ParseLimits limits;
  limits.max_header_bytes = 256;
  StreamFramer framer(limits);
  ASSERT_THAT(framer.Feed("INFO sip:focus@example.com SIP/2.0\r\nSubject: "),
              IsOk());
  absl::Status status;
  size_t fed = 0;
  while (status.ok() && fed < 10000) {
    status = framer.Feed("x");
    ++fed;
    EXPECT_LE(framer.buffered_bytes(), limits.max_header_bytes);
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted,
                               HasSubstr("header section exceeds 256")));
  EXPECT_LT(fed, 300u);
  EXPECT_EQ(framer.buffered_bytes(), 0u);  // released on failure
}

TEST(StreamFramerTest, BoundsAnEndlessHeaderInOneRead) {
  ParseLimits limits;
  limits.max_header_bytes = 1024;
  StreamFramer framer(limits);
  const std::string flood = absl::StrCat("INFO sip:f@example.com SIP/2.0\r\n",
                                         std::string(1 << 20, 'x'));
  EXPECT_THAT(framer.Feed(flood),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(StreamFramerTest, AcceptsAHeadExactlyAtTheLimit) {
  ParseLimits limits;
  limits.max_header_bytes = kNotify.size();
  StreamFramer framer(limits);
  ASSERT_THAT(framer.Feed(kNotify), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAre(kNotify));
  limits.max_header_bytes = kNotify.size() - 1;
  StreamFramer small(limits);
  EXPECT_THAT(small.Feed(kNotify),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(StreamFramerTest, RefusesABodyOverTheLimitBeforeItArrives) {
  ParseLimits limits;
  limits.max_body_bytes = 23;
  StreamFramer framer(limits);
  const absl::string_view head = kInfo.substr(0, kInfo.find("<request"));
  EXPECT_THAT(framer.Feed(head),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("Content-Length \"24\" exceeds 23")));
}

TEST(StreamFramerTest, RefusesStrayBytesBetweenMessages) {
  struct Case {
    const char* name;
    std::string input;
  };
  const Case kCases[] = {
      {"bare LF", "\n"},
      {"CR then letter", "\rINFO"},
      {"CRLF CR then LF missing", "\r\n\rX"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    StreamFramer framer;
    EXPECT_THAT(framer.Feed(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("between messages")));
  }
}

TEST(StreamFramerTest, ReportsMalformedMessagesWithTheirStreamOffset) {
  StreamFramer framer;
  EXPECT_THAT(
      framer.Feed(absl::StrCat(kNotify,
                               "INFO sip:a@b SIP/2.0\r\nCSeq: x "
                               "INFO\r\nl: 0\r\n\r\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("malformed CSeq \"x INFO\" at offset 22 (message at "
                         "stream offset 221)")));
}

}  // namespace
}  // namespace sip
}  // namespace conf
