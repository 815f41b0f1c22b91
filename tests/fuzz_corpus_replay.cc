// A GoogleTest main body for `<fuzzer>_corpus_test` (bazel/defs.bzl): feeds
// every file of the corpus folder given as the first argument (relative to the
// runfiles root) to LLVMFuzzerTestOneInput. A crash, sanitizer report or abort
// fails the test; so does an empty corpus.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string& CorpusDir() {
  static std::string* dir = new std::string();
  return *dir;
}

TEST(FuzzCorpusReplayTest, EveryInputRunsCleanly) {
  namespace fs = std::filesystem;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  ASSERT_NE(workspace, nullptr);
  const fs::path root = fs::path(srcdir) / workspace / CorpusDir();
  ASSERT_TRUE(fs::is_directory(root)) << root;

  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file())
      files.push_back(entry.path());
  }
  ASSERT_FALSE(files.empty()) << "empty corpus: " << root;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in);
    const std::string data((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
  }
  RecordProperty("inputs", static_cast<int>(files.size()));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  CorpusDir() = argv[1];
  return RUN_ALL_TESTS();
}
