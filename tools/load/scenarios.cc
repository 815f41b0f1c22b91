#include "tools/load/scenarios.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
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

namespace conf {
namespace load {
namespace {

using Clock = std::chrono::steady_clock;

// Client identities for getConference: generated once, shared by all users.
constexpr int kIdentities = 8;
constexpr int kIdentityBits = 1024;
// Failure messages kept per run (all are counted).
constexpr size_t kMaxFailureMessages = 20;

enum Op {
  kGetConference,
  kJoin,
  kLeave,
  kMute,
  kRole,
  kEndpointStatus,
  kLock,
  kAdmit,
  kHostileMalformed,
  kHostileOversized,
  kHostileNested,
  kHostileSpoofedFrom,
  kHostileAttendeeLock,
  kHostileUnknownCommand,
  kOpCount,
};

constexpr const char* kOpNames[] = {
    "getConference",        "addUser",
    "deleteUser",           "modifyEndpointMedia",
    "modifyUserRoles",      "modifyEndpoint",
    "modifyConferenceLock", "setLobbyAccess",
    "hostile:malformed",    "hostile:oversized",
    "hostile:nested",       "hostile:spoofedFrom",
    "hostile:attendeeLock", "hostile:unknownCommand",
};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == kOpCount,
              "one name per operation");

// Weights of the valid operations. The chosen user decides some: one who is
// out joins (into the lobby while the conference is locked), one in the
// lobby is admitted or leaves, and `membership` makes a present one leave.
// `lock` toggles the conference's lock (the organizer).
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
  engine::Role role = engine::Role::kAttendee;
  bool muted = false;
  bool on_hold = false;
};

struct Sub {
  std::unique_ptr<focus::Subscription> subscription;
  std::string user;
  RosterTracker tracker;
  // Set by the subscription's on_ready (on whichever thread delivers the
  // change); a subscriber polls only when it was rung, as an event loop
  // does, so a lost wake-up leaves its roster behind.
  std::shared_ptr<std::atomic<bool>> rung =
      std::make_shared<std::atomic<bool>>(false);
};

struct Conf {
  Mutex mu;
  std::string entity;
  // members[0] is the organizer; [1, stayers) never leave; the rest churn.
  std::vector<Member> members ABSL_GUARDED_BY(mu);
  bool locked ABSL_GUARDED_BY(mu) = false;
  std::vector<Sub> subs ABSL_GUARDED_BY(mu);
  LatencyHistogram lag ABSL_GUARDED_BY(mu);
  int64_t notifications ABSL_GUARDED_BY(mu) = 0;
  int64_t hostile ABSL_GUARDED_BY(mu) = 0;
  int64_t failures ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::string> messages ABSL_GUARDED_BY(mu);
};

}  // namespace

class LoadScenario::Impl {
 public:
  Impl(std::string name, const ScenarioOptions& options)
      : name_(std::move(name)),
        options_(options),
        mix_(MixFor(name_)),
        focus_(FocusOptionsFor(options.seed)) {
    for (int w = 0; w < options.threads; ++w) {
      rngs_.emplace_back(options.seed * 1000003 + static_cast<uint64_t>(w));
    }
    call_times_.resize(options.threads);
    stayers_ = std::max(2, options.subscribers);
  }

  absl::Status SetUp();
  OpResult RunOne(int worker);
  void Finish(RunReport& report);

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

  codec::RequestEnvelope Envelope(absl::string_view from,
                                  absl::string_view to) {
    return {absl::StrCat(next_request_id_.fetch_add(1)), std::string(from),
            std::string(to)};
  }

  // Sends `body` as `identity` and judges the response against `expected`
  // (a C3P reason name, or "success").
  OpResult Judge(Op op, absl::string_view identity, std::string body,
                 absl::string_view expected);

  OpResult GetConference(Conf& c, std::mt19937_64& rng);
  OpResult Membership(Conf& c, std::mt19937_64& rng, int member)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  OpResult Hostile(Conf& c, std::mt19937_64& rng)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);

  // Polls every subscription of `c`, checks versions and feeds trackers;
  // returns the time spent inside Poll.
  int64_t Drain(Conf& c, Clock::time_point request_start)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  void Fail(Conf& c, std::string message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  uint64_t VersionOf(const Conf& c) {
    auto snapshot = focus_.store().FindSnapshot(engine::ConferenceId(c.entity));
    return snapshot == nullptr ? 0 : snapshot->version;
  }

  const std::string name_;
  const ScenarioOptions options_;
  const Mix mix_;
  int stayers_ = 2;
  focus::Focus focus_;
  std::vector<std::unique_ptr<Conf>> confs_;
  std::vector<std::mt19937_64> rngs_;  // one per worker
  // Time inside the focus, per worker.
  struct alignas(64) CallTimes {
    int64_t handle_ns = 0;  // HandleRequest
    int64_t poll_ns = 0;    // Subscription::Poll
  };
  std::vector<CallTimes> call_times_;
  // Client certificates (base64 DER), generated at set-up.
  std::vector<std::string> certificates_;
  std::atomic<int64_t> next_request_id_{1};
};

absl::Status LoadScenario::Impl::SetUp() {
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
    auto c = std::make_unique<Conf>();
    MutexLock lock(&c->mu);
    for (int k = 0; k < options_.users; ++k) {
      Member m;
      m.uri = absl::StrCat("sip:c", ci, "u", k, "@load.example.com");
      m.role = k == 0 ? engine::Role::kPresenter : engine::Role::kAttendee;
      c->members.push_back(std::move(m));
    }
    const std::string& organizer = c->members[0].uri;
    codec::AddConferenceSpec spec;
    spec.subject = absl::StrCat("load ", ci);
    spec.conference_id = absl::StrCat("LOAD", ci);
    spec.mcu_types = {"audio-video", "chat"};
    absl::StatusOr<focus::C3pResult> added = focus_.HandleRequest(
        organizer, codec::EncodeAddConferenceRequest(
                       Envelope(organizer, absl::StrCat(organizer,
                                                        ";gruu;opaque=app:conf:"
                                                        "focusfactory")),
                       spec));
    if (!added.ok() || !added->success()) {
      return absl::InternalError(
          absl::StrCat("load: addConference for conference ", ci, " failed"));
    }
    auto snapshot =
        focus_.store().FindSnapshotByConferenceId(spec.conference_id);
    if (snapshot == nullptr) {
      return absl::InternalError("load: added conference not found");
    }
    c->entity = std::string(snapshot->entity.value());
    // Everyone up to the stayers joins, and half of the others.
    for (int k = 0; k < options_.users; ++k) {
      Member& m = c->members[k];
      if (k >= stayers_ && k % 2 == 1)
        continue;
      absl::StatusOr<focus::C3pResult> joined = focus_.HandleRequest(
          m.uri,
          codec::EncodeAddUserRequest(Envelope(m.uri, c->entity), c->entity,
                                      JoiningUser(m.uri, m.role)));
      if (!joined.ok() || !joined->success()) {
        return absl::InternalError(
            absl::StrCat("load: ", m.uri, " could not join ", c->entity));
      }
      m.present = true;
    }
    for (int s = 0; s < options_.subscribers; ++s) {
      Sub entry;
      entry.user = c->members[s].uri;
      focus::SubscribeRequest request;
      request.subscription_id = absl::StrCat("dialog-", s);
      request.user = entry.user;
      request.conference = c->entity;
      request.on_ready = [rung = entry.rung] {
        rung->store(true, std::memory_order_release);
      };
      absl::StatusOr<std::unique_ptr<focus::Subscription>> sub =
          focus_.Subscribe(std::move(request));
      if (!sub.ok()) {
        return absl::InternalError(
            absl::StrCat("load: subscribe failed: ", sub.status().message()));
      }
      entry.subscription = *std::move(sub);
      c->subs.push_back(std::move(entry));
    }
    Drain(*c, Clock::now());
    c->notifications = 0;
    c->lag.Reset();
    confs_.push_back(std::move(c));
  }
  return absl::OkStatus();
}

void LoadScenario::Impl::Fail(Conf& c, std::string message) {
  ++c.failures;
  if (c.messages.size() < kMaxFailureMessages)
    c.messages.push_back(std::move(message));
}

int64_t LoadScenario::Impl::Drain(Conf& c, Clock::time_point request_start) {
  int64_t poll_ns = 0;
  for (Sub& s : c.subs) {
    if (!s.rung->exchange(false, std::memory_order_acq_rel))
      continue;
    const Clock::time_point poll_start = Clock::now();
    const std::vector<focus::Notification> polled = s.subscription->Poll();
    poll_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                   Clock::now() - poll_start)
                   .count();
    for (const focus::Notification& n : polled) {
      const int64_t lag = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              Clock::now() - request_start)
                              .count();
      c.lag.Record(lag);
      ++c.notifications;
      if (n.version != s.tracker.version() + 1) {
        Fail(c, absl::StrCat(c.entity, " ", s.user, ": version ", n.version,
                             " after ", s.tracker.version()));
      }
      if (absl::Status st = s.tracker.Apply(n.Bytes()); !st.ok()) {
        Fail(c, absl::StrCat(c.entity, " ", s.user, ": ", st.message()));
      }
    }
  }
  return poll_ns;
}

OpResult LoadScenario::Impl::Judge(Op op, absl::string_view identity,
                                   std::string body,
                                   absl::string_view expected) {
  OpResult result;
  result.type = op;
  const Clock::time_point start = Clock::now();
  absl::StatusOr<focus::C3pResult> r =
      focus_.HandleRequest(identity, std::move(body));
  result.engine_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start)
          .count();
  if (!r.ok()) {
    result.outcome = StatusOutcome(r.status().code());
  } else if (r->success()) {
    result.outcome = "success";
  } else {
    result.outcome = codec::C3pReasonName(*r->failure);
  }
  result.as_expected = result.outcome == expected;
  return result;
}

OpResult LoadScenario::Impl::GetConference(Conf& c, std::mt19937_64& rng) {
  // Members who never leave, so no lock is needed: a read has no effect to
  // attribute.
  const int k = static_cast<int>(rng() % static_cast<uint64_t>(stayers_));
  std::string uri;
  {
    MutexLock lock(&c.mu);
    uri = c.members[k].uri;
  }
  const std::string& certificate = certificates_[rng() % kIdentities];
  return Judge(kGetConference, uri,
               codec::EncodeGetConferenceRequest(Envelope(uri, c.entity),
                                                 c.entity, certificate),
               "success");
}

OpResult LoadScenario::Impl::Membership(Conf& c, std::mt19937_64& rng,
                                        int member) {
  Member& m = c.members[member];
  const std::string& organizer = c.members[0].uri;
  if (!m.present && !m.in_lobby) {
    m.role = engine::Role::kAttendee;
    m.muted = false;
    m.on_hold = false;
    OpResult r =
        Judge(kJoin, m.uri,
              codec::EncodeAddUserRequest(Envelope(m.uri, c.entity), c.entity,
                                          JoiningUser(m.uri, m.role)),
              "success");
    (c.locked ? m.in_lobby : m.present) = true;
    return r;
  }
  if (m.in_lobby) {
    m.in_lobby = false;
    if (rng() % 2 == 0) {
      m.present = true;
      return Judge(kAdmit, organizer,
                   codec::EncodeSetLobbyAccessRequest(
                       Envelope(organizer, c.entity), c.entity, {m.uri},
                       engine::LobbyDecision::kGrant),
                   "success");
    }
    return Judge(kLeave, m.uri,
                 codec::EncodeDeleteUserRequest(Envelope(m.uri, c.entity),
                                                c.entity, m.uri),
                 "success");
  }
  const double pick = std::uniform_real_distribution<double>(
      0, mix_.membership + mix_.mute + mix_.role + mix_.endpoint_status +
             mix_.lock)(rng);
  double bound = mix_.membership;
  if (pick < bound) {
    m.present = false;
    return Judge(kLeave, m.uri,
                 codec::EncodeDeleteUserRequest(Envelope(m.uri, c.entity),
                                                c.entity, m.uri),
                 "success");
  }
  const std::string endpoint = absl::StrCat(m.uri, "/av");
  if (pick < (bound += mix_.mute)) {
    m.muted = !m.muted;
    return Judge(kMute, m.uri,
                 codec::EncodeModifyEndpointMediaRequest(
                     Envelope(m.uri, c.entity), c.entity, m.uri, endpoint, "1",
                     m.muted ? engine::MediaStatus::kRecvOnly
                             : engine::MediaStatus::kSendRecv),
                 "success");
  }
  if (pick < (bound += mix_.role)) {
    m.role = m.role == engine::Role::kAttendee ? engine::Role::kPresenter
                                               : engine::Role::kAttendee;
    return Judge(kRole, organizer,
                 codec::EncodeModifyUserRolesRequest(
                     Envelope(organizer, c.entity), c.entity, m.uri, m.role),
                 "success");
  }
  if (pick < (bound += mix_.lock)) {
    c.locked = !c.locked;
    return Judge(kLock, organizer,
                 codec::EncodeModifyConferenceLockRequest(
                     Envelope(organizer, c.entity), c.entity,
                     c.locked ? engine::LockState::kLocked
                              : engine::LockState::kUnlocked),
                 "success");
  }
  m.on_hold = !m.on_hold;
  return Judge(kEndpointStatus, m.uri,
               codec::EncodeModifyEndpointStatusRequest(
                   Envelope(m.uri, c.entity), c.entity, m.uri, endpoint,
                   m.on_hold ? engine::EndpointStatus::kOnHold
                             : engine::EndpointStatus::kConnected),
               "success");
}

OpResult LoadScenario::Impl::Hostile(Conf& c, std::mt19937_64& rng) {
  ++c.hostile;
  const std::string& organizer = c.members[0].uri;
  // A stayer is always present, an attendee, and no leader.
  const std::string& attendee = c.members[1].uri;
  const Op op = static_cast<Op>(kHostileMalformed +
                                rng() % (kOpCount - kHostileMalformed));
  switch (op) {
    case kHostileMalformed:
      // The focus cannot answer in C3P at all: the SIP layer's 400.
      return Judge(op, organizer,
                   TruncatedRequest(Envelope(organizer, c.entity), c.entity),
                   "status:invalid_argument");
    case kHostileOversized:
      return Judge(op, attendee,
                   OversizedJoinRequest(Envelope(attendee, c.entity), c.entity,
                                        attendee),
                   "status:resource_exhausted");
    case kHostileNested:
      return Judge(op, organizer,
                   DeeplyNestedRequest(Envelope(organizer, c.entity)),
                   "status:resource_exhausted");
    case kHostileSpoofedFrom:
      // The attendee claims to be the organizer.
      return Judge(op, attendee,
                   codec::EncodeModifyConferenceLockRequest(
                       Envelope(organizer, c.entity), c.entity,
                       engine::LockState::kLocked),
                   "unauthorized");
    case kHostileAttendeeLock:
      return Judge(op, attendee,
                   codec::EncodeModifyConferenceLockRequest(
                       Envelope(attendee, c.entity), c.entity,
                       engine::LockState::kLocked),
                   "unauthorized");
    default:
      return Judge(kHostileUnknownCommand, organizer,
                   UnknownCommandRequest(Envelope(organizer, c.entity)),
                   "notSupported");
  }
}

OpResult LoadScenario::Impl::RunOne(int worker) {
  std::mt19937_64& rng = rngs_[worker];
  CallTimes& times = call_times_[worker];
  Conf& c = *confs_[rng() % confs_.size()];
  const double total = mix_.get_conference + mix_.membership + mix_.mute +
                       mix_.role + mix_.endpoint_status;
  const bool hostile = std::uniform_real_distribution<double>(0, 1)(rng) <
                       options_.hostile_share;
  if (!hostile && std::uniform_real_distribution<double>(0, total)(rng) <
                      mix_.get_conference) {
    OpResult r = GetConference(c, rng);
    times.handle_ns += r.engine_ns;
    return r;
  }
  const Clock::time_point start = Clock::now();
  MutexLock lock(&c.mu);
  const int64_t wait_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start)
          .count();
  OpResult r;
  if (hostile) {
    const uint64_t before = VersionOf(c);
    r = Hostile(c, rng);
    if (VersionOf(c) != before) {
      Fail(c, absl::StrCat(c.entity, ": ", kOpNames[r.type],
                           " changed the version"));
      r.as_expected = false;
    }
  } else {
    const int churners = options_.users - stayers_;
    const int member =
        stayers_ + static_cast<int>(rng() % static_cast<uint64_t>(churners));
    r = Membership(c, rng, member);
  }
  times.handle_ns += r.engine_ns;
  const int64_t poll_ns = Drain(c, start);
  times.poll_ns += poll_ns;
  r.engine_ns += poll_ns;
  r.wait_ns = wait_ns;
  return r;
}

void LoadScenario::Impl::Finish(RunReport& report) {
  int64_t notifications = 0, hostile = 0, failures = 0, resyncs = 0,
          subscriptions = 0, users = 0;
  LatencyHistogram lag;
  int verify = 0;
  for (auto& cp : confs_) {
    Conf& c = *cp;
    MutexLock lock(&c.mu);
    Drain(c, Clock::now());
    for (Sub& s : c.subs) {
      ++subscriptions;
      // Every change was delivered (the workers have stopped), and the
      // subscribers that were rung have polled: one that still has a
      // notification was never told of it.
      if (!s.subscription->Poll().empty()) {
        Fail(c, absl::StrCat(c.entity, " ", s.user,
                             ": a notification waited without on_ready"));
      }
      resyncs += static_cast<int64_t>(s.subscription->resynchronizations());
      users += static_cast<int64_t>(s.tracker.roster().size());
      focus::SubscribeRequest request;
      request.subscription_id = absl::StrCat("verify-", ++verify);
      request.user = s.user;
      request.conference = c.entity;
      absl::StatusOr<std::unique_ptr<focus::Subscription>> fresh =
          focus_.Subscribe(std::move(request));
      if (!fresh.ok()) {
        Fail(c, absl::StrCat(
                    c.entity, " ", s.user,
                    ": fresh subscribe failed: ", fresh.status().message()));
        continue;
      }
      RosterTracker expected;
      std::vector<focus::Notification> first = (*fresh)->Poll();
      if (first.empty() || first[0].kind != focus::DocumentKind::kFull ||
          !expected.Apply(first[0].Bytes()).ok()) {
        Fail(c, absl::StrCat(c.entity, " ", s.user,
                             ": fresh subscription gave no full document"));
        continue;
      }
      std::string difference = s.tracker.Difference(expected);
      if (!difference.empty()) {
        Fail(c,
             absl::StrCat(c.entity, " ", s.user,
                          ": roster differs from a fresh view: ", difference));
      }
    }
    notifications += c.notifications;
    hostile += c.hostile;
    failures += c.failures;
    lag.Merge(c.lag);
    for (std::string& m : c.messages) {
      if (report.failures.size() < kMaxFailureMessages)
        report.failures.push_back(std::move(m));
    }
  }
  if (failures > 0 && report.failures.empty())
    report.failures.push_back("verification failed");
  report.counters["conferences"] = static_cast<int64_t>(confs_.size());
  report.counters["subscriptions"] = subscriptions;
  report.counters["subscribed_roster_users_at_end"] = users;
  report.counters["notifications_delivered"] = notifications;
  report.counters["resynchronizations"] = resyncs;
  report.counters["hostile_requests"] = hostile;
  report.counters["verification_failures"] = failures;
  report.histograms["notification_lag"] = lag;
  for (const CallTimes& t : call_times_) {
    report.engine_ns_by_call["HandleRequest"] += t.handle_ns;
    report.engine_ns_by_call["Poll"] += t.poll_ns;
  }
}

// ---------------------------------------------------------------------------

const std::vector<ScenarioPreset>& ScenarioPresets() {
  static const auto* presets = new std::vector<ScenarioPreset>{
      {"getconference-flood",
       "getConference with a certificate from members of many conferences",
       {/*conferences=*/64, /*users=*/16, /*subscribers=*/1, 0, 1, 2},
       absl::Seconds(10),
       0},
      {"join-storm",
       "users entering and leaving large conferences with subscribers",
       {/*conferences=*/4, /*users=*/2000, /*subscribers=*/4, 0, 1, 2},
       absl::Seconds(10),
       0},
      {"roster-churn",
       "mute/unmute, role and endpoint status changes in running meetings",
       {/*conferences=*/32, /*users=*/50, /*subscribers=*/3, 0, 1, 2},
       absl::Seconds(10),
       0},
      {"mixed",
       "a realistic blend with 5% hostile requests",
       {/*conferences=*/32, /*users=*/100, /*subscribers=*/3, 0.05, 1, 2},
       absl::Seconds(20),
       0},
      {"soak",
       "mixed at a fixed arrival rate for a long time",
       {/*conferences=*/32, /*users=*/100, /*subscribers=*/3, 0.05, 1, 2},
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

void LoadScenario::Finish(RunReport& report) { impl_->Finish(report); }

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
    if (v.empty())
      return int64_t{0};
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  // Requests per second over the samples that end in (from, to], with half
  // an interval of slack for late samples, divided by the time they cover.
  const double slack = t.front().t_seconds / 2;
  auto rate = [&](double from, double to) {
    int64_t requests = 0;
    double begin = -1;
    double end = 0;
    double previous = 0;
    for (const IntervalSample& s : t) {
      if (s.t_seconds > from + slack && s.t_seconds <= to + slack) {
        if (begin < 0)
          begin = previous;
        end = s.t_seconds;
        requests += s.requests;
      }
      previous = s.t_seconds;
    }
    return end > begin && begin >= 0
               ? static_cast<int64_t>(requests / (end - begin))
               : int64_t{0};
  };
  report.counters["timeline_window_seconds"] =
      static_cast<int64_t>(window + 0.5);
  report.counters["p99_first_window_ns"] = median_p99(0, window);
  report.counters["p99_last_window_ns"] = median_p99(span - window, span);
  report.counters["requests_per_second_first_window"] = rate(-slack, window);
  report.counters["requests_per_second_last_window"] =
      rate(span - window, span);
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
