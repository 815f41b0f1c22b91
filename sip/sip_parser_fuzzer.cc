// libFuzzer target for ParseMessage, StreamFramer and MessageWriter.
//
// Properties checked on every input:
//   - parsing and framing return (no crash, no sanitizer report, no hang),
//     and error messages are non-empty, short and start with "sip: ";
//   - every view of a parsed message lies inside the input or is readable
//     owned storage (ASan checks the reads);
//   - framing is independent of how the stream is split: the input fed
//     whole, and fed in pieces whose sizes come from the input, gives the
//     same frames and the same final status;
//   - a message framed from the input reparses to the same message;
//   - re-writing a parsed message (start line, every header, body) with
//     MessageWriter gives bytes that parse to the same start line,
//     headers and body; and a response built from a parsed request parses
//     back with the request's Call-ID, CSeq, From and Via values.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

#include "sip/framer.h"
#include "sip/message.h"
#include "sip/writer.h"

namespace conf {
namespace sip {
namespace {

void Require(bool condition) {
  if (!condition)
    std::abort();
}

size_t Touch(absl::string_view v) {
  size_t sum = 0;
  for (char c : v)
    sum += static_cast<unsigned char>(c);
  return sum;
}

void CheckError(const absl::Status& status) {
  Require(!status.ok());
  Require(status.code() == absl::StatusCode::kInvalidArgument ||
          status.code() == absl::StatusCode::kResourceExhausted);
  Require(absl::StartsWith(status.message(), "sip: "));
  Require(status.message().size() < 512);
}

bool Inside(absl::string_view v, absl::string_view buffer) {
  return v.empty() || (v.data() >= buffer.data() &&
                       v.data() + v.size() <= buffer.data() + buffer.size());
}

void CheckNameAddr(const std::optional<NameAddr>& a) {
  if (a.has_value()) {
    Touch(a->display_name);
    Require(!a->uri.empty());
    Touch(a->tag);
    Touch(a->params);
  }
}

void CheckMessage(const Message& m, absl::string_view buffer) {
  Require(Inside(m.method(), buffer));
  Require(Inside(m.request_uri(), buffer));
  Require(Inside(m.reason_phrase(), buffer));
  Require(Inside(m.body(), buffer));
  Require(m.is_request() ? !m.method().empty()
                         : m.status_code() >= 100 && m.status_code() <= 699);
  for (const Header& h : m.headers()) {
    Require(!h.name.empty());
    Touch(h.name);
    Touch(h.value);
    Require(h.value.find('\r') == absl::string_view::npos);
    Require(h.value.find('\n') == absl::string_view::npos);
  }
  Touch(m.call_id());
  CheckNameAddr(m.from());
  CheckNameAddr(m.to());
  CheckNameAddr(m.contact());
  if (m.top_via().has_value()) {
    Touch(m.top_via()->sent_by);
    Touch(m.top_via()->branch);
  }
  if (m.content_length().has_value())
    Require(*m.content_length() == m.body().size());
}

bool SameMessage(const Message& a, const Message& b) {
  if (a.kind() != b.kind() || a.method() != b.method() ||
      a.request_uri() != b.request_uri() ||
      a.status_code() != b.status_code() ||
      a.reason_phrase() != b.reason_phrase() || a.body() != b.body() ||
      a.headers().size() != b.headers().size()) {
    return false;
  }
  for (size_t i = 0; i < a.headers().size(); ++i) {
    if (a.headers()[i].name != b.headers()[i].name ||
        a.headers()[i].value != b.headers()[i].value) {
      return false;
    }
  }
  return true;
}

// Writes `m` back: same start line, headers (Content-Length and
// Content-Type are written by Finish) and body.
void CheckRewrite(const Message& m) {
  MessageWriter writer;
  if (m.is_request()) {
    writer.StartRequest(m.method(), m.request_uri());
  } else {
    writer.StartResponse(m.status_code(), m.reason_phrase());
  }
  std::optional<absl::string_view> content_type;
  for (const Header& h : m.headers()) {
    if (absl::EqualsIgnoreCase(h.name, "Content-Length"))
      continue;
    if (absl::EqualsIgnoreCase(h.name, "Content-Type") && !m.body().empty()) {
      content_type = h.value;
      continue;
    }
    writer.AddHeader(h.name, h.value);
  }
  if (!m.body().empty() && !content_type.has_value())
    content_type = "application/octet-stream";
  absl::StatusOr<absl::string_view> bytes =
      writer.Finish(content_type.value_or(""), m.body());
  Require(bytes.ok());
  ParseLimits roomy;
  roomy.max_header_bytes = 1 << 20;
  roomy.max_line_length = 1 << 20;
  roomy.max_header_count = 1 << 10;
  roomy.max_body_bytes = 1 << 20;
  absl::StatusOr<Message> again = ParseMessage(*bytes, roomy);
  Require(again.ok());
  Require(again->kind() == m.kind() && again->method() == m.method() &&
          again->request_uri() == m.request_uri() &&
          again->status_code() == m.status_code() &&
          again->body() == m.body() && again->call_id() == m.call_id() &&
          again->Values("Via") == m.Values("Via"));

  if (m.is_request()) {
    writer.StartResponseTo(m, 200, "OK", "fuzz");
    absl::StatusOr<absl::string_view> response = writer.Finish("", "");
    Require(response.ok());
    absl::StatusOr<Message> parsed = ParseMessage(*response, roomy);
    Require(parsed.ok());
    Require(parsed->call_id() == m.call_id());
    Require(parsed->Values("Via") == m.Values("Via"));
    Require(parsed->cseq().has_value() == m.cseq().has_value());
    if (m.cseq().has_value()) {
      Require(parsed->cseq()->number == m.cseq()->number &&
              parsed->cseq()->method == m.cseq()->method);
    }
    Require(parsed->from().has_value() == m.from().has_value());
    if (m.to().has_value())
      Require(parsed->to()->uri == m.to()->uri);
  }
}

struct FramingResult {
  std::vector<std::string> frames;  // bytes, or "" for a ping
  absl::Status status;
};

FramingResult FrameAll(absl::string_view data, const ParseLimits& limits,
                       const std::vector<size_t>& pieces) {
  FramingResult result;
  StreamFramer framer(limits);
  size_t piece = 0;
  while (!data.empty() && result.status.ok()) {
    const size_t n =
        pieces.empty() ? data.size() : pieces[piece++ % pieces.size()];
    result.status = framer.Feed(data.substr(0, n));
    data.remove_prefix(data.size() < n ? data.size() : n);
    Require(framer.buffered_bytes() <=
            limits.max_header_bytes + limits.max_body_bytes);
  }
  while (std::optional<sip::Frame> frame = framer.Next()) {
    if (frame->type() == FrameType::kMessage) {
      CheckMessage(frame->message(), frame->bytes());
      absl::StatusOr<Message> reparsed = ParseMessage(frame->bytes(), limits);
      Require(reparsed.ok() && SameMessage(*reparsed, frame->message()));
      result.frames.emplace_back(frame->bytes());
    } else {
      result.frames.emplace_back();
    }
  }
  if (!result.status.ok())
    CheckError(result.status);
  return result;
}

int FuzzOne(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_header_count = 64;
  limits.max_body_bytes = 16384;
  limits.max_line_length = 1024;

  absl::StatusOr<Message> m = ParseMessage(input, limits);
  if (m.ok()) {
    CheckMessage(*m, input);
    CheckRewrite(*m);
  } else {
    CheckError(m.status());
  }

  // Pieces of 1..16 bytes, from the first bytes of the input.
  std::vector<size_t> pieces;
  for (size_t i = 0; i < size && i < 8; ++i)
    pieces.push_back(1 + (data[i] & 15));
  const FramingResult whole = FrameAll(input, limits, {});
  const FramingResult split = FrameAll(input, limits, pieces);
  Require(whole.frames == split.frames);
  Require(whole.status == split.status);
  return 0;
}

}  // namespace
}  // namespace sip
}  // namespace conf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return conf::sip::FuzzOne(data, size);
}
