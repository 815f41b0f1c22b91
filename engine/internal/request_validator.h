// Validation of request values against StoreLimits: sizes of strings and
// unknown content, lengths of lists, counts of children, and that keyed
// children are present and unique. It needs no conference: a command checks
// its request once, before it reads the store.
//
// Each check records the first failure and does nothing after one, so a
// request is checked by a run of calls followed by one look at status().
//
// Example:
//   RequestValidator validator(limits);
//   validator.User(request.user);
//   CONF_RETURN_IF_ERROR(validator.status());

#ifndef CONF_ENGINE_INTERNAL_REQUEST_VALIDATOR_H_
#define CONF_ENGINE_INTERNAL_REQUEST_VALIDATOR_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// Whether the key of `list[i]` equals the key of an entry before it, with
// `key` mapping an entry to its key (by default the entry itself). For the
// "appears twice" checks, made entry by entry in the order of the list.
template <typename List, typename KeyFn>
bool RepeatsEarlier(const List& list, size_t i, KeyFn key) {
  for (size_t j = 0; j < i; ++j) {
    if (key(list[j]) == key(list[i])) {
      return true;
    }
  }
  return false;
}
template <typename List>
bool RepeatsEarlier(const List& list, size_t i) {
  return RepeatsEarlier(
      list, i, [](const auto& entry) -> const auto& { return entry; });
}

// Checks request values against `limits`; `field` names the value in the
// message of a failure. Not thread-safe; one per request.
class RequestValidator {
 public:
  // `limits` must outlive the validator.
  explicit RequestValidator(const StoreLimits& limits) : limits_(limits) {}

  // A string field that must be set: not empty (kInvalidArgument), and at
  // most max_string_bytes (kInvalidArgument).
  void NonEmpty(absl::string_view field, absl::string_view value);

  // A list of `count` entries: at most `limit` (kInvalidArgument).
  void Count(absl::string_view field, size_t count, size_t limit);

  // An execution-type value: each string at most max_string_bytes.
  void Execution(absl::string_view field, const engine::Execution& e);

  // One media stream: a non-empty id, strings and unknown content.
  void Media(const engine::Media& m);

  // One endpoint: a non-empty entity, strings, unknown content, and at most
  // max_media_per_endpoint media (kResourceExhausted), none null, each valid
  // and with an id unique within the endpoint (kInvalidArgument).
  void Endpoint(const engine::Endpoint& e);

  // One user: a non-empty entity, strings, lists, unknown content, and at
  // most max_endpoints_per_user endpoints (kResourceExhausted), none null,
  // each valid and with an entity unique within the user (kInvalidArgument).
  void User(const engine::User& u);

  // A conference-description: every string, list and unknown content.
  void Description(const ConferenceDescription& d);

  // A host-info: every string, list and unknown content.
  void HostInfo(const engine::HostInfo& h);

  // An entity-view: every string, list and unknown content, the state's
  // included.
  void View(const EntityView& v);

  // OK, or the first failure: kInvalidArgument or kResourceExhausted.
  absl::Status status() const { return status_; }

 private:
  struct ChildNames;

  // Records `failure` unless a failure is recorded already.
  void Fail(absl::Status failure);

  // A string field: at most max_string_bytes (kInvalidArgument).
  void String(absl::string_view field, absl::string_view value);

  // A list: at most `limit` entries (as Count), then `check(entry)` for each.
  template <typename List, typename CheckFn>
  void Each(absl::string_view field, const List& list, size_t limit,
            CheckFn check);

  // The keyed children of the parent keyed `parent` (an endpoint's media, a
  // user's endpoints): at most `limit` (kResourceExhausted); then, child by
  // child, not null, `check(*child)`, and a `key(child)` that no child
  // before it has (kInvalidArgument). Nothing if a failure is recorded.
  template <typename Children, typename KeyFn, typename CheckFn>
  void KeyedChildren(const ChildNames& names, absl::string_view parent,
                     const Children& children, size_t limit, KeyFn key,
                     CheckFn check);

  // Unknown elements: at most max_extensions, each name as String and each
  // fragment at most max_extension_bytes (kInvalidArgument).
  void Extensions(absl::string_view field,
                  const std::vector<Extension>& extensions);

  // Unknown attributes: at most max_extensions, each part as String.
  void Attributes(absl::string_view field,
                  const std::vector<ExtensionAttribute>& attributes);

  // A uri list: at most max_list_entries, each entry's strings and unknown
  // content as above.
  void Uris(absl::string_view field, const std::vector<UriEntry>& uris);

  // A list of strings: at most max_list_entries, each as String.
  void Strings(absl::string_view field, const std::vector<std::string>& list);

  const StoreLimits& limits_;
  absl::Status status_;
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_REQUEST_VALIDATOR_H_
