#include "codec/xml_reader.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <memory>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rapidxml/rapidxml.hpp"

namespace conf {
namespace codec {
namespace {

// RapidXML runs after the pre-scan, on input the pre-scan proved
// well-formed. No string terminators: every value is a (pointer, size) view,
// so the bytes after a name stay as they were. Closing tags are not compared
// with their start tags again (parse_validate_closing_tags): the pre-scan
// matched every end tag byte for byte, and both stop an end tag's name at the
// same byte. Declarations, comments and PIs are skipped (the pre-scan has
// already refused PIs and DOCTYPE).
constexpr int kRapidXmlFlags = rapidxml::parse_no_string_terminators;

// A leaf's text of at least this many plain bytes (no reference, CDATA,
// comment, `]` or non-ASCII byte) is moved out of RapidXML's way when at
// most kMaxDetachedTail bytes follow it: RapidXML reads text a byte at a
// time, and the pre-scan has already checked it 32 at a time.
constexpr size_t kMinDetachedText = 64;
constexpr size_t kMaxDetachedTail = 256;

// A text run in the body: the element's offset, and the run's bytes.
struct TextRun {
  uint32_t element = 0;
  uint32_t begin = 0;
  uint32_t size = 0;  // 0: none
};

// Hard cap on ParseLimits::max_depth: RapidXML and the tree builder recurse
// once per level.
constexpr int kMaxDepthCap = 256;

constexpr absl::string_view kXmlnsNamespaceUri =
    "http://www.w3.org/2000/xmlns/";

bool IsXmlSpace(unsigned char c) {
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

constexpr std::array<uint8_t, 256> kByteClasses = MakeByteClasses();

#if defined(__SSE2__)
// Bytes of a 16-byte block outside 0x20-0x7E: C0 controls, DEL and every
// byte >= 0x80. Adding 1 maps 0x00-0x1F to 0x01-0x20 and wraps DEL to 0x80,
// so one signed compare against 0x21 catches all three.
inline __m128i NotPrintable(__m128i v) {
  return _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(1)), _mm_set1_epi8(0x21));
}

// Bytes of `v` that may end a plain text run: everything NotPrintable except
// LF (a base64 line ends with one), and `<`, `&`, `]`. TAB and CR are
// reported too; TextSpecialBytes clears them.
inline __m128i TextCandidates(__m128i v) {
  const __m128i markup =
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))),
                   _mm_cmpeq_epi8(v, _mm_set1_epi8(']')));
  return _mm_or_si128(
      _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), NotPrintable(v)),
      markup);
}

// The bytes of `v` that end a plain text run, as a movemask.
inline int TextSpecialBytes(__m128i v) {
  const __m128i spaces = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
  return _mm_movemask_epi8(_mm_andnot_si128(spaces, TextCandidates(v)));
}
#endif

// The first position at or after `i` whose byte is not kPlainTextByte (or
// `n`). A certificate's base64 is over a kilobyte of plain text, so 32 bytes
// are checked per step; TAB and CR, rare in such text, are told apart from
// the bytes that end a run only in a block that has one.
size_t SkipPlainTextSse2(const unsigned char* p, size_t n, size_t i) {
#if defined(__SSE2__)
  for (; i + 32 <= n; i += 32) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i v1 =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16));
    if (_mm_movemask_epi8(
            _mm_or_si128(TextCandidates(v0), TextCandidates(v1))) == 0) {
      continue;
    }
    const uint32_t mask = static_cast<uint32_t>(TextSpecialBytes(v0)) |
                          (static_cast<uint32_t>(TextSpecialBytes(v1)) << 16);
    if (mask != 0)
      return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (const int mask = TextSpecialBytes(v); mask != 0)
      return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < n && (kByteClasses[p[i]] & kPlainTextByte))
    ++i;
  return i;
}

// The first position at or after `i` whose byte is not kPlainAttributeByte
// (or `n`).
size_t SkipPlainAttributeSse2(const unsigned char* p, size_t n, size_t i) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i markup =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))));
    const int mask = _mm_movemask_epi8(_mm_or_si128(NotPrintable(v), markup));
    if (mask != 0)
      return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < n && (kByteClasses[p[i]] & kPlainAttributeByte))
    ++i;
  return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same scans 32 bytes a step with AVX2, on CPUs that have it (checked
// once, at the first call). Three-operand instructions need no register
// copies, so a 32-byte step of text costs about 18 instructions instead of
// the 46 of two SSE2 blocks. The last bytes go to the SSE2 scan.
bool CpuHasAvx2() {
  static const bool kHasAvx2 = __builtin_cpu_supports("avx2");
  return kHasAvx2;
}

// 0x20-0x7E: adding 1 maps 0x00-0x1F to 0x01-0x20, wraps DEL to 0x80 and
// every byte >= 0x80 to a negative one (or 0), so one signed compare keeps
// exactly the printable ones.
__attribute__((target("avx2"))) inline __m256i Printable32(__m256i v) {
  return _mm256_cmpgt_epi8(_mm256_add_epi8(v, _mm256_set1_epi8(1)),
                           _mm256_set1_epi8(0x20));
}

__attribute__((target("avx2"))) size_t SkipPlainTextAvx2(const unsigned char* p,
                                                         size_t n, size_t i) {
  for (; i + 32 <= n; i += 32) {
    const __m256i v =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i markup = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('<')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('&'))),
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(']')));
    // Printable or LF (a base64 line ends with one), and not markup.
    const __m256i plain = _mm256_andnot_si256(
        markup, _mm256_or_si256(Printable32(v),
                                _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n'))));
    const uint32_t others = ~static_cast<uint32_t>(_mm256_movemask_epi8(plain));
    if (others == 0)
      continue;
    const uint32_t spaces = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r')))));
    if (const uint32_t special = others & ~spaces; special != 0)
      return i + static_cast<size_t>(__builtin_ctz(special));
  }
  return SkipPlainTextSse2(p, n, i);
}

__attribute__((target("avx2"))) size_t SkipPlainAttributeAvx2(
    const unsigned char* p, size_t n, size_t i) {
  for (; i + 32 <= n; i += 32) {
    const __m256i v =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i markup = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('<')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('&'))),
        _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\''))));
    const uint32_t others = ~static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_andnot_si256(markup, Printable32(v))));
    if (others != 0)
      return i + static_cast<size_t>(__builtin_ctz(others));
  }
  return SkipPlainAttributeSse2(p, n, i);
}
#endif

// Whether the AVX2 scans may run; the pre-scan asks once per document.
bool HasAvx2() {
#if defined(__x86_64__) && defined(__GNUC__)
  return CpuHasAvx2();
#else
  return false;
#endif
}

// `avx2` is HasAvx2().
size_t SkipPlainText(const unsigned char* p, size_t n, size_t i, bool avx2) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (avx2)
    return SkipPlainTextAvx2(p, n, i);
#endif
  (void)avx2;
  return SkipPlainTextSse2(p, n, i);
}

size_t SkipPlainAttribute(const unsigned char* p, size_t n, size_t i,
                          bool avx2) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (avx2)
    return SkipPlainAttributeAvx2(p, n, i);
#endif
  (void)avx2;
  return SkipPlainAttributeSse2(p, n, i);
}

// Characters we accept (XML 1.0 §2.2 Char), minus the ones §2.2 discourages
// that a conferencing protocol never carries: DEL and the C1 controls.
bool IsAllowedChar(uint32_t cp) {
  if (cp < 0x20)
    return cp == 0x9 || cp == 0xA || cp == 0xD;
  if (cp < 0x7F)
    return true;
  if (cp < 0xA0)
    return false;
  if (cp <= 0xD7FF)
    return true;
  if (cp < 0xE000)
    return false;
  if (cp <= 0xFFFD)
    return true;
  return cp >= 0x10000 && cp <= 0x10FFFF;
}

// XML 1.0 (fifth edition) §2.3 NameStartChar, without ':' (Namespaces in
// XML: NCName).
bool IsNameStartChar(uint32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  }
  return (cp >= 0xC0 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xF6) ||
         (cp >= 0xF8 && cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x37D) ||
         (cp >= 0x37F && cp <= 0x1FFF) || (cp >= 0x200C && cp <= 0x200D) ||
         (cp >= 0x2070 && cp <= 0x218F) || (cp >= 0x2C00 && cp <= 0x2FEF) ||
         (cp >= 0x3001 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
         (cp >= 0xFDF0 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0xEFFFF);
}

// XML 1.0 §2.3 NameChar, without ':'.
bool IsNameChar(uint32_t cp) {
  if (IsNameStartChar(cp))
    return true;
  if (cp < 0x80)
    return cp == '-' || cp == '.' || (cp >= '0' && cp <= '9');
  return cp == 0xB7 || (cp >= 0x300 && cp <= 0x36F) ||
         (cp >= 0x203F && cp <= 0x2040);
}

struct DecodedChar {
  uint32_t cp = 0;
  int length = 0;  // 0: not well-formed UTF-8
};

// Decodes one UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
DecodedChar DecodeUtf8(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c < 0x80)
    return {c, 1};
  int length;
  uint32_t cp;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return {};
  }
  if (end - p < length)
    return {};
  for (int i = 1; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80)
      return {};
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return {};
  return {cp, length};
}

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

// The root element as the pre-scan read it, for XmlDocument::Parse to build
// without RapidXML when `plain` (see RootInfo).
struct RootAttribute {
  absl::string_view name;
  absl::string_view value;  // as written: plain says it needs no change
};
struct RootInfo {
  // The root has content (it is not `<r/>`), its content holds nothing but
  // child elements, comments and white space, and no attribute value has
  // a reference to resolve.
  bool plain = false;
  uint32_t offset = 0;         // of its `<`
  absl::string_view name;      // as written
  uint32_t content_begin = 0;  // just after its start tag's `>`
  uint32_t end_tag = 0;        // the `<` of its end tag
  absl::Span<const RootAttribute> attributes;
};

// What the pre-scan found in a body it accepted. Its views point into the
// body and into itself (root.attributes into root_attributes), so it stays
// where PreScan filled it.
struct PreScanResult {
  PreScanResult() = default;
  PreScanResult(const PreScanResult&) = delete;
  PreScanResult& operator=(const PreScanResult&) = delete;

  // Elements and attributes (namespace declarations included), so the
  // builder can size its arrays once.
  size_t element_count = 0;
  size_t attribute_count = 0;
  // The longest text run that may be detached (see kMinDetachedText); size
  // 0 when there is none.
  TextRun detached_text;
  // Where attribute-value normalization must turn TAB/LF/CR into spaces
  // (XML 1.0 §3.3.3).
  std::vector<uint32_t> attribute_space_offsets;
  // The offsets of the colons in start tags' element and attribute names,
  // ascending (document order). The tree builder splits names with them
  // instead of searching each name again.
  absl::InlinedVector<uint32_t, 32> qname_colons;
  absl::InlinedVector<RootAttribute, 16> root_attributes;
  RootInfo root;
};

// The strict pass that runs before RapidXML. Read-only over the body; it
// records where attribute-value normalization must turn TAB/LF/CR into
// spaces (XML 1.0 §3.3.3) and counts elements and attributes so the builder
// can size its arrays once. `data[size]` must be readable and NUL when `size`
// is within the limit: the space and name loops stop at it.
class PreScanner {
 public:
  // Records its lists in `*result` as it goes; PreScan copies the rest
  // there after Run.
  PreScanner(const char* data, size_t size, const ParseLimits& limits,
             PreScanResult* result)
      : p_(reinterpret_cast<const unsigned char*>(data)),
        n_(size),
        limits_(limits),
        max_depth_(std::min(std::max(limits.max_depth, 1), kMaxDepthCap)),
        attribute_space_offsets_(result->attribute_space_offsets),
        qname_colons_(result->qname_colons),
        root_attributes_(result->root_attributes) {}
  PreScanner(const PreScanner&) = delete;  // seen_ may point into itself
  PreScanner& operator=(const PreScanner&) = delete;

  absl::Status Run();

  size_t element_count() const { return element_count_; }
  size_t attribute_count() const { return attribute_count_; }
  // The longest text run that may be detached (see kMinDetachedText);
  // size 0 when there is none.
  const TextRun& detached_text() const { return detached_; }
  RootInfo root() const {
    RootInfo info;
    info.plain = root_plain_;
    info.offset = static_cast<uint32_t>(root_offset_);
    info.name = root_name_;
    info.content_begin = static_cast<uint32_t>(root_content_begin_);
    info.end_tag = static_cast<uint32_t>(root_end_tag_);
    info.attributes = root_attributes_;
    return info;
  }

 private:
  enum class Misc { kProlog, kEpilog };

  absl::Status Error(size_t offset, absl::string_view what) const {
    return ErrorWithCode(absl::StatusCode::kInvalidArgument, offset, what);
  }
  absl::Status ErrorWithCode(absl::StatusCode code, size_t offset,
                             absl::string_view what) const;
  // "U+00A0 (no-break space, ...)" or "end of data" for what sits at `pos`.
  std::string Found(size_t pos) const;
  // "expected <what>" at pos_, with what was found there. Out of line, so
  // that the name scanners stay small.
  ABSL_ATTRIBUTE_NOINLINE absl::Status NameError(const char* what) const;

  bool At(absl::string_view s) const {
    return n_ - pos_ >= s.size() &&
           std::memcmp(p_ + pos_, s.data(), s.size()) == 0;
  }
  bool SkipSpace() {
    const size_t start = pos_;
    size_t i = start;
    while (kByteClasses[p_[i]] & kSpaceByte)  // p_[n_] is NUL
      ++i;
    pos_ = i;
    return i != start;
  }
  absl::Status CheckChar(const char* context);
  absl::Status ScanXmlDeclaration();
  absl::Status ScanMisc(Misc where, absl::string_view root_name);
  absl::Status ScanComment();
  absl::Status ScanCdata();
  absl::Status ScanReference();
  // Scans a QName at pos_ and sets `*name`, and `*colon` to the offset of
  // its colon (0 when it has none: a name never starts with one). Names of
  // ASCII name bytes take the inline path; anything else (non-ASCII names,
  // errors) goes through ScanQNameSlow, which accepts and refuses exactly as
  // before.
  absl::Status ScanQName(const char* what, absl::string_view* name,
                         size_t* colon) {
    if (ABSL_PREDICT_TRUE(ScanAsciiQName(name, colon)))
      return absl::OkStatus();
    return ScanQNameSlow(what, name, colon);
  }
  // The QName at pos_ when it is ASCII and followed by an ASCII byte other
  // than a name byte (or by the end); false, with pos_ unchanged, otherwise.
  bool ScanAsciiQName(absl::string_view* name, size_t* colon) {
    const size_t start = pos_;
    size_t i = start;
    if (i >= n_ || !(kByteClasses[p_[i]] & kNameStartByte))
      return false;
    ++i;
    while (kByteClasses[p_[i]] & kNameByte)  // p_[n_] is NUL
      ++i;
    *colon = 0;
    if (i < n_ && p_[i] == ':') {
      *colon = i;
      ++i;
      if (i >= n_ || !(kByteClasses[p_[i]] & kNameStartByte))
        return false;
      ++i;
      while (kByteClasses[p_[i]] & kNameByte)
        ++i;
    }
    if (i < n_ && p_[i] >= 0x80)
      return false;  // may continue with a non-ASCII NameChar
    pos_ = i;
    *name =
        absl::string_view(reinterpret_cast<const char*>(p_ + start), i - start);
    return true;
  }
  // Whether the end tag name at pos_ is `open` (the name of the element it
  // closes), read as ScanQName would: the bytes match and the next one
  // cannot continue a name. False means "scan it", not "mismatch".
  bool AtEndTagName(absl::string_view open) const {
    if (n_ - pos_ <= open.size() ||
        std::memcmp(p_ + pos_, open.data(), open.size()) != 0) {
      return false;
    }
    const unsigned char next = p_[pos_ + open.size()];
    return next < 0x80 && next != ':' && !(kByteClasses[next] & kNameByte);
  }
  ABSL_ATTRIBUTE_NOINLINE absl::Status ScanQNameSlow(const char* what,
                                                     absl::string_view* name,
                                                     size_t* colon);
  absl::Status ScanNcName(const char* what);
  // Scans a start tag at `<`. Sets `*name` and `*empty` (for `/>`).
  absl::Status ScanStartTag(int depth, absl::string_view* name, bool* empty);
  absl::Status ScanAttributeValue(absl::string_view element,
                                  absl::string_view attribute);
  absl::Status ScanContent(absl::string_view root_name);
  // Called after a plain run that began right after a start tag and ended
  // at pos_: records it in detached_ when it is the element's whole
  // content, not all white space, long enough, near enough the end and the
  // longest so far.
  void NoteTextRun(size_t begin) {
    const size_t size = pos_ - begin;
    if (size < kMinDetachedText || size <= detached_.size ||
        n_ - pos_ > kMaxDetachedTail || n_ - pos_ < 2 || p_[pos_] != '<' ||
        p_[pos_ + 1] != '/') {
      return;
    }
    // RapidXML drops content that is all white space; so must we.
    size_t i = begin;
    while (i < pos_ && IsXmlSpace(p_[i]))
      ++i;
    if (i == pos_)
      return;
    detached_.element = static_cast<uint32_t>(content_element_);
    detached_.begin = static_cast<uint32_t>(begin);
    detached_.size = static_cast<uint32_t>(size);
  }

  const unsigned char* p_;
  size_t n_;
  size_t pos_ = 0;
  const ParseLimits& limits_;
  const int max_depth_;
  const bool avx2_ = HasAvx2();
  size_t element_count_ = 0;
  size_t attribute_count_ = 0;
  // Inline storage covers the usual request: no allocation per parse.
  absl::InlinedVector<absl::string_view, 32> open_;  // innermost last
  // The current tag's attribute names with their NameKey()s, in seen_:
  // kInlineSeen slots here, or seen_heap_ once a tag has more attributes.
  struct SeenAttribute {
    absl::string_view name;
    uint32_t key = 0;
  };
  static constexpr size_t kInlineSeen = 16;
  SeenAttribute seen_inline_[kInlineSeen];
  std::unique_ptr<SeenAttribute[]> seen_heap_;
  SeenAttribute* seen_ = seen_inline_;
  size_t seen_capacity_ = kInlineSeen;
  // Doubles seen_capacity_, keeping the first `used` names.
  ABSL_ATTRIBUTE_NOINLINE void GrowSeen(size_t used) {
    auto bigger = std::make_unique<SeenAttribute[]>(2 * seen_capacity_);
    std::copy(seen_, seen_ + used, bigger.get());
    seen_heap_ = std::move(bigger);
    seen_ = seen_heap_.get();
    seen_capacity_ *= 2;
  }
  // The lists of the PreScanResult.
  std::vector<uint32_t>& attribute_space_offsets_;
  absl::InlinedVector<uint32_t, 32>& qname_colons_;
  // Where the content of the innermost open element starts, and that
  // element's offset; for NoteTextRun.
  size_t content_start_ = ~size_t{0};
  size_t content_element_ = 0;
  TextRun detached_;
  // See RootInfo.
  bool root_plain_ = false;
  size_t root_offset_ = 0;
  absl::string_view root_name_;
  size_t root_content_begin_ = 0;
  size_t root_end_tag_ = 0;
  absl::InlinedVector<RootAttribute, 16>& root_attributes_;
  bool reference_in_value_ = false;  // set by ScanAttributeValue
};

absl::Status PreScanner::ErrorWithCode(absl::StatusCode code, size_t offset,
                                       absl::string_view what) const {
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < n_; ++i) {
    if (p_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::Status(
      code, absl::StrCat("xml: ", what, " at offset ", offset, " (line ", line,
                         ", column ", offset - line_start + 1, ")"));
}

std::string PreScanner::Found(size_t pos) const {
  if (pos >= n_)
    return "end of data";
  const DecodedChar c = DecodeUtf8(p_ + pos, p_ + n_);
  if (c.length == 0) {
    return absl::StrFormat("byte 0x%02X (not UTF-8)", p_[pos]);
  }
  return DescribeCodePoint(c.cp);
}

absl::Status PreScanner::NameError(const char* what) const {
  if (pos_ >= n_)
    return Error(pos_, absl::StrCat("expected ", what));
  return Error(pos_,
               absl::StrCat("expected ", what, " but found ", Found(pos_)));
}

// Checks the character at pos_ and advances past it.
absl::Status PreScanner::CheckChar(const char* context) {
  const unsigned char c = p_[pos_];
  if (c >= 0x20 && c < 0x7F) {
    ++pos_;
    return absl::OkStatus();
  }
  const DecodedChar d = DecodeUtf8(p_ + pos_, p_ + n_);
  if (d.length == 0) {
    return Error(pos_, absl::StrFormat("invalid UTF-8 byte 0x%02X in %s",
                                       p_[pos_], context));
  }
  if (!IsAllowedChar(d.cp)) {
    return Error(pos_, absl::StrCat("character ", DescribeCodePoint(d.cp),
                                    " not allowed in ", context));
  }
  pos_ += d.length;
  return absl::OkStatus();
}

absl::Status PreScanner::Run() {
  if (n_ > limits_.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("xml: body of ", n_, " bytes exceeds the limit of ",
                     limits_.max_bytes, " bytes"));
  }
  if (n_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF)
    pos_ = 3;
  // XML 1.0 §2.8: the declaration, if any, comes first. RapidXML treats any
  // `<?xml ` as the declaration; we accept it only here, in lower case.
  if (At("<?xml") && pos_ + 5 < n_ && IsXmlSpace(p_[pos_ + 5])) {
    if (absl::Status s = ScanXmlDeclaration(); !s.ok())
      return s;
  }
  if (absl::Status s = ScanMisc(Misc::kProlog, ""); !s.ok())
    return s;
  if (pos_ >= n_)
    return Error(pos_, "no root element");
  const size_t root_offset = pos_;
  absl::string_view root_name;
  bool empty = false;
  if (absl::Status s = ScanStartTag(1, &root_name, &empty); !s.ok())
    return s;
  root_offset_ = root_offset;
  root_name_ = root_name;
  if (!empty) {
    // ScanStartTag and ScanContent clear it for what RapidXML must read.
    root_plain_ = !reference_in_value_;
    root_content_begin_ = pos_;
    open_.push_back(root_name);
    content_start_ = pos_;
    content_element_ = root_offset;
    if (absl::Status s = ScanContent(root_name); !s.ok())
      return s;
  }
  return ScanMisc(Misc::kEpilog, root_name);
}

absl::Status PreScanner::ScanXmlDeclaration() {
  const size_t start = pos_;
  pos_ += 5;  // "<?xml"
  // XML 1.0 §2.8 XMLDecl: version, then optional encoding and standalone, in
  // that order. Values are restricted to a plain alphabet so that `?>` cannot
  // hide inside one (RapidXML skips to the first `?>`).
  static constexpr absl::string_view kNames[] = {"version", "encoding",
                                                 "standalone"};
  size_t next_name = 0;
  for (;;) {
    const bool space = SkipSpace();
    if (At("?>")) {
      if (next_name == 0)
        return Error(start, "xml declaration without version");
      pos_ += 2;
      return absl::OkStatus();
    }
    if (!space)
      return Error(pos_, "malformed xml declaration");
    size_t which = next_name;
    while (which < 3 && !At(kNames[which]))
      ++which;
    if (which == 3 || (next_name == 0 && which != 0)) {
      return Error(pos_, "malformed xml declaration");
    }
    pos_ += kNames[which].size();
    next_name = which + 1;
    SkipSpace();
    if (pos_ >= n_ || p_[pos_] != '=') {
      return Error(pos_, "malformed xml declaration");
    }
    ++pos_;
    SkipSpace();
    if (pos_ >= n_ || (p_[pos_] != '"' && p_[pos_] != '\'')) {
      return Error(pos_, "malformed xml declaration");
    }
    const unsigned char quote = p_[pos_++];
    const size_t value_start = pos_;
    while (pos_ < n_ && p_[pos_] != quote) {
      const unsigned char c = p_[pos_];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
        return Error(pos_, "malformed xml declaration");
      }
      ++pos_;
    }
    if (pos_ >= n_)
      return Error(start, "unterminated xml declaration");
    const absl::string_view value(
        reinterpret_cast<const char*>(p_ + value_start), pos_ - value_start);
    ++pos_;
    if (which == 0 && value != "1.0") {
      return Error(value_start, absl::StrCat("unsupported xml version \"",
                                             EscapeForError(value), "\""));
    }
    if (which == 1 && !absl::EqualsIgnoreCase(value, "UTF-8")) {
      return Error(value_start,
                   absl::StrCat("unsupported encoding \"",
                                EscapeForError(value), "\" (only UTF-8)"));
    }
    if (which == 2 && value != "yes" && value != "no") {
      return Error(value_start, "malformed xml declaration");
    }
  }
}

// Misc* (XML 1.0 §2.8): white space and comments, before and after the root.
absl::Status PreScanner::ScanMisc(Misc where, absl::string_view root_name) {
  for (;;) {
    SkipSpace();
    if (pos_ >= n_)
      return absl::OkStatus();
    if (p_[pos_] != '<') {
      if (where == Misc::kProlog) {
        return Error(pos_,
                     absl::StrCat("expected '<' but found ", Found(pos_)));
      }
      return Error(pos_,
                   absl::StrCat("content after the root element <",
                                EscapeForError(root_name), ">: ", Found(pos_)));
    }
    if (At("<!--")) {
      if (absl::Status s = ScanComment(); !s.ok())
        return s;
      continue;
    }
    if (At("<?")) {
      return Error(pos_, "processing instruction not allowed");
    }
    if (At("<!DOCTYPE"))
      return Error(pos_, "DOCTYPE not allowed");
    if (At("<!")) {
      return Error(pos_, "markup declaration not allowed");
    }
    if (where == Misc::kProlog)
      return absl::OkStatus();
    return Error(pos_, absl::StrCat("second root element after <",
                                    EscapeForError(root_name), ">"));
  }
}

// XML 1.0 §2.5: `--` must not occur inside a comment. RapidXML ends a comment
// at the first `-->`; refusing any other `--` makes both stop at the same
// place.
absl::Status PreScanner::ScanComment() {
  const size_t start = pos_;
  pos_ += 4;
  for (;;) {
    if (pos_ >= n_)
      return Error(start, "unterminated comment");
    if (p_[pos_] == '-' && pos_ + 1 < n_ && p_[pos_ + 1] == '-') {
      if (pos_ + 2 < n_ && p_[pos_ + 2] == '>') {
        pos_ += 3;
        return absl::OkStatus();
      }
      return Error(pos_, "'--' inside a comment");
    }
    if (absl::Status s = CheckChar("comment"); !s.ok())
      return s;
  }
}

absl::Status PreScanner::ScanCdata() {
  const size_t start = pos_;
  pos_ += 9;  // "<![CDATA["
  for (;;) {
    if (pos_ >= n_)
      return Error(start, "unterminated CDATA section");
    if (At("]]>")) {
      pos_ += 3;
      return absl::OkStatus();
    }
    if (absl::Status s = CheckChar("CDATA section"); !s.ok())
      return s;
  }
}

// XML 1.0 §4.1: the five predefined entities and character references. There
// is no DTD, so no other entity exists.
absl::Status PreScanner::ScanReference() {
  const size_t start = pos_;
  ++pos_;  // '&'
  static constexpr absl::string_view kEntities[] = {"lt;", "gt;", "amp;",
                                                    "quot;", "apos;"};
  for (absl::string_view entity : kEntities) {
    if (At(entity)) {
      pos_ += entity.size();
      return absl::OkStatus();
    }
  }
  if (pos_ >= n_ || p_[pos_] != '#') {
    size_t end = pos_;
    while (end < n_ && end - pos_ < 32 && p_[end] != ';' &&
           !IsXmlSpace(p_[end]) && p_[end] != '<') {
      ++end;
    }
    return Error(
        start,
        absl::StrCat("undefined entity reference '&",
                     EscapeForError(absl::string_view(
                         reinterpret_cast<const char*>(p_ + pos_), end - pos_)),
                     "' (only &lt; &gt; &amp; &quot; &apos;)"));
  }
  ++pos_;  // '#'
  // RapidXML, like XML, takes only a lower-case 'x' for hexadecimal.
  const bool hex = pos_ < n_ && p_[pos_] == 'x';
  if (hex)
    ++pos_;
  uint32_t cp = 0;
  bool overflow = false;
  size_t digits = 0;
  while (pos_ < n_) {
    const unsigned char c = p_[pos_];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      break;
    }
    if (!overflow) {
      cp = cp * (hex ? 16 : 10) + digit;
      if (cp > 0x10FFFF)
        overflow = true;
    }
    ++digits;
    ++pos_;
  }
  if (digits == 0 || pos_ >= n_ || p_[pos_] != ';') {
    return Error(start, "malformed character reference");
  }
  ++pos_;
  if (overflow)
    return Error(start, "character reference out of range");
  if (cp == 0)
    return Error(start, "character reference &#0; not allowed");
  if (!IsAllowedChar(cp)) {
    return Error(start,
                 absl::StrCat("character reference to ", DescribeCodePoint(cp),
                              ", which is not allowed"));
  }
  return absl::OkStatus();
}

absl::Status PreScanner::ScanNcName(const char* what) {
  if (pos_ >= n_)
    return NameError(what);
  if (kByteClasses[p_[pos_]] & kNameStartByte) {
    ++pos_;
  } else {
    const DecodedChar c = DecodeUtf8(p_ + pos_, p_ + n_);
    if (c.length == 0 || !IsNameStartChar(c.cp))
      return NameError(what);
    pos_ += c.length;
  }
  for (;;) {
    // ASCII name bytes in a local: no store per byte.
    size_t i = pos_;
    while (i < n_ && (kByteClasses[p_[i]] & kNameByte))
      ++i;
    pos_ = i;
    if (i >= n_ || p_[i] < 0x80)
      break;
    const DecodedChar c = DecodeUtf8(p_ + i, p_ + n_);
    if (c.length == 0 || !IsNameChar(c.cp))
      break;
    pos_ += c.length;
  }
  return absl::OkStatus();
}

// Namespaces in XML 1.0 §4 QName: NCName (':' NCName)?.
absl::Status PreScanner::ScanQNameSlow(const char* what,
                                       absl::string_view* name, size_t* colon) {
  const size_t start = pos_;
  if (absl::Status s = ScanNcName(what); !s.ok())
    return s;
  *colon = 0;
  if (pos_ < n_ && p_[pos_] == ':') {
    *colon = pos_;
    ++pos_;
    if (absl::Status s = ScanNcName("local name after ':'"); !s.ok())
      return s;
  }
  *name = absl::string_view(reinterpret_cast<const char*>(p_ + start),
                            pos_ - start);
  return absl::OkStatus();
}

absl::Status PreScanner::ScanStartTag(int depth, absl::string_view* name,
                                      bool* empty) {
  const size_t start = pos_;
  ++pos_;  // '<'
  size_t colon;
  if (absl::Status s = ScanQName("element name", name, &colon); !s.ok())
    return s;
  if (colon != 0)
    qname_colons_.push_back(static_cast<uint32_t>(colon));
  if (++element_count_ > limits_.max_elements) {
    return ErrorWithCode(
        absl::StatusCode::kResourceExhausted, start,
        absl::StrCat("more than ", limits_.max_elements, " elements"));
  }
  if (depth > max_depth_) {
    return ErrorWithCode(
        absl::StatusCode::kResourceExhausted, start,
        absl::StrCat("elements nested deeper than ", max_depth_, " levels"));
  }
  size_t attributes = 0;  // on this tag, the first ones in seen_
  for (;;) {
    const bool space = SkipSpace();
    if (pos_ >= n_) {
      return Error(start, absl::StrCat("unterminated start tag <",
                                       EscapeForError(*name), ">"));
    }
    if (p_[pos_] == '>') {
      ++pos_;
      *empty = false;
      return absl::OkStatus();
    }
    if (p_[pos_] == '/') {
      if (pos_ + 1 >= n_ || p_[pos_ + 1] != '>') {
        return Error(pos_, absl::StrCat("expected '/>' in start tag <",
                                        EscapeForError(*name), ">"));
      }
      pos_ += 2;
      *empty = true;
      return absl::OkStatus();
    }
    bool name_start;
    if (p_[pos_] < 0x80) {
      name_start = (kByteClasses[p_[pos_]] & kNameStartByte) != 0;
    } else {
      const DecodedChar c = DecodeUtf8(p_ + pos_, p_ + n_);
      name_start = c.length != 0 && IsNameStartChar(c.cp);
    }
    if (!space || !name_start) {
      return Error(
          pos_,
          absl::StrCat("expected ", space ? "attribute name" : "white space",
                       ", '>' or '/>' in start tag <", EscapeForError(*name),
                       "> but found ", Found(pos_)));
    }
    const size_t attribute_start = pos_;
    absl::string_view attribute;
    if (absl::Status s = ScanQName("attribute name", &attribute, &colon);
        !s.ok()) {
      return s;
    }
    if (colon != 0)
      qname_colons_.push_back(static_cast<uint32_t>(colon));
    if (attributes >= limits_.max_attributes_per_element) {
      return ErrorWithCode(
          absl::StatusCode::kResourceExhausted, attribute_start,
          absl::StrCat("more than ", limits_.max_attributes_per_element,
                       " attributes on <", EscapeForError(*name), ">"));
    }
    const uint32_t key = NameKey(attribute);
    if (attributes == seen_capacity_)
      GrowSeen(attributes);
    SeenAttribute* const seen = seen_;
    for (size_t i = 0; i < attributes; ++i) {
      if (seen[i].key == key && SameName(seen[i].name, attribute)) {
        return Error(
            attribute_start,
            absl::StrCat("duplicate attribute ", EscapeForError(attribute),
                         " on <", EscapeForError(*name), ">"));
      }
    }
    seen[attributes++] = SeenAttribute{attribute, key};
    ++attribute_count_;
    if (p_[pos_] != '=')  // p_[n_] is NUL
      SkipSpace();
    if (pos_ >= n_ || p_[pos_] != '=') {
      return Error(pos_, absl::StrCat("expected '=' after attribute ",
                                      EscapeForError(attribute), " but found ",
                                      Found(pos_)));
    }
    ++pos_;
    if (p_[pos_] != '"' && p_[pos_] != '\'')  // p_[n_] is NUL
      SkipSpace();
    const size_t value_quote = pos_;
    if (absl::Status s = ScanAttributeValue(*name, attribute); !s.ok()) {
      return s;
    }
    if (depth == 1) {
      root_attributes_.push_back(RootAttribute{
          attribute,
          absl::string_view(reinterpret_cast<const char*>(p_ + value_quote + 1),
                            pos_ - value_quote - 2)});
    }
  }
}

absl::Status PreScanner::ScanAttributeValue(absl::string_view element,
                                            absl::string_view attribute) {
  if (pos_ >= n_ || (p_[pos_] != '"' && p_[pos_] != '\'')) {
    return Error(pos_, absl::StrCat("expected a quoted value for attribute ",
                                    EscapeForError(attribute), " but found ",
                                    Found(pos_)));
  }
  const size_t start = pos_;
  const unsigned char quote = p_[pos_++];
  for (;;) {
    if (pos_ >= n_) {
      return Error(start, absl::StrCat("unterminated value of attribute ",
                                       EscapeForError(attribute), " on <",
                                       EscapeForError(element), ">"));
    }
    pos_ = SkipPlainAttribute(p_, n_, pos_, avx2_);
    if (pos_ >= n_)
      continue;
    const unsigned char c = p_[pos_];
    if (c == quote) {
      ++pos_;
      return absl::OkStatus();
    }
    if (c == '<') {
      return Error(pos_, absl::StrCat("'<' in value of attribute ",
                                      EscapeForError(attribute), " on <",
                                      EscapeForError(element), ">"));
    }
    if (c == '&') {
      reference_in_value_ = true;
      if (absl::Status s = ScanReference(); !s.ok())
        return s;
      continue;
    }
    if (c == '"' || c == '\'') {  // the other quote
      ++pos_;
      continue;
    }
    if (c == '\t' || c == '\n' || c == '\r') {
      attribute_space_offsets_.push_back(static_cast<uint32_t>(pos_));
      ++pos_;
      continue;
    }
    if (absl::Status s = CheckChar("attribute value"); !s.ok())
      return s;
  }
}

absl::Status PreScanner::ScanContent(absl::string_view root_name) {
  while (!open_.empty()) {
    if (pos_ >= n_) {
      return Error(pos_, absl::StrCat("end of data inside <",
                                      EscapeForError(open_.back()), ">"));
    }
    const unsigned char c = p_[pos_];
    if (c == '<') {
      if (pos_ + 1 < n_ && p_[pos_ + 1] == '/') {
        const size_t start = pos_;
        pos_ += 2;
        absl::string_view name;
        if (!AtEndTagName(open_.back())) {
          size_t colon;
          if (absl::Status s = ScanQName("end tag name", &name, &colon);
              !s.ok()) {
            return s;
          }
        } else {
          name = open_.back();
          pos_ += name.size();
        }
        if (name != open_.back()) {
          return Error(start, absl::StrCat("end tag </", EscapeForError(name),
                                           "> does not match <",
                                           EscapeForError(open_.back()), ">"));
        }
        SkipSpace();
        if (pos_ >= n_ || p_[pos_] != '>') {
          return Error(pos_, absl::StrCat("expected '>' in end tag </",
                                          EscapeForError(name), "> but found ",
                                          Found(pos_)));
        }
        ++pos_;
        open_.pop_back();
        if (open_.empty())
          root_end_tag_ = start;
      } else if (At("<!--")) {
        if (absl::Status s = ScanComment(); !s.ok())
          return s;
      } else if (At("<![CDATA[")) {
        if (open_.size() == 1)
          root_plain_ = false;
        if (absl::Status s = ScanCdata(); !s.ok())
          return s;
      } else if (At("<!DOCTYPE")) {
        return Error(pos_, "DOCTYPE not allowed");
      } else if (At("<!")) {
        return Error(pos_, "markup declaration not allowed");
      } else if (At("<?")) {
        return Error(pos_, "processing instruction not allowed");
      } else {
        const size_t tag = pos_;
        absl::string_view name;
        bool empty = false;
        if (absl::Status s =
                ScanStartTag(static_cast<int>(open_.size()) + 1, &name, &empty);
            !s.ok()) {
          return s;
        }
        if (!empty) {
          open_.push_back(name);
          content_start_ = pos_;
          content_element_ = tag;
        }
      }
      continue;
    }
    // Text directly in the root (other than white space) is for RapidXML.
    if (open_.size() == 1 && !IsXmlSpace(c))
      root_plain_ = false;
    if (c == '&') {
      if (absl::Status s = ScanReference(); !s.ok())
        return s;
      continue;
    }
    if (c == ']' && At("]]>")) {
      return Error(pos_, "']]>' in text");
    }
    if (kByteClasses[c] & kPlainTextByte) {
      const size_t begin = pos_;
      pos_ = SkipPlainText(p_, n_, pos_ + 1, avx2_);
      if (open_.size() == 1) {
        for (size_t i = begin; i < pos_; ++i)
          root_plain_ = root_plain_ && IsXmlSpace(p_[i]);
      }
      if (begin == content_start_)
        NoteTextRun(begin);
      continue;
    }
    if (c == ']') {
      ++pos_;
      continue;
    }
    if (absl::Status s = CheckChar("text"); !s.ok())
      return s;
  }
  (void)root_name;
  return absl::OkStatus();
}

// Runs the pre-scan over `data[0, size)`; `data[size]` must be readable and
// NUL when `size` is within the limit. Fills `*result` on success.
absl::Status PreScan(const char* data, size_t size, const ParseLimits& limits,
                     PreScanResult* result) {
  PreScanner scanner(data, size, limits, result);
  if (absl::Status s = scanner.Run(); !s.ok())
    return s;
  result->element_count = scanner.element_count();
  result->attribute_count = scanner.attribute_count();
  result->detached_text = scanner.detached_text();
  result->root = scanner.root();
  return absl::OkStatus();
}

// --- Tree building over RapidXML's DOM. ---

absl::string_view View(const char* p, size_t n) {
  return absl::string_view(p, n);
}

// Names are short: a byte loop beats a call to memchr.
inline void SplitQName(absl::string_view qname, absl::string_view* prefix,
                       absl::string_view* local) {
  for (size_t i = 0; i < qname.size(); ++i) {
    if (qname[i] == ':') {
      *prefix = qname.substr(0, i);
      *local = qname.substr(i + 1);
      return;
    }
  }
  *prefix = absl::string_view();
  *local = qname;
}

// Whether `name` declares a namespace (`xmlns` or `xmlns:prefix`); sets
// `*prefix` ("" for the default namespace) when it does.
inline bool IsNamespaceDeclaration(absl::string_view name,
                                   absl::string_view* prefix) {
  if (name.size() < 5 || name[0] != 'x' ||
      std::memcmp(name.data(), "xmlns", 5) != 0) {
    return false;
  }
  if (name.size() == 5) {
    *prefix = absl::string_view();
    return true;
  }
  if (name.size() == 6 || name[5] != ':')
    return false;
  *prefix = name.substr(6);
  return true;
}

bool IsAllSpace(absl::string_view s) {
  for (char c : s) {
    if (!IsXmlSpace(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

// The error for RapidXML reading what the pre-scan accepted otherwise.
absl::Status DisagreementError(absl::string_view what,
                               absl::string_view where) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      "xml: pre-scan and RapidXML disagree (", what, ") at ", where));
  status.SetPayload(kParserDisagreementPayload, absl::Cord());
  return status;
}

// An element's attributes as RapidXML read them (values resolved in place),
// for XmlTreeBuilder::ReadStartTag.
class RapidAttributes {
 public:
  explicit RapidAttributes(rapidxml::xml_node<char>* node) : node_(node) {}
  // Calls fn(name, value) for each attribute in order while it returns true.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (rapidxml::xml_attribute<char>* a = node_->first_attribute();
         a != nullptr; a = a->next_attribute()) {
      if (!fn(View(a->name(), a->name_size()),
              View(a->value(), a->value_size()))) {
        return;
      }
    }
  }

 private:
  rapidxml::xml_node<char>* node_;
};

// The root's attributes as the pre-scan read them (no reference to
// resolve), for XmlTreeBuilder::ReadStartTag.
class ScannedAttributes {
 public:
  explicit ScannedAttributes(absl::Span<const RootAttribute> attributes)
      : attributes_(attributes) {}
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const RootAttribute& a : attributes_) {
      if (!fn(a.name, a.value))
        return;
    }
  }

 private:
  absl::Span<const RootAttribute> attributes_;
};

// Links `child` after `*last_child`, the last child `parent` has so far.
inline void AppendChild(XmlElement* parent, XmlElement** last_child,
                        XmlElement* child) {
  if (*last_child == nullptr) {
    parent->first_child = child;
  } else {
    (*last_child)->next_sibling = child;
  }
  *last_child = child;
}

}  // namespace

// What a tree RapidXML read larger than the pre-scan did is refused with.
constexpr absl::string_view kMoreElements =
    "more elements than the pre-scan counted";
constexpr absl::string_view kMoreAttributes =
    "more attributes than the pre-scan counted";

// Builds XmlElements from RapidXML's tree, resolving namespaces.
class XmlTreeBuilder {
 public:
  // `detached_element` is the offset of the element whose text Parse moved
  // (if it moved any); `qname_colons` are PreScanResult::qname_colons.
  XmlTreeBuilder(XmlDocument* doc,
                 absl::Span<const absl::string_view> known_namespaces,
                 uint32_t detached_element,
                 absl::Span<const uint32_t> qname_colons)
      : doc_(doc),
        known_namespaces_(known_namespaces),
        no_namespace_id_(KnownId(absl::string_view())),
        detached_element_(detached_element),
        qname_colons_(qname_colons) {}

  absl::Status Build(rapidxml::xml_node<char>* node, XmlElement* parent,
                     int depth, XmlElement** out);
  // Builds the root from what the pre-scan read (RootInfo::plain), and its
  // children from RapidXML's nodes, which RapidXML read as a document of
  // their own.
  absl::Status BuildRoot(const RootInfo& root,
                         rapidxml::xml_node<char>* first_child);

 private:
  // A namespace binding in scope, with its URI's id (XmlElement::ns_id).
  struct Binding {
    absl::string_view prefix;
    absl::string_view uri;
    int id;
  };

  absl::Status Error(uint32_t offset, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("xml: ", what, " at ", doc_->Where(offset)));
  }
  absl::Status Disagreement(absl::string_view what, uint32_t offset) const {
    return DisagreementError(what, doc_->Where(offset));
  }
  template <typename Attributes>
  absl::Status ReadStartTag(XmlElement* e, const Attributes& attributes);
  // Splits the name of a start tag or of one of its attributes at its colon,
  // found among the colons the pre-scan recorded rather than by reading the
  // name again. Names must be split in document order: the search only moves
  // forward.
  void SplitName(absl::string_view qname, absl::string_view* prefix,
                 absl::string_view* local) {
    const uint32_t begin = doc_->BodyOffset(
        static_cast<size_t>(qname.data() - doc_->buffer_.data()));
    while (next_colon_ < qname_colons_.size() &&
           qname_colons_[next_colon_] < begin) {
      ++next_colon_;
    }
    if (next_colon_ < qname_colons_.size() &&
        qname_colons_[next_colon_] - begin < qname.size()) {
      const size_t i = qname_colons_[next_colon_] - begin;
      assert(qname[i] == ':');
      *prefix = qname.substr(0, i);
      *local = qname.substr(i + 1);
      return;
    }
    *prefix = absl::string_view();
    *local = qname;
  }
  int KnownId(absl::string_view uri) const {
    for (size_t i = 0; i < known_namespaces_.size(); ++i) {
      if (known_namespaces_[i] == uri)
        return static_cast<int>(i) + 1;
    }
    return 0;
  }
  // Finds the URI bound to `prefix` and its id; false when undeclared. The
  // default namespace ("") is always found, possibly as "" (no namespace).
  bool Resolve(absl::string_view prefix, absl::string_view* uri,
               int* id) const {
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
      if (SameName(it->prefix, prefix)) {
        *uri = it->uri;
        *id = it->id;
        return true;
      }
    }
    // `xml` may be declared, but only with its own URI (checked in Build).
    if (prefix == "xml") {
      *uri = kXmlNamespaceUri;
      *id = KnownId(kXmlNamespaceUri);
      return true;
    }
    *uri = absl::string_view();
    *id = no_namespace_id_;
    return prefix.empty();
  }

  XmlDocument* doc_;
  const absl::Span<const absl::string_view> known_namespaces_;
  const int no_namespace_id_;
  const uint32_t detached_element_;
  const absl::Span<const uint32_t> qname_colons_;
  size_t next_colon_ = 0;  // SplitName's position in qname_colons_
  absl::InlinedVector<Binding, 16> scope_;
};

absl::Status XmlTreeBuilder::Build(rapidxml::xml_node<char>* node,
                                   XmlElement* parent, int depth,
                                   XmlElement** out) {
  // The tree's arrays hold what the pre-scan counted, so these pointers
  // never move.
  const char* base = doc_->buffer_.data();
  const uint32_t offset =
      doc_->BodyOffset(static_cast<size_t>(node->name() - base - 1));
  XmlElement* e = doc_->elements_.Append();
  if (e == nullptr)
    return Disagreement(kMoreElements, offset);
  *out = e;
  e->qname = View(node->name(), node->name_size());
  e->offset = offset;
  e->parent = parent;
  e->depth = depth;

  const size_t scope_mark = scope_.size();
  if (absl::Status s = ReadStartTag(e, RapidAttributes(node)); !s.ok())
    return s;

  bool has_child_elements = false;
  for (rapidxml::xml_node<char>* child = node->first_node(); child != nullptr;
       child = child->next_sibling()) {
    has_child_elements =
        has_child_elements || child->type() == rapidxml::node_element;
  }
  XmlElement* last_child = nullptr;
  char* text_begin = nullptr;
  char* text_end = nullptr;
  for (rapidxml::xml_node<char>* child = node->first_node(); child != nullptr;
       child = child->next_sibling()) {
    switch (child->type()) {
      case rapidxml::node_element: {
        XmlElement* c = nullptr;
        if (absl::Status s = Build(child, e, depth + 1, &c); !s.ok())
          return s;
        AppendChild(e, &last_child, c);
        break;
      }
      case rapidxml::node_data:
      case rapidxml::node_cdata: {
        char* value = child->value();
        const size_t size = child->value_size();
        if (has_child_elements) {
          if (!IsAllSpace(View(value, size))) {
            return Error(doc_->BodyOffset(static_cast<size_t>(value - base)),
                         absl::StrCat("text mixed with child elements in <",
                                      EscapeForError(e->qname), ">"));
          }
          break;
        }
        // Join the chunks of a leaf's text in place: they are in buffer
        // order and separated only by markup no view refers to (CDATA
        // delimiters, comments), so moving a later chunk down overwrites
        // only that markup.
        if (text_begin == nullptr) {
          text_begin = value;
          text_end = value + size;
        } else {
          std::memmove(text_end, value, size);
          text_end += size;
        }
        break;
      }
      default:
        break;
    }
  }
  if (text_begin != nullptr) {
    e->text = View(text_begin, static_cast<size_t>(text_end - text_begin));
  } else if (doc_->detached_size_ != 0 && e->offset == detached_element_) {
    // Its whole content, which RapidXML did not see (Parse).
    e->text = View(base + doc_->buffer_.size() - doc_->detached_size_,
                   doc_->detached_size_);
  }
  scope_.resize(scope_mark);
  return absl::OkStatus();
}

// Reads an element's namespace declarations, resolves its name and reads
// its other attributes. `attributes` is RapidAttributes or
// ScannedAttributes.
template <typename Attributes>
absl::Status XmlTreeBuilder::ReadStartTag(XmlElement* e,
                                          const Attributes& attributes) {
  // Namespace declarations first: they apply to the element's own name and
  // attributes (Namespaces in XML 1.0 §6.1).
  const size_t decl_begin = doc_->namespace_decls_.size();
  absl::Status status;
  attributes.ForEach([&](absl::string_view name, absl::string_view value) {
    XmlNamespaceDecl decl;
    if (!IsNamespaceDeclaration(name, &decl.prefix))
      return true;
    if (!decl.prefix.empty() && value.empty()) {
      status = Error(e->offset, absl::StrCat("empty namespace URI for prefix ",
                                             EscapeForError(decl.prefix)));
      return false;
    }
    decl.uri = value;
    if (decl.prefix == "xmlns" || value == kXmlnsNamespaceUri ||
        (decl.prefix == "xml") != (value == kXmlNamespaceUri)) {
      status = Error(e->offset, absl::StrCat("reserved namespace binding ",
                                             EscapeForError(name), "=\"",
                                             EscapeForError(value), "\""));
      return false;
    }
    if (!doc_->namespace_decls_.Push(decl)) {
      status = Disagreement(kMoreAttributes, e->offset);
      return false;
    }
    scope_.push_back(Binding{decl.prefix, decl.uri, KnownId(decl.uri)});
    return true;
  });
  if (!status.ok())
    return status;
  e->namespace_decls =
      absl::MakeConstSpan(doc_->namespace_decls_.data() + decl_begin,
                          doc_->namespace_decls_.size() - decl_begin);

  absl::string_view prefix;
  SplitName(e->qname, &prefix, &e->local_name);
  if (prefix == "xmlns" || !Resolve(prefix, &e->ns_uri, &e->ns_id)) {
    return Error(e->offset, absl::StrCat("undeclared namespace prefix ",
                                         EscapeForError(prefix), " on <",
                                         EscapeForError(e->qname), ">"));
  }

  const size_t attr_begin = doc_->attributes_.size();
  attributes.ForEach([&](absl::string_view name, absl::string_view value) {
    absl::string_view local;
    SplitName(name, &prefix, &local);
    if (prefix.empty() ? local == "xmlns" : prefix == "xmlns")
      return true;  // a namespace declaration, read above
    XmlAttribute attribute;
    attribute.qname = name;
    attribute.local_name = local;
    attribute.value = value;
    // Namespaces in XML 1.0 §6.2: unprefixed attributes are in no namespace.
    if (prefix.empty()) {
      attribute.ns_id = no_namespace_id_;
    } else if (!Resolve(prefix, &attribute.ns_uri, &attribute.ns_id)) {
      status = Error(
          e->offset,
          absl::StrCat("undeclared namespace prefix ", EscapeForError(prefix),
                       " on attribute ", EscapeForError(name)));
      return false;
    }
    // Namespaces in XML 1.0 §6.3: no two attributes with the same expanded
    // name (the pre-scan caught equal qualified names).
    for (size_t i = attr_begin; i < doc_->attributes_.size(); ++i) {
      // Ids are a function of the URI: different ids, different URIs.
      const XmlAttribute& other = doc_->attributes_[i];
      if (other.ns_id == attribute.ns_id &&
          SameName(other.local_name, attribute.local_name) &&
          other.ns_uri == attribute.ns_uri) {
        status = Error(e->offset, absl::StrCat("duplicate attribute ",
                                               EscapeForError(name), " on <",
                                               EscapeForError(e->qname), ">"));
        return false;
      }
    }
    if (!doc_->attributes_.Push(attribute)) {
      status = Disagreement(kMoreAttributes, e->offset);
      return false;
    }
    return true;
  });
  if (!status.ok())
    return status;
  e->attributes = absl::MakeConstSpan(doc_->attributes_.data() + attr_begin,
                                      doc_->attributes_.size() - attr_begin);
  return absl::OkStatus();
}

absl::Status XmlTreeBuilder::BuildRoot(const RootInfo& root,
                                       rapidxml::xml_node<char>* first_child) {
  XmlElement* e = doc_->elements_.Append();
  if (e == nullptr)
    return Disagreement(kMoreElements, root.offset);
  e->qname = root.name;
  e->offset = root.offset;
  e->depth = 1;
  if (absl::Status s = ReadStartTag(e, ScannedAttributes(root.attributes));
      !s.ok()) {
    return s;
  }
  XmlElement* last_child = nullptr;
  for (rapidxml::xml_node<char>* child = first_child; child != nullptr;
       child = child->next_sibling()) {
    // The pre-scan saw nothing but elements, comments and white space.
    if (child->type() != rapidxml::node_element)
      return Disagreement("unexpected node in the root", e->offset);
    XmlElement* c = nullptr;
    if (absl::Status s = Build(child, e, 2, &c); !s.ok())
      return s;
    AppendChild(e, &last_child, c);
  }
  return absl::OkStatus();
}

const XmlAttribute* XmlElement::FindAttribute(absl::string_view ns,
                                              absl::string_view local) const {
  for (const XmlAttribute& a : attributes) {
    if (a.local_name == local && a.ns_uri == ns)
      return &a;
  }
  return nullptr;
}

absl::StatusOr<XmlDocument> XmlDocument::Parse(
    std::vector<char> body, const ParseLimits& limits,
    absl::Span<const absl::string_view> known_namespaces) {
  // RapidXML reads up to a NUL (the pre-scan refuses any in the body), and
  // the pre-scan's byte loops stop at it without a bounds check. A body over
  // the size limit is refused before any byte is read, so it is not grown.
  const size_t size = body.size();
  if (size <= limits.max_bytes)
    body.push_back('\0');
  PreScanResult scan;
  if (absl::Status s = PreScan(body.data(), size, limits, &scan); !s.ok())
    return s;

  const RootInfo& root_info = scan.root;
  XmlDocument doc;
  for (uint32_t offset : scan.attribute_space_offsets) {
    if (body[offset] == '\n')
      doc.normalized_line_feeds_.push_back(offset);
    body[offset] = ' ';  // XML 1.0 §3.3.3 attribute-value normalization
  }
  if (const TextRun& run = scan.detached_text; run.size != 0) {
    // [head][text][tail NUL] -> [head][tail NUL][text]: RapidXML then sees
    // the text's element empty, and the builder gives it the moved text,
    // which the pre-scan checked (plain bytes, no reference to resolve).
    char tail[kMaxDetachedTail + 1];
    char* text = body.data() + run.begin;
    const size_t tail_size = body.size() - run.begin - run.size;
    std::memcpy(tail, text + run.size, tail_size);
    std::memmove(text + tail_size, text, run.size);
    std::memcpy(text, tail, tail_size);
    doc.detached_begin_ = run.begin;
    doc.detached_size_ = run.size;
  }
  doc.buffer_ = std::move(body);
  {
    // Elements, then attributes, then namespace declarations (an attribute
    // is one or the other), in one block: sizes that are multiples of the
    // alignment keep each array aligned.
    static_assert(sizeof(XmlElement) % alignof(XmlAttribute) == 0 &&
                      sizeof(XmlAttribute) % alignof(XmlNamespaceDecl) == 0,
                  "each array must start aligned");
    const size_t elements = scan.element_count;
    const size_t attributes = scan.attribute_count;
    const size_t element_bytes = elements * sizeof(XmlElement);
    const size_t attribute_bytes = attributes * sizeof(XmlAttribute);
    const size_t bytes =
        element_bytes + attribute_bytes + attributes * sizeof(XmlNamespaceDecl);
    doc.tree_.reset(new std::max_align_t[bytes / sizeof(std::max_align_t) + 1]);
    unsigned char* block = reinterpret_cast<unsigned char*>(doc.tree_.get());
    doc.elements_.Place(block, elements);
    doc.attributes_.Place(block + element_bytes, attributes);
    doc.namespace_decls_.Place(block + element_bytes + attribute_bytes,
                               attributes);
  }

  // The document holds RapidXML's 64 KiB static pool; keep it off the
  // stack, and keep one per thread rather than allocating and freeing 64 KiB
  // per parse. Nothing refers to its nodes once Parse returns.
  thread_local const std::unique_ptr<rapidxml::xml_document<char>> rapid =
      std::make_unique<rapidxml::xml_document<char>>();
  rapid->clear();
  // A root whose start tag and content the pre-scan read whole (its
  // attribute values need no reference resolved, its content is elements)
  // is built from the pre-scan's record: RapidXML reads only its content,
  // up to a NUL put on the `<` of its end tag for the parse. The root's
  // start tag, the longest of a request (its namespace declarations and
  // envelope), is then not read a byte at a time a second time.
  char* const buffer = doc.buffer_.data();
  char* parse_from = buffer;
  char* root_end = nullptr;
  if (root_info.plain) {
    size_t end = root_info.end_tag;  // after any detached text
    if (doc.detached_size_ != 0 && end >= doc.detached_begin_)
      end -= doc.detached_size_;
    root_end = buffer + end;
    *root_end = '\0';
    parse_from = buffer + root_info.content_begin;
  }
  try {
    rapid->parse<kRapidXmlFlags>(parse_from);
  } catch (const rapidxml::parse_error& e) {
    // Not reached for input the pre-scan accepted; kept so that a
    // disagreement is an error, never a crash.
    if (root_end != nullptr)
      *root_end = '<';
    const size_t offset =
        doc.BodyOffset(static_cast<size_t>(e.where<char>() - buffer));
    return DisagreementError(e.what(), doc.Where(offset));
  }
  XmlTreeBuilder builder(&doc, known_namespaces, scan.detached_text.element,
                         scan.qname_colons);
  if (root_end != nullptr) {
    *root_end = '<';
    if (absl::Status s = builder.BuildRoot(root_info, rapid->first_node());
        !s.ok()) {
      return s;
    }
    return doc;
  }
  rapidxml::xml_node<char>* root = rapid->first_node();
  if (root == nullptr || root->next_sibling() != nullptr ||
      root->type() != rapidxml::node_element) {
    return absl::InvalidArgumentError("xml: expected exactly one root element");
  }
  XmlElement* out = nullptr;
  if (absl::Status s = builder.Build(root, nullptr, 1, &out); !s.ok())
    return s;
  return doc;
}

char XmlDocument::BodyByte(size_t offset) const {
  if (detached_size_ == 0 || offset < detached_begin_)
    return buffer_[offset];
  if (offset < detached_begin_ + detached_size_)
    return buffer_[buffer_.size() - detached_size_ +
                   (offset - detached_begin_)];
  return buffer_[offset - detached_size_];
}

std::string XmlDocument::Where(size_t offset) const {
  size_t line = 1;
  size_t line_start = 0;
  const size_t end = std::min(offset, buffer_.size());
  for (size_t i = 0; i < end; ++i) {
    if (BodyByte(i) == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  for (uint32_t lf : normalized_line_feeds_) {
    if (lf >= end)
      break;
    ++line;
    line_start = std::max<size_t>(line_start, lf + 1);
  }
  return absl::StrCat("offset ", offset, " (line ", line, ", column ",
                      offset - line_start + 1, ")");
}

namespace {

// Escapes for re-serialization: the five markup characters, plus TAB, LF and
// CR in attribute values and CR in text, so that a parser gets back exactly
// these bytes (XML 1.0 §2.11, §3.3.3).
void AppendEscaped(std::string* out, absl::string_view s, bool attribute) {
  for (char c : s) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        if (attribute) {
          out->append("&quot;");
        } else {
          out->push_back(c);
        }
        break;
      case '\r':
        out->append("&#13;");
        break;
      case '\t':
        if (attribute) {
          out->append("&#9;");
        } else {
          out->push_back(c);
        }
        break;
      case '\n':
        if (attribute) {
          out->append("&#10;");
        } else {
          out->push_back(c);
        }
        break;
      default:
        out->push_back(c);
    }
  }
}

void AppendDecl(std::string* out, const XmlNamespaceDecl& decl) {
  out->append(decl.prefix.empty() ? " xmlns" : " xmlns:");
  out->append(decl.prefix.data(), decl.prefix.size());
  out->append("=\"");
  AppendEscaped(out, decl.uri, /*attribute=*/true);
  out->push_back('"');
}

void SerializeElement(const XmlElement& e,
                      const std::vector<XmlNamespaceDecl>& extra,
                      std::string* out) {
  out->push_back('<');
  out->append(e.qname.data(), e.qname.size());
  for (const XmlNamespaceDecl& d : extra)
    AppendDecl(out, d);
  for (const XmlNamespaceDecl& d : e.namespace_decls)
    AppendDecl(out, d);
  for (const XmlAttribute& a : e.attributes) {
    out->push_back(' ');
    out->append(a.qname.data(), a.qname.size());
    out->append("=\"");
    AppendEscaped(out, a.value, /*attribute=*/true);
    out->push_back('"');
  }
  if (e.first_child == nullptr && e.text.empty()) {
    out->append("/>");
    return;
  }
  out->push_back('>');
  if (e.first_child == nullptr) {
    AppendEscaped(out, e.text, /*attribute=*/false);
  } else {
    static const std::vector<XmlNamespaceDecl> kNone;
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      SerializeElement(*c, kNone, out);
    }
  }
  out->append("</");
  out->append(e.qname.data(), e.qname.size());
  out->push_back('>');
}

void CollectPrefixes(const XmlElement& e,
                     std::vector<absl::string_view>* used) {
  auto add = [used](absl::string_view qname, bool is_element) {
    absl::string_view prefix, local;
    SplitQName(qname, &prefix, &local);
    if (prefix == "xml" || (prefix.empty() && !is_element))
      return;
    if (std::find(used->begin(), used->end(), prefix) == used->end()) {
      used->push_back(prefix);
    }
  };
  add(e.qname, true);
  for (const XmlAttribute& a : e.attributes)
    add(a.qname, false);
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    CollectPrefixes(*c, used);
  }
}

}  // namespace

std::string XmlDocument::SerializeFragment(const XmlElement& element) const {
  std::vector<absl::string_view> used;
  CollectPrefixes(element, &used);
  std::vector<XmlNamespaceDecl> extra;
  for (absl::string_view prefix : used) {
    bool own = false;
    for (const XmlNamespaceDecl& d : element.namespace_decls) {
      own = own || d.prefix == prefix;
    }
    if (own)
      continue;
    // The binding in scope at the element, from its nearest ancestor.
    const XmlNamespaceDecl* found = nullptr;
    for (const XmlElement* a = element.parent; a != nullptr && found == nullptr;
         a = a->parent) {
      for (const XmlNamespaceDecl& d : a->namespace_decls) {
        if (d.prefix == prefix)
          found = &d;
      }
    }
    if (found != nullptr) {
      extra.push_back(*found);
    } else if (prefix.empty()) {
      extra.push_back(XmlNamespaceDecl{});  // xmlns="": no namespace
    }
  }
  std::string out;
  out.reserve(256);
  SerializeElement(element, extra, &out);
  return out;
}

std::string EscapeForError(absl::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax)
    return absl::CEscape(text);
  return absl::StrCat(absl::CEscape(text.substr(0, kMax)), "...");
}

}  // namespace codec
}  // namespace conf
