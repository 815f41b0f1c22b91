// CommitLog: where a ConferenceStore makes each change durable before anyone
// is told of it.
//
// With a commit log (StoreOptions::commit_log), a mutation
//   1. builds its snapshot and delta as always, then asks the log to Prepare
//      its record (with no lock held; a retried mutation prepares again);
//   2. appends the record under the conference's shard lock, in the same
//      critical section that installs the new snapshot, so a conference's
//      records are appended in version order and every appended record is
//      installed (a failed Append installs nothing: the mutation fails with
//      kUnavailable, "the focus cannot store changes: ...");
//   3. returns with MutationResult::commit set to the record's ticket. The
//      delta reaches subscribers only once the log reports that ticket
//      durable; the caller releases its response the same way (WaitDurable
//      or OnDurable).
// A reader may see an installed snapshot before its record is durable; a
// focus that answers with what it read waits for last_ticket() first.
//
// Lock order: Append runs under a shard lock and may take the log's own
// lock, which must be a leaf (the log never calls into the store under it).
//
// Thread safety: implementations are thread-safe.

#ifndef CONF_ENGINE_COMMIT_LOG_H_
#define CONF_ENGINE_COMMIT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "engine/model.h"

namespace conf {
namespace engine {

class CommitLog {
 public:
  virtual ~CommitLog() = default;

  // The record of `delta`, which made `after` (version == delta.version).
  // Called with no store lock held.
  virtual std::string Prepare(const ConferenceDelta& delta,
                              const ConferenceSnapshot& after) = 0;

  // Appends a prepared record and returns its ticket, greater than every
  // earlier one; or the failure that stops the log (kUnavailable). Called
  // under a shard lock: must not block on I/O.
  virtual absl::StatusOr<uint64_t> Append(const ConferenceDelta& delta,
                                          std::string record) = 0;

  // Calls `done` once `ticket` is durable (OK) or never will be, possibly
  // on another thread, in ticket order.
  virtual void OnDurable(uint64_t ticket,
                         std::function<void(absl::Status)> done) = 0;

  // Blocks until `ticket` is durable or never will be.
  virtual absl::Status WaitDurable(uint64_t ticket) = 0;

  // The last ticket Append returned (0 before the first).
  virtual uint64_t last_ticket() const = 0;
};

}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_COMMIT_LOG_H_
