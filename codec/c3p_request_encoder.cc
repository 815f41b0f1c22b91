#include "codec/c3p_request_encoder.h"

#include "codec/c3p_request.h"
#include "codec/conference_info.h"
#include "codec/wire_names.h"
#include "codec/xml_writer.h"

namespace conf {
namespace codec {
namespace {

// Opens <request ...> with the namespaces every command may use.
void StartRequest(const RequestEnvelope& envelope, XmlWriter& w) {
  w.StartElement("request");
  w.Attribute("xmlns", kCccpNamespace);
  w.Attribute("xmlns:ci", kConferenceInfoNamespace);
  w.Attribute("xmlns:msci", kMsciNamespace);
  w.Attribute("xmlns:mscp", kMscpNamespace);
  w.Attribute("C3PVersion", "1");
  w.Attribute("requestId", envelope.request_id);
  w.Attribute("from", envelope.from);
  w.Attribute("to", envelope.to);
}

std::string FinishRequest(XmlWriter& w) {
  w.EndElement();  // command
  w.EndElement();  // request
  return std::move(w).Finish();
}

void ConferenceKeys(absl::string_view conference, XmlWriter& w) {
  w.StartElement("conferenceKeys");
  w.Attribute("confEntity", conference);
  w.EndElement();
}

void UserKeys(absl::string_view conference, absl::string_view user,
              XmlWriter& w) {
  w.StartElement("userKeys");
  w.Attribute("confEntity", conference);
  w.Attribute("userEntity", user);
  w.EndElement();
}

}  // namespace

std::string EncodeAddConferenceRequest(const RequestEnvelope& envelope,
                                       const AddConferenceSpec& spec) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("addConference");
  w.StartElement("ci:conference-info");
  w.Attribute("entity", "");
  w.StartElement("ci:conference-description");
  if (!spec.subject.empty())
    w.TextElement("ci:subject", spec.subject);
  if (!spec.conference_id.empty()) {
    w.TextElement("msci:conference-id", spec.conference_id);
  }
  if (!spec.expiry_time.empty()) {
    w.TextElement("msci:expiry-time", spec.expiry_time);
  }
  if (!spec.admission_policy.empty()) {
    w.TextElement("msci:admission-policy", spec.admission_policy);
  }
  if (!spec.presenter_policy.empty()) {
    w.TextElement("msci:automatic-leader-assignment", spec.presenter_policy);
  }
  w.EndElement();  // conference-description
  w.StartElement("msci:conference-view");
  for (const std::string& type : spec.mcu_types) {
    w.StartElement("msci:entity-view");
    w.Attribute("entity", type);
    w.EndElement();
  }
  w.EndElement();  // conference-view
  w.EndElement();  // conference-info
  return FinishRequest(w);
}

std::string EncodeGetConferenceRequest(const RequestEnvelope& envelope,
                                       absl::string_view conference,
                                       absl::string_view certificate_base64) {
  XmlWriter w(512 + certificate_base64.size());
  StartRequest(envelope, w);
  w.StartElement("getConference");
  ConferenceKeys(conference, w);
  if (!certificate_base64.empty()) {
    w.StartElement("msci:encryption-key");
    w.TextElement("msci:x509-certificate", certificate_base64);
    w.EndElement();
  }
  return FinishRequest(w);
}

std::string EncodeDeleteConferenceRequest(const RequestEnvelope& envelope,
                                          absl::string_view conference) {
  XmlWriter w(384);
  StartRequest(envelope, w);
  w.StartElement("deleteConference");
  ConferenceKeys(conference, w);
  return FinishRequest(w);
}

std::string EncodeAddUserRequest(const RequestEnvelope& envelope,
                                 absl::string_view conference,
                                 const engine::User& user,
                                 absl::string_view mcu_uri) {
  XmlWriter w(1024);
  StartRequest(envelope, w);
  w.StartElement("addUser");
  if (!mcu_uri.empty())
    w.Attribute("mscp:mcuUri", mcu_uri);
  ConferenceKeys(conference, w);
  // Bytes conference_info produced with this same writer.
  w.Raw(EncodeUserFragment(user));
  return FinishRequest(w);
}

std::string EncodeDeleteUserRequest(const RequestEnvelope& envelope,
                                    absl::string_view conference,
                                    absl::string_view user) {
  XmlWriter w(384);
  StartRequest(envelope, w);
  w.StartElement("deleteUser");
  UserKeys(conference, user, w);
  return FinishRequest(w);
}

std::string EncodeModifyUserRolesRequest(const RequestEnvelope& envelope,
                                         absl::string_view conference,
                                         absl::string_view user,
                                         engine::Role role) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("modifyUserRoles");
  UserKeys(conference, user, w);
  w.StartElement("ci:user-roles");
  w.TextElement("ci:entry", WireName(kRoleNames, role));
  w.EndElement();
  return FinishRequest(w);
}

std::string EncodeModifyConferenceLockRequest(const RequestEnvelope& envelope,
                                              absl::string_view conference,
                                              engine::LockState lock) {
  XmlWriter w(384);
  StartRequest(envelope, w);
  w.StartElement("modifyConferenceLock");
  ConferenceKeys(conference, w);
  w.TextElement("locked",
                lock == engine::LockState::kLocked ? "true" : "false");
  return FinishRequest(w);
}

std::string EncodeModifyEndpointMediaRequest(const RequestEnvelope& envelope,
                                             absl::string_view conference,
                                             absl::string_view user,
                                             absl::string_view endpoint,
                                             absl::string_view media_id,
                                             engine::MediaStatus status) {
  XmlWriter w(640);
  StartRequest(envelope, w);
  w.StartElement("modifyEndpointMedia");
  w.StartElement("mediaKeys");
  w.Attribute("confEntity", conference);
  w.Attribute("userEntity", user);
  w.Attribute("endpointEntity", endpoint);
  w.Attribute("mediaId", media_id);
  w.EndElement();
  w.StartElement("ci:media");
  w.Attribute("id", media_id);
  w.TextElement("ci:status", WireName(kMediaStatusNames, status));
  w.EndElement();
  return FinishRequest(w);
}

std::string EncodeModifyEndpointStatusRequest(const RequestEnvelope& envelope,
                                              absl::string_view conference,
                                              absl::string_view user,
                                              absl::string_view endpoint,
                                              engine::EndpointStatus status) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("modifyEndpoint");
  UserKeys(conference, user, w);
  w.StartElement("ci:endpoint");
  w.Attribute("entity", endpoint);
  w.TextElement("ci:status", WireName(kEndpointStatusNames, status));
  w.EndElement();
  return FinishRequest(w);
}

std::string EncodeSetLobbyAccessRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        const std::vector<std::string>& users,
                                        engine::LobbyDecision decision) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("setLobbyAccess");
  ConferenceKeys(conference, w);
  for (const std::string& user : users)
    w.TextElement("userEntity", user);
  w.TextElement("access", decision == engine::LobbyDecision::kGrant ? "granted"
                                                                    : "denied");
  return FinishRequest(w);
}

std::string EncodeModifyEndpointRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        absl::string_view user,
                                        const engine::Endpoint& endpoint) {
  XmlWriter w(640);
  StartRequest(envelope, w);
  w.StartElement("modifyEndpoint");
  UserKeys(conference, user, w);
  w.StartElement("ci:endpoint");
  w.Attribute("entity", endpoint.entity.value());
  if (!endpoint.session_type.empty())
    w.Attribute("msci:session-type", endpoint.session_type.view());
  if (!endpoint.endpoint_uri.empty())
    w.Attribute("msci:endpoint-uri", endpoint.endpoint_uri.view());
  if (endpoint.status.has_value()) {
    w.TextElement("ci:status",
                  WireName(kEndpointStatusNames, *endpoint.status));
  }
  if (endpoint.joining_method.has_value()) {
    w.TextElement("ci:joining-method",
                  WireName(kJoiningMethodNames, *endpoint.joining_method));
  }
  w.EndElement();
  return FinishRequest(w);
}

std::string EncodeDeleteEndpointRequest(const RequestEnvelope& envelope,
                                        absl::string_view conference,
                                        absl::string_view user,
                                        absl::string_view endpoint) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("modifyEndpoint");
  UserKeys(conference, user, w);
  w.StartElement("ci:endpoint");
  w.Attribute("entity", endpoint);
  w.Attribute("state", "deleted");
  w.EndElement();
  return FinishRequest(w);
}

std::string EncodeModifyConferenceRequest(const RequestEnvelope& envelope,
                                          absl::string_view conference,
                                          const AddConferenceSpec& spec) {
  XmlWriter w(768);
  StartRequest(envelope, w);
  w.StartElement("modifyConference");
  ConferenceKeys(conference, w);
  w.StartElement("ci:conference-info");
  w.Attribute("entity", conference);
  w.StartElement("ci:conference-description");
  if (!spec.subject.empty())
    w.TextElement("ci:subject", spec.subject);
  if (!spec.expiry_time.empty())
    w.TextElement("msci:expiry-time", spec.expiry_time);
  if (!spec.admission_policy.empty())
    w.TextElement("msci:admission-policy", spec.admission_policy);
  if (!spec.presenter_policy.empty()) {
    w.TextElement("msci:automatic-leader-assignment", spec.presenter_policy);
  }
  w.EndElement();  // conference-description
  w.EndElement();  // conference-info
  return FinishRequest(w);
}

std::string EncodeEndorseUserRequest(const RequestEnvelope& envelope,
                                     absl::string_view conference,
                                     absl::string_view user,
                                     engine::LobbyDecision decision) {
  XmlWriter w(512);
  StartRequest(envelope, w);
  w.StartElement("endorseUser");
  w.Attribute("result", decision == engine::LobbyDecision::kGrant
                            ? "success"
                            : "unauthorized");
  UserKeys(conference, user, w);
  return FinishRequest(w);
}

std::string EncodeGetConferencesRequest(const RequestEnvelope& envelope,
                                        ConferencesToList which) {
  XmlWriter w(384);
  StartRequest(envelope, w);
  w.StartElement("getConferences");
  if (which == ConferencesToList::kStaticOnly)
    w.Attribute("static", "true");
  return FinishRequest(w);
}

std::string EncodeEmptyCommandRequest(const RequestEnvelope& envelope,
                                      absl::string_view command) {
  XmlWriter w(384);
  StartRequest(envelope, w);
  if (command == "getConferences") {
    w.StartElement("getConferences");
  } else if (command == "getAvailableMcuTypes") {
    w.StartElement("getAvailableMcuTypes");
  } else if (command == "getConferencingCapabilities") {
    w.StartElement("getConferencingCapabilities");
  } else {
    w.StartElement("ping");
  }
  return FinishRequest(w);
}

}  // namespace codec
}  // namespace conf
