// Fresh directories for tests that write files (state directories).

#ifndef CONF_TESTING_TEMP_DIR_H_
#define CONF_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace conf {
namespace testing {

// A new, empty directory under $TEST_TMPDIR (or /tmp) whose name starts with
// `prefix`; aborts the test binary if none can be made.
std::string NewTempDir(absl::string_view prefix);

// Every regular file under `dir`, concatenated (for "is this secret
// anywhere on disk" checks).
std::string ReadAllFiles(const std::string& dir);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_TEMP_DIR_H_
