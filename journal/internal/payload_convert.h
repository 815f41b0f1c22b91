// Engine model <-> journal/payload.proto messages. The conversions are
// field by field and lossless; the secrets go through internal/payload_seal.h.
//
// Thread-safe: the functions and a const Decoder may be used from any thread.

#ifndef CONF_JOURNAL_INTERNAL_PAYLOAD_CONVERT_H_
#define CONF_JOURNAL_INTERNAL_PAYLOAD_CONVERT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "engine/model.h"
#include "journal/internal/payload_seal.h"
#include "journal/payload.pb.h"

namespace conf {
namespace journal {
namespace internal {

// `s` into `m` (empty), the key and web-join URIs sealed with `node_key`.
void EncodeConference(const NodeKeyBytes& node_key,
                      const engine::ConferenceSnapshot& s,
                      payload::Conference* m);

// `d` (of kind kUpdate) into `m` (empty).
void EncodeDelta(const engine::ConferenceDelta& d, payload::Delta* m);

// Decodes the messages of one conference. Every error is kDataLoss and names
// `conference`: an enum value the model does not have, a required enum left
// UNSPECIFIED, a change without the object it changes, a user listed twice,
// a seal that does not authenticate.
class Decoder {
 public:
  // Both must outlive the decoder.
  Decoder(const NodeKeyBytes& node_key, absl::string_view conference)
      : node_key_(node_key), conference_(conference) {}

  absl::StatusOr<engine::ConferenceSnapshot> DecodeConference(
      const payload::Conference& m) const;
  absl::StatusOr<engine::ConferenceDelta> DecodeDelta(
      const payload::Delta& m) const;
  absl::StatusOr<engine::ConferenceKey> DecodeKey(absl::string_view sealed,
                                                  uint32_t epoch) const {
    return OpenConferenceKey(node_key_, sealed, epoch, conference_);
  }

 private:
  template <typename Model>
  absl::StatusOr<std::optional<Model>> OptionalEnum(
      int value, int max, absl::string_view what) const;
  template <typename Model>
  absl::StatusOr<Model> RequiredEnum(int value, int max,
                                     absl::string_view what) const;
  absl::Status Error(absl::string_view what) const {
    return PayloadDataLoss(conference_, what);
  }

  static std::vector<engine::Extension> DecodeExtensions(
      const google::protobuf::RepeatedPtrField<payload::Extension>& list);
  static std::vector<engine::ExtensionAttribute> DecodeAttributes(
      const google::protobuf::RepeatedPtrField<payload::ExtensionAttribute>&
          list);
  static engine::Execution DecodeExecution(const payload::Execution& m);
  static std::vector<engine::UriEntry> DecodeUriEntries(
      const google::protobuf::RepeatedPtrField<payload::UriEntry>& list);
  absl::StatusOr<std::shared_ptr<const engine::ConferenceDescription>>
  DecodeDescription(const payload::ConferenceDescription& m) const;
  static std::shared_ptr<const engine::HostInfo> DecodeHostInfo(
      const payload::HostInfo& m);
  static std::shared_ptr<const engine::ConferenceState> DecodeState(
      const payload::ConferenceState& m);
  absl::StatusOr<std::shared_ptr<const engine::Endpoint>> DecodeEndpoint(
      const payload::Endpoint& m) const;
  absl::StatusOr<std::shared_ptr<const engine::User>> DecodeUser(
      const payload::User& m) const;
  absl::StatusOr<engine::UserMap> DecodeUsers(
      const google::protobuf::RepeatedPtrField<payload::User>& list) const;
  absl::StatusOr<std::shared_ptr<const engine::EntityView>> DecodeView(
      const payload::EntityView& m) const;
  absl::StatusOr<absl::Time> DecodeTime(const payload::Time& m) const;

  const NodeKeyBytes& node_key_;
  absl::string_view conference_;
};

}  // namespace internal
}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_INTERNAL_PAYLOAD_CONVERT_H_
