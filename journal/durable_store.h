// DurableStore: a ConferenceStore's changes journaled in a state directory,
// and the store recovered from it on start.
//
// It is the store's engine::CommitLog: each change's record is the
// PayloadCodec's encoding of its delta (journal/payload.h), appended to the
// Journal (journal/journal.h), whose group commit makes it durable before
// the change is delivered or acknowledged. Snapshots of the whole store are
// written every `snapshot_every_changes` records, so that recovery reads one
// snapshot and the records after it, and old segments are deleted.
//
// Start-up:
//   CONF_ASSIGN_OR_RETURN(std::unique_ptr<DurableStore> durable,
//                         DurableStore::Open(options));   // recovers
//   engine::StoreOptions store_options;
//   store_options.commit_log = durable.get();
//   engine::ConferenceStore store(store_options);
//   CONF_RETURN_IF_ERROR(durable->RestoreInto(store));      // installs
//
// Snapshot consistency. A snapshot records `covered`, the last sequence
// appended before its capture began (every record up to it is reflected),
// `captured_through`, the last appended when the capture ended, and for
// each conference the last sequence reflected in it. Recovery applies a
// record after `covered` unless its conference's entry already reflects it;
// a change to a conference missing from the snapshot is skipped when it is
// not after `captured_through` (the conference was deleted before its shard
// was captured) and is corruption otherwise.
//
// Thread safety: all methods are thread-safe; RestoreInto is called once.

#ifndef CONF_JOURNAL_DURABLE_STORE_H_
#define CONF_JOURNAL_DURABLE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "base/mutex.h"
#include "engine/commit_log.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "journal/file_system.h"
#include "journal/journal.h"
#include "journal/payload.h"

namespace conf {
namespace journal {

struct DurableStoreOptions {
  // The state directory (created 0700 when missing).
  std::string state_dir;
  // The node key file; empty: "<state_dir>/node.key", created on first use.
  std::string node_key_file;
  // Not owned. Null: the POSIX file system.
  FileSystem* file_system = nullptr;
  uint64_t segment_bytes = uint64_t{64} << 20;
  // A snapshot is due once this many records were appended since the last.
  uint64_t snapshot_every_changes = 100000;
  // Operator-facing messages (recovery, torn tails, snapshots).
  std::function<void(absl::string_view)> log;
};

// What recovery found, for the log and for tests.
struct RecoveryReport {
  uint64_t snapshot_covered = 0;  // 0: no snapshot
  size_t snapshot_conferences = 0;
  size_t records_replayed = 0;
  size_t records_skipped = 0;  // already in the snapshot
  size_t conferences = 0;      // live after recovery
  uint64_t last_sequence = 0;
  absl::Duration elapsed;
};

class DurableStore : public engine::CommitLog {
 public:
  // Opens the state directory and recovers it (into memory; RestoreInto
  // installs it). kDataLoss for corruption, naming file, offset and
  // version; other errors from the file system or the node key.
  static absl::StatusOr<std::unique_ptr<DurableStore>> Open(
      DurableStoreOptions options);

  // Writes and syncs what was appended; stops the journal's threads.
  ~DurableStore() override;

  // Installs every recovered conference into `store` (empty, with this
  // object as its commit log). Once.
  absl::Status RestoreInto(engine::ConferenceStore& store);

  // Writes a snapshot of `store` (see the class comment), waiting first
  // until everything it captured is durable.
  absl::Status WriteSnapshot(const engine::ConferenceStore& store);
  // Records appended since the last snapshot reached snapshot_every_changes.
  bool SnapshotDue() const;

  const RecoveryReport& recovery() const { return recovery_; }
  // The journal's counters: records, syncs, bytes.
  JournalStats journal_stats() const { return journal_->stats(); }
  // OK, or the failure that stopped the journal (no change is accepted).
  absl::Status journal_status() const { return journal_->status(); }

  // Runs `hook` in WriteSnapshot between noting the covered sequence and
  // capturing the store: tests change the store there to land changes in
  // the window a concurrent capture can meet.
  void SetCaptureHookForTest(std::function<void()> hook) {
    capture_hook_for_test_ = std::move(hook);
  }
  Journal& journal() { return *journal_; }

  // engine::CommitLog. WaitDurable returns once `ticket` is durable and the
  // deliveries queued (by OnDurable) for tickets up to it have run, so a
  // synchronous caller's subscribers have their notifications before its
  // response; OnDurable callbacks run on the journal's completion thread,
  // in ticket order, and must not block (a WaitDurable there only waits for
  // the disk).
  std::string Prepare(const engine::ConferenceDelta& delta,
                      const engine::ConferenceSnapshot& after) override;
  absl::StatusOr<uint64_t> Append(const engine::ConferenceDelta& delta,
                                  std::string record) override;
  void OnDurable(uint64_t ticket,
                 std::function<void(absl::Status)> done) override;
  absl::Status WaitDurable(uint64_t ticket) override;
  uint64_t last_ticket() const override;

 private:
  // A conference as recovery rebuilds it.
  struct Recovered {
    engine::ConferenceSnapshot snapshot;
    uint64_t last_sequence = 0;
  };
  class Recovery;

  DurableStore(DurableStoreOptions options, PayloadCodec codec);

  const DurableStoreOptions options_;
  const PayloadCodec codec_;
  std::unique_ptr<Journal> journal_;
  RecoveryReport recovery_;
  // Filled by Open, emptied by RestoreInto.
  absl::flat_hash_map<std::string, Recovered> recovered_;
  // One snapshot at a time.
  conf::Mutex snapshot_mu_;
  // The journal's last sequence when the last snapshot began.
  std::atomic<uint64_t> snapshot_sequence_{0};
  std::function<void()> capture_hook_for_test_;
  // OnDurable callbacks queued and not yet run.
  std::atomic<int64_t> pending_callbacks_{0};
};

}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_DURABLE_STORE_H_
