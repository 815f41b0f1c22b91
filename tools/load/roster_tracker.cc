#include "tools/load/roster_tracker.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidxml/rapidxml.hpp"

namespace conf {
namespace load {
namespace {

using Node = rapidxml::xml_node<char>;
using Users = std::map<std::string, TrackedUser>;

// The name without its namespace prefix: the documents come from one encoder
// with fixed prefixes, so local names identify the elements we track.
absl::string_view LocalName(absl::string_view name) {
  const size_t colon = name.find(':');
  return colon == absl::string_view::npos ? name : name.substr(colon + 1);
}

absl::string_view NameOf(const Node* n) {
  return LocalName(absl::string_view(n->name(), n->name_size()));
}

// The value of the attribute whose local name is `local` ("state" matches
// both `state` and `ci:state`), or "".
absl::string_view Attribute(const Node* n, absl::string_view local) {
  for (const rapidxml::xml_attribute<char>* a = n->first_attribute();
       a != nullptr; a = a->next_attribute()) {
    if (LocalName(absl::string_view(a->name(), a->name_size())) == local) {
      return absl::string_view(a->value(), a->value_size());
    }
  }
  return "";
}

absl::string_view TextOf(const Node* n) {
  return absl::string_view(n->value(), n->value_size());
}

const Node* Child(const Node* n, absl::string_view local) {
  for (const Node* c = n->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_element && NameOf(c) == local) {
      return c;
    }
  }
  return nullptr;
}

TrackedEndpoint ReadEndpoint(const Node* e) {
  TrackedEndpoint out;
  if (const Node* s = Child(e, "status")) {
    out.status = std::string(TextOf(s));
  }
  for (const Node* c = e->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() != rapidxml::node_element || NameOf(c) != "media") {
      continue;
    }
    const Node* s = Child(c, "status");
    out.media[std::string(Attribute(c, "id"))] =
        s != nullptr ? std::string(TextOf(s)) : std::string();
  }
  return out;
}

std::string ReadRoles(const Node* user) {
  std::string roles;
  if (const Node* r = Child(user, "roles")) {
    for (const Node* e = r->first_node(); e != nullptr; e = e->next_sibling()) {
      if (e->type() == rapidxml::node_element && NameOf(e) == "entry") {
        absl::StrAppend(&roles, roles.empty() ? "" : " ", TextOf(e));
      }
    }
  }
  return roles;
}

// Merges one `user` element into `users` (RFC 4575 §4.6).
void ApplyUser(const Node* u, Users& users) {
  const std::string entity(Attribute(u, "entity"));
  const absl::string_view state = Attribute(u, "state");
  if (state == "deleted") {
    users.erase(entity);
    return;
  }
  const bool partial = state == "partial";
  TrackedUser& user = users[entity];
  if (!partial) {
    user = TrackedUser();
  }
  // roles is atomic: a partial user that carries it replaces it.
  if (!partial || Child(u, "roles") != nullptr) {
    user.roles = ReadRoles(u);
  }
  for (const Node* e = u->first_node(); e != nullptr; e = e->next_sibling()) {
    if (e->type() != rapidxml::node_element || NameOf(e) != "endpoint") {
      continue;
    }
    const std::string id(Attribute(e, "entity"));
    if (Attribute(e, "state") == "deleted") {
      user.endpoints.erase(id);
    } else {
      user.endpoints[id] = ReadEndpoint(e);
    }
  }
}

// Applies a `users` or `msci:lobby` container.
void ApplyContainer(const Node* container, Users& users) {
  if (Attribute(container, "state") != "partial") {
    users.clear();
  }
  for (const Node* u = container->first_node(); u != nullptr;
       u = u->next_sibling()) {
    if (u->type() == rapidxml::node_element && NameOf(u) == "user") {
      ApplyUser(u, users);
    }
  }
}

void DescribeDifference(absl::string_view list, const Users& a, const Users& b,
                        std::string& out) {
  for (const auto& [entity, user] : a) {
    auto it = b.find(entity);
    if (it == b.end()) {
      absl::StrAppend(&out, list, ": ", entity, " only on the left; ");
    } else if (!(it->second == user)) {
      absl::StrAppend(&out, list, ": ", entity, " differs (roles '", user.roles,
                      "' vs '", it->second.roles, "', ", user.endpoints.size(),
                      " vs ", it->second.endpoints.size(), " endpoints); ");
    }
  }
  for (const auto& [entity, user] : b) {
    if (a.find(entity) == a.end()) {
      absl::StrAppend(&out, list, ": ", entity, " only on the right; ");
    }
  }
}

}  // namespace

absl::Status RosterTracker::Apply(absl::string_view document) {
  // RapidXML parses in place, so it gets its own null-terminated copy.
  std::vector<char> buffer(document.begin(), document.end());
  buffer.push_back('\0');
  rapidxml::xml_document<char> doc;
  // RapidXML reports errors only by throwing. These documents come from this
  // process's own encoder, but a defect there must fail the run with a
  // message rather than terminate it, so the exception is turned into a
  // Status right here and goes no further.
  try {
    doc.parse<rapidxml::parse_default>(buffer.data());
  } catch (const rapidxml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("roster: document is not well-formed: ", e.what(),
                     " at offset ", e.where<char>() - buffer.data()));
  }
  const Node* root = doc.first_node();
  if (root == nullptr || NameOf(root) != "conference-info") {
    return absl::InvalidArgumentError("roster: no conference-info root");
  }
  uint32_t version = 0;
  if (!absl::SimpleAtoi(Attribute(root, "version"), &version)) {
    return absl::InvalidArgumentError("roster: root has no valid version");
  }
  const absl::string_view state = Attribute(root, "state");
  if (state == "deleted") {
    roster_.clear();
    lobby_.clear();
    deleted_ = true;
    version_ = version;
    return absl::OkStatus();
  }
  const bool partial = state == "partial";
  if (partial && !have_full_) {
    return absl::InvalidArgumentError(
        "roster: partial document before any full one");
  }
  Users roster = partial ? roster_ : Users();
  Users lobby = partial ? lobby_ : Users();
  for (const Node* c = root->first_node(); c != nullptr;
       c = c->next_sibling()) {
    if (c->type() != rapidxml::node_element) {
      continue;
    }
    if (NameOf(c) == "users") {
      ApplyContainer(c, roster);
    } else if (NameOf(c) == "lobby") {
      ApplyContainer(c, lobby);
    }
  }
  roster_ = std::move(roster);
  lobby_ = std::move(lobby);
  have_full_ = true;
  version_ = version;
  return absl::OkStatus();
}

std::string RosterTracker::Difference(const RosterTracker& other) const {
  std::string out;
  if (deleted_ != other.deleted_) {
    absl::StrAppend(&out, "deleted ", deleted_, " vs ", other.deleted_, "; ");
  }
  DescribeDifference("roster", roster_, other.roster_, out);
  DescribeDifference("lobby", lobby_, other.lobby_, out);
  return out;
}

}  // namespace load
}  // namespace conf
