// A conference-info follower with pidgin-sipe's rules (sipe-conf.c,
// sipe_process_conference), for tests that check what a SIPE client would
// show: it reads namespaces away (SIPE strips prefixes) and ignores the
// document's version and state, as SIPE does.
//
//  - users/user with state="deleted": removed from the chat roster;
//  - any other user element: in the chat roster if one of its endpoints has
//    session-type "chat" and <status>connected</status>, REMOVED otherwise
//    (so a partial user element that omits the chat endpoint drops the
//    user); a presenter (first roles/entry) becomes an operator, and stays
//    one;
//  - users not named: left as they are;
//  - the lock: entity-state/locked of the entity-view whose first
//    entity-state/media/entry/type is "chat".
//
// Independent of the codec (it uses the reference subscriber's parser).

#ifndef CONF_TESTING_SIPE_FOLLOWER_H_
#define CONF_TESTING_SIPE_FOLLOWER_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace testing {

class SipeFollower {
 public:
  // Processes one NOTIFY body. kInvalidArgument if it is not a
  // conference-info document.
  absl::Status Apply(absl::string_view document);

  // The chat roster: user entity -> shown as an operator.
  const std::map<std::string, bool>& roster() const { return roster_; }
  bool locked() const { return locked_; }

 private:
  std::map<std::string, bool> roster_;
  bool locked_ = false;
};

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_SIPE_FOLLOWER_H_
