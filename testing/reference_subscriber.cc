#include "testing/reference_subscriber.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rapidxml/rapidxml.hpp"

namespace conf {
namespace testing {
namespace {

constexpr absl::string_view kCiNs = "urn:ietf:params:xml:ns:conference-info";
constexpr absl::string_view kMsciNs =
    "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions";

std::string Expanded(absl::string_view ns, absl::string_view local) {
  return absl::StrCat("{", ns, "}", local);
}

using Scope = std::map<std::string, std::string>;  // prefix -> namespace URI

absl::StatusOr<XmlNode> Convert(const rapidxml::xml_node<char>* element,
                                Scope scope) {
  // Namespace declarations first: they apply to the element's own name.
  for (auto* a = element->first_attribute(); a != nullptr;
       a = a->next_attribute()) {
    absl::string_view name(a->name(), a->name_size());
    if (name == "xmlns") {
      scope[""] = std::string(a->value(), a->value_size());
    } else if (name.substr(0, 6) == "xmlns:") {
      scope[std::string(name.substr(6))] =
          std::string(a->value(), a->value_size());
    }
  }
  auto resolve = [&](absl::string_view qname,
                     bool is_attribute) -> absl::StatusOr<std::string> {
    const size_t colon = qname.find(':');
    if (colon == absl::string_view::npos) {
      if (is_attribute) {
        return std::string(qname);  // no namespace
      }
      auto it = scope.find("");
      return Expanded(it == scope.end() ? "" : it->second, qname);
    }
    auto it = scope.find(std::string(qname.substr(0, colon)));
    if (it == scope.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("undeclared prefix in <", qname, ">"));
    }
    return Expanded(it->second, qname.substr(colon + 1));
  };

  XmlNode node;
  absl::StatusOr<std::string> name =
      resolve(absl::string_view(element->name(), element->name_size()), false);
  if (!name.ok()) {
    return name.status();
  }
  node.name = *std::move(name);
  for (auto* a = element->first_attribute(); a != nullptr;
       a = a->next_attribute()) {
    absl::string_view qname(a->name(), a->name_size());
    if (qname == "xmlns" || qname.substr(0, 6) == "xmlns:") {
      continue;
    }
    absl::StatusOr<std::string> an = resolve(qname, true);
    if (!an.ok()) {
      return an.status();
    }
    std::string value(a->value(), a->value_size());
    if (*an == "state" || *an == Expanded(kCiNs, "state")) {
      node.state = value;
      continue;
    }
    node.attributes.emplace_back(*std::move(an), std::move(value));
  }
  std::sort(node.attributes.begin(), node.attributes.end());
  for (auto* c = element->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_data || c->type() == rapidxml::node_cdata) {
      node.text.append(c->value(), c->value_size());
    } else if (c->type() == rapidxml::node_element) {
      absl::StatusOr<XmlNode> child = Convert(c, scope);
      if (!child.ok()) {
        return child.status();
      }
      node.children.push_back(*std::move(child));
    }
  }
  return node;
}

const std::string* FindAttribute(const XmlNode& node, absl::string_view name) {
  for (const auto& [k, v] : node.attributes) {
    if (k == name) {
      return &v;
    }
  }
  return nullptr;
}

// RFC 4575 §4.5 keys (plus the MS entity-view key); nullopt for atomic
// elements.
std::optional<std::string> Key(const XmlNode& node) {
  static const std::string kUser = Expanded(kCiNs, "user");
  static const std::string kEndpoint = Expanded(kCiNs, "endpoint");
  static const std::string kMedia = Expanded(kCiNs, "media");
  static const std::string kEntry = Expanded(kCiNs, "entry");
  static const std::string kUri = Expanded(kCiNs, "uri");
  static const std::string kEntityView = Expanded(kMsciNs, "entity-view");
  if (node.name == kUser || node.name == kEndpoint ||
      node.name == kEntityView) {
    const std::string* entity = FindAttribute(node, "entity");
    return entity == nullptr ? std::string() : *entity;
  }
  if (node.name == kMedia) {
    const std::string* id = FindAttribute(node, "id");
    return id == nullptr ? std::string() : *id;
  }
  if (node.name == kEntry) {
    if (const std::string* entity = FindAttribute(node, "entity")) {
      return *entity;  // sidebars-by-val
    }
    for (const XmlNode& c : node.children) {
      if (c.name == kUri) {
        return c.text;  // uris-type entry
      }
    }
  }
  return std::nullopt;
}

// Every `state` in `node`'s subtree is a state-type value (RFC 4575 §4.4).
absl::Status CheckStates(const XmlNode& node) {
  for (const XmlNode& child : node.children) {
    if (!child.state.empty() && child.state != "full" &&
        child.state != "partial" && child.state != "deleted") {
      return absl::InvalidArgumentError(
          absl::StrCat("bad state \"", child.state, "\" on ", child.name));
    }
    absl::Status s = CheckStates(child);
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// RFC 4575 §4.6 merge of a `partial` element into its current value. States
// were checked beforehand, so this cannot fail half-way.
void Merge(XmlNode& existing, const XmlNode& incoming) {
  existing.attributes = incoming.attributes;
  for (const XmlNode& child : incoming.children) {
    const std::string& state = child.state.empty() ? "full" : child.state;
    const std::optional<std::string> key = Key(child);
    auto it = std::find_if(existing.children.begin(), existing.children.end(),
                           [&](const XmlNode& e) {
                             return e.name == child.name && Key(e) == key;
                           });
    if (state == "deleted") {
      if (it != existing.children.end()) {
        existing.children.erase(it);
      }
    } else if (state == "partial" && it != existing.children.end()) {
      Merge(*it, child);
    } else if (it != existing.children.end()) {
      *it = child;
    } else {
      existing.children.push_back(child);
    }
  }
}

void AppendCanonical(const XmlNode& node, std::string& out) {
  out += "<";
  out += node.name;
  for (const auto& [k, v] : node.attributes) {
    absl::StrAppend(&out, " ", k, "=\"", v, "\"");
  }
  out += ">";
  out += node.text;
  std::vector<const XmlNode*> children;
  for (const XmlNode& c : node.children) {
    children.push_back(&c);
  }
  // Keyed children are sets (order carries no meaning, RFC 4575 §4.6 appends
  // new ones): order by name, then key. Atomic namesakes keep document order.
  std::stable_sort(children.begin(), children.end(),
                   [](const XmlNode* a, const XmlNode* b) {
                     if (a->name != b->name) {
                       return a->name < b->name;
                     }
                     return Key(*a).value_or("") < Key(*b).value_or("");
                   });
  for (const XmlNode* c : children) {
    AppendCanonical(*c, out);
  }
  out += "</>";
}

}  // namespace

absl::StatusOr<ParsedDocument> ParseConferenceInfoForTest(
    absl::string_view document) {
  std::vector<char> buffer(document.begin(), document.end());
  buffer.push_back('\0');
  rapidxml::xml_document<char> doc;
  // The subscriber is test code reading the emitter's output with RapidXML
  // directly; a parse failure is reported as a status, not a crash.
  try {
    doc.parse<rapidxml::parse_trim_whitespace>(buffer.data());
  } catch (const rapidxml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference subscriber: ", e.what(), " at offset ",
                     e.where<char>() - buffer.data()));
  }
  const rapidxml::xml_node<char>* element = doc.first_node();
  if (element == nullptr) {
    return absl::InvalidArgumentError("reference subscriber: no root");
  }
  absl::StatusOr<XmlNode> root = Convert(element, Scope());
  if (!root.ok()) {
    return root.status();
  }
  if (root->name != Expanded(kCiNs, "conference-info")) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference subscriber: root is ", root->name));
  }
  ParsedDocument parsed;
  parsed.state = root->state.empty() ? "full" : root->state;
  auto& attrs = root->attributes;
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    if (it->first == "version") {
      if (!absl::SimpleAtoi(it->second, &parsed.version)) {
        return absl::InvalidArgumentError("reference subscriber: bad version");
      }
      parsed.has_version = true;
      attrs.erase(it);
      break;
    }
  }
  parsed.root = *std::move(root);
  return parsed;
}

absl::StatusOr<ReferenceSubscriber::Outcome> ReferenceSubscriber::Apply(
    absl::string_view document) {
  absl::StatusOr<ParsedDocument> parsed = ParseConferenceInfoForTest(document);
  if (!parsed.ok()) {
    return parsed.status();
  }
  if (!parsed->has_version) {
    return absl::InvalidArgumentError("reference subscriber: no version");
  }
  const std::string& state = parsed->state;
  if (has_state_ && parsed->version <= version_) {
    return Outcome::kDiscarded;
  }
  if (state == "full" || state == "deleted") {
    has_state_ = true;
    deleted_ = state == "deleted";
    version_ = parsed->version;
    root_ = deleted_ ? XmlNode() : std::move(parsed->root);
    return Outcome::kApplied;
  }
  if (state != "partial") {
    return absl::InvalidArgumentError(
        absl::StrCat("reference subscriber: bad root state ", state));
  }
  if (!has_state_) {
    return absl::FailedPreconditionError(
        "reference subscriber: partial document before full state");
  }
  if (parsed->version != version_ + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("reference subscriber: version gap: have ", version_,
                     ", got ", parsed->version));
  }
  absl::Status s = CheckStates(parsed->root);
  if (!s.ok()) {
    return s;
  }
  Merge(root_, parsed->root);
  version_ = parsed->version;
  return Outcome::kApplied;
}

std::string ReferenceSubscriber::Canonical() const {
  std::string out;
  if (deleted_) {
    return "deleted";
  }
  AppendCanonical(root_, out);
  return out;
}

std::vector<std::string> ReferenceSubscriber::UserEntities() const {
  std::vector<std::string> entities;
  for (const XmlNode& c : root_.children) {
    if (c.name != Expanded(kCiNs, "users")) {
      continue;
    }
    for (const XmlNode& u : c.children) {
      if (const std::string* e = FindAttribute(u, "entity")) {
        entities.push_back(*e);
      }
    }
  }
  std::sort(entities.begin(), entities.end());
  return entities;
}

}  // namespace testing
}  // namespace conf
