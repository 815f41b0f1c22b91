#include "tools/confstate_validate.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidxml/rapidxml.hpp"

namespace conf {
namespace tools {
namespace {

constexpr absl::string_view kConferenceInfoNs =
    "urn:ietf:params:xml:ns:conference-info";
constexpr int kMaxDepth = 64;
constexpr size_t kMaxBytes = 16 << 20;

using Node = rapidxml::xml_node<char>;
using Scope = std::map<std::string, std::string>;  // prefix -> namespace

absl::string_view Name(const Node& n) { return {n.name(), n.name_size()}; }

absl::string_view Prefix(absl::string_view qname) {
  const size_t colon = qname.find(':');
  return colon == absl::string_view::npos ? "" : qname.substr(0, colon);
}

absl::string_view Local(absl::string_view qname) {
  const size_t colon = qname.find(':');
  return colon == absl::string_view::npos ? qname : qname.substr(colon + 1);
}

class Validator {
 public:
  absl::Status Check(const Node& node, Scope scope, int depth) {
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError("elements nested too deeply");
    }
    for (const auto* a = node.first_attribute(); a != nullptr;
         a = a->next_attribute()) {
      const absl::string_view name(a->name(), a->name_size());
      const std::string value(a->value(), a->value_size());
      if (name == "xmlns") {
        scope[""] = value;
      } else if (Prefix(name) == "xmlns") {
        scope[std::string(Local(name))] = value;
      }
    }
    const std::string element = std::string(Name(node));
    auto ns = scope.find(std::string(Prefix(element)));
    if (ns == scope.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("undeclared prefix on <", element, ">"));
    }
    for (const auto* a = node.first_attribute(); a != nullptr;
         a = a->next_attribute()) {
      const absl::string_view name(a->name(), a->name_size());
      const absl::string_view value(a->value(), a->value_size());
      if (name == "xmlns" || Prefix(name) == "xmlns")
        continue;
      if (!Prefix(name).empty() &&
          scope.find(std::string(Prefix(name))) == scope.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "undeclared prefix on attribute ", name, " of <", element, ">"));
      }
      if (Local(name) == "state" && value != "full" && value != "partial" &&
          value != "deleted") {
        return absl::InvalidArgumentError(
            absl::StrCat("<", element, "> has state \"", value,
                         "\" (expected full, partial or deleted)"));
      }
    }
    std::set<std::pair<std::string, std::string>> keys;
    for (const Node* child = node.first_node(); child != nullptr;
         child = child->next_sibling()) {
      const std::string key = KeyOf(*child);
      if (!key.empty() &&
          !keys.emplace(std::string(Local(Name(*child))), key).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate <", Name(*child), "> with key \"", key,
                         "\" in <", element, ">"));
      }
      absl::Status s = Check(*child, scope, depth + 1);
      if (!s.ok())
        return s;
    }
    return absl::OkStatus();
  }

 private:
  // The key a child is matched by in a partial update ("" when none).
  static std::string KeyOf(const Node& n) {
    const absl::string_view local = Local(Name(n));
    const char* attribute = nullptr;
    if (local == "user" || local == "endpoint" || local == "entity-view") {
      attribute = "entity";
    } else if (local == "media") {
      attribute = "id";
    }
    if (attribute != nullptr) {
      const auto* a = n.first_attribute(attribute);
      return a == nullptr ? "" : std::string(a->value(), a->value_size());
    }
    if (local == "entry") {
      for (const Node* c = n.first_node(); c != nullptr;
           c = c->next_sibling()) {
        if (Local(Name(*c)) == "uri" && c->value_size() > 0) {
          return std::string(c->value(), c->value_size());
        }
      }
    }
    return "";
  }
};

// Refuses documents nested deeper than kMaxDepth before RapidXML, which
// recurses once per level, sees them. Counts start tags minus end and
// empty-element tags; comments, CDATA and declarations do not count.
bool NestedTooDeeply(absl::string_view document) {
  int depth = 0;
  for (size_t i = 0; i + 1 < document.size(); ++i) {
    if (document[i] != '<')
      continue;
    const char next = document[i + 1];
    if (next == '/') {
      --depth;
    } else if (next != '!' && next != '?') {
      const size_t end = document.find('>', i);
      if (end == absl::string_view::npos || document[end - 1] != '/') {
        if (++depth > kMaxDepth)
          return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::Status ValidateConferenceInfo(absl::string_view document) {
  if (document.size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("document larger than ", kMaxBytes, " bytes"));
  }
  if (NestedTooDeeply(document)) {
    return absl::InvalidArgumentError("elements nested too deeply");
  }
  std::vector<char> buffer(document.begin(), document.end());
  buffer.push_back('\0');
  rapidxml::xml_document<char> doc;
  try {
    doc.parse<rapidxml::parse_trim_whitespace>(buffer.data());
  } catch (const rapidxml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("not well-formed XML: ", e.what()));
  }
  const Node* root = doc.first_node();
  if (root == nullptr) {
    return absl::InvalidArgumentError("no root element");
  }
  Scope scope = {{"xml", "http://www.w3.org/XML/1998/namespace"}};
  Scope root_scope = scope;
  for (const auto* a = root->first_attribute(); a != nullptr;
       a = a->next_attribute()) {
    const absl::string_view name(a->name(), a->name_size());
    if (name == "xmlns")
      root_scope[""] = std::string(a->value());
    if (Prefix(name) == "xmlns") {
      root_scope[std::string(Local(name))] = std::string(a->value());
    }
  }
  const absl::string_view qname = Name(*root);
  auto ns = root_scope.find(std::string(Prefix(qname)));
  if (Local(qname) != "conference-info" || ns == root_scope.end() ||
      ns->second != kConferenceInfoNs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "root is <", qname, ">, not conference-info in ", kConferenceInfoNs));
  }
  const auto* entity = root->first_attribute("entity");
  if (entity == nullptr || entity->value_size() == 0) {
    return absl::InvalidArgumentError("conference-info has no entity");
  }
  const auto* version = root->first_attribute("version");
  uint32_t parsed_version = 0;
  if (version == nullptr ||
      !absl::SimpleAtoi(
          absl::string_view(version->value(), version->value_size()),
          &parsed_version)) {
    return absl::InvalidArgumentError(
        "conference-info has no version, or it is not an unsigned integer");
  }
  return Validator().Check(*root, scope, 1);
}

}  // namespace tools
}  // namespace conf
