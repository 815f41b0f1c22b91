#include "codec/conference_info.h"

#include <stdlib.h>

#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "engine/model.h"
#include "testing/sample_conferences.h"

namespace conf {
namespace codec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const Viewer kLeader{engine::ViewerRole::kLeader,
                     engine::UserId("sip:alice@fabrikam.com")};
const Viewer kAttendee{engine::ViewerRole::kAttendee,
                       engine::UserId("sip:user1@fabrikam.com")};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string GoldenPath(absl::string_view name) {
  return absl::StrCat("codec/testdata/golden/", name);
}

// Compares `actual` with the golden file; on a mismatch also writes the
// actual bytes to the test's undeclared outputs for review.
void ExpectGolden(absl::string_view name, const std::string& actual) {
  const std::string golden = ReadFile(GoldenPath(name));
  if (golden != actual) {
    if (const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::ofstream(absl::StrCat(dir, "/", name), std::ios::binary) << actual;
    }
  }
  EXPECT_EQ(golden, actual) << "golden " << name;
}

// Validates against the RFC 4575 schema and checks namespace-correctness.
void ExpectSchemaValid(const std::string& name, const std::string& document) {
  const testing::XmllintResult r =
      testing::RunXmllint(name, document, testing::Schema::kRfc4575);
  if (!r.ran) {
    GTEST_SKIP() << r.skip_reason;
  }
  EXPECT_TRUE(r.ok) << name << ": " << r.output;
}

TEST(EncodeConferenceInfoTest, SeedFullDocumentMatchesGolden) {
  const engine::ConferenceSnapshot s = testing::SeedSnapshot();
  const DocumentSecrets secrets = testing::FakeSecrets();
  ExpectGolden("seed_full_leader.xml",
               EncodeConferenceInfo(s, kLeader, &secrets).Bytes());
  ExpectGolden("seed_full_attendee_no_secrets.xml",
               EncodeConferenceInfo(s, kAttendee).Bytes());
}

TEST(EncodeConferenceInfoTest, IsDeterministicAndReusesRenderedBytes) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(50);
  const std::string first = EncodeConferenceInfo(s, kLeader).Bytes();
  // The second encoding copies the bytes cached in the render slots.
  const std::string second = EncodeConferenceInfo(s, kLeader).Bytes();
  EXPECT_EQ(first, second);
  for (const auto& u : s.users) {
    ASSERT_NE(u->rendered.Get(), nullptr);
    EXPECT_THAT(first, HasSubstr(*u->rendered.Get()));
  }
}

// How many of `map`'s chunks have their render slot filled.
size_t FilledChunks(const engine::UserMap& map) {
  size_t filled = 0;
  for (const engine::UserMap::Chunk& chunk : map.chunks()) {
    filled += chunk.annex().Peek() != nullptr ? 1 : 0;
  }
  return filled;
}

TEST(EncodeConferenceInfoTest, RosterChunksCacheTheirUsersBytes) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(200);
  ASSERT_GT(s.users.chunks().size(), 4u);
  // A lobby user sees no roster: nothing is cached for it.
  const std::string self =
      EncodeConferenceInfo(s, Viewer{engine::ViewerRole::kLobbySelf,
                                     engine::UserId("sip:nobody@fabrikam.com")})
          .Bytes();
  EXPECT_THAT(self, HasSubstr("<users state=\"full\"/>"));
  EXPECT_EQ(FilledChunks(s.users), 0u);

  const std::string leader = EncodeConferenceInfo(s, kLeader).Bytes();
  ASSERT_EQ(FilledChunks(s.users), s.users.chunks().size());
  std::string roster;
  for (const engine::UserMap::Chunk& chunk : s.users.chunks()) {
    std::string users;
    for (const auto& u : chunk) {
      ASSERT_NE(u->rendered.Peek(), nullptr);
      users += *u->rendered.Peek();
    }
    EXPECT_EQ(*chunk.annex().Peek(), users);
    roster += users;
  }
  EXPECT_THAT(leader, HasSubstr(absl::StrCat("<users state=\"full\">", roster,
                                             "</users>")));
  // Every viewer who sees the roster copies the same cached chunks.
  const std::string attendee = EncodeConferenceInfo(s, kAttendee).Bytes();
  EXPECT_THAT(attendee, HasSubstr(roster));
  EXPECT_EQ(
      EncodeConferenceInfo(testing::WithoutUserCaches(s), kLeader).Bytes(),
      leader);
}

TEST(EncodeConferenceInfoTest, OneUserChangeRendersOneChunkAgain) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(200);
  const std::string before = EncodeConferenceInfo(s, kLeader).Bytes();
  const engine::UserId changed("sip:user150@fabrikam.com");
  const engine::ConferenceSnapshot next = testing::WithRoleToggled(s, changed);

  // Only the chunk holding the changed user is new, and it starts empty.
  ASSERT_EQ(next.users.chunks().size(), s.users.chunks().size());
  EXPECT_EQ(FilledChunks(next.users), next.users.chunks().size() - 1);
  const std::string after = EncodeConferenceInfo(next, kLeader).Bytes();
  EXPECT_EQ(FilledChunks(next.users), next.users.chunks().size());
  EXPECT_NE(after, before);
  EXPECT_EQ(
      after,
      EncodeConferenceInfo(testing::WithoutUserCaches(next), kLeader).Bytes());
  // The previous version's document is unchanged (its chunk is its own).
  EXPECT_EQ(EncodeConferenceInfo(s, kLeader).Bytes(), before);
}

TEST(EncodeConferenceInfoTest, CachedChunksMatchFreshRenderingsAfterChanges) {
  // Joins, leaves and role changes move users between chunks, split and
  // merge them; every document must equal one assembled from fresh
  // renderings of the same snapshot.
  std::mt19937 rng(20261125);
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(120);
  auto waiting = std::make_shared<engine::User>();
  waiting->entity = engine::UserId("sip:waiting@fabrikam.com");
  s.lobby = s.lobby.Set(waiting);
  const Viewer kViewers[] = {
      kLeader, kAttendee,
      Viewer{engine::ViewerRole::kLobbySelf, waiting->entity}};
  for (int step = 0; step < 300; ++step) {
    SCOPED_TRACE(step);
    const int i = static_cast<int>(rng() % 400);
    const engine::UserId id(absl::StrCat("sip:user", i, "@fabrikam.com"));
    const bool present = s.users.Contains(id);
    if (present && rng() % 2 == 0) {
      s = testing::WithRoleToggled(s, id);
    } else if (present) {
      s.users = s.users.Erase(id);
    } else {
      s.users = s.users.Set(testing::MakeUser(i));
    }
    const Viewer& viewer = kViewers[rng() % 3];
    const std::string cached = EncodeConferenceInfo(s, viewer).Bytes();
    ASSERT_EQ(
        cached,
        EncodeConferenceInfo(testing::WithoutUserCaches(s), viewer).Bytes());
  }
}

TEST(EncodeConferenceInfoTest, SecretsSlotIntoTheCachedDescription) {
  const engine::ConferenceSnapshot s = testing::SeedSnapshot();
  const DocumentSecrets secrets = testing::FakeSecrets();
  const std::string plain = EncodeConferenceInfo(s, kLeader).Bytes();
  const std::string secret = EncodeConferenceInfo(s, kLeader, &secrets).Bytes();
  EXPECT_THAT(plain, Not(HasSubstr("msci:conference-key")));
  EXPECT_THAT(plain, Not(HasSubstr("msci:encrypted-uri")));
  EXPECT_THAT(secret,
              HasSubstr(absl::StrCat("<msci:conference-key><msci:cms-data>",
                                     secrets.conference_key)));
  EXPECT_THAT(secret, HasSubstr("<purpose>web-internal</purpose>"
                                "<cis:separator/><msci:encrypted-uri>"));
  // Same cached description, no secrets leak into the next plain document.
  EXPECT_EQ(EncodeConferenceInfo(s, kLeader).Bytes(), plain);
}

// The root's start tag, host-info and conference-state are rendered once per
// snapshot; a changed copy (an empty slot) renders its own.
TEST(EncodeConferenceInfoTest, SnapshotFrameIsCachedPerSnapshot) {
  engine::ConferenceSnapshot s = testing::SeedSnapshot();
  auto host = std::make_shared<engine::HostInfo>();
  host->display_text = "Fabrikam <focus> & co";
  s.host_info = host;
  ASSERT_EQ(s.rendered.Peek(), nullptr);
  const std::string first = EncodeConferenceInfo(s, kLeader).Bytes();
  ASSERT_NE(s.rendered.Peek(), nullptr);
  EXPECT_THAT(first, HasSubstr("</conference-description><host-info>"
                               "<display-text>Fabrikam &lt;focus&gt; &amp; co"
                               "</display-text></host-info><conference-state>"
                               "<user-count>1</user-count>"));
  EXPECT_EQ(EncodeConferenceInfo(s, kAttendee).Bytes().substr(0, 900),
            first.substr(0, 900));

  engine::ConferenceSnapshot changed = s;
  auto state = std::make_shared<engine::ConferenceState>(*s.state);
  state->user_count = 7;
  state->locked = true;
  changed.state = state;
  changed.description = nullptr;
  changed.entity = engine::ConferenceId("sip:other@fabrikam.com;gruu");
  changed.version = 12;
  std::string out;
  EncodeConferenceInfo(changed, kLeader, nullptr, &out);
  EXPECT_THAT(out, HasSubstr("entity=\"sip:other@fabrikam.com;gruu\" "
                             "state=\"full\" version=\"12\">"
                             "<conference-description/><host-info>"));
  EXPECT_THAT(out, HasSubstr("<conference-state><user-count>7</user-count>"
                             "<active>true</active><locked>true</locked>"
                             "</conference-state>"));
  EXPECT_THAT(out, ::testing::EndsWith("</conference-info>"));
  // The original's cached frame is untouched.
  EXPECT_EQ(EncodeConferenceInfo(s, kLeader).Bytes(), first);
}

// Base64 secrets are spliced unescaped; anything else still goes through
// the writer's escaping, in every secret and in both output forms.
TEST(EncodeConferenceInfoTest, SecretsThatAreNotBase64AreEscaped) {
  const engine::ConferenceSnapshot s = testing::SeedSnapshot();
  DocumentSecrets secrets;
  secrets.conference_key = "key<&>\"'";
  secrets.web_internal_uri = "a b";
  const std::string control("caf\xC3\xA9\x01", 6);
  secrets.web_external_uri = control;
  const std::string doc = EncodeConferenceInfo(s, kLeader, &secrets).Bytes();
  EXPECT_THAT(doc, HasSubstr("<msci:cms-data>key&lt;&amp;&gt;&quot;&apos;"
                             "</msci:cms-data></msci:conference-key>"));
  EXPECT_THAT(doc, HasSubstr("<msci:cms-data>a b</msci:cms-data>"));
  EXPECT_THAT(doc, HasSubstr("<msci:cms-data>caf\xC3\xA9\xEF\xBF\xBD"
                             "</msci:cms-data>"));
  std::string out;
  EncodeConferenceInfo(s, kLeader, &secrets, &out);
  EXPECT_EQ(out, doc);
}

// A description without conf-uris entries gets the conf-uris wrapper only
// when a web-join secret goes into it, in both output forms and with the
// declaration left out (as a C3P response embeds the document).
TEST(EncodeConferenceInfoTest, ConfUrisWrapperOnlyAroundEntriesOrSecrets) {
  engine::ConferenceSnapshot s = testing::SeedSnapshot();
  auto description =
      std::make_shared<engine::ConferenceDescription>(*s.description);
  description->conf_uris.clear();
  s.description = description;
  const DocumentSecrets secrets = testing::FakeSecrets();
  DocumentSecrets key_only;
  key_only.conference_key = secrets.conference_key;

  const std::string plain = EncodeConferenceInfo(s, kLeader).Bytes();
  EXPECT_THAT(plain, Not(HasSubstr("conf-uris")));
  const std::string key = EncodeConferenceInfo(s, kLeader, &key_only).Bytes();
  EXPECT_THAT(key, Not(HasSubstr("conf-uris")));
  EXPECT_THAT(key, HasSubstr(secrets.conference_key));
  const std::string web = EncodeConferenceInfo(s, kLeader, &secrets).Bytes();
  EXPECT_THAT(web, HasSubstr("<conf-uris><entry><uri>"));
  EXPECT_THAT(web, HasSubstr("</msci:encrypted-uri></entry></conf-uris>"));

  std::string out = "stale";
  EncodeConferenceInfo(s, kLeader, &secrets, &out);
  EXPECT_EQ(out, web);
  const absl::string_view head = "<response>";
  const absl::string_view tail = "</response>";
  internal::EncodeConferenceInfoBetween(
      s, kLeader, &secrets, XmlDeclaration::kOmit, head, tail, &out);
  const size_t declaration = web.find("<conference-info");
  ASSERT_NE(declaration, std::string::npos);
  EXPECT_EQ(out, absl::StrCat(head, web.substr(declaration), tail));
}

TEST(EncodeConferenceInfoTest, ViewsFollowTheEngineVisibilityRules) {
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(3);
  auto waiting = std::make_shared<engine::User>();
  waiting->entity = engine::UserId("sip:waiting@fabrikam.com");
  s.lobby = s.lobby.Set(waiting);
  const std::string leader = EncodeConferenceInfo(s, kLeader).Bytes();
  const std::string attendee = EncodeConferenceInfo(s, kAttendee).Bytes();
  const std::string self =
      EncodeConferenceInfo(
          s, Viewer{engine::ViewerRole::kLobbySelf, waiting->entity})
          .Bytes();
  EXPECT_THAT(leader, HasSubstr("sip:waiting@"));
  EXPECT_THAT(leader, HasSubstr("sip:user2@"));
  EXPECT_THAT(attendee, Not(HasSubstr("sip:waiting@")));
  EXPECT_THAT(attendee, Not(HasSubstr("msci:lobby")));
  EXPECT_THAT(attendee, HasSubstr("sip:user2@"));
  EXPECT_THAT(self, HasSubstr("sip:waiting@"));
  EXPECT_THAT(self, Not(HasSubstr("sip:user2@")));
}

// How a caller's buffer looks before an encode into it.
enum class BufferState { kEmpty, kStaleLonger, kShortWithRoom };

std::string BufferIn(BufferState state, size_t document_size) {
  std::string buffer;
  switch (state) {
    case BufferState::kEmpty:
      break;
    case BufferState::kStaleLonger:
      // A previous, longer answer: written over in place and cut.
      buffer.assign(2 * document_size + 100, 'x');
      break;
    case BufferState::kShortWithRoom:
      // A short answer in a buffer that once held a long one.
      buffer.reserve(2 * document_size + 100);
      buffer.assign("<response/>");
      break;
  }
  return buffer;
}

TEST(EncodeConferenceInfoTest, IntoABufferGivesTheSameBytesWhateverItHeld) {
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(20);
  auto waiting = std::make_shared<engine::User>();
  waiting->entity = engine::UserId("sip:waiting@fabrikam.com");
  s.lobby = s.lobby.Set(waiting);
  const DocumentSecrets secrets = testing::FakeSecrets();
  struct Case {
    const char* name;
    Viewer viewer;
    const DocumentSecrets* secrets;
  };
  const Case kCases[] = {
      {"leader with secrets", kLeader, &secrets},
      {"attendee", kAttendee, nullptr},
      {"lobby user (empty roster)",
       Viewer{engine::ViewerRole::kLobbySelf, waiting->entity}, nullptr},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const std::string expected =
        EncodeConferenceInfo(s, c.viewer, c.secrets).Bytes();
    for (BufferState state : {BufferState::kEmpty, BufferState::kStaleLonger,
                              BufferState::kShortWithRoom}) {
      SCOPED_TRACE(static_cast<int>(state));
      std::string out = BufferIn(state, expected.size());
      const size_t capacity = out.capacity();
      EncodeConferenceInfo(s, c.viewer, c.secrets, &out);
      EXPECT_EQ(out, expected);
      if (state != BufferState::kEmpty) {
        EXPECT_EQ(out.capacity(), capacity) << "the buffer was reallocated";
      }
    }
  }
}

TEST(EncodeConferenceInfoTest, EmptyListsStaySelfClosing) {
  // No users for a lobby user's roster and no views: the list elements are
  // written as empty elements, as before any user is spliced in.
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(2);
  s.views.clear();
  const std::string self =
      EncodeConferenceInfo(s, Viewer{engine::ViewerRole::kLobbySelf,
                                     engine::UserId("sip:nobody@fabrikam.com")})
          .Bytes();
  EXPECT_THAT(self, HasSubstr("<users state=\"full\"/>"));
  EXPECT_THAT(self, HasSubstr("<msci:conference-view ci:state=\"full\"/>"));
  EXPECT_THAT(self, HasSubstr("<msci:lobby ci:state=\"full\"/>"));
}

TEST(EncodedDocumentTest, WithVersionOnlyChangesTheRootVersion) {
  const EncodedDocument doc =
      EncodeConferenceInfo(testing::SeedSnapshot(), kLeader);
  EXPECT_EQ(doc.default_version(), 4u);
  const std::string v4 = doc.Bytes();
  const std::string v123 = doc.WithVersion(123);
  EXPECT_THAT(v4, HasSubstr("state=\"full\" version=\"4\">"));
  EXPECT_THAT(v123, HasSubstr("state=\"full\" version=\"123\">"));
  EXPECT_EQ(v123.size(), v4.size() + 2);
  EXPECT_TRUE(absl::StartsWith(v4, "<?xml"));
  const std::string bare = doc.WithVersion(4, XmlDeclaration::kOmit);
  EXPECT_TRUE(absl::StartsWith(bare, "<conference-info "));
  EXPECT_TRUE(absl::EndsWith(v4, bare));
}

engine::ConferenceDelta RosterDelta(const engine::ConferenceSnapshot& s) {
  engine::ConferenceDelta d;
  d.conference = s.entity;
  d.version = s.version + 1;
  engine::UserChange added;
  added.kind = engine::ChangeKind::kFull;
  added.user = testing::MakeUser(7);
  added.entity = added.user->entity;
  d.users.push_back(added);
  engine::UserChange removed;
  removed.kind = engine::ChangeKind::kDeleted;
  removed.entity = engine::UserId("sip:user2@fabrikam.com");
  d.users.push_back(removed);
  // User 1 loses its audio-video endpoint and gets a new role.
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
  auto state = std::make_shared<engine::ConferenceState>(*s.state);
  state->locked = true;
  d.state = state;
  engine::EntityViewChange view;
  view.kind = engine::ChangeKind::kDeleted;
  view.entity = s.views.back()->entity;
  d.views.push_back(view);
  return d;
}

TEST(EncodeConferenceInfoDeltaTest, PartialDocumentMatchesGolden) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(3);
  const std::optional<EncodedDocument> doc =
      EncodeConferenceInfoDelta(RosterDelta(s), kLeader);
  ASSERT_TRUE(doc.has_value());
  ExpectGolden("partial_roster_leader.xml", doc->WithVersion(8));
  // A user whose endpoint went is sent whole (what SIPE needs), not as a
  // partial user naming the deleted endpoint.
  EXPECT_THAT(doc->Bytes(), HasSubstr("<user entity=\"sip:user1@fabrikam.com\" "
                                      "state=\"full\""));
  EXPECT_THAT(doc->Bytes(),
              Not(HasSubstr("<user entity=\"sip:user1@fabrikam.com\" "
                            "state=\"partial\"")));
}

TEST(EncodeConferenceInfoDeltaTest, InvisibleChangesYieldNoDocument) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(3);
  engine::ConferenceDelta d;
  d.conference = s.entity;
  d.version = s.version + 1;
  engine::UserChange lobby;
  lobby.list = engine::UserList::kLobby;
  lobby.kind = engine::ChangeKind::kFull;
  lobby.user = testing::MakeUser(99);
  lobby.entity = lobby.user->entity;
  d.users.push_back(lobby);
  EXPECT_FALSE(EncodeConferenceInfoDelta(d, kAttendee).has_value());
  const std::optional<EncodedDocument> leader =
      EncodeConferenceInfoDelta(d, kLeader);
  ASSERT_TRUE(leader.has_value());
  EXPECT_THAT(leader->Bytes(),
              HasSubstr("<msci:lobby ci:state=\"partial\"><user "
                        "entity=\"sip:user99@fabrikam.com\" state=\"full\">"));
}

TEST(EncodeConferenceInfoDeltaTest, DeletedConferenceYieldsDeletedRoot) {
  engine::ConferenceDelta d;
  d.conference = engine::ConferenceId("sip:focus;id=1");
  d.version = 9;
  d.kind = engine::DeltaKind::kConferenceDeleted;
  const std::optional<EncodedDocument> doc =
      EncodeConferenceInfoDelta(d, kAttendee);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->Bytes(), EncodeConferenceInfoDeleted(d.conference, 9).Bytes());
  ExpectGolden("deleted.xml", doc->Bytes());
}

TEST(EncodeConferenceInfoTest, EscapesHostileValues) {
  engine::ConferenceSnapshot s = testing::SeedSnapshot();
  auto u = std::make_shared<engine::User>();
  u->entity = engine::UserId("sip:x\"><evil/>@a");
  u->display_text = "</display-text><injected/>&\x01";
  s.users = s.users.Set(u);
  const std::string doc = EncodeConferenceInfo(s, kLeader).Bytes();
  EXPECT_THAT(doc, Not(HasSubstr("<evil/>")));
  EXPECT_THAT(doc, Not(HasSubstr("<injected/>")));
  EXPECT_THAT(doc, HasSubstr("sip:x&quot;&gt;&lt;evil/&gt;@a"));
  ExpectSchemaValid("hostile.xml", doc);
}

TEST(EncodeConferenceInfoTest, ReemitsExtensionsAfterOneSeparator) {
  engine::ConferenceSnapshot s = testing::SeedSnapshot();
  auto u = std::make_shared<engine::User>(*testing::MakeUser(5));
  // As the request parser keeps them: self-contained fragments, a separator
  // it kept as content, and foreign attributes.
  u->extensions.push_back(
      {"urn:ietf:params:xml:ns:conference-info-separator", "separator",
       "<cis:separator xmlns:cis=\"urn:ietf:params:xml:ns:conference-info-"
       "separator\"/>"});
  u->extensions.push_back({"urn:example:x", "flag",
                           "<x:flag xmlns:x=\"urn:example:x\">on</x:flag>"});
  u->extensions.push_back({"urn:example:y", "note",
                           "<note xmlns=\"urn:example:y\">a &amp; b</note>"});
  u->attributes.push_back(
      {"http://schemas.microsoft.com/rtc/2005/08/confinfoextensions", "tag",
       "t\""});
  u->attributes.push_back({"urn:example:z", "mark", "1"});
  u->attributes.push_back({"urn:example:z", "bad name", "dropped"});
  s.users = s.users.Set(u);
  const std::string doc = EncodeConferenceInfo(s, kLeader).Bytes();
  EXPECT_THAT(doc, HasSubstr("<user entity=\"sip:user5@fabrikam.com\" "
                             "state=\"full\" msci:tag=\"t&quot;\" "
                             "xmlns:ext0=\"urn:example:z\" ext0:mark=\"1\">"));
  EXPECT_THAT(doc, Not(HasSubstr("dropped")));
  EXPECT_THAT(doc,
              HasSubstr("</endpoint><cis:separator/><x:flag xmlns:x=\"urn:"
                        "example:x\">on</x:flag><note xmlns=\"urn:example:y\">"
                        "a &amp; b</note></user>"));
  ExpectSchemaValid("extensions.xml", doc);
}

TEST(ConferenceInfoSchemaTest, EveryDocumentKindValidates) {
  const engine::ConferenceSnapshot s = testing::SnapshotWithUsers(4);
  const DocumentSecrets secrets = testing::FakeSecrets();
  ExpectSchemaValid("full.xml",
                    EncodeConferenceInfo(s, kLeader, &secrets).Bytes());
  ExpectSchemaValid(
      "seed.xml",
      EncodeConferenceInfo(testing::SeedSnapshot(), kAttendee).Bytes());
  ExpectSchemaValid(
      "partial.xml",
      EncodeConferenceInfoDelta(RosterDelta(s), kLeader)->WithVersion(5));
  ExpectSchemaValid("deleted.xml",
                    EncodeConferenceInfoDeleted(s.entity, 6).Bytes());
}

TEST(EncodeFragmentTest, UserFragmentDeclaresItsNamespaces) {
  const std::string user = EncodeUserFragment(*testing::MakeUser(3));
  EXPECT_TRUE(absl::StartsWith(
      user,
      "<user xmlns=\"urn:ietf:params:xml:ns:conference-info\" xmlns:ci="));
  EXPECT_THAT(user, HasSubstr("<roles><entry>attendee</entry></roles>"));
  EXPECT_EQ(EncodeConferenceEntityFragment(engine::ConferenceId("sip:f")),
            "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\""
            " entity=\"sip:f\"/>");
}

}  // namespace
}  // namespace codec
}  // namespace conf
