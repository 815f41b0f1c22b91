// The focus as real clients meet it: joins that name only an endpoint, the
// presenter policy, anonymous and lobby users, dial-outs, setLobbyAccess,
// expiry and key rotation, and every command answered through the focus.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "codec/c3p_request_encoder.h"
#include "crypto/cms_reader.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::FocusHarness;
using ::conf::testing::IsOk;
using ::conf::testing::ReferenceSubscriber;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "sip:alice@fabrikam.com";  // The organizer.
constexpr char kBob[] = "sip:bob@fabrikam.com";
constexpr char kCarol[] = "sip:carol@fabrikam.com";
constexpr char kMallory[] = "sip:mallory@evil.example";
constexpr char kBobContact[] =
    "sip:bob@fabrikam.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;gruu";
constexpr char kGuid[] = "{09AA504C-BA41-4458-8669-8F35470F6CA2}";

RequestContext Context(
    absl::string_view identity, absl::string_view contact,
    absl::string_view epid = "",
    IdentityAssurance assurance = IdentityAssurance::kAuthenticated) {
  RequestContext context;
  context.identity = identity;
  context.contact = contact;
  context.epid = epid;
  context.assurance = assurance;
  return context;
}

class ProtocolTest : public ::testing::Test {
 protected:
  explicit ProtocolTest(FocusOptions options = testing::SeededFocusOptions())
      : h_(std::move(options)) {}

  void SetUp() override {
    ASSERT_FALSE(h_.AddConference(kAlice).empty());
    ASSERT_TRUE(h_.Join(kAlice, engine::Role::kPresenter).success());
  }

  std::shared_ptr<const engine::User> RosterUser(absl::string_view who) {
    return h_.Snapshot()->users.Find(engine::UserId(who));
  }

  C3pResult Lock(absl::string_view who) {
    return h_.Send(who, codec::EncodeModifyConferenceLockRequest(
                            h_.Envelope(who), h_.conference(),
                            engine::LockState::kLocked));
  }

  C3pResult Eject(absl::string_view who, absl::string_view user) {
    return h_.Send(who, codec::EncodeDeleteUserRequest(h_.Envelope(who),
                                                       h_.conference(), user));
  }

  C3pResult Promote(absl::string_view who, absl::string_view user) {
    return h_.Send(who, codec::EncodeModifyUserRolesRequest(
                            h_.Envelope(who), h_.conference(), user,
                            engine::Role::kPresenter));
  }

  FocusHarness h_;
};

// --- Joins -----------------------------------------------------------------

TEST_F(ProtocolTest, AJoinMakesTheNamedEndpointTheFocusSession) {
  const C3pResult joined =
      h_.Join(Context(kBob, kBobContact), engine::Role::kAttendee);
  ASSERT_TRUE(joined.success()) << joined.body;
  std::shared_ptr<const engine::User> bob = RosterUser(kBob);
  ASSERT_NE(bob, nullptr);
  ASSERT_EQ(bob->endpoints.size(), 1u);
  const engine::Endpoint& focus = *bob->endpoints[0];
  EXPECT_EQ(focus.entity.value(), kGuid);
  EXPECT_EQ(focus.session_type.view(), "focus");
  EXPECT_EQ(focus.endpoint_uri.view(), kBobContact);
  EXPECT_EQ(focus.status, engine::EndpointStatus::kConnected);
  EXPECT_EQ(focus.joining_method, engine::JoiningMethod::kDialedIn);
  // The response reports the user as admitted, focus session included.
  EXPECT_THAT(joined.body, HasSubstr("msci:session-type=\"focus\""));
  EXPECT_THAT(joined.body, HasSubstr(absl::StrCat("msci:endpoint-uri=\"",
                                                  kBobContact, "\"")));
  EXPECT_THAT(joined.body, HasSubstr("<status>connected</status>"));
}

TEST_F(ProtocolTest, AJoinWithoutAnEndpointGetsOneNamedAfterItsEpid) {
  const RequestContext context = Context(kBob, kBobContact, "HT07tI");
  engine::User bare;
  bare.entity = engine::UserId(kBob);
  ASSERT_TRUE(h_.Send(context, codec::EncodeAddUserRequest(
                                   h_.Envelope(kBob), h_.conference(), bare))
                  .success());
  std::shared_ptr<const engine::User> bob = RosterUser(kBob);
  ASSERT_NE(bob, nullptr);
  ASSERT_EQ(bob->endpoints.size(), 1u);
  EXPECT_EQ(bob->endpoints[0]->entity.value(), "{HT07tI}");
  EXPECT_EQ(bob->endpoints[0]->session_type.view(), "focus");
}

TEST_F(ProtocolTest, AnOutsiderAskingToPresentIsAnAttendeeWhoCannotLead) {
  const C3pResult joined = h_.Join(kMallory, engine::Role::kPresenter);
  ASSERT_TRUE(joined.success()) << joined.body;
  // The granted role is the one reported (PROTOCOL.md, addUser).
  EXPECT_THAT(joined.body, HasSubstr("<entry>attendee</entry>"));
  EXPECT_THAT(joined.body, Not(HasSubstr("<entry>presenter</entry>")));
  EXPECT_EQ(RosterUser(kMallory)->role, engine::Role::kAttendee);
  ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());

  const uint64_t version = h_.Version();
  EXPECT_EQ(Lock(kMallory).failure, codec::C3pReason::kUnauthorized);
  EXPECT_EQ(Eject(kMallory, kBob).failure, codec::C3pReason::kUnauthorized);
  EXPECT_EQ(Promote(kMallory, kMallory).failure,
            codec::C3pReason::kUnauthorized);
  EXPECT_EQ(h_.Version(), version);
  // A colleague of the organizer asking to present does present.
  ASSERT_TRUE(h_.Join(kCarol, engine::Role::kPresenter).success());
  EXPECT_EQ(RosterUser(kCarol)->role, engine::Role::kPresenter);
  // A leader may still promote the outsider.
  EXPECT_TRUE(Promote(kAlice, kMallory).success());
  EXPECT_EQ(RosterUser(kMallory)->role, engine::Role::kPresenter);
}

TEST(PresenterPolicyTest, TheOrganizerSetsItWhenSchedulingAndMayChangeIt) {
  FocusHarness h;
  codec::AddConferenceSpec spec;
  spec.presenter_policy = "disabled";
  ASSERT_FALSE(h.AddConference(kAlice, spec).empty());
  ASSERT_TRUE(h.Join(kAlice, engine::Role::kPresenter).success());
  EXPECT_EQ(h.Snapshot()->description->presenter_policy,
            engine::PresenterPolicy::kOrganizerOnly);
  ASSERT_TRUE(h.Join(kBob, engine::Role::kPresenter).success());
  EXPECT_EQ(h.Snapshot()->users.Find(engine::UserId(kBob))->role,
            engine::Role::kAttendee);
  // Documents carry it.
  const C3pResult got =
      h.Send(kAlice, codec::EncodeGetConferenceRequest(h.Envelope(kAlice),
                                                       h.conference(), ""));
  EXPECT_THAT(got.body, HasSubstr("<msci:automatic-leader-assignment>disabled"
                                  "</msci:automatic-leader-assignment>"));

  codec::AddConferenceSpec change;
  change.presenter_policy = "everyone";
  ASSERT_TRUE(h.Send(kAlice, codec::EncodeModifyConferenceRequest(
                                 h.Envelope(kAlice), h.conference(), change))
                  .success());
  ASSERT_TRUE(h.Join(kMallory, engine::Role::kPresenter).success());
  EXPECT_EQ(h.Snapshot()->users.Find(engine::UserId(kMallory))->role,
            engine::Role::kPresenter);

  change.presenter_policy = "whoever";
  EXPECT_EQ(h.Send(kAlice, codec::EncodeModifyConferenceRequest(
                               h.Envelope(kAlice), h.conference(), change))
                .failure,
            codec::C3pReason::kRequestMalformed);
}

TEST_F(ProtocolTest, AnAnonymousJoinWaitsInTheLobbyAndGetsNoKey) {
  const C3pResult joined =
      h_.Join(Context(kMallory, "", "", IdentityAssurance::kAnonymous),
              engine::Role::kPresenter);
  ASSERT_TRUE(joined.success()) << joined.body;
  std::shared_ptr<const engine::User> waiting =
      h_.Snapshot()->lobby.Find(engine::UserId(kMallory));
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->role, engine::Role::kAttendee);
  EXPECT_EQ(waiting->endpoints[0]->status, engine::EndpointStatus::kOnHold);
  const C3pResult got =
      h_.Send(kMallory, codec::EncodeGetConferenceRequest(
                            h_.Envelope(kMallory), h_.conference(),
                            testing::RsaIdentity(1024).certificate_base64));
  ASSERT_TRUE(got.success()) << got.body;
  EXPECT_THAT(got.body, Not(HasSubstr("conference-key")));
  EXPECT_THAT(got.body, Not(HasSubstr("encrypted-uri")));
  // Itself only.
  EXPECT_THAT(got.body,
              Not(HasSubstr(absl::StrCat("<user entity=\"", kAlice))));
  EXPECT_THAT(got.body, HasSubstr(absl::StrCat("<user entity=\"", kMallory)));
}

// --- Dial-outs (MS-CONFBAS 2.2.3.15) ---------------------------------------

TEST_F(ProtocolTest, DialOutsGoThroughTheImOrAvMcu) {
  const std::shared_ptr<const engine::ConferenceSnapshot> s = h_.Snapshot();
  std::string av_mcu;
  for (const auto& view : s->views) {
    if (view->mcu_type.view() == "audio-video")
      av_mcu = std::string(view->entity.view());
  }
  ASSERT_FALSE(av_mcu.empty());
  engine::User callee =
      testing::ClientJoin(kBob, engine::Role::kAttendee, "{DIAL-OUT-1}");
  // Without mscp:mcuUri, and with an MCU the conference does not have.
  EXPECT_EQ(h_.Send(kAlice, codec::EncodeAddUserRequest(
                                h_.Envelope(kAlice), h_.conference(), callee))
                .failure,
            codec::C3pReason::kRequestMalformed);
  EXPECT_EQ(h_.Send(kAlice, codec::EncodeAddUserRequest(
                                h_.Envelope(kAlice), h_.conference(), callee,
                                "sip:nobody;gruu;opaque=app:conf:chat:id:X"))
                .failure,
            codec::C3pReason::kMcuTypeNotAvailable);
  // An attendee may not dial out.
  ASSERT_TRUE(h_.Join(kCarol, engine::Role::kAttendee).success());
  EXPECT_EQ(
      h_.Send(kCarol, codec::EncodeAddUserRequest(
                          h_.Envelope(kCarol), h_.conference(), callee, av_mcu))
          .failure,
      codec::C3pReason::kUnauthorized);

  ASSERT_TRUE(
      h_.Send(kAlice, codec::EncodeAddUserRequest(
                          h_.Envelope(kAlice), h_.conference(), callee, av_mcu))
          .success());
  std::shared_ptr<const engine::User> bob = RosterUser(kBob);
  ASSERT_NE(bob, nullptr);
  const engine::Endpoint& call = *bob->endpoints[0];
  EXPECT_EQ(call.session_type.view(), "audio-video");
  EXPECT_EQ(call.status, engine::EndpointStatus::kDialingOut);
  EXPECT_EQ(call.joining_method, engine::JoiningMethod::kDialedOut);
  // Then the status the MCU reports.
  ASSERT_TRUE(
      h_.Send(kAlice, codec::EncodeModifyEndpointStatusRequest(
                          h_.Envelope(kAlice), h_.conference(), kBob,
                          "{DIAL-OUT-1}", engine::EndpointStatus::kConnected))
          .success());
  EXPECT_EQ(RosterUser(kBob)->endpoints[0]->status,
            engine::EndpointStatus::kConnected);
}

TEST(DialOutTest, TheSharingMcuDoesNotDialOut) {
  FocusHarness h;
  codec::AddConferenceSpec spec;
  spec.mcu_types = {"applicationsharing"};
  ASSERT_FALSE(h.AddConference(kAlice, spec).empty());
  std::string as_mcu;
  for (const auto& view : h.Snapshot()->views) {
    if (view->mcu_type.view() == "applicationsharing")
      as_mcu = std::string(view->entity.view());
  }
  ASSERT_FALSE(as_mcu.empty());
  EXPECT_EQ(
      h.Send(kAlice,
             codec::EncodeAddUserRequest(
                 h.Envelope(kAlice), h.conference(),
                 testing::ClientJoin(kBob, engine::Role::kAttendee), as_mcu))
          .failure,
      codec::C3pReason::kNotSupported);
}

// --- Lobby -----------------------------------------------------------------

TEST(LobbyTest, SetLobbyAccessAdmitsSeveralUsersInOneVersion) {
  FocusHarness h;
  codec::AddConferenceSpec spec;
  spec.admission_policy = "closedAuthenticated";
  ASSERT_FALSE(h.AddConference(kAlice, spec).empty());
  ASSERT_TRUE(h.Join(kAlice, engine::Role::kPresenter).success());
  for (const char* who : {kBob, kCarol, kMallory}) {
    ASSERT_TRUE(h.Join(who, engine::Role::kAttendee).success());
  }
  std::unique_ptr<Subscription> s = h.Subscribe(kAlice, "leader");
  ReferenceSubscriber alice;
  h.Drain(*s, alice);
  const uint64_t version = h.Version();
  // Naming one user who is not waiting changes nothing.
  EXPECT_EQ(h.Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                               h.Envelope(kAlice), h.conference(),
                               {kBob, "sip:nobody@fabrikam.com"},
                               engine::LobbyDecision::kGrant))
                .failure,
            codec::C3pReason::kUserDoesntExist);
  EXPECT_EQ(h.Version(), version);
  ASSERT_TRUE(h.Send(kAlice, codec::EncodeSetLobbyAccessRequest(
                                 h.Envelope(kAlice), h.conference(),
                                 {kBob, kCarol}, engine::LobbyDecision::kGrant))
                  .success());
  EXPECT_EQ(h.Version(), version + 1);
  const std::vector<Notification> notes = s->Poll();
  ASSERT_EQ(notes.size(), 1u);
  ASSERT_THAT(alice.Apply(notes[0].Bytes()), IsOk());
  EXPECT_EQ(alice.Canonical(), h.FreshCanonical(kAlice));
  EXPECT_TRUE(h.Snapshot()->users.Contains(engine::UserId(kBob)));
  EXPECT_TRUE(h.Snapshot()->users.Contains(engine::UserId(kCarol)));
  EXPECT_TRUE(h.Snapshot()->lobby.Contains(engine::UserId(kMallory)));
}

// --- Expiry ----------------------------------------------------------------

TEST(ExpiryTest, AnExpiredConferenceIsGoneAndItsSubscribersAreTold) {
  auto now = std::make_shared<absl::Time>(absl::FromUnixSeconds(1798790000));
  FocusOptions options = testing::SeededFocusOptions();
  options.clock = [now] { return *now; };
  FocusHarness h(std::move(options));
  codec::AddConferenceSpec spec;
  spec.expiry_time = "2027-01-01T10:00:00Z";  // 1798797600
  ASSERT_FALSE(h.AddConference(kAlice, spec).empty());
  ASSERT_TRUE(h.Join(kAlice, engine::Role::kPresenter).success());
  std::unique_ptr<Subscription> s = h.Subscribe(kAlice, "alice");
  ReferenceSubscriber alice;
  h.Drain(*s, alice);

  EXPECT_EQ(h.focus().ExpireConferences(*now), 0u);
  ASSERT_TRUE(h.Join(kBob, engine::Role::kAttendee).success());
  *now = absl::FromUnixSeconds(1798797600);
  // A request finds no conference, and removes it.
  const C3pResult late = h.Join(kCarol, engine::Role::kAttendee);
  EXPECT_EQ(late.failure, codec::C3pReason::kConferenceDoesntExist);
  EXPECT_EQ(h.Snapshot(), nullptr);
  std::vector<Notification> notes = s->Poll();
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.back().kind, DocumentKind::kDeleted);
  EXPECT_TRUE(s->ended());
}

TEST(ExpiryTest, ExpireConferencesRemovesWhatIsPastItsTime) {
  auto now = std::make_shared<absl::Time>(absl::FromUnixSeconds(1798790000));
  FocusOptions options = testing::SeededFocusOptions();
  options.clock = [now] { return *now; };
  FocusHarness h(std::move(options));
  codec::AddConferenceSpec soon;
  soon.expiry_time = "2027-01-01T10:00:00Z";
  const std::string expiring = h.AddConference(kAlice, soon);
  codec::AddConferenceSpec later;
  later.expiry_time = "2027-06-01T10:00:00Z";
  const std::string staying = h.AddConference(kBob, later);
  EXPECT_EQ(h.focus().ExpireConferences(absl::FromUnixSeconds(1798797600)), 1u);
  EXPECT_EQ(h.focus().store().FindSnapshot(engine::ConferenceId(expiring)),
            nullptr);
  EXPECT_NE(h.focus().store().FindSnapshot(engine::ConferenceId(staying)),
            nullptr);
  // getConference, on its own read path, finds it gone as well.
  *now = absl::FromUnixSeconds(1820000000);  // After 2027-06-01.
  EXPECT_EQ(h.Send(kBob, codec::EncodeGetConferenceRequest(
                             h.Envelope(kBob, staying), staying, ""))
                .failure,
            codec::C3pReason::kConferenceDoesntExist);
  EXPECT_EQ(h.focus().store().FindSnapshot(engine::ConferenceId(staying)),
            nullptr);
}

// --- Key rotation ----------------------------------------------------------

// The conference key in a getConference response, unwrapped with
// `identity`'s private key (hex), or "" when the response has none.
std::string KeyIn(const std::string& response,
                  const testing::TestIdentity& identity) {
  const size_t at = response.find("conference-key>");
  if (at == std::string::npos)
    return "";
  const size_t begin = response.find("cms-data>", at) + 9;
  const size_t end = response.find('<', begin);
  std::string der;
  if (!absl::Base64Unescape(response.substr(begin, end - begin), &der))
    return "";
  absl::StatusOr<crypto::ParsedEnvelopedData> parsed =
      crypto::ParseEnvelopedData(testing::Bytes(der));
  if (!parsed.ok())
    return "";
  absl::StatusOr<crypto::UnwrappedEnvelope> key =
      crypto::UnwrapEnvelopedData(*parsed, identity.key.get());
  if (!key.ok())
    return "";
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(key->key.bytes().data()), key->key.size()));
}

TEST_F(ProtocolTest, EjectingAUserRotatesTheKeyAndRewrapsItForMembers) {
  const testing::TestIdentity& bob_id = testing::RsaIdentity(1024);
  ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());
  ASSERT_TRUE(h_.Join(kCarol, engine::Role::kAttendee).success());
  auto get = [&] {
    return h_.Send(kBob, codec::EncodeGetConferenceRequest(
                             h_.Envelope(kBob), h_.conference(),
                             bob_id.certificate_base64));
  };
  const std::string old_key = KeyIn(get().body, bob_id);
  ASSERT_FALSE(old_key.empty());
  const uint32_t old_epoch = h_.Snapshot()->key.epoch;

  ASSERT_TRUE(Eject(kAlice, kCarol).success());
  EXPECT_EQ(h_.Snapshot()->key.epoch, old_epoch + 1);
  // Bob's new key was wrapped in the rotation's batch: his next request is
  // a cache hit, not a new RSA operation.
  const uint64_t misses = h_.focus().recipients().stats().wrapped_misses;
  const std::string new_key = KeyIn(get().body, bob_id);
  EXPECT_EQ(h_.focus().recipients().stats().wrapped_misses, misses);
  ASSERT_FALSE(new_key.empty());
  EXPECT_NE(new_key, old_key);
  // And it is the conference's current key.
  const engine::ConferenceKey& key = h_.Snapshot()->key;
  EXPECT_EQ(new_key, absl::BytesToHexString(absl::string_view(
                         reinterpret_cast<const char*>(key.bytes.data()),
                         key.bytes.size())));
}

TEST_F(ProtocolTest, OnlyLeadersRotateTheKey) {
  ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());
  const uint32_t epoch = h_.Snapshot()->key.epoch;
  EXPECT_THAT(h_.focus().RotateConferenceKey(
                  RequestContext::Authenticated(kBob), h_.conference()),
              testing::StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(h_.Snapshot()->key.epoch, epoch);
  EXPECT_THAT(h_.focus().RotateConferenceKey(
                  RequestContext::Authenticated(kAlice), h_.conference()),
              IsOk());
  EXPECT_EQ(h_.Snapshot()->key.epoch, epoch + 1);
  // Members hear of it: the description is re-sent.
  std::unique_ptr<Subscription> s = h_.Subscribe(kBob, "bob");
  ReferenceSubscriber bob;
  h_.Drain(*s, bob);
  ASSERT_THAT(h_.focus().RotateConferenceKey(
                  RequestContext::Authenticated(kAlice), h_.conference()),
              IsOk());
  std::vector<Notification> notes = s->Poll();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].Bytes(), HasSubstr("conference-description"));
}

// --- Every command through the focus ---------------------------------------

TEST_F(ProtocolTest, EveryCommandIsAnsweredThroughTheFocus) {
  ASSERT_TRUE(h_.Join(kBob, engine::Role::kAttendee).success());
  const std::string factory = testing::FactoryOf(kAlice);
  // getConferences, plain and static (confstate has no static conference).
  const C3pResult listed =
      h_.Send(kAlice, codec::EncodeEmptyCommandRequest(
                          h_.Envelope(kAlice, factory), "getConferences"));
  ASSERT_TRUE(listed.success()) << listed.body;
  EXPECT_THAT(listed.body, HasSubstr(h_.conference()));
  const C3pResult statics = h_.Send(
      kAlice,
      codec::EncodeGetConferencesRequest(
          h_.Envelope(kAlice, factory), codec::ConferencesToList::kStaticOnly));
  ASSERT_TRUE(statics.success()) << statics.body;
  EXPECT_THAT(statics.body, Not(HasSubstr(h_.conference())));
  // getConferencingCapabilities and getAvailableMcuTypes.
  const C3pResult caps = h_.Send(
      kAlice, codec::EncodeEmptyCommandRequest(h_.Envelope(kAlice, factory),
                                               "getConferencingCapabilities"));
  ASSERT_TRUE(caps.success()) << caps.body;
  EXPECT_THAT(caps.body, HasSubstr("<mcuType>chat</mcuType>"));
  EXPECT_TRUE(
      h_.Send(kAlice, codec::EncodeEmptyCommandRequest(
                          h_.Envelope(kAlice, factory), "getAvailableMcuTypes"))
          .success());
  // ping.
  EXPECT_TRUE(
      h_.Send(kBob, codec::EncodeEmptyCommandRequest(h_.Envelope(kBob), "ping"))
          .success());
  // modifyEndpoint: Bob reports an A/V endpoint, then a status, then
  // deletes it.
  engine::Endpoint av;
  av.entity = engine::EndpointId("{AV-1}");
  av.session_type = "audio-video";
  av.status = engine::EndpointStatus::kConnected;
  ASSERT_TRUE(h_.Send(kBob, codec::EncodeModifyEndpointRequest(
                                h_.Envelope(kBob), h_.conference(), kBob, av))
                  .success());
  ASSERT_EQ(RosterUser(kBob)->endpoints.size(), 2u);
  ASSERT_TRUE(h_.Send(kBob, codec::EncodeModifyEndpointStatusRequest(
                                h_.Envelope(kBob), h_.conference(), kBob,
                                "{AV-1}", engine::EndpointStatus::kOnHold))
                  .success());
  EXPECT_EQ(
      RosterUser(kBob)->FindEndpoint(engine::EndpointId("{AV-1}"))->status,
      engine::EndpointStatus::kOnHold);
  ASSERT_TRUE(
      h_.Send(kBob, codec::EncodeDeleteEndpointRequest(
                        h_.Envelope(kBob), h_.conference(), kBob, "{AV-1}"))
          .success());
  EXPECT_EQ(RosterUser(kBob)->endpoints.size(), 1u);
  // modifyConference from the focus factory: the subject changes.
  codec::AddConferenceSpec change;
  change.subject = "renamed";
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeModifyConferenceRequest(
                                  h_.Envelope(kAlice, factory), h_.conference(),
                                  change))
                  .success());
  EXPECT_EQ(h_.Snapshot()->description->subject, "renamed");
  // endorseUser admits a lobby user.
  ASSERT_TRUE(Lock(kAlice).success());
  ASSERT_TRUE(h_.Join(kCarol, engine::Role::kAttendee).success());
  ASSERT_TRUE(h_.Snapshot()->lobby.Contains(engine::UserId(kCarol)));
  ASSERT_TRUE(h_.Send(kAlice, codec::EncodeEndorseUserRequest(
                                  h_.Envelope(kAlice), h_.conference(), kCarol,
                                  engine::LobbyDecision::kGrant))
                  .success());
  EXPECT_TRUE(h_.Snapshot()->users.Contains(engine::UserId(kCarol)));
}

}  // namespace
}  // namespace focus
}  // namespace conf
