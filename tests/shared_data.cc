#include "tests/shared_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace conf {
namespace testing {

std::string SharedDir(absl::string_view runfile) {
  const std::string file(runfile);
  char* real = realpath(file.c_str(), nullptr);
  if (real == nullptr) {
    return "";
  }
  std::string path(real);
  free(real);
  const std::string suffix = absl::StrCat("/", runfile);
  if (!absl::EndsWith(path, suffix)) {
    return "";
  }
  path.resize(path.size() - suffix.size());
  return absl::StrCat(path, "/../shared");
}

std::string TempPath(absl::string_view name) {
  const char* dir = getenv("TEST_TMPDIR");
  return absl::StrCat(dir == nullptr ? "/tmp" : dir, "/", name);
}

bool WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return out.good();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    result.output.append(buf, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HaveProgram(absl::string_view program) {
  return RunCommand(absl::StrCat("command -v ", program, " >/dev/null"))
             .exit_code == 0;
}

}  // namespace testing
}  // namespace conf
