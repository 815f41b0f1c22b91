#include "focus/internal/joining.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace conf {
namespace focus {
namespace internal {
namespace {

constexpr absl::string_view kFocusSession = "focus";

// The endpoint of `user` that carries its focus session, or -1.
int FocusEndpointIndex(const engine::User& user) {
  int first_untyped = -1;
  for (size_t i = 0; i < user.endpoints.size(); ++i) {
    const absl::string_view type = user.endpoints[i]->session_type;
    if (type == kFocusSession)
      return static_cast<int>(i);
    if (type.empty() && first_untyped < 0)
      first_untyped = static_cast<int>(i);
  }
  return first_untyped;
}

}  // namespace

engine::User ShapeJoin(engine::User user, const RequestContext& context) {
  int index = FocusEndpointIndex(user);
  if (index < 0) {
    if (context.epid.empty())
      return user;
    engine::Endpoint named;
    named.entity = engine::EndpointId(absl::StrCat("{", context.epid, "}"));
    user.endpoints.insert(user.endpoints.begin(),
                          std::make_shared<const engine::Endpoint>(named));
    index = 0;
  }
  engine::Endpoint endpoint = *user.endpoints[static_cast<size_t>(index)];
  endpoint.session_type = std::string(kFocusSession);
  endpoint.status = engine::EndpointStatus::kConnected;
  endpoint.joining_method = engine::JoiningMethod::kDialedIn;
  if (!context.contact.empty()) {
    endpoint.endpoint_uri = std::string(context.contact);
  }
  endpoint.media.clear();
  user.endpoints[static_cast<size_t>(index)] =
      std::make_shared<const engine::Endpoint>(std::move(endpoint));
  return user;
}

Mapped<engine::User> ShapeDialOut(engine::User user,
                                  absl::string_view mcu_type) {
  // MS-CONFBAS 2.2.3.15: the IM MCU and the A/V MCU dial out; the
  // application-sharing and data MCUs do not.
  if (mcu_type != "chat" && mcu_type != "audio-video") {
    return codec::C3pReason::kNotSupported;
  }
  for (std::shared_ptr<const engine::Endpoint>& e : user.endpoints) {
    engine::Endpoint endpoint = *e;
    endpoint.session_type = std::string(mcu_type);
    endpoint.status = engine::EndpointStatus::kDialingOut;
    endpoint.joining_method = engine::JoiningMethod::kDialedOut;
    e = std::make_shared<const engine::Endpoint>(std::move(endpoint));
  }
  return user;
}

}  // namespace internal
}  // namespace focus
}  // namespace conf
