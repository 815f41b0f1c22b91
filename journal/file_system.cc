#include "journal/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace journal {
namespace {

absl::Status PosixError(absl::string_view operation, const std::string& path,
                        int error_number) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(operation, " ", path));
}

// open(2), retried on EINTR.
int OpenRetrying(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Reads up to `length` bytes at `offset` of `fd` into a string.
absl::StatusOr<std::string> PreadAll(int fd, const std::string& path,
                                     uint64_t offset, uint64_t length) {
  std::string data(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, &data[done], length - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return PosixError("read", path, errno);
    }
    if (n == 0)
      break;  // end of file
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

// Closes `fd` without retrying: after EINTR the descriptor is already gone
// on Linux, and a retry could close another thread's file.
absl::Status CloseFd(int fd, const std::string& path) {
  if (::close(fd) != 0)
    return PosixError("close", path, errno);
  return absl::OkStatus();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) {
      // Nothing to report to; the owner calls Close() to see errors.
      CloseFd(fd_, path_).IgnoreError();
    }
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0)
      return absl::FailedPreconditionError("write to closed file");
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0)
      return absl::FailedPreconditionError("sync of closed file");
    int rc;
    do {
      rc = ::fdatasync(fd_);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
      return PosixError("fdatasync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0)
      return absl::OkStatus();
    int fd = fd_;
    fd_ = -1;
    return CloseFd(fd, path_);
  }

 private:
  const std::string path_;
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0700) == 0)
      return absl::OkStatus();
    int error_number = errno;
    struct stat st;
    if (error_number == EEXIST && ::stat(path.c_str(), &st) == 0 &&
        S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    return PosixError("mkdir", path, error_number);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path) override {
    int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
      return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    int fd = OpenRetrying(path, O_RDONLY, 0);
    if (fd < 0)
      return PosixError("open", path, errno);
    struct stat st;
    absl::StatusOr<std::string> data;
    if (::fstat(fd, &st) != 0) {
      data = PosixError("stat", path, errno);
    } else {
      data = PreadAll(fd, path, 0, static_cast<uint64_t>(st.st_size));
    }
    absl::Status closed = CloseFd(fd, path);
    if (data.ok() && !closed.ok())
      return closed;
    return data;
  }

  absl::StatusOr<std::string> ReadRange(const std::string& path,
                                        uint64_t offset,
                                        uint64_t length) override {
    int fd = OpenRetrying(path, O_RDONLY, 0);
    if (fd < 0)
      return PosixError("open", path, errno);
    absl::StatusOr<std::string> data = PreadAll(fd, path, offset, length);
    absl::Status closed = CloseFd(fd, path);
    if (data.ok() && !closed.ok())
      return closed;
    return data;
  }

  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Truncate(const std::string& path, uint64_t size) override {
    int fd = OpenRetrying(path, O_WRONLY, 0);
    if (fd < 0)
      return PosixError("open", path, errno);
    absl::Status status;
    int rc;
    do {
      rc = ::ftruncate(fd, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      status = PosixError("ftruncate", path, errno);
    } else {
      do {
        rc = ::fsync(fd);
      } while (rc != 0 && errno == EINTR);
      if (rc != 0)
        status = PosixError("fsync", path, errno);
    }
    absl::Status closed = CloseFd(fd, path);
    return status.ok() ? closed : status;
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", absl::StrCat(from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0)
      return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr)
      return PosixError("opendir", path, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);  // NOLINT(concurrency-mt-unsafe)
      if (entry == nullptr)
        break;
      absl::string_view name = entry->d_name;
      if (name == "." || name == "..")
        continue;
      names.emplace_back(name);
    }
    int error_number = errno;
    ::closedir(dir);
    if (error_number != 0)
      return PosixError("readdir", path, error_number);
    return names;
  }

  absl::Status SyncDir(const std::string& path) override {
    int fd = OpenRetrying(path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
      return PosixError("open", path, errno);
    absl::Status status;
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
      status = PosixError("fsync", path, errno);
    absl::Status closed = CloseFd(fd, path);
    return status.ok() ? closed : status;
  }
};

}  // namespace

FileSystem* DefaultFileSystem() {
  // Leaked on purpose: no destructor runs at exit (no non-trivial statics).
  static FileSystem* const kFileSystem = new PosixFileSystem();
  return kFileSystem;
}

}  // namespace journal
}  // namespace conf
