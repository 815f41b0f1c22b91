// The payload of journal records and snapshot entries: engine state encoded
// as Protocol Buffers (journal/payload.proto, the documented and versioned
// schema; docs/JOURNAL.md), with the secrets (conference key, web-join URIs)
// sealed by the node key (AES-256-GCM, BoringSSL's EVP_AEAD).
//
// Thread safety: a PayloadCodec is immutable after construction; its methods
// may be called from any thread.

#ifndef CONF_JOURNAL_PAYLOAD_H_
#define CONF_JOURNAL_PAYLOAD_H_

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

// The 32-byte key that seals secrets at rest.
class NodeKey {
 public:
  static constexpr size_t kSize = 32;

  // Reads the key file at `path`, or creates it (0600, O_EXCL, synced, with
  // its directory) with random bytes when it does not exist. Fails with
  // kDataLoss when the file is not exactly kSize bytes, kFailedPrecondition
  // when group or others have any access to it (read, write or execute), and
  // the errno's code when it cannot be read or created.
  static absl::StatusOr<NodeKey> LoadOrCreate(const std::string& path);
  static NodeKey FromBytes(const std::array<uint8_t, kSize>& bytes);

  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// A change as decoded from a record.
struct DecodedChange {
  // The conference is gone (deleteConference, expiry).
  bool deleted = false;
  // The state after the change when not deleted.
  engine::ConferenceSnapshot after;
};

class PayloadCodec {
 public:
  explicit PayloadCodec(const NodeKey& key);
  PayloadCodec(const PayloadCodec&) = default;
  PayloadCodec& operator=(const PayloadCodec&) = default;
  // Wipes its copy of the key.
  ~PayloadCodec();

  // The payload of the record for one mutation: `delta` made `after`. A
  // creation (delta.version == 1) carries the whole conference; a deletion
  // its kind only; any other change the delta and the conference key.
  std::string EncodeChange(const engine::ConferenceDelta& delta,
                           const engine::ConferenceSnapshot& after) const;

  // Applies a record's payload to `before` (nullptr: the conference does not
  // exist, as it must not for a creation). kDataLoss when the payload does
  // not parse, does not authenticate, or does not fit `before` (a version
  // that does not follow it, a delta for a missing conference).
  absl::StatusOr<DecodedChange> ApplyChange(
      const engine::ConferenceSnapshot* before, uint64_t version,
      absl::string_view payload) const;

  // A snapshot entry: the whole conference.
  std::string EncodeSnapshot(const engine::ConferenceSnapshot& snapshot) const;
  absl::StatusOr<engine::ConferenceSnapshot> DecodeSnapshot(
      absl::string_view payload) const;

  // One line of JSON describing a payload for operators (confstate journal
  // dump): every field, with the sealed secrets replaced by "<redacted>".
  // Needs no key: it does not open the seals.
  static absl::StatusOr<std::string> ChangeToJson(absl::string_view payload);
  static absl::StatusOr<std::string> SnapshotToJson(absl::string_view payload);

 private:
  std::array<uint8_t, NodeKey::kSize> key_;
};

}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_PAYLOAD_H_
