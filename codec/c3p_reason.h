// C3P failure reasons: one constexpr table that maps each reason to the
// spelling confstate emits and to every spelling it accepts on input.
//
// Two vocabularies meet on the wire (PROTOCOL.md §2.4): the IETF draft's
// `reason-code-type` and per-command reasons (draft-levin-xcon-cccp-04 §4.3,
// e.g. `conferenceDoesntExist`), and Microsoft's (UCMA CommandFailureReasons,
// e.g. `conferenceDoesNotExist`). We emit the draft spelling where the draft
// defines the reason (it is what the CCCP schema validates) and the Microsoft
// spelling otherwise, and we accept both wherever a client sends a reason
// (for example `endorseUser` results).
//
// Header-only, constexpr, thread-safe.
//
// Example:
//   absl::string_view wire = C3pReasonName(C3pReason::kConferenceDoesntExist);
//   std::optional<C3pReason> r = FindC3pReason("conferenceDoesNotExist");

#ifndef CONF_CODEC_C3P_REASON_H_
#define CONF_CODEC_C3P_REASON_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace conf {
namespace codec {

enum class C3pReason {
  // General reasons (draft `reason-code-type`, CCCP-04 §4.3).
  kServerBusy,
  kTimeout,
  kUnauthorized,
  kRequestMalformed,
  kRequestTooLarge,
  kRequestCancelled,
  kNotSupported,
  kOtherFailure,
  // Per-command reasons (CCCP-04 XSD), with their Microsoft twins.
  kConferenceExistsAlready,
  kConferenceDoesntExist,
  kUserExistsAlready,
  kUserDoesntExist,
  kEndpointDoesntExist,
  kMediaExistsAlready,
  kMediaDoesntExist,
  kRequestDoesntExist,
  // Microsoft-only reasons (UCMA CommandFailureReasons).
  kForbidden,
  kInvalidEncryptionKey,
  kInvalidConferenceId,
  kInvalidRole,
  kInvalidUserEntity,
  kInvalidVersion,
  kMcuTypeNotAvailable,
  kMaximumConferencesExceeded,
  kMaximumMeetingSizeExceeded,
};

struct C3pReasonSpelling {
  C3pReason reason;
  // What confstate writes.
  absl::string_view canonical;
  // The other vocabulary's spelling, accepted on input; empty if none.
  absl::string_view alternate;
};

// One row per enumerator, in enumerator order (checked by a static_assert
// below and by c3p_reason_test).
inline constexpr C3pReasonSpelling kC3pReasonSpellings[] = {
    {C3pReason::kServerBusy, "serverBusy", ""},
    {C3pReason::kTimeout, "timeout", ""},
    {C3pReason::kUnauthorized, "unauthorized", ""},
    {C3pReason::kRequestMalformed, "requestMalformed", ""},
    {C3pReason::kRequestTooLarge, "requestTooLarge", ""},
    {C3pReason::kRequestCancelled, "requestCancelled", ""},
    {C3pReason::kNotSupported, "notSupported", ""},
    {C3pReason::kOtherFailure, "otherFailure", ""},
    {C3pReason::kConferenceExistsAlready, "conferenceExistsAlready",
     "conferenceExists"},
    {C3pReason::kConferenceDoesntExist, "conferenceDoesntExist",
     "conferenceDoesNotExist"},
    {C3pReason::kUserExistsAlready, "userExistsAlready", "userExists"},
    {C3pReason::kUserDoesntExist, "userDoesntExist", "userDoesNotExist"},
    {C3pReason::kEndpointDoesntExist, "endpointDoesntExist",
     "endpointDoesNotExist"},
    {C3pReason::kMediaExistsAlready, "mediaExistsAlready", "mediaExists"},
    {C3pReason::kMediaDoesntExist, "mediaDoesntExist", "mediaDoesNotExist"},
    {C3pReason::kRequestDoesntExist, "requestDoesntExist",
     "requestDoesNotExist"},
    {C3pReason::kForbidden, "forbidden", ""},
    {C3pReason::kInvalidEncryptionKey, "invalidEncryptionKey", ""},
    {C3pReason::kInvalidConferenceId, "invalidConferenceId", ""},
    {C3pReason::kInvalidRole, "invalidRole", ""},
    {C3pReason::kInvalidUserEntity, "invalidUserEntity", ""},
    {C3pReason::kInvalidVersion, "invalidVersion", ""},
    {C3pReason::kMcuTypeNotAvailable, "mcuTypeNotAvailable", ""},
    {C3pReason::kMaximumConferencesExceeded, "maximumConferencesExceeded", ""},
    {C3pReason::kMaximumMeetingSizeExceeded, "maximumMeetingSizeExceeded", ""},
};

namespace internal {
constexpr bool C3pReasonTableIsInOrder() {
  for (size_t i = 0;
       i < sizeof(kC3pReasonSpellings) / sizeof(kC3pReasonSpellings[0]); ++i) {
    if (static_cast<size_t>(kC3pReasonSpellings[i].reason) != i)
      return false;
  }
  return true;
}
}  // namespace internal

static_assert(internal::C3pReasonTableIsInOrder(),
              "kC3pReasonSpellings must list every C3pReason in order");
static_assert(sizeof(kC3pReasonSpellings) / sizeof(kC3pReasonSpellings[0]) ==
                  static_cast<size_t>(C3pReason::kMaximumMeetingSizeExceeded) +
                      1,
              "kC3pReasonSpellings must list every C3pReason");

// The spelling confstate emits for `reason`.
constexpr absl::string_view C3pReasonName(C3pReason reason) {
  return kC3pReasonSpellings[static_cast<size_t>(reason)].canonical;
}

// The reason spelled `name` in either vocabulary (case-sensitive, as XML is),
// or std::nullopt for a spelling we do not know.
constexpr std::optional<C3pReason> FindC3pReason(absl::string_view name) {
  for (const C3pReasonSpelling& row : kC3pReasonSpellings) {
    if (name == row.canonical ||
        (!row.alternate.empty() && name == row.alternate)) {
      return row.reason;
    }
  }
  return std::nullopt;
}

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_C3P_REASON_H_
