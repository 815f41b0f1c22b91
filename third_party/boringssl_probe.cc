// A minimal binary linked against //third_party:boringssl, checked by
// single_libcrypto_test so the guard itself is exercised before any product
// binary uses BoringSSL.

#include <cstdio>

#include <openssl/sha.h>

int main() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>("abc"), 3, digest);
  // SHA-256("abc") begins ba 78 16 bf.
  if (digest[0] != 0xba || digest[1] != 0x78) {
    std::fputs("boringssl_probe: wrong SHA-256\n", stderr);
    return 1;
  }
  return 0;
}
