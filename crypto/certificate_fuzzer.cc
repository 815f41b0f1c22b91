// libFuzzer target for certificate intake plus wrapping: the input is what a
// client puts in `msci:x509-certificate` (base64 text), and is also tried as
// raw DER and as a CMS blob for the reader.
//
// Properties: nothing crashes or leaks; an accepted certificate wraps in both
// modes, and our CBS reader parses every blob we write back to the same
// recipient, cipher and content length.

#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "crypto/cms_reader.h"
#include "crypto/enveloped_data.h"

namespace {

using conf::crypto::Cipher;

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void WrapAndReadBack(const conf::crypto::Recipient& recipient, Cipher cipher) {
  const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                           12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                           23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  absl::StatusOr<std::string> key_blob = conf::crypto::WrapConferenceKey(
      recipient,
      absl::MakeConstSpan(key, conf::crypto::CipherKeyLength(cipher)), cipher);
  Check(key_blob.ok());
  absl::StatusOr<std::string> content_blob = conf::crypto::WrapContent(
      recipient, "https://meet.example.com/fuzz/ABCDEF", cipher);
  Check(content_blob.ok());
  for (const std::string* blob : {&*key_blob, &*content_blob}) {
    absl::StatusOr<conf::crypto::ParsedEnvelopedData> parsed =
        conf::crypto::ParseEnvelopedData(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(blob->data()), blob->size()));
    Check(parsed.ok());
    Check(parsed->cipher == cipher);
    Check(parsed->issuer_and_serial == recipient.issuer_and_serial());
    Check(parsed->encrypted_key.size() ==
          static_cast<size_t>((recipient.modulus_bits() + 7) / 8));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<conf::crypto::Recipient> recipient =
      conf::crypto::ParseRecipient(text);
  if (recipient.ok()) {
    WrapAndReadBack(*recipient, Cipher::kDesEde3Cbc);
    WrapAndReadBack(*recipient, Cipher::kAes256Cbc);
  }
  absl::StatusOr<conf::crypto::Recipient> from_der =
      conf::crypto::ParseRecipientDer(absl::MakeConstSpan(data, size));
  if (from_der.ok()) {
    WrapAndReadBack(*from_der, Cipher::kAes128Cbc);
  }
  absl::StatusOr<conf::crypto::ParsedEnvelopedData> parsed =
      conf::crypto::ParseEnvelopedData(absl::MakeConstSpan(data, size));
  if (parsed.ok()) {
    Check(parsed->iv.size() == conf::crypto::CipherIvLength(parsed->cipher));
  }
  return 0;
}
