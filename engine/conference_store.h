// ConferenceStore: the lock-sharded, in-memory store of conferences.
//
// The store holds one immutable ConferenceSnapshot per conference and applies
// the C3P commands (one Apply* method each) as mutations that produce a new
// snapshot and a ConferenceDelta. It does no XML, crypto or I/O.
//
//   ConferenceStore
//   ├─ conference shards [kShardCount]   hash(ConferenceId) & (kShardCount-1)
//   │    alignas(64) { Mutex, flat_hash_map<ConferenceId, Entry>,
//   │                  atomic<IndexTable*> (lock-free reads), retired }
//   │    Entry = { snapshot, delta log, subscriber list, delivery queue }
//   ├─ conference-id shards              msci:conference-id -> ConferenceId
//   └─ user shards                       UserId -> conferences it organizes
//                                        or is in (roster or lobby)
//
// Mutations are optimistic: the new snapshot and delta are built from the
// current snapshot with no lock held, then installed under the shard lock
// only if the snapshot is still current (otherwise rebuilt). A lock is held
// just long enough to compare and swap a pointer and append to the log.
//
// Lock order: at most one lock is held at any time. The locks are a
// conference shard's, a conference-id shard's, a user shard's, and a
// conference's delivery queue's; each is taken, used without allocation-heavy
// work, and released before any other is taken. No callback runs under a
// lock.
//
// Delivery: every installed delta is handed, after the shard lock is
// released, to the conference's delivery queue. Whichever thread finds the
// queue idle drains it in version order (a delta that arrives before its
// predecessor waits for it), updates the user index and calls each
// subscriber's sink. When an Apply* call returns on a thread with no
// concurrent mutation of that conference, its delta has been delivered and
// the user index is up to date.
//
// Thread safety: all methods are thread-safe. Returned snapshots and deltas
// are immutable and stay valid for as long as the caller holds them.
//
// Reads: Read() is the lock-free path a focus takes per request. Each shard
// also publishes, through an atomic pointer, an open-addressing index of
// 16-byte slots {hash, snapshot*}; each published snapshot carries its
// conference's entity just before its fields (engine/internal/
// indexed_snapshot.h), so the key check reads the snapshot's own lines.
// Writers (under the shard lock) update a slot's snapshot in place, never
// reuse a slot within a table, and replace the table copy-on-write when it
// fills. Replaced snapshots and old tables are retired to the shard and
// destroyed once no reader pinned on the store's epoch can still reach them
// (engine/internal/epoch.h), so a read writes to no shared cache line: no
// lock, no reference count. ReadBatch() reads many conferences that way,
// overlapping the cache misses of their lookups.
//
// Example:
//   ConferenceStore store;
//   AddConferenceRequest add;
//   add.organizer = UserId("sip:alice@fabrikam.com");
//   add.mcu_types = {"chat", "audio-video"};
//   CONF_ASSIGN_OR_RETURN(MutationResult created,
//                         store.ApplyAddConference(std::move(add)));
//   ConferenceId focus = created.snapshot->entity;

#ifndef CONF_ENGINE_CONFERENCE_STORE_H_
#define CONF_ENGINE_CONFERENCE_STORE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "base/mutex.h"
#include "engine/commit_log.h"
#include "engine/internal/epoch.h"
#include "engine/internal/user_index.h"
#include "engine/model.h"

namespace conf {
namespace engine {

namespace internal {
struct Change;
}  // namespace internal

// Limits enforced by the store; exceeding one fails with kResourceExhausted
// (counts) or kInvalidArgument (sizes of values).
struct StoreLimits {
  size_t max_conferences = 1 << 20;
  size_t max_users_per_conference = 10000;  // Roster and lobby together.
  size_t max_endpoints_per_user = 16;
  size_t max_media_per_endpoint = 16;
  size_t max_string_bytes = 2048;      // Any one string field.
  size_t max_extension_bytes = 16384;  // Any one Extension::raw_xml.
  size_t max_extensions = 64;    // Extensions or attributes on one object.
  size_t max_list_entries = 64;  // uri lists, keywords, views, ...
};

// Fills `size` bytes at `out` with cryptographically random bytes.
using RandomBytesFunction = std::function<void(uint8_t* out, size_t size)>;

struct StoreOptions {
  StoreLimits limits;
  // Deltas kept per conference for DeltasSince.
  size_t delta_log_capacity = 32;
  // The web-join URIs are "<base><organizer user part>/<conference-id>".
  std::string web_join_internal_base = "https://meet.example.com/";
  std::string web_join_external_base = "https://meet-external.example.com/";
  // Source of conference keys and generated conference ids. The default
  // reads the operating system's CSPRNG through std::random_device.
  RandomBytesFunction random_bytes;
  // The domains of one organization (a tenant with several domains): their
  // users count as the organizer's organization for each other under
  // PresenterPolicy::kOrganization. Users of the organizer's own domain
  // always do. Compared without regard to case.
  std::vector<std::string> organization_domains;
  // Where changes are made durable (engine/commit_log.h); not owned, must
  // outlive the store. Null: changes are in memory only, and a mutation's
  // delta is delivered before its Apply* call returns.
  CommitLog* commit_log = nullptr;
};

// The result of a successful mutation: what changed, and the state after.
struct MutationResult {
  std::shared_ptr<const ConferenceDelta> delta;
  std::shared_ptr<const ConferenceSnapshot> snapshot;
  // The commit log's ticket for the change (0 without a commit log): the
  // change may be acknowledged once the log reports it durable.
  uint64_t commit = 0;
};

// One conference as captured for a durable snapshot: its snapshot and the
// last commit ticket it reflects.
struct CapturedConference {
  std::shared_ptr<const ConferenceSnapshot> snapshot;
  uint64_t last_commit = 0;
};

struct SubscriptionIdTag {};
using SubscriptionId = StrongId<SubscriptionIdTag>;

// Who a subscription serves: its id (unique within a conference), the user
// it acts for and the view that user gets.
struct Subscriber {
  SubscriptionId id;
  UserId user;
  ViewerRole role = ViewerRole::kAttendee;
};

// Receives a subscription's deltas. Implemented by the notification layer.
class SubscriptionSink {
 public:
  virtual ~SubscriptionSink() = default;

  // Called once per delta after the subscription's start version, in version
  // order, with no store lock held; calls for one conference never overlap.
  // The last call of a subscription whose conference is deleted carries a
  // delta of kind kConferenceDeleted; no call follows it. The sink may call
  // back into the store (even mutate the same conference).
  virtual void OnDelta(const Subscriber& subscriber,
                       const std::shared_ptr<const ConferenceDelta>& delta) = 0;
};

// Where a subscription starts: the snapshot to send in full; every later
// delta (version > snapshot->version) goes to the sink.
struct SubscriptionStart {
  std::shared_ptr<const ConferenceSnapshot> snapshot;
};

class ConferenceStore {
 public:
  // Shards per index: a power of two (STYLE §6).
  static constexpr size_t kShardCount = 64;
  static_assert((kShardCount & (kShardCount - 1)) == 0,
                "kShardCount must be a power of two");

  explicit ConferenceStore(StoreOptions options = {});
  ~ConferenceStore();
  ConferenceStore(const ConferenceStore&) = delete;
  ConferenceStore& operator=(const ConferenceStore&) = delete;

  // --- Mutations (one per C3P command). Each validates against the current
  // state and either installs a new version (returning its delta and
  // snapshot) or fails leaving the state untouched. Common failures:
  // kNotFound (conference, user, endpoint or media does not exist),
  // kAlreadyExists, kInvalidArgument (bad value, invalid role, over a size
  // limit), kResourceExhausted (count limit), kFailedPrecondition (locked,
  // in the lobby, not allowed in this state), kPermissionDenied (not allowed
  // for the requester's role). See docs/ENGINE.md for the rules.

  // Creates a conference (version 1): assigns the focus URI
  // "sip:<organizer>;gruu;opaque=app:conf:focus:id:<id>", one MCU URI
  // (…:<mcuType>:id:<id>), conf-uris entry and entity-view per MCU type, the
  // conference key (epoch 1) and the web-join URIs. kAlreadyExists if the
  // requested conference-id is taken; kResourceExhausted at max_conferences;
  // kInvalidArgument for an unknown or repeated MCU type or a bad organizer.
  absl::StatusOr<MutationResult> ApplyAddConference(
      AddConferenceRequest request);

  // Replaces the description (conf-uris and conference-id stay as assigned)
  // and/or the entity-state of named views (their lock flag stays as set by
  // ApplyModifyConferenceLock). Leaders only.
  absl::StatusOr<MutationResult> ApplyModifyConference(
      ModifyConferenceRequest request);

  // Deletes the conference. The delta (kConferenceDeleted) is the final
  // event of every subscription. The organizer only.
  absl::StatusOr<MutationResult> ApplyDeleteConference(
      const DeleteConferenceRequest& request);

  // Adds a user (join or dial-out) to the roster, or to the lobby when the
  // conference is locked or its admission policy says so.
  absl::StatusOr<MutationResult> ApplyAddUser(AddUserRequest request);

  // Admits (kGrant) or turns away (kDeny) a user waiting in the lobby.
  // Leaders only.
  absl::StatusOr<MutationResult> ApplyLobbyDecision(
      const LobbyDecisionRequest& request);

  // The same decision for several lobby users as one change: one version, one
  // delta; every user is admitted or turned away, or none is (the first
  // user not waiting fails it: kNotFound, or kFailedPrecondition when
  // already admitted; one named twice is kInvalidArgument).
  absl::StatusOr<MutationResult> ApplyLobbyDecisions(
      const LobbyDecisionsRequest& request);

  // A new conference key: the next epoch, random bytes from
  // StoreOptions::random_bytes. The delta re-sends the description (the key
  // itself is in no notification). Leaders only.
  absl::StatusOr<MutationResult> ApplyRotateKey(
      const RotateKeyRequest& request);

  // Removes a user from the roster or the lobby: by itself, or by a leader.
  absl::StatusOr<MutationResult> ApplyDeleteUser(
      const DeleteUserRequest& request);

  // Makes a roster user a presenter or an attendee. Leaders only.
  absl::StatusOr<MutationResult> ApplyModifyUserRoles(
      const ModifyUserRolesRequest& request);

  // Locks or unlocks the conference. Leaders only.
  absl::StatusOr<MutationResult> ApplyModifyConferenceLock(
      const ModifyConferenceLockRequest& request);

  // Replaces one media stream of an endpoint. Leaders, or the user itself.
  absl::StatusOr<MutationResult> ApplyModifyEndpointMedia(
      ModifyEndpointMediaRequest request);

  // Adds or replaces an endpoint of a roster user (reported by the focus).
  absl::StatusOr<MutationResult> ApplySetEndpoint(SetEndpointRequest request);

  // Changes an endpoint's status (reported by the focus).
  absl::StatusOr<MutationResult> ApplyModifyEndpointStatus(
      ModifyEndpointStatusRequest request);

  // Removes an endpoint of a user (reported by the focus).
  absl::StatusOr<MutationResult> ApplyDeleteEndpoint(
      const DeleteEndpointRequest& request);

  // Removes `user` from every conference it is in (roster or lobby), e.g.
  // when its client signs out. Returns one result per conference changed;
  // conferences it only organizes are left alone.
  std::vector<MutationResult> RemoveUserEverywhere(const UserId& user);

  // --- Reads.

  // Calls `fn(const ConferenceSnapshot&)` with the current snapshot of
  // `conference` and returns OK, or returns kNotFound without calling it.
  // Takes no lock and touches no reference count: the calling thread is
  // pinned on the store's epoch while `fn` runs.
  //
  // Lifetime: the snapshot reference (and every pointer reached from it) is
  // valid only until `fn` returns; copy out what must outlive it, or use
  // FindSnapshot for a shared_ptr. Keep `fn` short: everything the store
  // retires while it runs stays allocated until it returns. `fn` may call
  // any method of the store, Read included (a writer never waits for a
  // reader).
  //
  // Example:
  //   uint64_t version = 0;
  //   CONF_RETURN_IF_ERROR(store.Read(
  //       conference, [&](const ConferenceSnapshot& s) { version = s.version;
  //       }));
  template <typename Fn>
  absl::Status Read(const ConferenceId& conference, Fn&& fn) const;

  // Reads a batch of conferences, as a focus draining a queue of requests
  // would: calls `fn(size_t i, const ConferenceSnapshot* snapshot)` for each
  // i in [0, conferences.size()), in order, with the current snapshot of
  // conferences[i], or nullptr when there is no such conference (an unknown
  // id fails its item only). Duplicates and batches of any length are fine.
  //
  // Why: a read over a large store costs about two cache misses in a row
  // (the index slot, then the snapshot it names with its key), and one read
  // cannot overlap them with anything. The batch works in groups of
  // kReadBatchGroup ids: it hashes every id of a group and prefetches its
  // index slot, then probes the slots and prefetches the snapshot (key and
  // head) each names, then checks the keys and calls `fn`, so the misses of a
  // group's reads overlap one another.
  //
  // Contract as for Read: no lock, no reference count; the calling thread
  // is pinned on the store's epoch (once per group) while `fn` runs, and a
  // snapshot (with everything reached from it) is valid only until the
  // call of `fn` that receives it returns. Each item's snapshot is the
  // current one at some moment during the call of ReadBatch: a group's
  // snapshots are all looked up before `fn` sees the first of them, so a
  // mutation `fn` makes may not show in the later items of its group. `fn`
  // may call any method of the store; keep it short.
  //
  // Example:
  //   std::vector<uint64_t> versions(ids.size());
  //   store.ReadBatch(ids, [&](size_t i, const ConferenceSnapshot* s) {
  //     versions[i] = s != nullptr ? s->version : 0;
  //   });
  template <typename Fn>
  void ReadBatch(absl::Span<const ConferenceId> conferences, Fn&& fn) const;
  // Ids ReadBatch looks up together: enough misses in flight to keep the
  // core's line fill buffers busy.
  static constexpr size_t kReadBatchGroup = 16;

  // The following each take one shard lock to copy a pointer.

  // The current snapshot; kNotFound if there is no such conference.
  absl::StatusOr<std::shared_ptr<const ConferenceSnapshot>> GetSnapshot(
      const ConferenceId& conference) const;
  // The current snapshot, or nullptr.
  std::shared_ptr<const ConferenceSnapshot> FindSnapshot(
      const ConferenceId& conference) const;
  // The conference whose msci:conference-id is `conference_id`, or nullptr.
  std::shared_ptr<const ConferenceSnapshot> FindSnapshotByConferenceId(
      absl::string_view conference_id) const;

  // Conferences organized by `user` (getConferences), sorted.
  std::vector<ConferenceId> ListConferencesOrganizedBy(
      const UserId& user) const;
  // Conferences whose roster or lobby holds `user`, sorted.
  std::vector<ConferenceId> ListConferencesOf(const UserId& user) const;

  // Conferences whose expiry time (ConferenceSnapshot::expires_at) is at or
  // before `now`, in no order. Takes each shard's lock in turn, one at a
  // time; a conference expired or deleted meanwhile may still be listed.
  std::vector<ConferenceId> ListExpired(absl::Time now) const;

  size_t conference_count() const {
    return conference_count_.load(std::memory_order_relaxed);
  }

  // The deltas after `version` up to the current version, oldest first.
  // kNotFound for an unknown conference; kOutOfRange ("full document
  // needed") when the log no longer holds them all; kInvalidArgument when
  // `version` is ahead of the conference.
  absl::StatusOr<std::vector<std::shared_ptr<const ConferenceDelta>>>
  DeltasSince(const ConferenceId& conference, uint64_t version) const;

  // --- Durability (journal/durable_store.h).

  // Installs a recovered conference as it was, at its version, with no
  // delta and no commit record: for recovery into a store that is not yet
  // in use. Indexes its conference-id, organizer and users. kAlreadyExists
  // when the entity or conference-id is taken; kResourceExhausted at
  // max_conferences. `last_commit` is what Capture reports for it until it
  // changes.
  absl::Status Restore(ConferenceSnapshot snapshot, uint64_t last_commit);

  // Every conference's current snapshot and last commit ticket, one shard at
  // a time (each under its lock), in no order. A conference changed while
  // the capture runs is captured before or after the change; its
  // last_commit says which.
  std::vector<CapturedConference> Capture() const;

  // --- Subscriptions.

  // Subscribes `sink` (not owned) to `conference`. Returns the snapshot to
  // start from; every later delta goes to the sink in version order. Deltas
  // may reach the sink (on another thread) before Subscribe returns.
  // kNotFound for an unknown conference; kAlreadyExists if the id is in use
  // on this conference; kInvalidArgument for an empty id or a null sink.
  // `sink` must stay valid until Unsubscribe has returned or it received the
  // kConferenceDeleted delta.
  absl::StatusOr<SubscriptionStart> Subscribe(const ConferenceId& conference,
                                              Subscriber subscriber,
                                              SubscriptionSink* sink);

  // Ends a subscription. When it returns, no call to the sink runs or will
  // start, so the sink may be destroyed; it waits for a delivery running on
  // another thread to finish. Called from inside a delivery callback it does
  // not wait (a callback of another subscription may still be running).
  // kNotFound if the conference or subscription is unknown; when the
  // conference was deleted, the sink gets (or got) the kConferenceDeleted
  // delta, possibly on another thread, and must stay valid until then.
  absl::Status Unsubscribe(const ConferenceId& conference,
                           const SubscriptionId& id);

 private:
  struct SubscriberEntry;
  using SubscriberList = std::vector<std::shared_ptr<SubscriberEntry>>;
  struct DeliveryItem;
  struct DeliveryQueue;
  struct Entry;
  struct alignas(64) ConferenceShard;
  struct alignas(64) ConferenceIdShard;
  // A mutation in the making (engine/internal/mutations.h).
  using Change = internal::Change;
  // Validates a request against `base` and writes its change into `change`,
  // whose `next` starts as a copy of `base` and whose delta starts empty.
  using BuildFn = std::function<absl::Status(const ConferenceSnapshot& base,
                                             Change& change)>;

  // Builds a change from the current snapshot and installs it if the
  // snapshot is still current, retrying otherwise.
  absl::StatusOr<MutationResult> Mutate(const ConferenceId& conference,
                                        const BuildFn& build);
  // Deliver(), at once without a commit log, else once `ticket` is durable.
  void DeliverWhenDurable(uint64_t ticket, std::shared_ptr<DeliveryQueue> queue,
                          DeliveryItem item);
  // Hands an installed delta to the conference's queue and drains it.
  void Deliver(const std::shared_ptr<DeliveryQueue>& queue, DeliveryItem item);
  // Updates the user index and calls the sinks for one delivered delta.
  void DeliverNow(const DeliveryItem& item);

  // The current snapshot in the read index, or nullptr. The caller must be
  // pinned on `epoch_`; the result is valid until it unpins.
  const ConferenceSnapshot* FindPinned(const ConferenceId& conference) const;
  // The same for the entity `key`, given internal::ConferenceKeyHash(key).
  const ConferenceSnapshot* FindPinned(absl::string_view key,
                                       size_t hash) const;
  // Sets out[i] to the current snapshot of ids[i] in the read index, or
  // nullptr, for i < count (at most kReadBatchGroup), overlapping the cache
  // misses of the lookups. The caller must be pinned on `epoch_`; the
  // results are valid until it unpins.
  void FindPinnedGroup(const ConferenceId* ids, size_t count,
                       const ConferenceSnapshot** out) const;
  // Read() without a slot on `epoch_`: through FindSnapshot.
  absl::Status ReadLocked(
      const ConferenceId& conference,
      absl::FunctionRef<void(const ConferenceSnapshot&)> fn) const;
  static absl::Status ReadNotFound(const ConferenceId& conference);

  ConferenceShard& ShardFor(const ConferenceId& conference) const;
  ConferenceIdShard& IdShardFor(absl::string_view conference_id) const;

  const StoreOptions options_;
  // Protects the read path's snapshots and index tables.
  mutable internal::EpochDomain epoch_;
  std::atomic<size_t> conference_count_{0};
  std::atomic<uint64_t> next_incarnation_{1};
  std::unique_ptr<ConferenceShard[]> shards_;
  std::unique_ptr<ConferenceIdShard[]> id_shards_;
  // UserId -> conferences it organizes or is in.
  internal::UserIndex user_index_;
};

template <typename Fn>
absl::Status ConferenceStore::Read(const ConferenceId& conference,
                                   Fn&& fn) const {
  internal::EpochDomain::Guard guard(epoch_);
  if (!guard.pinned()) {
    return ReadLocked(conference, fn);
  }
  const ConferenceSnapshot* snapshot = FindPinned(conference);
  if (snapshot == nullptr) {
    return ReadNotFound(conference);
  }
  std::forward<Fn>(fn)(*snapshot);
  return absl::OkStatus();
}

template <typename Fn>
void ConferenceStore::ReadBatch(absl::Span<const ConferenceId> conferences,
                                Fn&& fn) const {
  const ConferenceSnapshot* found[kReadBatchGroup];
  for (size_t begin = 0; begin < conferences.size(); begin += kReadBatchGroup) {
    const size_t count = std::min(kReadBatchGroup, conferences.size() - begin);
    internal::EpochDomain::Guard guard(epoch_);
    if (!guard.pinned()) {
      for (size_t i = 0; i < count; ++i) {
        const std::shared_ptr<const ConferenceSnapshot> snapshot =
            FindSnapshot(conferences[begin + i]);
        fn(begin + i, snapshot.get());
      }
      continue;
    }
    FindPinnedGroup(conferences.data() + begin, count, found);
    for (size_t i = 0; i < count; ++i) {
      fn(begin + i, found[i]);
    }
  }
}

namespace internal {

// The hash of a conference entity for the store's shards, maps and read
// index: wyhash-style folded 64x64->128-bit multiplies over 16-byte blocks,
// seeded per process (by address, as absl::Hash is). About 40 instructions
// for a 70-byte focus URI against about 125 through absl::Hash. Public for
// tests.
size_t ConferenceKeyHash(absl::string_view entity);

}  // namespace internal

// The focus URI for `organizer` and `conference_id`:
// "sip:<organizer without sip:>;gruu;opaque=app:conf:focus:id:<id>".
ConferenceId FocusUriFor(const UserId& organizer,
                         absl::string_view conference_id);
// The MCU URI of one MCU type: "…;gruu;opaque=app:conf:<type>:id:<id>".
std::string McuUriFor(const UserId& organizer, absl::string_view mcu_type,
                      absl::string_view conference_id);

}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_CONFERENCE_STORE_H_
