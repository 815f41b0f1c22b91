// Compiled into every target that depends on //third_party:boringssl, so that
// the build fails if <openssl/...> ever resolves to OpenSSL 3's headers
// (/usr/include/openssl, also installed on these machines) instead of
// BoringSSL's (/usr/include/android/openssl).

#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "<openssl/base.h> is not BoringSSL's: check the include path order"
#endif
