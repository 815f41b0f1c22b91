// Who is asking: the identity a request is served under, and how far it is
// trusted, from what the transport vouches for (docs/SERVER.md, "Who is
// asking").
//
//   - From a trusted peer (an address in --trusted_peers, or a proxy's
//     verified TLS certificate): the SIP URI of P-Asserted-Identity (RFC
//     3325 §9.1), kTrustedPeer. A trusted peer that asserts nothing is
//     refused: it authenticated nobody, and From is whatever the client
//     wrote.
//   - From a client with a verified TLS certificate: the certificate's SIP
//     URI, kAuthenticated. A P-Asserted-Identity it sends is ignored (RFC
//     3325 §5: only a trusted peer may assert).
//   - Otherwise refused (403), unless the server runs with the development
//     switch that takes From as the identity (kAuthenticated); the server
//     logs that switch at start.
//
// Exactly one source per connection: a request never falls back from one
// to another.

#ifndef CONF_SERVER_INTERNAL_IDENTITY_H_
#define CONF_SERVER_INTERNAL_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "focus/focus.h"
#include "server/connection.h"
#include "sip/message.h"

namespace conf {
namespace server {
namespace internal {

struct Identity {
  // The address of record, "sip:alice@example.com": scheme, user and host
  // of the URI, without parameters or headers.
  std::string uri;
  focus::IdentityAssurance assurance = focus::IdentityAssurance::kAuthenticated;
};

// The identity `request` is served under, from `peer`. kPermissionDenied
// (answer 403, the message is the reason phrase's detail) when nothing
// trustworthy names the requester; kInvalidArgument when the source it must
// come from is malformed.
absl::StatusOr<Identity> IdentityOf(const sip::Message& request,
                                    const PeerInfo& peer,
                                    bool from_header_for_development);

// The address of record of a SIP or SIPS URI: "sip:" or "sips:", then
// everything up to the first ';', '?' or '>', with the scheme lowercased.
// kInvalidArgument when `uri` is not a sip or sips URI with a host.
absl::StatusOr<std::string> AddressOfRecord(absl::string_view uri);

// The value of parameter `name` in `params` (";a=1;epid=x"), "" when absent.
absl::string_view UriParameter(absl::string_view params,
                               absl::string_view name);

}  // namespace internal
}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_INTERNAL_IDENTITY_H_
