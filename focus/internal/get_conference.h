// Private to //focus. getConference (PROTOCOL.md §2.2): the full document of
// the addressed conference in the requester's view and, when the request
// carries a certificate, the conference key and web-join URIs wrapped for it
// (PROTOCOL.md §6).
//
// The document is encoded while the snapshot is pinned by the store's
// lock-free Read (no lock, no reference count); the certificate and the
// wrapped secrets, which may need RSA, are fetched between reads, never
// while pinned.

#ifndef CONF_FOCUS_INTERNAL_GET_CONFERENCE_H_
#define CONF_FOCUS_INTERNAL_GET_CONFERENCE_H_

#include <string>

#include "codec/c3p_request.h"
#include "focus/internal/request_handler.h"

namespace conf {
namespace focus {
namespace internal {

// Answers `command`. The response is written into `*buffer` (its capacity
// reused) and returned from it.
Reply AnswerGetConference(const FocusParts& focus, const RequestScope& scope,
                          const codec::C3pGetConference& command,
                          std::string* buffer);

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_GET_CONFERENCE_H_
