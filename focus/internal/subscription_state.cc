#include "focus/internal/subscription_state.h"

#include <algorithm>
#include <map>
#include <thread>  // NOLINT(build/c++11)
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

#include "base/check.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

// How many on_ready calls the channel is running on this thread. End() does
// not wait for wake-ups from inside one (the caller may be the very call it
// would wait for).
thread_local int t_waking_depth = 0;

int SharedViewIndex(engine::ViewerRole role) {
  return role == engine::ViewerRole::kLeader ? 0 : 1;
}

}  // namespace

bool DeltaVisibleTo(const engine::ConferenceDelta& delta,
                    const codec::Viewer& viewer) {
  if (delta.kind == engine::DeltaKind::kConferenceDeleted ||
      delta.description != nullptr || delta.host_info != nullptr ||
      delta.state != nullptr || !delta.views.empty()) {
    return true;
  }
  for (const engine::UserChange& change : delta.users) {
    if (engine::IsChangeVisible(viewer.role, viewer.user, change))
      return true;
  }
  return false;
}

size_t UserHash(const engine::UserId& user) {
  return absl::Hash<absl::string_view>()(user.value());
}

std::optional<engine::ViewerRole> RoleAfter(
    const engine::ConferenceDelta& delta, const engine::UserId& user) {
  std::optional<engine::ViewerRole> role;
  for (const engine::UserChange& change : delta.users) {
    if (change.entity != user)
      continue;
    if (change.list == engine::UserList::kRoster &&
        change.kind != engine::ChangeKind::kDeleted) {
      // In the roster: this decides, whatever the lobby says.
      return engine::IsLeader(change.user->role)
                 ? engine::ViewerRole::kLeader
                 : engine::ViewerRole::kAttendee;
    }
    role = engine::ViewerRole::kLobbySelf;
  }
  return role;
}

engine::ConferenceDelta MergeDeltas(
    const std::vector<std::shared_ptr<const engine::ConferenceDelta>>& deltas) {
  engine::ConferenceDelta merged;
  if (deltas.empty())
    return merged;
  merged.conference = deltas.back()->conference;
  merged.version = deltas.back()->version;
  // (list, entity) -> index in merged.users; entity -> index in views.
  std::map<std::pair<engine::UserList, engine::UserId>, size_t> users;
  absl::flat_hash_map<std::string, size_t> views;
  for (const auto& delta : deltas) {
    if (delta->kind == engine::DeltaKind::kConferenceDeleted) {
      engine::ConferenceDelta deleted;
      deleted.conference = delta->conference;
      deleted.version = delta->version;
      deleted.kind = engine::DeltaKind::kConferenceDeleted;
      return deleted;
    }
    if (delta->description)
      merged.description = delta->description;
    if (delta->host_info)
      merged.host_info = delta->host_info;
    if (delta->state)
      merged.state = delta->state;
    for (const engine::UserChange& change : delta->users) {
      // A partial change carries the whole new user, so the merged change
      // can always resend it in full (RFC 4575 §4.6: full replaces).
      engine::UserChange folded;
      folded.list = change.list;
      folded.entity = change.entity;
      folded.kind = change.kind == engine::ChangeKind::kDeleted
                        ? engine::ChangeKind::kDeleted
                        : engine::ChangeKind::kFull;
      folded.user = change.user;
      const auto key = std::make_pair(change.list, change.entity);
      auto [it, inserted] = users.emplace(key, merged.users.size());
      if (inserted) {
        merged.users.push_back(std::move(folded));
      } else {
        merged.users[it->second] = std::move(folded);
      }
    }
    for (const engine::EntityViewChange& change : delta->views) {
      auto [it, inserted] = views.emplace(change.entity, merged.views.size());
      if (inserted) {
        merged.views.push_back(change);
      } else {
        merged.views[it->second] = change;
      }
    }
  }
  return merged;
}

// ---------------------------------------------------------------------------
// ConferenceChannel

ConferenceChannel::ConferenceChannel(engine::ConferenceStore* store,
                                     engine::ConferenceId conference,
                                     size_t capacity)
    : store_(store),
      conference_(std::move(conference)),
      id_([] {
        // Unique per channel, so that a channel being torn down and its
        // successor never collide; the NUL keeps it apart from SIP dialog
        // ids.
        static std::atomic<uint64_t> next{1};
        return engine::SubscriptionId(absl::StrCat(
            absl::string_view("\0", 1), "conference-channel-", next++));
      }()),
      capacity_(std::max<size_t>(1, capacity)),
      mask_([this] {
        uint64_t size = 1;
        while (size < capacity_)
          size <<= 1;
        return size - 1;
      }()) {
  MutexLock lock(&mu_);
  ring_.resize(mask_ + 1);
}

absl::StatusOr<std::shared_ptr<ConferenceChannel>> ConferenceChannel::Open(
    engine::ConferenceStore* store, const engine::ConferenceId& conference,
    size_t capacity) {
  std::shared_ptr<ConferenceChannel> channel(
      new ConferenceChannel(store, conference, capacity));
  engine::Subscriber subscriber;
  subscriber.id = channel->id_;
  subscriber.role = engine::ViewerRole::kLeader;
  // Deltas may reach the channel before this returns; it is ready for them.
  absl::StatusOr<engine::SubscriptionStart> start =
      store->Subscribe(conference, std::move(subscriber), channel.get());
  if (!start.ok())
    return start.status();
  return channel;
}

ConferenceChannel::~ConferenceChannel() {
  // NotFound once the conference is deleted (or if Open failed).
  store_->Unsubscribe(conference_, id_).IgnoreError();
}

void ConferenceChannel::OnDelta(
    const engine::Subscriber& /*subscriber*/,
    const std::shared_ptr<const engine::ConferenceDelta>& delta) {
  // Stay alive while running: an on_ready function may drop the last
  // subscription. If the channel is already being destroyed, its destructor
  // is waiting in Unsubscribe for this call to return.
  const std::shared_ptr<ConferenceChannel> self = weak_from_this().lock();
  if (self == nullptr)
    return;
  const bool deleted = delta->kind == engine::DeltaKind::kConferenceDeleted;
  std::optional<codec::EncodedDocument> deleted_document;
  if (deleted) {
    deleted_document = codec::EncodeConferenceInfoDeleted(
        delta->conference, static_cast<uint32_t>(delta->version));
  }
  // Built outside the lock: which users it touches, and which shared views
  // have nothing to see in it (their subscribers skip it without encoding).
  Slot fresh;
  fresh.version = delta->version;
  fresh.delta = delta;
  fresh.deleted = std::move(deleted_document);
  for (const engine::UserChange& change : delta->users) {
    fresh.users.push_back(UserHash(change.entity));
  }
  for (engine::ViewerRole role :
       {engine::ViewerRole::kLeader, engine::ViewerRole::kAttendee}) {
    if (!deleted && !DeltaVisibleTo(*delta, codec::Viewer{role, {}})) {
      fresh.views[SharedViewIndex(role)].state = Encoded::kInvisible;
    }
  }
  // Released after the lock: nothing is freed under it.
  Slot evicted;
  std::vector<SubscriptionState*>& wake = wake_;
  {
    MutexLock lock(&mu_);
    Slot& slot = SlotFor(delta->version);
    evicted = std::move(slot);
    slot = std::move(fresh);
    // Published before the waiters' armed flags are read; a Poll arms
    // before it reads head_ (SubscriptionState::Poll), so one of the two
    // sees the other.
    head_.store(delta->version);
    if (deleted)
      closed_.store(true);
    for (SubscriptionState* waiter : waiters_) {
      if ((waiter->wake_state_.load() & SubscriptionState::kArmed) == 0)
        continue;
      if (!deleted && !waiter->WouldSee(slot))
        continue;
      // In waiters_, so its Subscription (which ends it before letting go)
      // still holds it; once claimed, End() waits for the claim or, from
      // inside an on_ready call, leaves the state to retired_.
      if (waiter->TryClaimWake())
        wake.push_back(waiter);
    }
    if (!wake.empty())
      ++wake_loops_;
  }
  if (wake.empty())
    return;
  for (SubscriptionState* waiter : wake) {
    if (!waiter->stopped_.load()) {
      ++t_waking_depth;
      waiter->config_.on_ready();
      --t_waking_depth;
    }
    waiter->ReleaseWake();
  }
  wake.clear();
  // Freed after the lock.
  std::vector<std::shared_ptr<SubscriptionState>> retired;
  {
    MutexLock lock(&mu_);
    if (--wake_loops_ == 0)
      retired.swap(retired_);
  }
}

codec::EncodedDocument ConferenceChannel::FullFor(
    const std::shared_ptr<const engine::ConferenceSnapshot>& snapshot,
    const codec::Viewer& viewer) {
  if (viewer.role == engine::ViewerRole::kLobbySelf) {
    return codec::EncodeConferenceInfo(*snapshot, viewer);
  }
  const int index = SharedViewIndex(viewer.role);
  {
    MutexLock lock(&mu_);
    const FullCache& cached = full_[index];
    if (cached.snapshot == snapshot && cached.document.has_value()) {
      return *cached.document;
    }
  }
  // Encoded with no lock held; a concurrent caller may do the same work.
  codec::EncodedDocument document =
      codec::EncodeConferenceInfo(*snapshot, viewer);
  FullCache replaced;
  {
    MutexLock lock(&mu_);
    FullCache& cached = full_[index];
    if (cached.snapshot == nullptr ||
        cached.snapshot->version <= snapshot->version) {
      std::swap(replaced, cached);  // The old one is freed after the lock.
      cached.snapshot = snapshot;
      cached.document = document;
    }
  }
  return document;
}

void ConferenceChannel::AddWaiter(SubscriptionState* state) {
  MutexLock lock(&mu_);
  // An End() that ran first set stopped_ before taking this lock.
  if (!state->stopped_.load())
    waiters_.push_back(state);
}

void ConferenceChannel::RemoveWaiter(SubscriptionState* state, bool retire) {
  MutexLock lock(&mu_);
  auto it = std::find(waiters_.begin(), waiters_.end(), state);
  if (it != waiters_.end()) {
    *it = waiters_.back();
    waiters_.pop_back();
  }
  // A claim is taken under this lock by a loop counted in wake_loops_, and
  // that loop counts itself out only after releasing it: a claim seen here
  // belongs to a loop that will empty retired_ when it (or the last loop
  // under way) finishes.
  if (retire && state->ClaimedForWake()) {
    CONF_CHECK(wake_loops_ > 0);
    retired_.push_back(state->shared_from_this());
  }
}

// ---------------------------------------------------------------------------
// SubscriptionState

SubscriptionState::SubscriptionState(SubscriptionConfig config,
                                     engine::ConferenceStore* store,
                                     std::shared_ptr<ConferenceChannel> channel)
    : config_(std::move(config)),
      user_hash_(UserHash(config_.user)),
      store_(store),
      channel_(std::move(channel)) {
  MutexLock lock(&mu_);
  viewer_.user = config_.user;
}

SubscriptionState::~SubscriptionState() {
  stopped_.store(true);
  // Normally End() ran first and this finds nothing to do.
  channel_->RemoveWaiter(this, /*retire=*/false);
  WaitForWakes();
}

bool SubscriptionState::TakeArmed(uint32_t add) {
  uint32_t state = wake_state_.load();
  while ((state & kArmed) != 0) {
    if (wake_state_.compare_exchange_weak(state, state - kArmed + add))
      return true;
  }
  return false;
}

void SubscriptionState::WaitForWakes() const {
  // From inside an on_ready call, waiting could deadlock (the caller may be
  // the very call it would wait for); the channel keeps such a state alive
  // and checks stopped_ before each call.
  if (t_waking_depth != 0)
    return;
  while (ClaimedForWake()) {
    std::this_thread::yield();
  }
}

bool SubscriptionState::MayChangeRole(
    const ConferenceChannel::Slot& slot) const {
  for (size_t hash : slot.users) {
    if (hash == user_hash_)
      return true;
  }
  return false;
}

bool SubscriptionState::WouldSee(const ConferenceChannel::Slot& slot) const {
  const engine::ViewerRole role = shared_role_.load(std::memory_order_relaxed);
  if (role != engine::ViewerRole::kLobbySelf) {
    if (slot.views[SharedViewIndex(role)].state !=
        ConferenceChannel::Encoded::kInvisible) {
      return true;
    }
  } else if (DeltaVisibleTo(*slot.delta, codec::Viewer{role, config_.user})) {
    return true;
  }
  if (!MayChangeRole(slot))
    return false;
  const std::optional<engine::ViewerRole> after =
      RoleAfter(*slot.delta, config_.user);
  return after.has_value() && *after != role;
}

void SubscriptionState::Start(
    uint32_t first_version,
    const std::shared_ptr<const engine::ConferenceSnapshot>& start,
    std::optional<std::vector<Replayed>> replay) {
  const codec::Viewer viewer = ViewerFor(*start, config_.user);
  std::optional<codec::EncodedDocument> full;
  if (!replay.has_value())
    full = channel_->FullFor(start, viewer);
  bool ready;
  {
    MutexLock lock(&mu_);
    started_ = true;
    next_version_ = first_version;
    if (ended_)
      return;
    viewer_ = viewer;
    shared_role_.store(viewer.role, std::memory_order_relaxed);
    covered_ = start->version;
    if (full.has_value()) {
      initial_.push_back(
          Queued{DocumentKind::kFull, *std::move(full), start->version});
    } else {
      for (Replayed& r : *replay) {
        initial_.push_back(Queued{DocumentKind::kPartial, std::move(r.document),
                                  r.conference_version});
      }
    }
    ready = !initial_.empty() || channel_->head() > covered_;
  }
  if (!config_.on_ready)
    return;
  channel_->AddWaiter(this);
  if (!ready) {
    Arm();
    // A delta may have been appended before this subscription was armed.
    MutexLock lock(&mu_);
    ready = channel_->head() > covered_ && TryDisarm();
  }
  if (ready)
    Notify();
}

void SubscriptionState::AppendLocked(std::vector<Notification>* out,
                                     DocumentKind kind,
                                     codec::EncodedDocument document,
                                     uint64_t conference_version) {
  const uint32_t version = next_version_++;
  history_[version % kHistoryLength] = {version, conference_version};
  out->push_back(Notification{version, kind, std::move(document)});
}

void SubscriptionState::DropLocked(std::vector<Notification>* out,
                                   size_t first) {
  // Their versions are handed out again; the history entries of the
  // dropped ones are overwritten before they can be asked for (a refresh
  // only asks for versions below next_version()).
  next_version_ -= static_cast<uint32_t>(out->size() - first);
  out->erase(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
}

bool SubscriptionState::ResyncLocked(std::vector<Notification>* out,
                                     size_t first) {
  DropLocked(out, first);
  if (channel_->closed())
    return false;  // Only the deleted document is left to send.
  std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
      store_->FindSnapshot(config_.conference);
  if (snapshot == nullptr)
    return false;  // Its deletion is on the way.
  const codec::Viewer viewer = ViewerFor(*snapshot, config_.user);
  AppendLocked(out, DocumentKind::kFull, channel_->FullFor(snapshot, viewer),
               snapshot->version);
  viewer_ = viewer;
  shared_role_.store(viewer.role, std::memory_order_relaxed);
  covered_ = std::max(covered_, snapshot->version);
  ++resyncs_;
  return true;
}

SubscriptionState::Outcome SubscriptionState::ReadLogLocked(
    absl::Time now, std::vector<Notification>* out, size_t first) {
  using Slot = ConferenceChannel::Slot;
  using Encoded = ConferenceChannel::Encoded;
  const bool coalesce = config_.interval > absl::ZeroDuration();
  while (true) {
    // A delta whose document for this subscriber is still to be encoded.
    std::shared_ptr<const engine::ConferenceDelta> to_encode;
    std::vector<std::shared_ptr<const engine::ConferenceDelta>> batch;
    {
      ConferenceChannel& c = *channel_;
      MutexLock channel_lock(&c.mu_);
      const uint64_t head = c.head_.load(std::memory_order_relaxed);
      if (head <= covered_)
        return Outcome::kCaughtUp;
      const Slot& last = c.SlotFor(head);
      if (last.version == head && last.deleted.has_value()) {
        // RFC 4575 §4.6 step 3: the deleted document replaces whatever was
        // still to be sent.
        DropLocked(out, first);
        AppendLocked(out, DocumentKind::kDeleted, *last.deleted, head);
        covered_ = head;
        return Outcome::kDeleted;
      }
      if (head - covered_ > c.capacity_ ||
          c.SlotFor(covered_ + 1).version != covered_ + 1) {
        return Outcome::kResync;  // Fell out of the log.
      }
      const bool shared_view = viewer_.role != engine::ViewerRole::kLobbySelf;
      const int index = SharedViewIndex(viewer_.role);
      for (uint64_t v = covered_ + 1; v <= head; ++v) {
        const Slot& slot = c.SlotFor(v);
        const std::optional<engine::ViewerRole> role =
            MayChangeRole(slot) ? RoleAfter(*slot.delta, config_.user)
                                : std::nullopt;
        if (role.has_value() && *role != viewer_.role) {
          // Its own view changed (admitted, promoted, ejected): a full
          // document of the new view replaces the partial ones.
          return Outcome::kResync;
        }
        if (coalesce) {
          batch.push_back(slot.delta);
          continue;
        }
        const ConferenceChannel::ViewDocument& view = slot.views[index];
        if (!shared_view || view.state == Encoded::kNotYet) {
          to_encode = slot.delta;
          break;
        }
        if (view.state == Encoded::kDocument) {
          AppendLocked(out, DocumentKind::kPartial, *view.document, v);
        }
        // Nothing visible: no notification, and no version used.
        covered_ = v;
      }
      if (coalesce) {
        if (now < last_sent_ + config_.interval)
          return Outcome::kWaiting;  // Left in the log for a later Poll.
        covered_ = head;
      }
    }
    if (coalesce) {
      // One partial document for all of them.
      const engine::ConferenceDelta merged = MergeDeltas(batch);
      std::optional<codec::EncodedDocument> document =
          codec::EncodeConferenceInfoDelta(merged, viewer_);
      if (document.has_value()) {
        AppendLocked(out, DocumentKind::kPartial, *std::move(document),
                     merged.version);
      }
      return Outcome::kCaughtUp;
    }
    if (to_encode == nullptr)
      return Outcome::kCaughtUp;
    // Encoded with the channel unlocked; a shared view's document is then
    // kept in the log for the other subscribers of the view.
    std::optional<codec::EncodedDocument> document =
        codec::EncodeConferenceInfoDelta(*to_encode, viewer_);
    const uint64_t v = to_encode->version;
    if (viewer_.role != engine::ViewerRole::kLobbySelf) {
      ConferenceChannel& c = *channel_;
      MutexLock channel_lock(&c.mu_);
      Slot& slot = c.SlotFor(v);
      ConferenceChannel::ViewDocument& view =
          slot.views[SharedViewIndex(viewer_.role)];
      if (slot.version == v && view.state == Encoded::kNotYet) {
        view.state =
            document.has_value() ? Encoded::kDocument : Encoded::kInvisible;
        view.document = document;
      }
    }
    if (document.has_value())
      AppendLocked(out, DocumentKind::kPartial, *std::move(document), v);
    covered_ = v;
  }
}

size_t SubscriptionState::Poll(absl::Time now, std::vector<Notification>* out) {
  const size_t first = out->size();
  bool notify = false;
  {
    MutexLock lock(&mu_);
    if (ended_ || !started_)
      return 0;
    for (Queued& q : initial_) {
      AppendLocked(out, q.kind, std::move(q.document), q.conference_version);
    }
    initial_.clear();
    Outcome outcome = ReadLogLocked(now, out, first);
    for (int attempt = 0; outcome == Outcome::kResync; ++attempt) {
      if (attempt == 4 || !ResyncLocked(out, first)) {
        outcome = Outcome::kGone;
        break;
      }
      // Then whatever followed the full document.
      outcome = ReadLogLocked(now, out, first);
    }
    if (outcome == Outcome::kDeleted) {
      ended_ = true;
      stopped_.store(true);
    }
    if (out->size() > first)
      last_sent_ = now;

    // Arm the wake-up: after this, the channel calls on_ready for the next
    // change this subscription can see.
    if (!ended_ && config_.on_ready && outcome != Outcome::kWaiting) {
      Arm();
      // A change appended after the log was read, before arming, would not
      // wake it; it is ready now. (Not while the conference is going away:
      // its deleted delta wakes it.)
      if (outcome != Outcome::kGone && channel_->head() > covered_ &&
          TryDisarm()) {
        notify = true;
      }
    }
  }
  if (notify)
    Notify();
  return out->size() - first;
}

std::optional<absl::Time> SubscriptionState::NextDue() const {
  MutexLock lock(&mu_);
  if (ended_ || config_.interval <= absl::ZeroDuration() ||
      channel_->head() <= covered_) {
    return std::nullopt;
  }
  return last_sent_ + config_.interval;
}

bool SubscriptionState::End() {
  bool first;
  {
    MutexLock lock(&mu_);
    first = !detached_;
    detached_ = true;
    ended_ = true;
    initial_.clear();
  }
  stopped_.store(true);
  // Wait out an on_ready call running on another thread (they are short and
  // must not block). From inside one, the channel keeps this state alive
  // until its deliveries under way finish instead.
  channel_->RemoveWaiter(this, /*retire=*/t_waking_depth != 0);
  WaitForWakes();
  return first;
}

bool SubscriptionState::ended() const {
  MutexLock lock(&mu_);
  return ended_;
}

uint32_t SubscriptionState::next_version() const {
  MutexLock lock(&mu_);
  return next_version_;
}

std::optional<uint64_t> SubscriptionState::ConferenceVersionAt(
    uint32_t version) const {
  MutexLock lock(&mu_);
  const std::pair<uint32_t, uint64_t>& entry =
      history_[version % kHistoryLength];
  if (version == 0 || entry.first != version)
    return std::nullopt;
  return entry.second;
}

engine::ViewerRole SubscriptionState::role() const {
  MutexLock lock(&mu_);
  return viewer_.role;
}

uint64_t SubscriptionState::resynchronizations() const {
  MutexLock lock(&mu_);
  return resyncs_;
}

void SubscriptionState::Notify() {
  if (config_.on_ready)
    config_.on_ready();
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
