// XmlDocument: the codec's one boundary between untrusted XML bytes and
// typed data. Private to codec; `c3p_request` is its user.
//
// Parsing runs in three steps over one writable buffer the document owns:
//
//   1. A strict pre-scan (one pass, no allocation per byte) enforces
//      `ParseLimits` (body size, nesting depth, element count, attributes per
//      element) and XML 1.0 well-formedness that RapidXML does not check:
//      UTF-8 validity, XML characters (no C0/C1 controls except TAB/LF/CR, no
//      U+FFFE/U+FFFF), XML Name and QName rules, matching end tags, a single
//      root with nothing but white space and comments after it, duplicate
//      attributes, `<` in attribute values, only the five predefined entities
//      and character references that denote XML characters (`&#0;` and
//      overflowing references are refused). DOCTYPE, entity declarations and
//      processing instructions other than the XML declaration are refused.
//      The pre-scan tokenizes like RapidXML does (CDATA, comments, quoting,
//      white space) and is stricter wherever the two could disagree, so no
//      input reaches RapidXML that it would read differently.
//   2. RapidXML parses in place (flags in xml_reader.cc), resolving entity
//      and character references inside the buffer. RapidXML reads a byte at
//      a time what the pre-scan checked 32 bytes at a time, so two parts of
//      a request that need nothing from it are kept out of its way:
//      - The longest leaf text that is plain (no reference, CDATA, comment,
//        `]` or non-ASCII byte), at least 64 bytes long and followed by at
//        most 256 bytes (a client certificate's base64) is moved behind the
//        rest of the body; offsets in errors and in `XmlElement::offset`
//        stay those of the body as received.
//      - A root whose attribute values hold no reference and whose content
//        is only child elements, comments and white space (every C3P
//        request) is built from the pre-scan's record of its start tag:
//        RapidXML reads only the root's content, up to a NUL put on the `<`
//        of the root's end tag for the parse and restored after it.
//   3. Namespaces are resolved (RapidXML has none) with a prefix scope stack,
//      and the tree is flattened into `XmlElement`s whose names, attribute
//      values and text are string_views into the buffer. Names are split at
//      the colons the pre-scan recorded.
//
// Errors carry the byte offset and line:column; echoed input goes through
// absl::CEscape and is capped at 64 bytes. kResourceExhausted means a limit
// was exceeded; kInvalidArgument means the bytes are not well-formed
// namespace-correct XML (or use a construct we refuse).
//
// Mixed content is refused: an element has either child elements (with only
// white space between them) or text. C3P and RFC 4575 define no mixed
// content, and refusing it keeps text views contiguous.
//
// Thread-safety: an XmlDocument is immutable after Parse() and may be read
// from several threads.
//
// Example:
//   absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(std::move(body));
//   if (!doc.ok()) return doc.status();
//   for (const XmlElement* e = doc->root().first_child; e != nullptr;
//        e = e->next_sibling) { ... }

#ifndef CONF_CODEC_XML_READER_H_
#define CONF_CODEC_XML_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace conf {
namespace codec {

// Limits checked before RapidXML sees a byte. Exceeding one gives
// kResourceExhausted.
struct ParseLimits {
  // Body size in bytes.
  size_t max_bytes = 64 * 1024;
  // Element nesting depth; the root is depth 1. RapidXML recurses once per
  // level, so this bounds its stack use. Values above 256 are treated as 256.
  int max_depth = 32;
  // Elements in the whole document.
  size_t max_elements = 4096;
  // Attributes (namespace declarations included) on one element.
  size_t max_attributes_per_element = 64;
};

// Status payload (type URL) set on the error returned when RapidXML refuses
// a document the pre-scan accepted. Never expected; fuzzers check for it.
inline constexpr absl::string_view kParserDisagreementPayload =
    "type.confstate.invalid/conf.codec.XmlParserDisagreement";

// The namespace the `xml` prefix is bound to (Namespaces in XML 1.0 §3).
inline constexpr absl::string_view kXmlNamespaceUri =
    "http://www.w3.org/XML/1998/namespace";

namespace internal {
class XmlTreeBuilder;
}  // namespace internal

struct XmlAttribute {
  absl::string_view qname;   // as written, e.g. "mscp:mcuUri"
  absl::string_view ns_uri;  // empty for an unprefixed attribute
  absl::string_view local_name;
  absl::string_view value;  // references resolved, white space normalized
  // 1 + the index of ns_uri in the `known_namespaces` given to Parse; 0 when
  // it is none of them.
  int ns_id = 0;
};

// One `xmlns` or `xmlns:prefix` attribute as written on an element.
struct XmlNamespaceDecl {
  absl::string_view prefix;  // empty for the default namespace
  absl::string_view uri;     // empty only for xmlns="" (undeclaring default)
};

struct XmlElement {
  absl::string_view qname;   // as written, e.g. "ci:user"
  absl::string_view ns_uri;  // empty when in no namespace
  absl::string_view local_name;
  // 1 + the index of ns_uri in the `known_namespaces` given to Parse; 0 when
  // it is none of them.
  int ns_id = 0;
  // The element's text with references resolved and CDATA sections joined;
  // empty when the element has child elements.
  absl::string_view text;
  absl::Span<const XmlAttribute> attributes;  // without namespace decls
  absl::Span<const XmlNamespaceDecl> namespace_decls;
  const XmlElement* parent = nullptr;
  const XmlElement* first_child = nullptr;  // child elements only
  const XmlElement* next_sibling = nullptr;
  uint32_t offset = 0;  // byte offset of the element's `<` in the body
  int depth = 0;        // root = 1

  bool Is(absl::string_view ns, absl::string_view local) const {
    return local_name == local && ns_uri == ns;
  }
  // Is(), for a namespace given to Parse in `known_namespaces`: compares the
  // id, not the URI.
  bool IsKnown(int known_ns_id, absl::string_view local) const {
    return ns_id == known_ns_id && local_name == local;
  }
  // The attribute with this namespace URI ("" for unprefixed) and local
  // name, or nullptr.
  const XmlAttribute* FindAttribute(absl::string_view ns,
                                    absl::string_view local) const;
};

class XmlDocument {
 public:
  // Parses `body` in place. See the file comment for what is checked.
  // Returns kResourceExhausted when `limits` are exceeded and
  // kInvalidArgument for anything else that is not accepted, with the byte
  // offset and line:column. On success every view in the document points
  // into the buffer the document owns and lives as long as the document
  // (moving the document keeps them valid).
  //
  // `known_namespaces` lists URIs the caller matches names against: each
  // namespace declaration's URI is compared with them once, and elements
  // and attributes carry the result as `ns_id`, so that matching a name
  // costs an integer compare instead of a URI compare.
  static absl::StatusOr<XmlDocument> Parse(
      std::vector<char> body, const ParseLimits& limits = {},
      absl::Span<const absl::string_view> known_namespaces = {});

  XmlDocument(XmlDocument&&) = default;
  XmlDocument& operator=(XmlDocument&&) = default;
  XmlDocument(const XmlDocument&) = delete;
  XmlDocument& operator=(const XmlDocument&) = delete;

  const XmlElement& root() const { return elements_[0]; }
  size_t element_count() const { return elements_.size(); }

  // "offset 812 (line 14, column 7)" for a byte offset into the body.
  std::string Where(size_t offset) const;

  // Serializes `element` and its subtree as a self-contained fragment: the
  // namespace declarations its names need from its ancestors are added on
  // its root (`xmlns=""` too when an unprefixed name is in no namespace), so
  // it reads the same wherever it is embedded. Written with XmlWriter, so
  // text and attribute values are escaped as in every document we write
  // (xml_writer.h); the output is well-formed and deterministic. This is the
  // only source of the raw fragments the writer embeds unescaped.
  std::string SerializeFragment(const XmlElement& element) const;

 private:
  friend class internal::XmlTreeBuilder;
  XmlDocument() = default;

  // One of the tree's arrays, in the block tree_ owns, with room for what
  // the pre-scan counted and no more: elements never move (children point at
  // their parents), and a tree RapidXML read larger than the pre-scan did is
  // refused (Append returns nullptr), not grown.
  template <typename T>
  class TreeArray {
   public:
    static_assert(std::is_trivially_destructible<T>::value,
                  "the block is freed without destroying its elements");
    TreeArray() = default;
    TreeArray(TreeArray&& other) noexcept { *this = std::move(other); }
    TreeArray& operator=(TreeArray&& other) noexcept {
      data_ = other.data_;
      size_ = other.size_;
      capacity_ = other.capacity_;
      other.data_ = nullptr;
      other.size_ = other.capacity_ = 0;
      return *this;
    }
    // Room for `capacity` elements at `data` (suitably aligned).
    void Place(void* data, size_t capacity) {
      data_ = static_cast<T*>(data);
      size_ = 0;
      capacity_ = capacity;
    }
    // A new value-initialized element at the end; nullptr when full.
    T* Append() {
      if (size_ == capacity_)
        return nullptr;
      return new (data_ + size_++) T();
    }
    // Appends a copy of `value`; false when full.
    bool Push(const T& value) {
      if (size_ == capacity_)
        return false;
      new (data_ + size_++) T(value);
      return true;
    }
    T* data() { return data_; }
    const T* data() const { return data_; }
    size_t size() const { return size_; }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }

   private:
    T* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };

  std::vector<char> buffer_;  // the body plus a NUL; views point into it
  // The three arrays below, in one allocation per parse.
  std::unique_ptr<std::max_align_t[]> tree_;
  TreeArray<XmlElement> elements_;  // document order; [0] is the root
  TreeArray<XmlAttribute> attributes_;
  TreeArray<XmlNamespaceDecl> namespace_decls_;
  // Offsets of line feeds the pre-scan normalized to spaces in attribute
  // values (XML 1.0 §3.3.3), so Where() still counts lines right.
  std::vector<uint32_t> normalized_line_feeds_;
  // A leaf's long text, moved out of RapidXML's way by Parse: the body's
  // bytes [detached_begin_, detached_begin_ + detached_size_) sit at the end
  // of buffer_, after the rest of the body and its NUL. 0: nothing moved.
  uint32_t detached_begin_ = 0;
  uint32_t detached_size_ = 0;

  // The body offset of buffer_[pos], for pos before the detached text.
  uint32_t BodyOffset(size_t pos) const {
    return static_cast<uint32_t>(detached_size_ != 0 && pos >= detached_begin_
                                     ? pos + detached_size_
                                     : pos);
  }
  // The body's byte at `offset` (< buffer_.size()), wherever it sits now.
  char BodyByte(size_t offset) const;
};

// Escapes `text` for use in an error message: absl::CEscape, capped at 64
// bytes of input, with "..." when cut.
std::string EscapeForError(absl::string_view text);

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_XML_READER_H_
