#include "journal/internal/recovery.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/status_macros.h"
#include "journal/file_system.h"
#include "journal/internal/format.h"
#include "journal/journal.h"

namespace conf {
namespace journal {
namespace internal {
namespace {

// The last good record seen so far, for error messages.
struct LastGood {
  uint64_t sequence = 0;
  uint64_t version = 0;
  bool any = false;
};

std::string Describe(const LastGood& last) {
  if (!last.any)
    return "no good record before it";
  return absl::StrCat("last good record: sequence ", last.sequence,
                      ", version ", last.version);
}

void Log(const std::function<void(absl::string_view)>& log,
         absl::string_view message) {
  if (log)
    log(message);
}

// A snapshot read back whole. `entries` point into `data`.
struct SnapshotContents {
  uint64_t covered = 0;
  uint64_t captured_through = 0;
  std::string data;
  std::vector<SnapshotEntryView> entries;
};

// Reads snapshot `name`; kDataLoss saying why when it is not whole.
absl::StatusOr<std::unique_ptr<SnapshotContents>> ReadSnapshot(
    FileSystem* file_system, const std::string& dir, uint64_t covered) {
  const std::string name = SnapshotFileName(covered);
  auto contents = std::make_unique<SnapshotContents>();
  CONF_ASSIGN_OR_RETURN(contents->data,
                        file_system->ReadFile(JoinPath(dir, name)));
  absl::string_view data = contents->data;
  auto fail = [&name](absl::string_view what, size_t offset) {
    return absl::DataLossError(
        absl::StrCat("journal: ", name, ": ", what, " at offset ", offset));
  };
  std::optional<uint64_t> header_covered =
      DecodeFileHeader(kSnapshotMagic, data);
  if (!header_covered.has_value())
    return fail("bad snapshot header", 0);
  if (*header_covered != covered) {
    return fail("header and file name disagree on the covered sequence", 0);
  }
  size_t offset = kFileHeaderSize;
  const char* reason = "";
  std::optional<ParsedRecord> header = ParseRecord(data, offset, &reason);
  if (!header.has_value())
    return fail(reason, offset);
  if (header->sequence != 0 || header->payload.size() != 16) {
    return fail("bad snapshot header record", offset);
  }
  contents->covered = DecodeFixed64(header->payload.data());
  contents->captured_through = DecodeFixed64(header->payload.data() + 8);
  if (contents->covered != covered ||
      contents->captured_through < contents->covered) {
    return fail("bad snapshot header record", offset);
  }
  offset += header->size;
  for (;;) {
    if (offset == data.size()) {
      return absl::DataLossError(absl::StrCat(
          "journal: ", name, ": incomplete snapshot (no trailer) after ",
          contents->entries.size(), " entries at offset ", offset));
    }
    std::optional<ParsedRecord> record = ParseRecord(data, offset, &reason);
    if (!record.has_value()) {
      return fail(absl::StrCat("incomplete snapshot (", reason, ")"), offset);
    }
    if (record->sequence == 0) {  // the trailer
      if (record->payload.size() != 8 ||
          DecodeFixed64(record->payload.data()) != contents->entries.size()) {
        return fail("snapshot trailer does not match its entries", offset);
      }
      if (offset + record->size != data.size()) {
        return fail("bytes after the snapshot trailer", offset + record->size);
      }
      return contents;
    }
    if (record->sequence > contents->captured_through) {
      return fail("entry beyond the sequence the snapshot captured", offset);
    }
    SnapshotEntryView entry;
    entry.last_sequence = record->sequence;
    entry.version = record->version;
    entry.conference = record->conference;
    entry.payload = record->payload;
    contents->entries.push_back(entry);
    offset += record->size;
  }
}

struct SegmentScan {
  uint64_t last_sequence = 0;  // of the last good record; first - 1 if none
  size_t valid_end = 0;        // offset just after the last good record
  // Bytes after valid_end are a torn write (last segment only).
  bool torn_tail = false;
  const char* torn_reason = "";
  // The header itself is torn: the segment was being created.
  bool torn_header = false;
  // Corruption (kDataLoss) at `valid_end`, or at offset 0 for a bad header;
  // the records before it were good.
  absl::Status corruption;
};

// Scans segment `name`, whose name says it starts at `first`, calling
// `on_record` for each good record. Only on_record's error is returned as
// an error; what is wrong with the segment is in the scan.
absl::StatusOr<SegmentScan> ScanSegment(
    const std::string& name, absl::string_view data, uint64_t first,
    bool is_last, LastGood* last_good,
    const std::function<absl::Status(const ParsedRecord&)>& on_record) {
  SegmentScan scan;
  scan.last_sequence = first - 1;
  std::optional<uint64_t> header_first = DecodeFileHeader(kSegmentMagic, data);
  if (!header_first.has_value()) {
    if (is_last && data.size() <= kFileHeaderSize) {
      scan.torn_header = true;
      return scan;
    }
    scan.corruption = absl::DataLossError(
        absl::StrCat("journal: ", name, ": bad segment header at offset 0 (",
                     Describe(*last_good), ")"));
    return scan;
  }
  if (*header_first != first) {
    scan.corruption = absl::DataLossError(absl::StrCat(
        "journal: ", name, ": header says first sequence ", *header_first,
        " at offset 0 (", Describe(*last_good), ")"));
    return scan;
  }
  uint64_t expected = first;
  size_t offset = kFileHeaderSize;
  while (offset < data.size()) {
    const char* reason = "";
    std::optional<ParsedRecord> record = ParseRecord(data, offset, &reason);
    if (!record.has_value()) {
      if (is_last && !AnyValidRecordFrom(data, offset + 1)) {
        scan.torn_tail = true;
        scan.torn_reason = reason;
        break;
      }
      scan.corruption = absl::DataLossError(
          absl::StrCat("journal: ", name, ": ", reason, " at offset ", offset,
                       " (", Describe(*last_good), ")"));
      break;
    }
    if (record->sequence != expected) {
      scan.corruption = absl::DataLossError(
          absl::StrCat("journal: ", name, ": sequence ", record->sequence,
                       " where ", expected, " was expected at offset ", offset,
                       " (", Describe(*last_good), ")"));
      break;
    }
    CONF_RETURN_IF_ERROR(on_record(*record));
    last_good->sequence = record->sequence;
    last_good->version = record->version;
    last_good->any = true;
    ++expected;
    offset += record->size;
  }
  scan.last_sequence = expected - 1;
  scan.valid_end = offset;
  return scan;
}

// Appends `also` (a snapshot that is not whole, found by a scan that went
// on) to the problem that stopped the scan.
absl::Status WithSnapshotProblem(const absl::Status& status,
                                 const absl::Status& also) {
  if (also.ok())
    return status;
  if (status.ok())
    return also;
  return absl::Status(
      status.code(), absl::StrCat(status.message(), "; also ", also.message()));
}

absl::StatusOr<RecoveryResult> Read(
    FileSystem* file_system, const std::string& dir, RecoveryMode mode,
    const std::function<void(absl::string_view)>& log,
    const RecoveryCallbacks& callbacks, DirectoryRead* read_out);

}  // namespace

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

bool AnyValidRecordFrom(absl::string_view data, size_t from) {
  const size_t min_record = kRecordPrefixSize + kRecordFixedBodySize;
  for (size_t offset = from; offset + min_record <= data.size(); ++offset) {
    // Cheap tests first; only a plausible length gets its checksum computed.
    uint32_t length = DecodeFixed32(data.data() + offset);
    if (length < kRecordFixedBodySize ||
        length > data.size() - offset - kRecordPrefixSize) {
      continue;
    }
    const char* reason = "";
    if (ParseRecord(data, offset, &reason).has_value())
      return true;
  }
  return false;
}

absl::StatusOr<JournalFiles> ListJournalFiles(FileSystem* file_system,
                                              const std::string& dir) {
  CONF_ASSIGN_OR_RETURN(std::vector<std::string> names,
                        file_system->ListDir(dir));
  JournalFiles files;
  for (const std::string& name : names) {
    if (std::optional<uint64_t> first = ParseSegmentFileName(name)) {
      files.segments.push_back(*first);
    } else if (std::optional<uint64_t> covered = ParseSnapshotFileName(name)) {
      files.snapshots.push_back(*covered);
    } else if (IsTempFileName(name)) {
      files.temp_files.push_back(name);
    }
  }
  std::sort(files.segments.begin(), files.segments.end());
  std::sort(files.snapshots.begin(), files.snapshots.end());
  return files;
}

absl::Status DeleteCoveredFiles(
    FileSystem* file_system, const std::string& dir, uint64_t covered,
    const std::function<void(absl::string_view)>& log) {
  CONF_ASSIGN_OR_RETURN(JournalFiles files, ListJournalFiles(file_system, dir));
  for (size_t i = 0; i + 1 < files.segments.size(); ++i) {
    if (files.segments[i + 1] > covered + 1)
      break;
    const std::string name = SegmentFileName(files.segments[i]);
    CONF_RETURN_IF_ERROR(file_system->Unlink(JoinPath(dir, name)));
    Log(log, absl::StrCat("journal: deleted ", name, ": snapshot ", covered,
                          " covers it"));
  }
  for (uint64_t older : files.snapshots) {
    if (older >= covered)
      break;
    const std::string name = SnapshotFileName(older);
    CONF_RETURN_IF_ERROR(file_system->Unlink(JoinPath(dir, name)));
    Log(log, absl::StrCat("journal: deleted ", name, ": snapshot ", covered,
                          " replaces it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RecoveryResult> RecoverDirectory(
    FileSystem* file_system, const std::string& dir, RecoveryMode mode,
    const std::function<void(absl::string_view)>& log,
    const RecoveryCallbacks& callbacks) {
  return ReadDirectory(file_system, dir, mode, log, callbacks).result;
}

DirectoryRead ReadDirectory(FileSystem* file_system, const std::string& dir,
                            RecoveryMode mode,
                            const std::function<void(absl::string_view)>& log,
                            const RecoveryCallbacks& callbacks) {
  DirectoryRead read;
  read.result = Read(file_system, dir, mode, log, callbacks, &read);
  return read;
}

namespace {

// The newest snapshot of `files` that reads back whole, or nullptr. Every
// one was synced before it was renamed into place, so one that is not whole
// is damage, not a crash: kVerify reports it, kRecover falls back to the one
// before (and logs it), kScan falls back and keeps the first problem in
// `*problem`, to be reported at the end.
absl::StatusOr<std::unique_ptr<SnapshotContents>> NewestWholeSnapshot(
    FileSystem* file_system, const std::string& dir, const JournalFiles& files,
    RecoveryMode mode, const std::function<void(absl::string_view)>& log,
    absl::Status* problem) {
  std::unique_ptr<SnapshotContents> snapshot;
  for (auto it = files.snapshots.rbegin(); it != files.snapshots.rend(); ++it) {
    absl::StatusOr<std::unique_ptr<SnapshotContents>> read =
        ReadSnapshot(file_system, dir, *it);
    if (read.ok()) {
      if (snapshot == nullptr)
        snapshot = *std::move(read);
      continue;
    }
    if (read.status().code() != absl::StatusCode::kDataLoss ||
        mode == RecoveryMode::kVerify) {
      return read.status();
    }
    if (mode == RecoveryMode::kScan) {
      if (problem->ok())
        *problem = read.status();
      continue;
    }
    if (snapshot == nullptr) {
      Log(log, absl::StrCat(read.status().message(), "; snapshot ignored"));
    }
  }
  return snapshot;
}

// The index of the first segment to read: those before it hold only records
// <= covered (a deletion the last snapshot began but did not finish).
// kDataLoss when records after `covered` are in no segment.
absl::StatusOr<size_t> FirstKeptSegment(const std::string& dir,
                                        const JournalFiles& files,
                                        uint64_t covered, bool have_snapshot,
                                        const absl::Status& snapshot_problem) {
  size_t first_kept = 0;
  while (first_kept + 1 < files.segments.size() &&
         files.segments[first_kept + 1] <= covered + 1) {
    ++first_kept;
  }
  if (first_kept < files.segments.size() &&
      files.segments[first_kept] > covered + 1) {
    return WithSnapshotProblem(
        absl::DataLossError(absl::StrCat(
            "journal: ", dir, ": records ", covered + 1, " to ",
            files.segments[first_kept] - 1, " are in no segment and ",
            have_snapshot ? absl::StrCat("snapshot ", covered, " covers ")
                          : std::string("no whole snapshot covers "),
            "only up to ", covered)),
        snapshot_problem);
  }
  if (files.segments.empty() && !have_snapshot && !files.snapshots.empty()) {
    return WithSnapshotProblem(
        absl::DataLossError(absl::StrCat("journal: ", dir,
                                         ": no whole snapshot and no segment")),
        snapshot_problem);
  }
  return first_kept;
}

// kRecover, once the directory read back: deletes unfinished snapshots and
// what the snapshot covers.
absl::Status RemoveLeftovers(
    FileSystem* file_system, const std::string& dir, const JournalFiles& files,
    uint64_t covered, size_t first_kept,
    const std::function<void(absl::string_view)>& log) {
  for (const std::string& name : files.temp_files) {
    CONF_RETURN_IF_ERROR(file_system->Unlink(JoinPath(dir, name)));
    Log(log,
        absl::StrCat("journal: deleted ", name, ": an unfinished snapshot"));
  }
  if (covered > 0 || first_kept > 0) {
    CONF_RETURN_IF_ERROR(DeleteCoveredFiles(file_system, dir, covered, log));
  }
  return absl::OkStatus();
}

absl::StatusOr<RecoveryResult> Read(
    FileSystem* file_system, const std::string& dir, RecoveryMode mode,
    const std::function<void(absl::string_view)>& log,
    const RecoveryCallbacks& callbacks, DirectoryRead* read_out) {
  // kVerify and kScan change nothing; kScan and kRecover call back.
  const bool changes = mode == RecoveryMode::kRecover;
  const bool calls_back = mode != RecoveryMode::kVerify;
  CONF_ASSIGN_OR_RETURN(JournalFiles files, ListJournalFiles(file_system, dir));

  // kScan: the first snapshot that is not whole, reported at the end.
  absl::Status snapshot_problem;
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotContents> snapshot,
                        NewestWholeSnapshot(file_system, dir, files, mode, log,
                                            &snapshot_problem));
  const uint64_t covered = snapshot != nullptr ? snapshot->covered : 0;
  const uint64_t captured_through =
      snapshot != nullptr ? snapshot->captured_through : 0;
  read_out->covered = covered;
  read_out->captured_through = captured_through;

  CONF_ASSIGN_OR_RETURN(
      const size_t first_kept,
      FirstKeptSegment(dir, files, covered, snapshot != nullptr,
                       snapshot_problem));

  if (calls_back) {
    if (callbacks.on_snapshot_begin) {
      CONF_RETURN_IF_ERROR(
          callbacks.on_snapshot_begin(covered, captured_through));
    }
    if (snapshot != nullptr && callbacks.on_snapshot_entry) {
      for (const SnapshotEntryView& entry : snapshot->entries) {
        CONF_RETURN_IF_ERROR(callbacks.on_snapshot_entry(entry));
      }
    }
  }
  snapshot.reset();

  auto on_record = [&](const ParsedRecord& parsed) -> absl::Status {
    if (!calls_back || parsed.sequence <= covered || !callbacks.on_record) {
      return absl::OkStatus();
    }
    RecordView view;
    view.sequence = parsed.sequence;
    view.version = parsed.version;
    view.conference = parsed.conference;
    view.payload = parsed.payload;
    return callbacks.on_record(view);
  };

  RecoveryResult result;
  LastGood last_good;
  uint64_t last_sequence = covered;
  bool last_segment_kept = false;
  // A problem found in the segments: where to cut, and what to report.
  auto stop = [&](const std::string& name, uint64_t first, uint64_t offset,
                  uint64_t kept_through, absl::Status problem) {
    read_out->cut = SegmentCut{name, first, offset, kept_through};
    return WithSnapshotProblem(problem, snapshot_problem);
  };
  for (size_t i = first_kept; i < files.segments.size(); ++i) {
    const uint64_t first = files.segments[i];
    const std::string name = SegmentFileName(first);
    const std::string path = JoinPath(dir, name);
    if (i > first_kept && first != last_sequence + 1) {
      return stop(name, first, 0, last_sequence,
                  absl::DataLossError(absl::StrCat(
                      "journal: ", name, ": starts at sequence ", first,
                      " but the segment before ends at ", last_sequence, " (",
                      Describe(last_good), ")")));
    }
    const bool is_last = i + 1 == files.segments.size();
    if (calls_back && callbacks.on_segment) {
      CONF_RETURN_IF_ERROR(callbacks.on_segment(name, first));
    }
    CONF_ASSIGN_OR_RETURN(std::string data, file_system->ReadFile(path));
    CONF_ASSIGN_OR_RETURN(
        SegmentScan scan,
        ScanSegment(name, data, first, is_last, &last_good, on_record));
    if (!scan.corruption.ok()) {
      return stop(name, first, scan.valid_end,
                  std::max(last_sequence, scan.last_sequence), scan.corruption);
    }
    if (scan.torn_header) {
      if (!changes) {
        return stop(name, first, 0, std::max(last_sequence, first - 1),
                    absl::DataLossError(absl::StrCat(
                        "journal: ", name, ": torn tail: segment header of ",
                        data.size(), " bytes at offset 0")));
      }
      CONF_RETURN_IF_ERROR(file_system->Unlink(path));
      Log(log, absl::StrCat("journal: ", name, ": torn tail: removed a ",
                            "segment whose header was not written whole (",
                            data.size(), " bytes)"));
      last_sequence = std::max(last_sequence, first - 1);
      break;
    }
    if (scan.torn_tail) {
      if (!changes) {
        return stop(
            name, first, scan.valid_end,
            std::max(last_sequence, scan.last_sequence),
            absl::DataLossError(absl::StrCat(
                "journal: ", name, ": torn tail: ", scan.torn_reason,
                " at offset ", scan.valid_end, " (", Describe(last_good), ", ",
                data.size() - scan.valid_end, " bytes after it)")));
      }
      CONF_RETURN_IF_ERROR(file_system->Truncate(path, scan.valid_end));
      Log(log, absl::StrCat("journal: ", name, ": torn tail: truncated ",
                            data.size() - scan.valid_end, " bytes at offset ",
                            scan.valid_end, " (", scan.torn_reason, "; ",
                            Describe(last_good), ")"));
    }
    last_sequence = std::max(last_sequence, scan.last_sequence);
    last_segment_kept = is_last;
  }
  if (last_sequence < captured_through) {
    return WithSnapshotProblem(absl::DataLossError(absl::StrCat(
                                   "journal: ", dir, ": snapshot ", covered,
                                   " captured records up to ", captured_through,
                                   " but the segments end at ", last_sequence)),
                               snapshot_problem);
  }
  if (!snapshot_problem.ok())
    return snapshot_problem;

  if (changes) {
    CONF_RETURN_IF_ERROR(
        RemoveLeftovers(file_system, dir, files, covered, first_kept, log));
  }
  result.last_sequence = last_sequence;
  result.reuse_last_segment =
      last_segment_kept && files.segments.back() == last_sequence + 1;
  return result;
}

}  // namespace

uint64_t CountValidRecordsFrom(absl::string_view data, size_t from) {
  const size_t min_record = kRecordPrefixSize + kRecordFixedBodySize;
  uint64_t count = 0;
  size_t offset = from;
  while (offset + min_record <= data.size()) {
    // As AnyValidRecordFrom: the checksum only for a plausible length.
    const uint32_t length = DecodeFixed32(data.data() + offset);
    if (length >= kRecordFixedBodySize &&
        length <= data.size() - offset - kRecordPrefixSize) {
      const char* reason = "";
      std::optional<ParsedRecord> record = ParseRecord(data, offset, &reason);
      if (record.has_value()) {
        ++count;
        offset += record->size;
        continue;
      }
    }
    ++offset;
  }
  return count;
}

absl::StatusOr<RepairReport> PlanRepair(FileSystem* file_system,
                                        const std::string& dir) {
  DirectoryRead read = ReadDirectory(file_system, dir, RecoveryMode::kVerify,
                                     nullptr, RecoveryCallbacks());
  RepairReport plan;
  if (read.result.ok())
    return plan;  // nothing to cut
  const absl::Status& problem = read.result.status();
  if (problem.code() != absl::StatusCode::kDataLoss) {
    return problem;  // the directory could not be read
  }
  if (!read.cut.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("journal: repair: cutting segments cannot fix this: ",
                     problem.message()));
  }
  const SegmentCut& cut = *read.cut;
  if (cut.last_sequence < read.captured_through) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal: repair: cutting ", cut.segment, " at offset ", cut.offset,
        " would leave records up to ", cut.last_sequence, " but snapshot ",
        read.covered, " needs them up to ", read.captured_through, ": ",
        problem.message()));
  }
  plan.problem = std::string(problem.message());
  plan.segment = cut.segment;
  plan.offset = cut.offset;
  plan.last_sequence = cut.last_sequence;

  CONF_ASSIGN_OR_RETURN(JournalFiles files, ListJournalFiles(file_system, dir));
  for (uint64_t first : files.segments) {
    if (first < cut.first_sequence)
      continue;
    const std::string name = SegmentFileName(first);
    CONF_ASSIGN_OR_RETURN(std::string data,
                          file_system->ReadFile(JoinPath(dir, name)));
    size_t from = 0;
    if (first == cut.first_sequence) {
      from = cut.offset;
    } else {
      plan.removed.push_back(name);
    }
    if (from == 0 && DecodeFileHeader(kSegmentMagic, data).has_value()) {
      from = kFileHeaderSize;
      plan.bytes_dropped += kFileHeaderSize;
    }
    if (from <= data.size()) {
      plan.bytes_dropped += data.size() - from;
      plan.records_dropped += CountValidRecordsFrom(data, from);
    }
  }
  return plan;
}

absl::Status ApplyRepair(FileSystem* file_system, const std::string& dir,
                         const RepairReport& plan) {
  if (plan.segment.empty())
    return absl::OkStatus();
  // Newest first, so that a crash part way leaves the segments a prefix of
  // what they were, which a second repair cuts the same way.
  for (auto it = plan.removed.rbegin(); it != plan.removed.rend(); ++it) {
    CONF_RETURN_IF_ERROR(file_system->Unlink(JoinPath(dir, *it)));
    CONF_RETURN_IF_ERROR(file_system->SyncDir(dir));
  }
  const std::string path = JoinPath(dir, plan.segment);
  if (plan.offset == 0) {
    CONF_RETURN_IF_ERROR(file_system->Unlink(path));
  } else {
    CONF_RETURN_IF_ERROR(file_system->Truncate(path, plan.offset));  // synced
  }
  return file_system->SyncDir(dir);
}

}  // namespace internal
}  // namespace journal
}  // namespace conf
