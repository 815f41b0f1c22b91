// Reading a state directory back: the snapshot chosen, every segment scanned
// and checked (checksums, contiguous sequences), torn tails told apart from
// corruption (docs/JOURNAL.md, "Recovery"). Journal::Open and
// VerifyDirectory share it. Private to //journal.

#ifndef CONF_JOURNAL_INTERNAL_RECOVERY_H_
#define CONF_JOURNAL_INTERNAL_RECOVERY_H_

#include <cstdint>
#include <functional>
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

// Whether some offset in `data` at or after `from` starts a record with a
// valid checksum. Decides whether a bad record is a torn tail.
bool AnyValidRecordFrom(absl::string_view data, size_t from);

}  // namespace internal
}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_INTERNAL_RECOVERY_H_
