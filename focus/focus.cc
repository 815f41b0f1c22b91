#include "focus/focus.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "codec/c3p_request.h"
#include "codec/c3p_response.h"
#include "codec/wire_names.h"
#include "focus/internal/lifecycle.h"
#include "focus/internal/member_certificates.h"
#include "focus/internal/membership.h"
#include "focus/internal/request_handler.h"
#include "focus/internal/subscription_registry.h"
#include "focus/internal/subscription_state.h"

namespace conf {
namespace focus {
namespace {

using codec::C3pReason;
using internal::Trim;

// RapidXML parses in place, so a request body is copied once, into a buffer
// with room for the NUL the parser appends (no second copy to grow it). A
// body over `max_bytes` is cut to one byte more: the parser refuses it just
// the same, without copying the rest.
std::vector<char> BodyForParse(absl::string_view body, size_t max_bytes) {
  const size_t size = std::min(body.size(), max_bytes + 1);
  std::vector<char> copy;
  copy.reserve(size + 1);
  copy.assign(body.begin(), body.begin() + size);
  return copy;
}

// The partial documents that take a refreshed subscription of `user` from
// conference version `from_version` to `start`, or std::nullopt when only a
// full document will do (the log is too short, or the user's view changed).
std::optional<std::vector<internal::SubscriptionState::Replayed>> CatchUp(
    const engine::ConferenceStore& store,
    const engine::ConferenceSnapshot& start, const engine::UserId& user,
    engine::ViewerRole old_role, uint64_t from_version) {
  const codec::Viewer viewer = internal::ViewerFor(start, user);
  // A changed view needs a full document.
  if (viewer.role != old_role)
    return std::nullopt;
  absl::StatusOr<std::vector<std::shared_ptr<const engine::ConferenceDelta>>>
      deltas = store.DeltasSince(start.entity, from_version);
  if (!deltas.ok())
    return std::nullopt;  // The log no longer has them.
  std::vector<internal::SubscriptionState::Replayed> replay;
  for (const auto& delta : *deltas) {
    // Later deltas reach the new subscription through the store.
    if (delta->version > start.version)
      break;
    for (const engine::UserChange& change : delta->users) {
      if (change.entity == user)
        return std::nullopt;  // its own view moved
    }
    std::optional<codec::EncodedDocument> document =
        codec::EncodeConferenceInfoDelta(*delta, viewer);
    if (document.has_value()) {
      replay.push_back({*std::move(document), delta->version});
    }
  }
  if (start.version > from_version &&
      (deltas->empty() || deltas->back()->version < start.version)) {
    return std::nullopt;
  }
  return replay;
}

// What a change fails with when the journal cannot store it.
constexpr absl::string_view kCannotStoreChanges =
    "the focus cannot store changes";

// Whether `command` may change state: anything but a read.
bool ChangesState(codec::C3pCommand command) {
  switch (command) {
    case codec::C3pCommand::kGetConference:
    case codec::C3pCommand::kGetConferences:
    case codec::C3pCommand::kGetAvailableMcuTypes:
    case codec::C3pCommand::kGetConferencingCapabilities:
    case codec::C3pCommand::kPing:
    case codec::C3pCommand::kUnknown:
      return false;
    default:
      return true;
  }
}

FocusOptions WithCommitLog(FocusOptions options, engine::CommitLog* log) {
  options.store.commit_log = log;
  return options;
}

}  // namespace

// ---------------------------------------------------------------------------
// Subscription

Subscription::Subscription(Focus* focus,
                           std::shared_ptr<internal::SubscriptionState> state)
    : focus_(focus), state_(std::move(state)) {}

Subscription::~Subscription() { focus_->EndSubscription(state_); }

std::vector<Notification> Subscription::Poll(absl::Time now) {
  std::vector<Notification> out;
  state_->Poll(now, &out);
  return out;
}

size_t Subscription::Poll(std::vector<Notification>* out, absl::Time now) {
  return state_->Poll(now, out);
}

std::optional<absl::Time> Subscription::NextDue() const {
  return state_->NextDue();
}

bool Subscription::ended() const { return state_->ended(); }

uint64_t Subscription::resynchronizations() const {
  return state_->resynchronizations();
}

const std::string& Subscription::id() const { return state_->config().id; }

absl::string_view Subscription::conference() const {
  return state_->config().conference.value();
}

// ---------------------------------------------------------------------------
// Focus

Focus::Focus() : Focus(FocusOptions()) {}

Focus::Focus(FocusOptions options) : Focus(std::move(options), nullptr) {}

Focus::Focus(FocusOptions options,
             std::unique_ptr<journal::DurableStore> durable)
    : durable_(std::move(durable)),
      options_(WithCommitLog(std::move(options), durable_.get())),
      store_(options_.store),
      recipients_(options_.crypto),
      members_(std::make_unique<internal::MemberCertificates>()),
      subscriptions_(std::make_unique<internal::SubscriptionRegistry>()) {}

Focus::~Focus() {
  if (maintenance_.joinable()) {
    {
      conf::MutexLock lock(&maintenance_mu_);
      stopping_ = true;
    }
    maintenance_cv_.SignalAll();
    maintenance_.join();
  }
  // Writes what was appended and completes its deliveries while the store
  // and the subscriptions are still here.
  durable_.reset();
}

absl::StatusOr<std::unique_ptr<Focus>> Focus::Open(
    FocusOptions options, DurabilityOptions durability) {
  journal::DurableStoreOptions durable_options;
  durable_options.state_dir = durability.state_dir;
  durable_options.node_key_file = durability.node_key_file;
  durable_options.file_system = durability.file_system;
  durable_options.segment_bytes = durability.segment_bytes;
  durable_options.snapshot_every_changes = durability.snapshot_every_changes;
  durable_options.log = durability.log;
  absl::StatusOr<std::unique_ptr<journal::DurableStore>> durable =
      journal::DurableStore::Open(std::move(durable_options));
  if (!durable.ok())
    return durable.status();
  std::unique_ptr<Focus> focus(
      new Focus(std::move(options), *std::move(durable)));
  absl::Status restored = focus->durable_->RestoreInto(focus->store_);
  if (!restored.ok())
    return restored;
  focus->durability_ = std::move(durability);
  if (focus->durability_.maintenance_interval > absl::ZeroDuration()) {
    focus->maintenance_ =
        std::thread([f = focus.get()] { f->MaintenanceLoop(); });
  }
  return focus;
}

void Focus::MaintenanceLoop() {
  const auto interval =
      absl::ToChronoNanoseconds(durability_.maintenance_interval);
  conf::MutexLock lock(&maintenance_mu_);
  while (!stopping_) {
    maintenance_cv_.WaitFor(&maintenance_mu_, interval);
    if (stopping_ || !durable_->SnapshotDue())
      continue;
    maintenance_mu_.Unlock();
    absl::Status written = durable_->WriteSnapshot(store_);
    if (!written.ok() && durability_.log) {
      durability_.log(absl::StrCat("snapshot failed: ", written.message()));
    }
    maintenance_mu_.Lock();
  }
}

absl::Status Focus::WriteSnapshot() {
  if (durable_ == nullptr)
    return absl::OkStatus();
  return durable_->WriteSnapshot(store_);
}

absl::StatusOr<C3pResult> Focus::HandleRequest(const RequestContext& context,
                                               absl::string_view body) {
  return HandleRequest(context, BodyForParse(body, options_.parse.max_bytes));
}

absl::StatusOr<C3pResult> Focus::HandleRequest(const RequestContext& context,
                                               std::vector<char> body) {
  return AnswerDurably(context, std::move(body), std::string());
}

absl::Status Focus::HandleRequest(const RequestContext& context,
                                  absl::string_view body, C3pResult* result) {
  absl::StatusOr<C3pResult> answer =
      AnswerDurably(context, BodyForParse(body, options_.parse.max_bytes),
                    std::move(result->body));
  if (!answer.ok())
    return answer.status();
  *result = *std::move(answer);
  return absl::OkStatus();
}

void Focus::HandleRequestAsync(
    const RequestContext& context, absl::string_view body,
    std::function<void(absl::StatusOr<C3pResult>)> done) {
  Durability durability;
  absl::StatusOr<C3pResult> answer =
      Answer(context, BodyForParse(body, options_.parse.max_bytes),
             std::string(), &durability);
  if (durable_ == nullptr) {
    done(std::move(answer));
    return;
  }
  // Everything this answer reflects (its own change, or what it read) was
  // appended by now.
  durable_->OnDurable(
      durable_->last_ticket(),
      [answer = std::move(answer), durability = std::move(durability),
       done = std::move(done)](const absl::Status& durable) mutable {
        done(AfterDurable(std::move(answer), durable, std::move(durability)));
      });
}

absl::StatusOr<C3pResult> Focus::AnswerDurably(const RequestContext& context,
                                               std::vector<char> body,
                                               std::string buffer) {
  Durability durability;
  absl::StatusOr<C3pResult> answer =
      Answer(context, std::move(body), std::move(buffer), &durability);
  if (durable_ == nullptr)
    return answer;
  return AfterDurable(std::move(answer),
                      durable_->WaitDurable(durable_->last_ticket()),
                      std::move(durability));
}

absl::StatusOr<C3pResult> Focus::AfterDurable(absl::StatusOr<C3pResult> answer,
                                              const absl::Status& durable,
                                              Durability durability) {
  // Reads keep working once the journal has failed: they acknowledge
  // nothing. A change is never acknowledged unless it is durable, and a
  // request the store refused because the journal failed says so too.
  if (durable.ok() || !durability.changes || !answer.ok())
    return answer;
  C3pResult failed;
  failed.failure = C3pReason::kOtherFailure;
  failed.body = std::move(durability.cannot_store);
  return failed;
}

absl::StatusOr<C3pResult> Focus::Answer(const RequestContext& context,
                                        std::vector<char> body,
                                        std::string buffer,
                                        Durability* durability) {
  absl::StatusOr<codec::C3pRequest> request =
      codec::ParseC3pRequest(std::move(body), options_.parse);
  if (!request.ok()) {
    // Answer in C3P when the envelope could be read; otherwise the SIP
    // layer answers 400 (MS-CONFPRO 2.2.3).
    std::optional<codec::C3pEnvelope> envelope =
        codec::C3pEnvelopeFromStatus(request.status());
    if (!envelope.has_value())
      return request.status();
    // kUnimplemented: RFC 4575 content confstate does not support
    // (docs/CODEC.md, "RFC 4575 elements in requests").
    C3pReason reason = C3pReason::kRequestMalformed;
    if (request.status().code() == absl::StatusCode::kResourceExhausted) {
      reason = C3pReason::kRequestTooLarge;
    } else if (request.status().code() == absl::StatusCode::kUnimplemented) {
      reason = C3pReason::kNotSupported;
    }
    return C3pResult{codec::EncodeFailureResponse(
                         codec::ResponseAddressFor(*envelope), reason),
                     reason};
  }
  if (durability != nullptr && durable_ != nullptr &&
      ChangesState(request->command_type)) {
    durability->changes = true;
    durability->cannot_store = codec::EncodeFailureResponse(
        codec::ResponseAddressFor(*request), C3pReason::kOtherFailure,
        kCannotStoreChanges);
  }
  return internal::AnswerRequest(Parts(), context, *request, std::move(buffer));
}

size_t Focus::ExpireConferences(absl::Time now) {
  const std::vector<engine::ConferenceId> expired = store_.ListExpired(now);
  for (const engine::ConferenceId& conference : expired) {
    internal::RemoveExpired(Parts(), conference);
  }
  if (durable_ != nullptr && !expired.empty()) {
    // A journal that failed has said so to every request; the conferences
    // are gone from memory either way.
    durable_->WaitDurable(durable_->last_ticket()).IgnoreError();
  }
  return expired.size();
}

absl::Status Focus::RotateConferenceKey(const RequestContext& context,
                                        absl::string_view conference) {
  absl::Status rotated =
      internal::RotateKey(Parts(), {engine::ConferenceId(Trim(conference)),
                                    engine::UserId(Trim(context.identity))})
          .status();
  if (!rotated.ok() || durable_ == nullptr)
    return rotated;
  absl::Status durable = durable_->WaitDurable(durable_->last_ticket());
  if (!durable.ok()) {
    return absl::UnavailableError(
        absl::StrCat(kCannotStoreChanges, ": ", durable.message()));
  }
  return absl::OkStatus();
}

internal::FocusParts Focus::Parts() {
  return internal::FocusParts{options_, store_, recipients_, *members_};
}

absl::StatusOr<std::unique_ptr<Subscription>> Focus::Subscribe(
    SubscribeRequest request) {
  const engine::ConferenceId conference(Trim(request.conference));
  const engine::UserId user(Trim(request.user));
  std::shared_ptr<const engine::ConferenceSnapshot> current =
      store_.FindSnapshot(conference);
  if (current == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("subscribe: no conference ", conference.value()));
  }
  // RFC 4575 §3.5 leaves authorization to the focus: participants, the
  // lobby and the organizer may subscribe.
  if (!internal::IsMember(*current, user)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "subscribe: ", user.value(), " is not in ", conference.value()));
  }

  // A refresh continues the subscription's version sequence and, when the
  // client says what it last saw and the log still holds what followed,
  // replays that instead of a full document.
  uint32_t first_version = 1;
  std::optional<uint64_t> catch_up_from;
  engine::ViewerRole old_role = engine::ViewerRole::kLobbySelf;
  std::shared_ptr<internal::SubscriptionState> old =
      subscriptions_->Find(conference.value(), request.subscription_id);
  if (old != nullptr) {
    first_version = old->next_version();
    old_role = old->role();
    // Catch-up replays the same conference's deltas; after a deletion, the
    // URI may name a new conference whose versions start again (found by
    // focus_fuzzer): only a full document will do then.
    if (request.last_seen_version.has_value() &&
        *request.last_seen_version < first_version &&
        !old->conference_deleted()) {
      catch_up_from = old->ConferenceVersionAt(*request.last_seen_version);
      if (catch_up_from.has_value()) {
        first_version = *request.last_seen_version + 1;
      }
    }
    EndSubscription(old);
  } else if (request.last_seen_version.has_value()) {
    // Unknown to this focus: a full document, numbered after what the
    // client has.
    first_version = *request.last_seen_version + 1;
  }

  // The conference's channel: one store subscription whose log every
  // subscription of the conference reads.
  absl::StatusOr<std::shared_ptr<internal::ConferenceChannel>> channel =
      subscriptions_->ChannelFor(
          &store_, conference,
          std::max<size_t>(1, options_.max_queued_notifications));
  if (!channel.ok())
    return channel.status();
  // Read after the channel was opened: every later change is in its log.
  std::shared_ptr<const engine::ConferenceSnapshot> start =
      store_.FindSnapshot(conference);
  if (start == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("subscribe: no conference ", conference.value()));
  }

  internal::SubscriptionConfig config;
  config.id = request.subscription_id;
  config.user = user;
  config.conference = conference;
  config.interval = options_.notification_interval;
  config.on_ready = std::move(request.on_ready);
  auto state = std::make_shared<internal::SubscriptionState>(
      std::move(config), &store_, *std::move(channel));
  subscriptions_->Put(state);

  std::optional<std::vector<internal::SubscriptionState::Replayed>> replay;
  if (catch_up_from.has_value()) {
    replay = CatchUp(store_, *start, user, old_role, *catch_up_from);
  }
  state->Start(first_version, start, std::move(replay));
  if (durable_ != nullptr) {
    // The first document shows nothing that is not durable; a journal that
    // failed leaves reads working.
    durable_->WaitDurable(durable_->last_ticket()).IgnoreError();
  }
  return std::unique_ptr<Subscription>(
      new Subscription(this, std::move(state)));
}

void Focus::EndSubscription(
    const std::shared_ptr<internal::SubscriptionState>& state) {
  if (!state->End())
    return;  // Already ended; its id may be a refresh's now.
  subscriptions_->Erase(*state);
}

}  // namespace focus
}  // namespace conf
