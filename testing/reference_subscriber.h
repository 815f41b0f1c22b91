// ReferenceSubscriber: an RFC 4575 conference-event subscriber for tests.
//
// Written from RFC 4575 §4.6 (PROTOCOL.md §3.5) and deliberately independent
// of the codec: it parses documents with RapidXML directly, resolves
// namespaces itself and merges with its own rules, so a bug in the emitter
// cannot be mirrored here. It applies a `full` document, then `partial`
// documents in version order, refuses gaps, and yields a normalized state
// that can be compared with the state read from a fresh full document.
//
// Merge rules (RFC 4575 §4.4, §4.6):
//   - root `full`: replace everything; root `deleted`: the conference is gone;
//   - root `partial`: version must be exactly local + 1;
//   - inside a `partial` element, each child is matched by expanded name and,
//     for keyed elements, by key: `user`/`endpoint`/`sidebars-by-val` entries
//     by @entity, `media` by @id, uris-type entries by their `uri` text,
//     `msci:entity-view` by @entity. A child's `state` (or `ci:state` on
//     extension elements; absent means full) says: `full` replaces or
//     inserts, `deleted` removes, `partial` recurses (or inserts when new).
//     Elements without a key are atomic and replace their namesake.
//
// Not thread-safe. Test-only.

#ifndef CONF_TESTING_REFERENCE_SUBSCRIBER_H_
#define CONF_TESTING_REFERENCE_SUBSCRIBER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace testing {

// One element with namespaces resolved. Attributes exclude namespace
// declarations, `state` and the root's `version`, sorted by expanded name.
struct XmlNode {
  std::string name;  // "{namespace-uri}local-name"
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;   // character data, whitespace-trimmed
  std::string state;  // its `state` / `ci:state` value, "" when absent
  std::vector<XmlNode> children;
};

class ReferenceSubscriber {
 public:
  enum class Outcome {
    kApplied,    // the document changed the local state
    kDiscarded,  // version <= local version: ignored (RFC 4575 §4.6)
  };

  // Applies one conference-info document. Returns:
  //   kInvalidArgument    not well-formed, not a conference-info root, or a
  //                       bad `state`/`version` attribute;
  //   kFailedPrecondition a `partial` document before any `full` one;
  //   kOutOfRange         a version gap (RFC 4575 §4.6: refresh needed); the
  //                       local state is left unchanged.
  absl::StatusOr<Outcome> Apply(absl::string_view document);

  bool has_state() const { return has_state_; }
  bool deleted() const { return deleted_; }
  uint32_t version() const { return version_; }
  const XmlNode& root() const { return root_; }

  // The state as one canonical string: attributes sorted, keyed children
  // sorted by key and atomic children in document order, so two subscribers
  // that hold the same state print the same bytes.
  std::string Canonical() const;

  // @entity of every user, in canonical order.
  std::vector<std::string> UserEntities() const;

 private:
  bool has_state_ = false;
  bool deleted_ = false;
  uint32_t version_ = 0;
  XmlNode root_;
};

// Parses `document` into a namespace-resolved tree and returns the root's
// `state` (full when absent) and `version` through the out fields. Exposed
// for tests that inspect a single document.
struct ParsedDocument {
  XmlNode root;
  std::string state;
  bool has_version = false;
  uint32_t version = 0;
};
absl::StatusOr<ParsedDocument> ParseConferenceInfoForTest(
    absl::string_view document);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_REFERENCE_SUBSCRIBER_H_
