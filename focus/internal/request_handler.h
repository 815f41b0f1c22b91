// Private to //focus. Answers one parsed C3P request, along one path for
// every command:
//
//   resolve   the sender (`from` must be the authenticated identity), then
//             the conference the command addresses and its `to`
//   apply     the command as an engine request (ConferenceStore::Apply*)
//   reply     the C3P response, or a failure with the reason of the first
//             step that refused
//
// getConference takes its own, lock-free read path (get_conference.h).

#ifndef CONF_FOCUS_INTERNAL_REQUEST_HANDLER_H_
#define CONF_FOCUS_INTERNAL_REQUEST_HANDLER_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "codec/c3p_reason.h"
#include "codec/c3p_request.h"
#include "codec/c3p_response.h"
#include "crypto/recipient_pool.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"

namespace conf {
namespace focus {
namespace internal {

// What a command's handler returns: the response body, or the reason the
// command failed.
using Reply = std::variant<std::string, codec::C3pReason>;

class MemberCertificates;

// The parts of a Focus a request reaches.
struct FocusParts {
  const FocusOptions& options;
  engine::ConferenceStore& store;
  crypto::RecipientPool& recipients;
  MemberCertificates& members;
};

// One request as every step sees it.
struct RequestScope {
  const codec::C3pRequest& request;
  // What the SIP layer knows of the sender.
  const RequestContext& context;
  // Where the response goes (the request's envelope, reversed).
  codec::ResponseAddress address;
  // The authenticated sender (context.identity, trimmed).
  engine::UserId requester;
};

// Which commands may be addressed to the sender's focus factory instead of
// the conference's focus.
enum class Addressing {
  kFocusOnly,      // INFO inside the focus dialog.
  kFocusOrFactory  // getConference, modifyConference, deleteConference.
};

// MS-OCER 3001: `to` must be the conference's focus (or, where `addressing`
// allows it, the sender's focus factory).
bool IsAddressedTo(const RequestScope& scope,
                   const engine::ConferenceSnapshot& snapshot,
                   Addressing addressing);

// Answers `request`, sent by `context.identity`. `buffer` is storage the
// response may be written into (a caller's send buffer, or empty): a
// getConference document is written straight into it, and a short success
// reuses it when it fits, so that its capacity survives for the next large
// response.
C3pResult AnswerRequest(const FocusParts& focus, const RequestContext& context,
                        const codec::C3pRequest& request, std::string buffer);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_REQUEST_HANDLER_H_
