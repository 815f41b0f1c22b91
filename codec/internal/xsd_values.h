// Lexical checks of the XML Schema datatypes RFC 4575 uses for values that a
// request carries and a conference-info document repeats (xs:dateTime,
// xs:language, xs:anyURI). A value the request parser accepts with these is
// one that `xmllint --schema conference-info.xsd` (libxml2) accepts in the
// documents the focus writes. Each takes a value whose surrounding white
// space is already stripped (the three types collapse white space).
//
// Private to codec. Pure functions; thread-safe.

#ifndef CONF_CODEC_INTERNAL_XSD_VALUES_H_
#define CONF_CODEC_INTERNAL_XSD_VALUES_H_

#include "absl/strings/string_view.h"

namespace conf {
namespace codec {
namespace internal {

// xs:dateTime (XML Schema 1.0 Part 2 §3.2.7):
// -?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?, with a day that exists in its
// month, hours 00-23 and a zone offset of at most 14:00.
bool IsXsDateTime(absl::string_view s);

// xs:language: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*.
bool IsXsLanguage(absl::string_view s);

// xs:anyURI as libxml2 checks it: bytes RFC 3986 never allows (controls,
// non-ASCII, space, < > " { } | \ ^ ` ') are accepted as they are, and what
// remains must be an RFC 3986 URI reference: a scheme (if any) that starts
// with a letter, '%' only in escapes, one '#' at most, '[' and ']' only
// around the host of an authority or in the fragment, and a port of one
// digit or more.
bool IsXsAnyUri(absl::string_view s);

}  // namespace internal
}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_INTERNAL_XSD_VALUES_H_
