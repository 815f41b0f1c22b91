// XmlWriter: the one place in confstate that produces XML markup.
//
// Every response, full, partial and deleted conference-info document is built
// through this class. It appends to a buffer it owns, escapes every attribute
// value and every text node, and is deterministic: the same calls produce the
// same bytes, so golden tests compare bytes.
//
// Escaping (XML 1.0 §2.4, §3.3.3):
//   - `&`, `<`, `>`, `"` and `'` become entity references, in text and in
//     attribute values alike;
//   - TAB, LF and CR in attribute values, and CR in text, become character
//     references so that attribute-value and end-of-line normalization give
//     the receiver back the original bytes;
//   - characters XML 1.0 cannot carry at all (C0 controls other than TAB, LF,
//     CR; U+FFFE, U+FFFF) and bytes that are not well-formed UTF-8 (overlong
//     forms, surrogates, values above U+10FFFF, truncated sequences) are
//     replaced by U+FFFD, one replacement per offending byte. The writer never
//     fails: values reach it from the engine, which stores only what the
//     request parser validated, so a replacement is a defence, not a path.
//   The scan checks 16 bytes at a time (SSE2 on x86-64) and copies runs that
//   need no escaping in one memcpy.
//
// Names (element and attribute qualified names) are never escaped: they must
// be compile-time constants of the codec, valid XML names with prefixes the
// document declares. They are held as string_views until the element ends, so
// they must outlive it (string literals do).
//
// `Raw()` is the one way unescaped bytes enter the output. It is for
//   (1) bytes this class produced earlier (pre-rendered users, endpoints,
//       views: "render once, copy many"), and
//   (2) extension fragments of requests: XmlDocument::SerializeFragment
//       (xml_reader.h) writes them with this class, from XML the parser had
//       already checked to be well formed, with the namespace declarations
//       they need on their root.
// Nothing else may be passed to it.
//
// Not thread-safe; one writer per document under construction.
//
// Example:
//   XmlWriter w;
//   w.StartElement("conference-info");
//   w.Attribute("xmlns", "urn:ietf:params:xml:ns:conference-info");
//   w.Attribute("entity", focus_uri);
//   w.StartElement("users");
//   w.EndElement();  // writes <users/>
//   w.EndElement();
//   std::string xml = std::move(w).Finish();

#ifndef CONF_CODEC_XML_WRITER_H_
#define CONF_CODEC_XML_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace codec {

class XmlWriter {
 public:
  // `reserve` is the initial buffer capacity in bytes; the buffer grows
  // geometrically past it. Neither allocation zero-fills: every byte of the
  // buffer is written once, by the call that produces it.
  explicit XmlWriter(size_t reserve = 1024);

  // Starts in `scratch`, `capacity` bytes the caller owns and keeps alive
  // for the writer's life (an array on the stack, say), and moves to a heap
  // buffer only if the output outgrows it: a short-lived writer of a
  // document's small parts then allocates nothing.
  XmlWriter(char* scratch, size_t capacity);

  XmlWriter(const XmlWriter&) = delete;
  XmlWriter& operator=(const XmlWriter&) = delete;

  // Opens `<name`. Attributes may follow until the next StartElement, Text,
  // Raw or EndElement. `name` must outlive the element (see above).
  void StartElement(absl::string_view name);

  // Adds ` name="escaped value"` to the open start tag. Must directly follow
  // StartElement or another Attribute (asserted in debug builds).
  void Attribute(absl::string_view name, absl::string_view value);

  // Adds the decimal form of `value` as an attribute.
  void Attribute(absl::string_view name, uint64_t value);

  // Writes `text`, escaped, as character data of the open element.
  void Text(absl::string_view text);

  // Closes the innermost open element: `/>` if it has no content yet,
  // `</name>` otherwise.
  void EndElement();

  // Writes <name>escaped text</name>.
  void TextElement(absl::string_view name, absl::string_view text);

  // Appends `bytes` unescaped as content of the open element (closing its
  // start tag first). Only for bytes of the two kinds listed at the top of
  // this file.
  void Raw(absl::string_view bytes);

  // Appends `bytes` unescaped inside the open start tag. For pre-rendered
  // attribute lists (` a="v"`) of the same two kinds as Raw().
  void RawAttributes(absl::string_view bytes);

  // Number of bytes written so far. Lets a caller remember a position (for
  // example where a version number goes) in the final output.
  size_t size() const { return size_; }

  // Number of elements currently open.
  size_t depth() const { return open_.size(); }

  // The bytes written so far; valid until the next call on the writer.
  absl::string_view view() const { return absl::string_view(data_, size_); }

  // Returns the document. Every element must have been closed (asserted in
  // debug builds). The writer is left empty.
  std::string Finish() &&;

  // Returns the buffer holding the document (its first size() bytes; read
  // size() first), without copying it: for callers that keep the bytes in
  // their own shared buffer (copied into a new one if the writer was still
  // in its scratch). Every element must have been closed. The writer is left
  // empty.
  std::unique_ptr<char[]> ReleaseBuffer() &&;

 private:
  // Makes room for `n` more bytes and returns where they go.
  char* Grow(size_t n) {
    if (capacity_ - size_ < n) {
      GrowSlow(n);
    }
    return data_ + size_;
  }
  void GrowSlow(size_t n);
  void Put(absl::string_view s) {
    if (s.empty()) {
      return;  // also keeps a null data() away from memcpy
    }
    std::memcpy(Grow(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  void Put(char c) {
    *Grow(1) = c;
    ++size_;
  }
  void CloseStartTag() {
    if (tag_open_) {
      Put('>');
      tag_open_ = false;
    }
  }
  enum class EscapeMode { kText, kAttribute };
  void Escape(absl::string_view s, EscapeMode mode);

  // The buffer: the caller's scratch, or owned_ (allocated with new char[],
  // not zero-filled). size_ of its capacity_ bytes are used.
  char* data_;
  std::unique_ptr<char[]> owned_;
  size_t capacity_;
  size_t size_ = 0;
  bool tag_open_ = false;
  // Names of the open elements. The codec's own structure bounds the depth
  // (raw fragments are not tracked), so this never allocates.
  absl::InlinedVector<absl::string_view, 16> open_;
};

// True if `text` can be written as it is, as character data or as an
// attribute value: it holds no byte below '(' (control characters, space,
// `!"#$%&'`), no `<` or `>`, and no byte of 0x80 or above. Conservative: some
// text that needs no escaping (a space, say) gets false, which only means
// "escape it"; true is never wrong. Always true for base64 (RFC 4648 §4:
// letters, digits, `+`, `/`, `=`), the case it exists for: a caller may then
// copy the text into a document without XmlWriter, as it would have come out.
// Checks 32 bytes per step with no branch per byte.
bool IsVerbatimText(absl::string_view text);

namespace internal {

// Length of the longest prefix of `s` that needs no escaping in any mode
// (ASCII, no control characters, none of &<>"'). Exposed for tests.
size_t PlainPrefixLength(absl::string_view s);

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_XML_WRITER_H_
