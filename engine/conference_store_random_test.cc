// Randomized differential test: thousands of random command sequences run
// against the ConferenceStore and against a deliberately simple reference
// model (one plain std::map of plain values, no sharding, no sharing, no
// deltas). After every step the two must agree on the outcome (status code)
// and on the whole state, the user index must match, and the deltas must
// say exactly what changed: applying each returned delta to a replica gives
// the store's snapshot, and replaying DeltasSince onto an older snapshot
// gives the newer one.

#include <algorithm>
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
#include "gtest/gtest.h"

#include "engine/conference_store.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace {

constexpr int kSequences = 2000;
constexpr int kStepsPerSequence = 30;
constexpr int kUserPool = 6;

// --- The reference model -----------------------------------------------------

struct RefMedia {
  std::string id;
  std::string type;
  std::optional<MediaStatus> status;
  bool operator==(const RefMedia& o) const {
    return id == o.id && type == o.type && status == o.status;
  }
};

struct RefEndpoint {
  std::string entity;
  std::optional<EndpointStatus> status;
  std::optional<DisconnectionMethod> disconnection_method;
  std::vector<RefMedia> media;
  bool operator==(const RefEndpoint& o) const {
    return entity == o.entity && status == o.status &&
           disconnection_method == o.disconnection_method && media == o.media;
  }
};

struct RefUser {
  Role role = Role::kAttendee;
  std::vector<RefEndpoint> endpoints;
  bool operator==(const RefUser& o) const {
    return role == o.role && endpoints == o.endpoints;
  }
};

struct RefConference {
  std::string organizer;
  uint64_t version = 0;
  std::string subject;
  std::optional<uint32_t> maximum_user_count;
  std::optional<AdmissionPolicy> policy;
  bool locked = false;
  std::map<std::string, RefUser> users;
  std::map<std::string, RefUser> lobby;
  std::map<std::string, std::optional<bool>> view_locked;
  bool operator==(const RefConference& o) const {
    return organizer == o.organizer && version == o.version &&
           subject == o.subject && maximum_user_count == o.maximum_user_count &&
           policy == o.policy && locked == o.locked && users == o.users &&
           lobby == o.lobby && view_locked == o.view_locked;
  }
};

using Code = absl::StatusCode;

class Reference {
 public:
  explicit Reference(const StoreLimits& limits) : limits_(limits) {}

  std::map<std::string, RefConference> conferences;

  enum class Who { kFocus, kLeader, kAttendee, kOutsider };
  Who WhoIs(const RefConference& c, const std::string& requester) const {
    if (requester.empty()) {
      return Who::kFocus;
    }
    if (requester == c.organizer) {
      return Who::kLeader;
    }
    auto it = c.users.find(requester);
    if (it == c.users.end()) {
      return Who::kOutsider;
    }
    return it->second.role == Role::kAttendee ? Who::kAttendee : Who::kLeader;
  }
  static bool Leads(Who who) {
    return who == Who::kFocus || who == Who::kLeader;
  }

  static RefUser FromUser(const User& user) {
    RefUser out;
    out.role = user.role;
    for (const auto& e : user.endpoints) {
      out.endpoints.push_back(FromEndpoint(*e));
    }
    return out;
  }
  static RefEndpoint FromEndpoint(const Endpoint& e) {
    RefEndpoint out;
    out.entity = std::string(e.entity.value());
    out.status = e.status;
    out.disconnection_method = e.disconnection_method;
    for (const auto& m : e.media) {
      out.media.push_back(
          {std::string(m->id.value()), std::string(m->type), m->status});
    }
    return out;
  }

  Code AddUser(const AddUserRequest& r) {
    if (r.user.entity.empty()) {
      return Code::kInvalidArgument;
    }
    if (r.user.endpoints.size() > limits_.max_endpoints_per_user) {
      return Code::kResourceExhausted;
    }
    for (const auto& e : r.user.endpoints) {
      if (e->media.size() > limits_.max_media_per_endpoint) {
        return Code::kResourceExhausted;
      }
    }
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    const std::string& user = std::string(r.user.entity.value());
    Who who = WhoIs(c, std::string(r.requester.value()));
    if (r.kind == JoinKind::kJoin) {
      if (who != Who::kFocus && std::string(r.requester.value()) != user) {
        return Code::kPermissionDenied;
      }
    } else if (!Leads(who)) {
      return Code::kPermissionDenied;
    }
    if (c.users.count(user) || c.lobby.count(user)) {
      return Code::kAlreadyExists;
    }
    const bool organizer = user == c.organizer;
    if (r.user.role == Role::kOrganizer && !organizer) {
      return Code::kInvalidArgument;
    }
    const bool anonymous = r.authentication == Authentication::kAnonymous;
    Role role = organizer ? Role::kOrganizer
                          : (anonymous ? Role::kAttendee : r.user.role);
    bool lobby = false;
    if (!organizer) {
      AdmissionPolicy policy =
          c.policy.value_or(AdmissionPolicy::kOpenAuthenticated);
      if (r.kind == JoinKind::kDialOut) {
        if (c.locked) {
          return Code::kFailedPrecondition;
        }
      } else {
        if (anonymous && policy == AdmissionPolicy::kClosedAuthenticated) {
          return Code::kPermissionDenied;
        }
        lobby = c.locked || policy == AdmissionPolicy::kClosedAuthenticated ||
                (anonymous && policy == AdmissionPolicy::kOpenAuthenticated);
      }
    }
    if (c.users.size() + c.lobby.size() >= limits_.max_users_per_conference) {
      return Code::kResourceExhausted;
    }
    if (!lobby && c.maximum_user_count &&
        c.users.size() >= *c.maximum_user_count) {
      return Code::kResourceExhausted;
    }
    RefUser added = FromUser(r.user);
    added.role = role;
    (lobby ? c.lobby : c.users)[user] = added;
    ++c.version;
    return Code::kOk;
  }

  Code LobbyDecision(const LobbyDecisionRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    if (!Leads(WhoIs(c, std::string(r.requester.value())))) {
      return Code::kPermissionDenied;
    }
    auto found = c.lobby.find(std::string(r.user.value()));
    if (found == c.lobby.end()) {
      return c.users.count(std::string(r.user.value()))
                 ? Code::kFailedPrecondition
                 : Code::kNotFound;
    }
    if (r.decision == LobbyDecision::kGrant) {
      if (c.maximum_user_count && c.users.size() >= *c.maximum_user_count) {
        return Code::kResourceExhausted;
      }
      c.users[std::string(r.user.value())] = found->second;
    }
    c.lobby.erase(found);
    ++c.version;
    return Code::kOk;
  }

  Code DeleteUser(const DeleteUserRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    const std::string& user = std::string(r.user.value());
    bool in_roster = c.users.count(user) > 0;
    if (!in_roster && !c.lobby.count(user)) {
      return Code::kNotFound;
    }
    Who who = WhoIs(c, std::string(r.requester.value()));
    if (who != Who::kFocus && std::string(r.requester.value()) != user) {
      if (who != Who::kLeader) {
        return Code::kPermissionDenied;
      }
      if (user == c.organizer &&
          std::string(r.requester.value()) != c.organizer) {
        return Code::kPermissionDenied;
      }
    }
    (in_roster ? c.users : c.lobby).erase(user);
    ++c.version;
    return Code::kOk;
  }

  Code ModifyUserRoles(const ModifyUserRolesRequest& r) {
    if (r.role == Role::kOrganizer) {
      return Code::kInvalidArgument;
    }
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    if (!Leads(WhoIs(c, std::string(r.requester.value())))) {
      return Code::kPermissionDenied;
    }
    auto found = c.users.find(std::string(r.user.value()));
    if (found == c.users.end()) {
      return c.lobby.count(std::string(r.user.value()))
                 ? Code::kFailedPrecondition
                 : Code::kNotFound;
    }
    if (found->second.role == Role::kOrganizer) {
      return Code::kFailedPrecondition;
    }
    found->second.role = r.role;
    ++c.version;
    return Code::kOk;
  }

  Code Lock(const ModifyConferenceLockRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    if (!Leads(WhoIs(c, std::string(r.requester.value())))) {
      return Code::kPermissionDenied;
    }
    c.locked = r.lock == LockState::kLocked;
    for (auto& [view, locked] : c.view_locked) {
      if (locked.has_value()) {
        locked = c.locked;
      }
    }
    ++c.version;
    return Code::kOk;
  }

  Code ModifyMedia(const ModifyEndpointMediaRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    if (r.requester != r.user &&
        !Leads(WhoIs(c, std::string(r.requester.value())))) {
      return Code::kPermissionDenied;
    }
    auto found = c.users.find(std::string(r.user.value()));
    if (found == c.users.end()) {
      return c.lobby.count(std::string(r.user.value()))
                 ? Code::kFailedPrecondition
                 : Code::kNotFound;
    }
    for (RefEndpoint& e : found->second.endpoints) {
      if (e.entity != std::string(r.endpoint.value())) {
        continue;
      }
      for (RefMedia& m : e.media) {
        if (m.id == std::string(r.media.id.value())) {
          m = {std::string(r.media.id.value()), std::string(r.media.type),
               r.media.status};
          ++c.version;
          return Code::kOk;
        }
      }
      return Code::kNotFound;
    }
    return Code::kNotFound;
  }

  // Finds a user in the roster, then the lobby.
  RefUser* FindAny(RefConference& c, const std::string& user) {
    auto it = c.users.find(user);
    if (it != c.users.end()) {
      return &it->second;
    }
    it = c.lobby.find(user);
    return it == c.lobby.end() ? nullptr : &it->second;
  }

  Code SetEndpoint(const SetEndpointRequest& r) {
    if (r.endpoint.media.size() > limits_.max_media_per_endpoint) {
      return Code::kResourceExhausted;
    }
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefUser* user = FindAny(it->second, std::string(r.user.value()));
    if (user == nullptr) {
      return Code::kNotFound;
    }
    for (RefEndpoint& e : user->endpoints) {
      if (e.entity == std::string(r.endpoint.entity.value())) {
        e = FromEndpoint(r.endpoint);
        ++it->second.version;
        return Code::kOk;
      }
    }
    if (user->endpoints.size() >= limits_.max_endpoints_per_user) {
      return Code::kResourceExhausted;
    }
    user->endpoints.push_back(FromEndpoint(r.endpoint));
    ++it->second.version;
    return Code::kOk;
  }

  Code EndpointStatus(const ModifyEndpointStatusRequest& r) {
    bool disconnecting = r.status == EndpointStatus::kDisconnected ||
                         r.status == EndpointStatus::kDisconnecting;
    if (!disconnecting && r.disconnection_method.has_value()) {
      return Code::kInvalidArgument;
    }
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefUser* user = FindAny(it->second, std::string(r.user.value()));
    if (user == nullptr) {
      return Code::kNotFound;
    }
    for (RefEndpoint& e : user->endpoints) {
      if (e.entity == std::string(r.endpoint.value())) {
        e.status = r.status;
        if (r.disconnection_method.has_value()) {
          e.disconnection_method = r.disconnection_method;
        }
        ++it->second.version;
        return Code::kOk;
      }
    }
    return Code::kNotFound;
  }

  Code DeleteEndpoint(const DeleteEndpointRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefUser* user = FindAny(it->second, std::string(r.user.value()));
    if (user == nullptr) {
      return Code::kNotFound;
    }
    for (size_t i = 0; i < user->endpoints.size(); ++i) {
      if (user->endpoints[i].entity == std::string(r.endpoint.value())) {
        user->endpoints.erase(user->endpoints.begin() + i);
        ++it->second.version;
        return Code::kOk;
      }
    }
    return Code::kNotFound;
  }

  Code ModifyConference(const ModifyConferenceRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    RefConference& c = it->second;
    if (!Leads(WhoIs(c, std::string(r.requester.value())))) {
      return Code::kPermissionDenied;
    }
    c.subject = r.description->subject;
    c.maximum_user_count = r.description->maximum_user_count;
    c.policy = r.description->admission_policy;
    ++c.version;
    return Code::kOk;
  }

  Code DeleteConference(const DeleteConferenceRequest& r) {
    auto it = conferences.find(std::string(r.conference.value()));
    if (it == conferences.end()) {
      return Code::kNotFound;
    }
    if (!r.requester.empty() &&
        std::string(r.requester.value()) != it->second.organizer) {
      return Code::kPermissionDenied;
    }
    conferences.erase(it);
    return Code::kOk;
  }

 private:
  StoreLimits limits_;
};

// The store's snapshot in the reference's terms.
RefConference Flatten(const ConferenceSnapshot& s) {
  RefConference c;
  c.organizer = std::string(s.organizer.value());
  c.version = s.version;
  c.subject = s.description->subject;
  c.maximum_user_count = s.description->maximum_user_count;
  c.policy = s.description->admission_policy;
  c.locked = s.state->locked;
  for (const auto& user : s.users) {
    c.users[std::string(user->entity.value())] = Reference::FromUser(*user);
  }
  for (const auto& user : s.lobby) {
    c.lobby[std::string(user->entity.value())] = Reference::FromUser(*user);
  }
  for (const auto& view : s.views) {
    c.view_locked[std::string(view->entity)] = view->state.locked;
  }
  return c;
}

// --- The random driver -----------------------------------------------------

class Driver {
 public:
  explicit Driver(uint32_t seed)
      : rng_(seed), store_(Options()), ref_(Options().limits) {}

  static StoreOptions Options() {
    StoreOptions options;
    options.limits.max_users_per_conference = 5;
    options.limits.max_endpoints_per_user = 2;
    options.limits.max_media_per_endpoint = 2;
    options.limits.max_conferences = 3;
    options.delta_log_capacity = 8;
    options.random_bytes = [](uint8_t* out, size_t size) {
      std::fill(out, out + size, 0x5A);
    };
    return options;
  }

  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE(step);
      Step();
      ASSERT_NO_FATAL_FAILURE(Compare());
      if (::testing::Test::HasFailure()) {
        return;
      }
    }
  }

 private:
  uint32_t Pick(uint32_t n) { return rng_() % n; }
  bool Coin() { return Pick(2) == 0; }

  UserId AnyUser() {
    return UserId("sip:u" + std::to_string(Pick(kUserPool)) + "@x");
  }
  UserId Requester() {
    switch (Pick(4)) {
      case 0:
        return UserId();  // The focus.
      case 1:
        return UserId("sip:u0@x");  // Organizer of every conference.
      default:
        return AnyUser();
    }
  }
  ConferenceId AnyConference() {
    if (known_.empty() || Pick(10) == 0) {
      return ConferenceId("sip:u0@x;gruu;opaque=app:conf:focus:id:NONE");
    }
    return known_[Pick(static_cast<uint32_t>(known_.size()))];
  }
  std::shared_ptr<const Media> AnyMedia() {
    auto media = std::make_shared<Media>();
    media->id = MediaId(std::to_string(1 + Pick(3)));
    media->type = Coin() ? "audio" : "video";
    media->status = static_cast<MediaStatus>(Pick(4));
    return media;
  }
  Endpoint AnyEndpoint() {
    Endpoint endpoint;
    endpoint.entity = EndpointId("{E" + std::to_string(Pick(3)) + "}");
    endpoint.status = static_cast<EndpointStatus>(Pick(9));
    uint32_t media = Pick(4);  // Sometimes over the limit of 2.
    for (uint32_t i = 0; i < media; ++i) {
      std::shared_ptr<const Media> m = AnyMedia();
      bool duplicate = false;
      for (const auto& existing : endpoint.media) {
        duplicate |= existing->id == m->id;
      }
      if (!duplicate) {
        endpoint.media.push_back(std::move(m));
      }
    }
    return endpoint;
  }

  // Runs one random command on both sides and checks the outcome.
  void Step() {
    absl::StatusOr<MutationResult> result = absl::UnknownError("unset");
    Code expected = Code::kOk;
    ConferenceId target;
    switch (Pick(12)) {
      case 0: {
        AddConferenceRequest r;
        r.organizer = UserId("sip:u0@x");
        r.description.subject = "s";
        if (Coin()) {
          r.description.admission_policy =
              static_cast<AdmissionPolicy>(Pick(3));
        }
        r.mcu_types = {"chat", "audio-video"};
        r.description.conference_id = "C" + std::to_string(next_id_++);
        result = store_.ApplyAddConference(r);
        expected =
            ref_.conferences.size() >= 3 ? Code::kResourceExhausted : Code::kOk;
        if (result.ok()) {
          const ConferenceSnapshot& s = *result->snapshot;
          RefConference c = Flatten(s);  // Creation is not under test here.
          c.users.clear();
          c.lobby.clear();
          ref_.conferences[std::string(s.entity.value())] = c;
          known_.push_back(s.entity);
          replicas_[std::string(s.entity.value())] = *result->snapshot;
        }
        break;
      }
      case 1:
      case 2: {
        AddUserRequest r;
        r.conference = target = AnyConference();
        r.user.entity = AnyUser();
        r.kind = Pick(4) == 0 ? JoinKind::kDialOut : JoinKind::kJoin;
        r.requester =
            r.kind == JoinKind::kJoin && Coin() ? r.user.entity : Requester();
        r.authentication = Pick(4) == 0 ? Authentication::kAnonymous
                                        : Authentication::kAuthenticated;
        r.user.role = static_cast<Role>(Pick(10) == 0 ? 0 : 1 + Pick(2));
        uint32_t endpoints = Pick(4);
        for (uint32_t i = 0; i < endpoints; ++i) {
          Endpoint e = AnyEndpoint();
          e.entity = EndpointId("{E" + std::to_string(i) + "}");
          r.user.endpoints.push_back(std::make_shared<Endpoint>(std::move(e)));
        }
        expected = ref_.AddUser(r);
        result = store_.ApplyAddUser(r);
        break;
      }
      case 3: {
        LobbyDecisionRequest r{
            target = AnyConference(), Requester(), AnyUser(),
            Coin() ? LobbyDecision::kGrant : LobbyDecision::kDeny};
        expected = ref_.LobbyDecision(r);
        result = store_.ApplyLobbyDecision(r);
        break;
      }
      case 4: {
        DeleteUserRequest r{target = AnyConference(), Requester(), AnyUser()};
        expected = ref_.DeleteUser(r);
        result = store_.ApplyDeleteUser(r);
        break;
      }
      case 5: {
        ModifyUserRolesRequest r{target = AnyConference(), Requester(),
                                 AnyUser(), static_cast<Role>(Pick(3))};
        expected = ref_.ModifyUserRoles(r);
        result = store_.ApplyModifyUserRoles(r);
        break;
      }
      case 6: {
        ModifyConferenceLockRequest r{
            target = AnyConference(), Requester(),
            Coin() ? LockState::kLocked : LockState::kUnlocked};
        expected = ref_.Lock(r);
        result = store_.ApplyModifyConferenceLock(r);
        break;
      }
      case 7: {
        ModifyEndpointMediaRequest r;
        r.conference = target = AnyConference();
        r.requester = Requester();
        r.user = AnyUser();
        r.endpoint = EndpointId("{E" + std::to_string(Pick(3)) + "}");
        r.media = *AnyMedia();
        expected = ref_.ModifyMedia(r);
        result = store_.ApplyModifyEndpointMedia(r);
        break;
      }
      case 8: {
        SetEndpointRequest r{target = AnyConference(), AnyUser(),
                             AnyEndpoint()};
        expected = ref_.SetEndpoint(r);
        result = store_.ApplySetEndpoint(r);
        break;
      }
      case 9: {
        ModifyEndpointStatusRequest r;
        r.conference = target = AnyConference();
        r.user = AnyUser();
        r.endpoint = EndpointId("{E" + std::to_string(Pick(3)) + "}");
        r.status = static_cast<EndpointStatus>(Pick(9));
        if (Coin()) {
          r.disconnection_method = static_cast<DisconnectionMethod>(Pick(4));
        }
        expected = ref_.EndpointStatus(r);
        result = store_.ApplyModifyEndpointStatus(r);
        break;
      }
      case 10: {
        if (Coin()) {
          DeleteEndpointRequest r{
              target = AnyConference(), AnyUser(),
              EndpointId("{E" + std::to_string(Pick(3)) + "}")};
          expected = ref_.DeleteEndpoint(r);
          result = store_.ApplyDeleteEndpoint(r);
        } else {
          ModifyConferenceRequest r;
          r.conference = target = AnyConference();
          r.requester = Requester();
          r.description.emplace();
          r.description->subject = "s" + std::to_string(Pick(5));
          if (Coin()) {
            r.description->maximum_user_count = Pick(4);
          }
          if (Coin()) {
            r.description->admission_policy =
                static_cast<AdmissionPolicy>(Pick(3));
          }
          expected = ref_.ModifyConference(r);
          result = store_.ApplyModifyConference(r);
        }
        break;
      }
      default: {
        if (Pick(4) != 0) {
          // Sign-out: the user leaves every conference it is in.
          UserId user = AnyUser();
          for (auto& [id, c] : ref_.conferences) {
            if (c.users.erase(std::string(user.value())) +
                c.lobby.erase(std::string(user.value()))) {
              ++c.version;
            }
          }
          for (const MutationResult& r : store_.RemoveUserEverywhere(user)) {
            ApplyToReplica(r);
          }
          return;
        }
        DeleteConferenceRequest r{target = AnyConference(), Requester()};
        expected = ref_.DeleteConference(r);
        result = store_.ApplyDeleteConference(r);
        if (result.ok()) {
          replicas_.erase(std::string(target.value()));
          history_.erase(std::string(target.value()));
          known_.erase(std::find(known_.begin(), known_.end(), target));
        }
        break;
      }
    }
    ASSERT_EQ(result.status().code(), expected) << result.status();
    if (result.ok() && result->delta->kind == DeltaKind::kUpdate &&
        result->delta->version > 1) {
      ApplyToReplica(*result);
    }
  }

  // Applies a delta to the replica: it must land exactly on the snapshot.
  void ApplyToReplica(const MutationResult& r) {
    ConferenceSnapshot& replica =
        replicas_[std::string(r.delta->conference.value())];
    ASSERT_EQ(replica.version + 1, r.delta->version);
    history_[std::string(r.delta->conference.value())].push_back(
        std::make_shared<const ConferenceSnapshot>(replica));
    replica = ApplyDelta(replica, *r.delta);
    ASSERT_TRUE(SnapshotsEqual(replica, *r.snapshot));
  }

  void Compare() {
    ASSERT_EQ(store_.conference_count(), ref_.conferences.size());
    std::map<std::string, std::vector<ConferenceId>> membership;
    for (const auto& [id, expected] : ref_.conferences) {
      std::shared_ptr<const ConferenceSnapshot> s =
          store_.FindSnapshot(ConferenceId(id));
      ASSERT_NE(s, nullptr) << id;
      ASSERT_TRUE(Flatten(*s) == expected) << id << " version " << s->version;
      ASSERT_EQ(s->state->user_count, s->users.size());
      ASSERT_TRUE(SnapshotsEqual(replicas_[id], *s));
      for (const auto& user : s->users) {
        membership[std::string(user->entity.value())].push_back(s->entity);
      }
      for (const auto& user : s->lobby) {
        membership[std::string(user->entity.value())].push_back(s->entity);
      }
      // Replay the delta log onto an older snapshot.
      const auto& history = history_[id];
      if (!history.empty()) {
        const ConferenceSnapshot& old =
            *history[Pick(static_cast<uint32_t>(history.size()))];
        auto deltas = store_.DeltasSince(s->entity, old.version);
        if (s->version - old.version <= Options().delta_log_capacity) {
          ASSERT_TRUE(deltas.ok()) << deltas.status();
          ConferenceSnapshot replayed = old;
          for (const auto& delta : *deltas) {
            replayed = ApplyDelta(replayed, *delta);
          }
          ASSERT_TRUE(SnapshotsEqual(replayed, *s));
        } else {
          ASSERT_EQ(deltas.status().code(), Code::kOutOfRange);
        }
      }
    }
    for (int i = 0; i < kUserPool; ++i) {
      std::string user = "sip:u" + std::to_string(i) + "@x";
      std::vector<ConferenceId> expected = membership[user];
      std::sort(expected.begin(), expected.end());
      ASSERT_EQ(store_.ListConferencesOf(UserId(user)), expected) << user;
    }
    ASSERT_EQ(store_.ListConferencesOrganizedBy(UserId("sip:u0@x")).size(),
              ref_.conferences.size());
  }

  std::mt19937 rng_;
  ConferenceStore store_;
  Reference ref_;
  std::vector<ConferenceId> known_;
  int next_id_ = 0;
  std::map<std::string, ConferenceSnapshot> replicas_;
  std::map<std::string, std::vector<std::shared_ptr<const ConferenceSnapshot>>>
      history_;
};

TEST(ConferenceStoreRandomTest, MatchesReferenceModel) {
  for (int sequence = 0; sequence < kSequences; ++sequence) {
    SCOPED_TRACE(::testing::Message() << "seed " << sequence);
    Driver driver(static_cast<uint32_t>(sequence));
    driver.Run(kStepsPerSequence);
    if (::testing::Test::HasFailure()) {
      return;
    }
  }
}

}  // namespace
}  // namespace engine
}  // namespace conf
