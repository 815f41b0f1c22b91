// The one boundary between BoringSSL's error queue and absl::Status.
//
// BoringSSL functions return 1/0 (or a pointer/null) and push details onto a
// thread-local error queue. Every failure path in crypto/ calls
// `BsslError` exactly once: it drains the queue (so a stale entry never
// attaches to a later, unrelated failure) and returns a status whose message
// is `context` followed by the first queued reason, e.g.
// "rsa encrypt: DATA_TOO_LARGE_FOR_MODULUS". The reason strings come from
// BoringSSL's static tables and never contain key material.
//
// Thread-safe: the queue is per thread.

#ifndef CONF_CRYPTO_INTERNAL_BSSL_STATUS_H_
#define CONF_CRYPTO_INTERNAL_BSSL_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace conf::crypto::internal {

// Drains this thread's BoringSSL error queue and returns a status with `code`
// and the message "<context>: <first reason>" (or just `context` when the
// queue was empty). `code` must not be kOk.
absl::Status BsslError(absl::StatusCode code, absl::string_view context);

// Discards whatever is on this thread's BoringSSL error queue, for failures
// that the caller maps to its own, more specific status.
void ClearBsslErrors();

}  // namespace conf::crypto::internal

#endif  // CONF_CRYPTO_INTERNAL_BSSL_STATUS_H_
