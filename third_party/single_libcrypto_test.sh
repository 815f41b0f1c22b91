#!/usr/bin/env bash
# Fails if any binary given as an argument loads OpenSSL's libcrypto/libssl
# (libcrypto.so.3, libssl.so.3) or does not load BoringSSL's libcrypto.so.0.
# Two libcryptos in one process interpose each other's symbols silently.
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
failed=0
for bin in "$@"; do
  deps=$(ldd "$bin")
  if grep -Eq 'lib(crypto|ssl)\.so\.3' <<<"$deps"; then
    echo "FAIL: $bin loads OpenSSL 3:" >&2
    grep -E 'lib(crypto|ssl)\.so' <<<"$deps" >&2
    failed=1
  fi
  if ! grep -Eq 'android/libcrypto\.so\.0' <<<"$deps"; then
    echo "FAIL: $bin does not load BoringSSL's libcrypto.so.0" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "ok: $# binaries load BoringSSL only"
exit "$failed"
