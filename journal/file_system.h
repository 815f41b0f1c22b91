// FileSystem: the few file operations the journal performs, behind an
// interface so that tests can inject failures and power cuts
// (journal/fault_file_system.h), like leveldb's Env.
//
// Every path is a full path. Every error is an absl::Status that names the
// operation and the path, followed by strerror (absl::ErrnoToStatus), e.g.
// "fdatasync /var/lib/confstate/segment-...log: Input/output error"; its code
// follows errno (ENOSPC is kResourceExhausted, EIO kInternal, ENOENT
// kNotFound, ...).
//
// Thread safety: a FileSystem may be used from any thread. A WritableFile is
// used by one thread at a time.

#ifndef CONF_JOURNAL_FILE_SYSTEM_H_
#define CONF_JOURNAL_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace journal {

// A file open for appending. Closing is explicit so that its error is seen;
// the destructor closes a file that is still open and drops the error.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Appends all of `data` (retrying short writes and EINTR). On error a
  // prefix of `data` may have reached the file.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Makes everything appended so far durable: fdatasync(2), which also
  // flushes the file size it needs to read the data back.
  virtual absl::Status Sync() = 0;
  // Closes the file; later calls fail.
  virtual absl::Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates directory `path` with mode 0700; OK when it already exists as a
  // directory (its mode is left alone).
  virtual absl::Status CreateDir(const std::string& path) = 0;

  // Opens `path` for appending, creating it with mode 0600 when missing. A
  // created file's name is durable only after SyncDir() of its directory.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path) = 0;

  // Reads the whole file.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Reads up to `length` bytes at `offset`; fewer only at the end of file.
  virtual absl::StatusOr<std::string> ReadRange(const std::string& path,
                                                uint64_t offset,
                                                uint64_t length) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;

  // Cuts `path` to `size` bytes and fsyncs it.
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  // rename(2): atomic, replacing `to`; durable after SyncDir().
  virtual absl::Status Rename(const std::string& from,
                              const std::string& to) = 0;
  // unlink(2); durable after SyncDir().
  virtual absl::Status Unlink(const std::string& path) = 0;
  // The names (not paths) in directory `path`, without "." and "..", in no
  // particular order.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;
  // fsync(2) of directory `path`: makes creations, renames and unlinks in it
  // durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
};

// The POSIX file system. Never null; lives for the whole process.
FileSystem* DefaultFileSystem();

}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_FILE_SYSTEM_H_
