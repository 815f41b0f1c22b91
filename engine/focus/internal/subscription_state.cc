#include "engine/focus/internal/subscription_state.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

// How many (subscription version -> conference version) pairs a
// subscription remembers for refresh catch-up.
constexpr size_t kHistoryLength = 64;

int SharedViewIndex(engine::ViewerRole role) {
  return role == engine::ViewerRole::kLeader ? 0 : 1;
}

// The role `user` has after `delta`, if the delta says anything about it.
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

}  // namespace

codec::Viewer ViewerFor(const engine::ConferenceSnapshot& snapshot,
                        const engine::UserId& user) {
  return codec::Viewer{engine::ViewerRoleFor(snapshot, user), user};
}

std::optional<codec::EncodedDocument> ConferenceChannel::PartialFor(
    const std::shared_ptr<const engine::ConferenceDelta>& delta,
    const codec::Viewer& viewer) {
  if (viewer.role == engine::ViewerRole::kLobbySelf) {
    return codec::EncodeConferenceInfoDelta(*delta, viewer);
  }
  const int index = SharedViewIndex(viewer.role);
  {
    MutexLock lock(&mu_);
    if (cached_.delta == delta && cached_.documents[index].has_value()) {
      return *cached_.documents[index];
    }
  }
  // Encode with no lock held; a concurrent caller may do the same work, and
  // the first to store wins (both results are identical).
  std::optional<codec::EncodedDocument> document =
      codec::EncodeConferenceInfoDelta(*delta, viewer);
  MutexLock lock(&mu_);
  if (cached_.delta != delta) {
    cached_ = Cached{};
    cached_.delta = delta;
  }
  if (!cached_.documents[index].has_value()) {
    cached_.documents[index] = document;
  }
  return document;
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

SubscriptionState::SubscriptionState(SubscriptionConfig config,
                                     engine::ConferenceStore* store,
                                     std::shared_ptr<ConferenceChannel> channel)
    : config_(std::move(config)), store_(store), channel_(std::move(channel)) {
  MutexLock lock(&mu_);
  viewer_.user = config_.user;
}

void SubscriptionState::Start(
    uint32_t first_version,
    const std::shared_ptr<const engine::ConferenceSnapshot>& start,
    std::optional<std::vector<Replayed>> replay) {
  const codec::Viewer viewer = ViewerFor(*start, config_.user);
  std::optional<codec::EncodedDocument> full;
  if (!replay.has_value())
    full = codec::EncodeConferenceInfo(*start, viewer);
  bool notify = false;
  {
    MutexLock lock(&mu_);
    started_ = true;
    next_version_ = first_version;
    if (ended_)
      return;
    viewer_ = viewer;
    if (resync_) {
      // Deltas arrived before the start was known: the first Poll sends a
      // full document of the state then, which covers them.
      notify = true;
    } else if (full.has_value()) {
      queue_.push_back(
          Queued{DocumentKind::kFull, *std::move(full), start->version});
      covered_ = start->version;
      notify = true;
    } else {
      covered_ = start->version;
      for (Replayed& r : *replay) {
        queue_.push_back(Queued{DocumentKind::kPartial, std::move(r.document),
                                r.conference_version});
      }
      notify = !queue_.empty();
    }
  }
  if (notify)
    Notify();
}

bool SubscriptionState::RequestResyncLocked() {
  ++generation_;
  const bool was_idle = queue_.empty() && pending_.empty() && !resync_;
  queue_.clear();
  pending_.clear();
  if (!resync_)
    ++resyncs_;
  resync_ = true;
  return was_idle;
}

void SubscriptionState::OnDelta(
    const engine::Subscriber& /*subscriber*/,
    const std::shared_ptr<const engine::ConferenceDelta>& delta) {
  if (delta->kind == engine::DeltaKind::kConferenceDeleted) {
    // The store stops calling after this delta and no Unsubscribe waits for
    // it, so the embedder may drop its last reference as soon as it polls
    // the deleted document: stay alive until this call returns.
    const std::shared_ptr<SubscriptionState> self = shared_from_this();
    codec::EncodedDocument deleted = codec::EncodeConferenceInfoDeleted(
        delta->conference, static_cast<uint32_t>(delta->version));
    bool notify;
    {
      MutexLock lock(&mu_);
      if (ended_)
        return;
      ++generation_;
      notify = queue_.empty() && pending_.empty() && !resync_;
      pending_.clear();
      resync_ = false;
      // RFC 4575 §4.6 step 3: the deleted document replaces everything, so
      // whatever is still queued need not be sent.
      queue_.clear();
      queue_.push_back(
          Queued{DocumentKind::kDeleted, std::move(deleted), delta->version});
      covered_ = delta->version;
    }
    if (notify)
      Notify();
    return;
  }

  codec::Viewer viewer;
  uint64_t generation = 0;
  bool notify = false;
  bool encode = false;
  {
    MutexLock lock(&mu_);
    if (ended_ || delta->version <= covered_)
      return;
    if (!started_) {
      // Where the subscription starts is not known yet; the full document
      // the first Poll sends covers this delta.
      resync_ = true;
      return;
    }
    const std::optional<engine::ViewerRole> role =
        RoleAfter(*delta, config_.user);
    if (role.has_value() && *role != viewer_.role) {
      // The subscriber's view changes (admitted, promoted, ejected): it gets
      // a full document of its new view, which covers this delta.
      viewer_.role = *role;
      notify = RequestResyncLocked();
    } else if (config_.interval > absl::ZeroDuration()) {
      if (pending_.size() >= config_.max_queued) {
        notify = RequestResyncLocked();
      } else {
        notify = queue_.empty() && pending_.empty() && !resync_;
        pending_.push_back(delta);
        covered_ = delta->version;
      }
    } else {
      // Encoded below, with no lock held.
      viewer = viewer_;
      generation = generation_;
      encode = true;
    }
  }
  if (!encode) {
    if (notify)
      Notify();
    return;
  }

  std::optional<codec::EncodedDocument> document =
      channel_->PartialFor(delta, viewer);
  {
    MutexLock lock(&mu_);
    // A resynchronization or deletion in the meantime covers this delta.
    if (ended_ || generation != generation_ || delta->version <= covered_) {
      return;
    }
    if (!document.has_value()) {
      // Nothing the subscriber can see changed: no notification, and its
      // version stays where it is.
      covered_ = delta->version;
      return;
    }
    if (queue_.size() >= config_.max_queued) {
      // A slow subscriber: drop its backlog and send it the current state
      // when it next polls, instead of holding up the others.
      notify = RequestResyncLocked();
    } else {
      notify = queue_.empty() && !resync_;
      queue_.push_back(
          Queued{DocumentKind::kPartial, *std::move(document), delta->version});
      covered_ = delta->version;
    }
  }
  if (notify)
    Notify();
}

std::vector<Notification> SubscriptionState::Poll(absl::Time now) {
  // 1. A full document of the current state, when one is due. The snapshot
  // is read and encoded with no lock held; if the subscription was
  // invalidated meanwhile, try again with a newer snapshot.
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint64_t generation;
    {
      MutexLock lock(&mu_);
      if (!resync_ || ended_ || !started_)
        break;
      generation = generation_;
    }
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
        store_->FindSnapshot(config_.conference);
    if (snapshot == nullptr)
      break;  // Its deletion is on the way.
    const codec::Viewer viewer = ViewerFor(*snapshot, config_.user);
    codec::EncodedDocument full =
        codec::EncodeConferenceInfo(*snapshot, viewer);
    MutexLock lock(&mu_);
    if (generation != generation_ || !resync_ || ended_)
      continue;
    resync_ = false;
    viewer_ = viewer;
    // Deltas delivered since the request and already queued are kept only
    // if the snapshot does not include them yet.
    const uint64_t at = snapshot->version;
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [at](const Queued& q) {
                                  return q.conference_version <= at;
                                }),
                 queue_.end());
    pending_.erase(
        std::remove_if(
            pending_.begin(), pending_.end(),
            [at](const std::shared_ptr<const engine::ConferenceDelta>& d) {
              return d->version <= at;
            }),
        pending_.end());
    queue_.push_front(Queued{DocumentKind::kFull, std::move(full), at});
    covered_ = std::max(covered_, at);
    break;
  }

  // 2. Coalesced changes, once the interval since the last notification has
  // passed: one partial document for all of them.
  std::vector<std::shared_ptr<const engine::ConferenceDelta>> batch;
  codec::Viewer viewer;
  uint64_t generation = 0;
  {
    MutexLock lock(&mu_);
    if (!pending_.empty() && !resync_ && !ended_ &&
        now >= last_sent_ + config_.interval) {
      batch.swap(pending_);
      viewer = viewer_;
      generation = generation_;
    }
  }
  if (!batch.empty()) {
    const engine::ConferenceDelta merged = MergeDeltas(batch);
    std::optional<codec::EncodedDocument> document =
        codec::EncodeConferenceInfoDelta(merged, viewer);
    MutexLock lock(&mu_);
    if (document.has_value() && generation == generation_) {
      queue_.push_back(
          Queued{DocumentKind::kPartial, *std::move(document), merged.version});
    }
  }

  // 3. Hand out everything queued, numbering as we go.
  std::vector<Notification> out;
  MutexLock lock(&mu_);
  if (ended_ && queue_.empty())
    return out;
  out.reserve(queue_.size());
  for (Queued& q : queue_) {
    const uint32_t version = next_version_++;
    out.push_back(Notification{version, q.kind, std::move(q.document)});
    history_.emplace_back(version, q.conference_version);
    if (history_.size() > kHistoryLength)
      history_.pop_front();
    if (q.kind == DocumentKind::kDeleted)
      ended_ = true;
  }
  queue_.clear();
  if (!out.empty())
    last_sent_ = now;
  return out;
}

std::optional<absl::Time> SubscriptionState::NextDue() const {
  MutexLock lock(&mu_);
  if (pending_.empty())
    return std::nullopt;
  return last_sent_ + config_.interval;
}

bool SubscriptionState::End() {
  MutexLock lock(&mu_);
  const bool first = !detached_;
  detached_ = true;
  ended_ = true;
  ++generation_;
  queue_.clear();
  pending_.clear();
  resync_ = false;
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
  for (const auto& [subscription_version, conference_version] : history_) {
    if (subscription_version == version)
      return conference_version;
  }
  return std::nullopt;
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
