#include "server/sip_service.h"

#include <utility>

#include "server/internal/sip_connection.h"

namespace conf {
namespace server {

absl::string_view SipMethodName(SipMethod method) {
  switch (method) {
    case SipMethod::kService:
      return "SERVICE";
    case SipMethod::kInvite:
      return "INVITE";
    case SipMethod::kAck:
      return "ACK";
    case SipMethod::kBye:
      return "BYE";
    case SipMethod::kInfo:
      return "INFO";
    case SipMethod::kSubscribe:
      return "SUBSCRIBE";
    case SipMethod::kOptions:
      return "OPTIONS";
    case SipMethod::kCancel:
      return "CANCEL";
    case SipMethod::kOther:
      break;
  }
  return "other";
}

absl::string_view SipOutcomeName(SipOutcome outcome) {
  switch (outcome) {
    case SipOutcome::kSuccess:
      return "success";
    case SipOutcome::kC3pFailure:
      return "c3p_failure";
    case SipOutcome::kRefused:
      return "refused";
    case SipOutcome::kOverloaded:
      return "overloaded";
    case SipOutcome::kServerError:
      break;
  }
  return "server_error";
}

SipService::SipService(focus::Focus* focus, SipServiceOptions options)
    : focus_(focus), options_(std::move(options)) {}

SipService::~SipService() = default;

std::unique_ptr<ConnectionHandler> SipService::NewHandler(
    Connection* connection) {
  return std::make_unique<internal::SipConnection>(this, connection);
}

void SipService::Terminate(ConnectionHandler& handler,
                           absl::string_view reason) {
  // Every handler a SipService makes is a SipConnection.
  static_cast<internal::SipConnection&>(handler).Terminate(reason);
}

}  // namespace server
}  // namespace conf
