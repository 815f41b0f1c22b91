#include "focus/focus.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "codec/c3p_request.h"
#include "codec/c3p_response.h"
#include "codec/wire_names.h"
#include "focus/internal/request_mapping.h"
#include "focus/internal/secrets_version.h"
#include "focus/internal/subscription_registry.h"
#include "focus/internal/subscription_state.h"

namespace conf {
namespace focus {
namespace {

using codec::C3pReason;
using internal::Mapped;

// URIs cannot contain white space; the specification's own example ends a
// `to` attribute with a space, so comparisons ignore leading and trailing
// white space (docs/FOCUS.md).
absl::string_view Trim(absl::string_view s) {
  // Nearly every URI has nothing to trim: two byte tests, no call.
  if (!s.empty() &&
      !absl::ascii_isspace(static_cast<unsigned char>(s.front())) &&
      !absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    return s;
  }
  return absl::StripAsciiWhitespace(s);
}

bool SameUri(absl::string_view a, absl::string_view b) {
  return Trim(a) == Trim(b);
}

// The focus factory of `user` (MS-CONFPRO 4.5): where addConference and the
// scheduling commands go.
std::string FocusFactoryUri(absl::string_view user) {
  return absl::StrCat(Trim(user), ";gruu;opaque=app:conf:focusfactory");
}

// Which commands may be addressed to the sender's focus factory instead of
// the conference's focus.
enum class Addressing {
  kFocusOnly,      // INFO inside the focus dialog.
  kFocusOrFactory  // getConference, modifyConference, deleteConference.
};

// RapidXML parses in place, so a request body is copied once, into a buffer
// with room for the NUL the parser appends (no second copy to grow it). A
// body over `max_bytes` is cut to one byte more: the parser refuses it just
// the same, without copying the rest.
std::vector<char> BodyForParse(absl::string_view body, size_t max_bytes) {
  const size_t size = std::min(body.size(), max_bytes + 1);
  std::vector<char> copy;
  copy.reserve(size + 1);
  copy.assign(body.begin(), body.begin() + size);
  return copy;
}

bool IsMember(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user) {
  return snapshot.organizer == user || snapshot.users.Contains(user) ||
         snapshot.lobby.Contains(user);
}

bool IsLeader(const engine::ConferenceSnapshot& snapshot,
              const engine::UserId& user) {
  if (snapshot.organizer == user)
    return true;
  std::shared_ptr<const engine::User> u = snapshot.users.Find(user);
  return u != nullptr && engine::IsLeader(u->role);
}

// What a failed store call addressed, to name the missing object.
struct Target {
  Target() = default;
  explicit Target(engine::ConferenceId c,
                  std::optional<engine::UserId> u = std::nullopt,
                  std::optional<engine::EndpointId> e = std::nullopt,
                  std::optional<engine::MediaId> m = std::nullopt)
      : conference(std::move(c)),
        user(std::move(u)),
        endpoint(std::move(e)),
        media(std::move(m)) {}

  engine::ConferenceId conference;
  std::optional<engine::UserId> user;
  std::optional<engine::EndpointId> endpoint;
  std::optional<engine::MediaId> media;
};

enum class Creates { kNothing, kConference, kUser };

// The partial documents that take a refreshed subscription of `user` from
// conference version `from_version` to `start`, or std::nullopt when only a
// full document will do (the log is too short, or the user's view changed).
std::optional<std::vector<internal::SubscriptionState::Replayed>> CatchUp(
    const engine::ConferenceStore& store,
    const engine::ConferenceSnapshot& start, const engine::UserId& user,
    engine::ViewerRole old_role, uint64_t from_version) {
  const codec::Viewer viewer = internal::ViewerFor(start, user);
  // A changed view needs a full document.
  if (viewer.role != old_role)
    return std::nullopt;
  absl::StatusOr<std::vector<std::shared_ptr<const engine::ConferenceDelta>>>
      deltas = store.DeltasSince(start.entity, from_version);
  if (!deltas.ok())
    return std::nullopt;  // The log no longer has them.
  std::vector<internal::SubscriptionState::Replayed> replay;
  for (const auto& delta : *deltas) {
    // Later deltas reach the new subscription through the store.
    if (delta->version > start.version)
      break;
    for (const engine::UserChange& change : delta->users) {
      if (change.entity == user)
        return std::nullopt;  // its own view moved
    }
    std::optional<codec::EncodedDocument> document =
        codec::EncodeConferenceInfoDelta(*delta, viewer);
    if (document.has_value()) {
      replay.push_back({*std::move(document), delta->version});
    }
  }
  if (start.version > from_version &&
      (deltas->empty() || deltas->back()->version < start.version)) {
    return std::nullopt;
  }
  return replay;
}

}  // namespace

// ---------------------------------------------------------------------------
// Subscription

Subscription::Subscription(Focus* focus,
                           std::shared_ptr<internal::SubscriptionState> state)
    : focus_(focus), state_(std::move(state)) {}

Subscription::~Subscription() { focus_->EndSubscription(state_); }

std::vector<Notification> Subscription::Poll(absl::Time now) {
  std::vector<Notification> out;
  state_->Poll(now, &out);
  return out;
}

size_t Subscription::Poll(std::vector<Notification>* out, absl::Time now) {
  return state_->Poll(now, out);
}

std::optional<absl::Time> Subscription::NextDue() const {
  return state_->NextDue();
}

bool Subscription::ended() const { return state_->ended(); }

uint64_t Subscription::resynchronizations() const {
  return state_->resynchronizations();
}

const std::string& Subscription::id() const { return state_->config().id; }

absl::string_view Subscription::conference() const {
  return state_->config().conference.value();
}

// ---------------------------------------------------------------------------
// Request handling

class Focus::RequestHandler {
 public:
  // `buffer` is storage the response may be written into (a caller's send
  // buffer, or empty).
  RequestHandler(Focus* focus, absl::string_view identity,
                 const codec::C3pRequest& request, std::string buffer)
      : focus_(*focus),
        store_(focus->store_),
        request_(request),
        address_(codec::ResponseAddressFor(request)),
        requester_(Trim(identity)),
        buffer_(std::move(buffer)) {}

  C3pResult Run() {
    // MS-OCER 3000: the C3P sender must be the authenticated SIP identity.
    if (!SameUri(request_.from, requester_.value())) {
      return Fail(C3pReason::kUnauthorized);
    }
    return std::visit([this](const auto& command) { return Handle(command); },
                      request_.command);
  }

 private:
  C3pResult Fail(C3pReason reason) {
    return C3pResult{codec::EncodeFailureResponse(address_, reason), reason};
  }
  C3pResult Succeed(std::string body) {
    return C3pResult{Reply(std::move(body)), std::nullopt};
  }
  // A short success goes into the caller's buffer when it fits, so the
  // buffer's capacity survives for the next large one (failures, rare, get
  // their own string).
  std::string Reply(std::string body) {
    if (buffer_.capacity() >= body.size() && buffer_.capacity() > 0) {
      buffer_.assign(body);
      return std::move(buffer_);
    }
    return body;
  }
  C3pResult Fail(const absl::Status& status, const Target& target,
                 Creates creates) {
    return Fail(ReasonFor(status, target, creates));
  }

  // The C3P reason for a failed store call. kNotFound names the first
  // missing object along `target`, read from the current state.
  C3pReason ReasonFor(const absl::Status& status, const Target& target,
                      Creates creates) {
    switch (status.code()) {
      case absl::StatusCode::kNotFound: {
        auto snapshot = store_.FindSnapshot(target.conference);
        if (snapshot == nullptr)
          return C3pReason::kConferenceDoesntExist;
        if (!target.user)
          return C3pReason::kOtherFailure;
        auto user = snapshot->users.Find(*target.user);
        if (user == nullptr)
          user = snapshot->lobby.Find(*target.user);
        if (user == nullptr)
          return C3pReason::kUserDoesntExist;
        if (!target.endpoint)
          return C3pReason::kOtherFailure;
        const engine::Endpoint* endpoint = user->FindEndpoint(*target.endpoint);
        if (endpoint == nullptr)
          return C3pReason::kEndpointDoesntExist;
        if (target.media && endpoint->FindMedia(*target.media) == nullptr) {
          return C3pReason::kMediaDoesntExist;
        }
        return C3pReason::kOtherFailure;
      }
      case absl::StatusCode::kAlreadyExists:
        if (creates == Creates::kConference) {
          return C3pReason::kConferenceExistsAlready;
        }
        if (creates == Creates::kUser)
          return C3pReason::kUserExistsAlready;
        return C3pReason::kOtherFailure;
      case absl::StatusCode::kPermissionDenied:
        return C3pReason::kUnauthorized;
      case absl::StatusCode::kResourceExhausted:
        if (creates == Creates::kConference) {
          return C3pReason::kMaximumConferencesExceeded;
        }
        if (creates == Creates::kUser) {
          return C3pReason::kMaximumMeetingSizeExceeded;
        }
        return C3pReason::kRequestTooLarge;
      case absl::StatusCode::kInvalidArgument:
        return C3pReason::kRequestMalformed;
      default:
        return C3pReason::kOtherFailure;
    }
  }

  // The conference `keys` (or, failing them, the request's `to`) names.
  std::shared_ptr<const engine::ConferenceSnapshot> Resolve(
      const codec::C3pConferenceKeys& keys) {
    if (!Trim(keys.conf_entity).empty()) {
      return store_.FindSnapshot(engine::ConferenceId(Trim(keys.conf_entity)));
    }
    if (!Trim(keys.conference_id).empty()) {
      return store_.FindSnapshotByConferenceId(Trim(keys.conference_id));
    }
    return store_.FindSnapshot(engine::ConferenceId(Trim(request_.to)));
  }

  // MS-OCER 3001: `to` must be the conference's focus (or, where allowed,
  // the sender's focus factory).
  bool Addressed(const engine::ConferenceSnapshot& snapshot,
                 Addressing addressing) const {
    if (SameUri(request_.to, snapshot.entity.value()))
      return true;
    return addressing == Addressing::kFocusOrFactory &&
           SameUri(request_.to, FocusFactoryUri(requester_.value()));
  }

  // Looks up the addressed conference and checks `to`; on failure `*failed`
  // holds the answer.
  std::shared_ptr<const engine::ConferenceSnapshot> Conference(
      const codec::C3pConferenceKeys& keys, Addressing addressing,
      std::optional<C3pResult>* failed) {
    auto snapshot = Resolve(keys);
    if (snapshot == nullptr) {
      *failed = Fail(C3pReason::kConferenceDoesntExist);
    } else if (!Addressed(*snapshot, addressing)) {
      *failed = Fail(C3pReason::kRequestMalformed);
      snapshot = nullptr;
    }
    return snapshot;
  }

  bool AddressedToFactory() const {
    return SameUri(request_.to, FocusFactoryUri(requester_.value()));
  }

  // --- Commands.

  C3pResult Handle(const codec::C3pAddConference& command) {
    if (!AddressedToFactory())
      return Fail(C3pReason::kRequestMalformed);
    const codec::C3pConferenceInfoView& info = command.conference_info;
    engine::AddConferenceRequest add;
    add.organizer = requester_;
    if (info.description.has_value()) {
      Mapped<engine::ConferenceDescription> description =
          internal::OverlayDescription({}, *info.description);
      if (auto* reason = std::get_if<C3pReason>(&description)) {
        return Fail(*reason);
      }
      add.description =
          std::get<engine::ConferenceDescription>(std::move(description));
    }
    for (const codec::C3pEntityViewView& view : info.entity_views) {
      const absl::string_view type = Trim(view.entity);
      if (type == "focus")
        continue;  // The focus's own view always exists.
      bool available = false;
      for (const std::string& t : focus_.options_.mcu_types) {
        available |= t == type;
      }
      if (!available)
        return Fail(C3pReason::kMcuTypeNotAvailable);
      add.mcu_types.emplace_back(type);
    }
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyAddConference(std::move(add));
    if (!result.ok()) {
      return Fail(result.status(), Target{}, Creates::kConference);
    }
    return Succeed(
        codec::EncodeAddConferenceResponse(address_, result->snapshot->entity));
  }

  C3pResult Handle(const codec::C3pModifyConference& command) {
    codec::C3pConferenceKeys keys;
    if (command.keys.has_value()) {
      keys = *command.keys;
    } else {
      keys.conf_entity = command.conference_info.entity;
    }
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOrFactory, &failed);
    if (snapshot == nullptr)
      return *failed;
    const codec::C3pConferenceInfoView& info = command.conference_info;
    engine::ModifyConferenceRequest modify;
    modify.conference = snapshot->entity;
    modify.requester = requester_;
    if (info.description.has_value()) {
      Mapped<engine::ConferenceDescription> description =
          internal::OverlayDescription(*snapshot->description,
                                       *info.description);
      if (auto* reason = std::get_if<C3pReason>(&description)) {
        return Fail(*reason);
      }
      modify.description =
          std::get<engine::ConferenceDescription>(std::move(description));
    }
    for (const codec::C3pEntityViewView& view : info.entity_views) {
      const engine::EntityView* current = snapshot->FindView(Trim(view.entity));
      // MS-CONFBAS: a command for an MCU the conference does not have.
      if (current == nullptr)
        return Fail(C3pReason::kMcuTypeNotAvailable);
      engine::EntityView changed = *current;
      if (view.has_entity_state) {
        changed.state.extensions =
            internal::MapExtensions(view.entity_state_extensions);
      }
      if (!view.extensions.empty()) {
        changed.extensions = internal::MapExtensions(view.extensions);
      }
      modify.views.push_back(std::move(changed));
    }
    if (!modify.description.has_value() && modify.views.empty()) {
      return Fail(C3pReason::kRequestMalformed);
    }
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyModifyConference(std::move(modify));
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity}, Creates::kNothing);
    }
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pDeleteConference& command) {
    std::optional<C3pResult> failed;
    auto snapshot =
        Conference(command.keys, Addressing::kFocusOrFactory, &failed);
    if (snapshot == nullptr)
      return *failed;
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyDeleteConference({snapshot->entity, requester_});
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity}, Creates::kNothing);
    }
    // The keys of this conference's secrets can never be asked for again.
    focus_.recipients_.ForgetConference(snapshot->entity.value());
    return Succeed(
        codec::EncodeDeleteConferenceResponse(address_, snapshot->entity));
  }

  // The conference `keys` (or, failing them, the request's `to`) name, for
  // the lock-free ConferenceStore::Read; std::nullopt when a msci:conference-id
  // names no conference.
  std::optional<engine::ConferenceId> ResolveId(
      const codec::C3pConferenceKeys& keys) {
    if (!Trim(keys.conf_entity).empty()) {
      return engine::ConferenceId(Trim(keys.conf_entity));
    }
    if (!Trim(keys.conference_id).empty()) {
      auto snapshot =
          store_.FindSnapshotByConferenceId(Trim(keys.conference_id));
      if (snapshot == nullptr)
        return std::nullopt;
      return snapshot->entity;
    }
    return engine::ConferenceId(Trim(request_.to));
  }

  // The wrapped secrets a getConference response of one key epoch carries.
  struct HeldSecrets {
    // The internal::SecretsVersion of the key they were wrapped for (the
    // pool's "key epoch": the epoch plus bits of the key itself).
    uint64_t key_epoch = 0;
    const crypto::WrappedSecrets* wrapped = nullptr;
    // Keeps `wrapped` alive when it came from the pool's locked path; else
    // it is from RecipientPool::FindCached, valid until the next call into
    // the pool.
    std::shared_ptr<const crypto::WrappedSecrets> hold;
  };

  // getConference against one snapshot: the checks in the order the
  // response reports them, then the response written into `buffer_`. When
  // the requester is to get secrets and `held` is not of the snapshot's key
  // epoch, returns std::nullopt with `*need_epoch` set, having written
  // nothing: the caller fetches them (RSA may run) outside the read.
  std::optional<C3pResult> GetConferenceFrom(
      const engine::ConferenceSnapshot& snapshot,
      const codec::C3pGetConference& command, const HeldSecrets& held,
      uint64_t* need_epoch) {
    if (!Addressed(snapshot, Addressing::kFocusOrFactory)) {
      return Fail(C3pReason::kRequestMalformed);
    }
    if (!IsMember(snapshot, requester_))
      return Fail(C3pReason::kUnauthorized);
    const codec::Viewer viewer = internal::ViewerFor(snapshot, requester_);
    const bool with_secrets = command.has_encryption_key &&
                              viewer.role != engine::ViewerRole::kLobbySelf;
    codec::DocumentSecrets secrets;
    if (with_secrets) {
      if (held.wrapped == nullptr ||
          held.key_epoch != internal::SecretsVersion(snapshot.key)) {
        *need_epoch = internal::SecretsVersion(snapshot.key);
        return std::nullopt;
      }
      secrets.conference_key = held.wrapped->conference_key;
      secrets.web_internal_uri = held.wrapped->encrypted_uris[0];
      secrets.web_external_uri = held.wrapped->encrypted_uris[1];
    }
    // Envelope and document in one pass, straight into the response buffer.
    codec::EncodeGetConferenceResponse(address_, snapshot, viewer,
                                       with_secrets ? &secrets : nullptr,
                                       &buffer_);
    return C3pResult{std::move(buffer_), std::nullopt};
  }

  // PROTOCOL.md §6: the conference key and the web-join URIs, wrapped for
  // the caller's certificate; the pool parses each certificate once and
  // caches the blobs per (conference, key epoch, certificate). Runs with no
  // snapshot pinned. On a miss the secrets are wrapped from `source` when
  // given (a snapshot of epoch `key_epoch`), else from the current snapshot.
  // Returns the failure to send, or std::nullopt with `*held` filled (for
  // the current key epoch, which may have moved past `key_epoch`: the
  // caller checks again).
  std::optional<C3pResult> FetchSecrets(
      const engine::ConferenceId& conference,
      const codec::C3pGetConference& command, uint64_t key_epoch,
      const engine::ConferenceSnapshot* source, HeldSecrets* held) {
    absl::StatusOr<std::shared_ptr<const crypto::Recipient>> recipient =
        focus_.recipients_.GetOrParse(command.x509_certificate);
    if (!recipient.ok())
      return Fail(C3pReason::kInvalidEncryptionKey);
    if (std::shared_ptr<const crypto::WrappedSecrets> found =
            focus_.recipients_.FindWrapped(conference.value(), key_epoch,
                                           (*recipient)->digest())) {
      held->key_epoch = key_epoch;
      held->wrapped = found.get();
      held->hold = std::move(found);
      return std::nullopt;
    }
    // A miss: the plaintext comes from a snapshot held by reference count,
    // since wrapping (an RSA operation) must not run while pinned.
    std::shared_ptr<const engine::ConferenceSnapshot> current;
    const engine::ConferenceSnapshot* snapshot = source;
    if (snapshot == nullptr) {
      current = store_.FindSnapshot(conference);
      if (current == nullptr)
        return Fail(C3pReason::kConferenceDoesntExist);
      snapshot = current.get();
    }
    const absl::string_view uris[] = {snapshot->web_join.internal(),
                                      snapshot->web_join.external()};
    crypto::ConferenceSecrets plain;
    plain.conference_key = absl::MakeConstSpan(snapshot->key.bytes);
    plain.uris = absl::MakeConstSpan(uris);
    absl::StatusOr<crypto::WrappedSecrets> wrapped = focus_.recipients_.Wrap(
        conference.value(), internal::SecretsVersion(snapshot->key),
        **recipient, plain);
    if (!wrapped.ok()) {
      return Fail(wrapped.status().code() == absl::StatusCode::kInvalidArgument
                      ? C3pReason::kInvalidEncryptionKey
                      : C3pReason::kOtherFailure);
    }
    held->key_epoch = internal::SecretsVersion(snapshot->key);
    held->hold = focus_.recipients_.InsertWrapped(
        conference.value(), internal::SecretsVersion(snapshot->key),
        (*recipient)->digest(), *std::move(wrapped));
    held->wrapped = held->hold.get();
    return std::nullopt;
  }

  // Reads the conference through the store's lock-free Read: the response
  // is encoded while the snapshot is pinned (no lock, no reference count),
  // and the certificate and the wrapped secrets, which may need RSA, are
  // fetched between reads, never while pinned. A read that finds the key
  // epoch moved past the held secrets fetches again; after a few such
  // races the response is encoded from a snapshot held by reference count.
  C3pResult Handle(const codec::C3pGetConference& command) {
    std::optional<engine::ConferenceId> conference = ResolveId(command.keys);
    if (!conference.has_value())
      return Fail(C3pReason::kConferenceDoesntExist);
    HeldSecrets held;
    if (command.has_encryption_key) {
      // A client that asks again: its blobs from this thread's cache in the
      // pool, if they are still of the conference's key epoch (checked
      // against the snapshot below).
      if (std::optional<crypto::RecipientPool::Cached> cached =
              focus_.recipients_.FindCached(command.x509_certificate,
                                            conference->value())) {
        held.key_epoch = cached->key_epoch;
        held.wrapped = cached->wrapped;
      }
    }
    constexpr int kPinnedAttempts = 3;
    for (int attempt = 0; attempt < kPinnedAttempts; ++attempt) {
      std::optional<C3pResult> result;
      uint64_t need_epoch = 0;
      const absl::Status read = store_.Read(
          *conference, [&](const engine::ConferenceSnapshot& snapshot) {
            result = GetConferenceFrom(snapshot, command, held, &need_epoch);
          });
      if (!read.ok())
        return Fail(C3pReason::kConferenceDoesntExist);
      if (result.has_value())
        return *std::move(result);
      std::optional<C3pResult> failed =
          FetchSecrets(*conference, command, need_epoch, nullptr, &held);
      if (failed.has_value())
        return *std::move(failed);
    }
    // The key changed under every attempt: answer from one snapshot held by
    // reference count, with secrets wrapped for it.
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
        store_.FindSnapshot(*conference);
    if (snapshot == nullptr)
      return Fail(C3pReason::kConferenceDoesntExist);
    uint64_t need_epoch = 0;
    std::optional<C3pResult> result =
        GetConferenceFrom(*snapshot, command, held, &need_epoch);
    if (result.has_value())
      return *std::move(result);
    std::optional<C3pResult> failed =
        FetchSecrets(*conference, command, need_epoch, snapshot.get(), &held);
    if (failed.has_value())
      return *std::move(failed);
    result = GetConferenceFrom(*snapshot, command, held, &need_epoch);
    // FetchSecrets wrapped for `snapshot` itself, so this cannot ask again.
    if (!result.has_value())
      return Fail(C3pReason::kOtherFailure);
    return *std::move(result);
  }

  C3pResult Handle(const codec::C3pGetConferences& command) {
    if (!AddressedToFactory())
      return Fail(C3pReason::kRequestMalformed);
    std::vector<engine::ConferenceId> conferences;
    // confstate has no static (meet-now) conferences: static="true" asks
    // for one and finds none (docs/FOCUS.md).
    if (!command.static_only) {
      conferences = store_.ListConferencesOrganizedBy(requester_);
    }
    return Succeed(codec::EncodeGetConferencesResponse(address_, conferences));
  }

  C3pResult Handle(const codec::C3pGetAvailableMcuTypes&) {
    return Succeed(codec::EncodeGetAvailableMcuTypesResponse(
        address_, focus_.options_.mcu_types));
  }

  C3pResult Handle(const codec::C3pGetConferencingCapabilities&) {
    codec::ConferencingCapabilities capabilities;
    capabilities.mcu_types = focus_.options_.mcu_types;
    capabilities.regions = focus_.options_.pstn_regions;
    capabilities.default_region = focus_.options_.default_pstn_region;
    return Succeed(codec::EncodeGetConferencingCapabilitiesResponse(
        address_, capabilities));
  }

  C3pResult Handle(const codec::C3pAddUser& command) {
    std::optional<C3pResult> failed;
    auto snapshot = Conference(command.keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    Mapped<engine::User> user = internal::MapUser(command.user);
    if (auto* reason = std::get_if<C3pReason>(&user))
      return Fail(*reason);
    engine::AddUserRequest add;
    add.conference = snapshot->entity;
    add.requester = requester_;
    add.user = std::get<engine::User>(std::move(user));
    // Joining is for oneself (MS-CONFBAS 2.2.3.4); adding anyone else is a
    // dial-out by an MCU (2.2.3.15), which the store allows leaders only.
    add.kind = add.user.entity == requester_ ? engine::JoinKind::kJoin
                                             : engine::JoinKind::kDialOut;
    const engine::UserId entity = add.user.entity;
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyAddUser(std::move(add));
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity}, Creates::kUser);
    }
    // The user as the store admitted it (to the roster or the lobby, with
    // the role it granted) is the one its delta reports: the store located
    // it, so the roster is not searched again.
    const engine::User* granted = nullptr;
    for (const engine::UserChange& change : result->delta->users) {
      if (change.entity == entity && change.user != nullptr) {
        granted = change.user.get();
        break;
      }
    }
    if (granted == nullptr)
      return Fail(C3pReason::kOtherFailure);
    return Succeed(
        codec::EncodeAddUserResponse(address_, snapshot->entity, *granted));
  }

  C3pResult Handle(const codec::C3pEndorseUser& command) {
    codec::C3pConferenceKeys keys;
    keys.conf_entity = command.keys.conf_entity;
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    engine::LobbyDecisionRequest decision;
    decision.conference = snapshot->entity;
    decision.requester = requester_;
    decision.user = engine::UserId(Trim(command.keys.user_entity));
    decision.decision = command.access == codec::C3pLobbyAccess::kGranted
                            ? engine::LobbyDecision::kGrant
                            : engine::LobbyDecision::kDeny;
    const Target target{snapshot->entity, decision.user};
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyLobbyDecision(decision);
    if (!result.ok())
      return Fail(result.status(), target, Creates::kNothing);
    return Succeed(
        codec::EncodeEndorseUserResponse(address_, snapshot->entity));
  }

  C3pResult Handle(const codec::C3pSetLobbyAccess& command) {
    std::optional<C3pResult> failed;
    auto snapshot = Conference(command.keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    if (command.user_entities.empty()) {
      return Fail(C3pReason::kRequestMalformed);
    }
    if (!IsLeader(*snapshot, requester_))
      return Fail(C3pReason::kUnauthorized);
    // Check every user first, so that a request naming one user who is not
    // waiting changes nothing.
    for (absl::string_view entity : command.user_entities) {
      if (!snapshot->lobby.Contains(engine::UserId(Trim(entity)))) {
        return Fail(C3pReason::kUserDoesntExist);
      }
    }
    for (absl::string_view entity : command.user_entities) {
      engine::LobbyDecisionRequest decision;
      decision.conference = snapshot->entity;
      decision.requester = requester_;
      decision.user = engine::UserId(Trim(entity));
      decision.decision = command.access == codec::C3pLobbyAccess::kGranted
                              ? engine::LobbyDecision::kGrant
                              : engine::LobbyDecision::kDeny;
      const Target target{snapshot->entity, decision.user};
      absl::StatusOr<engine::MutationResult> result =
          store_.ApplyLobbyDecision(decision);
      if (!result.ok())
        return Fail(result.status(), target, Creates::kNothing);
    }
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pDeleteUser& command) {
    codec::C3pConferenceKeys keys;
    keys.conf_entity = command.keys.conf_entity;
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    engine::DeleteUserRequest remove{
        snapshot->entity, requester_,
        engine::UserId(Trim(command.keys.user_entity))};
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyDeleteUser(remove);
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity, remove.user},
                  Creates::kNothing);
    }
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pModifyUserRoles& command) {
    codec::C3pConferenceKeys keys;
    keys.conf_entity = command.keys.conf_entity;
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    if (command.roles.empty())
      return Fail(C3pReason::kInvalidRole);
    Mapped<engine::Role> role = internal::MapRoles(command.roles);
    if (auto* reason = std::get_if<C3pReason>(&role))
      return Fail(*reason);
    engine::ModifyUserRolesRequest modify;
    modify.conference = snapshot->entity;
    modify.requester = requester_;
    modify.user = engine::UserId(Trim(command.keys.user_entity));
    modify.role = std::get<engine::Role>(role);
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyModifyUserRoles(modify);
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity, modify.user},
                  Creates::kNothing);
    }
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pModifyConferenceLock& command) {
    std::optional<C3pResult> failed;
    auto snapshot = Conference(command.keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    engine::ModifyConferenceLockRequest lock;
    lock.conference = snapshot->entity;
    lock.requester = requester_;
    lock.lock = command.locked ? engine::LockState::kLocked
                               : engine::LockState::kUnlocked;
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyModifyConferenceLock(lock);
    if (!result.ok()) {
      return Fail(result.status(), Target{snapshot->entity}, Creates::kNothing);
    }
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pModifyEndpointMedia& command) {
    codec::C3pConferenceKeys keys;
    keys.conf_entity = command.keys.conf_entity;
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    const Target target{snapshot->entity,
                        engine::UserId(Trim(command.keys.user_entity)),
                        engine::EndpointId(Trim(command.keys.endpoint_entity)),
                        engine::MediaId(Trim(command.keys.media_id))};
    if (!command.media.id.empty() &&
        Trim(command.media.id) != target.media->value()) {
      return Fail(C3pReason::kRequestMalformed);
    }
    // The request carries only what changes (status, ingress filter...);
    // the rest of the stream stays as it is, read from `snapshot`, which
    // keeps the user alive: no reference of its own is taken.
    const std::shared_ptr<const engine::User>* user =
        snapshot->users.FindPtr(*target.user);
    if (user == nullptr)
      return Fail(C3pReason::kUserDoesntExist);
    const engine::Endpoint* endpoint = (*user)->FindEndpoint(*target.endpoint);
    if (endpoint == nullptr)
      return Fail(C3pReason::kEndpointDoesntExist);
    const engine::Media* current = endpoint->FindMedia(*target.media);
    if (current == nullptr)
      return Fail(C3pReason::kMediaDoesntExist);
    engine::Media media = *current;
    if (!command.media.status.empty()) {
      media.status =
          codec::ParseWireName(codec::kMediaStatusNames, command.media.status);
      if (!media.status.has_value())
        return Fail(C3pReason::kRequestMalformed);
    }
    if (!command.media.type.empty())
      media.type = std::string(command.media.type);
    if (!command.media.label.empty()) {
      media.label = std::string(command.media.label);
    }
    if (!command.media.media_state.empty()) {
      media.media_state = std::string(command.media.media_state);
    }
    if (!command.media.media_source_id.empty()) {
      media.media_source_id = std::string(command.media.media_source_id);
    }
    engine::ModifyEndpointMediaRequest modify;
    modify.conference = snapshot->entity;
    modify.requester = requester_;
    modify.user = *target.user;
    modify.endpoint = *target.endpoint;
    modify.media = std::move(media);
    absl::StatusOr<engine::MutationResult> result =
        store_.ApplyModifyEndpointMedia(std::move(modify));
    if (!result.ok())
      return Fail(result.status(), target, Creates::kNothing);
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pModifyEndpoint& command) {
    codec::C3pConferenceKeys keys;
    keys.conf_entity = command.keys.conf_entity;
    std::optional<C3pResult> failed;
    auto snapshot = Conference(keys, Addressing::kFocusOnly, &failed);
    if (snapshot == nullptr)
      return *failed;
    const engine::UserId user(Trim(command.keys.user_entity));
    // An endpoint's state is the user's own business, or a leader's.
    if (user != requester_ && !IsLeader(*snapshot, requester_)) {
      return Fail(C3pReason::kUnauthorized);
    }
    auto current = snapshot->users.Find(user);
    if (current == nullptr)
      return Fail(C3pReason::kUserDoesntExist);
    Mapped<engine::Endpoint> mapped = internal::MapEndpoint(command.endpoint);
    if (auto* reason = std::get_if<C3pReason>(&mapped))
      return Fail(*reason);
    engine::Endpoint endpoint = std::get<engine::Endpoint>(std::move(mapped));
    const Target target{snapshot->entity, user, endpoint.entity};
    absl::StatusOr<engine::MutationResult> result;
    if (Trim(command.endpoint.state) == "deleted") {
      result =
          store_.ApplyDeleteEndpoint({snapshot->entity, user, endpoint.entity});
    } else if (current->FindEndpoint(endpoint.entity) != nullptr &&
               endpoint.status.has_value() && endpoint.media.empty()) {
      // A status report: only the status (and how it disconnected) changes.
      engine::ModifyEndpointStatusRequest status;
      status.conference = snapshot->entity;
      status.user = user;
      status.endpoint = endpoint.entity;
      status.status = *endpoint.status;
      status.disconnection_method = endpoint.disconnection_method;
      result = store_.ApplyModifyEndpointStatus(std::move(status));
    } else {
      result = store_.ApplySetEndpoint(
          {snapshot->entity, user, std::move(endpoint)});
    }
    if (!result.ok())
      return Fail(result.status(), target, Creates::kNothing);
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pPing&) {
    return Succeed(codec::EncodeSuccessResponse(address_));
  }

  C3pResult Handle(const codec::C3pUnknownCommand&) {
    return Fail(C3pReason::kNotSupported);
  }

  Focus& focus_;
  engine::ConferenceStore& store_;
  const codec::C3pRequest& request_;
  const codec::ResponseAddress address_;
  const engine::UserId requester_;
  std::string buffer_;
};

// ---------------------------------------------------------------------------
// Focus

Focus::Focus() : Focus(FocusOptions()) {}

Focus::Focus(FocusOptions options)
    : options_(std::move(options)),
      store_(options_.store),
      recipients_(options_.crypto),
      subscriptions_(std::make_unique<internal::SubscriptionRegistry>()) {}

Focus::~Focus() = default;

absl::StatusOr<C3pResult> Focus::HandleRequest(
    absl::string_view authenticated_user, absl::string_view body) {
  return HandleRequest(authenticated_user,
                       BodyForParse(body, options_.parse.max_bytes));
}

absl::StatusOr<C3pResult> Focus::HandleRequest(
    absl::string_view authenticated_user, std::vector<char> body) {
  return Answer(authenticated_user, std::move(body), std::string());
}

absl::Status Focus::HandleRequest(absl::string_view authenticated_user,
                                  absl::string_view body, C3pResult* result) {
  absl::StatusOr<C3pResult> answer =
      Answer(authenticated_user, BodyForParse(body, options_.parse.max_bytes),
             std::move(result->body));
  if (!answer.ok())
    return answer.status();
  *result = *std::move(answer);
  return absl::OkStatus();
}

absl::StatusOr<C3pResult> Focus::Answer(absl::string_view authenticated_user,
                                        std::vector<char> body,
                                        std::string buffer) {
  absl::StatusOr<codec::C3pRequest> request =
      codec::ParseC3pRequest(std::move(body), options_.parse);
  if (!request.ok()) {
    // Answer in C3P when the envelope could be read; otherwise the SIP
    // layer answers 400 (MS-CONFPRO 2.2.3).
    std::optional<codec::C3pEnvelope> envelope =
        codec::C3pEnvelopeFromStatus(request.status());
    if (!envelope.has_value())
      return request.status();
    const C3pReason reason =
        request.status().code() == absl::StatusCode::kResourceExhausted
            ? C3pReason::kRequestTooLarge
            : C3pReason::kRequestMalformed;
    return C3pResult{codec::EncodeFailureResponse(
                         codec::ResponseAddressFor(*envelope), reason),
                     reason};
  }
  return RequestHandler(this, authenticated_user, *request, std::move(buffer))
      .Run();
}

absl::StatusOr<std::unique_ptr<Subscription>> Focus::Subscribe(
    SubscribeRequest request) {
  const engine::ConferenceId conference(Trim(request.conference));
  const engine::UserId user(Trim(request.user));
  std::shared_ptr<const engine::ConferenceSnapshot> current =
      store_.FindSnapshot(conference);
  if (current == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("subscribe: no conference ", conference.value()));
  }
  // RFC 4575 §3.5 leaves authorization to the focus: participants, the
  // lobby and the organizer may subscribe.
  if (!IsMember(*current, user)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "subscribe: ", user.value(), " is not in ", conference.value()));
  }

  // A refresh continues the subscription's version sequence and, when the
  // client says what it last saw and the log still holds what followed,
  // replays that instead of a full document.
  uint32_t first_version = 1;
  std::optional<uint64_t> catch_up_from;
  engine::ViewerRole old_role = engine::ViewerRole::kLobbySelf;
  std::shared_ptr<internal::SubscriptionState> old =
      subscriptions_->Find(conference.value(), request.subscription_id);
  if (old != nullptr) {
    first_version = old->next_version();
    old_role = old->role();
    if (request.last_seen_version.has_value() &&
        *request.last_seen_version < first_version) {
      catch_up_from = old->ConferenceVersionAt(*request.last_seen_version);
      if (catch_up_from.has_value()) {
        first_version = *request.last_seen_version + 1;
      }
    }
    EndSubscription(old);
  } else if (request.last_seen_version.has_value()) {
    // Unknown to this focus: a full document, numbered after what the
    // client has.
    first_version = *request.last_seen_version + 1;
  }

  // The conference's channel: one store subscription whose log every
  // subscription of the conference reads.
  absl::StatusOr<std::shared_ptr<internal::ConferenceChannel>> channel =
      subscriptions_->ChannelFor(
          &store_, conference,
          std::max<size_t>(1, options_.max_queued_notifications));
  if (!channel.ok())
    return channel.status();
  // Read after the channel was opened: every later change is in its log.
  std::shared_ptr<const engine::ConferenceSnapshot> start =
      store_.FindSnapshot(conference);
  if (start == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("subscribe: no conference ", conference.value()));
  }

  internal::SubscriptionConfig config;
  config.id = request.subscription_id;
  config.user = user;
  config.conference = conference;
  config.interval = options_.notification_interval;
  config.on_ready = std::move(request.on_ready);
  auto state = std::make_shared<internal::SubscriptionState>(
      std::move(config), &store_, *std::move(channel));
  subscriptions_->Put(state);

  std::optional<std::vector<internal::SubscriptionState::Replayed>> replay;
  if (catch_up_from.has_value()) {
    replay = CatchUp(store_, *start, user, old_role, *catch_up_from);
  }
  state->Start(first_version, start, std::move(replay));
  return std::unique_ptr<Subscription>(
      new Subscription(this, std::move(state)));
}

void Focus::EndSubscription(
    const std::shared_ptr<internal::SubscriptionState>& state) {
  if (!state->End())
    return;  // Already ended; its id may be a refresh's now.
  subscriptions_->Erase(*state);
}

}  // namespace focus
}  // namespace conf
