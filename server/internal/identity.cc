#include "server/internal/identity.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace conf {
namespace server {
namespace internal {
namespace {

// The URI of one name-addr or addr-spec: inside the angle brackets when
// there are some, else the value up to its parameters.
absl::string_view UriOf(absl::string_view value) {
  const size_t open = value.find('<');
  if (open != absl::string_view::npos) {
    const size_t close = value.find('>', open);
    if (close == absl::string_view::npos)
      return absl::string_view();
    return value.substr(open + 1, close - open - 1);
  }
  return absl::StripAsciiWhitespace(value);
}

// The SIP URIs of every P-Asserted-Identity value (RFC 3325 §9.1: at most
// one sip or sips URI and one tel URI, in one header or in two).
std::vector<absl::string_view> AssertedUris(const sip::Message& request) {
  std::vector<absl::string_view> uris;
  for (const sip::Header& header : request.headers()) {
    if (!absl::EqualsIgnoreCase(header.name, "P-Asserted-Identity"))
      continue;
    // Values are name-addrs, whose display names may hold commas only
    // inside quotes; split after each '>'.
    absl::string_view rest = header.value;
    while (!rest.empty()) {
      size_t end = rest.find('>');
      end = end == absl::string_view::npos ? rest.size() : end + 1;
      const absl::string_view one = rest.substr(0, end);
      rest.remove_prefix(end);
      rest = absl::StripLeadingAsciiWhitespace(rest);
      absl::ConsumePrefix(&rest, ",");
      const absl::string_view uri = UriOf(one);
      if (absl::StartsWithIgnoreCase(uri, "sip:") ||
          absl::StartsWithIgnoreCase(uri, "sips:")) {
        uris.push_back(uri);
      }
    }
  }
  return uris;
}

}  // namespace

absl::string_view UriParameter(absl::string_view params,
                               absl::string_view name) {
  for (absl::string_view param : absl::StrSplit(params, ';')) {
    param = absl::StripAsciiWhitespace(param);
    const size_t eq = param.find('=');
    const absl::string_view key = param.substr(0, eq);
    if (absl::EqualsIgnoreCase(key, name)) {
      return eq == absl::string_view::npos ? absl::string_view()
                                           : param.substr(eq + 1);
    }
  }
  return absl::string_view();
}

absl::StatusOr<std::string> AddressOfRecord(absl::string_view uri) {
  uri = absl::StripAsciiWhitespace(uri);
  absl::string_view scheme;
  if (absl::StartsWithIgnoreCase(uri, "sip:")) {
    scheme = "sip:";
  } else if (absl::StartsWithIgnoreCase(uri, "sips:")) {
    scheme = "sips:";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("identity: not a sip or sips URI: \"",
                     absl::CEscape(uri.substr(0, 64)), "\""));
  }
  absl::string_view rest = uri.substr(scheme.size());
  rest = rest.substr(0, rest.find_first_of(";?>"));
  const absl::string_view host = rest.substr(rest.find('@') + 1);
  if (host.empty() || rest.back() == '@') {
    return absl::InvalidArgumentError(
        absl::StrCat("identity: URI without a host: \"",
                     absl::CEscape(uri.substr(0, 64)), "\""));
  }
  return absl::StrCat(scheme, rest);
}

absl::StatusOr<Identity> IdentityOf(const sip::Message& request,
                                    const PeerInfo& peer,
                                    bool from_header_for_development) {
  Identity identity;
  if (peer.trusted) {
    const std::vector<absl::string_view> asserted = AssertedUris(request);
    if (asserted.empty()) {
      return absl::PermissionDeniedError(
          "trusted peer asserted no identity (P-Asserted-Identity)");
    }
    if (asserted.size() > 1) {
      return absl::InvalidArgumentError(
          "P-Asserted-Identity holds more than one SIP URI");
    }
    auto aor = AddressOfRecord(asserted.front());
    if (!aor.ok())
      return aor.status();
    identity.uri = *std::move(aor);
    identity.assurance = focus::IdentityAssurance::kTrustedPeer;
    return identity;
  }
  if (!peer.certificate_identity.empty()) {
    auto aor = AddressOfRecord(peer.certificate_identity);
    if (!aor.ok())
      return aor.status();
    identity.uri = *std::move(aor);
    identity.assurance = focus::IdentityAssurance::kAuthenticated;
    return identity;
  }
  if (from_header_for_development && request.from().has_value()) {
    auto aor = AddressOfRecord(request.from()->uri);
    if (!aor.ok())
      return aor.status();
    identity.uri = *std::move(aor);
    identity.assurance = focus::IdentityAssurance::kAuthenticated;
    return identity;
  }
  return absl::PermissionDeniedError(
      "no identity this server trusts: come through a trusted peer or "
      "present a client certificate");
}

}  // namespace internal
}  // namespace server
}  // namespace conf
