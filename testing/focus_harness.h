// A Focus with the steps its tests repeat: C3P requests built with the
// codec's encoder and sent as one identity, a conference created through
// its organizer's focus factory, joins, subscriptions drained into a
// reference subscriber, and a fresh document to compare with.
//
// Example:
//   testing::FocusHarness h;
//   const std::string conference = h.AddConference("sip:alice@fabrikam.com");
//   ASSERT_TRUE(h.Join("sip:bob@fabrikam.com", engine::Role::kAttendee)
//                   .success());

#ifndef CONF_TESTING_FOCUS_HARNESS_H_
#define CONF_TESTING_FOCUS_HARNESS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/reference_subscriber.h"

namespace conf {
namespace testing {

// FocusOptions with seeded randomness (repeatable conferences).
focus::FocusOptions SeededFocusOptions(uint64_t seed = 1234);

// `user`'s focus factory URI.
std::string FactoryOf(absl::string_view user);

// The conference-info element of a getConference response ("" if none).
std::string EmbeddedDocument(const std::string& response);

class FocusHarness {
 public:
  explicit FocusHarness(focus::FocusOptions options = SeededFocusOptions());
  // Over a focus made elsewhere (a durable one, from Focus::Open).
  explicit FocusHarness(std::unique_ptr<focus::Focus> focus);

  focus::Focus& focus() { return *focus_; }
  // Ends the focus (as a process exit would), keeping the harness's
  // request ids for the next one, given by Reopen.
  void Close() { focus_.reset(); }
  void Reopen(std::unique_ptr<focus::Focus> focus) {
    focus_ = std::move(focus);
  }
  // Sets the conference the requests go to (one made before a restart).
  void set_conference(std::string conference) {
    conference_ = std::move(conference);
  }
  // The conference AddConference created last.
  const std::string& conference() const { return conference_; }

  // An envelope from `from` to `to` (the conference by default), with the
  // next request id.
  codec::RequestEnvelope Envelope(absl::string_view from,
                                  absl::string_view to = "");

  // Sends `body` as `identity` (or with `context`); a non-C3P answer fails
  // the test and returns a failed result.
  focus::C3pResult Send(absl::string_view identity, const std::string& body);
  focus::C3pResult Send(const focus::RequestContext& context,
                        const std::string& body);

  // addConference by `organizer` with `spec` (mcu types chat and
  // audio-video when it names none); the new conference's focus URI, or ""
  // (a test failure) when refused.
  std::string AddConference(absl::string_view organizer,
                            codec::AddConferenceSpec spec = {});

  // `who` joins conference() asking for `role`, as a real client does: one
  // endpoint named by a GUID, nothing else.
  focus::C3pResult Join(absl::string_view who, engine::Role role);
  focus::C3pResult Join(const focus::RequestContext& context,
                        engine::Role role);

  // The conference's current snapshot (nullptr when gone).
  std::shared_ptr<const engine::ConferenceSnapshot> Snapshot();
  uint64_t Version();

  std::unique_ptr<focus::Subscription> Subscribe(absl::string_view who,
                                                 absl::string_view id);

  // Feeds every notification of `s` to `sub`; fails the test unless versions
  // rise by one and each document applies.
  void Drain(focus::Subscription& s, ReferenceSubscriber& sub,
             absl::Time now = absl::InfinitePast());

  // What a fresh getConference shows `who` (no secrets), canonical.
  std::string FreshCanonical(absl::string_view who);

 private:
  std::unique_ptr<focus::Focus> focus_;
  std::string conference_;
  int request_id_ = 0;
};

// The user a real client's join carries: `entity` asking for `role`, with
// one endpoint named `endpoint` and nothing else.
engine::User ClientJoin(absl::string_view entity, engine::Role role,
                        absl::string_view endpoint =
                            "{09AA504C-BA41-4458-"
                            "8669-8F35470F6CA2}");

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_FOCUS_HARNESS_H_
