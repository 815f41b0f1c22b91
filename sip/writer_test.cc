#include "sip/writer.h"

#include <string>

#include "absl/status/status.h"
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

// An INFO as the seed's client sends it, with two Via values in the first
// header and a third in a compact one.
constexpr absl::string_view kRequest =
    "INFO sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 10.1.2.50:4237;branch=z9hG4bKa, SIP/2.0/TLS "
    "proxy.example.com;branch=z9hG4bKb\r\n"
    "v: SIP/2.0/TLS edge.example.com;branch=z9hG4bKc;received=1.2.3.4\r\n"
    "f: <sip:bob@fabrikam.com>;tag=958d8a3fbc;epid=c5574cd6b6\r\n"
    "To: <sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C>\r\n"
    "Call-ID: ad0da39085864c768630674f17692101\r\n"
    "CSeq: 12 INFO\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(MessageWriterTest, ResponseCopiesRequestHeadersAndAddsToTag) {
  const absl::StatusOr<Message> request = ParseMessage(kRequest);
  ASSERT_THAT(request, IsOk());
  MessageWriter writer;
  writer.StartResponseTo(*request, 202, "Accepted", "f0cus");
  const absl::StatusOr<absl::string_view> bytes = writer.Finish("", "");
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(*bytes,
            "SIP/2.0 202 Accepted\r\n"
            "Via: SIP/2.0/TLS 10.1.2.50:4237;branch=z9hG4bKa, SIP/2.0/TLS "
            "proxy.example.com;branch=z9hG4bKb\r\n"
            "Via: SIP/2.0/TLS edge.example.com;branch=z9hG4bKc;"
            "received=1.2.3.4\r\n"
            "From: <sip:bob@fabrikam.com>;tag=958d8a3fbc;epid=c5574cd6b6\r\n"
            "To: <sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:"
            "5D3747C>;tag=f0cus\r\n"
            "Call-ID: ad0da39085864c768630674f17692101\r\n"
            "CSeq: 12 INFO\r\n"
            "Content-Length: 0\r\n"
            "\r\n");

  const absl::StatusOr<Message> response = ParseMessage(*bytes);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status_code(), 202);
  EXPECT_EQ(response->Values("Via"), request->Values("Via"));
  EXPECT_EQ(response->from()->tag, "958d8a3fbc");
  EXPECT_EQ(response->to()->uri, request->to()->uri);
  EXPECT_EQ(response->to()->tag, "f0cus");
  EXPECT_EQ(response->call_id(), request->call_id());
  EXPECT_EQ(response->cseq()->number, 12u);
  EXPECT_EQ(response->cseq()->method, "INFO");
  EXPECT_EQ(response->content_length(), 0u);
}

TEST(MessageWriterTest, KeepsAnExistingToTag) {
  const absl::StatusOr<Message> request = ParseMessage(
      "BYE sip:focus@example.com SIP/2.0\r\nTo: <sip:f@example.com>;tag=old"
      "\r\nCSeq: 3 BYE\r\nl: 0\r\n\r\n");
  ASSERT_THAT(request, IsOk());
  MessageWriter writer;
  writer.StartResponseTo(*request, 200, "OK", "new");
  const absl::StatusOr<absl::string_view> bytes = writer.Finish("", "");
  ASSERT_THAT(bytes, IsOk());
  const absl::StatusOr<Message> response = ParseMessage(*bytes);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->to()->tag, "old");
  EXPECT_EQ(response->FindHeader("Via"), std::nullopt);
}

TEST(MessageWriterTest, RequestWithBodyReparsesAndReusesTheBuffer) {
  MessageWriter writer;
  writer.StartRequest("BENOTIFY", "sip:alice@10.0.0.1:5061;transport=tls");
  writer.AddHeader("Event", "conference");
  writer.AddHeader("CSeq", "9 BENOTIFY");
  absl::StatusOr<absl::string_view> bytes =
      writer.Finish("application/conference-info+xml", "<conference-info/>");
  ASSERT_THAT(bytes, IsOk());
  absl::StatusOr<Message> m = ParseMessage(*bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->method(), "BENOTIFY");
  EXPECT_EQ(m->event(), "conference");
  EXPECT_EQ(m->content_type(), "application/conference-info+xml");
  EXPECT_EQ(m->content_length(), 18u);
  EXPECT_EQ(m->body(), "<conference-info/>");

  writer.StartResponse(200, "OK");
  bytes = writer.Finish("", "");
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(*bytes, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(MessageWriterTest, RefusesInputThatWouldBreakTheMessage) {
  struct Case {
    const char* name;
    void (*build)(MessageWriter&);
    const char* message;
  };
  const Case kCases[] = {
      {"CRLF in a value",
       [](MessageWriter& w) {
         w.StartRequest("INFO", "sip:a@b");
         w.AddHeader("Subject", "hi\r\nVia: SIP/2.0/UDP evil");
       },
       "bad Subject value \"hi\\r\\nVia"},
      {"NUL in a value",
       [](MessageWriter& w) {
         w.StartRequest("INFO", "sip:a@b");
         w.AddHeader("Subject", absl::string_view("a\0b", 3));
       },
       "bad Subject value"},
      {"colon in a name",
       [](MessageWriter& w) {
         w.StartRequest("INFO", "sip:a@b");
         w.AddHeader("X:Y", "v");
       },
       "bad header name \"X:Y\""},
      {"space in the method",
       [](MessageWriter& w) { w.StartRequest("IN FO", "sip:a@b"); },
       "bad method"},
      {"space in the URI",
       [](MessageWriter& w) { w.StartRequest("INFO", "sip:a b"); },
       "bad Request-URI"},
      {"status 99", [](MessageWriter& w) { w.StartResponse(99, "x"); },
       "bad status code \"99\""},
      {"status 700", [](MessageWriter& w) { w.StartResponse(700, "x"); },
       "bad status code"},
      {"LF in the reason",
       [](MessageWriter& w) { w.StartResponse(200, "O\nK"); },
       "bad reason phrase"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    MessageWriter writer;
    c.build(writer);
    EXPECT_THAT(
        writer.Finish("text/plain", "x"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    // A new message starts clean.
    writer.StartResponse(200, "OK");
    EXPECT_THAT(writer.Finish("", ""), IsOk());
  }
}

TEST(MessageWriterTest, RefusesABodyWithoutContentType) {
  MessageWriter writer;
  writer.StartRequest("INFO", "sip:a@b");
  EXPECT_THAT(writer.Finish("", "<x/>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bad Content-Type")));
}

}  // namespace
}  // namespace sip
}  // namespace conf
