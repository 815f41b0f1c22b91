// The operators' journal commands of confstate (docs/JOURNAL.md,
// "Operators' tools"): `confstate journal verify|dump|repair DIR`, over a
// state directory written by `confstate run --state-dir` or confstated.
// Each writes its report to `out` and returns the problem it found; the
// caller prints that on one line and exits 1. None needs the node key, and
// only RepairJournal with RepairAction::kTruncate changes a file.
//
// Thread safety: each call is independent; do not run repair while a
// process has the directory open.

#ifndef CONF_TOOLS_JOURNAL_COMMANDS_H_
#define CONF_TOOLS_JOURNAL_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace tools {

// Checks every segment, record and snapshot of `dir`. OK: writes one line,
//   journal: DIR: ok: 3 segments, 41 records, snapshot 0, last sequence 41
// (records: those after the snapshot's covered sequence; snapshot 0: none).
// Otherwise the first problem: kDataLoss naming file, offset and the last
// good record's version ("torn tail" for a torn tail), or the file system's
// error when `dir` cannot be read.
absl::Status VerifyJournal(const std::string& dir, std::ostream& out);

// Writes one JSON line per entry of the newest whole snapshot,
//   {"snapshot_covered":N,"conference":"...","version":N,"last_sequence":N,
//    "payload":{...}}
// then one per record after it,
//   {"sequence":N,"conference":"...","version":N,"payload":{...}}
// where payload is PayloadCodec::SnapshotToJson / ChangeToJson (secrets
// "<redacted>"). A payload that does not decode is written as
// "payload_error":"<why>" instead, and the call then fails (kDataLoss) after
// writing every line. A torn or corrupt directory: the lines before the
// problem, then ScanDirectory's error.
absl::Status DumpJournal(const std::string& dir, std::ostream& out);

enum class RepairAction {
  kReport,    // say what would be cut; change nothing
  kTruncate,  // cut it (journal::RepairDirectory)
};

// kReport: writes what a repair would cut (or that `dir` is clean) and
// returns the problem (kDataLoss) when there is one, OK when clean.
// kTruncate: cuts at the first bad record, writes what it cut (or that
// `dir` is clean) and returns OK. Both: kFailedPrecondition when the
// problem is not one cutting segments fixes, and the file system's error.
absl::Status RepairJournal(const std::string& dir, RepairAction action,
                           std::ostream& out);

// `s` as a JSON string literal (quoted). Invalid UTF-8 bytes become
// U+FFFD so that the line is always valid JSON.
std::string JsonString(absl::string_view s);

}  // namespace tools
}  // namespace conf

#endif  // CONF_TOOLS_JOURNAL_COMMANDS_H_
