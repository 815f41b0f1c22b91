#include "sip/message.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "base/status_macros.h"
#include "sip/internal/token.h"

namespace conf {
namespace sip {
namespace {

using internal::IsToken;
using internal::IsTokenChar;

// Compact forms: RFC 3261 §7.3.3 and the IANA "Header Fields" registry.
struct CompactForm {
  char compact;
  absl::string_view full;
};
constexpr CompactForm kCompactForms[] = {
    {'a', "Accept-Contact"},       // RFC 3841
    {'b', "Referred-By"},          // RFC 3892
    {'c', "Content-Type"},         // RFC 3261
    {'d', "Request-Disposition"},  // RFC 3841
    {'e', "Content-Encoding"},     // RFC 3261
    {'f', "From"},                 // RFC 3261
    {'i', "Call-ID"},              // RFC 3261
    {'j', "Reject-Contact"},       // RFC 3841
    {'k', "Supported"},            // RFC 3261
    {'l', "Content-Length"},       // RFC 3261
    {'m', "Contact"},              // RFC 3261
    {'n', "Identity-Info"},        // RFC 4474
    {'o', "Event"},                // RFC 6665
    {'r', "Refer-To"},             // RFC 3515
    {'s', "Subject"},              // RFC 3261
    {'t', "To"},                   // RFC 3261
    {'u', "Allow-Events"},         // RFC 6665
    {'v', "Via"},                  // RFC 3261
    {'x', "Session-Expires"},      // RFC 4028
    {'y', "Identity"},             // RFC 4474
};

// Headers whose grammar is `#element` (RFC 3261 §7.3.1): several values may
// share one header, separated by commas. Every other header is one value,
// notably the authentication headers, whose parameters contain commas.
constexpr absl::string_view kListHeaders[] = {
    "Accept",           "Accept-Contact",
    "Accept-Encoding",  "Accept-Language",
    "Alert-Info",       "Allow",
    "Allow-Events",     "Call-Info",
    "Contact",          "Content-Encoding",
    "Content-Language", "Error-Info",
    "In-Reply-To",      "Path",
    "Proxy-Require",    "Record-Route",
    "Reject-Contact",   "Request-Disposition",
    "Require",          "Route",
    "Service-Route",    "Supported",
    "Unsupported",      "Via",
    "Warning",
};

// The headers the parser reads into typed fields.
enum class Field {
  kOther,
  kCallId,
  kCSeq,
  kFrom,
  kTo,
  kVia,
  kContact,
  kContentLength,
  kContentType,
  kExpires,
  kEvent,
  kMaxForwards,
};

struct FieldName {
  absl::string_view name;
  Field field;
};
constexpr FieldName kFieldNames[] = {
    {"Call-ID", Field::kCallId},
    {"CSeq", Field::kCSeq},
    {"From", Field::kFrom},
    {"To", Field::kTo},
    {"Via", Field::kVia},
    {"Contact", Field::kContact},
    {"Content-Length", Field::kContentLength},
    {"Content-Type", Field::kContentType},
    {"Expires", Field::kExpires},
    {"Event", Field::kEvent},
    {"Max-Forwards", Field::kMaxForwards},
};
constexpr size_t kFieldCount = sizeof(kFieldNames) / sizeof(kFieldNames[0]);

Field FieldOf(absl::string_view name) {
  for (const FieldName& f : kFieldNames) {
    if (absl::EqualsIgnoreCase(name, f.name))
      return f.field;
  }
  return Field::kOther;
}

bool IsWs(char c) { return c == ' ' || c == '\t'; }

bool IsDigits(absl::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

// Control characters other than HTAB (RFC 3261 §25.1 TEXT-UTF8char and
// LWS exclude them).
bool IsCtl(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

absl::string_view TrimWs(absl::string_view s) {
  while (!s.empty() && IsWs(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsWs(s.back()))
    s.remove_suffix(1);
  return s;
}

// Input echoed in messages: escaped and capped at 64 bytes.
std::string Echo(absl::string_view s) { return absl::CEscape(s.substr(0, 64)); }

// Parses 1*DIGIT, saturating at `max` + 1 so callers can tell "too big".
uint64_t ParseDigits(absl::string_view s, uint64_t max) {
  uint64_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max)
      return max + 1;
  }
  return v;
}

// Position of the first `c` in `s` outside quoted strings (with backslash
// escapes) and, when `skip_angles`, outside <...>; npos if none.
size_t FindTopLevel(absl::string_view s, char c, bool skip_angles) {
  bool quoted = false;
  bool angled = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (quoted) {
      if (ch == '\\') {
        ++i;  // quoted-pair
      } else if (ch == '"') {
        quoted = false;
      }
    } else if (angled) {
      if (ch == '>')
        angled = false;
    } else if (ch == '"') {
      quoted = true;
    } else if (skip_angles && ch == '<') {
      angled = true;
    } else if (ch == c) {
      return i;
    }
  }
  return absl::string_view::npos;
}

// Calls `fn(element)` for each non-empty, trimmed element of a
// comma-separated list.
template <typename Fn>
void ForEachListElement(absl::string_view list, Fn fn) {
  while (true) {
    const size_t comma = FindTopLevel(list, ',', /*skip_angles=*/true);
    absl::string_view element = TrimWs(list.substr(0, comma));
    if (!element.empty())
      fn(element);
    if (comma == absl::string_view::npos)
      return;
    list.remove_prefix(comma + 1);
  }
}

absl::string_view FirstListElement(absl::string_view list) {
  return TrimWs(list.substr(0, FindTopLevel(list, ',', /*skip_angles=*/true)));
}

// The value of parameter `name` in `;a=b;c` style `params` (the leading
// ';' already removed), "" if absent or valueless.
absl::string_view FindParam(absl::string_view params, absl::string_view name) {
  while (!params.empty()) {
    const size_t semi = FindTopLevel(params, ';', /*skip_angles=*/false);
    const absl::string_view param = params.substr(0, semi);
    const size_t eq = param.find('=');
    if (absl::EqualsIgnoreCase(TrimWs(param.substr(0, eq)), name)) {
      return eq == absl::string_view::npos ? absl::string_view()
                                           : TrimWs(param.substr(eq + 1));
    }
    if (semi == absl::string_view::npos)
      break;
    params.remove_prefix(semi + 1);
  }
  return absl::string_view();
}

// RFC 3261 §19.1 / RFC 3986 scheme ":" followed by at least one visible
// character, with no white space or control characters anywhere.
bool IsUri(absl::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == 0 || colon == absl::string_view::npos ||
      colon + 1 == uri.size() ||
      !absl::ascii_isalpha(static_cast<unsigned char>(uri[0]))) {
    return false;
  }
  for (size_t i = 1; i < colon; ++i) {
    const char c = uri[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' &&
        c != '-' && c != '.') {
      return false;
    }
  }
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return false;
  }
  return true;
}

}  // namespace

// Parses one message head (and, in ParseMessage, its body) into a Message.
// Keeps the offset of each header line for error messages.
class MessageParser {
 public:
  MessageParser(absl::string_view bytes, const ParseLimits& limits)
      : bytes_(bytes), limits_(limits) {}

  // Reads the start line and headers; returns the offset just past the
  // blank line.
  absl::StatusOr<size_t> ParseHead() {
    size_t pos = 0;
    CONF_ASSIGN_OR_RETURN(absl::string_view start_line, NextLine(pos));
    CONF_RETURN_IF_ERROR(ParseStartLine(start_line));
    CONF_RETURN_IF_ERROR(ParseHeaderLines(pos));
    CONF_RETURN_IF_ERROR(ParseTypedHeaders());
    return pos;
  }

  absl::StatusOr<Message> ParseWhole() {
    CONF_ASSIGN_OR_RETURN(const size_t head_end, ParseHead());
    const absl::string_view body = bytes_.substr(head_end);
    if (body.size() > limits_.max_body_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("sip: body of ", body.size(), " bytes exceeds ",
                       limits_.max_body_bytes, " at offset ", head_end));
    }
    if (message_.content_length_.has_value() &&
        *message_.content_length_ != body.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sip: Content-Length ", *message_.content_length_, " but ",
          body.size(), " body bytes at offset ", head_end));
    }
    message_.body_ = body;
    return std::move(message_);
  }

  absl::StatusOr<Message> ParseHeadOnly() {
    CONF_ASSIGN_OR_RETURN(const size_t head_end, ParseHead());
    if (head_end != bytes_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sip: bytes after the head at offset ", head_end));
    }
    return std::move(message_);
  }

 private:
  absl::Status Invalid(absl::string_view what, size_t offset) const {
    return absl::InvalidArgumentError(
        absl::StrCat("sip: ", what, " at offset ", offset));
  }

  absl::Status Malformed(absl::string_view name, absl::string_view value,
                         size_t offset) const {
    return Invalid(absl::StrCat("malformed ", name, " \"", Echo(value), "\""),
                   offset);
  }

  size_t OffsetOf(absl::string_view v) const {
    return static_cast<size_t>(v.data() - bytes_.data());
  }

  // Returns the line starting at `pos` without its CRLF and moves `pos`
  // past the CRLF. Never looks further than the limits allow.
  absl::StatusOr<absl::string_view> NextLine(size_t& pos) const {
    const size_t remaining = bytes_.size() - pos;
    if (remaining == 0) {
      return Invalid("missing CRLF (headers end without a blank line)",
                     bytes_.size());
    }
    if (pos >= limits_.max_header_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("sip: header section exceeds ", limits_.max_header_bytes,
                       " bytes at offset ", pos));
    }
    const size_t by_head = limits_.max_header_bytes - pos;
    const size_t by_line = limits_.max_line_length + 2;  // + CRLF
    size_t window = remaining;
    if (window > by_head)
      window = by_head;
    if (window > by_line)
      window = by_line;
    const char* start = bytes_.data() + pos;
    const void* lf = std::memchr(start, '\n', window);
    if (lf == nullptr) {
      if (window == remaining) {
        return Invalid("missing CRLF (headers end without a blank line)",
                       bytes_.size());
      }
      if (window == by_line) {
        return absl::ResourceExhaustedError(
            absl::StrCat("sip: line longer than ", limits_.max_line_length,
                         " bytes at offset ", pos));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("sip: header section exceeds ", limits_.max_header_bytes,
                       " bytes at offset ", pos));
    }
    const size_t lf_pos =
        static_cast<size_t>(static_cast<const char*>(lf) - bytes_.data());
    if (lf_pos == pos || bytes_[lf_pos - 1] != '\r')
      return Invalid("bare LF", lf_pos);
    const absl::string_view line = bytes_.substr(pos, lf_pos - 1 - pos);
    if (line.size() > limits_.max_line_length) {
      return absl::ResourceExhaustedError(
          absl::StrCat("sip: line longer than ", limits_.max_line_length,
                       " bytes at offset ", pos));
    }
    const size_t cr = line.find('\r');
    if (cr != absl::string_view::npos)
      return Invalid("bare CR", pos + cr);
    pos = lf_pos + 1;
    return line;
  }

  // RFC 3261 §7.1 Request-Line, §7.2 Status-Line.
  absl::Status ParseStartLine(absl::string_view line) {
    if (line.empty())
      return Invalid("empty start line", 0);
    for (char c : line) {
      if (IsCtl(c))
        return Invalid("control character in the start line", OffsetOf(line));
    }
    const size_t sp1 = line.find(' ');
    if (sp1 == absl::string_view::npos) {
      return Invalid(absl::StrCat("malformed start line \"", Echo(line), "\""),
                     0);
    }
    const absl::string_view first = line.substr(0, sp1);
    if (absl::StartsWithIgnoreCase(first, "SIP/")) {
      message_.kind_ = MessageKind::kResponse;
      if (!absl::EqualsIgnoreCase(first, "SIP/2.0")) {
        return Invalid(
            absl::StrCat("unsupported SIP version \"", Echo(first), "\""), 0);
      }
      const absl::string_view rest = line.substr(sp1 + 1);
      const absl::string_view code = rest.substr(0, 3);
      if (!IsDigits(code) || code.size() != 3 || code[0] < '1' ||
          code[0] > '6' || (rest.size() > 3 && rest[3] != ' ')) {
        return Invalid(absl::StrCat("malformed status code \"",
                                    Echo(rest.substr(0, 8)), "\""),
                       sp1 + 1);
      }
      message_.status_code_ = static_cast<int>(ParseDigits(code, 999));
      message_.reason_phrase_ =
          rest.size() > 4 ? rest.substr(4) : absl::string_view();
      return absl::OkStatus();
    }
    message_.kind_ = MessageKind::kRequest;
    if (!IsToken(first)) {
      return Invalid(absl::StrCat("malformed method \"", Echo(first), "\""), 0);
    }
    const absl::string_view rest = line.substr(sp1 + 1);
    const size_t sp2 = rest.find(' ');
    const absl::string_view uri = rest.substr(0, sp2);
    if (sp2 == absl::string_view::npos || !IsUri(uri)) {
      return Invalid(absl::StrCat("malformed Request-URI \"", Echo(uri), "\""),
                     sp1 + 1);
    }
    const absl::string_view version = rest.substr(sp2 + 1);
    if (!absl::EqualsIgnoreCase(version, "SIP/2.0")) {
      return Invalid(
          absl::StrCat("unsupported SIP version \"", Echo(version), "\""),
          sp1 + 1 + sp2 + 1);
    }
    message_.method_ = first;
    message_.request_uri_ = uri;
    return absl::OkStatus();
  }

  // RFC 3261 §7.3: header lines up to the blank line, folding included.
  absl::Status ParseHeaderLines(size_t& pos) {
    // Typical requests carry 10 to 20 headers: one allocation each.
    constexpr size_t kExpectedHeaders = 24;
    message_.headers_.reserve(kExpectedHeaders);
    offsets_.reserve(kExpectedHeaders);
    size_t value_begin = 0;  // of the open header's value
    size_t value_end = 0;
    bool open = false;
    bool folded = false;
    while (true) {
      const size_t line_begin = pos;
      CONF_ASSIGN_OR_RETURN(absl::string_view line, NextLine(pos));
      if (!line.empty() && IsWs(line[0])) {
        // RFC 3261 §7.3.1: a continuation of the previous header's value.
        if (!open)
          return Invalid("continuation line before any header", line_begin);
        value_end = line_begin + line.size();
        folded = true;
        continue;
      }
      if (open) {
        CONF_RETURN_IF_ERROR(CloseHeader(value_begin, value_end, folded));
        open = false;
      }
      if (line.empty())
        return absl::OkStatus();
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) {
        return Invalid(
            absl::StrCat("header line without a colon \"", Echo(line), "\""),
            line_begin);
      }
      absl::string_view name = TrimWs(line.substr(0, colon));
      if (!IsToken(name) || IsWs(line[0])) {
        return Invalid(
            absl::StrCat("malformed header name \"", Echo(name), "\""),
            line_begin);
      }
      if (message_.headers_.size() >= limits_.max_header_count) {
        return absl::ResourceExhaustedError(
            absl::StrCat("sip: more than ", limits_.max_header_count,
                         " headers at offset ", line_begin));
      }
      if (name.size() == 1) {
        const absl::string_view full = ExpandCompactForm(name[0]);
        if (!full.empty())
          name = full;
      }
      message_.headers_.push_back(Header{name, absl::string_view()});
      offsets_.push_back(line_begin);
      value_begin = line_begin + colon + 1;
      value_end = line_begin + line.size();
      open = true;
      folded = false;
    }
  }

  // Sets the last header's value from bytes_[begin, end), unfolding it if
  // it spans lines.
  absl::Status CloseHeader(size_t begin, size_t end, bool folded) {
    const absl::string_view raw = bytes_.substr(begin, end - begin);
    absl::string_view value;
    if (!folded) {
      value = TrimWs(raw);
    } else {
      // Each CRLF with the white space around it becomes one SP.
      auto unfolded = std::make_unique<std::string>();
      unfolded->reserve(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\r') {
          while (!unfolded->empty() && IsWs(unfolded->back()))
            unfolded->pop_back();
          i += 2;  // CRLF; NextLine guarantees the LF
          while (i < raw.size() && IsWs(raw[i]))
            ++i;
          --i;
          unfolded->push_back(' ');
        } else {
          unfolded->push_back(raw[i]);
        }
      }
      value = TrimWs(*unfolded);
      message_.unfolded_.push_back(std::move(unfolded));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (IsCtl(value[i])) {
        return Invalid(absl::StrCat("control character in ",
                                    message_.headers_.back().name, " value"),
                       folded ? offsets_.back() : OffsetOf(value) + i);
      }
    }
    message_.headers_.back().value = value;
    return absl::OkStatus();
  }

  absl::Status ParseTypedHeaders() {
    bool seen[kFieldCount + 1] = {};
    bool seen_contact = false;
    bool seen_via = false;
    for (size_t i = 0; i < message_.headers_.size(); ++i) {
      const Header& h = message_.headers_[i];
      const size_t offset = offsets_[i];
      const Field field = FieldOf(h.name);
      if (field == Field::kOther)
        continue;
      if (field == Field::kVia) {
        if (!seen_via)
          CONF_RETURN_IF_ERROR(ParseVia(h.value, offset));
        seen_via = true;
        continue;
      }
      if (field == Field::kContact) {
        if (!seen_contact) {
          message_.contact_.emplace();
          CONF_RETURN_IF_ERROR(ParseNameAddr("Contact",
                                             FirstListElement(h.value), offset,
                                             &*message_.contact_));
        }
        seen_contact = true;
        continue;
      }
      // The rest appear at most once (RFC 3261 §7.3.1: only list headers
      // may repeat); two Content-Length headers would let two parsers
      // frame the stream differently.
      bool& once = seen[static_cast<size_t>(field)];
      if (once)
        return Invalid(absl::StrCat("repeated ", h.name), offset);
      once = true;
      CONF_RETURN_IF_ERROR(ParseSingle(field, h, offset));
    }
    if (message_.is_request() && message_.cseq_.has_value() &&
        message_.cseq_->method != message_.method_) {
      // RFC 3261 §8.1.1.5: the CSeq method MUST match the request's.
      return Invalid(
          absl::StrCat("CSeq method \"", Echo(message_.cseq_->method),
                       "\" differs from the request method"),
          0);
    }
    return absl::OkStatus();
  }

  absl::Status ParseSingle(Field field, const Header& h, size_t offset) {
    const absl::string_view v = h.value;
    switch (field) {
      case Field::kCallId:
        // RFC 3261 §25.1 callid = word [ "@" word ]: no white space.
        for (char c : v) {
          if (IsWs(c))
            return Malformed(h.name, v, offset);
        }
        if (v.empty())
          return Malformed(h.name, v, offset);
        message_.call_id_ = v;
        return absl::OkStatus();
      case Field::kCSeq: {
        // RFC 3261 §20.16: 1*DIGIT LWS Method, the number below 2**31.
        size_t i = 0;
        while (i < v.size() && !IsWs(v[i]))
          ++i;
        const absl::string_view number = v.substr(0, i);
        const absl::string_view method = TrimWs(v.substr(i));
        const uint64_t n = ParseDigits(number, 0x7fffffff);
        if (!IsDigits(number) || n > 0x7fffffff || !IsToken(method))
          return Malformed(h.name, v, offset);
        message_.cseq_ = CSeq{static_cast<uint32_t>(n), method};
        return absl::OkStatus();
      }
      case Field::kFrom:
        message_.from_.emplace();
        return ParseNameAddr(h.name, v, offset, &*message_.from_);
      case Field::kTo:
        message_.to_.emplace();
        return ParseNameAddr(h.name, v, offset, &*message_.to_);
      case Field::kContentLength: {
        if (!IsDigits(v))
          return Malformed(h.name, v, offset);
        const uint64_t n = ParseDigits(v, limits_.max_body_bytes);
        if (n > limits_.max_body_bytes) {
          return absl::ResourceExhaustedError(
              absl::StrCat("sip: Content-Length \"", Echo(v), "\" exceeds ",
                           limits_.max_body_bytes, " at offset ", offset));
        }
        message_.content_length_ = static_cast<size_t>(n);
        return absl::OkStatus();
      }
      case Field::kContentType: {
        // RFC 3261 §20.15: type "/" subtype *(SEMI m-parameter).
        const absl::string_view media = TrimWs(v.substr(0, v.find(';')));
        const size_t slash = media.find('/');
        if (slash == absl::string_view::npos ||
            !IsToken(TrimWs(media.substr(0, slash))) ||
            !IsToken(TrimWs(media.substr(slash + 1)))) {
          return Malformed(h.name, v, offset);
        }
        message_.content_type_ = media;
        return absl::OkStatus();
      }
      case Field::kExpires: {
        if (!IsDigits(v))
          return Malformed(h.name, v, offset);
        const uint64_t max = std::numeric_limits<uint32_t>::max();
        const uint64_t n = ParseDigits(v, max);
        message_.expires_ = static_cast<uint32_t>(n > max ? max : n);
        return absl::OkStatus();
      }
      case Field::kEvent: {
        // RFC 6665 §8.2.1: event-type *( SEMI event-param ).
        const absl::string_view type = TrimWs(v.substr(0, v.find(';')));
        if (!IsToken(type))
          return Malformed(h.name, v, offset);
        message_.event_ = type;
        return absl::OkStatus();
      }
      case Field::kMaxForwards: {
        // RFC 3261 §20.22: an integer in the range 0-255.
        const uint64_t n = ParseDigits(v, 255);
        if (!IsDigits(v) || n > 255)
          return Malformed(h.name, v, offset);
        message_.max_forwards_ = static_cast<uint32_t>(n);
        return absl::OkStatus();
      }
      case Field::kOther:
      case Field::kVia:
      case Field::kContact:
        break;
    }
    return absl::OkStatus();
  }

  // RFC 3261 §20.10: name-addr / addr-spec, then header parameters.
  absl::Status ParseNameAddr(absl::string_view name, absl::string_view v,
                             size_t offset, NameAddr* out) const {
    absl::string_view rest;
    if (name == "Contact" && v == "*") {
      out->uri = v;
      return absl::OkStatus();
    }
    if (!v.empty() && v[0] == '"') {
      // quoted-string display name, then <addr-spec>.
      size_t i = 1;
      while (i < v.size() && v[i] != '"')
        i += v[i] == '\\' ? 2 : 1;
      if (i >= v.size())
        return Malformed(name, v, offset);
      out->display_name = v.substr(1, i - 1);
      rest = TrimWs(v.substr(i + 1));
      if (rest.empty() || rest[0] != '<')
        return Malformed(name, v, offset);
    } else {
      const size_t lt = v.find('<');
      if (lt == absl::string_view::npos) {
        // addr-spec: a URI with ';' must be in angle brackets, so any ';'
        // starts the header parameters.
        const size_t semi = v.find(';');
        out->uri = TrimWs(v.substr(0, semi));
        if (semi != absl::string_view::npos)
          out->params = v.substr(semi + 1);
        rest = absl::string_view();
      } else {
        out->display_name = TrimWs(v.substr(0, lt));
        rest = v.substr(lt);
      }
    }
    if (!rest.empty()) {
      const size_t gt = rest.find('>');
      if (gt == absl::string_view::npos)
        return Malformed(name, v, offset);
      out->uri = rest.substr(1, gt - 1);
      const absl::string_view after = TrimWs(rest.substr(gt + 1));
      if (!after.empty()) {
        if (after[0] != ';')
          return Malformed(name, v, offset);
        out->params = after.substr(1);
      }
    }
    if (!IsUri(out->uri))
      return Malformed(name, v, offset);
    out->tag = FindParam(out->params, "tag");
    return absl::OkStatus();
  }

  // RFC 3261 §20.42: sent-protocol LWS sent-by *( SEMI via-params ).
  absl::Status ParseVia(absl::string_view value, size_t offset) {
    const absl::string_view v = FirstListElement(value);
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport,
    // with optional white space around each SLASH.
    absl::string_view rest = v;
    absl::string_view parts[3];
    for (int i = 0; i < 3; ++i) {
      size_t n = 0;
      while (n < rest.size() && IsTokenChar(rest[n]))
        ++n;
      parts[i] = rest.substr(0, n);
      if (parts[i].empty())
        return Malformed("Via", value, offset);
      rest = rest.substr(n);
      if (i == 2) {
        // LWS, required between sent-protocol and sent-by.
        if (rest.empty() || !IsWs(rest[0]))
          return Malformed("Via", value, offset);
        rest = TrimWs(rest);
      } else {
        rest = TrimWs(rest);
        if (rest.empty() || rest[0] != '/')
          return Malformed("Via", value, offset);
        rest = TrimWs(rest.substr(1));
      }
    }
    const size_t semi = rest.find(';');
    const absl::string_view sent_by = TrimWs(rest.substr(0, semi));
    if (sent_by.empty())
      return Malformed("Via", value, offset);
    for (char c : sent_by) {
      if (IsWs(c))
        return Malformed("Via", value, offset);
    }
    Via via;
    via.transport = parts[2];
    via.sent_by = sent_by;
    if (semi != absl::string_view::npos)
      via.branch = FindParam(rest.substr(semi + 1), "branch");
    message_.top_via_ = via;
    return absl::OkStatus();
  }

  const absl::string_view bytes_;
  const ParseLimits& limits_;
  Message message_;
  std::vector<size_t> offsets_;  // of each header's line, parallel
};

std::optional<absl::string_view> Message::FindHeader(
    absl::string_view name) const {
  if (name.size() == 1 && !ExpandCompactForm(name[0]).empty())
    name = ExpandCompactForm(name[0]);
  for (const Header& h : headers_) {
    if (absl::EqualsIgnoreCase(h.name, name))
      return h.value;
  }
  return std::nullopt;
}

std::vector<absl::string_view> Message::Values(absl::string_view name) const {
  if (name.size() == 1 && !ExpandCompactForm(name[0]).empty())
    name = ExpandCompactForm(name[0]);
  const bool list = IsListHeader(name);
  std::vector<absl::string_view> values;
  for (const Header& h : headers_) {
    if (!absl::EqualsIgnoreCase(h.name, name))
      continue;
    if (list) {
      ForEachListElement(
          h.value, [&values](absl::string_view e) { values.push_back(e); });
    } else {
      values.push_back(h.value);
    }
  }
  return values;
}

absl::StatusOr<Message> ParseMessage(absl::string_view bytes,
                                     const ParseLimits& limits) {
  return MessageParser(bytes, limits).ParseWhole();
}

absl::StatusOr<Message> ParseMessageHead(absl::string_view head,
                                         const ParseLimits& limits) {
  return MessageParser(head, limits).ParseHeadOnly();
}

bool IsListHeader(absl::string_view name) {
  if (name.size() == 1 && !ExpandCompactForm(name[0]).empty())
    name = ExpandCompactForm(name[0]);
  for (absl::string_view list : kListHeaders) {
    if (absl::EqualsIgnoreCase(name, list))
      return true;
  }
  return false;
}

absl::string_view ExpandCompactForm(char c) {
  const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
  for (const CompactForm& f : kCompactForms) {
    if (f.compact == lower)
      return f.full;
  }
  return absl::string_view();
}

}  // namespace sip
}  // namespace conf
