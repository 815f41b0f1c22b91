// Helpers for end-to-end tests that look outside the process: the reference
// folder next to the workspace (../shared), temporary files, and external
// commands (xmllint, openssl) run as subprocesses. Test-only.

#ifndef CONF_TESTS_SHARED_DATA_H_
#define CONF_TESTS_SHARED_DATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace conf {
namespace testing {

// The ../shared folder next to the workspace, found by resolving the runfile
// symlink of `runfile` (a path relative to the workspace root that the test
// has as a data dependency) to the real workspace. "" when it cannot be.
std::string SharedDir(absl::string_view runfile);

// A path named `name` in the test's temporary directory.
std::string TempPath(absl::string_view name);

// Writes `data` to `path`; false on failure.
bool WriteFile(const std::string& path, absl::string_view data);

// The contents of `path` ("" when unreadable).
std::string ReadFile(const std::string& path);

// The result of one shell command.
struct CommandResult {
  int exit_code = -1;  // -1: could not run or killed by a signal
  std::string output;  // stdout and stderr
};

// Runs `command` through /bin/sh.
CommandResult RunCommand(const std::string& command);

// True when `program` (e.g. "xmllint") can be run from PATH.
bool HaveProgram(absl::string_view program);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTS_SHARED_DATA_H_
