#include "testing/sipe_follower.h"

#include <vector>

#include "absl/status/statusor.h"

#include "testing/reference_subscriber.h"

namespace conf {
namespace testing {
namespace {

// The local name of "{namespace}local": SIPE compares without namespaces.
absl::string_view Local(absl::string_view name) {
  const size_t brace = name.rfind('}');
  return brace == absl::string_view::npos ? name : name.substr(brace + 1);
}

// The first child named `local`, or nullptr (sipe_xml_child).
const XmlNode* Child(const XmlNode& node, absl::string_view local) {
  for (const XmlNode& c : node.children) {
    if (Local(c.name) == local)
      return &c;
  }
  return nullptr;
}

// The first node along `path` (sipe_xml_child("a/b/c") follows the first
// match at each step).
const XmlNode* Path(const XmlNode& node,
                    std::initializer_list<absl::string_view> path) {
  const XmlNode* at = &node;
  for (absl::string_view step : path) {
    at = Child(*at, step);
    if (at == nullptr)
      return nullptr;
  }
  return at;
}

absl::string_view Attribute(const XmlNode& node, absl::string_view local) {
  for (const auto& [name, value] : node.attributes) {
    if (Local(name) == local)
      return value;
  }
  return "";
}

}  // namespace

absl::Status SipeFollower::Apply(absl::string_view document) {
  absl::StatusOr<ParsedDocument> parsed = ParseConferenceInfoForTest(document);
  if (!parsed.ok())
    return parsed.status();
  const XmlNode& root = parsed->root;
  if (const XmlNode* users = Child(root, "users")) {
    for (const XmlNode& user : users->children) {
      if (Local(user.name) != "user")
        continue;
      const std::string entity(Attribute(user, "entity"));
      if (user.state == "deleted") {
        roster_.erase(entity);
        continue;
      }
      const XmlNode* role = Path(user, {"roles", "entry"});
      const bool presenter = role != nullptr && role->text == "presenter";
      bool in_chat = false;
      for (const XmlNode& endpoint : user.children) {
        if (Local(endpoint.name) != "endpoint")
          continue;
        const XmlNode* status = Child(endpoint, "status");
        if (status == nullptr || status->text != "connected")
          continue;
        if (Attribute(endpoint, "session-type") == "chat") {
          in_chat = true;
          bool& operator_flag = roster_[entity];
          operator_flag = operator_flag || presenter;  // never revoked
        }
      }
      if (!in_chat)
        roster_.erase(entity);
    }
  }
  if (const XmlNode* view = Child(root, "conference-view")) {
    for (const XmlNode& entity_view : view->children) {
      if (Local(entity_view.name) != "entity-view")
        continue;
      const XmlNode* type =
          Path(entity_view, {"entity-state", "media", "entry", "type"});
      if (type == nullptr || type->text != "chat")
        continue;
      if (const XmlNode* locked =
              Path(entity_view, {"entity-state", "locked"})) {
        locked_ = locked->text == "true";
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace testing
}  // namespace conf
