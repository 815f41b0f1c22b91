// XmlTreeBuilder: the third step of XmlDocument::Parse (xml_reader.h). It
// flattens RapidXML's tree (or the pre-scan's record of a plain root) into
// the document's XmlElement arrays, resolving namespaces with a prefix scope
// stack. Private to xml_reader.

#ifndef CONF_CODEC_INTERNAL_TREE_BUILDER_H_
#define CONF_CODEC_INTERNAL_TREE_BUILDER_H_

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rapidxml/rapidxml.hpp"

#include "codec/internal/prescan.h"
#include "codec/internal/xml_chars.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace internal {

// The error for RapidXML reading what the pre-scan accepted otherwise;
// it carries kParserDisagreementPayload.
absl::Status DisagreementError(absl::string_view what, absl::string_view where);

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

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_TREE_BUILDER_H_
