#include "codec/conference_info_reader.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/conference_info.h"
#include "codec/wire_names.h"
#include "codec/xml_reader.h"
#include "engine/model.h"
#include "testing/sample_conferences.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kAlice[] = "sip:alice@fabrikam.com";
const Viewer kLeader{engine::ViewerRole::kLeader, engine::UserId(kAlice)};
const Viewer kAttendee{engine::ViewerRole::kAttendee,
                       engine::UserId("sip:user1@fabrikam.com")};

std::string ReadGolden(absl::string_view name) {
  std::ifstream in(absl::StrCat("codec/testdata/golden/", name),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A document with the focus's namespace declarations, `root_attributes` and
// `body` inside the root.
std::string Document(absl::string_view body,
                     absl::string_view root_attributes =
                         "entity=\"sip:f@x\" state=\"full\" version=\"1\"") {
  return absl::StrCat(
      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:ci=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" ",
      root_attributes, ">", body, "</conference-info>");
}

// The wire name of an optional enumeration value, std::nullopt when unset.
template <typename Enum, size_t N>
std::optional<absl::string_view> Wire(const WireNameRow<Enum> (&table)[N],
                                      const std::optional<Enum>& value) {
  if (!value.has_value()) {
    return std::nullopt;
  }
  return WireName(table, *value);
}

std::optional<absl::string_view> Text(absl::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  return value;
}

void ExpectEndpoint(const CiEndpoint& got, const engine::Endpoint& want) {
  SCOPED_TRACE(want.entity.value());
  EXPECT_EQ(got.entity, want.entity.value());
  EXPECT_EQ(got.state, ElementState::kFull);
  EXPECT_EQ(got.session_type, want.session_type);
  EXPECT_EQ(got.endpoint_uri, want.endpoint_uri);
  EXPECT_EQ(got.display_text, Text(want.display_text));
  EXPECT_EQ(got.status, Wire(kEndpointStatusNames, want.status));
  EXPECT_EQ(got.joining_method, Wire(kJoiningMethodNames, want.joining_method));
  EXPECT_EQ(got.disconnection_method,
            Wire(kDisconnectionMethodNames, want.disconnection_method));
  ASSERT_EQ(got.media.size(), want.media.size());
  for (size_t i = 0; i < want.media.size(); ++i) {
    const engine::Media& m = *want.media[i];
    EXPECT_EQ(got.media[i].id, m.id.value());
    EXPECT_EQ(got.media[i].type, m.type);
    EXPECT_EQ(got.media[i].label, m.label);
    EXPECT_EQ(got.media[i].status,
              Wire(kMediaStatusNames, m.status).value_or(""));
  }
}

void ExpectUser(const CiUser& got, const engine::User& want) {
  SCOPED_TRACE(want.entity.value());
  EXPECT_EQ(got.entity, want.entity.value());
  EXPECT_EQ(got.state, ElementState::kFull);
  EXPECT_EQ(got.display_text, Text(want.display_text));
  EXPECT_THAT(got.roles,
              Optional(ElementsAre(WireName(kRoleNames, want.role))));
  ASSERT_EQ(got.endpoints.size(), want.endpoints.size());
  for (size_t i = 0; i < want.endpoints.size(); ++i) {
    ExpectEndpoint(got.endpoints[i], *want.endpoints[i]);
  }
}

void ExpectUsers(const std::optional<CiUserList>& got,
                 const engine::UserMap& want) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->state, ElementState::kFull);
  ASSERT_EQ(got->users.size(), want.size());
  size_t i = 0;
  for (const std::shared_ptr<const engine::User>& u : want) {
    ExpectUser(got->users[i++], *u);
  }
}

// Encodes `snapshot` for `viewer` and checks that reading it back gives the
// snapshot's fields.
void ExpectRoundTrip(const engine::ConferenceSnapshot& snapshot,
                     const Viewer& viewer) {
  const std::string bytes = EncodeConferenceInfo(snapshot, viewer).Bytes();
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(bytes);
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->entity, snapshot.entity.value());
  EXPECT_EQ(doc->version, snapshot.version);
  EXPECT_EQ(doc->state, ElementState::kFull);
  ASSERT_TRUE(doc->description.has_value());
  ASSERT_TRUE(doc->description->conf_uris.has_value());
  const std::vector<engine::UriEntry>& uris = snapshot.description->conf_uris;
  ASSERT_EQ(doc->description->conf_uris->entries.size(), uris.size());
  for (size_t i = 0; i < uris.size(); ++i) {
    EXPECT_EQ(doc->description->conf_uris->entries[i].uri, uris[i].uri);
    EXPECT_EQ(doc->description->conf_uris->entries[i].purpose, uris[i].purpose);
  }
  EXPECT_EQ(doc->description->pstn_access_id,
            snapshot.description->pstn_access->id);
  ASSERT_TRUE(doc->conference_state.has_value());
  EXPECT_EQ(doc->conference_state->user_count, snapshot.state->user_count);
  EXPECT_EQ(doc->conference_state->active, snapshot.state->active);
  EXPECT_EQ(doc->conference_state->locked, snapshot.state->locked);
  ExpectUsers(doc->users, snapshot.users);
  if (viewer.role == engine::ViewerRole::kLeader) {
    ExpectUsers(doc->lobby, snapshot.lobby);
  } else {
    EXPECT_FALSE(doc->lobby.has_value());
  }
  ASSERT_TRUE(doc->conference_view.has_value());
  ASSERT_EQ(doc->conference_view->views.size(), snapshot.views.size());
  for (size_t i = 0; i < snapshot.views.size(); ++i) {
    EXPECT_EQ(doc->conference_view->views[i].entity, snapshot.views[i]->entity);
    EXPECT_EQ(doc->conference_view->views[i].locked,
              snapshot.views[i]->state.locked);
  }
}

TEST(ParseConferenceInfoTest, ReadsBackEncodedSnapshots) {
  for (int users : {0, 1, 3, 40, 250}) {
    SCOPED_TRACE(absl::StrCat(users, " users"));
    engine::ConferenceSnapshot s = testing::SnapshotWithUsers(users);
    s.lobby = s.lobby.Set(testing::MakeUser(1000));
    ExpectRoundTrip(s, kLeader);
    ExpectRoundTrip(s, kAttendee);
  }
}

TEST(ParseConferenceInfoTest, ReadsTheSeedGoldenDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc =
      ParseConferenceInfo(ReadGolden("seed_full_leader.xml"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->entity,
            "sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C");
  EXPECT_EQ(doc->version, 4u);
  EXPECT_EQ(doc->state, ElementState::kFull);

  const CiDescription& d = *doc->description;
  ASSERT_TRUE(d.conf_uris.has_value());
  ASSERT_EQ(d.conf_uris->entries.size(), 6u);
  EXPECT_EQ(d.conf_uris->entries[0].uri,
            "sip:alice@fabrikam.com;gruu;opaque=app:conf:chat:id:5D3747C");
  EXPECT_EQ(d.conf_uris->entries[0].display_text, "chat");
  EXPECT_EQ(d.conf_uris->entries[0].purpose, "chat");
  EXPECT_EQ(d.conf_uris->entries[4].purpose, "web-internal");
  EXPECT_EQ(d.conf_uris->entries[4].encrypted_uri,
            testing::FakeSecrets().web_internal_uri);
  EXPECT_EQ(d.conference_key, testing::FakeSecrets().conference_key);
  EXPECT_EQ(d.pstn_access_id, "37890");
  EXPECT_FALSE(d.service_uris.has_value());

  EXPECT_THAT(doc->conference_state->user_count, Optional(1u));
  EXPECT_THAT(doc->conference_state->active, Optional(true));
  EXPECT_THAT(doc->conference_state->locked, Optional(false));

  ASSERT_EQ(doc->users->users.size(), 1u);
  const CiUser& alice = doc->users->users[0];
  EXPECT_EQ(alice.entity, kAlice);
  EXPECT_THAT(alice.display_text, Optional(absl::string_view("Alice Gates")));
  EXPECT_THAT(alice.roles, Optional(ElementsAre("presenter")));
  ASSERT_EQ(alice.endpoints.size(), 1u);
  EXPECT_EQ(alice.endpoints[0].entity,
            "{09AA504C-BA41-4458-8669-8F35470F6CA2}");
  EXPECT_EQ(alice.endpoints[0].session_type, "focus");
  EXPECT_THAT(alice.endpoints[0].status,
              Optional(absl::string_view("connected")));
  EXPECT_TRUE(alice.endpoints[0].media.empty());

  ASSERT_EQ(doc->conference_view->views.size(), 5u);
  EXPECT_THAT(doc->conference_view->views[0].locked, Optional(false));
  EXPECT_EQ(doc->conference_view->views[1].locked, std::nullopt);  // AV MCU
  ASSERT_TRUE(doc->lobby.has_value());
  EXPECT_EQ(doc->lobby->state, ElementState::kFull);
  EXPECT_TRUE(doc->lobby->users.empty());
}

TEST(ParseConferenceInfoTest, ReadsTheAttendeeGoldenDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc =
      ParseConferenceInfo(ReadGolden("seed_full_attendee_no_secrets.xml"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->description->conference_key, "");
  EXPECT_EQ(doc->users->users.size(), 1u);
  EXPECT_FALSE(doc->lobby.has_value());
}

TEST(ParseConferenceInfoTest, ReadsThePartialGoldenDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc =
      ParseConferenceInfo(ReadGolden("partial_roster_leader.xml"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->state, ElementState::kPartial);
  EXPECT_EQ(doc->version, 8u);
  EXPECT_FALSE(doc->description.has_value());
  EXPECT_THAT(doc->conference_state->locked, Optional(true));
  EXPECT_FALSE(doc->lobby.has_value());

  ASSERT_EQ(doc->users->state, ElementState::kPartial);
  ASSERT_EQ(doc->users->users.size(), 3u);
  const CiUser& added = doc->users->users[0];
  EXPECT_EQ(added.entity, "sip:user7@fabrikam.com");
  EXPECT_EQ(added.state, ElementState::kFull);
  EXPECT_THAT(added.display_text,
              Optional(absl::string_view("User 7 <R&D>")));  // unescaped
  ASSERT_EQ(added.endpoints.size(), 2u);
  EXPECT_THAT(added.endpoints[0].joining_method,
              Optional(absl::string_view("dialed-in")));
  ASSERT_EQ(added.endpoints[1].media.size(), 2u);
  EXPECT_EQ(added.endpoints[1].media[1].id, "2");
  EXPECT_EQ(added.endpoints[1].media[1].label, "video-7");
  EXPECT_EQ(added.endpoints[1].media[1].status, "sendrecv");

  const CiUser& removed = doc->users->users[1];
  EXPECT_EQ(removed.entity, "sip:user2@fabrikam.com");
  EXPECT_EQ(removed.state, ElementState::kDeleted);
  EXPECT_EQ(removed.roles, std::nullopt);

  // The focus sends a changed user whole (docs/CODEC.md).
  const CiUser& changed = doc->users->users[2];
  EXPECT_EQ(changed.state, ElementState::kFull);
  EXPECT_THAT(changed.roles, Optional(ElementsAre("presenter")));
  ASSERT_EQ(changed.endpoints.size(), 1u);
  EXPECT_EQ(changed.endpoints[0].entity, "{focus-1}");
  EXPECT_EQ(changed.endpoints[0].state, ElementState::kFull);
  EXPECT_THAT(changed.endpoints[0].status,
              Optional(absl::string_view("connected")));

  ASSERT_EQ(doc->conference_view->state, ElementState::kPartial);
  ASSERT_EQ(doc->conference_view->views.size(), 1u);
  EXPECT_EQ(doc->conference_view->views[0].state, ElementState::kDeleted);
}

TEST(ParseConferenceInfoTest, ReadsTheDeletedGoldenDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc =
      ParseConferenceInfo(ReadGolden("deleted.xml"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->state, ElementState::kDeleted);
  EXPECT_EQ(doc->entity, "sip:focus;id=1");
  EXPECT_EQ(doc->version, 9u);
  EXPECT_FALSE(doc->description.has_value());
  EXPECT_FALSE(doc->users.has_value());
}

TEST(ParseConferenceInfoTest, ReadsEveryListOfAPartialDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(Document(
      "<conference-description><subject>s</subject><service-uris "
      "state=\"full\"><entry><uri>http://w</uri><purpose>web-page</purpose>"
      "</entry></service-uris><maximum-user-count>250</maximum-user-count>"
      "<msci:conference-id>ABC</msci:conference-id><msci:organizer>"
      "<msci:display-name>Alice</msci:display-name></msci:organizer>"
      "<msci:join-url>https://j</msci:join-url></conference-description>"
      "<users state=\"partial\"><user entity=\"sip:a@x\" state=\"partial\">"
      "<endpoint entity=\"e\" state=\"partial\"><status>on-hold</status>"
      "<media id=\"1\"><type>audio</type><status>recvonly</status>"
      "<msci:media-state>connected</msci:media-state></media></endpoint>"
      "</user></users><msci:lobby ci:state=\"partial\"><user "
      "entity=\"sip:b@x\" state=\"full\"><roles><entry>attendee</entry>"
      "</roles></user><user entity=\"sip:c@x\" state=\"deleted\"/>"
      "</msci:lobby><msci:conference-view ci:state=\"partial\">"
      "<msci:entity-view ci:state=\"full\" entity=\"sip:mcu\">"
      "<msci:entity-state><msci:locked>1</msci:locked></msci:entity-state>"
      "</msci:entity-view></msci:conference-view>",
      "entity=\"sip:f@x\" state=\"partial\" version=\"12\""));
  ASSERT_THAT(doc, IsOk());
  const CiDescription& d = *doc->description;
  EXPECT_EQ(d.subject, "s");
  ASSERT_TRUE(d.service_uris.has_value());
  EXPECT_EQ(d.service_uris->entries[0].purpose, "web-page");
  EXPECT_FALSE(d.conf_uris.has_value());
  EXPECT_THAT(d.maximum_user_count, Optional(250u));
  EXPECT_EQ(d.conference_id, "ABC");
  EXPECT_EQ(d.organizer_display_name, "Alice");
  EXPECT_EQ(d.join_url, "https://j");

  const CiEndpoint& e = doc->users->users[0].endpoints[0];
  EXPECT_EQ(e.state, ElementState::kPartial);
  EXPECT_EQ(e.display_text, std::nullopt);  // partial: unchanged
  EXPECT_THAT(e.status, Optional(absl::string_view("on-hold")));
  ASSERT_EQ(e.media.size(), 1u);
  EXPECT_EQ(e.media[0].media_state, "connected");
  EXPECT_EQ(doc->users->users[0].roles, std::nullopt);

  ASSERT_EQ(doc->lobby->users.size(), 2u);
  EXPECT_EQ(doc->lobby->state, ElementState::kPartial);
  EXPECT_THAT(doc->lobby->users[0].roles, Optional(ElementsAre("attendee")));
  EXPECT_EQ(doc->lobby->users[1].state, ElementState::kDeleted);
  EXPECT_THAT(doc->conference_view->views[0].locked, Optional(true));
}

// What a subscriber keeps of a roster: enough to compare a full document
// with the partial documents that lead to it.
struct TrackedEndpoint {
  std::string status;
  std::map<std::string, std::string> media;  // id -> status
};
struct TrackedUser {
  std::string display_text;
  std::string roles;
  std::map<std::string, TrackedEndpoint> endpoints;
};
using Tracked = std::map<std::string, TrackedUser>;

TrackedEndpoint Track(const CiEndpoint& e) {
  TrackedEndpoint out;
  out.status = std::string(e.status.value_or(""));
  for (const CiMedia& m : e.media) {
    out.media[std::string(m.id)] = std::string(m.status);
  }
  return out;
}

// RFC 4575 §4.6 over the view: a list's users by entity, a user's atomic
// children when present, its endpoints by entity.
void ApplyUsers(const CiUserList& list, Tracked& users) {
  if (list.state != ElementState::kPartial) {
    users.clear();
  }
  for (const CiUser& u : list.users) {
    if (u.state == ElementState::kDeleted) {
      users.erase(std::string(u.entity));
      continue;
    }
    TrackedUser& user = users[std::string(u.entity)];
    if (u.state == ElementState::kFull) {
      user = TrackedUser();
    }
    if (u.display_text.has_value()) {
      user.display_text = std::string(*u.display_text);
    }
    if (u.roles.has_value()) {
      user.roles = absl::StrJoin(*u.roles, " ");
    }
    for (const CiEndpoint& e : u.endpoints) {
      if (e.state == ElementState::kDeleted) {
        user.endpoints.erase(std::string(e.entity));
      } else {
        user.endpoints[std::string(e.entity)] = Track(e);
      }
    }
  }
}

std::string Print(const Tracked& users) {
  std::string out;
  for (const auto& [entity, u] : users) {
    absl::StrAppend(&out, entity, " '", u.display_text, "' [", u.roles, "]");
    for (const auto& [id, e] : u.endpoints) {
      absl::StrAppend(&out, " ", id, ":", e.status);
      for (const auto& [mid, status] : e.media) {
        absl::StrAppend(&out, " ", mid, "=", status);
      }
    }
    out += "\n";
  }
  return out;
}

struct Subscriber {
  Tracked roster;
  Tracked lobby;
  std::map<std::string, std::optional<bool>> views;  // entity -> locked
  std::optional<bool> locked;

  void Apply(const ConferenceInfoDocument& doc) {
    if (doc.users.has_value()) {
      ApplyUsers(*doc.users, roster);
    }
    if (doc.lobby.has_value()) {
      ApplyUsers(*doc.lobby, lobby);
    }
    if (doc.conference_state.has_value()) {
      locked = doc.conference_state->locked;
    }
    if (doc.conference_view.has_value()) {
      if (doc.conference_view->state != ElementState::kPartial) {
        views.clear();
      }
      for (const CiEntityView& v : doc.conference_view->views) {
        if (v.state == ElementState::kDeleted) {
          views.erase(std::string(v.entity));
        } else {
          views[std::string(v.entity)] = v.locked;
        }
      }
    }
  }
};

// A delta of every kind of roster change: a user added, one removed, one
// with a new role and one endpoint less, one more in the lobby, the
// conference locked and one view removed.
engine::ConferenceDelta MixedDelta(const engine::ConferenceSnapshot& s) {
  engine::ConferenceDelta d;
  d.conference = s.entity;
  d.version = s.version + 1;
  engine::UserChange added;
  added.user = testing::MakeUser(7);
  added.entity = added.user->entity;
  d.users.push_back(added);
  engine::UserChange removed;
  removed.kind = engine::ChangeKind::kDeleted;
  removed.entity = engine::UserId("sip:user2@fabrikam.com");
  d.users.push_back(removed);
  auto u1 = std::make_shared<engine::User>(*testing::MakeUser(1));
  u1->role = engine::Role::kPresenter;
  u1->endpoints.pop_back();
  engine::UserChange partial;
  partial.kind = engine::ChangeKind::kPartial;
  partial.entity = u1->entity;
  partial.user = u1;
  engine::EndpointChange gone;
  gone.kind = engine::ChangeKind::kDeleted;
  gone.entity = engine::EndpointId("{av-1}");
  partial.endpoints.push_back(gone);
  d.users.push_back(partial);
  engine::UserChange waiting;
  waiting.list = engine::UserList::kLobby;
  waiting.user = testing::MakeUser(99);
  waiting.entity = waiting.user->entity;
  d.users.push_back(waiting);
  auto state = std::make_shared<engine::ConferenceState>(*s.state);
  state->locked = true;
  d.state = state;
  engine::EntityViewChange view;
  view.kind = engine::ChangeKind::kDeleted;
  view.entity = s.views.back()->entity;
  d.views.push_back(view);
  return d;
}

TEST(ParseConferenceInfoTest, PartialDocumentsApplyToTheNextFullDocument) {
  const engine::ConferenceSnapshot before = testing::SnapshotWithUsers(5);
  const engine::ConferenceDelta delta = MixedDelta(before);
  const engine::ConferenceSnapshot after = engine::ApplyDelta(before, delta);
  for (const Viewer& viewer : {kLeader, kAttendee}) {
    SCOPED_TRACE(viewer.user.value());
    absl::StatusOr<ConferenceInfoDocument> full =
        ParseConferenceInfo(EncodeConferenceInfo(before, viewer).Bytes());
    const std::optional<EncodedDocument> encoded =
        EncodeConferenceInfoDelta(delta, viewer);
    ASSERT_TRUE(encoded.has_value());
    absl::StatusOr<ConferenceInfoDocument> partial =
        ParseConferenceInfo(encoded->Bytes());
    absl::StatusOr<ConferenceInfoDocument> fresh =
        ParseConferenceInfo(EncodeConferenceInfo(after, viewer).Bytes());
    ASSERT_THAT(full, IsOk());
    ASSERT_THAT(partial, IsOk());
    ASSERT_THAT(fresh, IsOk());
    EXPECT_EQ(partial->state, ElementState::kPartial);
    EXPECT_EQ(partial->version, delta.version);

    Subscriber merged;
    merged.Apply(*full);
    merged.Apply(*partial);
    Subscriber expected;
    expected.Apply(*fresh);
    EXPECT_EQ(Print(merged.roster), Print(expected.roster));
    EXPECT_EQ(Print(merged.lobby), Print(expected.lobby));
    EXPECT_EQ(merged.views, expected.views);
    EXPECT_EQ(merged.locked, expected.locked);
    EXPECT_THAT(merged.locked, Optional(true));
  }
}

TEST(ParseConferenceInfoTest, ViewsSurviveMovingTheDocument) {
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(
      EncodeConferenceInfo(testing::SnapshotWithUsers(40), kLeader).Bytes());
  ASSERT_THAT(doc, IsOk());
  ConferenceInfoDocument moved = *std::move(doc);
  ConferenceInfoDocument again = std::move(moved);
  ASSERT_EQ(again.users->users.size(), 40u);
  EXPECT_EQ(again.users->users[39].endpoints[1].media[0].label, "audio-9");
  EXPECT_EQ(again.Where(again.users->users[0].offset).rfind("offset ", 0), 0u);
}

TEST(ParseConferenceInfoTest, MatchesNamespacesNotPrefixes) {
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(
      "<c:conference-info xmlns:c=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:m=\"http://schemas.microsoft.com/rtc/2005/08/confinfoextensions\" "
      "entity=\"sip:f@x\" version=\"3\" state=\"partial\"><c:users "
      "c:state=\"partial\">"
      "<c:user entity=\"sip:a@x\"><c:endpoint entity=\"e\" "
      "m:session-type=\"chat\"/></c:user><c:user entity=\"sip:b@x\"><endpoint "
      "entity=\"f\" session-type=\"audio-video\"/></c:user></c:users>"
      "</c:conference-info>");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->state, ElementState::kPartial);
  EXPECT_EQ(doc->users->state, ElementState::kPartial);
  ASSERT_EQ(doc->users->users.size(), 2u);
  EXPECT_EQ(doc->users->users[0].state, ElementState::kFull);  // absent: full
  EXPECT_EQ(doc->users->users[0].endpoints[0].session_type, "chat");
  // An unqualified <endpoint> is in no namespace here: not read.
  EXPECT_TRUE(doc->users->users[1].endpoints.empty());
}

TEST(ParseConferenceInfoTest, SkipsWhatItDoesNotRead) {
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(Document(
      "<host-info><web-page>w</web-page></host-info>"
      "<users><user entity=\"sip:a@x\"><associated-aors><entry><uri>u</uri>"
      "</entry></associated-aors><endpoint entity=\"e\"><call-info><sip>"
      "<call-id>c</call-id></sip></call-info><x:y xmlns:x=\"urn:vendor\">"
      "<user/></x:y></endpoint></user></users>"
      "<sidebars-by-val state=\"full\"/><x:extra xmlns:x=\"urn:vendor\"/>"));
  ASSERT_THAT(doc, IsOk());
  ASSERT_EQ(doc->users->users.size(), 1u);
  EXPECT_EQ(doc->users->users[0].endpoints.size(), 1u);
  EXPECT_EQ(doc->users->users[0].roles, std::nullopt);
}

TEST(ParseConferenceInfoTest, ReportsStatesAsSentInAFullDocument) {
  // A partial list in a full document changes the empty state the document
  // starts from: deleting is a no-op, a partial user an insertion.
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(
      Document("<users state=\"partial\"><user entity=\"sip:a@x\" "
               "state=\"deleted\"/><user entity=\"sip:b@x\" "
               "state=\"partial\"/></users>"));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->state, ElementState::kFull);
  EXPECT_EQ(doc->users->state, ElementState::kPartial);
  EXPECT_EQ(doc->users->users[0].state, ElementState::kDeleted);
  EXPECT_EQ(doc->users->users[1].state, ElementState::kPartial);
}

TEST(ParseConferenceInfoTest, IgnoresTheChildrenOfDeletedElements) {
  // RFC 4575 §4.4: a deleted element's children are ignored, so the
  // endpoint without a key is never read.
  absl::StatusOr<ConferenceInfoDocument> doc = ParseConferenceInfo(
      Document("<users state=\"partial\"><user entity=\"sip:a@x\" "
               "state=\"deleted\"><endpoint/></user></users>",
               "entity=\"sip:f@x\" state=\"partial\" version=\"2\""));
  ASSERT_THAT(doc, IsOk());
  EXPECT_TRUE(doc->users->users[0].endpoints.empty());
}

TEST(ParseConferenceInfoTest, RefusesHostileInput) {
  struct Case {
    const char* name;
    std::string document;
    absl::StatusCode code;
    std::string message;
  };
  std::string nested;
  for (int i = 0; i < 40; ++i) {
    nested += "<x:a xmlns:x=\"urn:v\">";
  }
  for (int i = 0; i < 40; ++i) {
    nested += "</x:a>";
  }
  constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  const std::string keyless_user = Document("<users><user/></users>");
  const Case kCases[] = {
      {"empty", "", kInvalid, "not well-formed XML: xml: no root element"},
      {"truncated", "<conference-info entity=\"a\"", kInvalid,
       "not well-formed XML"},
      {"mismatched", Document("<users></user>"), kInvalid,
       "not well-formed XML"},
      {"undeclared prefix", Document("<msav:capabilities/>"), kInvalid,
       "undeclared namespace prefix msav"},
      {"wrong root",
       "<users xmlns=\"urn:ietf:params:xml:ns:conference-info\"/>", kInvalid,
       "root <users> in namespace \"urn:ietf:params:xml:ns:conference-info\" "
       "is not conference-info"},
      {"root in no namespace", "<conference-info entity=\"a\" version=\"1\"/>",
       kInvalid, "is not conference-info in urn:ietf"},
      {"missing entity", Document("", "version=\"1\""), kInvalid,
       "root has no entity at offset 0 (line 1, column 1)"},
      {"empty entity", Document("", "entity=\"\" version=\"1\""), kInvalid,
       "root has no entity"},
      {"missing version", Document("", "entity=\"e\""), kInvalid,
       "root has no version"},
      {"negative version", Document("", "entity=\"e\" version=\"-3\""),
       kInvalid,
       "root has no version (an unsigned 32-bit integer), found "
       "\"-3\""},
      {"version over 32 bits",
       Document("", "entity=\"e\" version=\"4294967296\""), kInvalid,
       "found \"4294967296\""},
      {"bad root state",
       Document("", "entity=\"e\" version=\"1\" state=\"halfway\""), kInvalid,
       "<conference-info> has state \"halfway\" (expected full, partial or "
       "deleted)"},
      {"bad view state", Document("<msci:conference-view ci:state=\"x\"/>"),
       kInvalid, "<msci:conference-view> has state \"x\""},
      {"user without entity", keyless_user, kInvalid,
       absl::StrCat("<user> has no entity at offset ",
                    keyless_user.find("<user/>"), " (line 1")},
      {"endpoint without entity",
       Document("<users><user entity=\"a\"><endpoint/></user></users>"),
       kInvalid, "<endpoint> has no entity"},
      {"media without id",
       Document("<users><user entity=\"a\"><endpoint entity=\"e\"><media/>"
                "</endpoint></user></users>"),
       kInvalid, "<media> has no id"},
      {"view without entity",
       Document("<msci:conference-view><msci:entity-view/>"
                "</msci:conference-view>"),
       kInvalid, "<msci:entity-view> has no entity"},
      {"entry without uri",
       Document("<conference-description><conf-uris><entry><purpose>p"
                "</purpose></entry></conf-uris></conference-description>"),
       kInvalid, "<entry> has no <uri>"},
      {"unknown conference-info element",
       Document("<users><user entity=\"a\"><mood>x</mood></user></users>"),
       kInvalid, "unexpected element <mood> in <user>"},
      {"second users", Document("<users/><users/>"), kInvalid,
       "second <users> in <conference-info>"},
      {"second status",
       Document("<users><user entity=\"a\"><endpoint entity=\"e\"><status>a"
                "</status><status>b</status></endpoint></user></users>"),
       kInvalid, "second <status> in <endpoint>"},
      {"element for text",
       Document("<users><user entity=\"a\"><display-text><b/></display-text>"
                "</user></users>"),
       kInvalid, "element <b> where <display-text> has text"},
      {"bad boolean",
       Document("<conference-state><active>yes</active></conference-state>"),
       kInvalid, "<active> is \"yes\", not an xs:boolean"},
      {"bad count",
       Document("<conference-state><user-count>-1</user-count>"
                "</conference-state>"),
       kInvalid, "<user-count> is \"-1\", not an xs:unsignedInt"},
      {"too deep", Document(nested), absl::StatusCode::kResourceExhausted,
       "conference-info: xml: elements nested deeper than 32 levels"},
      {"oversized", Document(std::string(16 << 20, ' ')),
       absl::StatusCode::kResourceExhausted, "exceeds the limit of 16777216"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseConferenceInfo(c.document),
                StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST(ParseConferenceInfoTest, AppliesTheCallersLimits) {
  const std::string doc = Document("<users/>");
  ParseLimits limits;
  limits.max_bytes = doc.size() - 1;
  EXPECT_THAT(ParseConferenceInfo(doc, limits),
              StatusIs(absl::StatusCode::kResourceExhausted));
  limits.max_bytes = doc.size();
  limits.max_elements = 1;
  EXPECT_THAT(ParseConferenceInfo(doc, limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("more than 1 elements")));
  limits.max_elements = 2;
  EXPECT_THAT(ParseConferenceInfo(doc, limits), IsOk());
}

}  // namespace
}  // namespace codec
}  // namespace conf
