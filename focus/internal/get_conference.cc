#include "focus/internal/get_conference.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/types/span.h"

#include "codec/c3p_response.h"
#include "codec/conference_info.h"
#include "focus/internal/lifecycle.h"
#include "focus/internal/member_certificates.h"
#include "focus/internal/membership.h"
#include "focus/internal/secrets_version.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

using codec::C3pReason;

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

class GetConferenceReader {
 public:
  GetConferenceReader(const FocusParts& focus, const RequestScope& scope,
                      const codec::C3pGetConference& command,
                      std::string* buffer)
      : focus_(focus), scope_(scope), command_(command), buffer_(*buffer) {}

  // Reads the conference through the store's lock-free Read. A read that
  // finds the key epoch moved past the held secrets fetches again; after a
  // few such races the response is encoded from a snapshot held by
  // reference count.
  Reply Answer() {
    Reply reply = Read();
    if (expired_)
      RemoveExpired(focus_, *conference_);
    return reply;
  }

 private:
  Reply Read() {
    conference_ = ResolveId();
    const std::optional<engine::ConferenceId>& conference = conference_;
    if (!conference.has_value())
      return C3pReason::kConferenceDoesntExist;
    HeldSecrets held;
    if (command_.has_encryption_key) {
      // A client that asks again: its blobs from this thread's cache in the
      // pool, if they are still of the conference's key epoch (checked
      // against the snapshot below).
      if (std::optional<crypto::RecipientPool::Cached> cached =
              focus_.recipients.FindCached(command_.x509_certificate,
                                           conference->value())) {
        held.key_epoch = cached->key_epoch;
        held.wrapped = cached->wrapped;
      }
    }
    constexpr int kPinnedAttempts = 3;
    for (int attempt = 0; attempt < kPinnedAttempts; ++attempt) {
      std::optional<Reply> reply;
      uint64_t need_epoch = 0;
      const absl::Status read = focus_.store.Read(
          *conference, [&](const engine::ConferenceSnapshot& snapshot) {
            reply = From(snapshot, held, &need_epoch);
          });
      if (!read.ok())
        return C3pReason::kConferenceDoesntExist;
      if (reply.has_value())
        return *std::move(reply);
      std::optional<C3pReason> failed =
          FetchSecrets(*conference, need_epoch, nullptr, &held);
      if (failed.has_value())
        return *failed;
    }
    // The key changed under every attempt: answer from one snapshot held by
    // reference count, with secrets wrapped for it.
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
        focus_.store.FindSnapshot(*conference);
    if (snapshot == nullptr)
      return C3pReason::kConferenceDoesntExist;
    uint64_t need_epoch = 0;
    std::optional<Reply> reply = From(*snapshot, held, &need_epoch);
    if (reply.has_value())
      return *std::move(reply);
    std::optional<C3pReason> failed =
        FetchSecrets(*conference, need_epoch, snapshot.get(), &held);
    if (failed.has_value())
      return *failed;
    reply = From(*snapshot, held, &need_epoch);
    // FetchSecrets wrapped for `snapshot` itself, so this cannot ask again.
    if (!reply.has_value())
      return C3pReason::kOtherFailure;
    return *std::move(reply);
  }

  // The conference the keys (or, failing them, the request's `to`) name,
  // for the lock-free ConferenceStore::Read; std::nullopt when a
  // msci:conference-id names no conference.
  std::optional<engine::ConferenceId> ResolveId() const {
    const codec::C3pConferenceKeys& keys = command_.keys;
    if (!Trim(keys.conf_entity).empty()) {
      return engine::ConferenceId(Trim(keys.conf_entity));
    }
    if (!Trim(keys.conference_id).empty()) {
      auto snapshot =
          focus_.store.FindSnapshotByConferenceId(Trim(keys.conference_id));
      if (snapshot == nullptr)
        return std::nullopt;
      return snapshot->entity;
    }
    return engine::ConferenceId(Trim(scope_.request.to));
  }

  // getConference against one snapshot: the checks in the order the
  // response reports them, then the response written into the buffer. When
  // the requester is to get secrets and `held` is not of the snapshot's key
  // epoch, returns std::nullopt with `*need_epoch` set, having written
  // nothing: the caller fetches them (RSA may run) outside the read.
  std::optional<Reply> From(const engine::ConferenceSnapshot& snapshot,
                            const HeldSecrets& held, uint64_t* need_epoch) {
    if (IsExpired(focus_, snapshot)) {
      expired_ = true;  // Removed once the snapshot is no longer pinned.
      return C3pReason::kConferenceDoesntExist;
    }
    if (!IsAddressedTo(scope_, snapshot, Addressing::kFocusOrFactory)) {
      return C3pReason::kRequestMalformed;
    }
    if (!IsMember(snapshot, scope_.requester))
      return C3pReason::kUnauthorized;
    const codec::Viewer viewer = ViewerFor(snapshot, scope_.requester);
    const bool with_secrets = command_.has_encryption_key &&
                              viewer.role != engine::ViewerRole::kLobbySelf;
    codec::DocumentSecrets secrets;
    if (with_secrets) {
      if (held.wrapped == nullptr ||
          held.key_epoch != SecretsVersion(snapshot.key)) {
        *need_epoch = SecretsVersion(snapshot.key);
        return std::nullopt;
      }
      secrets.conference_key = held.wrapped->conference_key;
      secrets.web_internal_uri = held.wrapped->encrypted_uris[0];
      secrets.web_external_uri = held.wrapped->encrypted_uris[1];
    }
    // Envelope and document in one pass, straight into the response buffer.
    codec::EncodeGetConferenceResponse(scope_.address, snapshot, viewer,
                                       with_secrets ? &secrets : nullptr,
                                       &buffer_);
    return Reply(std::move(buffer_));
  }

  // PROTOCOL.md §6: the conference key and the web-join URIs, wrapped for
  // the caller's certificate; the pool parses each certificate once and
  // caches the blobs per (conference, key epoch, certificate). Runs with no
  // snapshot pinned. On a miss the secrets are wrapped from `source` when
  // given (a snapshot of epoch `key_epoch`), else from the current snapshot.
  // Returns the failure to send, or std::nullopt with `*held` filled (for
  // the current key epoch, which may have moved past `key_epoch`: the
  // caller checks again).
  std::optional<C3pReason> FetchSecrets(
      const engine::ConferenceId& conference, uint64_t key_epoch,
      const engine::ConferenceSnapshot* source, HeldSecrets* held) {
    crypto::RecipientPool& pool = focus_.recipients;
    absl::StatusOr<std::shared_ptr<const crypto::Recipient>> recipient =
        pool.GetOrParse(command_.x509_certificate);
    if (!recipient.ok())
      return C3pReason::kInvalidEncryptionKey;
    // What a key rotation wraps the next key for (a member's first request
    // per thread passes here; repeated ones are served from the cache).
    focus_.members.Remember(conference, scope_.requester, *recipient);
    if (std::shared_ptr<const crypto::WrappedSecrets> found = pool.FindWrapped(
            conference.value(), key_epoch, (*recipient)->digest())) {
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
      current = focus_.store.FindSnapshot(conference);
      if (current == nullptr)
        return C3pReason::kConferenceDoesntExist;
      snapshot = current.get();
    }
    const absl::string_view uris[] = {snapshot->web_join.internal(),
                                      snapshot->web_join.external()};
    crypto::ConferenceSecrets plain;
    plain.conference_key = absl::MakeConstSpan(snapshot->key.bytes);
    plain.uris = absl::MakeConstSpan(uris);
    const uint64_t version = SecretsVersion(snapshot->key);
    absl::StatusOr<crypto::WrappedSecrets> wrapped =
        pool.Wrap(conference.value(), version, **recipient, plain);
    if (!wrapped.ok()) {
      return wrapped.status().code() == absl::StatusCode::kInvalidArgument
                 ? C3pReason::kInvalidEncryptionKey
                 : C3pReason::kOtherFailure;
    }
    held->key_epoch = version;
    held->hold =
        pool.InsertWrapped(conference.value(), version, (*recipient)->digest(),
                           *std::move(wrapped));
    held->wrapped = held->hold.get();
    return std::nullopt;
  }

  const FocusParts& focus_;
  const RequestScope& scope_;
  const codec::C3pGetConference& command_;
  std::string& buffer_;
  std::optional<engine::ConferenceId> conference_;
  // Set when the read found the conference past its expiry time.
  bool expired_ = false;
};

}  // namespace

Reply AnswerGetConference(const FocusParts& focus, const RequestScope& scope,
                          const codec::C3pGetConference& command,
                          std::string* buffer) {
  return GetConferenceReader(focus, scope, command, buffer).Answer();
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
