// The hash of a conference entity, declared in engine/conference_store.h
// (public there for tests): one hash for the store's shards, maps and read
// index, so a focus URI is hashed once per lookup.

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

#include "engine/conference_store.h"

namespace conf {
namespace engine {

namespace internal {
namespace {

// wyhash's constants; the process seed is this object's address.
constexpr uint64_t kHashSalt0 = 0xa0761d6478bd642full;
constexpr uint64_t kHashSalt1 = 0xe7037ed1a0b428dbull;
const char kHashSeedAnchor = 0;

uint64_t FoldedMultiply(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

uint64_t Load64(const char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

uint64_t Load32(const char* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

}  // namespace

size_t ConferenceKeyHash(absl::string_view entity) {
  const char* p = entity.data();
  const size_t n = entity.size();
  uint64_t seed = reinterpret_cast<uintptr_t>(&kHashSeedAnchor) ^ kHashSalt0;
  uint64_t a = 0;
  uint64_t b = 0;
  if (n <= 16) {
    if (n >= 4) {
      // Two overlapping pairs of 4-byte words cover every byte.
      const size_t skip = (n >> 3) << 2;
      a = (Load32(p) << 32) | Load32(p + skip);
      b = (Load32(p + n - 4) << 32) | Load32(p + n - 4 - skip);
    } else if (n > 0) {
      a = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
          (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) |
          static_cast<uint8_t>(p[n - 1]);
    }
  } else {
    size_t left = n;
    while (left > 16) {
      seed = FoldedMultiply(Load64(p) ^ kHashSalt1, Load64(p + 8) ^ seed);
      p += 16;
      left -= 16;
    }
    // The last 16 bytes, overlapping the previous block when n is not a
    // multiple of 16.
    a = Load64(p + left - 16);
    b = Load64(p + left - 8);
  }
  const uint64_t h = FoldedMultiply(a ^ kHashSalt1, b ^ seed);
#if defined(CONF_STORE_COLLIDING_HASH_FOR_TEST)
  // The test build of //engine:conference_store_colliding_hash: every key
  // gets the same hash, so every lookup meets full 64-bit tag collisions
  // in one shard (the paths that compare keys after the tags matched).
  static_cast<void>(h);
  return static_cast<size_t>(kHashSalt0);
#else
  return static_cast<size_t>(FoldedMultiply(h ^ kHashSalt0 ^ n, kHashSalt1));
#endif
}

}  // namespace internal

}  // namespace engine
}  // namespace conf
