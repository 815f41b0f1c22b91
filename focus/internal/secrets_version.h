// Private to //focus. The version under which the recipient pool
// caches a conference's wrapped secrets.

#ifndef CONF_FOCUS_INTERNAL_SECRETS_VERSION_H_
#define CONF_FOCUS_INTERNAL_SECRETS_VERSION_H_

#include <cstdint>
#include <cstring>

#include "engine/model.h"

namespace conf {
namespace focus {
namespace internal {

// The key epoch in the high 32 bits, so that a later epoch is a larger
// version (RecipientPool::ForgetConference drops versions below a bound),
// and 32 bits mixed from the key itself in the low ones.
//
// The epoch alone does not tell two conferences apart: a conference deleted
// and created again under the same focus URI starts at epoch 1 both times.
// A getConference still wrapping the old key when the deletion's
// ForgetConference runs would then insert old-key blobs that answer
// requests for the new conference. The new conference's key is drawn
// afresh, so its version differs (but for a 2^-32 chance) and those blobs
// are never found.
inline uint64_t SecretsVersion(const engine::ConferenceKey& key) {
  static_assert(engine::ConferenceKey::kSize == 3 * sizeof(uint64_t),
                "the mix reads the key as three words");
  uint64_t words[3];
  std::memcpy(words, key.bytes.data(), sizeof(words));
  const uint64_t mixed = (words[0] ^ (words[1] << 21 | words[1] >> 43) ^
                          (words[2] << 42 | words[2] >> 22)) *
                         0x9e3779b97f4a7c15u;
  return uint64_t{key.epoch} << 32 | mixed >> 32;
}

}  // namespace internal
}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_INTERNAL_SECRETS_VERSION_H_
