#include "testing/seeded_random.h"

#include <memory>
#include <random>

#include "base/mutex.h"

namespace conf {
namespace testing {
namespace {

struct SeededSource {
  explicit SeededSource(uint64_t seed) : rng(seed) {}
  Mutex mu;
  std::mt19937_64 rng ABSL_GUARDED_BY(mu);
};

}  // namespace

engine::RandomBytesFunction SeededRandomBytes(uint64_t seed) {
  auto source = std::make_shared<SeededSource>(seed);
  return [source](uint8_t* out, size_t size) {
    MutexLock lock(&source->mu);
    for (size_t i = 0; i < size; ++i)
      out[i] = static_cast<uint8_t>(source->rng());
  };
}

}  // namespace testing
}  // namespace conf
