// The strict pre-scan of XmlDocument::Parse (xml_reader.h, step 1): one pass
// over the body, before RapidXML sees it, that enforces ParseLimits and the
// well-formedness rules RapidXML does not check, and records what Parse and
// the tree builder reuse (name colons, the root's start tag, a detachable
// text run). Private to xml_reader.

#ifndef CONF_CODEC_INTERNAL_PRESCAN_H_
#define CONF_CODEC_INTERNAL_PRESCAN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace internal {

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

// Runs the pre-scan over `data[0, size)`; `data[size]` must be readable and
// NUL when `size` is within the limit. Fills `*result` on success.
absl::Status PreScan(const char* data, size_t size, const ParseLimits& limits,
                     PreScanResult* result);

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_PRESCAN_H_
