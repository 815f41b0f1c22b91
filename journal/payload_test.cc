#include "journal/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "engine/conference_store.h"
#include "engine/model.h"
#include "google/protobuf/stubs/logging.h"
#include "journal/payload.pb.h"
#include "testing/sample_conferences.h"
#include "testing/sample_users.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"

namespace conf {
namespace journal {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

namespace pb = ::conf::journal::payload;

NodeKey KeyFilledWith(uint8_t byte) {
  std::array<uint8_t, NodeKey::kSize> bytes;
  bytes.fill(byte);
  return NodeKey::FromBytes(bytes);
}

// Everything the journal must restore: SnapshotsEqual covers the key, the
// web-join URIs and the expiry too, but they are the point, so say so.
void ExpectSameConference(const engine::ConferenceSnapshot& actual,
                          const engine::ConferenceSnapshot& expected) {
  EXPECT_TRUE(engine::SnapshotsEqual(actual, expected))
      << "conference " << expected.entity.value() << " version "
      << expected.version << " (got version " << actual.version << ")";
  EXPECT_TRUE(actual.key == expected.key);
  EXPECT_EQ(actual.web_join.internal(), expected.web_join.internal());
  EXPECT_EQ(actual.web_join.external(), expected.web_join.external());
  EXPECT_EQ(actual.expires_at, expected.expires_at);
}

engine::Extension Ext(absl::string_view name, int separators_before) {
  return engine::Extension{
      "urn:example:ext", std::string(name),
      absl::StrCat("<x:", name, " xmlns:x=\"urn:example:ext\">é</x:", name,
                   ">"),
      separators_before};
}

engine::ExtensionAttribute Attr(absl::string_view name) {
  return engine::ExtensionAttribute{"urn:example:attr", std::string(name),
                                    absl::StrCat("value of ", name)};
}

engine::Execution Exec(absl::string_view reason) {
  engine::Execution e;
  e.when = "2024-05-06T07:08:09Z";
  e.reason = reason;
  e.by = "sip:by@fabrikam.com";
  return e;
}

engine::UriEntry Uri(absl::string_view uri, bool modified) {
  engine::UriEntry entry;
  entry.uri = std::string(uri);
  entry.display_text = "display";
  entry.purpose = "participation";
  if (modified) {
    entry.modified = Exec("modified");
  }
  entry.extensions = {Ext("uri-ext", 0)};
  entry.attributes = {Attr("uri-attr")};
  return entry;
}

// A user with every field set, optional ones present with default values
// (lobby_capable false) where that differs from absent.
std::shared_ptr<const engine::User> FullUser(absl::string_view entity) {
  auto user = std::make_shared<engine::User>();
  user->entity = engine::UserId(entity);
  user->display_text = "Fülly Set";
  user->associated_aors = std::vector<engine::UriEntry>{
      Uri("sip:aor@fabrikam.com", true), Uri("tel:+1555", false)};
  user->role = engine::Role::kPresenter;
  user->languages = std::vector<std::string>{"en-US", "fr-FR"};
  user->cascaded_focus = "sip:cascade@fabrikam.com";

  auto endpoint = std::make_shared<engine::Endpoint>();
  endpoint->entity = engine::EndpointId("{FULL-ENDPOINT}");
  endpoint->display_text = "laptop";
  endpoint->referred = Exec("referred");
  endpoint->status = engine::EndpointStatus::kOnHold;
  endpoint->joining_method = engine::JoiningMethod::kDialedOut;
  endpoint->disconnection_method = engine::DisconnectionMethod::kBooted;
  endpoint->joining_info = Exec("joined");
  endpoint->disconnection_info = Exec("left");
  for (int i = 0; i < 2; ++i) {
    auto media = std::make_shared<engine::Media>();
    media->id = engine::MediaId(absl::StrCat(i + 1));
    media->display_text = "stream";
    media->type = i == 0 ? "audio" : "video";
    media->label = absl::StrCat("label-", i);
    media->src_id = absl::StrCat(1000 + i);
    if (i == 0) {
      media->status = engine::MediaStatus::kRecvOnly;  // 0 in the model.
    }
    media->media_state = "connected";
    media->media_source_id = "77";
    media->extensions = {Ext("media-ext", 1)};
    media->attributes = {Attr("media-attr")};
    endpoint->media.push_back(std::move(media));
  }
  engine::SipCallInfo call;
  call.display_text = "call";
  call.call_id = "abc@host";
  call.from_tag = "from";
  call.to_tag = "to";
  endpoint->call_info = call;
  endpoint->session_type = "audio-video";
  endpoint->endpoint_uri = "sip:endpoint@fabrikam.com";
  endpoint->refer_to_uri = "sip:refer@fabrikam.com";
  endpoint->session_on_behalf_of = "sip:boss@fabrikam.com";
  engine::ClientInfo client;
  client.lobby_capable = false;
  client.extensions = {Ext("client-ext", 1)};
  client.attributes = {Attr("client-attr")};
  endpoint->client_info = client;
  endpoint->extensions = {Ext("endpoint-ext", 0), Ext("endpoint-ext2", 2)};
  endpoint->attributes = {Attr("endpoint-attr")};
  user->endpoints.push_back(std::move(endpoint));

  // And one with nothing but its entity.
  auto bare = std::make_shared<engine::Endpoint>();
  bare->entity = engine::EndpointId("{BARE}");
  user->endpoints.push_back(std::move(bare));

  user->extensions = {Ext("user-ext", 3)};
  user->attributes = {Attr("user-attr")};
  return user;
}

// The seed conference with a roster of `users`, a lobby, and every optional
// part of the model present (some with default values).
engine::ConferenceSnapshot RichSnapshot(int users) {
  engine::ConferenceSnapshot s = testing::SnapshotWithUsers(users);
  auto d = std::make_shared<engine::ConferenceDescription>(*s.description);
  d->display_text = "Weekly sync";
  d->subject = "Subject ✓";
  d->free_text = "free\ntext";
  d->keywords = {"a", "b"};
  d->service_uris = {Uri("http://service", true)};
  d->maximum_user_count = 0;  // Present, and 0.
  engine::AvailableMedia with_status;
  with_status.label = "av";
  with_status.display_text = "audio";
  with_status.type = "audio";
  with_status.status = engine::MediaStatus::kSendRecv;
  with_status.extensions = {Ext("am-ext", 0)};
  with_status.attributes = {Attr("am-attr")};
  engine::AvailableMedia without_status;
  without_status.label = "chat";
  d->available_media = {with_status, without_status};
  d->expiry_time = "2031-02-03T04:05:06.123456789Z";
  d->admission_policy = engine::AdmissionPolicy::kClosedAuthenticated;  // 0.
  d->presenter_policy = engine::PresenterPolicy::kEveryone;
  d->pstn_access = engine::PstnAccess{"37890", {Ext("pstn-ext", 0)}};
  d->organizer_display_name = "Alice";
  d->join_url = "https://join.example.com/alice/ABC";
  d->extensions = {Ext("desc-ext", 1)};
  d->attributes = {Attr("desc-attr")};
  s.description = d;

  auto host = std::make_shared<engine::HostInfo>();
  host->display_text = "host";
  host->web_page = "https://host.example.com";
  host->uris = {Uri("sip:host@fabrikam.com", false)};
  host->extensions = {Ext("host-ext", 0)};
  s.host_info = host;

  s.users = s.users.Set(FullUser("sip:full@fabrikam.com"));
  s.lobby = s.lobby.Set(FullUser("sip:waiting@fabrikam.com"));
  s.lobby = s.lobby.Set(std::make_shared<const engine::User>(
      testing::UserWithAudio("sip:bob@contoso.com", engine::Role::kAttendee)));
  s.state = std::make_shared<const engine::ConferenceState>(
      engine::ConferenceState{static_cast<uint32_t>(s.users.size()),
                              /*active=*/false, /*locked=*/true});

  auto view = std::make_shared<engine::EntityView>();
  view->entity = "sip:mcu@fabrikam.com;gruu;opaque=app:conf:data:id:X";
  view->mcu_type = "data";
  engine::EntityCapabilities caps;
  caps.supports_audio = false;
  caps.control_permission = "presenter";
  caps.extensions = {Ext("caps-ext", 1)};
  view->capabilities = caps;
  view->state.application = "meeting";
  view->state.locked = false;
  engine::EntityMedia em;
  em.label = "main-video";
  em.display_text = "video";
  em.type = "video";
  em.status = engine::MediaStatus::kSendOnly;
  em.video_mode = "dominant-speaker-switched";
  em.extensions = {Ext("em-ext", 0)};
  view->state.media = std::vector<engine::EntityMedia>{em};
  view->state.extensions = {Ext("state-ext", 0)};
  view->state.attributes = {Attr("state-attr")};
  view->extensions = {Ext("view-ext", 2)};
  view->attributes = {Attr("view-attr")};
  s.views.push_back(std::move(view));

  for (size_t i = 0; i < s.key.bytes.size(); ++i) {
    s.key.bytes[i] = static_cast<uint8_t>(0xA0 + i);
  }
  s.key.epoch = 7;
  s.web_join = engine::WebJoinUris("https://meet.example.com/alice/SECRET1",
                                   "https://meet-external.example.com/SECRET2");
  s.expires_at = *engine::ParseExpiryTime(d->expiry_time);
  s.extensions = {Ext("conference-ext", 0)};
  s.version = 42;
  return s;
}

TEST(PayloadCodecTest, SnapshotRoundTripsEveryField) {
  const PayloadCodec codec(KeyFilledWith(1));
  std::vector<std::pair<std::string, engine::ConferenceSnapshot>> cases;
  cases.emplace_back("seed", testing::SeedSnapshot());
  cases.emplace_back("rich", RichSnapshot(100));
  cases.emplace_back("empty", engine::ConferenceSnapshot());
  engine::ConferenceSnapshot past = RichSnapshot(3);
  past.expires_at = absl::InfinitePast();
  past.web_join = engine::WebJoinUris("only-internal", "");
  cases.emplace_back("infinite past", past);
  engine::ConferenceSnapshot before_epoch = RichSnapshot(1);
  before_epoch.expires_at =
      absl::FromUnixSeconds(-2) + absl::Nanoseconds(1) / 4;
  before_epoch.host_info = nullptr;
  cases.emplace_back("before 1970", before_epoch);
  for (const auto& [name, snapshot] : cases) {
    SCOPED_TRACE(name);
    const std::string payload = codec.EncodeSnapshot(snapshot);
    absl::StatusOr<engine::ConferenceSnapshot> decoded =
        codec.DecodeSnapshot(payload);
    ASSERT_THAT(decoded, IsOk());
    ExpectSameConference(*decoded, snapshot);
  }
}

TEST(PayloadCodecTest, OptionalFieldsKeepAbsentApartFromDefault) {
  const PayloadCodec codec(KeyFilledWith(1));
  engine::ConferenceSnapshot s = RichSnapshot(1);
  auto d = std::make_shared<engine::ConferenceDescription>(*s.description);
  d->maximum_user_count.reset();
  d->admission_policy.reset();
  d->pstn_access.reset();
  s.description = d;
  absl::StatusOr<engine::ConferenceSnapshot> decoded =
      codec.DecodeSnapshot(codec.EncodeSnapshot(s));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_FALSE(decoded->description->maximum_user_count.has_value());
  EXPECT_FALSE(decoded->description->admission_policy.has_value());
  EXPECT_FALSE(decoded->description->pstn_access.has_value());
  ExpectSameConference(*decoded, s);

  // And present with the default value (RichSnapshot's).
  decoded = codec.DecodeSnapshot(codec.EncodeSnapshot(RichSnapshot(1)));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->description->maximum_user_count, 0u);
  EXPECT_EQ(decoded->description->admission_policy,
            engine::AdmissionPolicy::kClosedAuthenticated);
}

// --- Random store mutations ------------------------------------------------

// Drives a ConferenceStore through random mutations and replays every change
// through EncodeChange / ApplyChange onto a replica of each conference.
class Replayer {
 public:
  explicit Replayer(uint32_t seed)
      : rng_(seed), store_(Options(seed)), codec_(KeyFilledWith(9)) {}

  static engine::StoreOptions Options(uint32_t seed) {
    engine::StoreOptions options;
    options.limits.max_users_per_conference = 8;
    options.limits.max_conferences = 4;
    options.random_bytes = testing::SeededRandomBytes(seed);
    return options;
  }

  void Run(int steps) {
    for (int step = 0; step < steps && !::testing::Test::HasFailure(); ++step) {
      SCOPED_TRACE(::testing::Message() << "step " << step);
      Step();
    }
  }

  std::map<std::string, int> counts;

 private:
  uint32_t Pick(uint32_t n) { return rng_() % n; }
  bool Coin() { return Pick(2) == 0; }

  engine::UserId AnyUser() {
    return engine::UserId(absl::StrCat("sip:u", Pick(6), "@x"));
  }
  // A user waiting in `conference`'s lobby when there is one.
  engine::UserId LobbyUser(const engine::ConferenceId& conference) {
    const engine::UserMap& lobby =
        replicas_[std::string(conference.value())].lobby;
    if (lobby.empty() || Pick(4) == 0) {
      return AnyUser();
    }
    auto it = lobby.begin();
    std::advance(it, Pick(static_cast<uint32_t>(lobby.size())));
    return (*it)->entity;
  }
  engine::UserId Requester() {
    return Pick(3) == 0 ? engine::UserId() : engine::UserId("sip:u0@x");
  }
  std::optional<engine::ConferenceId> AnyConference() {
    if (replicas_.empty()) {
      return std::nullopt;
    }
    auto it = replicas_.begin();
    std::advance(it, Pick(static_cast<uint32_t>(replicas_.size())));
    return engine::ConferenceId(it->first);
  }
  engine::ConferenceDescription AnyDescription() {
    engine::ConferenceDescription d;
    d.subject = absl::StrCat("subject ", Pick(100));
    if (Coin()) {
      d.expiry_time = absl::StrCat("2031-0", 1 + Pick(9), "-1", Pick(10),
                                   "T10:11:12.", Pick(1000), "Z");
    }
    if (Coin()) {
      d.admission_policy = static_cast<engine::AdmissionPolicy>(Pick(3));
    }
    if (Coin()) {
      d.maximum_user_count = Pick(6);
    }
    if (Coin()) {
      d.keywords = {"k", absl::StrCat(Pick(9))};
    }
    if (Coin()) {
      d.extensions = {Ext("modified", static_cast<int>(Pick(3)))};
    }
    return d;
  }
  engine::Endpoint AnyEndpoint() {
    engine::Endpoint e;
    e.entity = engine::EndpointId(absl::StrCat("{E", Pick(3), "}"));
    e.status = static_cast<engine::EndpointStatus>(Pick(9));
    if (Coin()) {
      e.client_info = engine::ClientInfo{Coin(), {}, {Attr("ci")}};
    }
    auto media = std::make_shared<engine::Media>();
    media->id = engine::MediaId("1");
    media->type = "audio";
    if (Coin()) {
      media->status = static_cast<engine::MediaStatus>(Pick(4));
    }
    e.media.push_back(std::move(media));
    return e;
  }

  void Step() {
    absl::StatusOr<engine::MutationResult> result =
        absl::UnknownError("no mutation");
    std::optional<engine::ConferenceId> conference = AnyConference();
    const uint32_t kind = conference.has_value() ? Pick(14) : 0;
    std::string name;
    switch (kind) {
      case 0: {
        name = "create";
        engine::AddConferenceRequest r;
        r.organizer = engine::UserId("sip:u0@x");
        r.description = AnyDescription();
        if (Coin()) {
          auto host = std::make_shared<engine::HostInfo>();
          host->display_text = "host";
          host->uris = {Uri("sip:h@x", Coin())};
          r.host_info = host;
        }
        r.mcu_types = {"chat", "audio-video"};
        result = store_.ApplyAddConference(std::move(r));
        break;
      }
      case 1:
      case 2:
      case 3: {
        name = "add user";
        engine::AddUserRequest r;
        r.conference = *conference;
        r.user = Pick(3) == 0 ? *FullUser(AnyUser().value())
                              : testing::UserWithAudio(AnyUser().value(),
                                                       engine::Role::kAttendee);
        r.requester = r.user.entity;
        r.user.role =
            Coin() ? engine::Role::kPresenter : engine::Role::kAttendee;
        r.authentication = Pick(4) == 0
                               ? engine::Authentication::kAnonymous
                               : engine::Authentication::kAuthenticated;
        result = store_.ApplyAddUser(std::move(r));
        break;
      }
      case 4: {
        name = "lobby decision";
        result =
            store_.ApplyLobbyDecision({*conference, Requester(), AnyUser(),
                                       Coin() ? engine::LobbyDecision::kGrant
                                              : engine::LobbyDecision::kDeny});
        break;
      }
      case 5: {
        name = "lobby decisions";
        result =
            store_.ApplyLobbyDecisions({*conference,
                                        Requester(),
                                        {AnyUser(), AnyUser()},
                                        Coin() ? engine::LobbyDecision::kGrant
                                               : engine::LobbyDecision::kDeny});
        break;
      }
      case 6: {
        name = "rotate key";
        result = store_.ApplyRotateKey({*conference, Requester()});
        break;
      }
      case 7: {
        name = "delete user";
        result = store_.ApplyDeleteUser({*conference, Requester(), AnyUser()});
        break;
      }
      case 8: {
        name = "roles";
        result = store_.ApplyModifyUserRoles(
            {*conference, Requester(), AnyUser(),
             Coin() ? engine::Role::kPresenter : engine::Role::kAttendee});
        break;
      }
      case 9: {
        name = "lock";
        result = store_.ApplyModifyConferenceLock(
            {*conference, Requester(),
             Coin() ? engine::LockState::kLocked
                    : engine::LockState::kUnlocked});
        break;
      }
      case 10: {
        name = "endpoint";
        switch (Pick(4)) {
          case 0: {
            engine::ModifyEndpointMediaRequest r;
            r.conference = *conference;
            r.requester = Requester();
            r.user = AnyUser();
            r.endpoint =
                engine::EndpointId(absl::StrCat(r.user.value(), "/av"));
            r.media.id = engine::MediaId("1");
            r.media.type = "audio";
            r.media.status = static_cast<engine::MediaStatus>(Pick(4));
            result = store_.ApplyModifyEndpointMedia(std::move(r));
            break;
          }
          case 1:
            result = store_.ApplySetEndpoint(
                {*conference, AnyUser(), AnyEndpoint()});
            break;
          case 2: {
            engine::ModifyEndpointStatusRequest r;
            r.conference = *conference;
            r.user = AnyUser();
            r.endpoint = engine::EndpointId(absl::StrCat("{E", Pick(3), "}"));
            r.status = engine::EndpointStatus::kDisconnected;
            if (Coin()) {
              r.disconnection_method = engine::DisconnectionMethod::kDeparted;
              r.disconnection_info = Exec("bye");
            }
            result = store_.ApplyModifyEndpointStatus(std::move(r));
            break;
          }
          default:
            result = store_.ApplyDeleteEndpoint(
                {*conference, AnyUser(),
                 engine::EndpointId(absl::StrCat("{E", Pick(3), "}"))});
            break;
        }
        break;
      }
      case 11: {
        name = "modify conference";
        engine::ModifyConferenceRequest r;
        r.conference = *conference;
        r.requester = Requester();
        r.description = AnyDescription();
        result = store_.ApplyModifyConference(std::move(r));
        break;
      }
      case 12: {
        if (Pick(3) != 0) {
          name = "sign out";
          for (const engine::MutationResult& r :
               store_.RemoveUserEverywhere(AnyUser())) {
            Replay(r, name);
          }
          return;
        }
        name = "delete conference";
        result = store_.ApplyDeleteConference({*conference, Requester()});
        break;
      }
      default: {
        // A snapshot: recovery continues from its decoded copy.
        name = "snapshot";
        engine::ConferenceSnapshot& replica =
            replicas_[std::string(conference->value())];
        absl::StatusOr<engine::ConferenceSnapshot> decoded =
            codec_.DecodeSnapshot(codec_.EncodeSnapshot(replica));
        ASSERT_THAT(decoded, IsOk());
        ExpectSameConference(*decoded, replica);
        replica = *std::move(decoded);
        ++counts[name];
        return;
      }
    }
    if (result.ok()) {
      Replay(*result, name);
    }
  }

  void Replay(const engine::MutationResult& result, const std::string& name) {
    SCOPED_TRACE(name);
    const engine::ConferenceDelta& delta = *result.delta;
    const std::string id(delta.conference.value());
    auto it = replicas_.find(id);
    const engine::ConferenceSnapshot* before =
        it == replicas_.end() ? nullptr : &it->second;
    const std::string payload = codec_.EncodeChange(delta, *result.snapshot);
    absl::StatusOr<DecodedChange> decoded =
        codec_.ApplyChange(before, delta.version, payload);
    ASSERT_THAT(decoded, IsOk());
    ASSERT_TRUE(::testing::Test::HasFailure() || decoded.ok());
    ++counts[name];
    if (delta.kind == engine::DeltaKind::kConferenceDeleted) {
      EXPECT_TRUE(decoded->deleted);
      replicas_.erase(id);
      return;
    }
    EXPECT_FALSE(decoded->deleted);
    ExpectSameConference(decoded->after, *result.snapshot);
    if (!result.snapshot->lobby.empty()) {
      ++counts["with lobby"];
    }
    if (result.snapshot->key.epoch > 1) {
      ++counts["rotated key"];
    }
    replicas_[id] = decoded->after;
  }

  std::mt19937 rng_;
  engine::ConferenceStore store_;
  PayloadCodec codec_;
  std::map<std::string, engine::ConferenceSnapshot> replicas_;
};

TEST(PayloadCodecTest, ReplayingStoreMutationsReproducesEverySnapshot) {
  std::map<std::string, int> counts;
  for (uint32_t seed = 0; seed < 40 && !::testing::Test::HasFailure(); ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Replayer replayer(seed);
    replayer.Run(400);
    for (const auto& [name, n] : replayer.counts) {
      counts[name] += n;
    }
  }
  // The sequence covered what it must (a mutation that fails is not counted).
  for (const char* name :
       {"create", "add user", "lobby decision", "lobby decisions", "rotate key",
        "delete user", "roles", "lock", "endpoint", "modify conference",
        "sign out", "delete conference", "snapshot", "with lobby",
        "rotated key"}) {
    EXPECT_GE(counts[name], 5) << name;
  }
}

// --- Integrity ---------------------------------------------------------------

// Creates conferences in a store; returns their first two results.
struct TwoConferences {
  engine::ConferenceStore store{Replayer::Options(5)};
  engine::MutationResult a;
  engine::MutationResult b;

  TwoConferences() {
    for (engine::MutationResult* out : {&a, &b}) {
      engine::AddConferenceRequest r;
      r.organizer = engine::UserId("sip:alice@fabrikam.com");
      r.mcu_types = {"chat"};
      *out = *store.ApplyAddConference(std::move(r));
    }
  }
  engine::MutationResult Rotate(const engine::MutationResult& c) {
    return *store.ApplyRotateKey({c.snapshot->entity, engine::UserId()});
  }
};

TEST(PayloadCodecTest, WrongNodeKeyFailsWithDataLoss) {
  TwoConferences c;
  const PayloadCodec codec(KeyFilledWith(1));
  const PayloadCodec other(KeyFilledWith(2));
  const std::string created = codec.EncodeChange(*c.a.delta, *c.a.snapshot);
  EXPECT_THAT(other.ApplyChange(nullptr, 1, created),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("does not authenticate (wrong node key?)")));
  EXPECT_THAT(other.DecodeSnapshot(codec.EncodeSnapshot(*c.a.snapshot)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("sealed conference key of sip:alice")));
  const engine::MutationResult rotated = c.Rotate(c.a);
  EXPECT_THAT(
      other.ApplyChange(c.a.snapshot.get(), 2,
                        codec.EncodeChange(*rotated.delta, *rotated.snapshot)),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("wrong node key")));
  // And the right key opens all three.
  EXPECT_THAT(codec.ApplyChange(nullptr, 1, created), IsOk());
  EXPECT_THAT(
      codec.ApplyChange(c.a.snapshot.get(), 2,
                        codec.EncodeChange(*rotated.delta, *rotated.snapshot)),
      IsOk());
}

TEST(PayloadCodecTest, SealsDoNotMoveBetweenConferencesOrFields) {
  TwoConferences c;
  const PayloadCodec codec(KeyFilledWith(1));
  const engine::MutationResult rotated_a = c.Rotate(c.a);
  const engine::MutationResult rotated_b = c.Rotate(c.b);

  pb::Change a;
  ASSERT_TRUE(a.ParseFromString(
      codec.EncodeChange(*rotated_a.delta, *rotated_a.snapshot)));
  pb::Change b;
  ASSERT_TRUE(b.ParseFromString(
      codec.EncodeChange(*rotated_b.delta, *rotated_b.snapshot)));
  // A's key in B's record.
  pb::Change spliced = b;
  spliced.mutable_updated()->set_sealed_key(a.updated().sealed_key());
  EXPECT_THAT(
      codec.ApplyChange(c.b.snapshot.get(), 2, spliced.SerializeAsString()),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("does not authenticate")));
  // Its own key, claimed for another epoch.
  spliced = b;
  spliced.mutable_updated()->set_key_epoch(b.updated().key_epoch() + 1);
  EXPECT_THAT(
      codec.ApplyChange(c.b.snapshot.get(), 2, spliced.SerializeAsString()),
      StatusIs(absl::StatusCode::kDataLoss));
  // B's record whole, applied to A.
  EXPECT_THAT(codec.ApplyChange(c.a.snapshot.get(), 2, b.SerializeAsString()),
              StatusIs(absl::StatusCode::kDataLoss));
  // Unchanged, B's record applies.
  EXPECT_THAT(codec.ApplyChange(c.b.snapshot.get(), 2, b.SerializeAsString()),
              IsOk());

  // Snapshots: A's web-join URIs in B's entry, and B's key in its web-join
  // field.
  pb::Conference snap_a;
  ASSERT_TRUE(snap_a.ParseFromString(codec.EncodeSnapshot(*c.a.snapshot)));
  pb::Conference snap_b;
  ASSERT_TRUE(snap_b.ParseFromString(codec.EncodeSnapshot(*c.b.snapshot)));
  ASSERT_FALSE(snap_a.sealed_web_join().empty());
  pb::Conference moved = snap_b;
  moved.set_sealed_web_join(snap_a.sealed_web_join());
  EXPECT_THAT(codec.DecodeSnapshot(moved.SerializeAsString()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("sealed web-join URIs of")));
  moved = snap_b;
  moved.set_sealed_web_join(snap_b.sealed_key());
  EXPECT_THAT(codec.DecodeSnapshot(moved.SerializeAsString()),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(codec.DecodeSnapshot(snap_b.SerializeAsString()), IsOk());
}

TEST(PayloadCodecTest, RecordsMustFitTheConference) {
  TwoConferences c;
  const PayloadCodec codec(KeyFilledWith(1));
  const std::string created = codec.EncodeChange(*c.a.delta, *c.a.snapshot);
  const engine::MutationResult rotated = c.Rotate(c.a);
  const std::string update =
      codec.EncodeChange(*rotated.delta, *rotated.snapshot);
  const engine::MutationResult deleted = *c.store.ApplyDeleteConference(
      {rotated.snapshot->entity, engine::UserId()});
  const std::string deletion =
      codec.EncodeChange(*deleted.delta, *deleted.snapshot);
  const engine::ConferenceSnapshot* a = c.a.snapshot.get();

  EXPECT_THAT(codec.ApplyChange(a, 1, created),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("of an existing conference")));
  EXPECT_THAT(codec.ApplyChange(nullptr, 2, created),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(
      codec.ApplyChange(nullptr, 2, update),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not exist")));
  EXPECT_THAT(codec.ApplyChange(a, 3, update),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
  EXPECT_THAT(codec.ApplyChange(rotated.snapshot.get(), 3, update),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(codec.ApplyChange(nullptr, 3, deletion),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(codec.ApplyChange(a, 3, deletion),
              StatusIs(absl::StatusCode::kDataLoss));
  absl::StatusOr<DecodedChange> gone =
      codec.ApplyChange(rotated.snapshot.get(), 3, deletion);
  ASSERT_THAT(gone, IsOk());
  EXPECT_TRUE(gone->deleted);
  EXPECT_THAT(codec.ApplyChange(a, 2, ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown kind")));
}

TEST(PayloadCodecTest, TruncatedPayloadsFail) {
  TwoConferences c;
  const PayloadCodec codec(KeyFilledWith(1));
  const engine::MutationResult rotated = c.Rotate(c.a);
  const std::string update =
      codec.EncodeChange(*rotated.delta, *rotated.snapshot);
  for (size_t size = 0; size < update.size(); ++size) {
    SCOPED_TRACE(size);
    EXPECT_THAT(codec.ApplyChange(c.a.snapshot.get(), 2,
                                  absl::string_view(update).substr(0, size)),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  // A creation and a snapshot entry cut short never decode to the whole: the
  // cut either fails or loses a trailing field (never crashes).
  const std::string snapshot = codec.EncodeSnapshot(RichSnapshot(5));
  for (size_t size = 0; size < snapshot.size(); size += 7) {
    absl::StatusOr<engine::ConferenceSnapshot> decoded =
        codec.DecodeSnapshot(absl::string_view(snapshot).substr(0, size));
    if (decoded.ok()) {
      EXPECT_FALSE(engine::SnapshotsEqual(*decoded, RichSnapshot(5))) << size;
    }
  }
}

TEST(PayloadCodecTest, RandomBytesNeverCrash) {
  // Random strings are rarely UTF-8: protobuf logs each one it rejects.
  const google::protobuf::LogSilencer silence_protobuf;
  const PayloadCodec codec(KeyFilledWith(1));
  const engine::ConferenceSnapshot before = RichSnapshot(4);
  TwoConferences c;
  const engine::MutationResult rotated = c.Rotate(c.a);
  const std::vector<std::string> valid = {
      codec.EncodeSnapshot(before),
      codec.EncodeChange(*c.a.delta, *c.a.snapshot),
      codec.EncodeChange(*rotated.delta, *rotated.snapshot)};
  std::mt19937 rng(1234);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 256);
      for (char& ch : bytes) {
        ch = static_cast<char>(rng());
      }
    } else {
      // A valid payload with a few bytes changed.
      bytes = valid[rng() % valid.size()];
      for (int flips = 1 + rng() % 4; flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
    }
    // Only the absence of crashes (and ASan reports) is checked.
    codec.ApplyChange(nullptr, 1, bytes).status().IgnoreError();
    codec.ApplyChange(&before, before.version + 1, bytes)
        .status()
        .IgnoreError();
    codec.ApplyChange(c.a.snapshot.get(), 2, bytes).status().IgnoreError();
    codec.DecodeSnapshot(bytes).status().IgnoreError();
    PayloadCodec::ChangeToJson(bytes).status().IgnoreError();
    PayloadCodec::SnapshotToJson(bytes).status().IgnoreError();
  }
}

// --- JSON --------------------------------------------------------------------

// Every way the secrets of `s` could show in text.
std::vector<std::string> SecretForms(const engine::ConferenceSnapshot& s) {
  const std::string key(reinterpret_cast<const char*>(s.key.bytes.data()),
                        s.key.bytes.size());
  return {key,
          absl::Base64Escape(key),
          absl::WebSafeBase64Escape(key),
          absl::BytesToHexString(key),
          std::string(s.web_join.internal()),
          std::string(s.web_join.external())};
}

TEST(PayloadCodecTest, JsonShowsNoSecrets) {
  const PayloadCodec codec(KeyFilledWith(1));
  TwoConferences c;
  const engine::MutationResult rotated = c.Rotate(c.a);
  const engine::ConferenceSnapshot rich = RichSnapshot(3);

  struct Case {
    std::string name;
    absl::StatusOr<std::string> json;
    const engine::ConferenceSnapshot* snapshot;
    std::string payload;
  };
  const std::string created = codec.EncodeChange(*c.a.delta, *c.a.snapshot);
  const std::string update =
      codec.EncodeChange(*rotated.delta, *rotated.snapshot);
  const std::string entry = codec.EncodeSnapshot(rich);
  const Case cases[] = {
      {"creation", PayloadCodec::ChangeToJson(created), c.a.snapshot.get(),
       created},
      {"update", PayloadCodec::ChangeToJson(update), rotated.snapshot.get(),
       update},
      {"snapshot", PayloadCodec::SnapshotToJson(entry), &rich, entry},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    ASSERT_THAT(test.json, IsOk());
    const std::string& json = *test.json;
    EXPECT_FALSE(absl::StrContains(json, "\n"));
    EXPECT_THAT(json, HasSubstr("\"sealed_key\":\"<redacted>\""));
    EXPECT_THAT(json, HasSubstr(std::string(test.snapshot->entity.value())));
    for (const std::string& secret : SecretForms(*test.snapshot)) {
      if (!secret.empty()) {
        EXPECT_FALSE(absl::StrContains(json, secret)) << secret;
      }
    }
    // Nor any sealed bytes.
    pb::Change change;
    pb::Conference conference;
    std::vector<std::string> sealed;
    if (test.name == "snapshot") {
      ASSERT_TRUE(conference.ParseFromString(test.payload));
      sealed = {conference.sealed_key(), conference.sealed_web_join()};
    } else {
      ASSERT_TRUE(change.ParseFromString(test.payload));
      sealed = {change.created().sealed_key(),
                change.created().sealed_web_join(),
                change.updated().sealed_key()};
    }
    for (const std::string& bytes : sealed) {
      if (!bytes.empty()) {
        EXPECT_FALSE(absl::StrContains(json, absl::Base64Escape(bytes)));
      }
    }
  }
  EXPECT_THAT(*cases[0].json, HasSubstr("\"sealed_web_join\":\"<redacted>\""));
  EXPECT_THAT(*cases[2].json, HasSubstr("Subject ✓"));
  EXPECT_THAT(PayloadCodec::ChangeToJson("\xff\xff"),
              StatusIs(absl::StatusCode::kDataLoss));
}

// --- NodeKey -----------------------------------------------------------------

class NodeKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    ASSERT_NE(tmp, nullptr);
    dir_ = absl::StrCat(
        tmp, "/node_key_test_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  }

  static void WriteFile(const std::string& path, absl::string_view bytes,
                        mode_t mode) {
    FILE* f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    ASSERT_EQ(fclose(f), 0);
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }

  std::string dir_;
};

TEST_F(NodeKeyTest, CreatesThenReloadsTheSameKey) {
  const std::string path = dir_ + "/node.key";
  absl::StatusOr<NodeKey> created = NodeKey::LoadOrCreate(path);
  ASSERT_THAT(created, IsOk());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(NodeKey::kSize));
  absl::StatusOr<NodeKey> loaded = NodeKey::LoadOrCreate(path);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->bytes(), created->bytes());
  EXPECT_NE(created->bytes(), KeyFilledWith(0).bytes());

  // Another path gets another key.
  absl::StatusOr<NodeKey> other = NodeKey::LoadOrCreate(dir_ + "/other.key");
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(other->bytes(), created->bytes());
}

TEST_F(NodeKeyTest, RefusesAFileOthersCanRead) {
  const std::string path = dir_ + "/node.key";
  WriteFile(path, std::string(NodeKey::kSize, 'k'), 0644);
  EXPECT_THAT(
      NodeKey::LoadOrCreate(path),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("mode 0644")));
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  absl::StatusOr<NodeKey> key = NodeKey::LoadOrCreate(path);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->bytes(), KeyFilledWith('k').bytes());
}

TEST_F(NodeKeyTest, RefusesAWrongSize) {
  const std::string path = dir_ + "/node.key";
  for (size_t size : {size_t{0}, NodeKey::kSize - 1, NodeKey::kSize + 1}) {
    SCOPED_TRACE(size);
    WriteFile(path, std::string(size, 'k'), 0600);
    EXPECT_THAT(NodeKey::LoadOrCreate(path),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr(absl::StrCat(size, " bytes, not 32"))));
  }
}

TEST_F(NodeKeyTest, FailsInAMissingDirectory) {
  EXPECT_THAT(
      NodeKey::LoadOrCreate(dir_ + "/missing/node.key"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot create")));
}

}  // namespace
}  // namespace journal
}  // namespace conf
