// UserIndex: for each user, the conferences it organizes and those whose
// roster or lobby holds it (getConferences, and removing a user from every
// conference it is in). The store updates it from each delivered delta, in
// version order per conference, after the conference's shard lock is
// released; a reader may therefore see a delta's conference before the
// index does.
//
// Sharded by user, as the store's other indexes (STYLE §6): each call takes
// one shard's lock, and neither calls out nor takes another lock under it.
// An entry carries its conference's incarnation, so that an update from a
// deleted conference never removes a later one with the same entity.
//
// Thread safety: all methods are thread-safe.

#ifndef CONF_ENGINE_INTERNAL_USER_INDEX_H_
#define CONF_ENGINE_INTERNAL_USER_INDEX_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/model.h"

namespace conf {
namespace engine {
namespace internal {

class UserIndex {
 public:
  // Which of a user's lists.
  enum class IndexList { kOrganized, kMember };

  UserIndex();
  ~UserIndex();
  UserIndex(const UserIndex&) = delete;
  UserIndex& operator=(const UserIndex&) = delete;

  // Records one delivered delta of `delta.conference`, the conference's
  // incarnation `incarnation`, whose result is `after`: the organizer on
  // creation (version 1), users added to or removed from the roster or the
  // lobby, and every user on deletion. A user whose change is kPartial is
  // still where it was and is not looked up.
  void IndexDelta(const ConferenceDelta& delta, const ConferenceSnapshot& after,
                  uint64_t incarnation);

  // The conferences in `user`'s `list`, sorted; empty for an unknown user.
  std::vector<ConferenceId> List(const UserId& user, IndexList list) const;

 private:
  enum class Presence { kPresent, kAbsent };
  struct Entry;
  struct alignas(64) Shard;

  // Adds (kPresent) or removes (kAbsent) `conference` at `incarnation` in
  // `user`'s `list`.
  void Set(const UserId& user, const ConferenceId& conference,
           uint64_t incarnation, IndexList list, Presence presence);
  Shard& ShardFor(const UserId& user) const;

  std::unique_ptr<Shard[]> shards_;
};

}  // namespace internal
}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_INTERNAL_USER_INDEX_H_
