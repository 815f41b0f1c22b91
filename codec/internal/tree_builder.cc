#include "codec/internal/tree_builder.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
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
namespace {

constexpr absl::string_view kXmlnsNamespaceUri =
    "http://www.w3.org/2000/xmlns/";

absl::string_view View(const char* p, size_t n) {
  return absl::string_view(p, n);
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

// What a tree RapidXML read larger than the pre-scan did is refused with.
constexpr absl::string_view kMoreElements =
    "more elements than the pre-scan counted";
constexpr absl::string_view kMoreAttributes =
    "more attributes than the pre-scan counted";

}  // namespace

// The error for RapidXML reading what the pre-scan accepted otherwise.
absl::Status DisagreementError(absl::string_view what,
                               absl::string_view where) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      "xml: pre-scan and RapidXML disagree (", what, ") at ", where));
  status.SetPayload(kParserDisagreementPayload, absl::Cord());
  return status;
}

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

}  // namespace internal
}  // namespace codec
}  // namespace conf
