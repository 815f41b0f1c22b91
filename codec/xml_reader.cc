#include "codec/xml_reader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rapidxml/rapidxml.hpp"

#include "codec/internal/prescan.h"
#include "codec/internal/tree_builder.h"
#include "codec/xml_writer.h"

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

}  // namespace

using internal::DisagreementError;
using internal::kMaxDetachedTail;
using internal::PreScan;
using internal::PreScanResult;
using internal::RootInfo;
using internal::TextRun;
using internal::XmlTreeBuilder;

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
  thread_local const std::unique_ptr<rapidxml::xml_document<char>>
      kRapidDocument = std::make_unique<rapidxml::xml_document<char>>();
  kRapidDocument->clear();
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
    kRapidDocument->parse<kRapidXmlFlags>(parse_from);
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
    if (absl::Status s =
            builder.BuildRoot(root_info, kRapidDocument->first_node());
        !s.ok()) {
      return s;
    }
    return doc;
  }
  rapidxml::xml_node<char>* root = kRapidDocument->first_node();
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
  if (offset < detached_begin_ + detached_size_) {
    return buffer_[buffer_.size() - detached_size_ +
                   (offset - detached_begin_)];
  }
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

// A namespace declaration as an attribute. XmlWriter copies the name at
// once, so it may be a temporary.
void WriteDeclaration(XmlWriter& w, const XmlNamespaceDecl& decl) {
  if (decl.prefix.empty()) {
    w.Attribute("xmlns", decl.uri);
  } else {
    w.Attribute(absl::StrCat("xmlns:", decl.prefix), decl.uri);
  }
}

// `e` and its subtree, with the declarations `extra` on `e` itself. Names
// are the document's own (valid QNames it declared); values and text go
// through the writer's escaping.
void WriteElement(XmlWriter& w, const XmlElement& e,
                  absl::Span<const XmlNamespaceDecl> extra) {
  w.StartElement(e.qname);
  for (const XmlNamespaceDecl& d : extra)
    WriteDeclaration(w, d);
  for (const XmlNamespaceDecl& d : e.namespace_decls)
    WriteDeclaration(w, d);
  for (const XmlAttribute& a : e.attributes)
    w.Attribute(a.qname, a.value);
  if (e.first_child == nullptr) {
    if (!e.text.empty())
      w.Text(e.text);
  } else {
    for (const XmlElement* c = e.first_child; c != nullptr;
         c = c->next_sibling) {
      WriteElement(w, *c, {});
    }
  }
  w.EndElement();
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
  // Names stay views into the document, which outlives the writer.
  char scratch[256];
  XmlWriter w(scratch, sizeof(scratch));
  WriteElement(w, element, extra);
  return std::move(w).Finish();
}

std::string EscapeForError(absl::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax)
    return absl::CEscape(text);
  return absl::StrCat(absl::CEscape(text.substr(0, kMax)), "...");
}

}  // namespace codec
}  // namespace conf
