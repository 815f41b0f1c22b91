#include "engine/internal/user_index.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"

#include "base/mutex.h"
#include "engine/conference_store.h"
#include "engine/internal/shard_index.h"
#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

// One user's conferences: those it organizes and those it
// is in, each with the conference's incarnation. Most users are in one
// conference (an organizer in its own has two entries), so entries sit
// inline in a short vector scanned linearly; a user with more than
// kMaxLinear (an organizer of many conferences) moves to hash maps. The ids
// are copies of the snapshot's, which share their bytes.
struct UserIndex::Entry {
  static constexpr size_t kMaxLinear = 8;

  struct Ref {
    ConferenceId conference;
    uint64_t incarnation : 63;
    uint64_t organized : 1;
  };
  struct Maps {
    // Conference -> incarnation.
    absl::flat_hash_map<ConferenceId, uint64_t> organized;
    absl::flat_hash_map<ConferenceId, uint64_t> member;
  };

  // Records `conference` (at `incarnation`) in `list`, replacing an older
  // incarnation.
  void Add(const ConferenceId& conference, uint64_t incarnation,
           IndexList list) {
    const bool organized = list == IndexList::kOrganized;
    if (maps == nullptr) {
      for (Ref& ref : refs) {
        if (ref.organized == organized && ref.conference == conference) {
          ref.incarnation = incarnation;
          return;
        }
      }
      if (refs.size() < kMaxLinear) {
        refs.push_back(Ref{conference, incarnation, organized});
        return;
      }
      maps = std::make_unique<Maps>();
      for (const Ref& ref : refs) {
        (ref.organized ? maps->organized : maps->member)[ref.conference] =
            ref.incarnation;
      }
      refs.clear();
    }
    (organized ? maps->organized : maps->member)[conference] = incarnation;
  }

  // Forgets `conference` in `list` if it is recorded at `incarnation` (a
  // later conference with the same entity stays).
  void Remove(const ConferenceId& conference, uint64_t incarnation,
              IndexList list) {
    const bool organized = list == IndexList::kOrganized;
    if (maps == nullptr) {
      for (size_t i = 0; i < refs.size(); ++i) {
        Ref& ref = refs[i];
        if (ref.organized == organized && ref.conference == conference) {
          if (ref.incarnation == incarnation) {
            ref = std::move(refs.back());
            refs.pop_back();
          }
          return;
        }
      }
      return;
    }
    auto& map = organized ? maps->organized : maps->member;
    auto found = map.find(conference);
    if (found != map.end() && found->second == incarnation) {
      map.erase(found);
    }
  }

  bool empty() const {
    return refs.empty() && (maps == nullptr ||
                            (maps->organized.empty() && maps->member.empty()));
  }

  // The conferences in `list`, unordered.
  std::vector<ConferenceId> List(IndexList list) const {
    const bool organized = list == IndexList::kOrganized;
    std::vector<ConferenceId> out;
    if (maps == nullptr) {
      for (const Ref& ref : refs) {
        if (ref.organized == organized) {
          out.push_back(ref.conference);
        }
      }
      return out;
    }
    const auto& map = organized ? maps->organized : maps->member;
    out.reserve(map.size());
    for (const auto& [conference, incarnation] : map) {
      out.push_back(conference);
    }
    return out;
  }

  absl::InlinedVector<Ref, 1> refs;  // While maps is null.
  std::unique_ptr<Maps> maps;        // Past kMaxLinear entries.
};

struct alignas(64) UserIndex::Shard {
  mutable conf::Mutex mu;
  absl::flat_hash_map<UserId, Entry> users ABSL_GUARDED_BY(mu);
};

UserIndex::UserIndex() : shards_(new Shard[ConferenceStore::kShardCount]) {}

UserIndex::~UserIndex() = default;

UserIndex::Shard& UserIndex::ShardFor(const UserId& user) const {
  return shards_[ShardIndex(absl::Hash<UserId>()(user))];
}

void UserIndex::Set(const UserId& user, const ConferenceId& conference,
                    uint64_t incarnation, IndexList list, Presence presence) {
  Shard& shard = ShardFor(user);
  conf::MutexLock lock(&shard.mu);
  if (presence == Presence::kPresent) {
    shard.users[user].Add(conference, incarnation, list);
    return;
  }
  auto it = shard.users.find(user);
  if (it == shard.users.end()) {
    return;
  }
  it->second.Remove(conference, incarnation, list);
  if (it->second.empty()) {
    shard.users.erase(it);
  }
}

void UserIndex::IndexDelta(const ConferenceDelta& delta,
                           const ConferenceSnapshot& after,
                           uint64_t incarnation) {
  const ConferenceId& conference = delta.conference;
  if (delta.kind == DeltaKind::kConferenceDeleted) {
    Set(after.organizer, conference, incarnation, IndexList::kOrganized,
        Presence::kAbsent);
    for (const UserMap* map : {&after.users, &after.lobby}) {
      for (const auto& user : *map) {
        Set(user->entity, conference, incarnation, IndexList::kMember,
            Presence::kAbsent);
      }
    }
    return;
  }
  if (delta.version == 1) {
    Set(after.organizer, conference, incarnation, IndexList::kOrganized,
        Presence::kPresent);
  }
  for (const UserChange& change : delta.users) {
    if (change.kind == ChangeKind::kPartial) {
      // The user was in this list before the change and still is: its
      // membership, indexed when it joined, did not change. Skipping it
      // keeps a change to one user from searching the roster again.
      continue;
    }
    const bool member = after.users.Contains(change.entity) ||
                        after.lobby.Contains(change.entity);
    Set(change.entity, conference, incarnation, IndexList::kMember,
        member ? Presence::kPresent : Presence::kAbsent);
  }
}

std::vector<ConferenceId> UserIndex::List(const UserId& user,
                                          IndexList list) const {
  std::vector<ConferenceId> out;
  {
    Shard& shard = ShardFor(user);
    conf::MutexLock lock(&shard.mu);
    auto it = shard.users.find(user);
    if (it == shard.users.end()) {
      return out;
    }
    out = it->second.List(list);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace internal
}  // namespace engine
}  // namespace conf
