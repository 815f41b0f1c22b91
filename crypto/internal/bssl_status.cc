#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include <openssl/err.h>

#include "crypto/internal/bssl_status.h"

namespace conf::crypto::internal {

absl::Status BsslError(absl::StatusCode code, absl::string_view context) {
  const uint32_t first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) {
    return absl::Status(code, context);
  }
  const char* reason = ERR_reason_error_string(first);
  if (reason == nullptr) {
    return absl::Status(code, absl::StrCat(context, ": boringssl error ",
                                           ERR_GET_REASON(first)));
  }
  // BoringSSL's reasons are upper-case identifiers; our messages are lower
  // case (STYLE.md §3).
  return absl::Status(
      code, absl::StrCat(context, ": ", absl::AsciiStrToLower(reason)));
}

void ClearBsslErrors() { ERR_clear_error(); }

}  // namespace conf::crypto::internal
