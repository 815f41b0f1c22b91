#include "tools/load/scenarios.h"

#include <algorithm>
#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "base/status_macros.h"
#include "codec/c3p_reason.h"
#include "codec/c3p_request_encoder.h"
#include "crypto/base64.h"
#include "crypto/self_signed.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "tools/load/client_requests.h"
#include "tools/load/latency_histogram.h"
#include "tools/load/roster_tracker.h"
#include "tools/load/subscription_follower.h"
#include "tools/load/version_log.h"

namespace conf {
namespace load {
namespace {

// Busy conferences a worker passes over before it waits for one.
constexpr int kLockTries = 4;

// Client identities for getConference: generated once, shared by all users.
constexpr int kIdentities = 8;
constexpr int kIdentityBits = 1024;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum Op {
  kGetConference,
  kJoin,
  kLeave,
  kMute,
  kRole,
  kEndpointStatus,
  kLock,
  kAdmit,
  kAudioVideo,
  kHostileMalformed,
  kHostileOversized,
  kHostileNested,
  kHostileSpoofedFrom,
  kHostileAttendeeLock,
  kHostileUnknownCommand,
  kOpCount,
};

constexpr const char* kOpNames[] = {
    "getConference",
    "addUser",
    "deleteUser",
    "modifyEndpointMedia",
    "modifyUserRoles",
    "modifyEndpoint",
    "modifyConferenceLock",
    "setLobbyAccess",
    "mcu:addAudioVideo",
    "hostile:malformed",
    "hostile:oversized",
    "hostile:nested",
    "hostile:spoofedFrom",
    "hostile:attendeeLock",
    "hostile:unknownCommand",
};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == kOpCount,
              "one name per operation");

// Weights of the valid operations. The chosen user decides some: one who is
// out joins (into the lobby while the conference is locked), one in the
// lobby is admitted or leaves, one present without audio gets its A/V
// endpoint, and `membership` makes a present one leave. `lock` toggles the
// conference's lock (the organizer).
struct Mix {
  double get_conference = 0;
  double membership = 0;
  double mute = 0;
  double role = 0;
  double endpoint_status = 0;
  double lock = 0;
};

Mix MixFor(absl::string_view scenario) {
  if (scenario == "getconference-flood")
    return {1, 0, 0, 0, 0};
  if (scenario == "join-storm")
    return {0, 1, 0, 0, 0};
  if (scenario == "roster-churn")
    return {0, 0.1, 0.4, 0.22, 0.22, 0.06};
  return {0.3, 0.2, 0.2, 0.13, 0.13, 0.04};  // mixed, soak
}

// The share of the churning members that are in the roster once a run has
// settled, so that set-up starts there and a run measures a steady state
// rather than rosters filling up. Per pick of a member (locked half the
// time when locks are in the mix, f = 1/2, else never): out -> lobby (f) or
// present (1 - f); lobby -> present or out (1/2 each); present without A/V
// -> with A/V; present with A/V -> out (q, the share of leaving among its
// operations). In the stationary distribution, relative to out = 1: lobby
// f, present without A/V 1 - f/2, with A/V (1 - f/2) / q.
double SteadyPresence(const Mix& mix) {
  const double present_ops =
      mix.membership + mix.mute + mix.role + mix.endpoint_status + mix.lock;
  if (mix.membership <= 0 || present_ops <= 0) {
    return 0.5;  // nobody comes or goes: any share is steady
  }
  const double q = mix.membership / present_ops;
  const double f = mix.lock > 0 ? 0.5 : 0;
  const double present = (1 - f / 2) * (1 + 1 / q);
  return present / (1 + f + present);
}

// Outcome names with static storage, as OpResult requires.
absl::string_view StatusOutcome(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "status:invalid_argument";
    case absl::StatusCode::kResourceExhausted:
      return "status:resource_exhausted";
    default:
      return "status:other";
  }
}

struct Member {
  std::string uri;
  bool present = false;   // in the roster
  bool in_lobby = false;  // waiting in the lobby
  // Present, and the A/V MCU has reported its audio-video endpoint.
  bool audio_video = false;
  engine::Role role = engine::Role::kAttendee;
  bool muted = false;
  bool on_hold = false;
};

struct Conf {
  std::string entity;
  engine::ConferenceId id;
  // The organizer and the stayers (attendees who never leave): members
  // [0, stayers), whose URIs readers take without the lock.
  std::vector<std::string> stayers;
  // Orders the tool's mutating and hostile requests to this conference:
  // held across one request and the version reads around it, never across
  // a Poll. The tool's requests are then the only writers of the
  // conference's version, so each knows the version it produced.
  Mutex mu;
  // members[0] is the organizer; [1, stayers) never leave; the rest churn.
  std::vector<Member> members ABSL_GUARDED_BY(mu);
  bool locked ABSL_GUARDED_BY(mu) = false;
  // Which request made each version; written under mu, read by followers.
  VersionLog log;
  // The two large hostile requests (about 70 KB each), built once at
  // set-up: an attacker replays the same bytes, and building them per
  // request would be the tool's time, not the focus's.
  std::string oversized_body;
  std::string nested_body;
  // Fixed once set up.
  std::vector<std::unique_ptr<SubscriptionFollower>> followers;
};

// One worker thread's state: only that thread touches it during the run.
struct alignas(64) Worker {
  explicit Worker(uint64_t seed) : rng(seed) {}

  std::mt19937_64 rng;
  // Response buffers, kept across requests as a SIP thread keeps its send
  // buffer. Hostile requests get their own: a request the focus cannot
  // answer in C3P leaves its buffer unspecified.
  focus::C3pResult reply;
  focus::C3pResult hostile_reply;
  FollowerStats follow;
  int64_t handle_ns = 0;  // inside HandleRequest
  int64_t mcu_ns = 0;     // inside the A/V MCU's reports (ApplySetEndpoint)
  int64_t hostile = 0;
};

}  // namespace

class LoadScenario::Impl {
 public:
  Impl(std::string name, const ScenarioOptions& options)
      : name_(std::move(name)), options_(options), mix_(MixFor(name_)) {
    // One per worker, and one more for set-up and the final checks.
    for (int w = 0; w <= options.threads; ++w) {
      workers_.push_back(std::make_unique<Worker>(options.seed * 1000003 +
                                                  static_cast<uint64_t>(w)));
    }
    stayers_ = std::max(2, options.subscribers);
  }

  absl::Status SetUp();
  OpResult RunOne(int worker);
  void Finish(RunReport& report);
  void AcceptForTest(size_t conference, size_t subscription,
                     const codec::EncodedDocument& document);

  std::map<std::string, int64_t> Gauges() {
    int64_t roster = 0;
    int64_t lobby = 0;
    for (const auto& c : confs_) {
      // A conference the tool made is never deleted; kNotFound cannot
      // happen.
      focus_->store()
          .Read(c->id,
                [&](const engine::ConferenceSnapshot& s) {
                  roster += static_cast<int64_t>(s.users.size());
                  lobby += static_cast<int64_t>(s.lobby.size());
                })
          .IgnoreError();
    }
    return {{"roster_users", roster}, {"lobby_users", lobby}};
  }

 private:
  static focus::FocusOptions FocusOptionsFor(uint64_t seed) {
    focus::FocusOptions options;
    struct Source {
      Mutex mu;
      std::mt19937_64 rng ABSL_GUARDED_BY(mu);
    };
    auto source = std::make_shared<Source>();
    {
      MutexLock lock(&source->mu);
      source->rng.seed(seed);
    }
    options.store.random_bytes = [source](uint8_t* out, size_t size) {
      MutexLock lock(&source->mu);
      for (size_t i = 0; i < size; ++i)
        out[i] = static_cast<uint8_t>(source->rng());
    };
    return options;
  }

  Worker& SetUpWorker() { return *workers_.back(); }

  codec::RequestEnvelope Envelope(absl::string_view from,
                                  absl::string_view to) {
    return {absl::StrCat(next_request_id_.fetch_add(1)), std::string(from),
            std::string(to)};
  }

  absl::Status SetUpConference(int index);
  absl::Status SetUpFollowers(Conf& c);
  void SetUpHostileBodies(Conf& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);

  // Sends `body` as `identity` and judges the response against `expected`
  // (a C3P reason name, or "success"), answering into `reply`.
  OpResult Judge(Worker& w, focus::C3pResult& reply, Op op,
                 absl::string_view identity, const std::string& body,
                 absl::string_view expected);

  OpResult GetConference(Conf& c, Worker& w);
  OpResult Membership(Conf& c, Worker& w, int member)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  OpResult Join(Conf& c, Worker& w, Member& m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  // The A/V MCU reports `m`'s audio-video endpoint (the focus's store
  // interface: no C3P request carries a whole endpoint).
  OpResult AddAudioVideo(Conf& c, Worker& w, Member& m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  OpResult Hostile(Conf& c, Worker& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);

  // Around each request to `c` under c.mu: Begin records the version the
  // request will make (returning the version before it), End checks that
  // the version moved by one for a request that succeeded and not at all
  // otherwise.
  uint64_t BeginOrdered(Conf& c, int64_t start_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  void EndOrdered(Conf& c, Worker& w, uint64_t before, OpResult& r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);

  // Locks `first`, or, while another worker is sending to it, another
  // conference: clients of different meetings do not wait for each other,
  // and a worker that waits for a preempted one loses its time slice too.
  // Waits only after kLockTries busy conferences in a row.
  Conf& LockIdle(Conf& first, Worker& w) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Polls the rung subscriptions of `c`; returns the time inside Poll.
  int64_t Drain(Conf& c, Worker& w);
  void Verify(Conf& c, SubscriptionFollower& f, Worker& w, int& verify);

  uint64_t VersionOf(const Conf& c) {
    uint64_t version = 0;
    // A conference the tool made is never deleted: kNotFound cannot happen,
    // and would show as version 0, failing the version check.
    focus_->store()
        .Read(c.id,
              [&](const engine::ConferenceSnapshot& s) { version = s.version; })
        .IgnoreError();
    return version;
  }

  const std::string name_;
  const ScenarioOptions options_;
  const Mix mix_;
  int stayers_ = 2;
  std::unique_ptr<focus::Focus> focus_;
  std::vector<std::unique_ptr<Conf>> confs_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // Client certificates (base64 DER), generated at set-up.
  std::vector<std::string> certificates_;
  std::atomic<int64_t> next_request_id_{1};
  int64_t roster_users_at_start_ = 0;
};

absl::Status LoadScenario::Impl::SetUp() {
  if (options_.state_dir.empty()) {
    focus_ = std::make_unique<focus::Focus>(FocusOptionsFor(options_.seed));
  } else {
    focus::DurabilityOptions durability;
    durability.state_dir = options_.state_dir;
    CONF_ASSIGN_OR_RETURN(focus_,
                          focus::Focus::Open(FocusOptionsFor(options_.seed),
                                             std::move(durability)));
    if (const size_t held = focus_->store().conference_count(); held > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "load: state directory ", options_.state_dir, " holds ", held,
          " conferences; a scenario starts from an empty one"));
    }
  }
  for (int i = 0; i < kIdentities; ++i) {
    crypto::CertificateSpec spec;
    spec.serial = i + 1;
    spec.common_name = absl::StrCat("confstate-load client ", i);
    CONF_ASSIGN_OR_RETURN(
        crypto::SelfSignedIdentity identity,
        crypto::GenerateSelfSignedIdentity(kIdentityBits, spec));
    certificates_.push_back(crypto::EncodeBase64(identity.certificate_der));
  }
  for (int ci = 0; ci < options_.conferences; ++ci) {
    CONF_RETURN_IF_ERROR(SetUpConference(ci));
  }
  Worker& w = SetUpWorker();
  for (auto& c : confs_) {
    Drain(*c, w);
    for (auto& f : c->followers) {
      roster_users_at_start_ += static_cast<int64_t>(f->roster_size());
    }
  }
  if (w.follow.failures > 0) {
    return absl::InternalError(absl::StrCat("load: set-up failed its checks: ",
                                            w.follow.messages.front()));
  }
  w.follow = FollowerStats();
  w.handle_ns = 0;
  w.mcu_ns = 0;
  return absl::OkStatus();
}

absl::Status LoadScenario::Impl::SetUpConference(int index) {
  auto owned = std::make_unique<Conf>();
  Conf& c = *owned;
  Worker& w = SetUpWorker();
  MutexLock lock(&c.mu);
  for (int k = 0; k < options_.users; ++k) {
    Member m;
    m.uri = absl::StrCat("sip:c", index, "u", k, "@load.example.com");
    m.role = k == 0 ? engine::Role::kPresenter : engine::Role::kAttendee;
    if (k < stayers_) {
      c.stayers.push_back(m.uri);
    }
    c.members.push_back(std::move(m));
  }
  const std::string& organizer = c.members[0].uri;
  codec::AddConferenceSpec spec;
  spec.subject = absl::StrCat("load ", index);
  spec.conference_id = absl::StrCat("LOAD", index);
  spec.mcu_types = {"audio-video", "chat"};
  absl::StatusOr<focus::C3pResult> added = focus_->HandleRequest(
      organizer,
      codec::EncodeAddConferenceRequest(
          Envelope(
              organizer,
              absl::StrCat(organizer, ";gruu;opaque=app:conf:focusfactory")),
          spec));
  if (!added.ok() || !added->success()) {
    return absl::InternalError(
        absl::StrCat("load: addConference for conference ", index, " failed"));
  }
  auto snapshot =
      focus_->store().FindSnapshotByConferenceId(spec.conference_id);
  if (snapshot == nullptr) {
    return absl::InternalError("load: added conference not found");
  }
  c.entity = std::string(snapshot->entity.value());
  c.id = snapshot->entity;
  // Everyone up to the stayers joins, and each of the others with the
  // chance that it is present once the run has settled; each gets audio
  // from the A/V MCU.
  std::bernoulli_distribution joins(SteadyPresence(mix_));
  for (int k = 0; k < options_.users; ++k) {
    Member& m = c.members[k];
    if (k >= stayers_ && !joins(w.rng))
      continue;
    for (int step = 0; step < 2; ++step) {
      const uint64_t before = BeginOrdered(c, NowNanos());
      OpResult r = step == 0 ? Join(c, w, m) : AddAudioVideo(c, w, m);
      EndOrdered(c, w, before, r);
      if (!r.as_expected) {
        return absl::InternalError(absl::StrCat(
            "load: ", m.uri, " could not join ", c.entity, ": ", r.outcome));
      }
    }
  }
  SetUpHostileBodies(c);
  CONF_RETURN_IF_ERROR(SetUpFollowers(c));
  confs_.push_back(std::move(owned));
  return absl::OkStatus();
}

void LoadScenario::Impl::SetUpHostileBodies(Conf& c) {
  const std::string& organizer = c.members[0].uri;
  const std::string& attendee = c.members[1].uri;
  c.oversized_body =
      OversizedJoinRequest(Envelope(attendee, c.entity), c.entity, attendee,
                           NewEndpointGuid(SetUpWorker().rng));
  c.nested_body = DeeplyNestedRequest(Envelope(organizer, c.entity));
}

absl::Status LoadScenario::Impl::SetUpFollowers(Conf& c) {
  for (int s = 0; s < options_.subscribers; ++s) {
    auto follower =
        std::make_unique<SubscriptionFollower>(c.entity, c.stayers[s], &c.log);
    focus::SubscribeRequest request;
    request.subscription_id = absl::StrCat("dialog-", s);
    request.user = follower->user();
    request.conference = c.entity;
    request.on_ready = follower->OnReady();
    absl::StatusOr<std::unique_ptr<focus::Subscription>> sub =
        focus_->Subscribe(std::move(request));
    if (!sub.ok()) {
      return absl::InternalError(
          absl::StrCat("load: subscribe failed: ", sub.status().message()));
    }
    follower->Attach(*std::move(sub));
    c.followers.push_back(std::move(follower));
  }
  return absl::OkStatus();
}

uint64_t LoadScenario::Impl::BeginOrdered(Conf& c, int64_t start_ns) {
  const uint64_t before = VersionOf(c);
  // Before the request: its notification may be polled (by another worker)
  // before the request returns here.
  c.log.Record(before + 1, start_ns);
  return before;
}

void LoadScenario::Impl::EndOrdered(Conf& c, Worker& w, uint64_t before,
                                    OpResult& r) {
  const uint64_t after = VersionOf(c);
  const uint64_t expected = r.outcome == "success" ? before + 1 : before;
  if (after != expected) {
    w.follow.Fail(absl::StrCat(c.entity, ": ", kOpNames[r.type], " (",
                               r.outcome, ") moved the version from ", before,
                               " to ", after, ", not to ", expected));
    r.as_expected = false;
  }
}

int64_t LoadScenario::Impl::Drain(Conf& c, Worker& w) {
  const int64_t before = w.follow.poll_ns;
  for (auto& f : c.followers) {
    f->Drain(w.follow);
  }
  return w.follow.poll_ns - before;
}

OpResult LoadScenario::Impl::Judge(Worker& w, focus::C3pResult& reply, Op op,
                                   absl::string_view identity,
                                   const std::string& body,
                                   absl::string_view expected) {
  OpResult result;
  result.type = op;
  const int64_t start = NowNanos();
  const absl::Status status = focus_->HandleRequest(identity, body, &reply);
  result.engine_ns = NowNanos() - start;
  w.handle_ns += result.engine_ns;
  if (!status.ok()) {
    result.outcome = StatusOutcome(status.code());
  } else if (reply.success()) {
    result.outcome = "success";
  } else {
    result.outcome = codec::C3pReasonName(*reply.failure);
  }
  result.as_expected = result.outcome == expected;
  return result;
}

OpResult LoadScenario::Impl::GetConference(Conf& c, Worker& w) {
  // A stayer never leaves, and a read has no effect to attribute: no lock.
  const std::string& uri = c.stayers[w.rng() % c.stayers.size()];
  const std::string& certificate = certificates_[w.rng() % kIdentities];
  return Judge(w, w.reply, kGetConference, uri,
               codec::EncodeGetConferenceRequest(Envelope(uri, c.entity),
                                                 c.entity, certificate),
               "success");
}

OpResult LoadScenario::Impl::Join(Conf& c, Worker& w, Member& m) {
  m.role = engine::Role::kAttendee;
  m.muted = false;
  m.on_hold = false;
  m.audio_video = false;
  OpResult r = Judge(w, w.reply, kJoin, m.uri,
                     codec::EncodeAddUserRequest(
                         Envelope(m.uri, c.entity), c.entity,
                         JoiningUser(m.uri, m.role, NewEndpointGuid(w.rng))),
                     "success");
  (c.locked ? m.in_lobby : m.present) = true;
  return r;
}

OpResult LoadScenario::Impl::AddAudioVideo(Conf& c, Worker& w, Member& m) {
  OpResult result;
  result.type = kAudioVideo;
  engine::SetEndpointRequest request{c.id, engine::UserId(m.uri),
                                     AudioVideoEndpoint(m.uri)};
  const int64_t start = NowNanos();
  absl::StatusOr<engine::MutationResult> set =
      focus_->store().ApplySetEndpoint(std::move(request));
  result.engine_ns = NowNanos() - start;
  w.mcu_ns += result.engine_ns;
  result.outcome = set.ok() ? "success" : StatusOutcome(set.status().code());
  result.as_expected = set.ok();
  m.audio_video = true;
  m.muted = false;
  m.on_hold = false;
  return result;
}

OpResult LoadScenario::Impl::Membership(Conf& c, Worker& w, int member) {
  std::mt19937_64& rng = w.rng;
  Member& m = c.members[member];
  const std::string& organizer = c.members[0].uri;
  if (!m.present && !m.in_lobby) {
    return Join(c, w, m);
  }
  if (m.in_lobby) {
    m.in_lobby = false;
    if (rng() % 2 == 0) {
      m.present = true;
      return Judge(w, w.reply, kAdmit, organizer,
                   codec::EncodeSetLobbyAccessRequest(
                       Envelope(organizer, c.entity), c.entity, {m.uri},
                       engine::LobbyDecision::kGrant),
                   "success");
    }
    return Judge(w, w.reply, kLeave, m.uri,
                 codec::EncodeDeleteUserRequest(Envelope(m.uri, c.entity),
                                                c.entity, m.uri),
                 "success");
  }
  if (!m.audio_video) {
    return AddAudioVideo(c, w, m);
  }
  const double pick = std::uniform_real_distribution<double>(
      0, mix_.membership + mix_.mute + mix_.role + mix_.endpoint_status +
             mix_.lock)(rng);
  double bound = mix_.membership;
  if (pick < bound) {
    m.present = false;
    m.audio_video = false;
    return Judge(w, w.reply, kLeave, m.uri,
                 codec::EncodeDeleteUserRequest(Envelope(m.uri, c.entity),
                                                c.entity, m.uri),
                 "success");
  }
  const std::string endpoint = absl::StrCat(m.uri, "/av");
  if (pick < (bound += mix_.mute)) {
    m.muted = !m.muted;
    return Judge(w, w.reply, kMute, m.uri,
                 codec::EncodeModifyEndpointMediaRequest(
                     Envelope(m.uri, c.entity), c.entity, m.uri, endpoint, "1",
                     m.muted ? engine::MediaStatus::kRecvOnly
                             : engine::MediaStatus::kSendRecv),
                 "success");
  }
  if (pick < (bound += mix_.role)) {
    m.role = m.role == engine::Role::kAttendee ? engine::Role::kPresenter
                                               : engine::Role::kAttendee;
    return Judge(w, w.reply, kRole, organizer,
                 codec::EncodeModifyUserRolesRequest(
                     Envelope(organizer, c.entity), c.entity, m.uri, m.role),
                 "success");
  }
  if (pick < (bound += mix_.lock)) {
    c.locked = !c.locked;
    return Judge(w, w.reply, kLock, organizer,
                 codec::EncodeModifyConferenceLockRequest(
                     Envelope(organizer, c.entity), c.entity,
                     c.locked ? engine::LockState::kLocked
                              : engine::LockState::kUnlocked),
                 "success");
  }
  m.on_hold = !m.on_hold;
  return Judge(w, w.reply, kEndpointStatus, m.uri,
               codec::EncodeModifyEndpointStatusRequest(
                   Envelope(m.uri, c.entity), c.entity, m.uri, endpoint,
                   m.on_hold ? engine::EndpointStatus::kOnHold
                             : engine::EndpointStatus::kConnected),
               "success");
}

OpResult LoadScenario::Impl::Hostile(Conf& c, Worker& w) {
  ++w.hostile;
  const std::string& organizer = c.members[0].uri;
  // A stayer is always present, an attendee, and no leader.
  const std::string& attendee = c.members[1].uri;
  const Op op = static_cast<Op>(kHostileMalformed +
                                w.rng() % (kOpCount - kHostileMalformed));
  focus::C3pResult& reply = w.hostile_reply;
  switch (op) {
    case kHostileMalformed:
      // The focus cannot answer in C3P at all: the SIP layer's 400.
      return Judge(w, reply, op, organizer,
                   TruncatedRequest(Envelope(organizer, c.entity), c.entity),
                   "status:invalid_argument");
    case kHostileOversized:
      return Judge(w, reply, op, attendee, c.oversized_body,
                   "status:resource_exhausted");
    case kHostileNested:
      return Judge(w, reply, op, organizer, c.nested_body,
                   "status:resource_exhausted");
    case kHostileSpoofedFrom:
      // The attendee claims to be the organizer.
      return Judge(w, reply, op, attendee,
                   codec::EncodeModifyConferenceLockRequest(
                       Envelope(organizer, c.entity), c.entity,
                       engine::LockState::kLocked),
                   "unauthorized");
    case kHostileAttendeeLock:
      return Judge(w, reply, op, attendee,
                   codec::EncodeModifyConferenceLockRequest(
                       Envelope(attendee, c.entity), c.entity,
                       engine::LockState::kLocked),
                   "unauthorized");
    default:
      return Judge(w, reply, kHostileUnknownCommand, organizer,
                   UnknownCommandRequest(Envelope(organizer, c.entity)),
                   "notSupported");
  }
}

OpResult LoadScenario::Impl::RunOne(int worker) {
  Worker& w = *workers_[worker];
  std::mt19937_64& rng = w.rng;
  Conf& c = *confs_[rng() % confs_.size()];
  const double total = mix_.get_conference + mix_.membership + mix_.mute +
                       mix_.role + mix_.endpoint_status;
  const bool hostile = std::uniform_real_distribution<double>(0, 1)(rng) <
                       options_.hostile_share;
  if (!hostile && std::uniform_real_distribution<double>(0, total)(rng) <
                      mix_.get_conference) {
    return GetConference(c, w);
  }
  const int64_t start = NowNanos();
  Conf& locked = LockIdle(c, w);
  locked.mu.AssertHeld();
  const int64_t wait_ns = NowNanos() - start;
  const uint64_t before = BeginOrdered(locked, start);
  OpResult r;
  if (hostile) {
    r = Hostile(locked, w);
  } else {
    const int churners = options_.users - stayers_;
    const int member =
        stayers_ + static_cast<int>(rng() % static_cast<uint64_t>(churners));
    r = Membership(locked, w, member);
  }
  EndOrdered(locked, w, before, r);
  locked.mu.Unlock();
  // Another worker may send the next request to this conference while this
  // one polls.
  r.engine_ns += Drain(locked, w);
  r.wait_ns = wait_ns;
  return r;
}

Conf& LoadScenario::Impl::LockIdle(Conf& first, Worker& w) {
  Conf* c = &first;
  for (int tries = 1; !c->mu.TryLock(); ++tries) {
    if (tries == kLockTries) {
      c->mu.Lock();
      break;
    }
    c = confs_[w.rng() % confs_.size()].get();
  }
  return *c;
}

void LoadScenario::Impl::Verify(Conf& c, SubscriptionFollower& f, Worker& w,
                                int& verify) {
  // Every change was delivered (the workers have stopped), and the
  // subscribers that were rung have polled: one that still has a
  // notification was never told of it.
  if (!f.PollForgotten().empty()) {
    w.follow.Fail(absl::StrCat(c.entity, " ", f.user(),
                               ": a notification waited without on_ready"));
  }
  focus::SubscribeRequest request;
  request.subscription_id = absl::StrCat("verify-", ++verify);
  request.user = f.user();
  request.conference = c.entity;
  absl::StatusOr<std::unique_ptr<focus::Subscription>> fresh =
      focus_->Subscribe(std::move(request));
  if (!fresh.ok()) {
    w.follow.Fail(
        absl::StrCat(c.entity, " ", f.user(),
                     ": fresh subscribe failed: ", fresh.status().message()));
    return;
  }
  RosterTracker expected;
  std::vector<focus::Notification> first = (*fresh)->Poll();
  if (first.empty() || first[0].kind != focus::DocumentKind::kFull ||
      !expected.Apply(first[0].Bytes()).ok()) {
    w.follow.Fail(absl::StrCat(c.entity, " ", f.user(),
                               ": fresh subscription gave no full document"));
    return;
  }
  std::string difference = f.DifferenceFrom(expected);
  if (!difference.empty()) {
    w.follow.Fail(
        absl::StrCat(c.entity, " ", f.user(),
                     ": roster differs from a fresh view: ", difference));
  }
}

void LoadScenario::Impl::Finish(RunReport& report) {
  Worker& last = SetUpWorker();
  int64_t resyncs = 0, subscriptions = 0, users = 0;
  int verify = 0;
  for (auto& cp : confs_) {
    Conf& c = *cp;
    Drain(c, last);
    for (auto& f : c.followers) {
      ++subscriptions;
      resyncs += static_cast<int64_t>(f->resynchronizations());
      users += static_cast<int64_t>(f->roster_size());
      Verify(c, *f, last, verify);
    }
  }
  int64_t notifications = 0, hostile = 0, failures = 0, handle_ns = 0,
          mcu_ns = 0, poll_ns = 0, parsed = 0, reused = 0;
  LatencyHistogram lag;
  for (auto& w : workers_) {
    notifications += w->follow.notifications;
    parsed += w->follow.documents.parsed();
    reused += w->follow.documents.reused();
    hostile += w->hostile;
    failures += w->follow.failures;
    lag.Merge(w->follow.lag);
    if (w != workers_.back()) {
      // The final checks are no part of the run's engine time.
      handle_ns += w->handle_ns;
      mcu_ns += w->mcu_ns;
      poll_ns += w->follow.poll_ns;
    }
    for (std::string& m : w->follow.messages) {
      if (report.failures.size() < FollowerStats::kMaxMessages)
        report.failures.push_back(std::move(m));
    }
  }
  if (failures > 0 && report.failures.empty())
    report.failures.push_back("verification failed");
  report.counters["conferences"] = static_cast<int64_t>(confs_.size());
  report.counters["subscriptions"] = subscriptions;
  report.counters["subscribed_roster_users_at_start"] = roster_users_at_start_;
  report.counters["subscribed_roster_users_at_end"] = users;
  report.counters["notifications_delivered"] = notifications;
  report.counters["notification_documents_parsed"] = parsed;
  report.counters["notification_documents_shared"] = reused;
  report.counters["resynchronizations"] = resyncs;
  report.counters["hostile_requests"] = hostile;
  report.counters["verification_failures"] = failures;
  report.histograms["notification_lag"] = lag;
  report.engine_ns_by_call["HandleRequest"] = handle_ns;
  report.engine_ns_by_call["ApplySetEndpoint"] = mcu_ns;
  report.engine_ns_by_call["Poll"] = poll_ns;
}

void LoadScenario::Impl::AcceptForTest(size_t conference, size_t subscription,
                                       const codec::EncodedDocument& document) {
  SubscriptionFollower& f = *confs_.at(conference)->followers.at(subscription);
  f.Accept({f.version() + 1, focus::DocumentKind::kPartial, document},
           NowNanos(), SetUpWorker().follow);
}

// ---------------------------------------------------------------------------

const std::vector<ScenarioPreset>& ScenarioPresets() {
  static const auto* presets = new std::vector<ScenarioPreset>{
      {"getconference-flood",
       "getConference with a certificate from members of many conferences",
       {/*conferences=*/64, /*users=*/16, /*subscribers=*/1, 0, 1, 2, ""},
       absl::Seconds(10),
       0},
      {"join-storm",
       "users entering and leaving large conferences with subscribers",
       {/*conferences=*/4, /*users=*/2000, /*subscribers=*/4, 0, 1, 2, ""},
       absl::Seconds(10),
       0},
      {"roster-churn",
       "mute/unmute, role and endpoint status changes in running meetings",
       {/*conferences=*/32, /*users=*/50, /*subscribers=*/3, 0, 1, 2, ""},
       absl::Seconds(10),
       0},
      {"mixed",
       "a realistic blend with 5% hostile requests",
       {/*conferences=*/32, /*users=*/100, /*subscribers=*/3, 0.05, 1, 2, ""},
       absl::Seconds(20),
       0},
      {"soak",
       "mixed at a fixed arrival rate for a long time",
       {/*conferences=*/32, /*users=*/100, /*subscribers=*/3, 0.05, 1, 2, ""},
       absl::Minutes(10),
       2000},
  };
  return *presets;
}

const ScenarioPreset* FindScenario(absl::string_view name) {
  for (const ScenarioPreset& p : ScenarioPresets()) {
    if (name == p.name)
      return &p;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<LoadScenario>> LoadScenario::Create(
    absl::string_view name, const ScenarioOptions& options) {
  if (FindScenario(name) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("load: unknown scenario '", name, "'"));
  }
  if (options.conferences < 1 || options.threads < 1 ||
      options.subscribers < 1 ||
      options.users < std::max(2, options.subscribers) + 1 ||
      options.hostile_share < 0 || options.hostile_share > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "load: need conferences >= 1, threads >= 1, subscribers >= 1, "
        "users > max(2, subscribers) and hostile_share in [0, 1]; got ",
        options.conferences, ", ", options.threads, ", ", options.subscribers,
        ", ", options.users, ", ", options.hostile_share));
  }
  auto impl = std::make_unique<Impl>(std::string(name), options);
  CONF_RETURN_IF_ERROR(impl->SetUp());
  return std::unique_ptr<LoadScenario>(new LoadScenario(std::move(impl)));
}

LoadScenario::LoadScenario(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
LoadScenario::~LoadScenario() = default;

std::vector<std::string> LoadScenario::OpTypes() const {
  return std::vector<std::string>(kOpNames, kOpNames + kOpCount);
}

OpResult LoadScenario::RunOne(int worker) { return impl_->RunOne(worker); }

std::map<std::string, int64_t> LoadScenario::Gauges() {
  return impl_->Gauges();
}

void LoadScenario::Finish(RunReport& report) { impl_->Finish(report); }

void LoadScenario::AcceptForTest(size_t conference, size_t subscription,
                                 const codec::EncodedDocument& document) {
  impl_->AcceptForTest(conference, subscription, document);
}

namespace {

// Timeline samples that end in (from + slack, to + slack], summed.
struct TimelineWindow {
  double begin = -1;  // the end of the sample before the first one in
  double end = 0;     // the end of the last one in
  int64_t requests = 0;
  int64_t cpu_ns = 0;
  std::vector<int64_t> probes;

  bool covers_time() const { return end > begin && begin >= 0; }
  int64_t PerSecond() const {
    return covers_time() ? static_cast<int64_t>(requests / (end - begin)) : 0;
  }
  int64_t PerCpuSecond() const {
    return cpu_ns > 0 ? static_cast<int64_t>(requests * 1e9 / cpu_ns) : 0;
  }
  int64_t Millicores() const {
    return covers_time() ? static_cast<int64_t>(cpu_ns / (end - begin) / 1e6)
                         : 0;
  }
};

TimelineWindow SumWindow(const std::vector<IntervalSample>& t, double from,
                         double to, double slack) {
  TimelineWindow w;
  double previous = 0;
  for (const IntervalSample& s : t) {
    if (s.t_seconds > from + slack && s.t_seconds <= to + slack) {
      if (w.begin < 0)
        w.begin = previous;
      w.end = s.t_seconds;
      w.requests += s.requests;
      w.cpu_ns += s.process_cpu_ns;
      if (s.probe_ns > 0)
        w.probes.push_back(s.probe_ns);
    }
    previous = s.t_seconds;
  }
  return w;
}

// The median (the upper one of an even count), 0 for none.
int64_t Median(std::vector<int64_t> v) {
  if (v.empty())
    return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

void AddTimelineFigures(RunReport& report) {
  const std::vector<IntervalSample>& t = report.timeline;
  if (t.empty())
    return;
  const double span = t.back().t_seconds;
  // At least one interval, so a short run still has a first window.
  const double window =
      span >= 240 ? 60 : std::max(span / 4, t.front().t_seconds);
  auto median_p99 = [&](double from, double to) {
    std::vector<int64_t> v;
    for (const IntervalSample& s : t) {
      if (s.t_seconds > from && s.t_seconds <= to + 1e-9 && s.requests > 0)
        v.push_back(s.p99_ns);
    }
    return Median(std::move(v));
  };
  // The first and the last window's samples, with half an interval of
  // slack for late samples.
  const double slack = t.front().t_seconds / 2;
  const TimelineWindow first = SumWindow(t, -slack, window, slack);
  const TimelineWindow last = SumWindow(t, span - window, span, slack);
  report.counters["timeline_window_seconds"] =
      static_cast<int64_t>(window + 0.5);
  report.counters["p99_first_window_ns"] = median_p99(0, window);
  report.counters["p99_last_window_ns"] = median_p99(span - window, span);
  report.counters["requests_per_second_first_window"] = first.PerSecond();
  report.counters["requests_per_second_last_window"] = last.PerSecond();
  // requests/s = requests per CPU-second x CPU-seconds per second (in
  // thousandths of a core): what the run did with the CPU it got, and what
  // the machine gave it; the probe's median tells whether the CPU itself
  // slowed.
  report.counters["requests_per_cpu_second_first_window"] =
      first.PerCpuSecond();
  report.counters["requests_per_cpu_second_last_window"] = last.PerCpuSecond();
  report.counters["cpu_millicores_first_window"] = first.Millicores();
  report.counters["cpu_millicores_last_window"] = last.Millicores();
  report.counters["probe_ns_first_window"] = Median(first.probes);
  report.counters["probe_ns_last_window"] = Median(last.probes);
  // Least-squares slope of RSS over time.
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  // After the first window: warm-up (allocator arenas, caches) is not drift.
  for (const IntervalSample& s : t) {
    if (s.rss_bytes <= 0 || (span > 2 * window && s.t_seconds <= window))
      continue;
    const double x = s.t_seconds / 60.0;
    const double y = static_cast<double>(s.rss_bytes);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double denominator = n * sxx - sx * sx;
  report.counters["rss_slope_bytes_per_minute"] =
      n >= 2 && denominator > 0
          ? static_cast<int64_t>((n * sxy - sx * sy) / denominator)
          : 0;
}

}  // namespace load
}  // namespace conf
