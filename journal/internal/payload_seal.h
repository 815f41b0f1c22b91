// Seals for the journal payload's secrets: AES-256-GCM (NIST SP 800-38D,
// BoringSSL's EVP_AEAD) under the node key, bound to a conference and a
// field. docs/JOURNAL.md ("Payload") gives the format:
//
//   sealed          = nonce (12 random bytes) || ciphertext || tag (16 bytes)
//   additional data = "confstate journal seal v1" 0x00 purpose 0x00
//                     u32be(len(entity)) entity [u32be(key epoch)]
//
// A sealed value moved to another conference or field (or, for the key,
// given another epoch) does not authenticate.
//
// Thread-safe: every function is.

#ifndef CONF_JOURNAL_INTERNAL_PAYLOAD_SEAL_H_
#define CONF_JOURNAL_INTERNAL_PAYLOAD_SEAL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace journal {
namespace internal {

// The node key's bytes (NodeKey::kSize).
using NodeKeyBytes = std::array<uint8_t, 32>;

// What a seal protects; part of its additional data.
enum class SealPurpose {
  kConferenceKey,  // "conference-key", with the key's epoch.
  kWebJoin,        // "web-join": a serialized payload.WebJoinUris.
};

// kDataLoss "journal payload: <what> in conference <conference>" (the
// conference escaped and capped at 64 bytes).
absl::Status PayloadDataLoss(absl::string_view conference,
                             absl::string_view what);

// Seals `plaintext` for `purpose` of conference `entity` (`key_epoch` for
// kConferenceKey only) with a fresh random nonce.
std::string Seal(const NodeKeyBytes& key, absl::string_view plaintext,
                 SealPurpose purpose, absl::string_view entity,
                 std::optional<uint32_t> key_epoch);

// The plaintext of `sealed`. kDataLoss when it is too short or does not
// authenticate ("sealed <field> of <entity> does not authenticate (wrong
// node key?)").
absl::StatusOr<std::string> Open(const NodeKeyBytes& key,
                                 absl::string_view sealed, SealPurpose purpose,
                                 absl::string_view entity,
                                 std::optional<uint32_t> key_epoch);

// Seal and Open for a conference key (its bytes; the epoch is bound in).
std::string SealConferenceKey(const NodeKeyBytes& node_key,
                              const engine::ConferenceKey& key,
                              absl::string_view entity);
absl::StatusOr<engine::ConferenceKey> OpenConferenceKey(
    const NodeKeyBytes& node_key, absl::string_view sealed, uint32_t epoch,
    absl::string_view entity);

}  // namespace internal
}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_INTERNAL_PAYLOAD_SEAL_H_
