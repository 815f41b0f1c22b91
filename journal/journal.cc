#include "journal/journal.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "base/status_macros.h"
#include "journal/file_system.h"
#include "journal/internal/format.h"
#include "journal/internal/recovery.h"

namespace conf {
namespace journal {
namespace {

using internal::JoinPath;

// The snapshot writer hands the file system this much at a time.
constexpr size_t kSnapshotFlushBytes = size_t{1} << 20;

absl::Status CheckSizes(absl::string_view conference,
                        absl::string_view payload) {
  if (conference.size() > internal::kMaxConferenceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal: conference id of ", conference.size(),
                     " bytes exceeds ", internal::kMaxConferenceSize));
  }
  if (payload.size() > internal::kMaxPayloadSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal: payload of ", payload.size(), " bytes exceeds ",
                     internal::kMaxPayloadSize));
  }
  return absl::OkStatus();
}

std::string ParentDir(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return dir.substr(0, slash);
}

}  // namespace

// Threads: callers append into `buffer_` under `mu_`; the writer thread
// swaps it out, writes and syncs it, and publishes `durable_`; the
// completion thread runs OnDurable callbacks. Neither background thread
// holds `mu_` across I/O or a callback.
class Journal::Impl {
 public:
  Impl(JournalOptions options, FileSystem* file_system, uint64_t last)
      : options_(std::move(options)),
        file_system_(file_system),
        last_appended_(last),
        durable_(last) {}

  ~Impl() {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    writer_cv_.SignalAll();
    if (writer_.joinable())
      writer_.join();
    if (segment_ != nullptr) {
      // Everything in it was synced (or the journal failed); a close error
      // loses nothing.
      segment_->Close().IgnoreError();
    }
    {
      MutexLock lock(&mu_);
      completion_stopping_ = true;
    }
    completion_cv_.SignalAll();
    if (completion_.joinable())
      completion_.join();
  }

  // Opens the segment records go to and starts the threads.
  absl::Status Start(bool reuse_last_segment) {
    uint64_t first;
    {
      MutexLock lock(&mu_);
      first = last_appended_ + 1;
    }
    if (reuse_last_segment) {
      const std::string path = SegmentPath(first);
      CONF_ASSIGN_OR_RETURN(segment_size_, file_system_->FileSize(path));
      CONF_ASSIGN_OR_RETURN(segment_, file_system_->OpenForAppend(path));
    } else {
      CONF_RETURN_IF_ERROR(CreateSegment(first));
    }
    writer_ = std::thread([this] { WriterLoop(); });
    completion_ = std::thread([this] { CompletionLoop(); });
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Append(absl::string_view conference,
                                  uint64_t version, absl::string_view payload) {
    CONF_RETURN_IF_ERROR(CheckSizes(conference, payload));
    // Encoded and checksummed before the lock; only the sequence is added
    // under it.
    internal::PendingRecord record(version, conference, payload);
    MutexLock lock(&mu_);
    if (!status_.ok())
      return status_;
    const uint64_t sequence = ++last_appended_;
    const bool was_empty = buffer_.empty();
    record.AppendTo(sequence, &buffer_);
    ++stats_.records;
    if (was_empty)
      writer_cv_.Signal();
    return sequence;
  }

  absl::Status WaitDurable(uint64_t sequence) {
    MutexLock lock(&mu_);
    if (sequence <= durable_)
      return absl::OkStatus();
    if (sequence > last_appended_)
      return NotAppendedLocked(sequence);
    while (durable_ < sequence && status_.ok())
      durable_cv_.Wait(&mu_);
    if (durable_ >= sequence)
      return absl::OkStatus();
    return status_;
  }

  void OnDurable(uint64_t sequence, std::function<void(absl::Status)> done) {
    MutexLock lock(&mu_);
    if (sequence > last_appended_) {
      rejected_.emplace_back(std::move(done), NotAppendedLocked(sequence));
    } else {
      callbacks_.emplace(sequence, std::move(done));
    }
    completion_cv_.Signal();
  }

  uint64_t last_appended() const {
    MutexLock lock(&mu_);
    return last_appended_;
  }
  uint64_t durable() const {
    MutexLock lock(&mu_);
    return durable_;
  }
  absl::Status status() const {
    MutexLock lock(&mu_);
    return status_;
  }
  JournalStats stats() const {
    MutexLock lock(&mu_);
    return stats_;
  }

  absl::StatusOr<std::unique_ptr<SnapshotWriter>> BeginSnapshot(
      uint64_t covered, uint64_t captured_through);

 private:
  class SnapshotWriterImpl;

  std::string SegmentPath(uint64_t first) const {
    return JoinPath(options_.dir, internal::SegmentFileName(first));
  }

  absl::Status NotAppendedLocked(uint64_t sequence) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal: sequence ", sequence,
                     " was not appended (the last is ", last_appended_, ")"));
  }

  // Creates segment `first`: header written and synced, then the directory
  // synced, so that the file outlives a power cut before any record goes in.
  absl::Status CreateSegment(uint64_t first) {
    const std::string path = SegmentPath(first);
    CONF_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                          file_system_->OpenForAppend(path));
    const std::string header =
        internal::EncodeFileHeader(internal::kSegmentMagic, first);
    CONF_RETURN_IF_ERROR(file->Append(header));
    CONF_RETURN_IF_ERROR(file->Sync());
    CONF_RETURN_IF_ERROR(file_system_->SyncDir(options_.dir));
    segment_ = std::move(file);
    segment_size_ = header.size();
    return absl::OkStatus();
  }

  // Seals the current segment (already synced by the last batch) and
  // starts segment `next_first`.
  absl::Status RollSegment(uint64_t next_first) {
    absl::Status closed = segment_->Close();
    segment_.reset();
    CONF_RETURN_IF_ERROR(closed);
    return CreateSegment(next_first);
  }

  void FailLocked(const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    status_ = absl::UnavailableError(
        absl::StrCat("journal: cannot store changes: ", cause.message()));
    buffer_.clear();
    durable_cv_.SignalAll();
    completion_cv_.SignalAll();
  }

  void WriterLoop() {
    std::string batch;
    for (;;) {
      uint64_t batch_last;
      {
        MutexLock lock(&mu_);
        while (buffer_.empty() && !stopping_)
          writer_cv_.Wait(&mu_);
        if (buffer_.empty())
          return;  // stopping, and all is written
        batch.clear();
        batch.swap(buffer_);  // buffer_ keeps the old batch's capacity
        batch_last = last_appended_;
      }
      // Group commit: one write and one fdatasync for the whole batch.
      absl::Status status = segment_->Append(batch);
      if (status.ok())
        status = segment_->Sync();
      {
        MutexLock lock(&mu_);
        if (!status.ok()) {
          FailLocked(status);
          return;
        }
        ++stats_.syncs;
        stats_.bytes += batch.size();
        durable_ = batch_last;
        durable_cv_.SignalAll();
        completion_cv_.Signal();
      }
      segment_size_ += batch.size();
      if (segment_size_ >= options_.segment_bytes) {
        status = RollSegment(batch_last + 1);
        if (!status.ok()) {
          MutexLock lock(&mu_);
          FailLocked(status);
          return;
        }
      }
    }
  }

  bool CompletionReadyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (completion_stopping_ || !rejected_.empty())
      return true;
    return !callbacks_.empty() &&
           (callbacks_.begin()->first <= durable_ || !status_.ok());
  }

  void CompletionLoop() {
    using Ready =
        std::vector<std::pair<std::function<void(absl::Status)>, absl::Status>>;
    for (;;) {
      Ready ready;
      bool stop;
      {
        MutexLock lock(&mu_);
        while (!CompletionReadyLocked())
          completion_cv_.Wait(&mu_);
        ready.swap(rejected_);
        while (!callbacks_.empty() && callbacks_.begin()->first <= durable_) {
          ready.emplace_back(std::move(callbacks_.begin()->second),
                             absl::OkStatus());
          callbacks_.erase(callbacks_.begin());
        }
        stop = completion_stopping_;
        if (!status_.ok() || stop) {
          // Never durable: the journal failed, or closed before these
          // sequences were appended.
          for (auto& [sequence, done] : callbacks_) {
            ready.emplace_back(std::move(done),
                               status_.ok()
                                   ? absl::UnavailableError(absl::StrCat(
                                         "journal: closed before sequence ",
                                         sequence, " was stored"))
                                   : status_);
          }
          callbacks_.clear();
        }
      }
      for (auto& [done, status] : ready)
        done(status);
      if (stop)
        return;
    }
  }

  const JournalOptions options_;
  FileSystem* const file_system_;

  // The writer thread's (Start and the destructor use them while it does
  // not run).
  std::unique_ptr<WritableFile> segment_;
  uint64_t segment_size_ = 0;

  mutable Mutex mu_;
  CondVar writer_cv_;      // buffer_ became non-empty, or stopping_
  CondVar durable_cv_;     // durable_ advanced, or status_ failed
  CondVar completion_cv_;  // CompletionReadyLocked() may hold
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  uint64_t last_appended_ ABSL_GUARDED_BY(mu_);
  uint64_t durable_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  JournalStats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool completion_stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool snapshot_open_ ABSL_GUARDED_BY(mu_) = false;
  // OnDurable callbacks by sequence; equal keys keep their call order.
  std::multimap<uint64_t, std::function<void(absl::Status)>> callbacks_
      ABSL_GUARDED_BY(mu_);
  // OnDurable calls for sequences never appended, with their error.
  std::vector<std::pair<std::function<void(absl::Status)>, absl::Status>>
      rejected_ ABSL_GUARDED_BY(mu_);

  std::thread writer_;
  std::thread completion_;
};

// Writes snapshot-<covered>.snap.tmp; Finish() syncs it, waits until every
// record it may reflect is durable, renames it into place and syncs the
// directory. The first error sticks.
class Journal::Impl::SnapshotWriterImpl final : public SnapshotWriter {
 public:
  SnapshotWriterImpl(Impl* journal, uint64_t covered, uint64_t captured_through)
      : journal_(journal),
        covered_(covered),
        captured_through_(captured_through),
        temp_path_(JoinPath(journal->options_.dir,
                            internal::SnapshotTempFileName(covered))) {}

  ~SnapshotWriterImpl() override {
    if (!finished_) {
      // An abandoned snapshot: its file goes (Open would remove it too).
      if (file_ != nullptr)
        file_->Close().IgnoreError();
      journal_->file_system_->Unlink(temp_path_).IgnoreError();
    }
    MutexLock lock(&journal_->mu_);
    journal_->snapshot_open_ = false;
  }

  absl::Status Start() {
    // A leftover of an earlier attempt would be appended to.
    absl::Status removed = journal_->file_system_->Unlink(temp_path_);
    if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) {
      return removed;
    }
    CONF_ASSIGN_OR_RETURN(file_,
                          journal_->file_system_->OpenForAppend(temp_path_));
    buffer_ = internal::EncodeFileHeader(internal::kSnapshotMagic, covered_);
    std::string header;
    internal::PutFixed64(&header, covered_);
    internal::PutFixed64(&header, captured_through_);
    internal::AppendRecord(&buffer_, 0, 0, "", header);
    return absl::OkStatus();
  }

  absl::Status Add(const SnapshotEntryView& entry) override {
    CONF_RETURN_IF_ERROR(status_);
    if (finished_) {
      return absl::FailedPreconditionError("journal: snapshot finished");
    }
    CONF_RETURN_IF_ERROR(CheckSizes(entry.conference, entry.payload));
    if (entry.last_sequence == 0 || entry.last_sequence > captured_through_) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal: snapshot entry with last sequence ",
                       entry.last_sequence, " outside 1..", captured_through_));
    }
    internal::AppendRecord(&buffer_, entry.last_sequence, entry.version,
                           entry.conference, entry.payload);
    ++entries_;
    if (buffer_.size() >= kSnapshotFlushBytes)
      status_ = Flush();
    return status_;
  }

  absl::Status Finish() override {
    CONF_RETURN_IF_ERROR(status_);
    if (finished_) {
      return absl::FailedPreconditionError("journal: snapshot finished");
    }
    status_ = FinishFile();
    if (status_.ok())
      finished_ = true;
    if (!status_.ok())
      return status_;
    // The snapshot is in place; what follows only frees space, and Open
    // repeats it after a crash.
    return internal::DeleteCoveredFiles(journal_->file_system_,
                                        journal_->options_.dir, covered_,
                                        journal_->options_.log);
  }

 private:
  absl::Status Flush() {
    absl::Status status = file_->Append(buffer_);
    buffer_.clear();
    return status;
  }

  absl::Status FinishFile() {
    std::string count;
    internal::PutFixed64(&count, entries_);
    internal::AppendRecord(&buffer_, 0, 0, "", count);  // the trailer
    CONF_RETURN_IF_ERROR(Flush());
    CONF_RETURN_IF_ERROR(file_->Sync());
    CONF_RETURN_IF_ERROR(file_->Close());
    file_.reset();
    // Entries may reflect records up to captured_through; they must not
    // outlive those records in a crash, or a sequence could be reused.
    CONF_RETURN_IF_ERROR(journal_->WaitDurable(captured_through_));
    const std::string& dir = journal_->options_.dir;
    CONF_RETURN_IF_ERROR(journal_->file_system_->Rename(
        temp_path_, JoinPath(dir, internal::SnapshotFileName(covered_))));
    return journal_->file_system_->SyncDir(dir);
  }

  Impl* const journal_;
  const uint64_t covered_;
  const uint64_t captured_through_;
  const std::string temp_path_;
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  uint64_t entries_ = 0;
  bool finished_ = false;
  absl::Status status_;
};

absl::StatusOr<std::unique_ptr<Journal::SnapshotWriter>>
Journal::Impl::BeginSnapshot(uint64_t covered, uint64_t captured_through) {
  {
    MutexLock lock(&mu_);
    if (!status_.ok())
      return status_;
    if (covered > captured_through || captured_through > last_appended_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "journal: snapshot covering ", covered, " captured through ",
          captured_through, " (last appended ", last_appended_, ")"));
    }
    if (snapshot_open_) {
      return absl::FailedPreconditionError(
          "journal: another snapshot is being written");
    }
    snapshot_open_ = true;
  }
  auto writer =
      std::make_unique<SnapshotWriterImpl>(this, covered, captured_through);
  CONF_RETURN_IF_ERROR(writer->Start());
  return std::unique_ptr<SnapshotWriter>(std::move(writer));
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(
    JournalOptions options, const RecoveryCallbacks& callbacks) {
  FileSystem* file_system = options.file_system != nullptr
                                ? options.file_system
                                : DefaultFileSystem();
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("journal: no state directory");
  }
  CONF_RETURN_IF_ERROR(file_system->CreateDir(options.dir));
  // The directory's own entry must outlive a power cut as well.
  CONF_RETURN_IF_ERROR(file_system->SyncDir(ParentDir(options.dir)));
  CONF_ASSIGN_OR_RETURN(
      internal::RecoveryResult recovered,
      internal::RecoverDirectory(file_system, options.dir,
                                 internal::RecoveryMode::kRecover, options.log,
                                 callbacks));
  auto impl = std::make_unique<Impl>(std::move(options), file_system,
                                     recovered.last_sequence);
  CONF_RETURN_IF_ERROR(impl->Start(recovered.reuse_last_segment));
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;

absl::StatusOr<uint64_t> Journal::Append(absl::string_view conference,
                                         uint64_t version,
                                         absl::string_view payload) {
  return impl_->Append(conference, version, payload);
}

absl::Status Journal::WaitDurable(uint64_t sequence) {
  return impl_->WaitDurable(sequence);
}

void Journal::OnDurable(uint64_t sequence,
                        std::function<void(absl::Status)> done) {
  impl_->OnDurable(sequence, std::move(done));
}

uint64_t Journal::last_appended() const { return impl_->last_appended(); }
uint64_t Journal::durable() const { return impl_->durable(); }
absl::Status Journal::status() const { return impl_->status(); }
JournalStats Journal::stats() const { return impl_->stats(); }

absl::StatusOr<std::unique_ptr<Journal::SnapshotWriter>> Journal::BeginSnapshot(
    uint64_t covered, uint64_t captured_through) {
  return impl_->BeginSnapshot(covered, captured_through);
}

absl::Status VerifyDirectory(absl::string_view dir, FileSystem* file_system) {
  if (file_system == nullptr)
    file_system = DefaultFileSystem();
  return internal::RecoverDirectory(file_system, std::string(dir),
                                    internal::RecoveryMode::kVerify, nullptr,
                                    RecoveryCallbacks())
      .status();
}

absl::Status ScanDirectory(absl::string_view dir, FileSystem* file_system,
                           const RecoveryCallbacks& callbacks) {
  if (file_system == nullptr)
    file_system = DefaultFileSystem();
  return internal::RecoverDirectory(file_system, std::string(dir),
                                    internal::RecoveryMode::kScan, nullptr,
                                    callbacks)
      .status();
}

absl::StatusOr<RepairReport> PlanRepair(absl::string_view dir,
                                        FileSystem* file_system) {
  if (file_system == nullptr)
    file_system = DefaultFileSystem();
  return internal::PlanRepair(file_system, std::string(dir));
}

absl::StatusOr<RepairReport> RepairDirectory(absl::string_view dir,
                                             FileSystem* file_system) {
  if (file_system == nullptr)
    file_system = DefaultFileSystem();
  const std::string path(dir);
  CONF_ASSIGN_OR_RETURN(RepairReport report,
                        internal::PlanRepair(file_system, path));
  if (report.segment.empty())
    return report;
  absl::Status applied = internal::ApplyRepair(file_system, path, report);
  if (!applied.ok()) {
    return absl::Status(
        applied.code(),
        absl::StrCat("journal: repair: cutting ", report.segment, " at offset ",
                     report.offset, ": ", applied.message()));
  }
  // The cut removed the first problem and everything after it; what is left
  // was checked before it, so a failure here is a bug or a concurrent
  // writer.
  absl::Status after = VerifyDirectory(path, file_system);
  if (!after.ok()) {
    return absl::InternalError(absl::StrCat(
        "journal: repair: ", path, " still does not verify after cutting ",
        report.segment, " at offset ", report.offset, ": ", after.message()));
  }
  return report;
}

}  // namespace journal
}  // namespace conf
