// Reading a state directory back: the snapshot chosen, every segment scanned
// and checked (checksums, contiguous sequences), torn tails told apart from
// corruption (docs/JOURNAL.md, "Recovery"). Journal::Open, VerifyDirectory,
// ScanDirectory and RepairDirectory share it. Private to //journal.

#ifndef CONF_JOURNAL_INTERNAL_RECOVERY_H_
#define CONF_JOURNAL_INTERNAL_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "journal/file_system.h"
#include "journal/journal.h"

namespace conf {
namespace journal {
namespace internal {

enum class RecoveryMode {
  // Journal::Open: truncates torn tails, removes a segment whose header was
  // torn while it was created, deletes *.tmp files and what a snapshot
  // covers; a snapshot that is not whole is skipped.
  kRecover,
  // VerifyDirectory: changes nothing and reports each of those as kDataLoss.
  kVerify,
  // ScanDirectory: changes nothing and reports what kVerify reports, but
  // calls the callbacks (with what comes before the first problem). A
  // snapshot that is not whole is reported after the scan falls back to
  // the one before, as kRecover does.
  kScan,
};

struct RecoveryResult {
  // The last sequence recovered: appends continue after it.
  uint64_t last_sequence = 0;
  // The last segment holds no record and starts at last_sequence + 1, so the
  // writer appends to it instead of creating a new one.
  bool reuse_last_segment = false;
};

// The journal's files in a directory, by the sequence in their names.
struct JournalFiles {
  std::vector<uint64_t> segments;   // first sequences, ascending
  std::vector<uint64_t> snapshots;  // covered sequences, ascending
  std::vector<std::string> temp_files;
};
absl::StatusOr<JournalFiles> ListJournalFiles(FileSystem* file_system,
                                              const std::string& dir);

std::string JoinPath(absl::string_view dir, absl::string_view name);

// After a whole snapshot covering `covered` is durable: deletes the
// segments whose records are all <= covered (a segment is, iff the next
// segment starts at or before covered + 1) and the snapshots older than it.
// The newest segment is never deleted.
absl::Status DeleteCoveredFiles(
    FileSystem* file_system, const std::string& dir, uint64_t covered,
    const std::function<void(absl::string_view)>& log);

// Reads `dir` (which must exist) through `callbacks` (any may be empty). In
// kVerify mode the callbacks are not called.
absl::StatusOr<RecoveryResult> RecoverDirectory(
    FileSystem* file_system, const std::string& dir, RecoveryMode mode,
    const std::function<void(absl::string_view)>& log,
    const RecoveryCallbacks& callbacks);

// Where the segments first go bad: cutting `segment` at `offset` and
// removing every later segment leaves only records that check. Offset 0
// means the segment goes whole (its header is bad or it does not follow the
// segment before); any other offset is a record boundary.
struct SegmentCut {
  std::string segment;  // file name
  uint64_t first_sequence = 0;
  uint64_t offset = 0;
  // The last sequence left after the cut (the snapshot's covered one when
  // no record is left after it).
  uint64_t last_sequence = 0;
};

// RecoverDirectory with what a repair needs when it fails.
struct DirectoryRead {
  // What RecoverDirectory returns.
  absl::StatusOr<RecoveryResult> result;
  // Set when a segment's header, record or sequence stopped the read (not
  // for a snapshot that is not whole, records missing before the first
  // segment, or a callback's error).
  std::optional<SegmentCut> cut;
  // Of the snapshot used; 0 without one.
  uint64_t covered = 0;
  uint64_t captured_through = 0;
};
DirectoryRead ReadDirectory(FileSystem* file_system, const std::string& dir,
                            RecoveryMode mode,
                            const std::function<void(absl::string_view)>& log,
                            const RecoveryCallbacks& callbacks);

// What RepairDirectory would do to `dir` (reading it in kVerify mode),
// changing nothing: an empty report when the directory is good, and
// kFailedPrecondition when its problem is not one that cutting segments
// fixes.
absl::StatusOr<RepairReport> PlanRepair(FileSystem* file_system,
                                        const std::string& dir);
// Carries out `plan` (from PlanRepair of the same directory): removes the
// later segments newest first, then cuts (or removes) the bad one, each step
// synced and the directory fsynced.
absl::Status ApplyRepair(FileSystem* file_system, const std::string& dir,
                         const RepairReport& plan);

// How many records with a valid checksum start at or after `from` in
// `data`, found by trying each offset after a bad one.
uint64_t CountValidRecordsFrom(absl::string_view data, size_t from);

// Whether some offset in `data` at or after `from` starts a record with a
// valid checksum. Decides whether a bad record is a torn tail.
bool AnyValidRecordFrom(absl::string_view data, size_t from);

}  // namespace internal
}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_INTERNAL_RECOVERY_H_
