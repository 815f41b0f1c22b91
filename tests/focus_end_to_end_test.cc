// The focus end to end through its public API only, under concurrency:
// writer threads send random valid and invalid C3P requests for a few
// conferences while subscribers of every role (leader, attendee, lobby user)
// follow along from their own threads with the reference subscriber, woken by
// the subscriptions' on_ready callbacks. At the end every subscriber's state
// equals a fresh getConference of its view, and no subscriber saw a version
// gap it was not resynchronized from. A single-threaded phase then checks
// that invalid requests change nothing.

#include <atomic>
#include <chrono>  // NOLINT(build/c++11)
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/reference_subscriber.h"
#include "testing/sample_users.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"

namespace conf {
namespace {

using ::conf::focus::C3pResult;
using ::conf::focus::DocumentKind;
using ::conf::focus::Focus;
using ::conf::focus::Notification;
using ::conf::focus::Subscription;
using ::conf::testing::IsOk;
using ::conf::testing::ReferenceSubscriber;

constexpr int kConferences = 2;
constexpr int kWorkers = 6;  // users the random requests add and remove
constexpr int kWriterThreads = 3;
constexpr int kRequestsPerWriter = 150;
// Small queues, so slow subscribers are resynchronized during the run.
constexpr int kMaxQueuedNotifications = 4;

std::string Organizer(int c) {
  return absl::StrCat("sip:org", c, "@contoso.com");
}
std::string Attendee(int c) {
  return absl::StrCat("sip:att", c, "@contoso.com");
}
std::string LobbyUser(int c) {
  return absl::StrCat("sip:lobby", c, "@contoso.com");
}
std::string Worker(int w) { return absl::StrCat("sip:w", w, "@contoso.com"); }
std::string FocusUri(int c) {
  return absl::StrCat(Organizer(c), ";gruu;opaque=app:conf:focus:id:E2E", c);
}

// The conference-info element of a getConference response.
std::string EmbeddedDocument(const std::string& response) {
  const size_t begin = response.find("<conference-info");
  const size_t end = response.rfind("</conference-info>");
  if (begin == std::string::npos || end == std::string::npos)
    return "";
  return response.substr(begin, end + 18 - begin);
}

focus::FocusOptions Options() {
  focus::FocusOptions options;
  options.max_queued_notifications = kMaxQueuedNotifications;
  options.store.random_bytes = testing::SeededRandomBytes(7);
  return options;
}

// One request: who sends it, the body, and whether it must fail.
struct Request {
  std::string identity;
  std::string body;
  bool invalid = false;
};

// Random requests for conference `c`. Valid ones may still fail on the
// current state (a worker who already left); invalid ones must always fail.
class RequestGenerator {
 public:
  explicit RequestGenerator(uint64_t seed) : rng_(seed) {}

  Request Next(int c) {
    const std::string conference = FocusUri(c);
    const std::string organizer = Organizer(c);
    const std::string worker = Worker(Pick(kWorkers));
    const std::string id = absl::StrCat(++request_id_);
    auto envelope = [&](const std::string& from) {
      return codec::RequestEnvelope{id, from, conference};
    };
    switch (Pick(16)) {
      case 0:
      case 1:
        return {worker,
                codec::EncodeAddUserRequest(
                    envelope(worker), conference,
                    testing::UserWithAudio(
                        worker, Pick(3) == 0 ? engine::Role::kPresenter
                                             : engine::Role::kAttendee))};
      case 2:
        return {worker, codec::EncodeDeleteUserRequest(envelope(worker),
                                                       conference, worker)};
      case 3:
        return {organizer, codec::EncodeDeleteUserRequest(envelope(organizer),
                                                          conference, worker)};
      case 4:
        return {organizer, codec::EncodeModifyUserRolesRequest(
                               envelope(organizer), conference, worker,
                               Pick(2) == 0 ? engine::Role::kPresenter
                                            : engine::Role::kAttendee)};
      case 5:
        return {worker, codec::EncodeModifyEndpointMediaRequest(
                            envelope(worker), conference, worker,
                            absl::StrCat(worker, "/av"), "1",
                            Pick(2) == 0 ? engine::MediaStatus::kRecvOnly
                                         : engine::MediaStatus::kSendRecv)};
      case 6:
        return {organizer, codec::EncodeModifyConferenceLockRequest(
                               envelope(organizer), conference,
                               Pick(2) == 0 ? engine::LockState::kLocked
                                            : engine::LockState::kUnlocked)};
      case 7:
        return {organizer, codec::EncodeSetLobbyAccessRequest(
                               envelope(organizer), conference, {worker},
                               Pick(2) == 0 ? engine::LobbyDecision::kGrant
                                            : engine::LobbyDecision::kDeny)};
      case 8:
        return {worker, codec::EncodeModifyEndpointStatusRequest(
                            envelope(worker), conference, worker,
                            absl::StrCat(worker, "/av"),
                            Pick(2) == 0 ? engine::EndpointStatus::kOnHold
                                         : engine::EndpointStatus::kConnected)};
      case 9:
        return {Attendee(c), codec::EncodeGetConferenceRequest(
                                 envelope(Attendee(c)), conference, "")};
      default:
        return Invalid(c);
    }
  }

  // A request that must fail and change nothing.
  Request Invalid(int c) {
    const std::string conference = FocusUri(c);
    const std::string attendee = Attendee(c);
    const std::string organizer = Organizer(c);
    const std::string id = absl::StrCat(++request_id_);
    const codec::RequestEnvelope as_attendee{id, attendee, conference};
    const codec::RequestEnvelope forged{id, organizer, conference};
    const std::string lock = codec::EncodeModifyConferenceLockRequest(
        forged, conference, engine::LockState::kLocked);
    switch (Pick(9)) {
      case 0:  // an attendee may not lock
        return {attendee,
                codec::EncodeModifyConferenceLockRequest(
                    as_attendee, conference, engine::LockState::kLocked),
                true};
      case 1:  // nor eject
        return {
            attendee,
            codec::EncodeDeleteUserRequest(as_attendee, conference, organizer),
            true};
      case 2:  // nor promote
        return {
            attendee,
            codec::EncodeModifyUserRolesRequest(
                as_attendee, conference, attendee, engine::Role::kPresenter),
            true};
      case 3:  // nor admit
        return {attendee,
                codec::EncodeSetLobbyAccessRequest(
                    as_attendee, conference, {LobbyUser(c)},
                    engine::LobbyDecision::kGrant),
                true};
      case 4:  // `from` is not the authenticated identity
        return {attendee, lock, true};
      case 5:  // truncated
        return {organizer, lock.substr(0, Pick(lock.size())), true};
      case 6: {  // bytes flipped inside the markup
        std::string body = lock;
        for (int i = 0; i < 4; ++i)
          body[Pick(body.size())] = '<';
        return {organizer, body, true};
      }
      case 7:  // `to` names another conference
        return {organizer,
                codec::EncodeModifyConferenceLockRequest(
                    {id, organizer, FocusUri((c + 1) % kConferences)},
                    conference, engine::LockState::kLocked),
                true};
      default:  // not C3P at all
        return {organizer, "<request><command/>\x01\xff</request", true};
    }
  }

 private:
  size_t Pick(size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  std::mt19937_64 rng_;
  int request_id_ = 0;
};

// True when `body` sent by `identity` succeeded.
bool Succeeded(Focus& focus, const Request& request) {
  absl::StatusOr<C3pResult> r =
      focus.HandleRequest(request.identity, request.body);
  return r.ok() && r->success();
}

// One subscriber and what it has seen. Used by one poller thread at a time.
struct Follower {
  std::string user;
  int conference = 0;
  std::unique_ptr<Subscription> subscription;
  ReferenceSubscriber view;
  uint32_t last_version = 0;
  int resynchronizations = 0;
  int refreshes = 0;
};

// Wakes a poller thread when one of its subscriptions has something.
class Doorbell {
 public:
  void Ring() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      rung_ = true;
    }
    cv_.notify_one();
  }
  // Waits until rung or `done`; returns false once done and not rung.
  bool Wait(const std::atomic<bool>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return rung_ || done.load(); });
    const bool rung = rung_;
    rung_ = false;
    return rung;
  }
  void Wake() {
    { std::lock_guard<std::mutex> lock(mutex_); }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool rung_ = false;
};

class FocusEndToEndTest : public ::testing::Test {
 protected:
  FocusEndToEndTest() : focus_(Options()) {}

  void SetUp() override {
    for (int c = 0; c < kConferences; ++c) {
      codec::AddConferenceSpec spec;
      spec.conference_id = absl::StrCat("E2E", c);
      spec.mcu_types = {"chat", "audio-video"};
      ASSERT_TRUE(Succeeded(
          focus_, {Organizer(c),
                   codec::EncodeAddConferenceRequest(
                       {"1", Organizer(c),
                        absl::StrCat(Organizer(c),
                                     ";gruu;opaque=app:conf:focusfactory")},
                       spec)}));
      ASSERT_TRUE(Join(c, Organizer(c), engine::Role::kPresenter));
      ASSERT_TRUE(Join(c, Attendee(c), engine::Role::kAttendee));
      ASSERT_TRUE(Succeeded(
          focus_,
          {Organizer(c), codec::EncodeModifyConferenceLockRequest(
                             {"3", Organizer(c), FocusUri(c)}, FocusUri(c),
                             engine::LockState::kLocked)}));
      ASSERT_TRUE(Join(c, LobbyUser(c), engine::Role::kAttendee));
      ASSERT_TRUE(Snapshot(c)->lobby.Contains(engine::UserId(LobbyUser(c))));
    }
  }

  bool Join(int c, const std::string& user, engine::Role role) {
    return Succeeded(focus_, {user, codec::EncodeAddUserRequest(
                                        {"2", user, FocusUri(c)}, FocusUri(c),
                                        testing::UserWithAudio(user, role))});
  }

  std::shared_ptr<const engine::ConferenceSnapshot> Snapshot(int c) {
    return focus_.store().FindSnapshot(engine::ConferenceId(FocusUri(c)));
  }

  std::unique_ptr<Subscription> Subscribe(
      const Follower& f, Doorbell* bell,
      std::optional<uint32_t> last_seen = std::nullopt) {
    focus::SubscribeRequest request;
    request.subscription_id = absl::StrCat("dialog-", f.user);
    request.user = f.user;
    request.conference = FocusUri(f.conference);
    request.last_seen_version = last_seen;
    request.on_ready = [bell] { bell->Ring(); };
    absl::StatusOr<std::unique_ptr<Subscription>> s =
        focus_.Subscribe(std::move(request));
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *std::move(s) : nullptr;
  }

  // Applies every ready notification; versions must rise by exactly one and
  // every partial document must apply without a gap.
  static void Drain(Follower& f) {
    for (const Notification& n : f.subscription->Poll()) {
      ASSERT_EQ(n.version, f.last_version + 1) << f.user;
      f.last_version = n.version;
      if (n.kind == DocumentKind::kFull) {
        if (f.view.has_state())
          ++f.resynchronizations;
        f.view = ReferenceSubscriber();
      }
      ASSERT_NE(n.kind, DocumentKind::kDeleted) << f.user;
      ASSERT_THAT(f.view.Apply(n.Bytes()), IsOk()) << f.user << "\n"
                                                   << n.Bytes();
    }
  }

  // What a fresh getConference shows `user` (no secrets).
  std::string FreshCanonical(int c, const std::string& user) {
    absl::StatusOr<C3pResult> r = focus_.HandleRequest(
        user, codec::EncodeGetConferenceRequest({"9", user, FocusUri(c)},
                                                FocusUri(c), ""));
    EXPECT_TRUE(r.ok() && r->success());
    ReferenceSubscriber fresh;
    EXPECT_THAT(fresh.Apply(EmbeddedDocument(r.ok() ? r->body : "")), IsOk());
    return fresh.Canonical();
  }

  Focus focus_;
};

TEST_F(FocusEndToEndTest, SubscribersOfEveryRoleFollowRandomRequests) {
  // One poller thread per conference follows its leader, attendee and lobby
  // user.
  std::vector<std::vector<Follower>> followers(kConferences);
  std::vector<std::unique_ptr<Doorbell>> bells;
  for (int c = 0; c < kConferences; ++c) {
    bells.push_back(std::make_unique<Doorbell>());
    for (const std::string& user : {Organizer(c), Attendee(c), LobbyUser(c)}) {
      Follower f;
      f.user = user;
      f.conference = c;
      f.subscription = Subscribe(f, bells[c].get());
      ASSERT_NE(f.subscription, nullptr);
      followers[c].push_back(std::move(f));
    }
  }

  std::atomic<bool> done{false};
  std::atomic<int> invalid_accepted{0};
  // Pollers that hold their first views; the writers start after all do.
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConferences; ++c) {
    threads.emplace_back([&, c] {
      int polls = 0;
      bool lagged = false;
      while (bells[c]->Wait(done)) {
        if (!lagged) {
          // After its first drain the poller falls behind the log once on
          // purpose, as a stalled client does: it resumes only when the
          // conference has moved further than the log holds, so the next
          // Poll must resynchronize every follower with a full document
          // however the threads are scheduled.
          for (Follower& f : followers[c])
            Drain(f);
          lagged = true;
          const uint64_t from = Snapshot(c)->version;
          started.fetch_add(1);
          while (!done.load() &&
                 Snapshot(c)->version <= from + kMaxQueuedNotifications) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        for (Follower& f : followers[c]) {
          Drain(f);
          // The dialog is refreshed from the last version it applied, as a
          // SIP client re-SUBSCRIBEs: once as soon as it holds a view (so
          // every run takes this path however the threads are scheduled),
          // then now and then.
          if (f.view.has_state() && (f.refreshes == 0 || ++polls % 29 == 0)) {
            // The superseded subscription is released at once, as a SIP
            // stack drops the old dialog state.
            std::unique_ptr<Subscription> refreshed =
                Subscribe(f, bells[c].get(), f.last_version);
            f.subscription.reset();
            f.subscription = std::move(refreshed);
            ++f.refreshes;
          }
        }
      }
    });
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriterThreads; ++t) {
    writers.emplace_back([&, t] {
      while (started.load() < kConferences)
        std::this_thread::yield();
      RequestGenerator generator(1000 + t);
      for (int i = 0; i < kRequestsPerWriter; ++i) {
        const Request request = generator.Next(i % kConferences);
        if (Succeeded(focus_, request) && request.invalid) {
          invalid_accepted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& w : writers)
    w.join();
  done.store(true);
  for (auto& bell : bells)
    bell->Wake();
  for (std::thread& p : threads)
    p.join();

  EXPECT_EQ(invalid_accepted.load(), 0);
  int resynchronizations = 0;
  for (int c = 0; c < kConferences; ++c) {
    for (Follower& f : followers[c]) {
      Drain(f);
      EXPECT_FALSE(f.subscription->ended()) << f.user;
      EXPECT_EQ(f.view.Canonical(), FreshCanonical(c, f.user)) << f.user;
      resynchronizations += f.resynchronizations;
    }
    // The lobby user still waits, and sees only itself.
    const std::string lobby_view = followers[c][2].view.Canonical();
    EXPECT_THAT(lobby_view, ::testing::HasSubstr(
                                absl::StrCat("entity=\"", LobbyUser(c), "\"")));
    EXPECT_THAT(lobby_view, ::testing::Not(::testing::HasSubstr(
                                absl::StrCat("entity=\"", Attendee(c), "\""))));
  }
  int refreshes = 0;
  for (const auto& conference : followers) {
    for (const Follower& f : conference)
      refreshes += f.refreshes;
  }
  // The run exercised both recovery paths.
  EXPECT_GT(resynchronizations, 0);
  EXPECT_GT(refreshes, 0);
}

TEST_F(FocusEndToEndTest, InvalidRequestsChangeNothing) {
  RequestGenerator generator(42);
  for (int i = 0; i < 200; ++i) {
    const int c = i % kConferences;
    std::vector<uint64_t> before;
    for (int k = 0; k < kConferences; ++k)
      before.push_back(Snapshot(k)->version);
    const Request request = generator.Invalid(c);
    EXPECT_FALSE(Succeeded(focus_, request)) << request.body;
    for (int k = 0; k < kConferences; ++k) {
      EXPECT_EQ(Snapshot(k)->version, before[k]) << request.body;
    }
  }
}

// A SIP stack may release a superseded dialog's Subscription only after the
// refresh replaced it. Destroying it must not end the refresh, which now owns
// the dialog id in the store.
TEST_F(FocusEndToEndTest, DestroyingASupersededSubscriptionKeepsItsRefresh) {
  Doorbell bell;
  Follower f;
  f.user = Organizer(0);  // a leader sees the lobby, where joiners wait
  f.subscription = Subscribe(f, &bell);
  Drain(f);
  ASSERT_TRUE(Join(0, Worker(0), engine::Role::kAttendee));
  Drain(f);
  std::unique_ptr<Subscription> refreshed = Subscribe(f, &bell, f.last_version);
  f.subscription = std::move(refreshed);  // releases the superseded one
  ASSERT_TRUE(Join(0, Worker(1), engine::Role::kAttendee));
  Drain(f);
  EXPECT_EQ(f.last_version, 3u);
  EXPECT_EQ(f.view.Canonical(), FreshCanonical(0, f.user));
}

}  // namespace
}  // namespace conf
