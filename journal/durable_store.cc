#include "journal/durable_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "base/status_macros.h"

namespace conf {
namespace journal {

namespace {

// Set while an OnDurable callback runs on the journal's completion thread.
thread_local bool t_on_completion_thread = false;

void Log(const DurableStoreOptions& options, absl::string_view message) {
  if (options.log) {
    options.log(message);
  }
}

// The state directory, 0700, before the node key file is made in it.
absl::Status MakeStateDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat(
        "state directory ", dir, ": mkdir: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

// Rebuilds the conferences from the journal's callbacks (the class comment
// of DurableStore gives the rules).
class DurableStore::Recovery {
 public:
  Recovery(const PayloadCodec& codec,
           absl::flat_hash_map<std::string, Recovered>& conferences,
           RecoveryReport& report)
      : codec_(codec), conferences_(conferences), report_(report) {}

  RecoveryCallbacks Callbacks() {
    RecoveryCallbacks callbacks;
    callbacks.on_snapshot_begin = [this](uint64_t covered,
                                         uint64_t captured_through) {
      report_.snapshot_covered = covered;
      captured_through_ = captured_through;
      return absl::OkStatus();
    };
    callbacks.on_snapshot_entry = [this](const SnapshotEntryView& entry) {
      return OnSnapshotEntry(entry);
    };
    callbacks.on_record = [this](const RecordView& record) {
      return OnRecord(record);
    };
    return callbacks;
  }

 private:
  absl::Status OnSnapshotEntry(const SnapshotEntryView& entry) {
    absl::StatusOr<engine::ConferenceSnapshot> snapshot =
        codec_.DecodeSnapshot(entry.payload);
    if (!snapshot.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot entry for conference \"", entry.conference,
                       "\": ", snapshot.status().message()));
    }
    if (snapshot->entity.value() != entry.conference ||
        snapshot->version != entry.version) {
      return absl::DataLossError(absl::StrCat(
          "snapshot entry for conference \"", entry.conference, "\" version ",
          entry.version, " holds conference \"", snapshot->entity.value(),
          "\" version ", snapshot->version));
    }
    auto [it, fresh] = conferences_.try_emplace(
        std::string(entry.conference),
        Recovered{*std::move(snapshot), entry.last_sequence});
    if (!fresh) {
      return absl::DataLossError(absl::StrCat("snapshot holds conference \"",
                                              entry.conference, "\" twice"));
    }
    ++report_.snapshot_conferences;
    return absl::OkStatus();
  }

  absl::Status OnRecord(const RecordView& record) {
    auto it = conferences_.find(record.conference);
    if (it != conferences_.end() &&
        it->second.last_sequence >= record.sequence) {
      ++report_.records_skipped;  // The snapshot reflects it.
      return absl::OkStatus();
    }
    const engine::ConferenceSnapshot* before =
        it == conferences_.end() ? nullptr : &it->second.snapshot;
    if (before == nullptr && record.version != 1 &&
        record.sequence <= captured_through_) {
      // Deleted before the snapshot captured its shard.
      ++report_.records_skipped;
      return absl::OkStatus();
    }
    absl::StatusOr<DecodedChange> change =
        codec_.ApplyChange(before, record.version, record.payload);
    if (!change.ok()) {
      return absl::DataLossError(
          absl::StrCat("journal record ", record.sequence, " (conference \"",
                       record.conference, "\", version ", record.version,
                       "): ", change.status().message()));
    }
    ++report_.records_replayed;
    if (change->deleted) {
      if (it != conferences_.end()) {
        conferences_.erase(it);
      }
      return absl::OkStatus();
    }
    if (it == conferences_.end()) {
      conferences_.try_emplace(
          std::string(record.conference),
          Recovered{std::move(change->after), record.sequence});
    } else {
      it->second = Recovered{std::move(change->after), record.sequence};
    }
    return absl::OkStatus();
  }

  const PayloadCodec& codec_;
  absl::flat_hash_map<std::string, Recovered>& conferences_;
  RecoveryReport& report_;
  uint64_t captured_through_ = 0;
};

DurableStore::DurableStore(DurableStoreOptions options, PayloadCodec codec)
    : options_(std::move(options)), codec_(std::move(codec)) {}

DurableStore::~DurableStore() = default;

absl::StatusOr<std::unique_ptr<DurableStore>> DurableStore::Open(
    DurableStoreOptions options) {
  const absl::Time start = absl::Now();
  if (options.state_dir.empty()) {
    return absl::InvalidArgumentError("state directory: no path given");
  }
  CONF_RETURN_IF_ERROR(MakeStateDirectory(options.state_dir));
  const std::string key_file = options.node_key_file.empty()
                                   ? options.state_dir + "/node.key"
                                   : options.node_key_file;
  absl::StatusOr<NodeKey> key = NodeKey::LoadOrCreate(key_file);
  if (!key.ok()) {
    return absl::Status(
        key.status().code(),
        absl::StrCat("node key ", key_file, ": ", key.status().message()));
  }
  std::unique_ptr<DurableStore> durable(
      new DurableStore(std::move(options), PayloadCodec(*key)));

  JournalOptions journal_options;
  journal_options.dir = durable->options_.state_dir;
  journal_options.file_system = durable->options_.file_system;
  journal_options.segment_bytes = durable->options_.segment_bytes;
  journal_options.log = durable->options_.log;
  Recovery recovery(durable->codec_, durable->recovered_, durable->recovery_);
  CONF_ASSIGN_OR_RETURN(
      durable->journal_,
      Journal::Open(std::move(journal_options), recovery.Callbacks()));

  RecoveryReport& report = durable->recovery_;
  report.conferences = durable->recovered_.size();
  report.last_sequence = durable->journal_->last_appended();
  report.elapsed = absl::Now() - start;
  durable->snapshot_sequence_.store(report.snapshot_covered);
  Log(durable->options_,
      absl::StrCat(
          "recovered ", report.conferences, " conferences from ",
          durable->options_.state_dir, ": snapshot through sequence ",
          report.snapshot_covered, " (", report.snapshot_conferences,
          " conferences), ", report.records_replayed, " records replayed, ",
          report.records_skipped, " already in the snapshot; last sequence ",
          report.last_sequence, "; ", absl::FormatDuration(report.elapsed)));
  return durable;
}

absl::Status DurableStore::RestoreInto(engine::ConferenceStore& store) {
  absl::flat_hash_map<std::string, Recovered> recovered = std::move(recovered_);
  recovered_.clear();
  for (auto& [entity, conference] : recovered) {
    absl::Status restored =
        store.Restore(std::move(conference.snapshot), conference.last_sequence);
    if (!restored.ok()) {
      return absl::Status(
          restored.code(),
          absl::StrCat("restoring conference \"", entity, "\" from ",
                       options_.state_dir, ": ", restored.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status DurableStore::WriteSnapshot(const engine::ConferenceStore& store) {
  conf::MutexLock lock(&snapshot_mu_);
  const uint64_t covered = journal_->last_appended();
  if (capture_hook_for_test_) {
    capture_hook_for_test_();
  }
  std::vector<engine::CapturedConference> captured = store.Capture();
  const uint64_t captured_through = journal_->last_appended();
  // The snapshot holds nothing that is not durable in the journal already.
  if (captured_through > 0) {
    CONF_RETURN_IF_ERROR(journal_->WaitDurable(captured_through));
  }
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<Journal::SnapshotWriter> writer,
                        journal_->BeginSnapshot(covered, captured_through));
  for (const engine::CapturedConference& conference : captured) {
    const std::string payload = codec_.EncodeSnapshot(*conference.snapshot);
    SnapshotEntryView entry;
    entry.last_sequence = conference.last_commit;
    entry.version = conference.snapshot->version;
    entry.conference = conference.snapshot->entity.value();
    entry.payload = payload;
    CONF_RETURN_IF_ERROR(writer->Add(entry));
  }
  CONF_RETURN_IF_ERROR(writer->Finish());
  snapshot_sequence_.store(covered);
  Log(options_, absl::StrCat("snapshot of ", captured.size(),
                             " conferences through sequence ", covered));
  return absl::OkStatus();
}

bool DurableStore::SnapshotDue() const {
  return journal_->last_appended() - snapshot_sequence_.load() >=
         options_.snapshot_every_changes;
}

std::string DurableStore::Prepare(const engine::ConferenceDelta& delta,
                                  const engine::ConferenceSnapshot& after) {
  return codec_.EncodeChange(delta, after);
}

absl::StatusOr<uint64_t> DurableStore::Append(
    const engine::ConferenceDelta& delta, std::string record) {
  return journal_->Append(delta.conference.value(), delta.version, record);
}

void DurableStore::OnDurable(uint64_t ticket,
                             std::function<void(absl::Status)> done) {
  pending_callbacks_.fetch_add(1);
  journal_->OnDurable(
      ticket, [this, done = std::move(done)](const absl::Status& status) {
        t_on_completion_thread = true;
        done(status);
        t_on_completion_thread = false;
        pending_callbacks_.fetch_sub(1);
      });
}

absl::Status DurableStore::WaitDurable(uint64_t ticket) {
  // Nothing queued and the ticket durable: every delivery of this thread's
  // changes has run (each was queued before its change's call returned).
  if (pending_callbacks_.load() == 0 && journal_->durable() >= ticket) {
    return absl::OkStatus();
  }
  // The completion thread cannot wait for itself (a subscriber calling
  // back synchronously): the journal's own wait, without the deliveries.
  if (t_on_completion_thread) {
    return journal_->WaitDurable(ticket);
  }
  // Behind every callback queued so far for tickets up to `ticket` (they
  // run in order), so the deliveries of this thread's changes have run when
  // it returns: a subscriber has its notification before the response.
  struct Waiter {
    conf::Mutex mu;
    conf::CondVar cv;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);
  } waiter;
  OnDurable(ticket, [&waiter](const absl::Status& status) {
    conf::MutexLock lock(&waiter.mu);
    waiter.status = status;
    waiter.done = true;
    waiter.cv.SignalAll();
  });
  conf::MutexLock lock(&waiter.mu);
  while (!waiter.done) {
    waiter.cv.Wait(&waiter.mu);
  }
  return waiter.status;
}

uint64_t DurableStore::last_ticket() const { return journal_->last_appended(); }

}  // namespace journal
}  // namespace conf
