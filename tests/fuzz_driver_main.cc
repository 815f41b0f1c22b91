// main() for fuzz targets outside --config=fuzz: runs LLVMFuzzerTestOneInput
// once on each file named on the command line (libFuzzer's own convention), so
// that a crash input can be replayed with any build.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "fuzz driver: cannot read %s\n", argv[i]);
      return 1;
    }
    const std::string data((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
    std::fprintf(stderr, "fuzz driver: ran %s (%zu bytes)\n", argv[i],
                 data.size());
  }
  return 0;
}
