#include "engine/conference_store.h"

#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "testing/status_matchers.h"

namespace conf {
namespace engine {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const UserId kAlice("sip:alice@fabrikam.com");  // The organizer.
const UserId kBob("sip:bob@fabrikam.com");
const UserId kCarol("sip:carol@fabrikam.com");
const UserId kDave("sip:dave@fabrikam.com");

// Deterministic "random" bytes so ids and keys are reproducible.
void CountingBytes(uint8_t* out, size_t size) {
  static thread_local uint8_t next = 0;
  for (size_t i = 0; i < size; ++i) {
    out[i] = next++;
  }
}

StoreOptions TestOptions() {
  StoreOptions options;
  options.random_bytes = CountingBytes;
  options.limits.max_users_per_conference = 8;
  options.limits.max_endpoints_per_user = 2;
  options.limits.max_media_per_endpoint = 2;
  options.limits.max_string_bytes = 128;
  options.limits.max_conferences = 4;
  options.delta_log_capacity = 4;
  return options;
}

std::shared_ptr<const Media> MakeMedia(const std::string& id,
                                       const std::string& type) {
  auto media = std::make_shared<Media>();
  media->id = MediaId(id);
  media->type = type;
  media->status = MediaStatus::kSendRecv;
  return media;
}

std::shared_ptr<const Endpoint> MakeEndpoint(const std::string& entity,
                                             int media_count = 1) {
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->entity = EndpointId(entity);
  endpoint->status = EndpointStatus::kConnected;
  endpoint->joining_method = JoiningMethod::kDialedIn;
  for (int i = 0; i < media_count; ++i) {
    endpoint->media.push_back(
        MakeMedia(std::to_string(i + 1), i == 0 ? "audio" : "video"));
  }
  return endpoint;
}

User MakeUser(const UserId& entity, Role role = Role::kAttendee) {
  User user;
  user.entity = entity;
  user.display_text = "someone";
  user.role = role;
  user.endpoints.push_back(MakeEndpoint("{EP-1}"));
  return user;
}

class RecordingSink : public SubscriptionSink {
 public:
  void OnDelta(const Subscriber& subscriber,
               const std::shared_ptr<const ConferenceDelta>& delta) override {
    ids.emplace_back(subscriber.id.value());
    deltas.push_back(delta);
  }
  std::vector<std::string> ids;
  std::vector<std::shared_ptr<const ConferenceDelta>> deltas;
};

class ConferenceStoreTest : public ::testing::Test {
 protected:
  ConferenceStoreTest() : store_(TestOptions()) {}

  ConferenceId AddConference(
      std::optional<AdmissionPolicy> policy = std::nullopt) {
    AddConferenceRequest request;
    request.organizer = kAlice;
    request.description.subject = "weekly";
    request.description.admission_policy = policy;
    request.mcu_types = {"chat", "audio-video"};
    absl::StatusOr<MutationResult> result =
        store_.ApplyAddConference(std::move(request));
    EXPECT_THAT(result, IsOk());
    return result->snapshot->entity;
  }

  absl::StatusOr<MutationResult> Join(const ConferenceId& conference,
                                      const UserId& user,
                                      Role role = Role::kAttendee) {
    AddUserRequest request;
    request.conference = conference;
    request.requester = user;
    request.user = MakeUser(user, role);
    return store_.ApplyAddUser(std::move(request));
  }

  std::shared_ptr<const ConferenceSnapshot> Snapshot(const ConferenceId& id) {
    return store_.FindSnapshot(id);
  }

  // The snapshot pointer must not change across a failed command.
  template <typename Fn>
  void ExpectFailsUnchanged(const ConferenceId& id, absl::StatusCode code,
                            const std::string& message, Fn fn) {
    std::shared_ptr<const ConferenceSnapshot> before = Snapshot(id);
    absl::StatusOr<MutationResult> result = fn();
    EXPECT_THAT(result, StatusIs(code, HasSubstr(message)));
    EXPECT_EQ(Snapshot(id), before);
  }

  ConferenceStore store_;
};

// --- addConference ---------------------------------------------------------

TEST_F(ConferenceStoreTest, AddConferenceAssignsUrisKeyAndViews) {
  AddConferenceRequest request;
  request.organizer = kAlice;
  request.description.conference_id = "5D3747C";
  request.mcu_types = {"chat", "meeting", "audio-video", "applicationsharing"};
  absl::StatusOr<MutationResult> result =
      store_.ApplyAddConference(std::move(request));
  ASSERT_THAT(result, IsOk());
  const ConferenceSnapshot& s = *result->snapshot;
  EXPECT_EQ(s.entity.value(),
            "sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C");
  EXPECT_EQ(s.version, 1u);
  EXPECT_EQ(s.organizer, kAlice);
  ASSERT_EQ(s.description->conf_uris.size(), 4u);
  EXPECT_EQ(
      s.description->conf_uris[2].uri,
      "sip:alice@fabrikam.com;gruu;opaque=app:conf:audio-video:id:5D3747C");
  EXPECT_EQ(s.description->conf_uris[2].purpose, "audio-video");
  EXPECT_EQ(s.description->conf_uris[2].display_text, "audio-video");
  // The focus's own view first, then one per MCU type in request order.
  ASSERT_EQ(s.views.size(), 5u);
  EXPECT_EQ(s.views[0]->entity, s.entity.value());
  EXPECT_EQ(s.views[0]->state.locked, false);
  const EntityView* av = s.FindView(
      "sip:alice@fabrikam.com;gruu;opaque=app:conf:audio-video:id:5D3747C");
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(av->capabilities->supports_video, true);
  ASSERT_EQ(av->state.media.size(), 3u);
  EXPECT_EQ(av->state.media[1].video_mode, "dominant-speaker-switched");
  // Key: 24 bytes, odd parity in every byte, epoch 1.
  EXPECT_EQ(s.key.epoch, 1u);
  for (uint8_t b : s.key.bytes) {
    EXPECT_EQ(__builtin_popcount(b) % 2, 1) << static_cast<int>(b);
  }
  EXPECT_EQ(s.web_join.internal(), "https://meet.example.com/alice/5D3747C");
  EXPECT_EQ(s.web_join.external(),
            "https://meet-external.example.com/alice/5D3747C");
  EXPECT_EQ(s.state->user_count, 0u);
  // The delta of version 1 rebuilds the conference from nothing.
  EXPECT_EQ(result->delta->version, 1u);
  ConferenceSnapshot empty;
  empty.entity = s.entity;
  empty.organizer = s.organizer;
  empty.key = s.key;
  empty.web_join = s.web_join;
  EXPECT_TRUE(SnapshotsEqual(ApplyDelta(empty, *result->delta), s));
  // Findable by conference-id and listed for the organizer.
  EXPECT_EQ(store_.FindSnapshotByConferenceId("5D3747C"), result->snapshot);
  EXPECT_THAT(store_.ListConferencesOrganizedBy(kAlice), ElementsAre(s.entity));
  EXPECT_EQ(store_.conference_count(), 1u);
}

TEST_F(ConferenceStoreTest, AddConferenceGeneratesUniqueIds) {
  ConferenceId a = AddConference();
  ConferenceId b = AddConference();
  EXPECT_NE(a, b);
  EXPECT_EQ(store_.ListConferencesOrganizedBy(kAlice).size(), 2u);
}

TEST_F(ConferenceStoreTest, AddConferenceFailures) {
  struct Case {
    const char* name;
    std::string organizer;
    std::vector<std::string> mcu_types;
    std::string conference_id;
    absl::StatusCode code;
    const char* message;
  };
  const Case kCases[] = {
      {"empty organizer",
       "",
       {"chat"},
       "",
       absl::StatusCode::kInvalidArgument,
       "organizer is empty"},
      {"tel organizer",
       "tel:+1555",
       {"chat"},
       "",
       absl::StatusCode::kInvalidArgument,
       "is not a sip uri"},
      {"unknown mcu",
       "sip:a@x",
       {"hologram"},
       "",
       absl::StatusCode::kInvalidArgument,
       "is not available"},
      {"repeated mcu",
       "sip:a@x",
       {"chat", "chat"},
       "",
       absl::StatusCode::kInvalidArgument,
       "appears twice"},
      {"bad id",
       "sip:a@x",
       {"chat"},
       "not-alnum!",
       absl::StatusCode::kInvalidArgument,
       "letters and digits"},
      {"long organizer",
       "sip:" + std::string(200, 'a'),
       {"chat"},
       "",
       absl::StatusCode::kInvalidArgument,
       "over the limit"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    AddConferenceRequest request;
    request.organizer = UserId(c.organizer);
    request.mcu_types = c.mcu_types;
    request.description.conference_id = c.conference_id;
    EXPECT_THAT(store_.ApplyAddConference(std::move(request)),
                StatusIs(c.code, HasSubstr(c.message)));
  }
  EXPECT_EQ(store_.conference_count(), 0u);
}

TEST_F(ConferenceStoreTest, AddConferenceRejectsTakenConferenceId) {
  AddConferenceRequest request;
  request.organizer = kAlice;
  request.description.conference_id = "ABC";
  ASSERT_THAT(store_.ApplyAddConference(request), IsOk());
  request.organizer = kBob;  // Even for another organizer.
  EXPECT_THAT(store_.ApplyAddConference(request),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ABC")));
  EXPECT_EQ(store_.conference_count(), 1u);
}

TEST_F(ConferenceStoreTest, AddConferenceStopsAtMaxConferences) {
  for (int i = 0; i < 4; ++i) {
    AddConference();
  }
  AddConferenceRequest request;
  request.organizer = kAlice;
  EXPECT_THAT(store_.ApplyAddConference(std::move(request)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(store_.conference_count(), 4u);
}

// --- modifyConference ------------------------------------------------------

TEST_F(ConferenceStoreTest, ModifyConferenceReplacesDescriptionKeepingUris) {
  ConferenceId id = AddConference();
  std::shared_ptr<const ConferenceSnapshot> before = Snapshot(id);
  ModifyConferenceRequest request;
  request.conference = id;
  request.requester = kAlice;
  ConferenceDescription description;
  description.subject = "renamed";
  request.description = description;
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyConference(std::move(request));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->snapshot->version, 2u);
  EXPECT_EQ(result->snapshot->description->subject, "renamed");
  EXPECT_EQ(result->snapshot->description->conf_uris,
            before->description->conf_uris);
  EXPECT_EQ(result->snapshot->description->conference_id,
            before->description->conference_id);
  EXPECT_EQ(result->delta->description, result->snapshot->description);
  EXPECT_THAT(result->delta->users, IsEmpty());
}

TEST_F(ConferenceStoreTest, ModifyConferenceReplacesEntityStateKeepingLock) {
  ConferenceId id = AddConference();
  CompactString chat = Snapshot(id)->views[1]->entity;
  ModifyConferenceRequest request;
  request.conference = id;
  EntityView view;
  view.entity = chat;
  view.state.locked = true;  // Ignored: the lock belongs to the conference.
  EntityMedia media;
  media.label = "chat";
  media.type = "chat";
  media.status = MediaStatus::kRecvOnly;
  view.state.media.push_back(media);
  request.views.push_back(view);
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyConference(std::move(request));
  ASSERT_THAT(result, IsOk());
  const EntityView* after = result->snapshot->FindView(chat);
  EXPECT_EQ(after->state.locked, false);
  EXPECT_EQ(after->state.media[0].status, MediaStatus::kRecvOnly);
  ASSERT_EQ(result->delta->views.size(), 1u);
  EXPECT_EQ(result->delta->views[0].entity, chat);
}

TEST_F(ConferenceStoreTest, ModifyConferenceFailures) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  auto with = [&](ModifyConferenceRequest request) {
    return [this, request]() mutable {
      return store_.ApplyModifyConference(std::move(request));
    };
  };
  ModifyConferenceRequest empty;
  empty.conference = id;
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "nothing to modify", with(empty));

  ModifyConferenceRequest by_attendee = empty;
  by_attendee.requester = kBob;
  by_attendee.description = ConferenceDescription();
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", with(by_attendee));

  ModifyConferenceRequest new_id = empty;
  new_id.description = ConferenceDescription();
  new_id.description->conference_id = "OTHER";
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "conference-id cannot change", with(new_id));

  ModifyConferenceRequest no_view = empty;
  no_view.views.emplace_back();
  no_view.views[0].entity = "sip:nowhere";
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "entity-view",
                       with(no_view));

  ModifyConferenceRequest twice = no_view;
  twice.views.push_back(twice.views[0]);
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument, "appears twice",
                       with(twice));

  ModifyConferenceRequest too_long = empty;
  too_long.description = ConferenceDescription();
  too_long.description->subject = std::string(129, 'x');
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "subject is 129 bytes", with(too_long));

  ModifyConferenceRequest missing = empty;
  missing.conference = ConferenceId("sip:none");
  missing.description = ConferenceDescription();
  EXPECT_THAT(store_.ApplyModifyConference(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("conference \"sip:none\" does not exist")));
}

// --- deleteConference ------------------------------------------------------

TEST_F(ConferenceStoreTest, DeleteConferenceEndsSubscriptionsAndIndexes) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  RecordingSink sink;
  ASSERT_THAT(
      store_.Subscribe(id, {SubscriptionId("s1"), kBob, ViewerRole::kAttendee},
                       &sink),
      IsOk());
  std::string id_string = Snapshot(id)->description->conference_id;
  absl::StatusOr<MutationResult> result =
      store_.ApplyDeleteConference({id, kAlice});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->delta->kind, DeltaKind::kConferenceDeleted);
  EXPECT_EQ(result->delta->version, 3u);
  ASSERT_EQ(sink.deltas.size(), 1u);
  EXPECT_EQ(sink.deltas[0]->kind, DeltaKind::kConferenceDeleted);
  EXPECT_EQ(Snapshot(id), nullptr);
  EXPECT_THAT(store_.GetSnapshot(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_.FindSnapshotByConferenceId(id_string), nullptr);
  EXPECT_THAT(store_.ListConferencesOrganizedBy(kAlice), IsEmpty());
  EXPECT_THAT(store_.ListConferencesOf(kBob), IsEmpty());
  EXPECT_EQ(store_.conference_count(), 0u);
  // The subscription is gone with the conference.
  EXPECT_THAT(store_.Unsubscribe(id, SubscriptionId("s1")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ConferenceStoreTest, DeleteConferenceFailures) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob, Role::kPresenter), IsOk());
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "only the organizer", [&] {
                         return store_.ApplyDeleteConference({id, kBob});
                       });
  EXPECT_THAT(store_.ApplyDeleteConference({ConferenceId("sip:none"), {}}),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- addUser ---------------------------------------------------------------

TEST_F(ConferenceStoreTest, JoinAddsUserToRosterAndCountsIt) {
  ConferenceId id = AddConference();
  absl::StatusOr<MutationResult> result = Join(id, kBob, Role::kPresenter);
  ASSERT_THAT(result, IsOk());
  const ConferenceSnapshot& s = *result->snapshot;
  ASSERT_TRUE(s.users.Contains(kBob));
  EXPECT_EQ(s.users.Find(kBob)->role, Role::kPresenter);
  EXPECT_EQ(s.state->user_count, 1u);
  EXPECT_TRUE(s.state->active);
  ASSERT_EQ(result->delta->users.size(), 1u);
  const UserChange& change = result->delta->users[0];
  EXPECT_EQ(change.kind, ChangeKind::kFull);
  EXPECT_EQ(change.list, UserList::kRoster);
  EXPECT_EQ(change.user, s.users.Find(kBob));
  EXPECT_EQ(result->delta->state, s.state);
  EXPECT_THAT(store_.ListConferencesOf(kBob), ElementsAre(id));
}

TEST_F(ConferenceStoreTest, OrganizerIsGrantedOrganizerRole) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  absl::StatusOr<MutationResult> result = Join(id, kAlice, Role::kAttendee);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->snapshot->users.Find(kAlice)->role, Role::kOrganizer);
}

TEST_F(ConferenceStoreTest, AnonymousJoinIsGrantedAttendee) {
  ConferenceId id = AddConference(AdmissionPolicy::kAnonymous);
  AddUserRequest request;
  request.conference = id;
  request.authentication = Authentication::kAnonymous;
  request.user = MakeUser(UserId("sip:x@anonymous.invalid"), Role::kPresenter);
  absl::StatusOr<MutationResult> result =
      store_.ApplyAddUser(std::move(request));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(
      result->snapshot->users.Find(UserId("sip:x@anonymous.invalid"))->role,
      Role::kAttendee);
}

TEST_F(ConferenceStoreTest, JoinLandsInLobbyPerPolicyAndLock) {
  struct Case {
    const char* name;
    std::optional<AdmissionPolicy> policy;
    Authentication authentication;
    LockState lock;
    UserList list;
  };
  const Case kCases[] = {
      {"open", AdmissionPolicy::kOpenAuthenticated,
       Authentication::kAuthenticated, LockState::kUnlocked, UserList::kRoster},
      {"open anonymous", AdmissionPolicy::kOpenAuthenticated,
       Authentication::kAnonymous, LockState::kUnlocked, UserList::kLobby},
      {"default anonymous", std::nullopt, Authentication::kAnonymous,
       LockState::kUnlocked, UserList::kLobby},
      {"closed", AdmissionPolicy::kClosedAuthenticated,
       Authentication::kAuthenticated, LockState::kUnlocked, UserList::kLobby},
      {"anonymous policy", AdmissionPolicy::kAnonymous,
       Authentication::kAnonymous, LockState::kUnlocked, UserList::kRoster},
      {"locked", AdmissionPolicy::kAnonymous, Authentication::kAuthenticated,
       LockState::kLocked, UserList::kLobby},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    ConferenceStore store(TestOptions());
    AddConferenceRequest add;
    add.organizer = kAlice;
    add.description.admission_policy = c.policy;
    absl::StatusOr<MutationResult> created =
        store.ApplyAddConference(std::move(add));
    ASSERT_THAT(created, IsOk());
    ConferenceId id = created->snapshot->entity;
    ASSERT_THAT(store.ApplyModifyConferenceLock({id, {}, c.lock}), IsOk());
    AddUserRequest request;
    request.conference = id;
    request.authentication = c.authentication;
    request.user = MakeUser(kBob);
    absl::StatusOr<MutationResult> result =
        store.ApplyAddUser(std::move(request));
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->delta->users[0].list, c.list);
    const bool in_lobby = c.list == UserList::kLobby;
    EXPECT_EQ(result->snapshot->lobby.Contains(kBob), in_lobby);
    EXPECT_EQ(result->snapshot->users.Contains(kBob), !in_lobby);
    // The lobby does not count as users, and a lobby join leaves state alone.
    EXPECT_EQ(result->snapshot->state->user_count, in_lobby ? 0u : 1u);
    EXPECT_EQ(result->delta->state == nullptr, in_lobby);
    // Lobby users are still found by the user index (sign-out removal).
    EXPECT_THAT(store.ListConferencesOf(kBob), ElementsAre(id));
  }
}

TEST_F(ConferenceStoreTest, DialOutByLeaderSkipsLobbyButNotLock) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ASSERT_THAT(Join(id, kAlice), IsOk());
  AddUserRequest request;
  request.conference = id;
  request.requester = kAlice;
  request.kind = JoinKind::kDialOut;
  request.user = MakeUser(kBob);
  ASSERT_THAT(store_.ApplyAddUser(request), IsOk());
  EXPECT_TRUE(Snapshot(id)->users.Contains(kBob));

  ASSERT_THAT(
      store_.ApplyModifyConferenceLock({id, kAlice, LockState::kLocked}),
      IsOk());
  request.user = MakeUser(kCarol);
  ExpectFailsUnchanged(id, absl::StatusCode::kFailedPrecondition, "is locked",
                       [&] { return store_.ApplyAddUser(request); });
}

TEST_F(ConferenceStoreTest, AddUserFailures) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());

  ExpectFailsUnchanged(id, absl::StatusCode::kAlreadyExists, "already exists",
                       [&] { return Join(id, kBob); });
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument, "invalid role",
                       [&] { return Join(id, kCarol, Role::kOrganizer); });
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "may not join on behalf", [&] {
                         AddUserRequest r;
                         r.conference = id;
                         r.requester = kBob;
                         r.user = MakeUser(kCarol);
                         return store_.ApplyAddUser(std::move(r));
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", [&] {
                         AddUserRequest r;
                         r.conference = id;
                         r.requester = kBob;  // An attendee cannot dial out.
                         r.kind = JoinKind::kDialOut;
                         r.user = MakeUser(kCarol);
                         return store_.ApplyAddUser(std::move(r));
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "user entity is empty",
                       [&] { return Join(id, UserId("")); });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kResourceExhausted, "endpoints, over the limit",
      [&] {
        User user = MakeUser(kCarol);
        user.endpoints = {MakeEndpoint("a"), MakeEndpoint("b"),
                          MakeEndpoint("c")};
        return store_.ApplyAddUser(
            {id, {}, JoinKind::kJoin, Authentication::kAuthenticated, user});
      });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kResourceExhausted, "media, over the limit", [&] {
        User user = MakeUser(kCarol);
        user.endpoints = {MakeEndpoint("a", 3)};
        return store_.ApplyAddUser(
            {id, {}, JoinKind::kJoin, Authentication::kAuthenticated, user});
      });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kInvalidArgument, "appears twice in user", [&] {
        User user = MakeUser(kCarol);
        user.endpoints = {MakeEndpoint("a"), MakeEndpoint("a")};
        return store_.ApplyAddUser(
            {id, {}, JoinKind::kJoin, Authentication::kAuthenticated, user});
      });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kInvalidArgument, "appears twice in endpoint", [&] {
        auto endpoint = std::make_shared<Endpoint>();
        endpoint->entity = EndpointId("a");
        endpoint->media = {MakeMedia("1", "audio"), MakeMedia("1", "video")};
        User user = MakeUser(kCarol);
        user.endpoints = {endpoint};
        return store_.ApplyAddUser(
            {id, {}, JoinKind::kJoin, Authentication::kAuthenticated, user});
      });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kInvalidArgument, "extension <\"big\"> is", [&] {
        User user = MakeUser(kCarol);
        user.extensions.push_back({"urn:x", "big", std::string(20000, 'x')});
        return store_.ApplyAddUser(
            {id, {}, JoinKind::kJoin, Authentication::kAuthenticated, user});
      });
  EXPECT_THAT(Join(ConferenceId("sip:none"), kCarol),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ConferenceStoreTest, AnonymousRejectedByClosedPolicy) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "anonymous users are not allowed", [&] {
                         AddUserRequest r;
                         r.conference = id;
                         r.authentication = Authentication::kAnonymous;
                         r.user = MakeUser(UserId("sip:x@anonymous.invalid"));
                         return store_.ApplyAddUser(std::move(r));
                       });
}

TEST_F(ConferenceStoreTest, AddUserStopsAtUserLimits) {
  ConferenceId id = AddConference();
  for (int i = 0; i < 8; ++i) {
    ASSERT_THAT(Join(id, UserId("sip:u" + std::to_string(i) + "@x")), IsOk());
  }
  ExpectFailsUnchanged(id, absl::StatusCode::kResourceExhausted,
                       "has reached 8 users", [&] { return Join(id, kCarol); });

  ConferenceId small = AddConference();
  ModifyConferenceRequest modify;
  modify.conference = small;
  modify.description = ConferenceDescription();
  modify.description->maximum_user_count = 1;
  ASSERT_THAT(store_.ApplyModifyConference(modify), IsOk());
  ASSERT_THAT(Join(small, kBob), IsOk());
  ExpectFailsUnchanged(small, absl::StatusCode::kResourceExhausted,
                       "maximum-user-count of 1",
                       [&] { return Join(small, kCarol); });
}

// --- lobby decisions -------------------------------------------------------

TEST_F(ConferenceStoreTest, GrantMovesLobbyUserToRoster) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_TRUE(Snapshot(id)->lobby.Contains(kBob));
  absl::StatusOr<MutationResult> result =
      store_.ApplyLobbyDecision({id, kAlice, kBob, LobbyDecision::kGrant});
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->snapshot->lobby.Contains(kBob));
  EXPECT_TRUE(result->snapshot->users.Contains(kBob));
  EXPECT_EQ(result->snapshot->state->user_count, 1u);
  ASSERT_EQ(result->delta->users.size(), 2u);
  EXPECT_EQ(result->delta->users[0].list, UserList::kLobby);
  EXPECT_EQ(result->delta->users[0].kind, ChangeKind::kDeleted);
  EXPECT_EQ(result->delta->users[1].list, UserList::kRoster);
  EXPECT_EQ(result->delta->users[1].kind, ChangeKind::kFull);
  EXPECT_THAT(store_.ListConferencesOf(kBob), ElementsAre(id));
}

TEST_F(ConferenceStoreTest, DenyRemovesLobbyUser) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ASSERT_THAT(Join(id, kBob), IsOk());
  absl::StatusOr<MutationResult> result =
      store_.ApplyLobbyDecision({id, {}, kBob, LobbyDecision::kDeny});
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->snapshot->lobby.empty());
  EXPECT_TRUE(result->snapshot->users.empty());
  EXPECT_THAT(store_.ListConferencesOf(kBob), IsEmpty());
}

TEST_F(ConferenceStoreTest, LobbyDecisionFailures) {
  ConferenceId id = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ASSERT_THAT(Join(id, kAlice), IsOk());
  ASSERT_THAT(Join(id, kBob), IsOk());    // Lobby.
  ASSERT_THAT(Join(id, kCarol), IsOk());  // Lobby.
  ASSERT_THAT(
      store_.ApplyLobbyDecision({id, kAlice, kCarol, LobbyDecision::kGrant}),
      IsOk());
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", [&] {
                         return store_.ApplyLobbyDecision(
                             {id, kCarol, kBob, LobbyDecision::kGrant});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", [&] {
                         // A lobby user cannot admit itself.
                         return store_.ApplyLobbyDecision(
                             {id, kBob, kBob, LobbyDecision::kGrant});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kFailedPrecondition,
                       "already admitted", [&] {
                         return store_.ApplyLobbyDecision(
                             {id, kAlice, kCarol, LobbyDecision::kGrant});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "not in the lobby",
                       [&] {
                         return store_.ApplyLobbyDecision(
                             {id, kAlice, kDave, LobbyDecision::kDeny});
                       });
  ModifyConferenceRequest modify;
  modify.conference = id;
  modify.description = *Snapshot(id)->description;
  modify.description->maximum_user_count = 2;
  ASSERT_THAT(store_.ApplyModifyConference(modify), IsOk());
  ExpectFailsUnchanged(id, absl::StatusCode::kResourceExhausted,
                       "maximum-user-count", [&] {
                         return store_.ApplyLobbyDecision(
                             {id, kAlice, kBob, LobbyDecision::kGrant});
                       });
}

// --- deleteUser ------------------------------------------------------------

TEST_F(ConferenceStoreTest, DeleteUserByLeaderOrSelf) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kAlice), IsOk());
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  absl::StatusOr<MutationResult> ejected =
      store_.ApplyDeleteUser({id, kAlice, kBob});
  ASSERT_THAT(ejected, IsOk());
  EXPECT_FALSE(ejected->snapshot->users.Contains(kBob));
  EXPECT_EQ(ejected->snapshot->state->user_count, 2u);
  ASSERT_EQ(ejected->delta->users.size(), 1u);
  EXPECT_EQ(ejected->delta->users[0].kind, ChangeKind::kDeleted);
  EXPECT_EQ(ejected->delta->users[0].user, nullptr);
  EXPECT_THAT(store_.ListConferencesOf(kBob), IsEmpty());
  EXPECT_THAT(store_.ApplyDeleteUser({id, kCarol, kCarol}), IsOk());
  // The organizer may leave; it still organizes the conference.
  EXPECT_THAT(store_.ApplyDeleteUser({id, kAlice, kAlice}), IsOk());
  EXPECT_FALSE(Snapshot(id)->state->active);
  EXPECT_THAT(store_.ListConferencesOrganizedBy(kAlice), ElementsAre(id));
}

TEST_F(ConferenceStoreTest, DeleteUserFailures) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kAlice), IsOk());
  ASSERT_THAT(Join(id, kBob, Role::kPresenter), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "does not exist", [&] {
    return store_.ApplyDeleteUser({id, kAlice, kDave});
  });
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", [&] {
                         return store_.ApplyDeleteUser({id, kCarol, kBob});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "only the organizer may remove itself", [&] {
                         return store_.ApplyDeleteUser({id, kBob, kAlice});
                       });
}

// --- modifyUserRoles -------------------------------------------------------

TEST_F(ConferenceStoreTest, ModifyUserRolesPromotesWithPartialUser) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyUserRoles({id, kAlice, kBob, Role::kPresenter});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->snapshot->users.Find(kBob)->role, Role::kPresenter);
  ASSERT_EQ(result->delta->users.size(), 1u);
  EXPECT_EQ(result->delta->users[0].kind, ChangeKind::kPartial);
  EXPECT_THAT(result->delta->users[0].endpoints, IsEmpty());
  // Endpoints are shared with the previous user, not copied.
  EXPECT_EQ(result->snapshot->users.Find(kBob)->endpoints[0].get(),
            result->delta->users[0].user->endpoints[0].get());
}

TEST_F(ConferenceStoreTest, ModifyUserRolesFailures) {
  ConferenceId id = AddConference(AdmissionPolicy::kOpenAuthenticated);
  ASSERT_THAT(Join(id, kAlice), IsOk());
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(
      store_.ApplyModifyConferenceLock({id, kAlice, LockState::kLocked}),
      IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());  // Locked: lobby.
  EXPECT_THAT(
      store_.ApplyModifyUserRoles({id, kAlice, kBob, Role::kOrganizer}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid role")));
  ExpectFailsUnchanged(
      id, absl::StatusCode::kPermissionDenied, "is not a leader", [&] {
        return store_.ApplyModifyUserRoles({id, kBob, kBob, Role::kPresenter});
      });
  ExpectFailsUnchanged(id, absl::StatusCode::kFailedPrecondition,
                       "organizer's role", [&] {
                         return store_.ApplyModifyUserRoles(
                             {id, kAlice, kAlice, Role::kAttendee});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kFailedPrecondition,
                       "waiting in the lobby", [&] {
                         return store_.ApplyModifyUserRoles(
                             {id, kAlice, kCarol, Role::kPresenter});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "does not exist", [&] {
    return store_.ApplyModifyUserRoles({id, kAlice, kDave, Role::kPresenter});
  });
}

// --- modifyConferenceLock --------------------------------------------------

TEST_F(ConferenceStoreTest, LockSetsStateAndEveryViewThatReportsIt) {
  ConferenceId id = AddConference();
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyConferenceLock({id, kAlice, LockState::kLocked});
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->snapshot->state->locked);
  // focus + chat report a lock; audio-video does not (as in the seed).
  ASSERT_EQ(result->delta->views.size(), 2u);
  for (const auto& view : result->snapshot->views) {
    if (view->state.locked.has_value()) {
      EXPECT_TRUE(*view->state.locked) << view->entity;
    }
  }
  absl::StatusOr<MutationResult> unlocked =
      store_.ApplyModifyConferenceLock({id, kAlice, LockState::kUnlocked});
  ASSERT_THAT(unlocked, IsOk());
  EXPECT_FALSE(unlocked->snapshot->state->locked);
  EXPECT_EQ(unlocked->delta->views.size(), 2u);
}

TEST_F(ConferenceStoreTest, LockSharesTheViewsMediaAndCapabilities) {
  ConferenceId id = AddConference();
  std::shared_ptr<const ConferenceSnapshot> before = store_.FindSnapshot(id);
  ASSERT_NE(before, nullptr);
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyConferenceLock({id, kAlice, LockState::kLocked});
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->snapshot->views.size(), before->views.size());
  size_t replaced = 0;
  for (size_t i = 0; i < before->views.size(); ++i) {
    const EntityView& old_view = *before->views[i];
    const EntityView& new_view = *result->snapshot->views[i];
    if (&old_view == &new_view) {
      continue;
    }
    ++replaced;
    // A new view object, whose lock changed and whose lists are the old
    // view's own (not copies).
    EXPECT_NE(old_view.state.locked, new_view.state.locked);
    EXPECT_EQ(&old_view.state.media.get(), &new_view.state.media.get());
    if (old_view.capabilities.has_value()) {
      EXPECT_EQ(&*old_view.capabilities, &*new_view.capabilities);
    }
    EXPECT_EQ(old_view.state.media, new_view.state.media);
  }
  EXPECT_EQ(replaced, 2u);
}

TEST_F(ConferenceStoreTest, LockFailures) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  ExpectFailsUnchanged(
      id, absl::StatusCode::kPermissionDenied, "is not a leader", [&] {
        return store_.ApplyModifyConferenceLock({id, kBob, LockState::kLocked});
      });
  EXPECT_THAT(store_.ApplyModifyConferenceLock(
                  {ConferenceId("sip:none"), {}, LockState::kLocked}),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- modifyEndpointMedia ---------------------------------------------------

TEST_F(ConferenceStoreTest, ModifyEndpointMediaReplacesOneStream) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  Media muted = *MakeMedia("1", "audio");
  muted.status = MediaStatus::kRecvOnly;
  absl::StatusOr<MutationResult> result = store_.ApplyModifyEndpointMedia(
      {id, kBob, kBob, EndpointId("{EP-1}"), muted});
  ASSERT_THAT(result, IsOk());
  const Endpoint* endpoint =
      result->snapshot->users.Find(kBob)->FindEndpoint(EndpointId("{EP-1}"));
  EXPECT_EQ(endpoint->FindMedia(MediaId("1"))->status, MediaStatus::kRecvOnly);
  ASSERT_EQ(result->delta->users.size(), 1u);
  const UserChange& change = result->delta->users[0];
  EXPECT_EQ(change.kind, ChangeKind::kPartial);
  ASSERT_EQ(change.endpoints.size(), 1u);
  EXPECT_EQ(change.endpoints[0].kind, ChangeKind::kFull);
  EXPECT_EQ(change.endpoints[0].endpoint.get(), endpoint);
}

TEST(ConferenceStoreLargeRosterTest, ChangeToOneUserSharesTheOthers) {
  StoreOptions options = TestOptions();
  options.limits.max_users_per_conference = 2000;
  ConferenceStore store(options);
  AddConferenceRequest add;
  add.organizer = kAlice;
  add.mcu_types = {"audio-video"};
  absl::StatusOr<MutationResult> created =
      store.ApplyAddConference(std::move(add));
  ASSERT_THAT(created, IsOk());
  const ConferenceId id = created->snapshot->entity;
  std::vector<UserId> users;
  for (int i = 0; i < 1000; ++i) {
    users.emplace_back("sip:user" + std::to_string(i) + "@example.com");
    AddUserRequest join;
    join.conference = id;
    join.requester = users.back();
    join.user = MakeUser(users.back());
    ASSERT_THAT(store.ApplyAddUser(std::move(join)), IsOk());
  }
  const std::shared_ptr<const ConferenceSnapshot> before =
      store.FindSnapshot(id);
  Media muted = *MakeMedia("1", "audio");
  muted.status = MediaStatus::kRecvOnly;
  ASSERT_THAT(store.ApplyModifyEndpointMedia(
                  {id, users[10], users[10], EndpointId("{EP-1}"), muted}),
              IsOk());
  absl::StatusOr<MutationResult> role =
      store.ApplyModifyUserRoles({id, kAlice, users[500], Role::kPresenter});
  ASSERT_THAT(role, IsOk());
  const ConferenceSnapshot& after = *role->snapshot;
  ASSERT_EQ(after.users.size(), before->users.size());
  EXPECT_EQ(after.users.Find(users[10])
                ->FindEndpoint(EndpointId("{EP-1}"))
                ->FindMedia(MediaId("1"))
                ->status,
            MediaStatus::kRecvOnly);
  EXPECT_EQ(after.users.Find(users[500])->role, Role::kPresenter);
  for (size_t i = 0; i < users.size(); ++i) {
    if (i != 10 && i != 500) {
      ASSERT_EQ(after.users.Find(users[i]).get(),
                before->users.Find(users[i]).get())
          << i;
    }
  }
  // A partial change leaves the user where it was in the membership index.
  EXPECT_THAT(store.ListConferencesOf(users[10]), ElementsAre(id));
  EXPECT_THAT(store.ListConferencesOf(users[500]), ElementsAre(id));
}

TEST_F(ConferenceStoreTest, ModifyEndpointMediaFailures) {
  ConferenceId id = AddConference(AdmissionPolicy::kOpenAuthenticated);
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  Media media = *MakeMedia("1", "audio");
  ExpectFailsUnchanged(id, absl::StatusCode::kPermissionDenied,
                       "is not a leader", [&] {
                         return store_.ApplyModifyEndpointMedia(
                             {id, kCarol, kBob, EndpointId("{EP-1}"), media});
                       });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "user", [&] {
    return store_.ApplyModifyEndpointMedia(
        {id, {}, kDave, EndpointId("{EP-1}"), media});
  });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "endpoint", [&] {
    return store_.ApplyModifyEndpointMedia(
        {id, {}, kBob, EndpointId("{NONE}"), media});
  });
  Media unknown = *MakeMedia("9", "audio");
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound,
                       "media \"9\" does not exist", [&] {
                         return store_.ApplyModifyEndpointMedia(
                             {id, {}, kBob, EndpointId("{EP-1}"), unknown});
                       });
  Media no_id = media;
  no_id.id = MediaId("");
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "media id is empty", [&] {
                         return store_.ApplyModifyEndpointMedia(
                             {id, {}, kBob, EndpointId("{EP-1}"), no_id});
                       });
}

// --- endpoints reported by the focus ----------------------------------------

TEST_F(ConferenceStoreTest, SetEndpointAddsThenReplaces) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  Endpoint av = *MakeEndpoint("{AV}", 2);
  av.session_type = "audio-video";
  absl::StatusOr<MutationResult> added =
      store_.ApplySetEndpoint({id, kBob, av});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->snapshot->users.Find(kBob)->endpoints.size(), 2u);
  av.status = EndpointStatus::kOnHold;
  absl::StatusOr<MutationResult> replaced =
      store_.ApplySetEndpoint({id, kBob, av});
  ASSERT_THAT(replaced, IsOk());
  const User& bob = *replaced->snapshot->users.Find(kBob);
  ASSERT_EQ(bob.endpoints.size(), 2u);
  EXPECT_EQ(bob.FindEndpoint(EndpointId("{AV}"))->status,
            EndpointStatus::kOnHold);
  ExpectFailsUnchanged(
      id, absl::StatusCode::kResourceExhausted, "has reached 2 endpoints", [&] {
        return store_.ApplySetEndpoint({id, kBob, *MakeEndpoint("{THIRD}")});
      });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "user", [&] {
    return store_.ApplySetEndpoint({id, kDave, *MakeEndpoint("{X}")});
  });
  ExpectFailsUnchanged(
      id, absl::StatusCode::kInvalidArgument, "endpoint entity is empty", [&] {
        return store_.ApplySetEndpoint({id, kBob, *MakeEndpoint("")});
      });
}

TEST_F(ConferenceStoreTest, EndpointStatusChanges) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  ModifyEndpointStatusRequest request;
  request.conference = id;
  request.user = kBob;
  request.endpoint = EndpointId("{EP-1}");
  request.status = EndpointStatus::kDisconnected;
  request.disconnection_method = DisconnectionMethod::kBooted;
  request.disconnection_info =
      Execution{"2026-01-01T00:00:00Z", "", kAlice.value()};
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyEndpointStatus(request);
  ASSERT_THAT(result, IsOk());
  const Endpoint* endpoint =
      result->snapshot->users.Find(kBob)->FindEndpoint(request.endpoint);
  EXPECT_EQ(endpoint->status, EndpointStatus::kDisconnected);
  EXPECT_EQ(endpoint->disconnection_method, DisconnectionMethod::kBooted);
  EXPECT_EQ(endpoint->disconnection_info->by, kAlice.value());

  ModifyEndpointStatusRequest bad = request;
  bad.status = EndpointStatus::kConnected;
  ExpectFailsUnchanged(id, absl::StatusCode::kInvalidArgument,
                       "not disconnecting",
                       [&] { return store_.ApplyModifyEndpointStatus(bad); });
  ModifyEndpointStatusRequest no_endpoint = request;
  no_endpoint.endpoint = EndpointId("{NONE}");
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "endpoint", [&] {
    return store_.ApplyModifyEndpointStatus(no_endpoint);
  });
  ModifyEndpointStatusRequest no_user = request;
  no_user.user = kDave;
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "user", [&] {
    return store_.ApplyModifyEndpointStatus(no_user);
  });
}

TEST_F(ConferenceStoreTest, DeleteEndpointKeepsUser) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  absl::StatusOr<MutationResult> result =
      store_.ApplyDeleteEndpoint({id, kBob, EndpointId("{EP-1}")});
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->snapshot->users.Find(kBob)->endpoints.empty());
  ASSERT_EQ(result->delta->users[0].endpoints.size(), 1u);
  EXPECT_EQ(result->delta->users[0].endpoints[0].kind, ChangeKind::kDeleted);
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "endpoint", [&] {
    return store_.ApplyDeleteEndpoint({id, kBob, EndpointId("{EP-1}")});
  });
  ExpectFailsUnchanged(id, absl::StatusCode::kNotFound, "user", [&] {
    return store_.ApplyDeleteEndpoint({id, kDave, EndpointId("{EP-1}")});
  });
}

// --- users index -----------------------------------------------------------

TEST_F(ConferenceStoreTest, RemoveUserEverywhereLeavesEveryConference) {
  ConferenceId a = AddConference();
  ConferenceId b = AddConference(AdmissionPolicy::kClosedAuthenticated);
  ConferenceId c = AddConference();
  ASSERT_THAT(Join(a, kBob), IsOk());
  ASSERT_THAT(Join(b, kBob), IsOk());  // Lobby.
  ASSERT_THAT(Join(c, kCarol), IsOk());
  std::vector<ConferenceId> expected = {a, b};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(store_.ListConferencesOf(kBob), expected);
  std::vector<MutationResult> results = store_.RemoveUserEverywhere(kBob);
  EXPECT_EQ(results.size(), 2u);
  EXPECT_THAT(store_.ListConferencesOf(kBob), IsEmpty());
  EXPECT_FALSE(Snapshot(a)->users.Contains(kBob));
  EXPECT_FALSE(Snapshot(b)->lobby.Contains(kBob));
  EXPECT_TRUE(Snapshot(c)->users.Contains(kCarol));
  EXPECT_THAT(store_.RemoveUserEverywhere(kBob), IsEmpty());
}

// Past a few conferences a user's index entry changes representation; both
// must list, replace and forget the same way.
TEST(ConferenceStoreIndexTest, FollowsAUserInManyConferences) {
  StoreOptions options = TestOptions();
  options.limits.max_conferences = 64;
  ConferenceStore store(options);
  std::vector<ConferenceId> organized;
  for (int i = 0; i < 20; ++i) {
    AddConferenceRequest request;
    request.organizer = kAlice;
    absl::StatusOr<MutationResult> added =
        store.ApplyAddConference(std::move(request));
    ASSERT_THAT(added, IsOk());
    organized.push_back(added->snapshot->entity);
  }
  std::vector<ConferenceId> bob_in(organized.begin(), organized.begin() + 12);
  for (const ConferenceId& id : bob_in) {
    AddUserRequest request;
    request.conference = id;
    request.requester = kBob;
    request.user = MakeUser(kBob);
    ASSERT_THAT(store.ApplyAddUser(std::move(request)), IsOk());
  }
  std::sort(organized.begin(), organized.end());
  std::sort(bob_in.begin(), bob_in.end());
  EXPECT_EQ(store.ListConferencesOrganizedBy(kAlice), organized);
  EXPECT_EQ(store.ListConferencesOf(kBob), bob_in);
  EXPECT_THAT(store.ListConferencesOf(kAlice), IsEmpty());
  EXPECT_THAT(store.ListConferencesOrganizedBy(kBob), IsEmpty());

  // Deleting a conference removes it from both lists.
  const ConferenceId gone = bob_in.front();
  ASSERT_THAT(store.ApplyDeleteConference({gone, kAlice}), IsOk());
  organized.erase(std::find(organized.begin(), organized.end(), gone));
  bob_in.erase(bob_in.begin());
  EXPECT_EQ(store.ListConferencesOrganizedBy(kAlice), organized);
  EXPECT_EQ(store.ListConferencesOf(kBob), bob_in);

  EXPECT_EQ(store.RemoveUserEverywhere(kBob).size(), bob_in.size());
  EXPECT_THAT(store.ListConferencesOf(kBob), IsEmpty());
  EXPECT_EQ(store.ListConferencesOrganizedBy(kAlice), organized);
}

// --- versions, deltas and the log ------------------------------------------

TEST_F(ConferenceStoreTest, EveryMutationRaisesVersionByOne) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  absl::StatusOr<MutationResult> result =
      store_.ApplyModifyUserRoles({id, {}, kBob, Role::kPresenter});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->snapshot->version, 4u);
  EXPECT_EQ(result->delta->version, 4u);
  EXPECT_EQ(result->delta->conference, id);
}

TEST_F(ConferenceStoreTest, DeltasSinceReplaysOrAsksForFullDocument) {
  ConferenceId id = AddConference();  // Version 1; log capacity 4.
  std::shared_ptr<const ConferenceSnapshot> v1 = Snapshot(id);
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  absl::StatusOr<std::vector<std::shared_ptr<const ConferenceDelta>>> deltas =
      store_.DeltasSince(id, 1);
  ASSERT_THAT(deltas, IsOk());
  ASSERT_EQ(deltas->size(), 2u);
  ConferenceSnapshot replayed = *v1;
  for (const auto& delta : *deltas) {
    replayed = ApplyDelta(replayed, *delta);
  }
  EXPECT_TRUE(SnapshotsEqual(replayed, *Snapshot(id)));
  EXPECT_THAT(store_.DeltasSince(id, 3), IsOk());
  EXPECT_THAT(*store_.DeltasSince(id, 3), IsEmpty());
  EXPECT_THAT(store_.DeltasSince(id, 4),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const UserId& user : {kDave, UserId("sip:e@x"), UserId("sip:f@x")}) {
    ASSERT_THAT(Join(id, user), IsOk());
  }
  // Version 6 now; the log holds versions 3..6.
  EXPECT_THAT(store_.DeltasSince(id, 2), IsOk());
  EXPECT_THAT(store_.DeltasSince(id, 1),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("full document needed")));
  EXPECT_THAT(store_.DeltasSince(ConferenceId("sip:none"), 0),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- subscriptions ---------------------------------------------------------

TEST_F(ConferenceStoreTest, SubscriberGetsSnapshotThenLaterDeltasInOrder) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  RecordingSink sink;
  absl::StatusOr<SubscriptionStart> start = store_.Subscribe(
      id, {SubscriptionId("s1"), kBob, ViewerRole::kAttendee}, &sink);
  ASSERT_THAT(start, IsOk());
  EXPECT_EQ(start->snapshot->version, 2u);
  EXPECT_THAT(sink.deltas, IsEmpty());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  ASSERT_THAT(store_.ApplyModifyUserRoles({id, {}, kCarol, Role::kPresenter}),
              IsOk());
  ASSERT_EQ(sink.deltas.size(), 2u);
  EXPECT_EQ(sink.deltas[0]->version, 3u);
  EXPECT_EQ(sink.deltas[1]->version, 4u);
  EXPECT_THAT(sink.ids, ElementsAre("s1", "s1"));
}

TEST_F(ConferenceStoreTest, UnsubscribeStopsDeliveries) {
  ConferenceId id = AddConference();
  RecordingSink sink;
  ASSERT_THAT(
      store_.Subscribe(id, {SubscriptionId("s1"), kAlice, ViewerRole::kLeader},
                       &sink),
      IsOk());
  EXPECT_THAT(
      store_.Subscribe(id, {SubscriptionId("s1"), kAlice, ViewerRole::kLeader},
                       &sink),
      StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_THAT(Join(id, kBob), IsOk());
  EXPECT_THAT(store_.Unsubscribe(id, SubscriptionId("s1")), IsOk());
  ASSERT_THAT(Join(id, kCarol), IsOk());
  EXPECT_EQ(sink.deltas.size(), 1u);
  EXPECT_THAT(store_.Unsubscribe(id, SubscriptionId("s1")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ConferenceStoreTest, SubscribeFailures) {
  ConferenceId id = AddConference();
  RecordingSink sink;
  EXPECT_THAT(store_.Subscribe(
                  ConferenceId("sip:none"),
                  {SubscriptionId("s"), kBob, ViewerRole::kAttendee}, &sink),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.Subscribe(
                  id, {SubscriptionId(""), kBob, ViewerRole::kAttendee}, &sink),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store_.Subscribe(id, {SubscriptionId("s"), kBob, ViewerRole::kAttendee},
                       nullptr),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

// A sink that mutates the store from inside the callback: deliveries must
// neither deadlock nor reorder.
class ReentrantSink : public SubscriptionSink {
 public:
  ReentrantSink(ConferenceStore* store, ConferenceId id)
      : store_(store), id_(std::move(id)) {}
  void OnDelta(const Subscriber&,
               const std::shared_ptr<const ConferenceDelta>& delta) override {
    versions.push_back(delta->version);
    if (versions.size() == 1) {
      EXPECT_THAT(
          store_->ApplyModifyUserRoles({id_, {}, kBob, Role::kPresenter}),
          IsOk());
    }
  }
  std::vector<uint64_t> versions;

 private:
  ConferenceStore* store_;
  ConferenceId id_;
};

TEST_F(ConferenceStoreTest, SinkMayMutateTheSameConference) {
  ConferenceId id = AddConference();
  ReentrantSink sink(&store_, id);
  ASSERT_THAT(
      store_.Subscribe(id, {SubscriptionId("s"), kAlice, ViewerRole::kLeader},
                       &sink),
      IsOk());
  ASSERT_THAT(Join(id, kBob), IsOk());
  EXPECT_THAT(sink.versions, ElementsAre(2u, 3u));
  EXPECT_EQ(Snapshot(id)->users.Find(kBob)->role, Role::kPresenter);
}

// A mutation unpins before retiring the snapshot it replaced; a Read whose
// callback mutates the same conference still holds the snapshot it was
// given (ASan reports a use after free otherwise).
TEST_F(ConferenceStoreTest, ReadCallbackMayMutateAndKeepsItsSnapshot) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  ASSERT_THAT(store_.Read(id,
                          [&](const ConferenceSnapshot& s) {
                            const uint64_t version = s.version;
                            for (int i = 0; i < 40; ++i) {
                              ModifyConferenceLockRequest request;
                              request.conference = id;
                              request.lock = i % 2 == 0 ? LockState::kLocked
                                                        : LockState::kUnlocked;
                              EXPECT_THAT(
                                  store_.ApplyModifyConferenceLock(request),
                                  IsOk());
                            }
                            EXPECT_EQ(s.version, version);
                            EXPECT_EQ(s.entity, id);
                            EXPECT_FALSE(s.state->locked);
                            EXPECT_TRUE(s.users.Contains(kBob));
                          }),
              IsOk());
  EXPECT_EQ(Snapshot(id)->version, 2u + 40u);
  EXPECT_FALSE(Snapshot(id)->state->locked);
}

TEST_F(ConferenceStoreTest, OldSnapshotStaysValidWhileWritersGoOn) {
  ConferenceId id = AddConference();
  ASSERT_THAT(Join(id, kBob), IsOk());
  std::shared_ptr<const ConferenceSnapshot> old = Snapshot(id);
  ASSERT_THAT(store_.ApplyDeleteUser({id, {}, kBob}), IsOk());
  ASSERT_THAT(store_.ApplyDeleteConference({id, {}}), IsOk());
  EXPECT_EQ(old->version, 2u);
  EXPECT_TRUE(old->users.Contains(kBob));
}

TEST_F(ConferenceStoreTest, JoinSharesOtherUsers) {
  ConferenceId id = AddConference();
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(Join(id, UserId("sip:u" + std::to_string(i) + "@x")), IsOk());
  }
  std::shared_ptr<const ConferenceSnapshot> before = Snapshot(id);
  ASSERT_THAT(Join(id, kBob), IsOk());
  std::shared_ptr<const ConferenceSnapshot> after = Snapshot(id);
  for (const auto& user : before->users) {
    EXPECT_EQ(after->users.Find(user->entity).get(), user.get());
  }
  EXPECT_EQ(after->description, before->description);
}

// --- ReadBatch -------------------------------------------------------------

// What ReadBatch gave one item.
struct BatchItem {
  size_t index;
  const ConferenceSnapshot* snapshot;
};

std::vector<BatchItem> ReadAll(const ConferenceStore& store,
                               const std::vector<ConferenceId>& ids) {
  std::vector<BatchItem> items;
  store.ReadBatch(ids, [&](size_t i, const ConferenceSnapshot* s) {
    items.push_back({i, s});
  });
  return items;
}

class ConferenceStoreReadBatchTest : public ::testing::Test {
 protected:
  static constexpr int kConferences = 200;

  ConferenceStoreReadBatchTest() : store_(Options()) {}

  static StoreOptions Options() {
    StoreOptions options = TestOptions();
    options.limits.max_conferences = 4 * kConferences;
    return options;
  }

  absl::StatusOr<MutationResult> Add(const std::string& conference_id) {
    AddConferenceRequest request;
    request.organizer = kAlice;
    request.description.conference_id = conference_id;
    request.mcu_types = {"chat"};
    return store_.ApplyAddConference(std::move(request));
  }

  void AddMany() {
    for (int i = 0; i < kConferences; ++i) {
      absl::StatusOr<MutationResult> added = Add("C" + std::to_string(i));
      ASSERT_THAT(added, IsOk());
      ids_.push_back(added->snapshot->entity);
    }
  }

  // An entity no conference has (same organizer, same form).
  static ConferenceId Unknown(int i) {
    return FocusUriFor(kAlice, "U" + std::to_string(i));
  }

  ConferenceStore store_;
  std::vector<ConferenceId> ids_;
};

TEST_F(ConferenceStoreReadBatchTest, ReportsEachItemInOrder) {
  AddMany();
  const std::vector<ConferenceId> batch = {ids_[3], Unknown(1), ids_[0],
                                           ids_[3], ids_[7]};
  const std::vector<BatchItem> items = ReadAll(store_, batch);
  ASSERT_EQ(items.size(), batch.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].index, i);
  }
  EXPECT_EQ(items[0].snapshot, store_.FindSnapshot(ids_[3]).get());
  EXPECT_EQ(items[1].snapshot, nullptr);
  EXPECT_EQ(items[2].snapshot, store_.FindSnapshot(ids_[0]).get());
  EXPECT_EQ(items[3].snapshot, items[0].snapshot);  // A duplicate.
  EXPECT_EQ(items[4].snapshot, store_.FindSnapshot(ids_[7]).get());
  EXPECT_EQ(items[4].snapshot->entity, ids_[7]);
}

TEST_F(ConferenceStoreReadBatchTest, EmptyBatchCallsNothing) {
  AddMany();
  EXPECT_THAT(ReadAll(store_, {}), IsEmpty());
}

TEST_F(ConferenceStoreReadBatchTest, EmptyStoreFindsNothing) {
  const std::vector<ConferenceId> batch = {Unknown(1), Unknown(2)};
  const std::vector<BatchItem> items = ReadAll(store_, batch);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].snapshot, nullptr);
  EXPECT_EQ(items[1].snapshot, nullptr);
}

// Batches of every length around the group width and far beyond it, of
// random known and unknown ids: each item is what Read gives.
TEST_F(ConferenceStoreReadBatchTest, AgreesWithReadAcrossGroups) {
  AddMany();
  std::mt19937 rng(7);
  const size_t group = ConferenceStore::kReadBatchGroup;
  for (size_t length : {size_t{1}, size_t{2}, group - 1, group, group + 1,
                        3 * group + 5, size_t{1000}}) {
    std::vector<ConferenceId> batch;
    for (size_t i = 0; i < length; ++i) {
      const int k = static_cast<int>(rng() % (kConferences + 20));
      batch.push_back(k < kConferences ? ids_[k] : Unknown(k));
    }
    const std::vector<BatchItem> items = ReadAll(store_, batch);
    ASSERT_EQ(items.size(), length);
    for (size_t i = 0; i < length; ++i) {
      EXPECT_EQ(items[i].index, i);
      const ConferenceSnapshot* read = nullptr;
      const absl::Status status = store_.Read(
          batch[i], [&](const ConferenceSnapshot& s) { read = &s; });
      EXPECT_EQ(items[i].snapshot, read) << length << " " << i;
      EXPECT_EQ(status.ok(), read != nullptr) << status;
    }
  }
}

// Focus URIs shorter and longer than the key the read index keeps inline
// with each snapshot: Read and ReadBatch find every one, and nothing else.
TEST_F(ConferenceStoreReadBatchTest, FindsShortAndLongEntities) {
  std::vector<ConferenceId> ids;
  size_t shortest = SIZE_MAX;
  size_t longest = 0;
  for (size_t length : {1, 40, 45, 46, 47, 48, 49, 50, 100, 110}) {
    AddConferenceRequest request;
    request.organizer = UserId("sip:" + std::string(length, 'o') + "@x.com");
    request.description.conference_id = "L" + std::to_string(length);
    request.mcu_types = {"chat"};
    absl::StatusOr<MutationResult> added =
        store_.ApplyAddConference(std::move(request));
    ASSERT_THAT(added, IsOk());
    ids.push_back(added->snapshot->entity);
    shortest = std::min(shortest, ids.back().value().size());
    longest = std::max(longest, ids.back().value().size());
  }
  // Either side of the inline key (92 bytes), and at it.
  EXPECT_LT(shortest, 80u);
  EXPECT_GT(longest, 140u);
  std::vector<ConferenceId> batch = ids;
  for (const ConferenceId& id : ids) {
    // The same length, differing in the last byte.
    std::string other(id.value());
    other.back() = other.back() == 'z' ? 'y' : 'z';
    batch.push_back(ConferenceId(other));
  }
  const std::vector<BatchItem> items = ReadAll(store_, batch);
  ASSERT_EQ(items.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const bool known = i < ids.size();
    ASSERT_EQ(items[i].snapshot != nullptr, known) << batch[i].value().size();
    if (known) {
      EXPECT_EQ(items[i].snapshot->entity, batch[i]);
    }
    uint64_t version = 0;
    EXPECT_EQ(
        store_
            .Read(batch[i],
                  [&](const ConferenceSnapshot& s) { version = s.version; })
            .ok(),
        known);
    EXPECT_EQ(version, known ? 1u : 0u);
  }
}

// A deleted conference leaves its slot in the index (same hash, no snapshot);
// the batch probes past it to the re-created conference.
TEST_F(ConferenceStoreReadBatchTest, SeesDeletionAndRecreation) {
  AddMany();
  ASSERT_THAT(store_.ApplyDeleteConference({ids_[5], {}}), IsOk());
  ASSERT_THAT(store_.ApplyDeleteConference({ids_[6], {}}), IsOk());
  absl::StatusOr<MutationResult> again = Add("C5");
  ASSERT_THAT(again, IsOk());
  ASSERT_EQ(again->snapshot->entity, ids_[5]);
  const std::vector<BatchItem> items =
      ReadAll(store_, {ids_[5], ids_[6], ids_[4]});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].snapshot, again->snapshot.get());
  EXPECT_EQ(items[0].snapshot->version, 1u);
  EXPECT_EQ(items[1].snapshot, nullptr);
  EXPECT_EQ(items[2].snapshot, store_.FindSnapshot(ids_[4]).get());
}

// The callback may mutate the store: the snapshot it was given stays valid
// (ASan reports a use after free otherwise), and the later items of its
// group, looked up before it ran, hold the snapshots current then.
TEST_F(ConferenceStoreReadBatchTest, CallbackMayMutateAndKeepsItsSnapshots) {
  AddMany();
  const std::vector<ConferenceId> batch = {ids_[1], ids_[2], ids_[1]};
  std::vector<uint64_t> versions;
  store_.ReadBatch(batch, [&](size_t i, const ConferenceSnapshot* s) {
    ASSERT_NE(s, nullptr);
    versions.push_back(s->version);
    if (i == 0) {
      for (int n = 0; n < 40; ++n) {
        ModifyConferenceLockRequest request;
        request.conference = ids_[1];
        request.lock = n % 2 == 0 ? LockState::kLocked : LockState::kUnlocked;
        EXPECT_THAT(store_.ApplyModifyConferenceLock(request), IsOk());
      }
    }
    EXPECT_EQ(s->entity, batch[i]);
    EXPECT_FALSE(s->state->locked);
  });
  EXPECT_THAT(versions, ElementsAre(1u, 1u, 1u));
  EXPECT_EQ(store_.FindSnapshot(ids_[1])->version, 41u);
  // A later batch sees the mutations.
  const std::vector<BatchItem> items = ReadAll(store_, {ids_[1]});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].snapshot->version, 41u);
}

#if defined(CONF_STORE_COLLIDING_HASH_FOR_TEST)
// This file also runs against the store built with one hash for every key
// (conference_store_colliding_hash_test): check that it is that build, so
// every test above meets full tag collisions.
TEST(ConferenceKeyHashTest, CollidingBuildHashesEveryKeyAlike) {
  const size_t h = internal::ConferenceKeyHash("");
  EXPECT_EQ(internal::ConferenceKeyHash("sip:a@x.com"), h);
  EXPECT_EQ(internal::ConferenceKeyHash(std::string(200, 'b')), h);
}
#else
TEST(ConferenceKeyHashTest, DependsOnEveryByteAndTheLength) {
  // Every length from 0 to 80 (the small-key and block paths), every byte
  // position flipped: all distinct.
  std::set<size_t> seen;
  size_t expected = 0;
  for (size_t n = 0; n <= 80; ++n) {
    std::string key(n, 'a');
    seen.insert(internal::ConferenceKeyHash(key));
    ++expected;
    for (size_t i = 0; i < n; ++i) {
      std::string flipped = key;
      flipped[i] ^= 0x01;
      seen.insert(internal::ConferenceKeyHash(flipped));
      ++expected;
    }
  }
  EXPECT_EQ(seen.size(), expected);
  // Equal bytes hash equally wherever they are.
  const std::string uri =
      "sip:organizer1234@fabrikam.com;gruu;opaque=app:conf:focus:id:0A1B2C3D";
  const std::string padded = "xyz" + uri;
  EXPECT_EQ(internal::ConferenceKeyHash(uri),
            internal::ConferenceKeyHash(absl::string_view(padded).substr(3)));
}

TEST(ConferenceKeyHashTest, SpreadsFocusUrisOverShardsAndLowBits) {
  // Focus URIs differing in a few characters, as a store holds them: the top
  // 6 bits (the shard) and the low 6 bits (the first probe of an index
  // table) each within 25% of uniform, and one flipped input bit changes
  // about half the output bits.
  constexpr int kKeys = 64 * 1024;
  std::vector<int> top(64, 0);
  std::vector<int> low(64, 0);
  double flipped_bits = 0;
  for (int i = 0; i < kKeys; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "%08X",
                  static_cast<unsigned>(i * 2654435761u));
    const std::string uri(
        FocusUriFor(UserId("sip:organizer" + std::to_string(i % 5000) +
                           "@fabrikam.com"),
                    id)
            .value());
    const size_t h = internal::ConferenceKeyHash(uri);
    ++top[h >> 58];
    ++low[h & 63];
    std::string changed = uri;
    changed[static_cast<size_t>(i) % uri.size()] ^= 0x04;
    flipped_bits +=
        __builtin_popcountll(h ^ internal::ConferenceKeyHash(changed));
  }
  for (int bucket = 0; bucket < 64; ++bucket) {
    EXPECT_NEAR(top[bucket], kKeys / 64, kKeys / 64 / 4) << bucket;
    EXPECT_NEAR(low[bucket], kKeys / 64, kKeys / 64 / 4) << bucket;
  }
  EXPECT_NEAR(flipped_bits / kKeys, 32.0, 1.0);
}
#endif  // CONF_STORE_COLLIDING_HASH_FOR_TEST

// --- Presenter policy, lobby sessions, lobby decisions, key rotation,
// expiry ---------------------------------------------------------------------

const UserId kMallory("sip:mallory@evil.example");

User FocusUser(const UserId& entity, Role role) {
  User user = MakeUser(entity, role);
  auto endpoint = std::make_shared<Endpoint>(*user.endpoints[0]);
  endpoint->session_type = "focus";
  endpoint->media.clear();
  user.endpoints[0] = std::move(endpoint);
  return user;
}

ConferenceId AddConferenceWithPolicy(ConferenceStore& store,
                                     std::optional<PresenterPolicy> policy) {
  AddConferenceRequest request;
  request.organizer = kAlice;
  request.description.presenter_policy = policy;
  absl::StatusOr<MutationResult> result =
      store.ApplyAddConference(std::move(request));
  EXPECT_THAT(result, IsOk());
  return result.ok() ? result->snapshot->entity : ConferenceId();
}

Role GrantedTo(ConferenceStore& store, const ConferenceId& conference,
               const UserId& user, Role asked,
               Authentication authentication = Authentication::kAuthenticated) {
  AddUserRequest request;
  request.conference = conference;
  request.requester = user;
  request.authentication = authentication;
  request.user = MakeUser(user, asked);
  absl::StatusOr<MutationResult> result =
      store.ApplyAddUser(std::move(request));
  EXPECT_THAT(result, IsOk());
  if (!result.ok() || result->delta->users.empty())
    return Role::kOrganizer;  // Never a joiner's: fails the caller's check.
  return result->delta->users.back().user->role;
}

TEST(PresenterPolicyTest, AJoinNeverGrantsMoreThanThePolicyAllows) {
  struct Case {
    const char* name;
    std::optional<PresenterPolicy> policy;
    UserId user;
    Role asked;
    Authentication authentication;
    Role granted;
  };
  const Case kCases[] = {
      {"default is the organization: a colleague", std::nullopt, kBob,
       Role::kPresenter, Authentication::kAuthenticated, Role::kPresenter},
      {"default is the organization: an outsider", std::nullopt, kMallory,
       Role::kPresenter, Authentication::kAuthenticated, Role::kAttendee},
      {"organization: a colleague", PresenterPolicy::kOrganization, kBob,
       Role::kPresenter, Authentication::kAuthenticated, Role::kPresenter},
      {"organizer only", PresenterPolicy::kOrganizerOnly, kBob,
       Role::kPresenter, Authentication::kAuthenticated, Role::kAttendee},
      {"everyone: an outsider", PresenterPolicy::kEveryone, kMallory,
       Role::kPresenter, Authentication::kAuthenticated, Role::kPresenter},
      {"everyone, but anonymous", PresenterPolicy::kEveryone, kMallory,
       Role::kPresenter, Authentication::kAnonymous, Role::kAttendee},
      {"asking for attendee", PresenterPolicy::kEveryone, kBob, Role::kAttendee,
       Authentication::kAuthenticated, Role::kAttendee},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    StoreOptions options = TestOptions();
    options.limits.max_conferences = 1;
    ConferenceStore store(options);
    const ConferenceId conference = AddConferenceWithPolicy(store, c.policy);
    EXPECT_EQ(GrantedTo(store, conference, c.user, c.asked, c.authentication),
              c.granted);
  }
}

TEST(PresenterPolicyTest, DomainsComparedWithoutCaseAndTenantsShareOne) {
  StoreOptions options = TestOptions();
  options.organization_domains = {"Fabrikam.com", "contoso.com"};
  ConferenceStore store(options);
  const ConferenceId conference =
      AddConferenceWithPolicy(store, PresenterPolicy::kOrganization);
  EXPECT_EQ(GrantedTo(store, conference, UserId("sip:erin@FABRIKAM.COM"),
                      Role::kPresenter),
            Role::kPresenter);
  EXPECT_EQ(GrantedTo(store, conference, UserId("sip:frank@contoso.com;gruu"),
                      Role::kPresenter),
            Role::kPresenter);
  EXPECT_EQ(GrantedTo(store, conference, kMallory, Role::kPresenter),
            Role::kAttendee);
}

TEST(PresenterPolicyTest, LeadersMayStillPromoteAnOutsider) {
  ConferenceStore store(TestOptions());
  const ConferenceId conference =
      AddConferenceWithPolicy(store, PresenterPolicy::kOrganizerOnly);
  ASSERT_EQ(GrantedTo(store, conference, kMallory, Role::kPresenter),
            Role::kAttendee);
  ModifyUserRolesRequest promote;
  promote.conference = conference;
  promote.requester = kAlice;
  promote.user = kMallory;
  promote.role = Role::kPresenter;
  ASSERT_THAT(store.ApplyModifyUserRoles(promote), IsOk());
  EXPECT_EQ(store.FindSnapshot(conference)->users.Find(kMallory)->role,
            Role::kPresenter);
}

TEST_F(ConferenceStoreTest, ALobbyUsersFocusSessionIsOnHoldUntilAdmitted) {
  const ConferenceId conference =
      AddConference(AdmissionPolicy::kClosedAuthenticated);
  AddUserRequest join;
  join.conference = conference;
  join.requester = kBob;
  join.user = FocusUser(kBob, Role::kAttendee);
  absl::StatusOr<MutationResult> joined = store_.ApplyAddUser(join);
  ASSERT_THAT(joined, IsOk());
  std::shared_ptr<const User> waiting = Snapshot(conference)->lobby.Find(kBob);
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->endpoints[0]->status, EndpointStatus::kOnHold);

  ASSERT_THAT(store_.ApplyLobbyDecision(
                  {conference, kAlice, kBob, LobbyDecision::kGrant}),
              IsOk());
  std::shared_ptr<const User> admitted = Snapshot(conference)->users.Find(kBob);
  ASSERT_NE(admitted, nullptr);
  EXPECT_EQ(admitted->endpoints[0]->status, EndpointStatus::kConnected);
}

TEST_F(ConferenceStoreTest, LobbyDecisionsAreOneChangeForEveryUser) {
  const ConferenceId conference =
      AddConference(AdmissionPolicy::kClosedAuthenticated);
  for (const UserId& user : {kBob, kCarol, kDave}) {
    ASSERT_THAT(Join(conference, user), IsOk());
  }
  const uint64_t version = Snapshot(conference)->version;
  absl::StatusOr<MutationResult> admitted = store_.ApplyLobbyDecisions(
      {conference, kAlice, {kBob, kCarol}, LobbyDecision::kGrant});
  ASSERT_THAT(admitted, IsOk());
  EXPECT_EQ(admitted->snapshot->version, version + 1);
  EXPECT_EQ(admitted->delta->users.size(), 4u);  // Two leave, two arrive.
  EXPECT_TRUE(admitted->snapshot->users.Contains(kBob));
  EXPECT_TRUE(admitted->snapshot->users.Contains(kCarol));
  EXPECT_TRUE(admitted->snapshot->lobby.Contains(kDave));
  EXPECT_EQ(admitted->snapshot->state->user_count, 2u);
}

TEST_F(ConferenceStoreTest,
       LobbyDecisionsChangeNothingWhenOneUserIsNotWaiting) {
  const ConferenceId conference =
      AddConference(AdmissionPolicy::kClosedAuthenticated);
  ASSERT_THAT(Join(conference, kBob), IsOk());
  ExpectFailsUnchanged(
      conference, absl::StatusCode::kNotFound, "is not in the lobby", [&] {
        return store_.ApplyLobbyDecisions(
            {conference, kAlice, {kBob, kCarol}, LobbyDecision::kGrant});
      });
  ExpectFailsUnchanged(
      conference, absl::StatusCode::kInvalidArgument, "named twice", [&] {
        return store_.ApplyLobbyDecisions(
            {conference, kAlice, {kBob, kBob}, LobbyDecision::kDeny});
      });
  ExpectFailsUnchanged(conference, absl::StatusCode::kPermissionDenied, "",
                       [&] {
                         return store_.ApplyLobbyDecisions(
                             {conference, kBob, {kBob}, LobbyDecision::kGrant});
                       });
}

TEST_F(ConferenceStoreTest, RotatingTheKeyStartsTheNextEpochWithNewBytes) {
  const ConferenceId conference = AddConference();
  ASSERT_THAT(Join(conference, kBob), IsOk());
  const ConferenceKey before = Snapshot(conference)->key;
  absl::StatusOr<MutationResult> rotated =
      store_.ApplyRotateKey({conference, kAlice});
  ASSERT_THAT(rotated, IsOk());
  const ConferenceKey& after = rotated->snapshot->key;
  EXPECT_EQ(after.epoch, before.epoch + 1);
  EXPECT_NE(after.bytes, before.bytes);
  for (uint8_t b : after.bytes) {
    EXPECT_EQ(__builtin_popcount(b) % 2, 1) << "DES odd parity";
  }
  // Subscribers learn of it through the description.
  EXPECT_NE(rotated->delta->description, nullptr);
  ExpectFailsUnchanged(conference, absl::StatusCode::kPermissionDenied, "",
                       [&] {
                         return store_.ApplyRotateKey({conference, kBob});
                       });
}

TEST_F(ConferenceStoreTest, ExpiryTimesAreParsedAndExpiredConferencesListed) {
  AddConferenceRequest soon;
  soon.organizer = kAlice;
  soon.description.expiry_time = "2027-01-01T10:00:00Z";
  absl::StatusOr<MutationResult> added =
      store_.ApplyAddConference(std::move(soon));
  ASSERT_THAT(added, IsOk());
  const ConferenceId conference = added->snapshot->entity;
  const absl::Time expiry = absl::FromUnixSeconds(1798797600);
  EXPECT_EQ(added->snapshot->expires_at, expiry);
  const ConferenceId forever = AddConference();
  EXPECT_EQ(Snapshot(forever)->expires_at, absl::InfiniteFuture());

  EXPECT_THAT(store_.ListExpired(expiry - absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(store_.ListExpired(expiry), ElementsAre(conference));

  AddConferenceRequest bad;
  bad.organizer = kBob;
  bad.description.expiry_time = "next tuesday";
  EXPECT_THAT(store_.ApplyAddConference(std::move(bad)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expiry-time is not an xs:dateTime")));
}

TEST(ParseExpiryTimeTest, AcceptsXsDateTimeWithAndWithoutAZone) {
  EXPECT_EQ(ParseExpiryTime(""), absl::InfiniteFuture());
  EXPECT_EQ(ParseExpiryTime("2027-01-01T10:00:00Z"),
            absl::FromUnixSeconds(1798797600));
  EXPECT_EQ(ParseExpiryTime("2027-01-01T12:00:00+02:00"),
            absl::FromUnixSeconds(1798797600));
  EXPECT_EQ(ParseExpiryTime("2027-01-01T10:00:00"),
            absl::FromUnixSeconds(1798797600));
  EXPECT_EQ(ParseExpiryTime("2027-01-01"), std::nullopt);
  EXPECT_EQ(ParseExpiryTime("garbage"), std::nullopt);
}

}  // namespace
}  // namespace engine
}  // namespace conf
