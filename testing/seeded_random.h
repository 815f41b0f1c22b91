// A repeatable source of "random" bytes for the store's new-conference
// policy (conference ids, keys, web-join URIs), so that tests and benchmarks
// see the same conferences in every run.
//
// Thread-safe: the returned function may be called from any thread.

#ifndef CONF_TESTING_SEEDED_RANDOM_H_
#define CONF_TESTING_SEEDED_RANDOM_H_

#include <cstdint>

#include "engine/conference_store.h"

namespace conf {
namespace testing {

// Bytes from a std::mt19937_64 seeded with `seed`, one byte per draw.
//
// Example:
//   focus::FocusOptions options;
//   options.store.random_bytes = testing::SeededRandomBytes(1234);
engine::RandomBytesFunction SeededRandomBytes(uint64_t seed);

}  // namespace testing
}  // namespace conf

#endif  // CONF_TESTING_SEEDED_RANDOM_H_
