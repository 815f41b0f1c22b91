// Base64 (RFC 4648 §4: the standard alphabet, `=` padding) for the CMS blobs
// the focus puts in `msci:cms-data` (the one encoder of base64 that goes on
// the wire, no line breaks) and for the certificates clients send (the one
// decoder, after their line breaks are stripped).
//
// Table-driven rather than constant-time (BoringSSL's EVP_EncodeBlock is
// constant-time and several times slower): what is encoded here is
// ciphertext and public key material, so timing reveals nothing secret. One
// table lookup yields two output characters (a 12-bit index, 4096 entries of
// two bytes), and six input bytes are read at a time, so a byte costs about
// three instructions instead of the twenty of a character-at-a-time encoder.
//
// Thread-safety: all functions are pure and may be called concurrently.
//
// Example:
//   std::string cms_data = conf::crypto::EncodeBase64(der);
//
// Decoding is table-driven too (four characters per step, one table each)
// and accepts exactly what absl::Base64Unescape accepts on text without
// white space; StripAsciiSpace removes the white space first, 16 bytes per
// step.

#ifndef CONF_CRYPTO_BASE64_H_
#define CONF_CRYPTO_BASE64_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace conf::crypto {

// Number of characters EncodeBase64 produces for `size` bytes:
// 4 * ceil(size / 3).
constexpr size_t Base64EncodedSize(size_t size) { return (size + 2) / 3 * 4; }

// Writes the base64 of `bytes` (padded, no line breaks) to `out`, which must
// have room for Base64EncodedSize(bytes.size()) characters; returns the
// number written. No terminating NUL.
size_t EncodeBase64To(absl::string_view bytes, char* out);

// The base64 of `bytes` (padded, no line breaks); identical to
// absl::Base64Escape and to BoringSSL's EVP_EncodeBlock without its NUL.
std::string EncodeBase64(absl::string_view bytes);

// Room StripAsciiSpace may write beyond the characters it keeps: its output
// must hold text.size() + kStripSpaceSlack bytes.
inline constexpr size_t kStripSpaceSlack = 16;

// Copies `text` without its ASCII white space (space, TAB, LF, VT, FF, CR:
// absl::ascii_isspace) to `out`, which must have room for
// text.size() + kStripSpaceSlack bytes; returns the number of characters
// kept. `out` may be text.data() (in place). Clients wrap base64 at 64 or 76
// columns: a 16-byte block without white space is one compare and one store.
size_t StripAsciiSpace(absl::string_view text, char* out);

// Room DecodeBase64To needs for `size` characters: the decoded bytes plus
// one byte it may overwrite past them.
constexpr size_t Base64DecodedBound(size_t size) { return size / 4 * 3 + 3; }

// Decodes `text`, which holds no white space, into `out`, which must have
// room for Base64DecodedBound(text.size()) bytes; `out` may be text.data()
// (in place: each step writes behind what it has read). On success sets
// *size to the number of bytes decoded and returns true. Accepts the
// standard alphabet with the final group either complete with `=` padding
// or unpadded (two or three characters); any other character, a `=` before
// the end, a group of one character, or padding that does not complete the
// group makes it return false. Bits beyond the last byte are ignored, as
// absl::Base64Unescape ignores them.
bool DecodeBase64To(absl::string_view text, char* out, size_t* size);

}  // namespace conf::crypto

#endif  // CONF_CRYPTO_BASE64_H_
