// RFC 3261 §25.1 `token`: the characters of method names, header names,
// tags and media types. Shared by the parser and the writer.

#ifndef CONF_SIP_INTERNAL_TOKEN_H_
#define CONF_SIP_INTERNAL_TOKEN_H_

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace sip {
namespace internal {

inline bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c)))
    return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

// A non-empty run of token characters.
inline bool IsToken(absl::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (!IsTokenChar(c))
      return false;
  }
  return true;
}

}  // namespace internal
}  // namespace sip
}  // namespace conf

#endif  // CONF_SIP_INTERNAL_TOKEN_H_
