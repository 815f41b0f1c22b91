// Randomized round trip (RFC 4575 §4.6): for thousands of seeded random
// change sequences, an independent reference subscriber fed the first full
// document and then every partial document ends in the same state as one fed
// a fresh full document of the final snapshot, for every kind of viewer. A
// skipped partial is detected as a version gap.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

#include "codec/conference_info.h"
#include "engine/model.h"
#include "testing/reference_subscriber.h"
#include "testing/sample_conferences.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using conf::testing::IsOk;
using conf::testing::ReferenceSubscriber;
using conf::testing::StatusIs;
using engine::ChangeKind;
using engine::UserList;

constexpr char kLeader[] = "sip:alice@fabrikam.com";
constexpr char kAttendee[] = "sip:fixed-attendee@fabrikam.com";
constexpr char kWaiting[] = "sip:fixed-waiting@fabrikam.com";

class DeltaGenerator {
 public:
  explicit DeltaGenerator(uint32_t seed) : rng_(seed) {}

  engine::ConferenceSnapshot Initial() {
    engine::ConferenceSnapshot s = testing::SnapshotWithUsers(3);
    s.users = s.users.Set(NewUser(kAttendee));
    s.lobby = s.lobby.Set(NewUser(kWaiting));
    return s;
  }

  // One random change of `s`, as the engine would describe it.
  engine::ConferenceDelta Next(const engine::ConferenceSnapshot& s) {
    engine::ConferenceDelta d;
    d.conference = s.entity;
    d.version = s.version + 1;
    const int changes = 1 + Uniform(3);
    for (int i = 0; i < changes; ++i) {
      AddChange(s, d);
    }
    return d;
  }

 private:
  int Uniform(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng_);
  }

  // Text that exercises escaping and UTF-8 (no leading or trailing blanks:
  // both sides trim them).
  std::string Text() {
    static const char* const kPieces[] = {
        "a",  "Z",   "&",   "<", ">", "\"", "'", "caf\xC3\xA9", "\xE2\x82\xAC",
        " x", "]]>", "\r\n"};
    std::string t = "t";
    const int n = Uniform(5);
    for (int i = 0; i < n; ++i) {
      t += kPieces[Uniform(12)];
    }
    return t + "t";
  }

  std::shared_ptr<engine::Media> NewMedia(int id) {
    auto m = std::make_shared<engine::Media>();
    m->id = engine::MediaId(absl::StrCat(id));
    m->type = Uniform(2) ? "audio" : "video";
    m->label = absl::StrCat("label-", next_id_++);
    m->status = static_cast<engine::MediaStatus>(Uniform(4));
    if (Uniform(3) == 0) {
      m->media_state = "connected";
    }
    return m;
  }

  std::shared_ptr<engine::Endpoint> NewEndpoint() {
    auto e = std::make_shared<engine::Endpoint>();
    e->entity = engine::EndpointId(absl::StrCat("{ep-", next_id_++, "}"));
    e->session_type = Uniform(2) ? "focus" : "audio-video";
    e->status = static_cast<engine::EndpointStatus>(Uniform(9));
    if (Uniform(2)) {
      e->display_text = Text();
    }
    const int media = Uniform(3);
    for (int i = 0; i < media; ++i) {
      e->media.push_back(NewMedia(i + 1));
    }
    return e;
  }

  std::shared_ptr<engine::User> NewUser(absl::string_view entity) {
    auto u = std::make_shared<engine::User>();
    u->entity = engine::UserId(entity);
    u->display_text = Text();
    u->role =
        Uniform(4) == 0 ? engine::Role::kPresenter : engine::Role::kAttendee;
    const int endpoints = Uniform(3);
    for (int i = 0; i < endpoints; ++i) {
      u->endpoints.push_back(NewEndpoint());
    }
    return u;
  }

  // A user that random changes may touch (not one of the fixed viewers).
  std::shared_ptr<const engine::User> PickMutable(const engine::UserMap& map) {
    std::vector<std::shared_ptr<const engine::User>> candidates;
    for (const auto& u : map) {
      const absl::string_view e = u->entity.value();
      if (e != kLeader && e != kAttendee && e != kWaiting) {
        candidates.push_back(u);
      }
    }
    if (candidates.empty()) {
      return nullptr;
    }
    return candidates[Uniform(static_cast<int>(candidates.size()))];
  }

  bool Touched(const engine::ConferenceDelta& d, const engine::UserId& id) {
    for (const auto& c : d.users) {
      if (c.entity == id) {
        return true;
      }
    }
    return false;
  }

  void AddChange(const engine::ConferenceSnapshot& s,
                 engine::ConferenceDelta& d) {
    const UserList list =
        Uniform(4) == 0 ? UserList::kLobby : UserList::kRoster;
    const engine::UserMap& map = list == UserList::kLobby ? s.lobby : s.users;
    switch (Uniform(7)) {
      case 0: {  // a user joins (roster or lobby)
        engine::UserChange c;
        c.list = list;
        c.kind = ChangeKind::kFull;
        c.user = NewUser(absl::StrCat("sip:u", next_id_++, "@x"));
        c.entity = c.user->entity;
        d.users.push_back(std::move(c));
        return;
      }
      case 1: {  // a user leaves
        auto u = PickMutable(map);
        if (u == nullptr || Touched(d, u->entity)) {
          return;
        }
        engine::UserChange c;
        c.list = list;
        c.kind = ChangeKind::kDeleted;
        c.entity = u->entity;
        d.users.push_back(std::move(c));
        return;
      }
      case 2: {  // partial: role and endpoints change
        auto old = PickMutable(map);
        if (old == nullptr || Touched(d, old->entity)) {
          return;
        }
        auto u = std::make_shared<engine::User>(*old);
        u->role =
            Uniform(2) ? engine::Role::kPresenter : engine::Role::kAttendee;
        engine::UserChange c;
        c.list = list;
        c.kind = ChangeKind::kPartial;
        c.entity = u->entity;
        if (!u->endpoints.empty() && Uniform(2)) {
          // Remove one endpoint.
          const size_t i = static_cast<size_t>(
              Uniform(static_cast<int>(u->endpoints.size())));
          c.endpoints.push_back(
              {ChangeKind::kDeleted, u->endpoints[i]->entity, nullptr});
          u->endpoints.erase(u->endpoints.begin() +
                             static_cast<std::ptrdiff_t>(i));
        } else if (!u->endpoints.empty()) {
          // Drop or change a media stream: the endpoint is resent in full.
          const size_t i = static_cast<size_t>(
              Uniform(static_cast<int>(u->endpoints.size())));
          auto e = std::make_shared<engine::Endpoint>(*u->endpoints[i]);
          if (!e->media.empty()) {
            e->media.pop_back();
          } else {
            e->media.push_back(NewMedia(7));
          }
          e->status = static_cast<engine::EndpointStatus>(Uniform(9));
          u->endpoints[i] = e;
          c.endpoints.push_back({ChangeKind::kFull, e->entity, e});
        } else {
          auto e = NewEndpoint();
          u->endpoints.push_back(e);
          c.endpoints.push_back({ChangeKind::kFull, e->entity, e});
        }
        c.user = std::move(u);
        d.users.push_back(std::move(c));
        return;
      }
      case 3: {  // the description is replaced
        auto desc =
            std::make_shared<engine::ConferenceDescription>(*s.description);
        desc->subject = Text();
        if (Uniform(2)) {
          desc->join_url = absl::StrCat("https://x/", Text());
        }
        d.description = std::move(desc);
        return;
      }
      case 4: {  // conference-state changes
        auto st = std::make_shared<engine::ConferenceState>(*s.state);
        st->locked = !st->locked;
        st->user_count = static_cast<uint32_t>(s.users.size());
        d.state = std::move(st);
        return;
      }
      case 5: {  // an entity view is replaced or removed
        if (s.views.empty()) {
          return;
        }
        const auto& old = s.views[static_cast<size_t>(
            Uniform(static_cast<int>(s.views.size())))];
        for (const auto& c : d.views) {
          if (c.entity == old->entity) {
            return;
          }
        }
        engine::EntityViewChange c;
        c.entity = old->entity;
        if (Uniform(4) == 0) {
          c.kind = ChangeKind::kDeleted;
        } else {
          auto v = std::make_shared<engine::EntityView>(*old);
          v->state.locked = !v->state.locked.value_or(false);
          c.kind = ChangeKind::kFull;
          c.view = std::move(v);
        }
        d.views.push_back(std::move(c));
        return;
      }
      case 6: {  // a new MCU view
        auto v = std::make_shared<engine::EntityView>();
        v->entity = absl::StrCat("sip:mcu", next_id_++, "@x");
        v->mcu_type = "chat";
        v->state.locked = Uniform(2) == 0;
        engine::EntityViewChange c;
        c.kind = ChangeKind::kFull;
        c.entity = v->entity;
        c.view = std::move(v);
        d.views.push_back(std::move(c));
        return;
      }
    }
  }

  std::mt19937 rng_;
  int next_id_ = 0;
};

const Viewer kViewers[] = {
    {engine::ViewerRole::kLeader, engine::UserId(kLeader)},
    {engine::ViewerRole::kAttendee, engine::UserId(kAttendee)},
    {engine::ViewerRole::kLobbySelf, engine::UserId(kWaiting)},
};

std::string FreshCanonical(const engine::ConferenceSnapshot& s,
                           const Viewer& viewer) {
  ReferenceSubscriber fresh;
  absl::StatusOr<ReferenceSubscriber::Outcome> r =
      fresh.Apply(EncodeConferenceInfo(s, viewer).WithVersion(1));
  EXPECT_THAT(r, IsOk());
  return fresh.Canonical();
}

// 2000 sequences in four slices, so the test shards.
class RoundTripSliceTest : public ::testing::TestWithParam<int> {};

TEST_P(RoundTripSliceTest, PartialsReachTheFreshFullState) {
  constexpr int kSequencesPerSlice = 500;
  constexpr int kSteps = 8;
  const int first = GetParam() * kSequencesPerSlice;
  for (int seq = first; seq < first + kSequencesPerSlice; ++seq) {
    SCOPED_TRACE(absl::StrCat("seed ", seq));
    DeltaGenerator gen(static_cast<uint32_t>(seq));
    engine::ConferenceSnapshot s = gen.Initial();
    ReferenceSubscriber subs[3];
    uint32_t versions[3];
    for (int v = 0; v < 3; ++v) {
      versions[v] = 1;
      ASSERT_THAT(
          subs[v].Apply(EncodeConferenceInfo(s, kViewers[v]).WithVersion(1)),
          IsOk());
    }
    for (int step = 0; step < kSteps; ++step) {
      const engine::ConferenceDelta d = gen.Next(s);
      s = engine::ApplyDelta(s, d);
      for (int v = 0; v < 3; ++v) {
        const std::optional<EncodedDocument> doc =
            EncodeConferenceInfoDelta(d, kViewers[v]);
        if (!doc.has_value()) {
          continue;
        }
        ASSERT_THAT(subs[v].Apply(doc->WithVersion(++versions[v])), IsOk())
            << doc->WithVersion(versions[v]);
      }
    }
    for (int v = 0; v < 3; ++v) {
      SCOPED_TRACE(absl::StrCat("viewer ", v));
      ASSERT_EQ(subs[v].Canonical(), FreshCanonical(s, kViewers[v]));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Slices, RoundTripSliceTest, ::testing::Range(0, 4));

TEST(ConferenceInfoRoundTripTest, SkippedPartialIsDetectedAsAGap) {
  DeltaGenerator gen(7);
  engine::ConferenceSnapshot s = gen.Initial();
  const Viewer& leader = kViewers[0];
  ReferenceSubscriber sub;
  ASSERT_THAT(sub.Apply(EncodeConferenceInfo(s, leader).WithVersion(1)),
              IsOk());
  std::vector<std::string> partials;
  while (partials.size() < 3) {
    const engine::ConferenceDelta d = gen.Next(s);
    s = engine::ApplyDelta(s, d);
    const std::optional<EncodedDocument> doc =
        EncodeConferenceInfoDelta(d, leader);
    if (doc.has_value()) {
      partials.push_back(
          doc->WithVersion(static_cast<uint32_t>(partials.size() + 2)));
    }
  }
  ASSERT_THAT(sub.Apply(partials[0]), IsOk());
  // partials[1] is lost.
  EXPECT_THAT(sub.Apply(partials[2]), StatusIs(absl::StatusCode::kOutOfRange));
  // A refresh (full state) recovers.
  ASSERT_THAT(sub.Apply(EncodeConferenceInfo(s, leader).WithVersion(5)),
              IsOk());
  EXPECT_EQ(sub.Canonical(), FreshCanonical(s, leader));
}

TEST(ConferenceInfoRoundTripTest, DeletedConferenceEndsEverySubscription) {
  DeltaGenerator gen(11);
  const engine::ConferenceSnapshot s = gen.Initial();
  engine::ConferenceDelta d;
  d.conference = s.entity;
  d.version = s.version + 1;
  d.kind = engine::DeltaKind::kConferenceDeleted;
  for (const Viewer& viewer : kViewers) {
    ReferenceSubscriber sub;
    ASSERT_THAT(sub.Apply(EncodeConferenceInfo(s, viewer).WithVersion(1)),
                IsOk());
    const std::optional<EncodedDocument> doc =
        EncodeConferenceInfoDelta(d, viewer);
    ASSERT_TRUE(doc.has_value());
    ASSERT_THAT(sub.Apply(doc->WithVersion(2)), IsOk());
    EXPECT_TRUE(sub.deleted());
  }
}

}  // namespace
}  // namespace codec
}  // namespace conf
