#include "engine/model.h"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "gtest/gtest.h"

#include "engine/internal/prefetch.h"

namespace conf {
namespace engine {
namespace {

std::shared_ptr<const Endpoint> MakeEndpoint(const std::string& entity,
                                             EndpointStatus status) {
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->entity = EndpointId(entity);
  endpoint->status = status;
  auto media = std::make_shared<Media>();
  media->id = MediaId("1");
  media->type = "audio";
  media->status = MediaStatus::kSendRecv;
  endpoint->media.push_back(std::move(media));
  return endpoint;
}

std::shared_ptr<const User> MakeUser(const std::string& entity, Role role) {
  auto user = std::make_shared<User>();
  user->entity = UserId(entity);
  user->role = role;
  user->endpoints.push_back(
      MakeEndpoint("{EP-" + entity + "}", EndpointStatus::kConnected));
  return user;
}

ConferenceSnapshot MakeSnapshot() {
  ConferenceSnapshot s;
  s.entity =
      ConferenceId("sip:alice@example.com;gruu;opaque=app:conf:focus:id:1");
  s.version = 3;
  s.organizer = UserId("sip:alice@example.com");
  auto description = std::make_shared<ConferenceDescription>();
  description->subject = "weekly";
  s.description = description;
  s.state = std::make_shared<ConferenceState>();
  s.users = s.users.Set(MakeUser("sip:alice@example.com", Role::kOrganizer));
  s.users = s.users.Set(MakeUser("sip:bob@example.com", Role::kAttendee));
  s.lobby = s.lobby.Set(MakeUser("sip:carol@example.com", Role::kAttendee));
  auto view = std::make_shared<EntityView>();
  view->entity = "sip:alice@example.com;gruu;opaque=app:conf:chat:id:1";
  view->mcu_type = "chat";
  view->state.locked = false;
  s.views.push_back(view);
  return s;
}

TEST(StrongIdTest, ComparesAndHashesByValue) {
  EXPECT_EQ(UserId("sip:a@x"), UserId(std::string("sip:a@x")));
  EXPECT_NE(UserId("sip:a@x"), UserId("sip:A@x"));  // Byte for byte.
  EXPECT_LT(UserId("sip:a@x"), UserId("sip:b@x"));
  EXPECT_EQ(absl::Hash<UserId>()(UserId("sip:a@x")),
            absl::Hash<UserId>()(UserId("sip:a@x")));
  EXPECT_TRUE(UserId().empty());
}

TEST(StrongIdTest, CopiesShareTheBytes) {
  const UserId id("sip:alice@fabrikam.com");
  const UserId copy = id;  // As the user index and deltas copy ids.
  EXPECT_EQ(copy.value().data(), id.value().data());
  EXPECT_EQ(sizeof(UserId), sizeof(void*));
}

TEST(BoxedTest, BehavesLikeOptional) {
  Boxed<Execution> box;
  EXPECT_FALSE(box.has_value());
  EXPECT_TRUE(box == std::nullopt);
  box = Execution{"2026-01-01T00:00:00Z", "bye", "sip:x@y"};
  ASSERT_TRUE(box);
  EXPECT_EQ(box->reason, "bye");
  Boxed<Execution> copy = box;
  copy->reason = "changed";  // Copy on write: `box` is unaffected.
  EXPECT_EQ(box->reason, "bye");
  EXPECT_EQ(copy->reason, "changed");
  EXPECT_NE(box, copy);
  copy->reason = "bye";
  EXPECT_EQ(box, copy);  // Equality is by value.
  copy = std::nullopt;
  EXPECT_FALSE(copy.has_value());
  Boxed<Execution> from_optional = std::optional<Execution>();
  EXPECT_FALSE(from_optional);
}

TEST(BoxedTest, CopiesShareUntilWrittenAndOutliveTheOriginal) {
  EXPECT_EQ(sizeof(Boxed<Execution>), sizeof(void*));
  auto box = std::make_unique<Boxed<Execution>>(
      Execution{"2026-01-01T00:00:00Z", "bye", "sip:x@y"});
  const Boxed<Execution> copy = *box;
  // Shared, not copied (const access does not copy).
  EXPECT_EQ(&*copy, &*std::as_const(*box));
  Boxed<Execution> moved = std::move(*box);
  EXPECT_FALSE(box->has_value());  // NOLINT(bugprone-use-after-move)
  box.reset();
  EXPECT_EQ(copy->reason, "bye");
  moved->when = "2026-01-02T00:00:00Z";  // Written: now its own value.
  EXPECT_NE(&*std::as_const(moved), &*copy);
  EXPECT_EQ(copy->when, "2026-01-01T00:00:00Z");
  Boxed<Execution> emplaced;
  emplaced.emplace().reason = "departed";
  EXPECT_EQ(emplaced->reason, "departed");
  emplaced.reset();
  EXPECT_EQ(emplaced, std::nullopt);
  Boxed<Execution> from_value = std::optional<Execution>(Execution{});
  EXPECT_TRUE(from_value.has_value());
}

TEST(BoxedVectorTest, BehavesLikeVector) {
  EXPECT_EQ(sizeof(BoxedVector<Extension>), sizeof(void*));
  BoxedVector<std::string> list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.begin(), list.end());
  const std::vector<std::string>& as_vector = list;
  EXPECT_TRUE(as_vector.empty());
  list.push_back("en-US");
  list.emplace_back("fr-FR");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], "en-US");
  EXPECT_EQ(list.back(), "fr-FR");
  EXPECT_EQ(list.get(), (std::vector<std::string>{"en-US", "fr-FR"}));
  list.erase(list.begin());
  EXPECT_EQ(list.get(), std::vector<std::string>{"fr-FR"});
  list = std::vector<std::string>{"de-DE"};
  EXPECT_EQ(list, BoxedVector<std::string>({"de-DE"}));
  list.clear();
  EXPECT_TRUE(list.empty());
}

TEST(BoxedVectorTest, CopiesShareUntilWritten) {
  BoxedVector<std::string> list = {"a", "b"};
  const BoxedVector<std::string> copy = list;
  EXPECT_EQ(&copy.get(), &std::as_const(list).get());
  list.push_back("c");  // Copy on write: `copy` is unaffected.
  EXPECT_EQ(copy.get(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(list.size(), 3u);
  EXPECT_NE(list, copy);
}

TEST(BoxedVectorTest, EmptiedEqualsUnset) {
  BoxedVector<std::string> emptied = {"a"};
  emptied.erase(emptied.begin());
  EXPECT_EQ(emptied, BoxedVector<std::string>());
  EXPECT_EQ(BoxedVector<std::string>(std::vector<std::string>()),
            BoxedVector<std::string>());
}

TEST(RenderSlotTest, FirstValueWinsAndCopiesStartEmpty) {
  User user;
  EXPECT_EQ(user.rendered.Get(), nullptr);
  auto first = std::make_shared<const std::string>("<user/>");
  auto second = std::make_shared<const std::string>("<other/>");
  EXPECT_EQ(user.rendered.SetOnce(first), first);
  EXPECT_EQ(user.rendered.SetOnce(second), first);
  EXPECT_EQ(user.rendered.Get(), first);
  User copy = user;
  EXPECT_EQ(copy.rendered.Get(), nullptr);
  EXPECT_EQ(copy, user);  // Slots never take part in equality.
}

TEST(EntityViewTest, CopiesShareEveryPartButTheirOwnFields) {
  EntityView view;
  view.entity = "sip:alice@fabrikam.com;gruu;opaque=app:conf:chat:id:5D3747C";
  view.mcu_type = "chat";
  view.capabilities = EntityCapabilities{};
  view.state.locked = false;
  view.state.media.push_back(EntityMedia{});
  view.extensions.push_back(Extension{"urn:x", "y", "<y xmlns=\"urn:x\"/>"});

  EntityView copy = view;
  copy.state.locked = true;
  EXPECT_EQ(copy.entity.block_address(), view.entity.block_address());
  EXPECT_EQ(internal::CountAddress(copy.capabilities),
            internal::CountAddress(view.capabilities));
  EXPECT_EQ(internal::CountAddress(copy.state.media),
            internal::CountAddress(view.state.media));
  EXPECT_EQ(internal::CountAddress(copy.extensions),
            internal::CountAddress(view.extensions));
  EXPECT_NE(copy, view);
  copy.state.locked = false;
  EXPECT_EQ(copy, view);

  // A delta's change names the view by the same bytes.
  const auto shared = std::make_shared<const EntityView>(view);
  const EntityViewChange change{ChangeKind::kFull, shared->entity, shared};
  EXPECT_EQ(change.entity.block_address(), view.entity.block_address());
}

TEST(WebJoinUrisTest, HoldsBothUrisAndStartsEmpty) {
  const WebJoinUris unset;
  EXPECT_EQ(unset.internal(), "");
  EXPECT_EQ(unset.external(), "");
  EXPECT_EQ(unset.block(), nullptr);

  const WebJoinUris uris("https://meet.example.com/alice/5D3747C",
                         "https://meet-external.example.com/alice/5D3747C");
  EXPECT_EQ(uris.internal(), "https://meet.example.com/alice/5D3747C");
  EXPECT_EQ(uris.external(), "https://meet-external.example.com/alice/5D3747C");
  EXPECT_NE(uris, unset);
  EXPECT_EQ(WebJoinUris("", ""), unset);

  // Either may be empty alone; the split is kept.
  const WebJoinUris internal_only("https://a/x", "");
  EXPECT_EQ(internal_only.internal(), "https://a/x");
  EXPECT_EQ(internal_only.external(), "");
  const WebJoinUris external_only("", "https://a/x");
  EXPECT_EQ(external_only.internal(), "");
  EXPECT_EQ(external_only.external(), "https://a/x");
  EXPECT_NE(internal_only, external_only);
}

TEST(WebJoinUrisTest, CopiesShareOneBlockAndOutliveTheOriginal) {
  auto original =
      std::make_unique<WebJoinUris>("https://a/int", "https://a/ext");
  const WebJoinUris copy = *original;
  EXPECT_EQ(copy.block(), original->block());
  EXPECT_EQ(copy.internal().data(), original->internal().data());
  // Equal by value, not by block.
  EXPECT_EQ(copy, WebJoinUris("https://a/int", "https://a/ext"));
  EXPECT_NE(copy, WebJoinUris("https://a/int", "https://a/other"));
  original.reset();
  EXPECT_EQ(copy.internal(), "https://a/int");
  EXPECT_EQ(copy.external(), "https://a/ext");
}

TEST(WebJoinUrisTest, SnapshotCopiesShareTheUris) {
  ConferenceSnapshot a;
  a.web_join = WebJoinUris("https://a/int", "https://a/ext");
  const ConferenceSnapshot b = a;
  EXPECT_EQ(b.web_join.block(), a.web_join.block());
  EXPECT_TRUE(SnapshotsEqual(a, b));
  ConferenceSnapshot c = a;
  c.web_join = WebJoinUris("https://a/int", "https://b/ext");
  EXPECT_FALSE(SnapshotsEqual(a, c));
}

TEST(EntityViewTest, CopiesShareMediaAndCapabilitiesUntilWritten) {
  EntityView view;
  view.entity = "sip:focus@example.com;gruu;opaque=app:conf:audio-video:id:1";
  view.capabilities.emplace();
  view.capabilities->supports_audio = true;
  EntityMedia audio;
  audio.label = "main-audio";
  audio.type = "audio";
  view.state.media.push_back(audio);
  view.state.locked = false;

  EntityView copy = view;
  // Through const references: non-const access would copy first.
  const EntityView& const_copy = copy;
  const EntityView& const_view = view;
  EXPECT_EQ(&const_copy.state.media.get(), &const_view.state.media.get());
  EXPECT_EQ(&*const_copy.capabilities, &*const_view.capabilities);
  EXPECT_EQ(copy, view);

  // Writing the copy leaves the original as it was.
  copy.state.locked = true;
  copy.state.media[0].display_text = "Audio";
  copy.capabilities->supports_video = false;
  EXPECT_EQ(view.state.media[0].display_text, "");
  EXPECT_FALSE(view.capabilities->supports_video.has_value());
  EXPECT_FALSE(*view.state.locked);
  EXPECT_NE(copy, view);
}

TEST(SnapshotsEqualTest, ComparesNestedValuesNotPointers) {
  ConferenceSnapshot a = MakeSnapshot();
  ConferenceSnapshot b = MakeSnapshot();  // Equal values, distinct objects.
  EXPECT_TRUE(SnapshotsEqual(a, b));
  auto bob =
      std::make_shared<User>(*b.users.Find(UserId("sip:bob@example.com")));
  auto endpoint = std::make_shared<Endpoint>(*bob->endpoints[0]);
  endpoint->status = EndpointStatus::kOnHold;
  bob->endpoints[0] = endpoint;
  b.users = b.users.Set(bob);
  EXPECT_FALSE(SnapshotsEqual(a, b));
}

TEST(SnapshotsEqualTest, LobbyAndRosterAreDistinct) {
  ConferenceSnapshot a = MakeSnapshot();
  ConferenceSnapshot b = MakeSnapshot();
  std::shared_ptr<const User> carol =
      b.lobby.Find(UserId("sip:carol@example.com"));
  b.lobby = b.lobby.Erase(carol->entity);
  b.users = b.users.Set(carol);
  EXPECT_FALSE(SnapshotsEqual(a, b));
}

TEST(ApplyDeltaTest, AppliesEveryKindOfChange) {
  ConferenceSnapshot before = MakeSnapshot();
  ConferenceSnapshot expected = before;
  expected.version = 4;

  ConferenceDelta delta;
  delta.conference = before.entity;
  delta.version = 4;
  // Description and state replaced.
  auto description = std::make_shared<ConferenceDescription>();
  description->subject = "renamed";
  delta.description = description;
  expected.description = description;
  auto state = std::make_shared<ConferenceState>();
  state->locked = true;
  delta.state = state;
  expected.state = state;
  // A user added in full.
  std::shared_ptr<const User> dave =
      MakeUser("sip:dave@example.com", Role::kPresenter);
  delta.users.push_back(
      {UserList::kRoster, ChangeKind::kFull, dave->entity, dave, {}});
  expected.users = expected.users.Set(dave);
  // A lobby user deleted.
  delta.users.push_back({UserList::kLobby,
                         ChangeKind::kDeleted,
                         UserId("sip:carol@example.com"),
                         nullptr,
                         {}});
  expected.lobby = expected.lobby.Erase(UserId("sip:carol@example.com"));
  // A partial user: role changed, one endpoint replaced, one added, one
  // deleted. The change carries only the endpoints that changed.
  std::shared_ptr<const User> bob =
      before.users.Find(UserId("sip:bob@example.com"));
  auto new_bob = std::make_shared<User>(*bob);
  new_bob->role = Role::kPresenter;
  std::shared_ptr<const Endpoint> added =
      MakeEndpoint("{NEW}", EndpointStatus::kDialingIn);
  new_bob->endpoints = {added};
  UserChange partial;
  partial.list = UserList::kRoster;
  partial.kind = ChangeKind::kPartial;
  partial.entity = bob->entity;
  partial.user = new_bob;
  partial.endpoints.push_back(
      {ChangeKind::kDeleted, bob->endpoints[0]->entity, nullptr});
  partial.endpoints.push_back({ChangeKind::kFull, added->entity, added});
  delta.users.push_back(partial);
  expected.users = expected.users.Set(new_bob);
  // A view replaced and one added.
  auto view = std::make_shared<EntityView>(*before.views[0]);
  view->state.locked = true;
  delta.views.push_back({ChangeKind::kFull, view->entity, view});
  auto av = std::make_shared<EntityView>();
  av->entity = "sip:alice@example.com;gruu;opaque=app:conf:audio-video:id:1";
  delta.views.push_back({ChangeKind::kFull, av->entity, av});
  expected.views = {view, av};

  ConferenceSnapshot after = ApplyDelta(before, delta);
  EXPECT_TRUE(SnapshotsEqual(after, expected));
  // Unchanged users are shared, not copied.
  EXPECT_EQ(after.users.Find(UserId("sip:alice@example.com")).get(),
            before.users.Find(UserId("sip:alice@example.com")).get());
  // The input snapshot is untouched.
  EXPECT_TRUE(SnapshotsEqual(before, MakeSnapshot()));
}

TEST(ApplyDeltaTest, DeletedViewIsRemoved) {
  ConferenceSnapshot before = MakeSnapshot();
  ConferenceDelta delta;
  delta.version = 4;
  delta.views.push_back(
      {ChangeKind::kDeleted, before.views[0]->entity, nullptr});
  EXPECT_TRUE(ApplyDelta(before, delta).views.empty());
}

TEST(ViewsTest, ViewerRoleFollowsRosterRole) {
  ConferenceSnapshot s = MakeSnapshot();
  EXPECT_EQ(ViewerRoleFor(s, UserId("sip:alice@example.com")),
            ViewerRole::kLeader);
  EXPECT_EQ(ViewerRoleFor(s, UserId("sip:bob@example.com")),
            ViewerRole::kAttendee);
  EXPECT_EQ(ViewerRoleFor(s, UserId("sip:carol@example.com")),
            ViewerRole::kLobbySelf);
  EXPECT_EQ(ViewerRoleFor(s, UserId("sip:stranger@example.com")),
            ViewerRole::kLobbySelf);
}

TEST(ViewsTest, LobbyVisibleToLeadersOnlyAndLobbyUsersSeeThemselves) {
  const UserId me("sip:me@x");
  const UserId other("sip:other@x");
  struct Case {
    ViewerRole role;
    UserList list;
    const UserId* user;
    bool visible;
  };
  const Case kCases[] = {
      {ViewerRole::kLeader, UserList::kRoster, &other, true},
      {ViewerRole::kLeader, UserList::kLobby, &other, true},
      {ViewerRole::kAttendee, UserList::kRoster, &other, true},
      {ViewerRole::kAttendee, UserList::kLobby, &other, false},
      {ViewerRole::kAttendee, UserList::kLobby, &me, false},
      {ViewerRole::kLobbySelf, UserList::kLobby, &me, true},
      {ViewerRole::kLobbySelf, UserList::kLobby, &other, false},
      {ViewerRole::kLobbySelf, UserList::kRoster, &other, false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(testing::Message()
                 << static_cast<int>(c.role) << " " << static_cast<int>(c.list)
                 << " " << c.user->value());
    EXPECT_EQ(IsUserVisible(c.role, me, c.list, *c.user), c.visible);
    UserChange change;
    change.list = c.list;
    change.entity = *c.user;
    EXPECT_EQ(IsChangeVisible(c.role, me, change), c.visible);
  }
}

}  // namespace
}  // namespace engine
}  // namespace conf
