#include "testing/focus_harness.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "testing/seeded_random.h"
#include "testing/status_matchers.h"

namespace conf {
namespace testing {

focus::FocusOptions SeededFocusOptions(uint64_t seed) {
  focus::FocusOptions options;
  options.store.random_bytes = SeededRandomBytes(seed);
  return options;
}

std::string FactoryOf(absl::string_view user) {
  return absl::StrCat(user, ";gruu;opaque=app:conf:focusfactory");
}

std::string EmbeddedDocument(const std::string& response) {
  const size_t begin = response.find("<conference-info");
  const size_t end = response.rfind("</conference-info>");
  if (begin == std::string::npos || end == std::string::npos)
    return "";
  return response.substr(begin, end + 18 - begin);
}

engine::User ClientJoin(absl::string_view entity, engine::Role role,
                        absl::string_view endpoint) {
  engine::User user;
  user.entity = engine::UserId(entity);
  user.role = role;
  engine::Endpoint named;
  named.entity = engine::EndpointId(endpoint);
  user.endpoints.push_back(
      std::make_shared<const engine::Endpoint>(std::move(named)));
  return user;
}

FocusHarness::FocusHarness(focus::FocusOptions options)
    : focus_(std::make_unique<focus::Focus>(std::move(options))) {}

FocusHarness::FocusHarness(std::unique_ptr<focus::Focus> focus)
    : focus_(std::move(focus)) {}

codec::RequestEnvelope FocusHarness::Envelope(absl::string_view from,
                                              absl::string_view to) {
  return {absl::StrCat(++request_id_), std::string(from),
          std::string(to.empty() ? absl::string_view(conference_) : to)};
}

focus::C3pResult FocusHarness::Send(absl::string_view identity,
                                    const std::string& body) {
  return Send(focus::RequestContext::Authenticated(identity), body);
}

focus::C3pResult FocusHarness::Send(const focus::RequestContext& context,
                                    const std::string& body) {
  absl::StatusOr<focus::C3pResult> result =
      focus_->HandleRequest(context, body);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *std::move(result) : focus::C3pResult{};
}

std::string FocusHarness::AddConference(absl::string_view organizer,
                                        codec::AddConferenceSpec spec) {
  if (spec.mcu_types.empty())
    spec.mcu_types = {"chat", "audio-video"};
  focus::C3pResult added =
      Send(organizer, codec::EncodeAddConferenceRequest(
                          Envelope(organizer, FactoryOf(organizer)), spec));
  EXPECT_TRUE(added.success()) << added.body;
  const size_t at = added.body.find("entity=\"");
  if (!added.success() || at == std::string::npos)
    return "";
  const size_t begin = at + 8;
  conference_ = added.body.substr(begin, added.body.find('"', begin) - begin);
  return conference_;
}

focus::C3pResult FocusHarness::Join(absl::string_view who, engine::Role role) {
  return Join(focus::RequestContext::Authenticated(who), role);
}

focus::C3pResult FocusHarness::Join(const focus::RequestContext& context,
                                    engine::Role role) {
  return Send(context, codec::EncodeAddUserRequest(
                           Envelope(context.identity), conference_,
                           ClientJoin(context.identity, role)));
}

std::shared_ptr<const engine::ConferenceSnapshot> FocusHarness::Snapshot() {
  return focus_->store().FindSnapshot(engine::ConferenceId(conference_));
}

uint64_t FocusHarness::Version() {
  std::shared_ptr<const engine::ConferenceSnapshot> s = Snapshot();
  return s == nullptr ? 0 : s->version;
}

std::unique_ptr<focus::Subscription> FocusHarness::Subscribe(
    absl::string_view who, absl::string_view id) {
  focus::SubscribeRequest request;
  request.subscription_id = std::string(id);
  request.user = std::string(who);
  request.conference = conference_;
  absl::StatusOr<std::unique_ptr<focus::Subscription>> s =
      focus_->Subscribe(std::move(request));
  EXPECT_THAT(s, IsOk());
  return s.ok() ? *std::move(s) : nullptr;
}

void FocusHarness::Drain(focus::Subscription& s, ReferenceSubscriber& sub,
                         absl::Time now) {
  for (const focus::Notification& n : s.Poll(now)) {
    ASSERT_EQ(n.version, sub.version() + 1) << n.Bytes();
    ASSERT_THAT(sub.Apply(n.Bytes()), IsOk()) << n.Bytes();
  }
}

std::string FocusHarness::FreshCanonical(absl::string_view who) {
  focus::C3pResult r = Send(
      who, codec::EncodeGetConferenceRequest(Envelope(who), conference_, ""));
  EXPECT_TRUE(r.success()) << r.body;
  ReferenceSubscriber fresh;
  EXPECT_THAT(fresh.Apply(EmbeddedDocument(r.body)), IsOk());
  return fresh.Canonical();
}

}  // namespace testing
}  // namespace conf
