// The conference state model: immutable snapshots of one conference (RFC 4575
// conference-info plus the Microsoft extensions of MS-CONFBAS), the deltas
// that take one snapshot version to the next, and the typed requests the
// store applies (one per C3P command).
//
// Ownership and thread safety: every model object is immutable once shared.
// Objects are held by std::shared_ptr<const T> and replaced, never modified,
// when they change, so a snapshot stays valid for as long as a reader holds
// it while writers go on. A snapshot's users and lobby are persistent ordered
// maps (engine/internal/persistent_map.h): a change to one user copies a
// bounded number of pointers and shares every other user with the previous
// version. All const methods and free functions here are thread-safe.
//
// Text fields of the per-user objects (User, Endpoint, Media, Execution,
// SipCallInfo) and every id are CompactString (engine/compact_string.h): one
// word, empty or short values inline, copies share the bytes. They convert to
// absl::string_view; ids expose theirs through value().
//
// Extension content (PROTOCOL.md §5.1): unknown elements received in requests
// are kept, in document order, as `Extension` fragments (namespace, local
// name and a serialized self-contained fragment that encoders re-emit
// verbatim); unknown attributes as `ExtensionAttribute`.
//
// Render slots: User, Endpoint, EntityView, ConferenceDescription and
// ConferenceSnapshot carry a `mutable RenderSlot rendered`, an opaque
// set-once cache for encoders (the codec stores the element's encoded bytes
// there). Objects are replaced on change, so a filled slot is valid for the
// object it sits in; reading a filled slot (RenderSlot::Peek) is one atomic
// load. Slots never take part in equality and are empty in copies. Each chunk
// of a UserMap has one too (below).

#ifndef CONF_ENGINE_MODEL_H_
#define CONF_ENGINE_MODEL_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "engine/boxed.h"
#include "engine/compact_string.h"
#include "engine/internal/persistent_map.h"

namespace conf {
namespace engine {

namespace internal {
// The store prefetches the lines a mutation will update (docs/ENGINE.md,
// "Mutations on two threads"). StrongId, Boxed, BoxedVector and WebJoinUris
// name the line of their own reference count to it through this friend
// (engine/internal/prefetch.h), so a change of layout changes the address
// with it, and none of that shows in their interfaces.
class PrefetchAccess;
}  // namespace internal

// ---------------------------------------------------------------------------
// Strong ids (STYLE §4).

// An id that is a string on the wire but a distinct type in code. Compared
// byte for byte (RFC 4575 §4.5: keys are compared as anyURI bytes).
template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(CompactString value) : value_(std::move(value)) {}
  explicit StrongId(const std::string& value) : value_(value) {}
  explicit StrongId(absl::string_view value) : value_(value) {}
  explicit StrongId(const char* value) : value_(value) {}

  // Valid while this id is alive and unmodified.
  absl::string_view value() const { return value_.view(); }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const StrongId& a, const StrongId& b) {
    return a.value_ == b.value_;
  }
  friend bool operator!=(const StrongId& a, const StrongId& b) {
    return a.value_ != b.value_;
  }
  friend bool operator<(const StrongId& a, const StrongId& b) {
    return a.value_ < b.value_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const StrongId& id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  friend class internal::PrefetchAccess;

  CompactString value_;
};

struct ConferenceIdTag {};
struct UserIdTag {};
struct EndpointIdTag {};
struct MediaIdTag {};

// The focus URI, i.e. conference-info/@entity.
using ConferenceId = StrongId<ConferenceIdTag>;
// user/@entity (a SIP URI).
using UserId = StrongId<UserIdTag>;
// endpoint/@entity, unique within its user.
using EndpointId = StrongId<EndpointIdTag>;
// media/@id, unique within its endpoint.
using MediaId = StrongId<MediaIdTag>;

// ---------------------------------------------------------------------------
// Extension content (PROTOCOL.md §5.1).

// An unknown element, kept in document order and re-emitted verbatim.
// `raw_xml` is a serialized, self-contained fragment (it declares every
// namespace prefix it uses).
struct Extension {
  std::string namespace_uri;
  std::string local_name;
  std::string raw_xml;
  // How many cis:separator elements preceded it in its parent element
  // (PROTOCOL.md §5.1): encoders write it after at least as many, so an
  // extension of a newer generation stays in its generation.
  int separators_before = 0;

  friend bool operator==(const Extension& a, const Extension& b) {
    return a.namespace_uri == b.namespace_uri && a.local_name == b.local_name &&
           a.raw_xml == b.raw_xml && a.separators_before == b.separators_before;
  }
  friend bool operator!=(const Extension& a, const Extension& b) {
    return !(a == b);
  }
};

// An unknown attribute (anyAttribute ##other), kept in document order.
struct ExtensionAttribute {
  std::string namespace_uri;
  std::string local_name;
  std::string value;

  friend bool operator==(const ExtensionAttribute& a,
                         const ExtensionAttribute& b) {
    return a.namespace_uri == b.namespace_uri && a.local_name == b.local_name &&
           a.value == b.value;
  }
  friend bool operator!=(const ExtensionAttribute& a,
                         const ExtensionAttribute& b) {
    return !(a == b);
  }
};

// ---------------------------------------------------------------------------
// Render cache.

// An opaque, thread-safe, set-once cache slot for encoders. Copies start
// empty; it never takes part in equality. The engine never reads it.
//
// Reading is the hot path (every document copies every user's cached bytes),
// so Peek() is a single acquire load of a raw pointer: no lock, no reference
// count. The slot owns what it holds until it is destroyed (or assigned to);
// the first value stored wins and is never replaced.
class RenderSlot {
 public:
  RenderSlot() = default;
  // A copy starts empty; assignment empties the target (its object's value
  // changes, so what it cached is stale). Neither may race with readers of
  // the target, as for any non-const use of a model object.
  RenderSlot(const RenderSlot&) {}
  RenderSlot& operator=(const RenderSlot& other) {
    if (this != &other) {
      Clear();
    }
    return *this;
  }
  // The object holding the slot is no longer shared when it is destroyed,
  // so a plain load suffices: an empty slot (most of those a mutation frees)
  // costs no atomic read-modify-write.
  ~RenderSlot() { delete holder_.load(std::memory_order_relaxed); }

  // The cached bytes, or nullptr if nothing was stored yet. The pointer stays
  // valid for as long as the slot (the object it sits in) lives; callers that
  // hold that object (through its snapshot) need no reference of their own.
  // A slot being filled concurrently may still read nullptr for a moment;
  // SetOnce() then returns (and publishes) the stored value.
  const std::string* Peek() const {
    return bytes_.load(std::memory_order_acquire);
  }

  // The cached bytes with shared ownership (valid beyond the slot), or
  // nullptr if nothing was stored yet. Costs a reference count; prefer Peek()
  // while the owning object is held.
  std::shared_ptr<const std::string> Get() const {
    const Holder* holder = holder_.load(std::memory_order_acquire);
    return holder != nullptr ? holder->bytes : nullptr;
  }

  // Stores `bytes` (not null) unless something is already stored; returns
  // what the slot holds afterwards (the first value stored wins).
  std::shared_ptr<const std::string> SetOnce(
      std::shared_ptr<const std::string> bytes) const {
    if (bytes == nullptr) {
      return Get();
    }
    const Holder* winner = holder_.load(std::memory_order_acquire);
    if (winner == nullptr) {
      const Holder* mine = new Holder{std::move(bytes)};
      if (holder_.compare_exchange_strong(winner, mine,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
        winner = mine;
      } else {
        delete mine;  // Another thread stored first; `winner` is its holder.
      }
    }
    // Publishing the (same) winner again from every caller means Peek() on
    // this thread sees it once SetOnce() has returned.
    bytes_.store(winner->bytes.get(), std::memory_order_release);
    return winner->bytes;
  }

 private:
  struct Holder {
    std::shared_ptr<const std::string> bytes;
  };

  void Clear() {
    bytes_.store(nullptr, std::memory_order_relaxed);
    delete holder_.exchange(nullptr, std::memory_order_acq_rel);
  }

  // Ownership: set once by the SetOnce() that wins, deleted by Clear().
  mutable std::atomic<const Holder*> holder_{nullptr};
  // The winner's bytes, published after `holder_`: Peek() reads only this.
  mutable std::atomic<const std::string*> bytes_{nullptr};
};

// ---------------------------------------------------------------------------
// Enumerations (RFC 4575 XSD; PROTOCOL.md §3.2). The codec maps them to the
// wire strings.

// endpoint-status-type.
enum class EndpointStatus : uint8_t {
  kPending,
  kDialingOut,
  kDialingIn,
  kAlerting,
  kOnHold,
  kConnected,
  kMutedViaFocus,
  kDisconnecting,
  kDisconnected,
};

// joining-type.
enum class JoiningMethod : uint8_t { kDialedIn, kDialedOut, kFocusOwner };

// disconnection-type.
enum class DisconnectionMethod : uint8_t { kDeparted, kBooted, kFailed, kBusy };

// media-status-type (direction from the participant's point of view).
enum class MediaStatus : uint8_t { kRecvOnly, kSendOnly, kSendRecv, kInactive };

// msci:admission-policy.
enum class AdmissionPolicy {
  kClosedAuthenticated,
  kOpenAuthenticated,
  kAnonymous
};

// Whom a join may make a presenter (docs/ENGINE.md, "Roles and admission").
// A cap on the role a joining user asks for: a join never grants more, and
// leaders may still promote anyone. MS schedules it as automatic leader
// assignment (UCMA's Disabled, SameEnterprise, Everyone).
enum class PresenterPolicy : uint8_t {
  kOrganizerOnly,  // Nobody but the organizer joins as a presenter.
  kOrganization,   // Users of the organizer's organization (the default).
  kEveryone,       // Anyone authenticated (never an anonymous user).
};

// The role of a user in a conference. Leaders are the organizer and the
// presenters. On the wire (user/roles/entry) MS uses "presenter" and
// "attendee"; the organizer is a presenter that the conference names as its
// organizer (see docs/ENGINE.md).
enum class Role : uint8_t { kOrganizer, kPresenter, kAttendee };

inline bool IsLeader(Role role) { return role != Role::kAttendee; }

// ---------------------------------------------------------------------------
// Value types.

// execution-type (referred, joining-info, disconnection-info, modified).
struct Execution {
  CompactString when;  // xs:dateTime as received or generated, e.g. UTC "...Z".
  CompactString reason;
  CompactString by;  // anyURI.

  friend bool operator==(const Execution& a, const Execution& b) {
    return a.when == b.when && a.reason == b.reason && a.by == b.by;
  }
  friend bool operator!=(const Execution& a, const Execution& b) {
    return !(a == b);
  }
};

// uri-type: one entry of conf-uris, service-uris, associated-aors,
// host-info/uris. Keyed by `uri` within its list.
struct UriEntry {
  std::string uri;
  std::string display_text;
  std::string purpose;
  std::optional<Execution> modified;
  std::vector<Extension> extensions;
  std::vector<ExtensionAttribute> attributes;

  friend bool operator==(const UriEntry& a, const UriEntry& b);
  friend bool operator!=(const UriEntry& a, const UriEntry& b) {
    return !(a == b);
  }
};

// conference-medium-type: one entry of available-media (@label required).
struct AvailableMedia {
  std::string label;
  std::string display_text;
  std::string type;
  std::optional<MediaStatus> status;
  std::vector<Extension> extensions;
  std::vector<ExtensionAttribute> attributes;

  friend bool operator==(const AvailableMedia& a, const AvailableMedia& b);
  friend bool operator!=(const AvailableMedia& a, const AvailableMedia& b) {
    return !(a == b);
  }
};

// msci:pstn-access (the seed carries only `id`).
struct PstnAccess {
  std::string id;
  std::vector<Extension> extensions;

  friend bool operator==(const PstnAccess& a, const PstnAccess& b) {
    return a.id == b.id && a.extensions == b.extensions;
  }
  friend bool operator!=(const PstnAccess& a, const PstnAccess& b) {
    return !(a == b);
  }
};

// conference-description (atomic: replaced as a whole on change). The
// encrypted entries (conference key, web-join URIs) are not here: they are
// derived per requester from ConferenceSnapshot::key and ::web_join.
struct ConferenceDescription {
  std::string display_text;
  std::string subject;
  std::string free_text;
  std::vector<std::string> keywords;
  std::vector<UriEntry> conf_uris;  // MCU URIs, one per MCU type.
  std::vector<UriEntry> service_uris;
  std::optional<uint32_t> maximum_user_count;
  std::vector<AvailableMedia> available_media;

  // Microsoft extensions (PROTOCOL.md §5.3).
  std::string conference_id;  // msci:conference-id.
  std::string expiry_time;    // msci:expiry-time, xs:dateTime.
  std::optional<AdmissionPolicy> admission_policy;
  // Absent: PresenterPolicy::kOrganization.
  std::optional<PresenterPolicy> presenter_policy;
  std::optional<PstnAccess> pstn_access;
  std::string organizer_display_name;  // msci:organizer/display-name.
  std::string join_url;                // msci:join-url.

  std::vector<Extension> extensions;
  std::vector<ExtensionAttribute> attributes;

  mutable RenderSlot rendered;

  friend bool operator==(const ConferenceDescription& a,
                         const ConferenceDescription& b);
  friend bool operator!=(const ConferenceDescription& a,
                         const ConferenceDescription& b) {
    return !(a == b);
  }
};

// host-info.
struct HostInfo {
  std::string display_text;
  std::string web_page;
  std::vector<UriEntry> uris;
  std::vector<Extension> extensions;

  friend bool operator==(const HostInfo& a, const HostInfo& b);
  friend bool operator!=(const HostInfo& a, const HostInfo& b) {
    return !(a == b);
  }
};

// conference-state. Maintained by the engine: user_count counts the roster
// (not the lobby), locked mirrors modifyConferenceLock.
struct ConferenceState {
  uint32_t user_count = 0;
  bool active = true;
  bool locked = false;

  friend bool operator==(const ConferenceState& a, const ConferenceState& b) {
    return a.user_count == b.user_count && a.active == b.active &&
           a.locked == b.locked;
  }
  friend bool operator!=(const ConferenceState& a, const ConferenceState& b) {
    return !(a == b);
  }
};

// One media stream of an endpoint (media-type; keyed by `id`).
struct Media {
  MediaId id;
  CompactString display_text;
  CompactString type;   // "audio", "video", "chat", ...
  CompactString label;  // Unique within the conference; SDP a=label.
  CompactString src_id;
  std::optional<MediaStatus> status;
  CompactString media_state;      // msci:media-state, e.g. "connected".
  CompactString media_source_id;  // msci:media-source-id.
  BoxedVector<Extension> extensions;
  BoxedVector<ExtensionAttribute> attributes;

  friend bool operator==(const Media& a, const Media& b);
  friend bool operator!=(const Media& a, const Media& b) { return !(a == b); }
};

// sip-dialog-id-type (endpoint/call-info/sip).
struct SipCallInfo {
  CompactString display_text;
  CompactString call_id;
  CompactString from_tag;
  CompactString to_tag;

  friend bool operator==(const SipCallInfo& a, const SipCallInfo& b) {
    return a.display_text == b.display_text && a.call_id == b.call_id &&
           a.from_tag == b.from_tag && a.to_tag == b.to_tag;
  }
  friend bool operator!=(const SipCallInfo& a, const SipCallInfo& b) {
    return !(a == b);
  }
};

// msci:clientInfo. Its 2008/12 content follows a cis:separator
// (PROTOCOL.md §5.1); `lobby_capable` is msci2:lobby-capable.
struct ClientInfo {
  std::optional<bool> lobby_capable;
  std::vector<Extension> extensions;
  std::vector<ExtensionAttribute> attributes;

  friend bool operator==(const ClientInfo& a, const ClientInfo& b) {
    return a.lobby_capable == b.lobby_capable && a.extensions == b.extensions &&
           a.attributes == b.attributes;
  }
  friend bool operator!=(const ClientInfo& a, const ClientInfo& b) {
    return !(a == b);
  }
};

// endpoint-type (keyed by `entity` within its user).
struct Endpoint {
  EndpointId entity;
  CompactString display_text;
  Boxed<Execution> referred;
  // The three optional enums sit together (6 bytes, one word).
  std::optional<EndpointStatus> status;
  std::optional<JoiningMethod> joining_method;
  std::optional<DisconnectionMethod> disconnection_method;
  Boxed<Execution> joining_info;
  Boxed<Execution> disconnection_info;
  // Media streams in document order; ids are unique within the endpoint.
  // Two (audio and video) are stored inline.
  absl::InlinedVector<std::shared_ptr<const Media>, 2> media;
  Boxed<SipCallInfo> call_info;

  // Microsoft attributes (msci:session-type, ...) and elements.
  CompactString session_type;  // "focus", "chat", "audio-video", ...
  CompactString endpoint_uri;
  CompactString refer_to_uri;
  CompactString session_on_behalf_of;
  Boxed<ClientInfo> client_info;

  BoxedVector<Extension> extensions;
  BoxedVector<ExtensionAttribute> attributes;

  mutable RenderSlot rendered;

  // The media stream with `id`, or nullptr.
  const Media* FindMedia(const MediaId& id) const;

  friend bool operator==(const Endpoint& a, const Endpoint& b);
  friend bool operator!=(const Endpoint& a, const Endpoint& b) {
    return !(a == b);
  }
};

// user-type (keyed by `entity`).
struct User {
  UserId entity;
  CompactString display_text;
  BoxedVector<UriEntry> associated_aors;
  Role role = Role::kAttendee;
  BoxedVector<std::string> languages;
  CompactString cascaded_focus;
  // Endpoints in document order; entities are unique within the user. One
  // is stored inline.
  absl::InlinedVector<std::shared_ptr<const Endpoint>, 1> endpoints;
  BoxedVector<Extension> extensions;
  BoxedVector<ExtensionAttribute> attributes;

  mutable RenderSlot rendered;

  // The endpoint with `entity`, or nullptr.
  const Endpoint* FindEndpoint(const EndpointId& entity) const;

  friend bool operator==(const User& a, const User& b);
  friend bool operator!=(const User& a, const User& b) { return !(a == b); }
};

// One entry of msci:entity-state/msci:media (keyed by `label`).
struct EntityMedia {
  std::string label;
  std::string display_text;
  std::string type;
  std::optional<MediaStatus> status;
  // msci:modal-parameters/msci:video-parameters/msav:video-mode, e.g.
  // "dominant-speaker-switched". Empty when absent.
  std::string video_mode;
  std::vector<Extension> extensions;

  friend bool operator==(const EntityMedia& a, const EntityMedia& b);
  friend bool operator!=(const EntityMedia& a, const EntityMedia& b) {
    return !(a == b);
  }
};

// msci:entity-capabilities. msav:capabilities carries supports-audio and
// supports-video; msas:capabilities (after a cis:separator in the seed)
// carries control-permission.
struct EntityCapabilities {
  std::optional<bool> supports_audio;
  std::optional<bool> supports_video;
  std::string control_permission;
  std::vector<Extension> extensions;

  friend bool operator==(const EntityCapabilities& a,
                         const EntityCapabilities& b);
  friend bool operator!=(const EntityCapabilities& a,
                         const EntityCapabilities& b) {
    return !(a == b);
  }
};

// msci:entity-state.
//
// Every field but `locked` is shared by copies (copy on write): a change of
// `locked` alone, which modifyConferenceLock makes to every view, copies no
// entry and no string.
struct EntityState {
  CompactString application;  // The `application` attribute (meeting MCU).
  std::optional<bool> locked;
  BoxedVector<EntityMedia> media;
  BoxedVector<Extension> extensions;
  BoxedVector<ExtensionAttribute> attributes;

  friend bool operator==(const EntityState& a, const EntityState& b);
  friend bool operator!=(const EntityState& a, const EntityState& b) {
    return !(a == b);
  }
};

// msci:entity-view: one MCU's view of the conference (keyed by `entity`, the
// MCU URI; the focus has a view of its own whose entity is the focus URI).
//
// A view is copied whenever its state changes (a lock change copies every
// view that reports a lock flag), so every field is one word shared by
// copies: the entity and type are CompactStrings (the MCU URI is one heap
// block, the types inline or in the vocabulary), the rest boxed with copy on
// write. A copy updates reference counts and allocates nothing.
struct EntityView {
  CompactString entity;
  CompactString mcu_type;  // "focus", "audio-video", "chat", ...
  Boxed<EntityCapabilities> capabilities;
  EntityState state;
  BoxedVector<Extension> extensions;
  BoxedVector<ExtensionAttribute> attributes;

  mutable RenderSlot rendered;

  friend bool operator==(const EntityView& a, const EntityView& b);
  friend bool operator!=(const EntityView& a, const EntityView& b) {
    return !(a == b);
  }
};

// The 24-byte 3DES conference key (odd DES parity) and its epoch. The epoch
// starts at 1 and changes whenever the key does (PROTOCOL.md §6, §8 item 7).
struct ConferenceKey {
  static constexpr size_t kSize = 24;
  std::array<uint8_t, kSize> bytes{};
  uint32_t epoch = 0;

  friend bool operator==(const ConferenceKey& a, const ConferenceKey& b) {
    return a.bytes == b.bytes && a.epoch == b.epoch;
  }
  friend bool operator!=(const ConferenceKey& a, const ConferenceKey& b) {
    return !(a == b);
  }
};

// The plaintext web-join URIs that the encoder encrypts per requester
// (conf-uris entries with purpose web-internal / web-external). Set when the
// conference is created and never changed after, so copies share one
// immutable block: copying a snapshot (which every mutation does) updates
// one reference count instead of allocating and copying two strings (two
// cold lines read, two written, and as many frees when the old snapshot
// goes). Copies may be made and destroyed concurrently.
class WebJoinUris {
 public:
  // Both empty.
  WebJoinUris() = default;
  WebJoinUris(absl::string_view internal, absl::string_view external);

  // Valid while this object (or a copy) is alive and unassigned.
  absl::string_view internal() const;
  absl::string_view external() const;

  // The shared block, or null when both are empty (copies return the same
  // block).
  const void* block() const { return rep_.get(); }

  friend bool operator==(const WebJoinUris& a, const WebJoinUris& b) {
    return a.internal() == b.internal() && a.external() == b.external();
  }
  friend bool operator!=(const WebJoinUris& a, const WebJoinUris& b) {
    return !(a == b);
  }

 private:
  // Qualified: internal() is a member.
  friend class engine::internal::PrefetchAccess;

  // `bytes` is the internal URI followed by the external one.
  struct Rep {
    std::string bytes;
    size_t internal_size = 0;
  };

  // Null when both are empty.
  std::shared_ptr<const Rep> rep_;
};

namespace internal {
struct UserKeyOf {
  const UserId& operator()(const User& user) const { return user.entity; }
};
}  // namespace internal

// Users ordered by entity bytes (documents are deterministic); structural
// sharing between snapshot versions. Iterate with a range-for over
// `const std::shared_ptr<const User>&`; look up with Find / FindPtr.
//
// Each chunk of (at most 32) users carries a RenderSlot, reached through
// `chunks()` and `Chunk::annex()`: encoders cache there what they derive
// from the chunk's users (the codec: their concatenated bytes). A change to
// one user replaces its chunk only; every other chunk, and its slot, is
// shared with the previous version.
using UserMap =
    internal::PersistentMap<UserId, User, internal::UserKeyOf, RenderSlot>;

// One version of one conference. Immutable; shared by readers.
struct ConferenceSnapshot {
  ConferenceId entity;   // The focus URI.
  uint64_t version = 0;  // Starts at 1 on creation; +1 per mutation.
  UserId organizer;

  std::shared_ptr<const ConferenceDescription> description;
  std::shared_ptr<const HostInfo> host_info;  // May be null (absent).
  std::shared_ptr<const ConferenceState> state;
  UserMap users;  // The roster.
  UserMap lobby;  // Users waiting for admission.
  // MCU views in creation order, the focus's first.
  std::vector<std::shared_ptr<const EntityView>> views;

  ConferenceKey key;
  WebJoinUris web_join;

  // When the conference expires (description->expiry_time, parsed when the
  // description is set); InfiniteFuture when it has no expiry time.
  absl::Time expires_at = absl::InfiniteFuture();

  // Unknown content of conference-info itself.
  std::vector<Extension> extensions;

  // Encoders' cache for this version (the codec: the parts of a full
  // document that are the same for every requester).
  mutable RenderSlot rendered;

  // The view with `entity`, or nullptr.
  const EntityView* FindView(absl::string_view entity) const;
};

// msci:expiry-time as a time: an xs:dateTime, in UTC when it names no time
// zone (MS writes UTC with "Z"). InfiniteFuture for an empty value (no
// expiry); std::nullopt when it is not an xs:dateTime.
std::optional<absl::Time> ParseExpiryTime(absl::string_view expiry_time);

// Structural equality: every field, every user (roster and lobby), view and
// nested object; render slots ignored; shared pointers compared by value.
bool SnapshotsEqual(const ConferenceSnapshot& a, const ConferenceSnapshot& b);

// ---------------------------------------------------------------------------
// Deltas.

// What happened to one keyed element.
enum class ChangeKind {
  kFull,     // Added, or replaced as a whole; carries the new object.
  kPartial,  // Some children changed; carries the new object plus the list.
  kDeleted,  // Removed; carries the key only.
};

// Which list a user change concerns.
enum class UserList { kRoster, kLobby };

// One endpoint of a kPartial user change. kFull carries the new endpoint
// (also used when one of its media streams changed or was removed, since
// media has no `state` attribute: PROTOCOL.md §3.6); kDeleted the key only.
struct EndpointChange {
  ChangeKind kind = ChangeKind::kFull;  // kFull or kDeleted.
  EndpointId entity;
  std::shared_ptr<const Endpoint> endpoint;  // Null when kDeleted.
};

// One user change.
//  - kFull: `user` is the new user (added or replaced).
//  - kPartial: `user` is the new user; its atomic user-level children
//    (display-text, roles, languages, ...) are to be re-sent as they are in
//    `user`, and only `endpoints` changed among its endpoints.
//  - kDeleted: key only.
struct UserChange {
  UserList list = UserList::kRoster;
  ChangeKind kind = ChangeKind::kFull;
  UserId entity;
  std::shared_ptr<const User> user;  // Null when kDeleted.
  std::vector<EndpointChange> endpoints;
};

// One entity-view change: kFull (added or replaced) or kDeleted.
struct EntityViewChange {
  ChangeKind kind = ChangeKind::kFull;
  CompactString entity;                    // Shares the view's bytes.
  std::shared_ptr<const EntityView> view;  // Null when kDeleted.
};

enum class DeltaKind {
  kUpdate,             // A partial change described by the fields below.
  kConferenceDeleted,  // The conference is gone; nothing else is set.
};

// What one successful mutation changed. `version` is the version this delta
// produces (the previous version + 1). Changes are listed in the order they
// were made; a user appears at most once per list.
struct ConferenceDelta {
  ConferenceId conference;
  uint64_t version = 0;
  DeltaKind kind = DeltaKind::kUpdate;

  // Non-null when replaced (these elements are atomic).
  std::shared_ptr<const ConferenceDescription> description;
  std::shared_ptr<const HostInfo> host_info;
  std::shared_ptr<const ConferenceState> state;

  std::vector<UserChange> users;
  std::vector<EntityViewChange> views;
};

// Applies `delta` to `snapshot` (whose version must be delta.version - 1) and
// returns the resulting snapshot. kPartial user changes are applied onto the
// old user: user-level fields from change.user, then each endpoint change.
// The result shares everything unchanged with `snapshot`. Applying a
// kConferenceDeleted delta returns the snapshot with only the version bumped.
// Used by subscribers that keep a local copy, and by tests to prove that
// deltas say exactly what changed.
ConferenceSnapshot ApplyDelta(const ConferenceSnapshot& snapshot,
                              const ConferenceDelta& delta);

// ---------------------------------------------------------------------------
// Views (who may see what).

// The view a subscriber gets (RFC 4575 leaves authorization open; MS: lobby
// users are visible only to leaders).
enum class ViewerRole {
  kLeader,     // Organizer or presenter: sees everything, lobby included.
  kAttendee,   // Sees the roster, not the lobby.
  kLobbySelf,  // Waiting in the lobby: sees no user but itself.
};

// The role for `viewer` in `snapshot`: a leader in the roster -> kLeader, an
// attendee in the roster -> kAttendee, anyone else (lobby or not a member)
// -> kLobbySelf.
ViewerRole ViewerRoleFor(const ConferenceSnapshot& snapshot,
                         const UserId& viewer);

// Whether a viewer (`role`, acting for `viewer`) may see user `user` that
// sits in `list`.
bool IsUserVisible(ViewerRole role, const UserId& viewer, UserList list,
                   const UserId& user);

// Whether a viewer may see `change` (same rule, applied to its user).
inline bool IsChangeVisible(ViewerRole role, const UserId& viewer,
                            const UserChange& change) {
  return IsUserVisible(role, viewer, change.list, change.entity);
}

// ---------------------------------------------------------------------------
// Requests: one per C3P command (PROTOCOL.md §2.2), owned values already
// parsed. `requester` is the user on whose behalf the command runs; an empty
// requester means the focus itself (trusted: no role checks).

// addConference. The engine assigns the focus URI, one MCU URI and conf-uris
// entry per `mcu_types` entry, the conference key and the web-join URIs.
// `description.conf_uris` is ignored; `description.conference_id` is kept if
// set (it must be unique in the store) and generated otherwise.
struct AddConferenceRequest {
  UserId organizer;
  ConferenceDescription description;
  std::shared_ptr<const HostInfo> host_info;  // Optional.
  std::vector<std::string> mcu_types;         // "chat", "audio-video", ...
  // Per-MCU-type entity-view content requested by the client (optional):
  // merged over the engine's defaults for that type.
  std::vector<EntityView> views;
};

// modifyConference (focus factory: description; in-conference: entity-state
// of the views named by entity).
struct ModifyConferenceRequest {
  ConferenceId conference;
  UserId requester;
  std::optional<ConferenceDescription> description;
  // Entity-state replacements keyed by EntityView::entity (the MCU URI).
  std::vector<EntityView> views;
};

struct DeleteConferenceRequest {
  ConferenceId conference;
  UserId requester;
};

// How a user is added.
enum class JoinKind {
  kJoin,     // The user dials in (INVITE to the focus).
  kDialOut,  // An MCU dials the user out (requester must be a leader).
};

// How the joining user authenticated (decides admission with the policy).
enum class Authentication { kAuthenticated, kAnonymous };

// addUser. `user.role` is the requested role; the engine grants the role
// (the organizer always gets kOrganizer).
struct AddUserRequest {
  ConferenceId conference;
  UserId requester;
  JoinKind kind = JoinKind::kJoin;
  Authentication authentication = Authentication::kAuthenticated;
  User user;
};

// endorseUser / setLobbyAccess: a leader's decision about a lobby user.
enum class LobbyDecision { kGrant, kDeny };

struct LobbyDecisionRequest {
  ConferenceId conference;
  UserId requester;
  UserId user;
  LobbyDecision decision = LobbyDecision::kGrant;
};

// setLobbyAccess: one decision for several lobby users, taken as one change
// (one version): every user is admitted or turned away, or none is.
struct LobbyDecisionsRequest {
  ConferenceId conference;
  UserId requester;
  std::vector<UserId> users;
  LobbyDecision decision = LobbyDecision::kGrant;
};

// A new conference key (the next epoch), by a leader or the focus: after an
// ejection, so that the user who left cannot decrypt what follows.
struct RotateKeyRequest {
  ConferenceId conference;
  UserId requester;
};

// deleteUser: ejects a user (roster or lobby), or the user leaves.
struct DeleteUserRequest {
  ConferenceId conference;
  UserId requester;
  UserId user;
};

// modifyUserRoles.
struct ModifyUserRolesRequest {
  ConferenceId conference;
  UserId requester;
  UserId user;
  Role role = Role::kAttendee;
};

enum class LockState { kUnlocked, kLocked };

// modifyConferenceLock: sets conference-state/locked and every view's
// entity-state/locked.
struct ModifyConferenceLockRequest {
  ConferenceId conference;
  UserId requester;
  LockState lock = LockState::kLocked;
};

// modifyEndpointMedia: replaces media `media.id` of the endpoint.
struct ModifyEndpointMediaRequest {
  ConferenceId conference;
  UserId requester;
  UserId user;
  EndpointId endpoint;
  Media media;
};

// An endpoint the focus reports for a user already in the conference (the
// user joined an MCU, or an existing endpoint was replaced as a whole).
struct SetEndpointRequest {
  ConferenceId conference;
  UserId user;
  Endpoint endpoint;
};

// An endpoint status change the focus reports (connected, on-hold,
// disconnected...). A disconnection may carry method and info.
struct ModifyEndpointStatusRequest {
  ConferenceId conference;
  UserId user;
  EndpointId endpoint;
  EndpointStatus status = EndpointStatus::kConnected;
  std::optional<DisconnectionMethod> disconnection_method;
  std::optional<Execution> disconnection_info;
};

// Removes one endpoint of a user (the user stays).
struct DeleteEndpointRequest {
  ConferenceId conference;
  UserId user;
  EndpointId endpoint;
};

}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_MODEL_H_
