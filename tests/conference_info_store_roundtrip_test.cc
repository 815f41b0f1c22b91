// Round trip driven by the engine's store: thousands of seeded random C3P
// command sequences (joins, lobby, leaves, roles, lock, media, endpoints,
// description, deletion) run through ConferenceStore::Apply*; for a leader,
// an attendee and a lobby user, the reference subscriber fed the first full
// document and then the partial document of every delta holds the same state
// as one fed a fresh full document of the final snapshot (RFC 4575 §4.6).

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "codec/conference_info.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "testing/reference_subscriber.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using conf::testing::IsOk;
using conf::testing::ReferenceSubscriber;
using engine::MutationResult;

const engine::UserId kOrganizer("sip:org@x");
const engine::UserId kAttendee("sip:att@x");
const engine::UserId kWaiting("sip:waiting@x");

class StoreDriver {
 public:
  explicit StoreDriver(uint32_t seed) : rng_(seed) {}

  // Creates the conference and seats the three viewers. Returns the last
  // result (the snapshot subscribers start from).
  absl::StatusOr<MutationResult> SetUp() {
    engine::AddConferenceRequest add;
    add.organizer = kOrganizer;
    add.description.subject = "round trip";
    add.mcu_types = {"chat", "audio-video"};
    absl::StatusOr<MutationResult> r = store_.ApplyAddConference(add);
    if (!r.ok()) {
      return r;
    }
    focus_ = r->snapshot->entity;
    for (const engine::UserId& u : {kOrganizer, kAttendee}) {
      r = store_.ApplyAddUser(Join(u, u == kOrganizer
                                          ? engine::Role::kOrganizer
                                          : engine::Role::kAttendee));
      if (!r.ok()) {
        return r;
      }
    }
    // A locked conference sends newcomers to the lobby.
    r = store_.ApplyModifyConferenceLock(
        {focus_, kOrganizer, engine::LockState::kLocked});
    if (r.ok()) {
      r = store_.ApplyAddUser(Join(kWaiting, engine::Role::kAttendee));
    }
    if (r.ok()) {
      r = store_.ApplyModifyConferenceLock(
          {focus_, kOrganizer, engine::LockState::kUnlocked});
    }
    return r;
  }

  // One random command; the result (possibly a refusal, which changes
  // nothing and is skipped by the caller).
  absl::StatusOr<MutationResult> Step() {
    const engine::UserId user(absl::StrCat("sip:u", Pick(5), "@x"));
    const engine::UserId requester = Pick(4) == 0 ? user : kOrganizer;
    const engine::EndpointId endpoint(absl::StrCat("{E", Pick(3), "}"));
    switch (Pick(11)) {
      case 0:
      case 1: {
        engine::AddUserRequest r =
            Join(user, Pick(3) == 0 ? engine::Role::kPresenter
                                    : engine::Role::kAttendee);
        r.requester = Pick(3) == 0 ? kOrganizer : user;
        return store_.ApplyAddUser(std::move(r));
      }
      case 2:
        return store_.ApplyLobbyDecision({focus_, kOrganizer, user,
                                          Pick(2)
                                              ? engine::LobbyDecision::kGrant
                                              : engine::LobbyDecision::kDeny});
      case 3:
        return store_.ApplyDeleteUser({focus_, requester, user});
      case 4:
        return store_.ApplyModifyUserRoles(
            {focus_, kOrganizer, user,
             Pick(2) ? engine::Role::kPresenter : engine::Role::kAttendee});
      case 5:
        return store_.ApplyModifyConferenceLock(
            {focus_, kOrganizer,
             Pick(2) ? engine::LockState::kLocked
                     : engine::LockState::kUnlocked});
      case 6: {
        engine::ModifyEndpointMediaRequest r;
        r.conference = focus_;
        r.requester = requester;
        r.user = user;
        r.endpoint = endpoint;
        r.media = Media();
        return store_.ApplyModifyEndpointMedia(std::move(r));
      }
      case 7:
        return store_.ApplySetEndpoint({focus_, user, Endpoint(endpoint)});
      case 8: {
        engine::ModifyEndpointStatusRequest r;
        r.conference = focus_;
        r.user = user;
        r.endpoint = endpoint;
        r.status = static_cast<engine::EndpointStatus>(Pick(9));
        return store_.ApplyModifyEndpointStatus(std::move(r));
      }
      case 9:
        return store_.ApplyDeleteEndpoint({focus_, user, endpoint});
      default: {
        engine::ModifyConferenceRequest r;
        r.conference = focus_;
        r.requester = kOrganizer;
        r.description.emplace();
        r.description->subject = absl::StrCat("s<&>", Pick(9));
        return store_.ApplyModifyConference(std::move(r));
      }
    }
  }

  absl::StatusOr<MutationResult> Delete() {
    return store_.ApplyDeleteConference({focus_, kOrganizer});
  }

 private:
  uint32_t Pick(uint32_t n) {
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  }

  engine::Media Media() {
    engine::Media m;
    m.id = engine::MediaId(absl::StrCat(1 + Pick(2)));
    m.type = Pick(2) ? "audio" : "video";
    m.status = static_cast<engine::MediaStatus>(Pick(4));
    return m;
  }

  engine::Endpoint Endpoint(const engine::EndpointId& entity) {
    engine::Endpoint e;
    e.entity = entity;
    e.status = static_cast<engine::EndpointStatus>(Pick(9));
    e.session_type = Pick(2) ? "audio-video" : "focus";
    const uint32_t media = Pick(3);
    for (uint32_t i = 0; i < media; ++i) {
      auto m = std::make_shared<engine::Media>(Media());
      m->id = engine::MediaId(absl::StrCat(i + 1));
      e.media.push_back(std::move(m));
    }
    return e;
  }

  engine::AddUserRequest Join(const engine::UserId& user, engine::Role role) {
    engine::AddUserRequest r;
    r.conference = focus_;
    r.requester = user;
    r.user.entity = user;
    r.user.display_text = absl::StrCat("\"", user.value(), "\" & co");
    r.user.role = role;
    r.user.endpoints.push_back(std::make_shared<engine::Endpoint>(
        Endpoint(engine::EndpointId("{E0}"))));
    return r;
  }

  std::mt19937 rng_;
  engine::ConferenceStore store_;
  engine::ConferenceId focus_;
};

const Viewer kViewers[] = {
    {engine::ViewerRole::kLeader, kOrganizer},
    {engine::ViewerRole::kAttendee, kAttendee},
    {engine::ViewerRole::kLobbySelf, kWaiting},
};

class StoreRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(StoreRoundTripTest, PartialsOfEveryCommandReachTheFreshFullState) {
  constexpr int kSequencesPerSlice = 300;
  constexpr int kSteps = 25;
  const int first = GetParam() * kSequencesPerSlice;
  for (int seq = first; seq < first + kSequencesPerSlice; ++seq) {
    SCOPED_TRACE(absl::StrCat("seed ", seq));
    StoreDriver driver(static_cast<uint32_t>(seq));
    absl::StatusOr<MutationResult> start = driver.SetUp();
    ASSERT_THAT(start, IsOk());
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
        start->snapshot;
    ReferenceSubscriber subs[3];
    uint32_t versions[3];
    for (int v = 0; v < 3; ++v) {
      ASSERT_EQ(engine::ViewerRoleFor(*snapshot, kViewers[v].user),
                kViewers[v].role);
      versions[v] = 1;
      ASSERT_THAT(
          subs[v].Apply(
              EncodeConferenceInfo(*snapshot, kViewers[v]).WithVersion(1)),
          IsOk());
    }
    const bool delete_at_end = seq % 10 == 0;
    const int steps = delete_at_end ? kSteps + 1 : kSteps;
    for (int step = 0; step < steps; ++step) {
      absl::StatusOr<MutationResult> r =
          step < kSteps ? driver.Step() : driver.Delete();
      if (!r.ok()) {
        continue;  // refused: nothing changed
      }
      snapshot = r->snapshot;
      for (int v = 0; v < 3; ++v) {
        const std::optional<EncodedDocument> doc =
            EncodeConferenceInfoDelta(*r->delta, kViewers[v]);
        if (doc.has_value()) {
          ASSERT_THAT(subs[v].Apply(doc->WithVersion(++versions[v])), IsOk())
              << doc->WithVersion(versions[v]);
        }
      }
    }
    for (int v = 0; v < 3; ++v) {
      SCOPED_TRACE(absl::StrCat("viewer ", v));
      if (delete_at_end) {
        EXPECT_TRUE(subs[v].deleted());
        continue;
      }
      ReferenceSubscriber fresh;
      ASSERT_THAT(
          fresh.Apply(
              EncodeConferenceInfo(*snapshot, kViewers[v]).WithVersion(1)),
          IsOk());
      ASSERT_EQ(subs[v].Canonical(), fresh.Canonical());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Slices, StoreRoundTripTest, ::testing::Range(0, 4));

}  // namespace
}  // namespace codec
}  // namespace conf
