#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "journal/ requires BoringSSL's <openssl/base.h>"
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include <openssl/aead.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include "base/check.h"
#include "base/status_macros.h"
#include "engine/model.h"
#include "journal/internal/payload_seal.h"

namespace conf {
namespace journal {
namespace internal {
namespace {

constexpr size_t kNonceSize = 12;  // NIST SP 800-38D §8.2: 96-bit IVs.
constexpr size_t kTagSize = 16;

absl::string_view PurposeName(SealPurpose purpose) {
  switch (purpose) {
    case SealPurpose::kConferenceKey:
      return "conference-key";
    case SealPurpose::kWebJoin:
      return "web-join";
  }
  return "";
}

// For error messages.
absl::string_view FieldName(SealPurpose purpose) {
  switch (purpose) {
    case SealPurpose::kConferenceKey:
      return "conference key";
    case SealPurpose::kWebJoin:
      return "web-join URIs";
  }
  return "";
}

void AppendU32(uint32_t v, std::string& out) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, sizeof(bytes));
}

// The entity is length-prefixed, so no two (purpose, entity, epoch) share
// additional data.
std::string AdditionalData(SealPurpose purpose, absl::string_view entity,
                           std::optional<uint32_t> key_epoch) {
  std::string ad = "confstate journal seal v1";
  ad.push_back('\0');
  absl::StrAppend(&ad, PurposeName(purpose));
  ad.push_back('\0');
  AppendU32(static_cast<uint32_t>(entity.size()), ad);
  absl::StrAppend(&ad, entity);
  if (key_epoch.has_value()) {
    AppendU32(*key_epoch, ad);
  }
  return ad;
}

// A context per operation: initialization only expands the AES key, and it
// keeps PayloadCodec free of BoringSSL state.
void InitAead(const NodeKeyBytes& key, EVP_AEAD_CTX* ctx) {
  // Cannot fail for a 32-byte key and the default tag length.
  CONF_CHECK(EVP_AEAD_CTX_init(ctx, EVP_aead_aes_256_gcm(), key.data(),
                               key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH,
                               nullptr) == 1);
}

}  // namespace

absl::Status PayloadDataLoss(absl::string_view conference,
                             absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("journal payload: ", what, " in conference ",
                   absl::CEscape(conference.substr(0, 64))));
}

std::string Seal(const NodeKeyBytes& key, absl::string_view plaintext,
                 SealPurpose purpose, absl::string_view entity,
                 std::optional<uint32_t> key_epoch) {
  const std::string ad = AdditionalData(purpose, entity, key_epoch);
  bssl::ScopedEVP_AEAD_CTX ctx;
  InitAead(key, ctx.get());
  std::string sealed(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<uint8_t*>(sealed.data());
  RAND_bytes(out, kNonceSize);  // Never fails in BoringSSL (it aborts).
  size_t written = 0;
  // Fails only for sizes far beyond anything the model holds.
  CONF_CHECK(EVP_AEAD_CTX_seal(
                 ctx.get(), out + kNonceSize, &written,
                 sealed.size() - kNonceSize, out, kNonceSize,
                 reinterpret_cast<const uint8_t*>(plaintext.data()),
                 plaintext.size(), reinterpret_cast<const uint8_t*>(ad.data()),
                 ad.size()) == 1);
  CONF_CHECK(written == plaintext.size() + kTagSize);
  return sealed;
}

absl::StatusOr<std::string> Open(const NodeKeyBytes& key,
                                 absl::string_view sealed, SealPurpose purpose,
                                 absl::string_view entity,
                                 std::optional<uint32_t> key_epoch) {
  if (sealed.size() < kNonceSize + kTagSize) {
    return PayloadDataLoss(entity,
                           absl::StrCat("sealed ", FieldName(purpose), " of ",
                                        sealed.size(), " bytes (too short)"));
  }
  const std::string ad = AdditionalData(purpose, entity, key_epoch);
  bssl::ScopedEVP_AEAD_CTX ctx;
  InitAead(key, ctx.get());
  const auto* in = reinterpret_cast<const uint8_t*>(sealed.data());
  std::string plaintext(sealed.size() - kNonceSize - kTagSize, '\0');
  size_t written = 0;
  // A failure leaves BoringSSL's reason (BAD_DECRYPT) on this thread's error
  // queue: only crypto/internal/bssl_status.cc may touch the queue, and it is
  // private to crypto/ (docs/JOURNAL.md, "Payload").
  if (EVP_AEAD_CTX_open(ctx.get(), reinterpret_cast<uint8_t*>(plaintext.data()),
                        &written, plaintext.size(), in, kNonceSize,
                        in + kNonceSize, sealed.size() - kNonceSize,
                        reinterpret_cast<const uint8_t*>(ad.data()),
                        ad.size()) != 1) {
    return absl::DataLossError(
        absl::StrCat("journal payload: sealed ", FieldName(purpose), " of ",
                     absl::CEscape(entity.substr(0, 64)),
                     " does not authenticate (wrong node key?)"));
  }
  plaintext.resize(written);
  return plaintext;
}

std::string SealConferenceKey(const NodeKeyBytes& node_key,
                              const engine::ConferenceKey& key,
                              absl::string_view entity) {
  return Seal(node_key,
              absl::string_view(reinterpret_cast<const char*>(key.bytes.data()),
                                key.bytes.size()),
              SealPurpose::kConferenceKey, entity, key.epoch);
}

absl::StatusOr<engine::ConferenceKey> OpenConferenceKey(
    const NodeKeyBytes& node_key, absl::string_view sealed, uint32_t epoch,
    absl::string_view entity) {
  CONF_ASSIGN_OR_RETURN(
      std::string plaintext,
      Open(node_key, sealed, SealPurpose::kConferenceKey, entity, epoch));
  engine::ConferenceKey key;
  if (plaintext.size() != key.bytes.size()) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return PayloadDataLoss(
        entity, absl::StrCat("conference key of ", plaintext.size(), " bytes"));
  }
  std::copy(plaintext.begin(), plaintext.end(), key.bytes.begin());
  OPENSSL_cleanse(plaintext.data(), plaintext.size());
  key.epoch = epoch;
  return key;
}

}  // namespace internal
}  // namespace journal
}  // namespace conf
