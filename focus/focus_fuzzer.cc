// Stateful libFuzzer target for the Focus: each input is a program, a
// byte-driven sequence of at most kMaxOperations operations on one in-memory
// Focus (seeded randomness, a fuzzer-driven clock, small limits and a small
// notification log, so that resynchronization, refresh catch-up and limit
// paths run):
//
//   - C3P requests built with codec/c3p_request_encoder.h from chosen
//     parameters: conferences (subject, conference id, expiry times past and
//     future, admission and presenter policies, MCU types), joins with
//     identities of every assurance, dial-outs through an MCU's mcuUri,
//     ejections, roles, locks, lobby decisions, endpoints, media, reads;
//   - the same requests with fuzzer bytes spliced into their bodies;
//   - Subscribe (new dialogs, refreshes with and without last_seen_version),
//     Poll (a client may lose the tail of a batch and refresh later),
//     unsubscribes (destroying the Subscription);
//   - ExpireConferences and a clock that moves, RotateConferenceKey, and
//     ConferenceStore::RemoveUserEverywhere.
//
// Invariants, checked after every step (a violation aborts with a message):
//   - every answer parses with the codec's XML reader as a cccp `response`
//     whose code is "success" exactly when C3pResult::success(), whose
//     failure reason is the one reported, and whose envelope is the
//     request's, swapped; an encoder-built request always gets one;
//   - on each subscription, notification versions rise by exactly one (the
//     first one is 1, last_seen_version + 1, or the refreshed subscription's
//     next); a notification's document carries its version and kind;
//   - every document applies to a testing::ReferenceSubscriber, and after a
//     Poll that leaves nothing waiting the subscriber's state equals a fresh
//     full document of the subscriber's view; a visible change wakes
//     on_ready, which never runs once the subscription is gone;
//   - a lobby user's getConference with a certificate is byte for byte the
//     answer without one (no key material, no encrypted URIs); a roster
//     member's carries the wrapped key;
//   - conference count, roster + lobby size, endpoints and media stay within
//     the store's limits, and the conference count matches the organizers'
//     lists; expiry, key rotation and RemoveUserEverywhere do what they say.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "codec/c3p_reason.h"
// The codec's XML reader (XmlDocument) is private to codec; its public
// header c3p_request.h declares it for its users.
#include "codec/c3p_request.h"
#include "codec/c3p_request_encoder.h"
#include "codec/conference_info.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "focus/notification.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/test_certificates.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::ReferenceSubscriber;

constexpr int kMaxOperations = 64;
constexpr size_t kSlots = 4;
constexpr size_t kMaxKnownConferences = 8;

constexpr const char* kUsers[] = {
    "sip:alice@fabrikam.com",   "sip:bob@fabrikam.com",
    "sip:carol@fabrikam.com",   "sip:dave@contoso.com",
    "sip:mallory@evil.example", "sip:anon-1@anonymous.invalid",
};
constexpr size_t kUserCount = sizeof(kUsers) / sizeof(kUsers[0]);

constexpr const char* kNoConference =
    "sip:nobody@fabrikam.com;gruu;opaque=app:conf:focus:id:NOPE";

// 2027-01-01T00:00:00Z.
constexpr int64_t kStartSeconds = 1798761600;

[[noreturn]] void Fail(absl::string_view what, absl::string_view detail = "") {
  std::fprintf(stderr, "focus_fuzzer: invariant violated: %.*s\n%.*s\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Reads the program: bytes from the front, zeros once they run out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value in [0, n).
  size_t Pick(size_t n) { return n == 0 ? 0 : Byte() % n; }
  bool Flip() { return (Byte() & 1) != 0; }
  template <typename T, size_t N>
  const T& From(const T (&values)[N]) {
    return values[Pick(N)];
  }
  std::string Bytes(size_t n) {
    std::string out;
    while (n-- > 0 && !empty())
      out.push_back(static_cast<char>(Byte()));
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// on_ready bookkeeping shared with the callback.
struct Wake {
  bool alive = true;
  int calls = 0;
};

// One SIP dialog of a client: its subscription and the reference subscriber
// that applies what it receives.
struct Slot {
  std::unique_ptr<Subscription> sub;
  std::shared_ptr<Wake> wake;
  ReferenceSubscriber ref;
  std::string user;
  std::string conference;
  // The version the next notification must carry, once one was seen on this
  // Subscription object; before that, the versions the first may carry, and
  // the one at which it may be a partial document (a refresh's catch-up).
  std::optional<uint32_t> next;
  std::vector<uint32_t> first_candidates;
  std::optional<uint32_t> partial_first;
  // The client lost notifications: nothing applies until it refreshes.
  bool lost = false;
  // A Poll handed out everything (on_ready is armed) and the wake-ups seen
  // by then.
  bool armed = false;
  int wakes_at_poll = 0;
  bool saw_deleted = false;
};

// A request as the SIP layer hands it over.
struct Request {
  std::string identity;
  IdentityAssurance assurance = IdentityAssurance::kAuthenticated;
  std::string contact;
  std::string epid;
  codec::RequestEnvelope envelope;
  std::string body;
  // Set for getConference: the certificate it carries ("" for none), and
  // the conference.
  bool is_get_conference = false;
  std::string certificate;
  std::string conference;
  bool is_add_conference = false;

  RequestContext Context() const {
    RequestContext context;
    context.identity = identity;
    context.assurance = assurance;
    context.contact = contact;
    context.epid = epid;
    return context;
  }
};

size_t CountOf(absl::string_view haystack, absl::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != absl::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class Program {
 public:
  Program(const uint8_t* data, size_t size) : in_(data, size) {
    const uint8_t config = in_.Byte();
    const uint8_t limits = in_.Byte();
    FocusOptions options = testing::SeededFocusOptions(1234);
    constexpr size_t kQueued[] = {1, 2, 4, 16};
    constexpr size_t kDeltaLog[] = {2, 4, 8, 32};
    options.max_queued_notifications = kQueued[config & 3];
    coalescing_ = (config & 4) != 0;
    options.notification_interval =
        coalescing_ ? absl::Seconds(5) : absl::ZeroDuration();
    options.store.delta_log_capacity = kDeltaLog[(config >> 3) & 3];
    options.rotate_key_on_ejection = (config & 0x20) == 0;
    lossy_ = (config & 0x40) != 0;
    constexpr size_t kMaxUsers[] = {2, 3, 4, 8};
    constexpr size_t kMaxConferences[] = {1, 2, 3, 4};
    options.store.limits.max_users_per_conference = kMaxUsers[limits & 3];
    options.store.limits.max_conferences = kMaxConferences[(limits >> 2) & 3];
    options.store.limits.max_endpoints_per_user = 1 + ((limits >> 4) & 1) * 2;
    options.store.limits.max_media_per_endpoint = 1 + ((limits >> 5) & 1);
    options.store.organization_domains = {"fabrikam.com"};
    options.crypto.wrap_threads = 1;
    options.clock = [now = now_] { return *now; };
    limits_ = options.store.limits;
    focus_ = std::make_unique<Focus>(std::move(options));
  }

  ~Program() {
    for (Slot& slot : slots_)
      EndSlot(slot);
  }

  void Run() {
    for (int op = 0; op < kMaxOperations && !in_.empty(); ++op) {
      Step();
      CheckStore();
    }
    FinalDrain();
  }

 private:
  // --- Choices ---------------------------------------------------------------

  std::string User() { return kUsers[in_.Pick(kUserCount)]; }

  std::string Conference() {
    const size_t n = in_.Pick(known_.size() + 1);
    return n < known_.size() ? known_[n] : std::string(kNoConference);
  }

  // Where a command goes: the conference, the sender's factory, elsewhere.
  std::string To(const std::string& conference, const std::string& from,
                 bool factory_first) {
    switch (in_.Pick(8)) {
      case 0:  // the other one of the two (no conference: a wrong one)
        if (!factory_first)
          return testing::FactoryOf(from);
        return conference.empty() ? kNoConference : conference;
      case 1:
        return kNoConference;
      default:
        return factory_first ? testing::FactoryOf(from) : conference;
    }
  }

  Request NewRequest(bool factory_first,
                     const std::string& conference = std::string()) {
    Request r;
    r.identity = User();
    switch (in_.Pick(8)) {
      case 0:
        r.assurance = IdentityAssurance::kAnonymous;
        break;
      case 1:
        r.assurance = IdentityAssurance::kTrustedPeer;
        break;
      default:
        break;
    }
    if (in_.Pick(4) == 0) {
      r.contact = absl::StrCat(r.identity, ";opaque=user:epid:HT07tI;gruu");
    }
    if (in_.Pick(4) == 0)
      r.epid = "HT07tI";
    // Now and then the envelope names someone else (unauthorized).
    const std::string from = in_.Pick(16) == 0 ? User() : r.identity;
    r.envelope = {absl::StrCat(++request_id_), from,
                  To(conference, from, factory_first)};
    return r;
  }

  std::string ExpiryTime() {
    constexpr const char* kExpiry[] = {
        "",
        "2026-12-31T23:00:00Z",       // past
        "2027-01-01T00:00:00Z",       // exactly the start
        "2027-01-01T00:00:30Z",       // soon
        "2027-01-01T01:00:00Z",       // later
        "2027-01-02T00:00:00Z",       // tomorrow
        "2027-01-01T00:10:00+01:00",  // 23:10 the day before
        "2027-01-01T00:10:00",        // no zone: UTC
        "not-a-date",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "2027-02-30T00:00:00Z",
    };
    return in_.From(kExpiry);
  }

  codec::AddConferenceSpec Spec(bool with_mcus) {
    constexpr const char* kSubjects[] = {"", "standup", "a <b> & \"c\""};
    constexpr const char* kIds[] = {"", "", "ABC123", "XYZ789"};
    constexpr const char* kAdmission[] = {
        "", "closedAuthenticated", "openAuthenticated", "anonymous", "bogus"};
    constexpr const char* kPresenter[] = {"", "disabled", "sameEnterprise",
                                          "everyone", "whoever"};
    constexpr const char* kMcus[] = {
        "chat",       "audio-video",        "meeting",
        "phone-conf", "applicationsharing", "bogus"};
    codec::AddConferenceSpec spec;
    spec.subject = in_.From(kSubjects);
    spec.conference_id = in_.From(kIds);
    spec.expiry_time = ExpiryTime();
    spec.admission_policy = in_.From(kAdmission);
    spec.presenter_policy = in_.From(kPresenter);
    if (with_mcus) {
      const uint8_t mask = in_.Byte();
      for (size_t i = 0; i < 6; ++i) {
        // "bogus" only now and then.
        if (((mask >> i) & 1) != 0 && (i != 5 || (mask & 0xC0) == 0xC0))
          spec.mcu_types.push_back(kMcus[i]);
      }
    }
    return spec;
  }

  engine::Role Role() {
    constexpr engine::Role kRoles[] = {engine::Role::kAttendee,
                                       engine::Role::kPresenter,
                                       engine::Role::kOrganizer};
    return in_.From(kRoles);
  }

  engine::EndpointStatus Status() {
    constexpr engine::EndpointStatus kStatuses[] = {
        engine::EndpointStatus::kPending,
        engine::EndpointStatus::kDialingOut,
        engine::EndpointStatus::kDialingIn,
        engine::EndpointStatus::kAlerting,
        engine::EndpointStatus::kOnHold,
        engine::EndpointStatus::kConnected,
        engine::EndpointStatus::kMutedViaFocus,
        engine::EndpointStatus::kDisconnecting,
        engine::EndpointStatus::kDisconnected,
    };
    return in_.From(kStatuses);
  }

  engine::MediaStatus MediaStatus() {
    constexpr engine::MediaStatus kStatuses[] = {
        engine::MediaStatus::kRecvOnly, engine::MediaStatus::kSendOnly,
        engine::MediaStatus::kSendRecv, engine::MediaStatus::kInactive};
    return in_.From(kStatuses);
  }

  std::string EndpointEntity() {
    constexpr const char* kEndpoints[] = {
        "{EP-0}", "{EP-1}", "{EP-2}", "{09AA504C-BA41-4458-8669-8F35470F6CA2}"};
    return in_.From(kEndpoints);
  }

  std::string MediaId() {
    constexpr const char* kMedia[] = {"1", "2", "3"};
    return in_.From(kMedia);
  }

  engine::Endpoint Endpoint() {
    constexpr const char* kSessionTypes[] = {"", "focus", "audio-video", "chat",
                                             "applicationsharing"};
    constexpr const char* kUris[] = {"", "tel:+14255550100",
                                     "sip:bob@fabrikam.com;gruu"};
    constexpr const char* kMediaTypes[] = {"audio", "video", "chat"};
    engine::Endpoint endpoint;
    endpoint.entity = engine::EndpointId(EndpointEntity());
    endpoint.session_type = in_.From(kSessionTypes);
    endpoint.endpoint_uri = in_.From(kUris);
    endpoint.refer_to_uri = in_.From(kUris);
    if (in_.Flip())
      endpoint.status = Status();
    const size_t media = in_.Pick(3);
    for (size_t i = 0; i < media; ++i) {
      engine::Media m;
      m.id = engine::MediaId(MediaId());
      m.type = in_.From(kMediaTypes);
      if (in_.Flip())
        m.status = MediaStatus();
      endpoint.media.push_back(std::make_shared<const engine::Media>(m));
    }
    return endpoint;
  }

  engine::User UserWithEndpoints(const std::string& entity) {
    engine::User user;
    user.entity = engine::UserId(entity);
    user.role = Role();
    const size_t endpoints = in_.Pick(3);
    for (size_t i = 0; i < endpoints; ++i) {
      user.endpoints.push_back(
          std::make_shared<const engine::Endpoint>(Endpoint()));
    }
    return user;
  }

  // An MCU of `conference` (its entity-view URI), or a wrong one.
  std::string McuUri(const std::string& conference) {
    std::shared_ptr<const engine::ConferenceSnapshot> s =
        focus_->store().FindSnapshot(engine::ConferenceId(conference));
    const size_t views = s == nullptr ? 0 : s->views.size();
    const size_t n = in_.Pick(views + 2);
    if (n < views)
      return std::string(s->views[n]->entity.view());
    return n == views ? "" : "sip:nobody;gruu;opaque=app:conf:chat:id:X";
  }

  std::string Certificate() {
    switch (in_.Pick(4)) {
      case 0:
        return "";
      case 1:
        return testing::RsaIdentity(1024).certificate_base64;
      case 2:
        return testing::ExtraRsaIdentity(1024, 1).certificate_base64;
      default:
        return "TUlJQm9n";  // not a certificate
    }
  }

  // --- Requests --------------------------------------------------------------

  // One request of a kind the program picks.
  Request Build() {
    const size_t kind = in_.Pick(17);
    if (kind == 0) {
      Request r = NewRequest(/*factory_first=*/true);
      r.is_add_conference = true;
      r.body = codec::EncodeAddConferenceRequest(r.envelope, Spec(true));
      return r;
    }
    if (kind == 15) {
      Request r = NewRequest(/*factory_first=*/true);
      constexpr const char* kEmpty[] = {"getConferences",
                                        "getAvailableMcuTypes",
                                        "getConferencingCapabilities", "ping"};
      if (in_.Flip()) {
        r.body = codec::EncodeGetConferencesRequest(
            r.envelope, in_.Flip() ? codec::ConferencesToList::kStaticOnly
                                   : codec::ConferencesToList::kAll);
      } else {
        r.body = codec::EncodeEmptyCommandRequest(r.envelope, in_.From(kEmpty));
      }
      return r;
    }
    const std::string conference = Conference();
    Request r =
        NewRequest(/*factory_first=*/kind == 1 || kind == 2, conference);
    r.conference = conference;
    const codec::RequestEnvelope& e = r.envelope;
    switch (kind) {
      case 1:
        r.body =
            codec::EncodeModifyConferenceRequest(e, conference, Spec(false));
        break;
      case 2:
        r.body = codec::EncodeDeleteConferenceRequest(e, conference);
        break;
      case 3:  // a join: the user is the requester
        r.body = codec::EncodeAddUserRequest(e, conference,
                                             UserWithEndpoints(r.identity));
        break;
      case 4: {  // a dial-out
        const std::string callee = User();
        r.body = codec::EncodeAddUserRequest(
            e, conference, UserWithEndpoints(callee), McuUri(conference));
        break;
      }
      case 5:
        r.body = codec::EncodeDeleteUserRequest(e, conference, User());
        break;
      case 6:
        r.body =
            codec::EncodeModifyUserRolesRequest(e, conference, User(), Role());
        break;
      case 7:
        r.body = codec::EncodeModifyConferenceLockRequest(
            e, conference,
            in_.Flip() ? engine::LockState::kLocked
                       : engine::LockState::kUnlocked);
        break;
      case 8: {
        const std::string user = User();
        const std::string endpoint = EndpointEntity();
        const std::string media = MediaId();
        r.body = codec::EncodeModifyEndpointMediaRequest(
            e, conference, user, endpoint, media, MediaStatus());
        break;
      }
      case 9: {
        const std::string user = User();
        const std::string endpoint = EndpointEntity();
        r.body = codec::EncodeModifyEndpointStatusRequest(e, conference, user,
                                                          endpoint, Status());
        break;
      }
      case 10: {
        const std::string user = User();
        r.body =
            codec::EncodeModifyEndpointRequest(e, conference, user, Endpoint());
        break;
      }
      case 11: {
        const std::string user = User();
        r.body = codec::EncodeDeleteEndpointRequest(e, conference, user,
                                                    EndpointEntity());
        break;
      }
      case 12: {
        std::vector<std::string> users;
        const uint8_t mask = in_.Byte();
        for (size_t i = 0; i < kUserCount; ++i) {
          if (((mask >> i) & 1) != 0)
            users.push_back(kUsers[i]);
        }
        r.body = codec::EncodeSetLobbyAccessRequest(
            e, conference, users,
            in_.Pick(4) == 0 ? engine::LobbyDecision::kDeny
                             : engine::LobbyDecision::kGrant);
        break;
      }
      case 13: {
        const std::string user = User();
        r.body = codec::EncodeEndorseUserRequest(
            e, conference, user,
            in_.Pick(4) == 0 ? engine::LobbyDecision::kDeny
                             : engine::LobbyDecision::kGrant);
        break;
      }
      default:  // 14, 16: getConference, the most common read
        r.is_get_conference = true;
        r.certificate = Certificate();
        r.body =
            codec::EncodeGetConferenceRequest(e, conference, r.certificate);
        break;
    }
    return r;
  }

  absl::StatusOr<C3pResult> Send(const Request& r, absl::string_view body) {
    return focus_->HandleRequest(r.Context(), body);
  }

  // Checks an answer: a C3P response whose code says what `result` says,
  // addressed back to the sender when `envelope` is known.
  void CheckAnswer(const absl::StatusOr<C3pResult>& result,
                   const codec::RequestEnvelope* envelope) {
    if (!result.ok()) {
      if (envelope != nullptr) {
        Fail("an encoder-built request got no C3P answer",
             result.status().ToString());
      }
      return;
    }
    const std::string& body = result->body;
    absl::StatusOr<codec::XmlDocument> doc = codec::XmlDocument::Parse(
        std::vector<char>(body.begin(), body.end()),
        codec::ParseLimits{body.size() + 1, 256, 1 << 20, 1 << 20});
    if (!doc.ok())
      Fail("response is not well-formed XML", body);
    const codec::XmlElement& root = doc->root();
    if (!root.Is(codec::kCccpNamespace, "response"))
      Fail("response root is not cccp:response", body);
    const codec::XmlAttribute* code = root.FindAttribute("", "code");
    if (code == nullptr)
      Fail("response has no code", body);
    if ((code->value == "success") != result->success())
      Fail("response code disagrees with C3pResult::success()", body);
    if (!result->success()) {
      if (code->value != "failure")
        Fail("failed response's code is not failure", body);
      const codec::XmlAttribute* reason = nullptr;
      if (root.first_child != nullptr)
        reason = root.first_child->FindAttribute("", "reason");
      if (reason == nullptr)
        reason = root.FindAttribute("", "reason");
      if (reason == nullptr ||
          reason->value != codec::C3pReasonName(*result->failure)) {
        Fail("failed response's reason is not the one reported", body);
      }
    }
    if (envelope != nullptr) {
      const codec::XmlAttribute* id = root.FindAttribute("", "requestId");
      const codec::XmlAttribute* from = root.FindAttribute("", "from");
      const codec::XmlAttribute* to = root.FindAttribute("", "to");
      if (id == nullptr || from == nullptr || to == nullptr ||
          id->value != envelope->request_id || from->value != envelope->to ||
          to->value != envelope->from) {
        Fail("response is not addressed back to the sender", body);
      }
    }
  }

  void SendBuilt() {
    const Request r = Build();
    std::shared_ptr<const engine::ConferenceSnapshot> before;
    if (r.is_get_conference) {
      before = focus_->store().FindSnapshot(engine::ConferenceId(r.conference));
    }
    const absl::StatusOr<C3pResult> result = Send(r, r.body);
    CheckAnswer(result, &r.envelope);
    if (!result.ok())
      return;
    if (r.is_add_conference && result->success())
      RememberConference(result->body);
    if (r.is_get_conference && result->success())
      CheckGetConference(r, *result, before);
  }

  void RememberConference(const std::string& body) {
    const size_t at = body.find("entity=\"");
    if (at == std::string::npos)
      Fail("addConference success without an entity", body);
    const size_t begin = at + 8;
    const std::string entity =
        body.substr(begin, body.find('"', begin) - begin);
    for (const std::string& known : known_) {
      if (known == entity)
        return;
    }
    if (known_.size() < kMaxKnownConferences)
      known_.push_back(entity);
  }

  // Key material goes to admitted members only.
  void CheckGetConference(
      const Request& r, const C3pResult& result,
      const std::shared_ptr<const engine::ConferenceSnapshot>& before) {
    const std::string document = testing::EmbeddedDocument(result.body);
    if (!testing::ParseConferenceInfoForTest(document).ok())
      Fail("getConference document does not parse", result.body);
    if (r.certificate.empty() || before == nullptr)
      return;
    const engine::UserId requester{absl::string_view(r.identity)};
    const bool in_lobby =
        before->lobby.Contains(requester) && !before->users.Contains(requester);
    const bool in_roster = before->users.Contains(requester);
    if (!in_lobby && !in_roster)
      return;
    // The same request without the certificate, same envelope: no change
    // happened in between, so only secrets may differ.
    const absl::StatusOr<C3pResult> plain = Send(
        r, codec::EncodeGetConferenceRequest(r.envelope, r.conference, ""));
    CheckAnswer(plain, &r.envelope);
    if (!plain->success())
      Fail("getConference succeeds with a certificate only", plain->body);
    if (in_lobby && plain->body != result.body)
      Fail("a lobby user's getConference with a certificate differs",
           result.body);
    if (in_roster && r.certificate != "TUlJQm9n" &&
        CountOf(result.body, "cms-data>") <=
            CountOf(plain->body, "cms-data>")) {
      Fail("a member's getConference with a certificate has no key",
           result.body);
    }
  }

  // The body of a built request with fuzzer bytes spliced in.
  void SendMutated() {
    const Request r = Build();
    std::string body = r.body;
    const size_t at =
        ((size_t{in_.Byte()} << 8) | in_.Byte()) % (body.size() + 1);
    const uint8_t mode = in_.Byte();
    const std::string bytes = in_.Bytes(mode & 0x1F);
    switch ((mode >> 5) % 3) {
      case 0:
        body.insert(at, bytes);
        break;
      case 1:
        body.replace(at, bytes.size(), bytes);
        break;
      default:
        body.erase(at, (mode & 0x1F) + 1);
        break;
    }
    CheckAnswer(Send(r, body), nullptr);
  }

  // --- Subscriptions ---------------------------------------------------------

  void EndSlot(Slot& slot) {
    if (slot.wake != nullptr)
      slot.wake->alive = false;
    slot.sub.reset();
    slot.wake.reset();
  }

  void Subscribe() {
    Slot& slot = slots_[in_.Pick(kSlots)];
    const std::string user = User();
    const std::string conference = Conference();
    const size_t seen_mode = in_.Pick(4);
    constexpr uint32_t kClaimed[] = {0, 1, 3, 100, 0x7FFFFFFF};
    const uint32_t claimed = in_.From(kClaimed);

    bool refresh = slot.sub != nullptr && !slot.sub->ended() &&
                   slot.user == user && slot.conference == conference;
    if (!refresh) {
      EndSlot(slot);
      slot.ref = ReferenceSubscriber();
      slot.lost = false;
    }
    SubscribeRequest request;
    request.subscription_id = absl::StrCat("dialog-", &slot - slots_);
    request.user = user;
    request.conference = conference;
    if (refresh && seen_mode != 0) {
      // An honest client says what it applied.
      request.last_seen_version = slot.ref.version();
    } else if (!refresh && seen_mode == 3) {
      // A client that saw versions from a focus that forgot it.
      request.last_seen_version = claimed;
    }
    auto wake = std::make_shared<Wake>();
    request.on_ready = [wake] {
      if (!wake->alive)
        Fail("on_ready called for an ended subscription");
      ++wake->calls;
    };

    const std::optional<uint32_t> last_seen = request.last_seen_version;
    std::shared_ptr<const engine::ConferenceSnapshot> s =
        focus_->store().FindSnapshot(engine::ConferenceId(conference));
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        focus_->Subscribe(std::move(request));
    const engine::UserId uid{absl::string_view(user)};
    const bool member =
        s != nullptr && (s->organizer == uid || s->users.Contains(uid) ||
                         s->lobby.Contains(uid));
    if (s == nullptr) {
      if (sub.ok() || sub.status().code() != absl::StatusCode::kNotFound)
        Fail("subscribe to a missing conference", sub.status().ToString());
      return;
    }
    if (!member) {
      if (sub.ok() ||
          sub.status().code() != absl::StatusCode::kPermissionDenied) {
        Fail("a stranger subscribed", sub.status().ToString());
      }
      return;
    }
    if (!sub.ok())
      Fail("a member could not subscribe", sub.status().ToString());

    std::vector<uint32_t> candidates;
    std::optional<uint32_t> partial_first;
    if (refresh) {
      if (slot.next.has_value()) {
        candidates.push_back(*slot.next);
      } else {
        candidates = slot.first_candidates;
      }
      if (last_seen.has_value()) {
        candidates.push_back(*last_seen + 1);
        partial_first = *last_seen + 1;
      }
      EndSlot(slot);  // the refresh ended the old one
      slot.lost = false;
    } else {
      candidates.push_back(last_seen.has_value() ? *last_seen + 1 : 1);
    }
    slot.sub = *std::move(sub);
    slot.wake = std::move(wake);
    slot.user = user;
    slot.conference = conference;
    slot.next.reset();
    slot.first_candidates = std::move(candidates);
    slot.partial_first = partial_first;
    slot.armed = false;
    slot.saw_deleted = false;
  }

  // Polls `slot`; `drop_from`: the client loses notifications from this
  // index of the batch on.
  void Poll(Slot& slot, size_t drop_from, absl::Time now) {
    if (slot.sub == nullptr)
      return;
    const std::string before = slot.ref.Canonical();
    const bool woken = slot.wake->calls > slot.wakes_at_poll;
    const std::vector<Notification> notes = slot.sub->Poll(now);
    bool changed_visibly = false;
    for (size_t i = 0; i < notes.size(); ++i) {
      const Notification& n = notes[i];
      const std::string bytes = n.Bytes();
      if (slot.saw_deleted)
        Fail("a notification after the deleted document", bytes);
      if (slot.next.has_value()) {
        if (n.version != *slot.next) {
          Fail(absl::StrCat("version ", n.version, " after ", *slot.next - 1),
               bytes);
        }
      } else {
        bool allowed = false;
        for (uint32_t v : slot.first_candidates)
          allowed |= v == n.version;
        if (!allowed)
          Fail(absl::StrCat("first version ", n.version), bytes);
        if (n.kind == DocumentKind::kPartial &&
            slot.partial_first != n.version) {
          Fail("a subscription starts with a partial document", bytes);
        }
      }
      slot.next = n.version + 1;
      absl::StatusOr<testing::ParsedDocument> parsed =
          testing::ParseConferenceInfoForTest(bytes);
      if (!parsed.ok() || !parsed->has_version ||
          parsed->version != n.version) {
        Fail("a notification does not carry its version", bytes);
      }
      constexpr const char* kStates[] = {"full", "partial", "deleted"};
      const char* state = kStates[static_cast<int>(n.kind)];
      if (parsed->state != state &&
          !(parsed->state.empty() && n.kind == DocumentKind::kFull)) {
        Fail("a notification's kind differs from its document", bytes);
      }
      if (n.kind == DocumentKind::kDeleted)
        slot.saw_deleted = true;
      if (lossy_ && i >= drop_from)
        slot.lost = true;
      if (slot.lost)
        continue;
      absl::StatusOr<ReferenceSubscriber::Outcome> applied =
          slot.ref.Apply(bytes);
      if (!applied.ok()) {
        Fail(absl::StrCat("a notification does not apply: ",
                          applied.status().ToString()),
             bytes);
      }
      if (*applied != ReferenceSubscriber::Outcome::kApplied)
        Fail("a notification was discarded", bytes);
      changed_visibly = true;
    }
    if (changed_visibly && slot.ref.Canonical() != before && slot.armed &&
        !woken && !coalescing_) {
      Fail("a visible change did not wake on_ready", slot.ref.Canonical());
    }
    slot.wakes_at_poll = slot.wake->calls;
    const bool ended = slot.sub->ended();
    if (slot.saw_deleted != ended)
      Fail("ended() disagrees with the deleted document");
    if (ended) {
      if (!slot.lost && !slot.ref.deleted())
        Fail("the subscriber did not learn of the deletion");
      EndSlot(slot);
      return;
    }
    slot.armed = true;
    CompareWithFresh(slot);
  }

  // After a Poll that left nothing waiting, the subscriber holds what a fresh
  // document shows it.
  void CompareWithFresh(Slot& slot) {
    if (slot.lost || !slot.ref.has_state() || slot.sub->NextDue().has_value())
      return;
    std::shared_ptr<const engine::ConferenceSnapshot> s =
        focus_->store().FindSnapshot(engine::ConferenceId(slot.conference));
    if (s == nullptr)
      Fail("a live subscription to a deleted conference after Poll");
    // A request would remove it first (and notify).
    if (s->expires_at <= *now_)
      return;
    const engine::UserId user{absl::string_view(slot.user)};
    const bool member = s->organizer == user || s->users.Contains(user) ||
                        s->lobby.Contains(user);
    std::string fresh;
    if (member) {
      Request r;
      r.identity = slot.user;
      r.envelope = {absl::StrCat(++request_id_), slot.user, slot.conference};
      const absl::StatusOr<C3pResult> got = Send(
          r,
          codec::EncodeGetConferenceRequest(r.envelope, slot.conference, ""));
      CheckAnswer(got, &r.envelope);
      if (!got->success())
        Fail("a member's getConference failed", got->body);
      fresh = testing::EmbeddedDocument(got->body);
    } else {
      fresh = codec::EncodeConferenceInfo(
                  *s, codec::Viewer{engine::ViewerRoleFor(*s, user), user})
                  .WithVersion(1);
    }
    ReferenceSubscriber reference;
    if (!reference.Apply(fresh).ok())
      Fail("a fresh document does not apply", fresh);
    if (reference.Canonical() != slot.ref.Canonical()) {
      Fail("subscriber state differs from a fresh document",
           absl::StrCat("subscriber:\n", slot.ref.Canonical(), "\nfresh:\n",
                        reference.Canonical()));
    }
  }

  void PollOne() {
    Slot& slot = slots_[in_.Pick(kSlots)];
    const uint8_t drop = in_.Byte();
    Poll(slot, (drop & 0x80) != 0 ? (drop & 7) : SIZE_MAX, *now_);
  }

  void FinalDrain() {
    focus_->ExpireConferences(*now_);
    CheckStore();
    const absl::Time later = *now_ + absl::Hours(24);
    for (Slot& slot : slots_)
      Poll(slot, SIZE_MAX, later);
  }

  // --- Focus and store events ------------------------------------------------

  void AdvanceClock() {
    constexpr int64_t kSteps[] = {0,   1,    29,    31,
                                  600, 3600, 86400, 400LL * 86400};
    *now_ += absl::Seconds(in_.From(kSteps));
  }

  void Expire() {
    AdvanceClock();
    const size_t removed = focus_->ExpireConferences(*now_);
    for (const std::string& c : known_) {
      auto s = focus_->store().FindSnapshot(engine::ConferenceId(c));
      if (s == nullptr)
        continue;
      if (s->expires_at <= *now_)
        Fail("ExpireConferences left an expired conference", c);
    }
    if (removed > focus_->options().store.limits.max_conferences)
      Fail("ExpireConferences removed more than there were");
  }

  void Rotate() {
    const std::string conference = Conference();
    const std::string identity = in_.Pick(4) == 0 ? "" : User();
    auto before =
        focus_->store().FindSnapshot(engine::ConferenceId(conference));
    const absl::Status rotated = focus_->RotateConferenceKey(
        RequestContext::Authenticated(identity), conference);
    auto after = focus_->store().FindSnapshot(engine::ConferenceId(conference));
    if (before == nullptr) {
      if (rotated.ok())
        Fail("rotated the key of a missing conference");
      return;
    }
    if (rotated.ok()) {
      if (after == nullptr || after->key.epoch != before->key.epoch + 1 ||
          after->key.bytes == before->key.bytes) {
        Fail("RotateConferenceKey did not start a new epoch");
      }
      const engine::UserId who{absl::string_view(identity)};
      auto u = before->users.Find(who);
      const bool leader = before->organizer == who ||
                          (u != nullptr && engine::IsLeader(u->role));
      if (!identity.empty() && !leader)
        Fail("a non-leader rotated the key", identity);
    } else if (after != nullptr && after->key != before->key) {
      Fail("a refused rotation changed the key", rotated.ToString());
    }
  }

  void RemoveEverywhere() {
    const std::string user = User();
    const engine::UserId uid{absl::string_view(user)};
    focus_->store().RemoveUserEverywhere(uid);
    if (!focus_->store().ListConferencesOf(uid).empty())
      Fail("RemoveUserEverywhere left the user somewhere", user);
  }

  // --- Invariants on the store -----------------------------------------------

  void CheckStore() {
    const engine::StoreLimits& limits = limits_;
    engine::ConferenceStore& store = focus_->store();
    if (store.conference_count() > limits.max_conferences)
      Fail("more conferences than max_conferences");
    size_t organized = 0;
    for (const char* organizer : kUsers) {
      const std::vector<engine::ConferenceId> list =
          store.ListConferencesOrganizedBy(engine::UserId(organizer));
      organized += list.size();
      for (const engine::ConferenceId& c : list) {
        std::shared_ptr<const engine::ConferenceSnapshot> s =
            store.FindSnapshot(c);
        if (s == nullptr)
          continue;  // listed, then gone: not in one thread
        if (s->users.size() + s->lobby.size() >
            limits.max_users_per_conference) {
          Fail("more users than max_users_per_conference", c.value());
        }
        if (s->state == nullptr || s->state->user_count != s->users.size())
          Fail("user-count is not the roster's size", c.value());
        for (const engine::UserMap* list_of : {&s->users, &s->lobby}) {
          for (const std::shared_ptr<const engine::User>& u : *list_of) {
            if (u->endpoints.size() > limits.max_endpoints_per_user)
              Fail("more endpoints than max_endpoints_per_user");
            for (const auto& e : u->endpoints) {
              if (e->media.size() > limits.max_media_per_endpoint)
                Fail("more media than max_media_per_endpoint");
            }
          }
        }
      }
    }
    if (organized != store.conference_count())
      Fail(absl::StrCat("conference_count ", store.conference_count(),
                        " but organizers list ", organized));
  }

  // --- The program -----------------------------------------------------------

  void Step() {
    const uint8_t op = in_.Byte();
    switch (op % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
        SendBuilt();
        break;
      case 6:
        SendMutated();
        break;
      case 7:
      case 8:
        Subscribe();
        break;
      case 9:
      case 10:
        PollOne();
        break;
      case 11:
        EndSlot(slots_[in_.Pick(kSlots)]);
        break;
      case 12:
        if (in_.Flip()) {
          Expire();
        } else {
          AdvanceClock();
        }
        break;
      case 13:
        Rotate();
        break;
      case 14:
        RemoveEverywhere();
        break;
      default:
        for (Slot& slot : slots_)
          Poll(slot, SIZE_MAX, *now_);
        break;
    }
  }

  Input in_;
  std::shared_ptr<absl::Time> now_ =
      std::make_shared<absl::Time>(absl::FromUnixSeconds(kStartSeconds));
  bool coalescing_ = false;
  bool lossy_ = false;
  engine::StoreLimits limits_;
  std::unique_ptr<Focus> focus_;
  std::vector<std::string> known_;
  int request_id_ = 0;
  // Declared after focus_: destroyed (unsubscribed) before it.
  Slot slots_[kSlots];
};

}  // namespace
}  // namespace focus
}  // namespace conf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  conf::focus::Program(data, size).Run();
  return 0;
}
