// XML character classes shared by the pre-scan and the tree builder: white
// space, name bytes and the byte-class table, and code points described for
// error messages. Private to xml_reader. The byte-class functions are inline:
// they run once per byte or per name of every request.
//
// The SIMD scans and the code-point classes (XML Char, NameStartChar, UTF-8
// decoding) stay in prescan.cc, their one user: in the scanner's own file
// they are local functions, so the compiler knows which registers they
// clobber and keeps the scanner's state in registers across calls to them
// (a header's inline copies cost ~90 instructions more per request).

#ifndef CONF_CODEC_INTERNAL_XML_CHARS_H_
#define CONF_CODEC_INTERNAL_XML_CHARS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace conf {
namespace codec {
namespace internal {

inline bool IsXmlSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Names are short: a byte loop beats a call to memcmp.
inline bool SameName(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i])
      return false;
  }
  return true;
}

// A name's length with its first and last bytes. Equal names have equal
// keys, so the pre-scan's duplicate-attribute check compares the bytes of two
// names only when their keys match: `xmlns:msci` and `xmlns:mscp` differ in
// their last byte, not after nine equal ones.
inline uint32_t NameKey(absl::string_view name) {
  return static_cast<uint32_t>(name.size()) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(name.front())) << 8 |
         static_cast<unsigned char>(name.back());
}

// ASCII fast paths for the pre-scan, one table lookup per byte.
enum : uint8_t {
  kNameStartByte = 1 << 0,       // [A-Za-z_]
  kNameByte = 1 << 1,            // [A-Za-z0-9_.-]
  kPlainAttributeByte = 1 << 2,  // 0x20-0x7E minus < & " '
  kPlainTextByte = 1 << 3,       // 0x20-0x7E minus < & ], plus TAB LF CR
  kSpaceByte = 1 << 4,           // SP TAB LF CR (XML 1.0 §2.3 S)
};

constexpr std::array<uint8_t, 256> MakeByteClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t bits = 0;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter || c == '_')
      bits |= kNameStartByte;
    if (letter || c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
      bits |= kNameByte;
    }
    const bool printable = c >= 0x20 && c < 0x7F;
    if (printable && c != '<' && c != '&' && c != '"' && c != '\'') {
      bits |= kPlainAttributeByte;
    }
    if ((printable && c != '<' && c != '&' && c != ']') || c == '\t' ||
        c == '\n' || c == '\r') {
      bits |= kPlainTextByte;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      bits |= kSpaceByte;
    t[c] = bits;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kByteClasses = MakeByteClasses();

// "'<'" for a printable ASCII character, "U+00A0 (no-break space, not XML
// white space)" and the like otherwise, for error messages.
std::string DescribeCodePoint(uint32_t cp);

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_XML_CHARS_H_
