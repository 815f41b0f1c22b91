#include "journal/internal/payload_convert.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include <openssl/mem.h>

#include "base/status_macros.h"
#include "engine/model.h"
#include "journal/internal/payload_seal.h"
#include "journal/payload.pb.h"

namespace conf {
namespace journal {
namespace internal {

namespace pb = ::conf::journal::payload;

namespace {

// ---------------------------------------------------------------------------
// Enumerations: the proto value is 1 + the model enumerator's value (0 is
// UNSPECIFIED). The asserts are the mapping table; a model enumerator added
// at the end without its proto value fails the *_MAX assert.

template <typename Proto, typename Model>
Proto ToProto(Model value) {
  return static_cast<Proto>(static_cast<int>(value) + 1);
}

template <typename Model>
std::optional<Model> FromProto(int value, int max) {
  if (value < 1 || value > max) {
    return std::nullopt;
  }
  return static_cast<Model>(value - 1);
}

template <typename Model, typename Proto>
constexpr bool Maps(Model model, Proto proto) {
  return static_cast<int>(model) + 1 == static_cast<int>(proto);
}

static_assert(Maps(engine::EndpointStatus::kPending,
                   pb::ENDPOINT_STATUS_PENDING));
static_assert(Maps(engine::EndpointStatus::kDialingOut,
                   pb::ENDPOINT_STATUS_DIALING_OUT));
static_assert(Maps(engine::EndpointStatus::kDialingIn,
                   pb::ENDPOINT_STATUS_DIALING_IN));
static_assert(Maps(engine::EndpointStatus::kAlerting,
                   pb::ENDPOINT_STATUS_ALERTING));
static_assert(Maps(engine::EndpointStatus::kOnHold,
                   pb::ENDPOINT_STATUS_ON_HOLD));
static_assert(Maps(engine::EndpointStatus::kConnected,
                   pb::ENDPOINT_STATUS_CONNECTED));
static_assert(Maps(engine::EndpointStatus::kMutedViaFocus,
                   pb::ENDPOINT_STATUS_MUTED_VIA_FOCUS));
static_assert(Maps(engine::EndpointStatus::kDisconnecting,
                   pb::ENDPOINT_STATUS_DISCONNECTING));
static_assert(Maps(engine::EndpointStatus::kDisconnected,
                   pb::ENDPOINT_STATUS_DISCONNECTED));
static_assert(Maps(engine::EndpointStatus::kDisconnected,
                   pb::EndpointStatus_MAX));
static_assert(Maps(engine::JoiningMethod::kDialedIn,
                   pb::JOINING_METHOD_DIALED_IN));
static_assert(Maps(engine::JoiningMethod::kDialedOut,
                   pb::JOINING_METHOD_DIALED_OUT));
static_assert(Maps(engine::JoiningMethod::kFocusOwner,
                   pb::JOINING_METHOD_FOCUS_OWNER));
static_assert(Maps(engine::JoiningMethod::kFocusOwner, pb::JoiningMethod_MAX));
static_assert(Maps(engine::DisconnectionMethod::kDeparted,
                   pb::DISCONNECTION_METHOD_DEPARTED));
static_assert(Maps(engine::DisconnectionMethod::kBooted,
                   pb::DISCONNECTION_METHOD_BOOTED));
static_assert(Maps(engine::DisconnectionMethod::kFailed,
                   pb::DISCONNECTION_METHOD_FAILED));
static_assert(Maps(engine::DisconnectionMethod::kBusy,
                   pb::DISCONNECTION_METHOD_BUSY));
static_assert(Maps(engine::DisconnectionMethod::kBusy,
                   pb::DisconnectionMethod_MAX));
static_assert(Maps(engine::MediaStatus::kRecvOnly, pb::MEDIA_STATUS_RECV_ONLY));
static_assert(Maps(engine::MediaStatus::kSendOnly, pb::MEDIA_STATUS_SEND_ONLY));
static_assert(Maps(engine::MediaStatus::kSendRecv, pb::MEDIA_STATUS_SEND_RECV));
static_assert(Maps(engine::MediaStatus::kInactive, pb::MEDIA_STATUS_INACTIVE));
static_assert(Maps(engine::MediaStatus::kInactive, pb::MediaStatus_MAX));
static_assert(Maps(engine::AdmissionPolicy::kClosedAuthenticated,
                   pb::ADMISSION_POLICY_CLOSED_AUTHENTICATED));
static_assert(Maps(engine::AdmissionPolicy::kOpenAuthenticated,
                   pb::ADMISSION_POLICY_OPEN_AUTHENTICATED));
static_assert(Maps(engine::AdmissionPolicy::kAnonymous,
                   pb::ADMISSION_POLICY_ANONYMOUS));
static_assert(Maps(engine::AdmissionPolicy::kAnonymous,
                   pb::AdmissionPolicy_MAX));
static_assert(Maps(engine::PresenterPolicy::kOrganizerOnly,
                   pb::PRESENTER_POLICY_ORGANIZER_ONLY));
static_assert(Maps(engine::PresenterPolicy::kOrganization,
                   pb::PRESENTER_POLICY_ORGANIZATION));
static_assert(Maps(engine::PresenterPolicy::kEveryone,
                   pb::PRESENTER_POLICY_EVERYONE));
static_assert(Maps(engine::PresenterPolicy::kEveryone,
                   pb::PresenterPolicy_MAX));
static_assert(Maps(engine::Role::kOrganizer, pb::ROLE_ORGANIZER));
static_assert(Maps(engine::Role::kPresenter, pb::ROLE_PRESENTER));
static_assert(Maps(engine::Role::kAttendee, pb::ROLE_ATTENDEE));
static_assert(Maps(engine::Role::kAttendee, pb::Role_MAX));
static_assert(Maps(engine::ChangeKind::kFull, pb::CHANGE_KIND_FULL));
static_assert(Maps(engine::ChangeKind::kPartial, pb::CHANGE_KIND_PARTIAL));
static_assert(Maps(engine::ChangeKind::kDeleted, pb::CHANGE_KIND_DELETED));
static_assert(Maps(engine::ChangeKind::kDeleted, pb::ChangeKind_MAX));
static_assert(Maps(engine::UserList::kRoster, pb::USER_LIST_ROSTER));
static_assert(Maps(engine::UserList::kLobby, pb::USER_LIST_LOBBY));
static_assert(Maps(engine::UserList::kLobby, pb::UserList_MAX));

// An optional model enum: UNSPECIFIED when absent.
template <typename Proto, typename Model>
Proto OptionalToProto(const std::optional<Model>& value) {
  return value.has_value() ? ToProto<Proto>(*value) : static_cast<Proto>(0);
}

// ---------------------------------------------------------------------------
// Model -> proto.

void SetString(absl::string_view value, std::string* field) {
  field->assign(value.data(), value.size());
}

void EncodeExtensions(const std::vector<engine::Extension>& extensions,
                      google::protobuf::RepeatedPtrField<pb::Extension>* out) {
  out->Reserve(static_cast<int>(extensions.size()));
  for (const engine::Extension& e : extensions) {
    pb::Extension* m = out->Add();
    m->set_namespace_uri(e.namespace_uri);
    m->set_local_name(e.local_name);
    m->set_raw_xml(e.raw_xml);
    m->set_separators_before(e.separators_before);
  }
}

void EncodeAttributes(
    const std::vector<engine::ExtensionAttribute>& attributes,
    google::protobuf::RepeatedPtrField<pb::ExtensionAttribute>* out) {
  out->Reserve(static_cast<int>(attributes.size()));
  for (const engine::ExtensionAttribute& a : attributes) {
    pb::ExtensionAttribute* m = out->Add();
    m->set_namespace_uri(a.namespace_uri);
    m->set_local_name(a.local_name);
    m->set_value(a.value);
  }
}

void EncodeExecution(const engine::Execution& e, pb::Execution* m) {
  SetString(e.when, m->mutable_when());
  SetString(e.reason, m->mutable_reason());
  SetString(e.by, m->mutable_by());
}

void EncodeUriEntries(const std::vector<engine::UriEntry>& entries,
                      google::protobuf::RepeatedPtrField<pb::UriEntry>* out) {
  for (const engine::UriEntry& e : entries) {
    pb::UriEntry* m = out->Add();
    m->set_uri(e.uri);
    m->set_display_text(e.display_text);
    m->set_purpose(e.purpose);
    if (e.modified.has_value()) {
      EncodeExecution(*e.modified, m->mutable_modified());
    }
    EncodeExtensions(e.extensions, m->mutable_extensions());
    EncodeAttributes(e.attributes, m->mutable_attributes());
  }
}

void EncodeDescription(const engine::ConferenceDescription& d,
                       pb::ConferenceDescription* m) {
  m->set_display_text(d.display_text);
  m->set_subject(d.subject);
  m->set_free_text(d.free_text);
  for (const std::string& keyword : d.keywords) {
    m->add_keywords(keyword);
  }
  EncodeUriEntries(d.conf_uris, m->mutable_conf_uris());
  EncodeUriEntries(d.service_uris, m->mutable_service_uris());
  if (d.maximum_user_count.has_value()) {
    m->set_maximum_user_count(*d.maximum_user_count);
  }
  for (const engine::AvailableMedia& a : d.available_media) {
    pb::AvailableMedia* am = m->add_available_media();
    am->set_label(a.label);
    am->set_display_text(a.display_text);
    am->set_type(a.type);
    am->set_status(OptionalToProto<pb::MediaStatus>(a.status));
    EncodeExtensions(a.extensions, am->mutable_extensions());
    EncodeAttributes(a.attributes, am->mutable_attributes());
  }
  m->set_conference_id(d.conference_id);
  m->set_expiry_time(d.expiry_time);
  m->set_admission_policy(
      OptionalToProto<pb::AdmissionPolicy>(d.admission_policy));
  m->set_presenter_policy(
      OptionalToProto<pb::PresenterPolicy>(d.presenter_policy));
  if (d.pstn_access.has_value()) {
    pb::PstnAccess* p = m->mutable_pstn_access();
    p->set_id(d.pstn_access->id);
    EncodeExtensions(d.pstn_access->extensions, p->mutable_extensions());
  }
  m->set_organizer_display_name(d.organizer_display_name);
  m->set_join_url(d.join_url);
  EncodeExtensions(d.extensions, m->mutable_extensions());
  EncodeAttributes(d.attributes, m->mutable_attributes());
}

void EncodeHostInfo(const engine::HostInfo& h, pb::HostInfo* m) {
  m->set_display_text(h.display_text);
  m->set_web_page(h.web_page);
  EncodeUriEntries(h.uris, m->mutable_uris());
  EncodeExtensions(h.extensions, m->mutable_extensions());
}

void EncodeState(const engine::ConferenceState& s, pb::ConferenceState* m) {
  m->set_user_count(s.user_count);
  m->set_active(s.active);
  m->set_locked(s.locked);
}

void EncodeMedia(const engine::Media& media, pb::Media* m) {
  SetString(media.id.value(), m->mutable_id());
  SetString(media.display_text, m->mutable_display_text());
  SetString(media.type, m->mutable_type());
  SetString(media.label, m->mutable_label());
  SetString(media.src_id, m->mutable_src_id());
  m->set_status(OptionalToProto<pb::MediaStatus>(media.status));
  SetString(media.media_state, m->mutable_media_state());
  SetString(media.media_source_id, m->mutable_media_source_id());
  EncodeExtensions(media.extensions, m->mutable_extensions());
  EncodeAttributes(media.attributes, m->mutable_attributes());
}

void EncodeEndpoint(const engine::Endpoint& e, pb::Endpoint* m) {
  SetString(e.entity.value(), m->mutable_entity());
  SetString(e.display_text, m->mutable_display_text());
  if (e.referred.has_value()) {
    EncodeExecution(*e.referred, m->mutable_referred());
  }
  m->set_status(OptionalToProto<pb::EndpointStatus>(e.status));
  m->set_joining_method(OptionalToProto<pb::JoiningMethod>(e.joining_method));
  m->set_disconnection_method(
      OptionalToProto<pb::DisconnectionMethod>(e.disconnection_method));
  if (e.joining_info.has_value()) {
    EncodeExecution(*e.joining_info, m->mutable_joining_info());
  }
  if (e.disconnection_info.has_value()) {
    EncodeExecution(*e.disconnection_info, m->mutable_disconnection_info());
  }
  for (const std::shared_ptr<const engine::Media>& media : e.media) {
    EncodeMedia(*media, m->add_media());
  }
  if (e.call_info.has_value()) {
    pb::SipCallInfo* c = m->mutable_call_info();
    SetString(e.call_info->display_text, c->mutable_display_text());
    SetString(e.call_info->call_id, c->mutable_call_id());
    SetString(e.call_info->from_tag, c->mutable_from_tag());
    SetString(e.call_info->to_tag, c->mutable_to_tag());
  }
  SetString(e.session_type, m->mutable_session_type());
  SetString(e.endpoint_uri, m->mutable_endpoint_uri());
  SetString(e.refer_to_uri, m->mutable_refer_to_uri());
  SetString(e.session_on_behalf_of, m->mutable_session_on_behalf_of());
  if (e.client_info.has_value()) {
    pb::ClientInfo* c = m->mutable_client_info();
    if (e.client_info->lobby_capable.has_value()) {
      c->set_lobby_capable(*e.client_info->lobby_capable);
    }
    EncodeExtensions(e.client_info->extensions, c->mutable_extensions());
    EncodeAttributes(e.client_info->attributes, c->mutable_attributes());
  }
  EncodeExtensions(e.extensions, m->mutable_extensions());
  EncodeAttributes(e.attributes, m->mutable_attributes());
}

void EncodeUser(const engine::User& u, pb::User* m) {
  SetString(u.entity.value(), m->mutable_entity());
  SetString(u.display_text, m->mutable_display_text());
  EncodeUriEntries(u.associated_aors, m->mutable_associated_aors());
  m->set_role(ToProto<pb::Role>(u.role));
  for (const std::string& language : u.languages) {
    m->add_languages(language);
  }
  SetString(u.cascaded_focus, m->mutable_cascaded_focus());
  for (const std::shared_ptr<const engine::Endpoint>& e : u.endpoints) {
    EncodeEndpoint(*e, m->add_endpoints());
  }
  EncodeExtensions(u.extensions, m->mutable_extensions());
  EncodeAttributes(u.attributes, m->mutable_attributes());
}

void EncodeView(const engine::EntityView& v, pb::EntityView* m) {
  SetString(v.entity, m->mutable_entity());
  SetString(v.mcu_type, m->mutable_mcu_type());
  if (v.capabilities.has_value()) {
    const engine::EntityCapabilities& c = *v.capabilities;
    pb::EntityCapabilities* cm = m->mutable_capabilities();
    if (c.supports_audio.has_value()) {
      cm->set_supports_audio(*c.supports_audio);
    }
    if (c.supports_video.has_value()) {
      cm->set_supports_video(*c.supports_video);
    }
    cm->set_control_permission(c.control_permission);
    EncodeExtensions(c.extensions, cm->mutable_extensions());
  }
  pb::EntityState* s = m->mutable_state();
  SetString(v.state.application, s->mutable_application());
  if (v.state.locked.has_value()) {
    s->set_locked(*v.state.locked);
  }
  for (const engine::EntityMedia& media : v.state.media) {
    pb::EntityMedia* mm = s->add_media();
    mm->set_label(media.label);
    mm->set_display_text(media.display_text);
    mm->set_type(media.type);
    mm->set_status(OptionalToProto<pb::MediaStatus>(media.status));
    mm->set_video_mode(media.video_mode);
    EncodeExtensions(media.extensions, mm->mutable_extensions());
  }
  EncodeExtensions(v.state.extensions, s->mutable_extensions());
  EncodeAttributes(v.state.attributes, s->mutable_attributes());
  EncodeExtensions(v.extensions, m->mutable_extensions());
  EncodeAttributes(v.attributes, m->mutable_attributes());
}

void EncodeTime(absl::Time t, pb::Time* m) {
  if (t == absl::InfiniteFuture()) {
    m->set_infinite_future(true);
    return;
  }
  if (t == absl::InfinitePast()) {
    m->set_infinite_past(true);
    return;
  }
  const int64_t seconds = absl::ToUnixSeconds(t);  // Rounds down.
  absl::Duration rest = t - absl::FromUnixSeconds(seconds);
  // absl::Time counts quarter nanoseconds: the division is exact.
  const int64_t quarters =
      absl::IDivDuration(rest, absl::Nanoseconds(1) / 4, &rest);
  m->set_unix_seconds(seconds);
  m->set_quarter_nanos(static_cast<uint32_t>(quarters));
}

}  // namespace

void EncodeConference(const NodeKeyBytes& node_key,
                      const engine::ConferenceSnapshot& s, pb::Conference* m) {
  SetString(s.entity.value(), m->mutable_entity());
  m->set_version(s.version);
  SetString(s.organizer.value(), m->mutable_organizer());
  if (s.description != nullptr) {
    EncodeDescription(*s.description, m->mutable_description());
  }
  if (s.host_info != nullptr) {
    EncodeHostInfo(*s.host_info, m->mutable_host_info());
  }
  if (s.state != nullptr) {
    EncodeState(*s.state, m->mutable_state());
  }
  for (const std::shared_ptr<const engine::User>& user : s.users) {
    EncodeUser(*user, m->add_users());
  }
  for (const std::shared_ptr<const engine::User>& user : s.lobby) {
    EncodeUser(*user, m->add_lobby());
  }
  for (const std::shared_ptr<const engine::EntityView>& view : s.views) {
    EncodeView(*view, m->add_views());
  }
  m->set_sealed_key(SealConferenceKey(node_key, s.key, s.entity.value()));
  m->set_key_epoch(s.key.epoch);
  if (!s.web_join.internal().empty() || !s.web_join.external().empty()) {
    pb::WebJoinUris plain;
    SetString(s.web_join.internal(), plain.mutable_internal());
    SetString(s.web_join.external(), plain.mutable_external());
    std::string bytes = plain.SerializeAsString();
    m->set_sealed_web_join(Seal(node_key, bytes, SealPurpose::kWebJoin,
                                s.entity.value(), std::nullopt));
    OPENSSL_cleanse(bytes.data(), bytes.size());
  }
  if (s.expires_at != absl::InfiniteFuture()) {
    EncodeTime(s.expires_at, m->mutable_expires_at());
  }
  EncodeExtensions(s.extensions, m->mutable_extensions());
}

void EncodeDelta(const engine::ConferenceDelta& d, pb::Delta* m) {
  SetString(d.conference.value(), m->mutable_conference());
  m->set_version(d.version);
  if (d.description != nullptr) {
    EncodeDescription(*d.description, m->mutable_description());
  }
  if (d.host_info != nullptr) {
    EncodeHostInfo(*d.host_info, m->mutable_host_info());
  }
  if (d.state != nullptr) {
    EncodeState(*d.state, m->mutable_state());
  }
  for (const engine::UserChange& change : d.users) {
    pb::UserChange* c = m->add_users();
    c->set_list(ToProto<pb::UserList>(change.list));
    c->set_kind(ToProto<pb::ChangeKind>(change.kind));
    SetString(change.entity.value(), c->mutable_entity());
    if (change.user != nullptr) {
      EncodeUser(*change.user, c->mutable_user());
    }
    for (const engine::EndpointChange& ec : change.endpoints) {
      pb::EndpointChange* e = c->add_endpoints();
      e->set_kind(ToProto<pb::ChangeKind>(ec.kind));
      SetString(ec.entity.value(), e->mutable_entity());
      if (ec.endpoint != nullptr) {
        EncodeEndpoint(*ec.endpoint, e->mutable_endpoint());
      }
    }
  }
  for (const engine::EntityViewChange& change : d.views) {
    pb::EntityViewChange* c = m->add_views();
    c->set_kind(ToProto<pb::ChangeKind>(change.kind));
    SetString(change.entity, c->mutable_entity());
    if (change.view != nullptr) {
      EncodeView(*change.view, c->mutable_view());
    }
  }
}

// ---------------------------------------------------------------------------
// Proto -> model.

template <typename Model>
absl::StatusOr<std::optional<Model>> Decoder::OptionalEnum(
    int value, int max, absl::string_view what) const {
  if (value == 0) {
    return std::optional<Model>();
  }
  std::optional<Model> model = FromProto<Model>(value, max);
  if (!model.has_value()) {
    return Error(absl::StrCat("unknown ", what, " ", value));
  }
  return model;
}

template <typename Model>
absl::StatusOr<Model> Decoder::RequiredEnum(int value, int max,
                                            absl::string_view what) const {
  std::optional<Model> model = FromProto<Model>(value, max);
  if (!model.has_value()) {
    return Error(value == 0 ? absl::StrCat("missing ", what)
                            : absl::StrCat("unknown ", what, " ", value));
  }
  return *model;
}

std::vector<engine::Extension> Decoder::DecodeExtensions(
    const google::protobuf::RepeatedPtrField<pb::Extension>& list) {
  std::vector<engine::Extension> out;
  out.reserve(list.size());
  for (const pb::Extension& m : list) {
    out.push_back(engine::Extension{m.namespace_uri(), m.local_name(),
                                    m.raw_xml(), m.separators_before()});
  }
  return out;
}

std::vector<engine::ExtensionAttribute> Decoder::DecodeAttributes(
    const google::protobuf::RepeatedPtrField<pb::ExtensionAttribute>& list) {
  std::vector<engine::ExtensionAttribute> out;
  out.reserve(list.size());
  for (const pb::ExtensionAttribute& m : list) {
    out.push_back(engine::ExtensionAttribute{m.namespace_uri(), m.local_name(),
                                             m.value()});
  }
  return out;
}

engine::Execution Decoder::DecodeExecution(const pb::Execution& m) {
  engine::Execution e;
  e.when = m.when();
  e.reason = m.reason();
  e.by = m.by();
  return e;
}

std::vector<engine::UriEntry> Decoder::DecodeUriEntries(
    const google::protobuf::RepeatedPtrField<pb::UriEntry>& list) {
  std::vector<engine::UriEntry> out;
  out.reserve(list.size());
  for (const pb::UriEntry& m : list) {
    engine::UriEntry& e = out.emplace_back();
    e.uri = m.uri();
    e.display_text = m.display_text();
    e.purpose = m.purpose();
    if (m.has_modified()) {
      e.modified = DecodeExecution(m.modified());
    }
    e.extensions = DecodeExtensions(m.extensions());
    e.attributes = DecodeAttributes(m.attributes());
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const engine::ConferenceDescription>>
Decoder::DecodeDescription(const pb::ConferenceDescription& m) const {
  auto d = std::make_shared<engine::ConferenceDescription>();
  d->display_text = m.display_text();
  d->subject = m.subject();
  d->free_text = m.free_text();
  d->keywords.assign(m.keywords().begin(), m.keywords().end());
  d->conf_uris = DecodeUriEntries(m.conf_uris());
  d->service_uris = DecodeUriEntries(m.service_uris());
  if (m.has_maximum_user_count()) {
    d->maximum_user_count = m.maximum_user_count();
  }
  for (const pb::AvailableMedia& am : m.available_media()) {
    engine::AvailableMedia& a = d->available_media.emplace_back();
    a.label = am.label();
    a.display_text = am.display_text();
    a.type = am.type();
    CONF_ASSIGN_OR_RETURN(
        a.status, OptionalEnum<engine::MediaStatus>(
                      am.status(), pb::MediaStatus_MAX, "media status"));
    a.extensions = DecodeExtensions(am.extensions());
    a.attributes = DecodeAttributes(am.attributes());
  }
  d->conference_id = m.conference_id();
  d->expiry_time = m.expiry_time();
  CONF_ASSIGN_OR_RETURN(
      d->admission_policy,
      OptionalEnum<engine::AdmissionPolicy>(
          m.admission_policy(), pb::AdmissionPolicy_MAX, "admission policy"));
  CONF_ASSIGN_OR_RETURN(
      d->presenter_policy,
      OptionalEnum<engine::PresenterPolicy>(
          m.presenter_policy(), pb::PresenterPolicy_MAX, "presenter policy"));
  if (m.has_pstn_access()) {
    d->pstn_access = engine::PstnAccess{
        m.pstn_access().id(), DecodeExtensions(m.pstn_access().extensions())};
  }
  d->organizer_display_name = m.organizer_display_name();
  d->join_url = m.join_url();
  d->extensions = DecodeExtensions(m.extensions());
  d->attributes = DecodeAttributes(m.attributes());
  return d;
}

std::shared_ptr<const engine::HostInfo> Decoder::DecodeHostInfo(
    const pb::HostInfo& m) {
  auto h = std::make_shared<engine::HostInfo>();
  h->display_text = m.display_text();
  h->web_page = m.web_page();
  h->uris = DecodeUriEntries(m.uris());
  h->extensions = DecodeExtensions(m.extensions());
  return h;
}

std::shared_ptr<const engine::ConferenceState> Decoder::DecodeState(
    const pb::ConferenceState& m) {
  auto s = std::make_shared<engine::ConferenceState>();
  s->user_count = m.user_count();
  s->active = m.active();
  s->locked = m.locked();
  return s;
}

absl::StatusOr<std::shared_ptr<const engine::Endpoint>> Decoder::DecodeEndpoint(
    const pb::Endpoint& m) const {
  auto e = std::make_shared<engine::Endpoint>();
  e->entity = engine::EndpointId(m.entity());
  e->display_text = m.display_text();
  if (m.has_referred()) {
    e->referred = DecodeExecution(m.referred());
  }
  CONF_ASSIGN_OR_RETURN(
      e->status, OptionalEnum<engine::EndpointStatus>(
                     m.status(), pb::EndpointStatus_MAX, "endpoint status"));
  CONF_ASSIGN_OR_RETURN(
      e->joining_method,
      OptionalEnum<engine::JoiningMethod>(
          m.joining_method(), pb::JoiningMethod_MAX, "joining method"));
  CONF_ASSIGN_OR_RETURN(
      e->disconnection_method,
      OptionalEnum<engine::DisconnectionMethod>(m.disconnection_method(),
                                                pb::DisconnectionMethod_MAX,
                                                "disconnection method"));
  if (m.has_joining_info()) {
    e->joining_info = DecodeExecution(m.joining_info());
  }
  if (m.has_disconnection_info()) {
    e->disconnection_info = DecodeExecution(m.disconnection_info());
  }
  for (const pb::Media& mm : m.media()) {
    auto media = std::make_shared<engine::Media>();
    media->id = engine::MediaId(mm.id());
    media->display_text = mm.display_text();
    media->type = mm.type();
    media->label = mm.label();
    media->src_id = mm.src_id();
    CONF_ASSIGN_OR_RETURN(
        media->status, OptionalEnum<engine::MediaStatus>(
                           mm.status(), pb::MediaStatus_MAX, "media status"));
    media->media_state = mm.media_state();
    media->media_source_id = mm.media_source_id();
    media->extensions = DecodeExtensions(mm.extensions());
    media->attributes = DecodeAttributes(mm.attributes());
    e->media.push_back(std::move(media));
  }
  if (m.has_call_info()) {
    const pb::SipCallInfo& c = m.call_info();
    engine::SipCallInfo info;
    info.display_text = c.display_text();
    info.call_id = c.call_id();
    info.from_tag = c.from_tag();
    info.to_tag = c.to_tag();
    e->call_info = std::move(info);
  }
  e->session_type = m.session_type();
  e->endpoint_uri = m.endpoint_uri();
  e->refer_to_uri = m.refer_to_uri();
  e->session_on_behalf_of = m.session_on_behalf_of();
  if (m.has_client_info()) {
    const pb::ClientInfo& c = m.client_info();
    engine::ClientInfo info;
    if (c.has_lobby_capable()) {
      info.lobby_capable = c.lobby_capable();
    }
    info.extensions = DecodeExtensions(c.extensions());
    info.attributes = DecodeAttributes(c.attributes());
    e->client_info = std::move(info);
  }
  e->extensions = DecodeExtensions(m.extensions());
  e->attributes = DecodeAttributes(m.attributes());
  return e;
}

absl::StatusOr<std::shared_ptr<const engine::User>> Decoder::DecodeUser(
    const pb::User& m) const {
  auto u = std::make_shared<engine::User>();
  u->entity = engine::UserId(m.entity());
  u->display_text = m.display_text();
  u->associated_aors = DecodeUriEntries(m.associated_aors());
  CONF_ASSIGN_OR_RETURN(
      u->role, RequiredEnum<engine::Role>(m.role(), pb::Role_MAX, "role"));
  u->languages =
      std::vector<std::string>(m.languages().begin(), m.languages().end());
  u->cascaded_focus = m.cascaded_focus();
  for (const pb::Endpoint& e : m.endpoints()) {
    CONF_ASSIGN_OR_RETURN(std::shared_ptr<const engine::Endpoint> endpoint,
                          DecodeEndpoint(e));
    u->endpoints.push_back(std::move(endpoint));
  }
  u->extensions = DecodeExtensions(m.extensions());
  u->attributes = DecodeAttributes(m.attributes());
  return u;
}

absl::StatusOr<engine::UserMap> Decoder::DecodeUsers(
    const google::protobuf::RepeatedPtrField<pb::User>& list) const {
  engine::UserMap map;
  for (const pb::User& m : list) {
    CONF_ASSIGN_OR_RETURN(std::shared_ptr<const engine::User> user,
                          DecodeUser(m));
    if (map.Contains(user->entity)) {
      return Error(absl::StrCat(
          "user ", absl::CEscape(m.entity().substr(0, 64)), " listed twice"));
    }
    map = map.Set(std::move(user));
  }
  return map;
}

absl::StatusOr<std::shared_ptr<const engine::EntityView>> Decoder::DecodeView(
    const pb::EntityView& m) const {
  auto v = std::make_shared<engine::EntityView>();
  v->entity = m.entity();
  v->mcu_type = m.mcu_type();
  if (m.has_capabilities()) {
    const pb::EntityCapabilities& cm = m.capabilities();
    engine::EntityCapabilities c;
    if (cm.has_supports_audio()) {
      c.supports_audio = cm.supports_audio();
    }
    if (cm.has_supports_video()) {
      c.supports_video = cm.supports_video();
    }
    c.control_permission = cm.control_permission();
    c.extensions = DecodeExtensions(cm.extensions());
    v->capabilities = std::move(c);
  }
  const pb::EntityState& sm = m.state();
  v->state.application = sm.application();
  if (sm.has_locked()) {
    v->state.locked = sm.locked();
  }
  if (!sm.media().empty()) {
    std::vector<engine::EntityMedia> media;
    media.reserve(sm.media_size());
    for (const pb::EntityMedia& mm : sm.media()) {
      engine::EntityMedia& em = media.emplace_back();
      em.label = mm.label();
      em.display_text = mm.display_text();
      em.type = mm.type();
      CONF_ASSIGN_OR_RETURN(
          em.status, OptionalEnum<engine::MediaStatus>(
                         mm.status(), pb::MediaStatus_MAX, "media status"));
      em.video_mode = mm.video_mode();
      em.extensions = DecodeExtensions(mm.extensions());
    }
    v->state.media = std::move(media);
  }
  v->state.extensions = DecodeExtensions(sm.extensions());
  v->state.attributes = DecodeAttributes(sm.attributes());
  v->extensions = DecodeExtensions(m.extensions());
  v->attributes = DecodeAttributes(m.attributes());
  return v;
}

absl::StatusOr<absl::Time> Decoder::DecodeTime(const pb::Time& m) const {
  const bool finite = m.unix_seconds() != 0 || m.quarter_nanos() != 0;
  if (m.infinite_future() + m.infinite_past() + finite > 1) {
    return Error("time both infinite and finite");
  }
  if (m.infinite_future()) {
    return absl::InfiniteFuture();
  }
  if (m.infinite_past()) {
    return absl::InfinitePast();
  }
  constexpr uint32_t kQuartersPerSecond = 4'000'000'000;
  if (m.quarter_nanos() >= kQuartersPerSecond) {
    return Error(
        absl::StrCat("time fraction ", m.quarter_nanos(), " over a second"));
  }
  return absl::FromUnixSeconds(m.unix_seconds()) +
         absl::Nanoseconds(1) / 4 * static_cast<int64_t>(m.quarter_nanos());
}

absl::StatusOr<engine::ConferenceSnapshot> Decoder::DecodeConference(
    const pb::Conference& m) const {
  engine::ConferenceSnapshot s;
  s.entity = engine::ConferenceId(m.entity());
  s.version = m.version();
  s.organizer = engine::UserId(m.organizer());
  if (m.has_description()) {
    CONF_ASSIGN_OR_RETURN(s.description, DecodeDescription(m.description()));
  }
  if (m.has_host_info()) {
    s.host_info = DecodeHostInfo(m.host_info());
  }
  if (m.has_state()) {
    s.state = DecodeState(m.state());
  }
  CONF_ASSIGN_OR_RETURN(s.users, DecodeUsers(m.users()));
  CONF_ASSIGN_OR_RETURN(s.lobby, DecodeUsers(m.lobby()));
  s.views.reserve(m.views_size());
  for (const pb::EntityView& v : m.views()) {
    CONF_ASSIGN_OR_RETURN(std::shared_ptr<const engine::EntityView> view,
                          DecodeView(v));
    s.views.push_back(std::move(view));
  }
  CONF_ASSIGN_OR_RETURN(s.key, DecodeKey(m.sealed_key(), m.key_epoch()));
  if (!m.sealed_web_join().empty()) {
    CONF_ASSIGN_OR_RETURN(
        std::string bytes,
        Open(node_key_, m.sealed_web_join(), SealPurpose::kWebJoin, conference_,
             std::nullopt));
    pb::WebJoinUris plain;
    const bool parsed = plain.ParseFromString(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!parsed) {
      return Error("sealed web-join URIs do not parse");
    }
    s.web_join = engine::WebJoinUris(plain.internal(), plain.external());
  }
  if (m.has_expires_at()) {
    CONF_ASSIGN_OR_RETURN(s.expires_at, DecodeTime(m.expires_at()));
  }
  s.extensions = DecodeExtensions(m.extensions());
  return s;
}

absl::StatusOr<engine::ConferenceDelta> Decoder::DecodeDelta(
    const pb::Delta& m) const {
  engine::ConferenceDelta d;
  d.conference = engine::ConferenceId(m.conference());
  d.version = m.version();
  d.kind = engine::DeltaKind::kUpdate;
  if (m.has_description()) {
    CONF_ASSIGN_OR_RETURN(d.description, DecodeDescription(m.description()));
  }
  if (m.has_host_info()) {
    d.host_info = DecodeHostInfo(m.host_info());
  }
  if (m.has_state()) {
    d.state = DecodeState(m.state());
  }
  d.users.reserve(m.users_size());
  for (const pb::UserChange& c : m.users()) {
    engine::UserChange& change = d.users.emplace_back();
    CONF_ASSIGN_OR_RETURN(
        change.list, RequiredEnum<engine::UserList>(c.list(), pb::UserList_MAX,
                                                    "user list"));
    CONF_ASSIGN_OR_RETURN(change.kind,
                          RequiredEnum<engine::ChangeKind>(
                              c.kind(), pb::ChangeKind_MAX, "change kind"));
    change.entity = engine::UserId(c.entity());
    if (c.has_user()) {
      CONF_ASSIGN_OR_RETURN(change.user, DecodeUser(c.user()));
    }
    // ApplyDelta keys kFull changes by the user, the others by the entity.
    if (change.kind != engine::ChangeKind::kDeleted &&
        (change.user == nullptr || change.user->entity != change.entity)) {
      return Error(absl::StrCat("user change for ",
                                absl::CEscape(c.entity().substr(0, 64)),
                                " without that user"));
    }
    for (const pb::EndpointChange& ec : c.endpoints()) {
      engine::EndpointChange& echange = change.endpoints.emplace_back();
      CONF_ASSIGN_OR_RETURN(echange.kind,
                            RequiredEnum<engine::ChangeKind>(
                                ec.kind(), pb::ChangeKind_MAX, "change kind"));
      echange.entity = engine::EndpointId(ec.entity());
      if (ec.has_endpoint()) {
        CONF_ASSIGN_OR_RETURN(echange.endpoint, DecodeEndpoint(ec.endpoint()));
      }
      if (echange.kind != engine::ChangeKind::kDeleted &&
          (echange.endpoint == nullptr ||
           echange.endpoint->entity != echange.entity)) {
        return Error(absl::StrCat("endpoint change for ",
                                  absl::CEscape(ec.entity().substr(0, 64)),
                                  " without that endpoint"));
      }
    }
  }
  d.views.reserve(m.views_size());
  for (const pb::EntityViewChange& c : m.views()) {
    engine::EntityViewChange& change = d.views.emplace_back();
    CONF_ASSIGN_OR_RETURN(change.kind,
                          RequiredEnum<engine::ChangeKind>(
                              c.kind(), pb::ChangeKind_MAX, "change kind"));
    change.entity = c.entity();
    if (c.has_view()) {
      CONF_ASSIGN_OR_RETURN(change.view, DecodeView(c.view()));
    }
    if (change.kind != engine::ChangeKind::kDeleted &&
        (change.view == nullptr || change.view->entity != change.entity)) {
      return Error(absl::StrCat("entity-view change for ",
                                absl::CEscape(c.entity().substr(0, 64)),
                                " without that view"));
    }
  }
  return d;
}

}  // namespace internal
}  // namespace journal
}  // namespace conf
