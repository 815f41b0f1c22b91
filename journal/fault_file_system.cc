#include "journal/fault_file_system.h"

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "base/mutex.h"
#include "base/status_macros.h"
#include "journal/file_system.h"

namespace conf {
namespace journal {
namespace {

absl::Status Injected(int error_number, absl::string_view what,
                      const std::string& path) {
  return absl::ErrnoToStatus(error_number,
                             absl::StrCat(what, " ", path, " (injected)"));
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

class FaultFileSystem::File final : public WritableFile {
 public:
  File(FaultFileSystem* file_system, std::string path,
       std::unique_ptr<WritableFile> base)
      : file_system_(file_system),
        path_(std::move(path)),
        base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    return file_system_->AppendTo(path_, base_.get(), data);
  }
  absl::Status Sync() override {
    return file_system_->SyncFile(path_, base_.get());
  }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultFileSystem* const file_system_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
};

FaultFileSystem::FaultFileSystem(FileSystem* base) : base_(base) {}
FaultFileSystem::~FaultFileSystem() = default;

void FaultFileSystem::FailWrite(int n, int error_number) {
  MutexLock lock(&mu_);
  fail_write_at_ = writes_ + n;
  fail_write_errno_ = error_number;
}

void FaultFileSystem::FailSync(int n, int error_number) {
  MutexLock lock(&mu_);
  fail_sync_at_ = syncs_ + n;
  fail_sync_errno_ = error_number;
}

void FaultFileSystem::PowerCutAt(int n, uint64_t torn_bytes) {
  MutexLock lock(&mu_);
  power_cut_at_ = mutations_ + n;
  power_cut_torn_bytes_ = torn_bytes;
}

void FaultFileSystem::SetSyncHook(std::function<void()> hook) {
  MutexLock lock(&mu_);
  sync_hook_ = std::move(hook);
}

void FaultFileSystem::PowerCut(uint64_t torn_bytes) {
  MutexLock lock(&mu_);
  PowerCutLocked(torn_bytes);
}

void FaultFileSystem::Restart() {
  MutexLock lock(&mu_);
  powered_off_ = false;
  for (auto& [path, state] : files_) {
    state.synced = state.size;
    state.created_unsynced = false;
  }
  renames_.clear();
  fail_write_at_ = fail_sync_at_ = power_cut_at_ = 0;
}

int FaultFileSystem::writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

int FaultFileSystem::syncs() const {
  MutexLock lock(&mu_);
  return syncs_;
}

void FaultFileSystem::PowerCutLocked(uint64_t torn_bytes) {
  if (powered_off_)
    return;
  powered_off_ = true;
  // The base file system is healthy, so the undo below cannot fail short of
  // a broken test directory; errors are dropped on purpose.
  for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
    base_->Rename(it->to, it->from).IgnoreError();
    auto node = files_.extract(it->to);
    if (!node.empty()) {
      node.key() = it->from;
      files_.insert(std::move(node));
    }
  }
  renames_.clear();
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& state = it->second;
    if (state.created_unsynced) {
      base_->Unlink(it->first).IgnoreError();
      it = files_.erase(it);
      continue;
    }
    if (state.size > state.synced) {
      uint64_t keep = state.synced + torn_bytes;
      if (keep > state.size)
        keep = state.size;
      base_->Truncate(it->first, keep).IgnoreError();
      state.size = keep;
    }
    state.synced = state.size;
    ++it;
  }
}

absl::Status FaultFileSystem::BeginMutationLocked(absl::string_view what,
                                                  const std::string& path) {
  if (!powered_off_ && ++mutations_ == power_cut_at_) {
    PowerCutLocked(power_cut_torn_bytes_);
  }
  if (powered_off_) {
    return absl::ErrnoToStatus(EIO,
                               absl::StrCat(what, " ", path, " (power off)"));
  }
  return absl::OkStatus();
}

absl::Status FaultFileSystem::AppendTo(const std::string& path,
                                       WritableFile* base,
                                       absl::string_view data) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("write", path));
  FileState& state = files_[path];
  if (++writes_ == fail_write_at_) {
    // A short write, then the error.
    absl::string_view half = data.substr(0, data.size() / 2);
    if (base->Append(half).ok())
      state.size += half.size();
    return Injected(fail_write_errno_, "write", path);
  }
  CONF_RETURN_IF_ERROR(base->Append(data));
  state.size += data.size();
  return absl::OkStatus();
}

absl::Status FaultFileSystem::SyncFile(const std::string& path,
                                       WritableFile* base) {
  std::function<void()> hook;
  {
    MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  if (hook)
    hook();
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("fdatasync", path));
  if (++syncs_ == fail_sync_at_) {
    return Injected(fail_sync_errno_, "fdatasync", path);
  }
  CONF_RETURN_IF_ERROR(base->Sync());
  FileState& state = files_[path];
  state.synced = state.size;
  return absl::OkStatus();
}

absl::Status FaultFileSystem::CreateDir(const std::string& path) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("mkdir", path));
  return base_->CreateDir(path);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultFileSystem::OpenForAppend(
    const std::string& path) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("open", path));
  absl::StatusOr<uint64_t> existing = base_->FileSize(path);
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> base,
                        base_->OpenForAppend(path));
  auto found = files_.find(path);
  if (found == files_.end()) {
    FileState state;
    if (existing.ok()) {
      state.size = state.synced = *existing;  // there before we saw it
    } else {
      state.created_unsynced = true;
    }
    files_.emplace(path, state);
  }
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(base)));
}

absl::StatusOr<std::string> FaultFileSystem::ReadFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (powered_off_)
    return Injected(EIO, "read", path);
  return base_->ReadFile(path);
}

absl::StatusOr<std::string> FaultFileSystem::ReadRange(const std::string& path,
                                                       uint64_t offset,
                                                       uint64_t length) {
  MutexLock lock(&mu_);
  if (powered_off_)
    return Injected(EIO, "read", path);
  return base_->ReadRange(path, offset, length);
}

absl::StatusOr<uint64_t> FaultFileSystem::FileSize(const std::string& path) {
  MutexLock lock(&mu_);
  if (powered_off_)
    return Injected(EIO, "stat", path);
  return base_->FileSize(path);
}

absl::Status FaultFileSystem::Truncate(const std::string& path, uint64_t size) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("ftruncate", path));
  CONF_RETURN_IF_ERROR(base_->Truncate(path, size));
  auto found = files_.find(path);
  if (found != files_.end())
    found->second.size = found->second.synced = size;
  return absl::OkStatus();
}

absl::Status FaultFileSystem::Rename(const std::string& from,
                                     const std::string& to) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("rename", from));
  CONF_RETURN_IF_ERROR(base_->Rename(from, to));
  auto node = files_.extract(from);
  files_.erase(to);
  if (!node.empty()) {
    node.key() = to;
    files_.insert(std::move(node));
  }
  renames_.push_back({from, to});
  return absl::OkStatus();
}

absl::Status FaultFileSystem::Unlink(const std::string& path) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("unlink", path));
  CONF_RETURN_IF_ERROR(base_->Unlink(path));
  files_.erase(path);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultFileSystem::ListDir(
    const std::string& path) {
  MutexLock lock(&mu_);
  if (powered_off_)
    return Injected(EIO, "opendir", path);
  return base_->ListDir(path);
}

absl::Status FaultFileSystem::SyncDir(const std::string& path) {
  MutexLock lock(&mu_);
  CONF_RETURN_IF_ERROR(BeginMutationLocked("fsync", path));
  CONF_RETURN_IF_ERROR(base_->SyncDir(path));
  for (auto& [file, state] : files_) {
    if (ParentOf(file) == path)
      state.created_unsynced = false;
  }
  std::vector<PendingRename> still_pending;
  for (PendingRename& rename : renames_) {
    if (ParentOf(rename.to) != path)
      still_pending.push_back(rename);
  }
  renames_ = std::move(still_pending);
  return absl::OkStatus();
}

}  // namespace journal
}  // namespace conf
