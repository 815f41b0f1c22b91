// Journal: the write-ahead log and snapshot files of one state directory.
//
// A state directory holds
//   segment-<first sequence, 20 digits>.log   records, oldest first
//   snapshot-<covered sequence, 20 digits>.snap   entries of one snapshot
//   (and at most one *.tmp, a snapshot being written, deleted on open)
// Every file is 0600 in a 0700 directory. docs/JOURNAL.md gives the byte
// layout; it is stable: a later release reads today's files.
//
// Writes: Append() copies a record into the journal's buffer and gives it the
// next sequence number; it never waits for the disk. One writer thread takes
// whatever has accumulated, write()s it and fdatasync()s once (group commit),
// then marks every record up to the last one durable. WaitDurable() blocks
// until a sequence is durable; OnDurable() runs a callback (on the journal's
// completion thread, never the caller's, in sequence order) instead.
//
// Failure is fail-stop: after a failed write or sync (EIO, ENOSPC, ...) the
// journal never writes again. Every pending and later record fails with
// kUnavailable ("journal: cannot store changes: <cause>") and status()
// returns it. Nothing is reported durable that was not synced.
//
// Segments: a segment grows to about `segment_bytes` (it is checked after
// each batch, so a segment may pass it by one batch), then is synced and
// sealed; the next one is created, its header synced and the directory
// fsynced before any record goes into it.
//
// Snapshots: BeginSnapshot() streams entries into a temporary file;
// Finish() syncs it, waits until `captured_through` is durable, renames it
// into place and fsyncs the directory, then deletes older snapshots and the
// segments whose records are all covered.
//
// Recovery (Open): the newest snapshot that reads back whole, then every
// record after the sequence it covers, in order. A bad record at the tail of
// the last segment with no valid record after it is a torn write: the segment
// is truncated there, and `log` says so. A bad record anywhere else is
// corruption: Open fails with kDataLoss naming the file, offset and the
// version of the last good record. So is a gap in the sequences (a missing
// segment), and a snapshot that is not whole when the segments it covered
// are gone.
//
// Thread safety: all methods are thread-safe.

#ifndef CONF_JOURNAL_JOURNAL_H_
#define CONF_JOURNAL_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "journal/file_system.h"

namespace conf {
namespace journal {

// One record as read back: `sequence` is the journal's (1, 2, 3, ...; global
// across conferences), `version` the conference version the change made.
struct RecordView {
  uint64_t sequence = 0;
  uint64_t version = 0;
  absl::string_view conference;
  absl::string_view payload;
};

// One entry of a snapshot: a conference's state at `version`, reflecting
// every record of that conference up to `last_sequence`.
struct SnapshotEntryView {
  uint64_t last_sequence = 0;
  uint64_t version = 0;
  absl::string_view conference;
  absl::string_view payload;
};

struct JournalOptions {
  // The state directory; created (0700) when missing.
  std::string dir;
  // Not owned; must outlive the journal. Null: the POSIX file system.
  FileSystem* file_system = nullptr;
  // A segment is sealed once it reaches this size.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Operator-facing messages (torn tail truncated, segments deleted, ...).
  std::function<void(absl::string_view)> log;
};

// What Open() hands the caller while it recovers. Any may be empty. The
// views passed in are valid only during the call.
struct RecoveryCallbacks {
  // Called first, once, with the recovered snapshot's header: the sequence
  // it covers (0 when there is no snapshot) and the last sequence appended
  // when it was taken (see BeginSnapshot).
  std::function<absl::Status(uint64_t covered, uint64_t captured_through)>
      on_snapshot_begin;
  // Called for each entry of the snapshot.
  std::function<absl::Status(const SnapshotEntryView&)> on_snapshot_entry;
  // Called for each record after `covered`, in sequence order.
  std::function<absl::Status(const RecordView&)> on_record;
  // Called before the records of each segment read, oldest first, with its
  // file name and first sequence (segments wholly covered by the snapshot
  // are not read). A segment's first record may be <= covered.
  std::function<absl::Status(absl::string_view name, uint64_t first)>
      on_segment;
};

// Counters for tests, tools and benchmarks.
struct JournalStats {
  uint64_t records = 0;  // appended since Open
  uint64_t syncs = 0;    // fdatasync calls of the writer, one per batch
  uint64_t bytes = 0;    // record bytes written
};

class Journal {
 public:
  // Opens (creating) `options.dir` and recovers it through `callbacks`; an
  // error from a callback ends Open with that error. Appends continue after
  // the last recovered sequence.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(
      JournalOptions options, const RecoveryCallbacks& callbacks);

  // Stops the writer after it has written and synced what was appended.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Buffers one record and returns its sequence; fails (kUnavailable) once
  // the journal has failed, and kInvalidArgument for a conference over
  // 65535 bytes or a payload over 64 MiB. Quick and non-blocking: may be
  // called under a caller's lock.
  absl::StatusOr<uint64_t> Append(absl::string_view conference,
                                  uint64_t version, absl::string_view payload);

  // Blocks until `sequence` is durable (OK) or never will be (the failure).
  // A sequence not appended yet is kInvalidArgument at once.
  absl::Status WaitDurable(uint64_t sequence);
  // Calls `done` once `sequence` is durable or never will be, on the
  // completion thread (at once on that thread if it already is). Callbacks
  // pending together run in sequence order. A sequence not appended yet gets
  // kInvalidArgument; one still pending when the journal is destroyed gets
  // kUnavailable. `done` must not destroy the journal.
  void OnDurable(uint64_t sequence, std::function<void(absl::Status)> done);

  // The last sequence handed out by Append (or recovered).
  uint64_t last_appended() const;
  // The last sequence known durable.
  uint64_t durable() const;
  // OK, or the failure that stopped the journal.
  absl::Status status() const;
  JournalStats stats() const;

  // Streams one snapshot. `covered`: every record with sequence <= covered
  // is reflected in the entries; `captured_through`: the last sequence
  // appended when the capture ended (records up to it may or may not be
  // reflected; each entry's last_sequence says). Finish() makes it durable,
  // then deletes the segments wholly <= covered and older snapshots.
  //
  // One snapshot at a time: kFailedPrecondition while another writer
  // exists; kInvalidArgument unless covered <= captured_through <=
  // last_appended(); the journal's failure once it has failed. Add() takes
  // entries with 1 <= last_sequence <= captured_through (kInvalidArgument
  // otherwise). Finish() also waits for captured_through to be durable, so
  // that no entry reflects a record a crash could lose. File errors fail the
  // snapshot (its first error sticks) but not the journal. A writer
  // destroyed without Finish() removes its file; it must not outlive the
  // journal.
  class SnapshotWriter {
   public:
    virtual ~SnapshotWriter() = default;
    virtual absl::Status Add(const SnapshotEntryView& entry) = 0;
    virtual absl::Status Finish() = 0;
  };
  absl::StatusOr<std::unique_ptr<SnapshotWriter>> BeginSnapshot(
      uint64_t covered, uint64_t captured_through);

 private:
  class Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks every file of `dir` without changing it (confstate journal verify):
// OK, or the first problem (kDataLoss with file, offset and version). A torn
// tail is reported as such (kDataLoss, "torn tail") so that an operator sees
// it; Open would truncate it.
absl::Status VerifyDirectory(absl::string_view dir, FileSystem* file_system);

// Reads `dir` as Open would, without changing any file (confstate journal
// dump): hands `callbacks` the newest whole snapshot, then each segment and
// every record after the snapshot, in order. `file_system` null: the POSIX
// one. Returns OK when VerifyDirectory would; otherwise the callbacks have
// seen everything before the first problem and the status is that problem
// (kDataLoss naming file, offset and last good record; "torn tail" for a
// torn tail, which Open would truncate). A snapshot that is not whole is
// skipped for the one before, as Open does, and reported at the end. An
// error from a callback ends the scan with that error; a directory that
// cannot be read gives the file system's error.
//
// Example:
//   RecoveryCallbacks callbacks;
//   callbacks.on_record = [](const RecordView& record) {
//     std::cout << record.sequence << "\n";
//     return absl::OkStatus();
//   };
//   absl::Status status = ScanDirectory("/var/lib/confstate", nullptr,
//                                       callbacks);
absl::Status ScanDirectory(absl::string_view dir, FileSystem* file_system,
                           const RecoveryCallbacks& callbacks);

// What RepairDirectory cut, or PlanRepair would cut. All empty or 0 when
// the directory is good.
struct RepairReport {
  // The first problem, as VerifyDirectory reports it.
  std::string problem;
  // The segment cut at `offset`: a record boundary, or 0 when the segment
  // is removed whole (its header is bad or it does not follow the one
  // before). Empty: nothing is cut.
  std::string segment;
  uint64_t offset = 0;
  // The later segments removed whole, oldest first.
  std::vector<std::string> removed;
  // Bytes cut or removed, and how many records with a valid checksum were
  // among them (after corruption, later records may check; a torn tail
  // usually holds none).
  uint64_t bytes_dropped = 0;
  uint64_t records_dropped = 0;
  // The last sequence left: appends continue after it.
  uint64_t last_sequence = 0;
};

// What RepairDirectory would cut in `dir`, changing nothing (confstate
// journal repair without --truncate). An empty report for a good
// directory. kFailedPrecondition (with the problem) when the problem is not
// one that cutting segments fixes: a snapshot that is not whole, records
// missing before the first segment, or a cut that would lose records the
// newest snapshot relied on. The file system's error when `dir` cannot be
// read. `file_system` null: the POSIX one.
absl::StatusOr<RepairReport> PlanRepair(absl::string_view dir,
                                        FileSystem* file_system);

// Truncates the journal in `dir` at its first bad record, as PlanRepair
// describes: removes every later segment (newest first), then cuts the
// segment holding that record at its offset (or removes it), each step
// synced and the directory fsynced; then the directory verifies and Open
// starts without dropping anything more. A good directory is not touched.
// The records cut are lost for good: this is for an operator who has
// decided to accept that (see docs/JOURNAL.md, "Operators' tools"). Not
// safe while a Journal has `dir` open. Errors as PlanRepair, plus the file
// system's error when a step fails (a second repair finishes the job).
absl::StatusOr<RepairReport> RepairDirectory(absl::string_view dir,
                                             FileSystem* file_system);

}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_JOURNAL_H_
