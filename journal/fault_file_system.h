// FaultFileSystem: a FileSystem for tests that wraps another one (normally
// the POSIX one over a test directory) and injects the failures the journal
// must survive.
//
// What it models:
//  - Failed writes and syncs: the Nth Append (or Sync) from now fails with
//    a chosen errno (EIO, ENOSPC, ...). A failed Append first writes half of
//    its data, as a short write followed by an error would.
//  - A power cut: the file system remembers, per file, how many bytes were
//    made durable by Sync (or by Truncate, which syncs). PowerCut() cuts
//    every file back to that length, optionally keeping `torn_bytes` more
//    bytes of what was written after it (a torn partial write). Files
//    created, and renames done, since the last SyncDir of their directory
//    are undone. After the cut, every operation fails with EIO until
//    Restart(), like a machine that has lost power; reopen the journal on
//    the same directory to see what a reboot would find.
//
// What it does not model: unlinks are durable at once (a crash that
// resurrects a deleted file is not simulated); the contents of a file that
// a rename replaced are not restored; unsynced bytes reach the disk in
// order (no page-sized holes inside a torn tail); files that existed before
// the FaultFileSystem saw them are treated as durable.
//
// Thread safety: thread-safe. Each operation holds one lock while it runs,
// so a power cut never lands inside a write.

#ifndef CONF_JOURNAL_FAULT_FILE_SYSTEM_H_
#define CONF_JOURNAL_FAULT_FILE_SYSTEM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "journal/file_system.h"

namespace conf {
namespace journal {

class FaultFileSystem final : public FileSystem {
 public:
  // `base` is not owned and must outlive this.
  explicit FaultFileSystem(FileSystem* base);
  ~FaultFileSystem() override;

  // The `n`th Append (1: the next one) from now fails with `error_number`.
  void FailWrite(int n, int error_number);
  // The `n`th WritableFile::Sync from now fails with `error_number`.
  void FailSync(int n, int error_number);
  // PowerCut() runs by itself just before the `n`th mutating operation
  // (Append, Sync, SyncDir, OpenForAppend, Rename, Unlink, Truncate,
  // CreateDir) from
  // now, which then fails.
  void PowerCutAt(int n, uint64_t torn_bytes);
  // Called before each WritableFile::Sync, without the lock held (tests use
  // it to hold the writer inside a sync).
  void SetSyncHook(std::function<void()> hook);

  // Cuts the power now (see above). Idempotent.
  void PowerCut(uint64_t torn_bytes = 0);
  // Powers back on: operations work again, and every file is durable as it
  // now stands.
  void Restart();

  // Operations counted so far.
  int writes() const;
  int syncs() const;

  // FileSystem.
  absl::Status CreateDir(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::StatusOr<std::string> ReadRange(const std::string& path,
                                        uint64_t offset,
                                        uint64_t length) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Unlink(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;

 private:
  class File;

  // What the file system knows of one file it has seen written.
  struct FileState {
    uint64_t size = 0;    // bytes written
    uint64_t synced = 0;  // bytes that survive a power cut
    // Its name is not durable yet: created since the last SyncDir.
    bool created_unsynced = false;
  };
  // A rename not yet made durable by SyncDir.
  struct PendingRename {
    std::string from;
    std::string to;
  };

  absl::Status AppendTo(const std::string& path, WritableFile* base,
                        absl::string_view data);
  absl::Status SyncFile(const std::string& path, WritableFile* base);
  // Counts a mutating operation; fails it when the power is (or goes) off.
  absl::Status BeginMutationLocked(absl::string_view what,
                                   const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PowerCutLocked(uint64_t torn_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FileSystem* const base_;
  mutable Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  std::vector<PendingRename> renames_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int mutations_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_write_at_ ABSL_GUARDED_BY(mu_) = 0;  // 0: none
  int fail_write_errno_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_sync_at_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_sync_errno_ ABSL_GUARDED_BY(mu_) = 0;
  int power_cut_at_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t power_cut_torn_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool powered_off_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> sync_hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_FAULT_FILE_SYSTEM_H_
