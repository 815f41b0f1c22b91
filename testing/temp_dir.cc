#include "testing/temp_dir.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace conf {
namespace testing {

std::string NewTempDir(absl::string_view prefix) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(root != nullptr ? root : "/tmp", "/", prefix, "XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return std::string(buffer.data());
}

std::string ReadAllFiles(const std::string& dir) {
  std::string all;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return all;
  }
  while (const dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    const std::string path = dir + "/" + name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      all += ReadAllFiles(path);
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      all += bytes.str();
    }
  }
  closedir(d);
  return all;
}

}  // namespace testing
}  // namespace conf
