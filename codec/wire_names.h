// Wire spellings of the model's enumerations (RFC 4575 XSD enumerations,
// PROTOCOL.md §3.2; msci:admission-policy, §5.3), one constexpr table per
// enumeration, used in both directions: encoders name values, the request
// layer parses them.
//
// Header-only, constexpr, thread-safe.
//
// Example:
//   absl::string_view s = WireName(kEndpointStatusNames,
//                                  engine::EndpointStatus::kOnHold);
//   std::optional<engine::MediaStatus> m =
//       ParseWireName(kMediaStatusNames, "recvonly");

#ifndef CONF_CODEC_WIRE_NAMES_H_
#define CONF_CODEC_WIRE_NAMES_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

#include "engine/model.h"

namespace conf {
namespace codec {

template <typename Enum>
struct WireNameRow {
  Enum value;
  absl::string_view name;
};

// endpoint-status-type.
inline constexpr WireNameRow<engine::EndpointStatus> kEndpointStatusNames[] = {
    {engine::EndpointStatus::kPending, "pending"},
    {engine::EndpointStatus::kDialingOut, "dialing-out"},
    {engine::EndpointStatus::kDialingIn, "dialing-in"},
    {engine::EndpointStatus::kAlerting, "alerting"},
    {engine::EndpointStatus::kOnHold, "on-hold"},
    {engine::EndpointStatus::kConnected, "connected"},
    {engine::EndpointStatus::kMutedViaFocus, "muted-via-focus"},
    {engine::EndpointStatus::kDisconnecting, "disconnecting"},
    {engine::EndpointStatus::kDisconnected, "disconnected"},
};

// joining-type.
inline constexpr WireNameRow<engine::JoiningMethod> kJoiningMethodNames[] = {
    {engine::JoiningMethod::kDialedIn, "dialed-in"},
    {engine::JoiningMethod::kDialedOut, "dialed-out"},
    {engine::JoiningMethod::kFocusOwner, "focus-owner"},
};

// disconnection-type.
inline constexpr WireNameRow<engine::DisconnectionMethod>
    kDisconnectionMethodNames[] = {
        {engine::DisconnectionMethod::kDeparted, "departed"},
        {engine::DisconnectionMethod::kBooted, "booted"},
        {engine::DisconnectionMethod::kFailed, "failed"},
        {engine::DisconnectionMethod::kBusy, "busy"},
};

// media-status-type.
inline constexpr WireNameRow<engine::MediaStatus> kMediaStatusNames[] = {
    {engine::MediaStatus::kRecvOnly, "recvonly"},
    {engine::MediaStatus::kSendOnly, "sendonly"},
    {engine::MediaStatus::kSendRecv, "sendrecv"},
    {engine::MediaStatus::kInactive, "inactive"},
};

// msci:admission-policy.
inline constexpr WireNameRow<engine::AdmissionPolicy> kAdmissionPolicyNames[] =
    {
        {engine::AdmissionPolicy::kClosedAuthenticated, "closedAuthenticated"},
        {engine::AdmissionPolicy::kOpenAuthenticated, "openAuthenticated"},
        {engine::AdmissionPolicy::kAnonymous, "anonymous"},
};

// msci:automatic-leader-assignment: the presenter policy, in UCMA's names
// for automatic leader assignment (docs/ENGINE.md).
inline constexpr WireNameRow<engine::PresenterPolicy> kPresenterPolicyNames[] =
    {
        {engine::PresenterPolicy::kOrganizerOnly, "disabled"},
        {engine::PresenterPolicy::kOrganization, "sameEnterprise"},
        {engine::PresenterPolicy::kEveryone, "everyone"},
};

// user/roles/entry as Microsoft clients send and read it: the organizer is a
// presenter on the wire (docs/ENGINE.md), so kOrganizer is never parsed.
inline constexpr WireNameRow<engine::Role> kRoleNames[] = {
    {engine::Role::kPresenter, "presenter"},
    {engine::Role::kAttendee, "attendee"},
    {engine::Role::kOrganizer, "presenter"},
};

// The wire name of `value`; the first row's name if the table lacks it (a
// table is complete by construction: wire_names_test checks every one).
template <typename Enum, size_t N>
constexpr absl::string_view WireName(const WireNameRow<Enum> (&table)[N],
                                     Enum value) {
  for (const WireNameRow<Enum>& row : table) {
    if (row.value == value)
      return row.name;
  }
  return table[0].name;
}

// The value spelled `name` (case-sensitive, as XML is; the first row wins),
// or std::nullopt.
template <typename Enum, size_t N>
constexpr std::optional<Enum> ParseWireName(const WireNameRow<Enum> (&table)[N],
                                            absl::string_view name) {
  for (const WireNameRow<Enum>& row : table) {
    if (row.name == name)
      return row.value;
  }
  return std::nullopt;
}

}  // namespace codec
}  // namespace conf

#endif  // CONF_CODEC_WIRE_NAMES_H_
