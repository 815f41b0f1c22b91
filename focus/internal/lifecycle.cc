#include "focus/internal/lifecycle.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/types/span.h"

#include "focus/internal/member_certificates.h"
#include "focus/internal/secrets_version.h"

namespace conf {
namespace focus {
namespace internal {

bool IsExpired(const FocusParts& focus,
               const engine::ConferenceSnapshot& snapshot) {
  return snapshot.expires_at != absl::InfiniteFuture() &&
         snapshot.expires_at <= focus.options.clock();
}

void RemoveExpired(const FocusParts& focus,
                   const engine::ConferenceId& conference) {
  // An empty requester is the focus itself; a conference deleted meanwhile
  // (kNotFound) is gone either way.
  focus.store.ApplyDeleteConference({conference, engine::UserId()})
      .IgnoreError();
  focus.recipients.ForgetConference(conference.value());
  focus.members.Forget(conference);
}

absl::StatusOr<engine::MutationResult> RotateKey(
    const FocusParts& focus, const engine::RotateKeyRequest& request) {
  absl::StatusOr<engine::MutationResult> result =
      focus.store.ApplyRotateKey(request);
  if (!result.ok())
    return result.status();
  const engine::ConferenceSnapshot& s = *result->snapshot;
  const uint64_t version = SecretsVersion(s.key);
  std::vector<std::shared_ptr<const crypto::Recipient>> recipients;
  for (MemberCertificates::Entry& entry : focus.members.Of(s.entity)) {
    if (s.users.Contains(entry.first))
      recipients.push_back(std::move(entry.second));
  }
  const absl::string_view uris[] = {s.web_join.internal(),
                                    s.web_join.external()};
  crypto::ConferenceSecrets plain;
  plain.conference_key = absl::MakeConstSpan(s.key.bytes);
  plain.uris = absl::MakeConstSpan(uris);
  // Failures are not cached: such a member wraps on its next request.
  focus.recipients.GetOrWrapForMany(s.entity.value(), version, recipients,
                                    plain);
  focus.recipients.ForgetConference(s.entity.value(), version);
  return result;
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
