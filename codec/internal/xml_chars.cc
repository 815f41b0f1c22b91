#include "codec/internal/xml_chars.h"

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace conf {
namespace codec {
namespace internal {

std::string DescribeCodePoint(uint32_t cp) {
  if (cp >= 0x21 && cp < 0x7F) {
    return absl::StrCat(
        "'", absl::CEscape(std::string(1, static_cast<char>(cp))), "'");
  }
  std::string s = absl::StrFormat("U+%04X", cp);
  switch (cp) {
    case 0x00:
      absl::StrAppend(&s, " (NUL)");
      break;
    case 0x20:
      absl::StrAppend(&s, " (space)");
      break;
    case 0xA0:
      absl::StrAppend(&s, " (no-break space, not XML white space)");
      break;
    case 0xFEFF:
      absl::StrAppend(&s, " (byte order mark)");
      break;
    default:
      break;
  }
  return s;
}

}  // namespace internal
}  // namespace codec
}  // namespace conf
