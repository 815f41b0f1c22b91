#include "codec/internal/prescan.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

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
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/internal/xml_chars.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace internal {
namespace {

// Hard cap on ParseLimits::max_depth: RapidXML and the tree builder recurse
// once per level.
constexpr int kMaxDepthCap = 256;

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

}  // namespace

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

}  // namespace internal
}  // namespace codec
}  // namespace conf
