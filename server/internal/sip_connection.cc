#include "server/internal/sip_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "codec/c3p_request_encoder.h"

namespace conf {
namespace server {
namespace internal {
namespace {

constexpr absl::string_view kC3pType = "application/cccp+xml";
constexpr absl::string_view kConferenceInfoType =
    "application/conference-info+xml";
constexpr absl::string_view kAllow =
    "INVITE, ACK, BYE, CANCEL, INFO, SERVICE, SUBSCRIBE, OPTIONS";
constexpr absl::string_view kServer = "confstated";
// RFC 3261 §17.1.1.1.
constexpr absl::Duration kT1 = absl::Milliseconds(500);
constexpr absl::Duration kT2 = absl::Seconds(4);

// The handler whose On*() call is running on this thread: a focus answer
// delivered inline (an in-memory focus) is handled at once, one delivered
// on another thread (a durable focus's completion thread) is posted.
thread_local const SipConnection* tls_running = nullptr;

class Running {
 public:
  explicit Running(const SipConnection* c) : saved_(tls_running) {
    tls_running = c;
  }
  ~Running() { tls_running = saved_; }

 private:
  const SipConnection* saved_;
};

SipMethod MethodOf(absl::string_view method) {
  if (method == "INFO")
    return SipMethod::kInfo;
  if (method == "SUBSCRIBE")
    return SipMethod::kSubscribe;
  if (method == "SERVICE")
    return SipMethod::kService;
  if (method == "INVITE")
    return SipMethod::kInvite;
  if (method == "ACK")
    return SipMethod::kAck;
  if (method == "BYE")
    return SipMethod::kBye;
  if (method == "OPTIONS")
    return SipMethod::kOptions;
  if (method == "CANCEL")
    return SipMethod::kCancel;
  return SipMethod::kOther;
}

std::string DialogKey(absl::string_view call_id, absl::string_view tag) {
  return absl::StrCat(call_id, "\n", tag);
}

// The URI the focus sends its own requests to: the requester's Contact,
// else its From.
std::string RemoteTarget(const sip::Message& request) {
  if (request.contact().has_value() && request.contact()->uri != "*")
    return std::string(request.contact()->uri);
  return std::string(request.from()->uri);
}

// The status a focus error maps to, and its reason phrase.
std::pair<int, absl::string_view> SipStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return {404, "Not Found"};
    case absl::StatusCode::kPermissionDenied:
      return {403, "Forbidden"};
    case absl::StatusCode::kInvalidArgument:
      return {400, "Bad Request"};
    case absl::StatusCode::kResourceExhausted:
      return {413, "Request Entity Too Large"};
    case absl::StatusCode::kUnavailable:
      return {503, "Service Unavailable"};
    default:
      return {500, "Server Internal Error"};
  }
}

SipOutcome OutcomeOfCode(int code) {
  if (code < 300)
    return SipOutcome::kSuccess;
  if (code == 503)
    return SipOutcome::kOverloaded;
  if (code >= 500)
    return SipOutcome::kServerError;
  return SipOutcome::kRefused;
}

// A reason phrase may not hold CR or LF; a status message might.
std::string Phrase(absl::string_view base, absl::string_view detail) {
  std::string out = detail.empty() ? std::string(base)
                                   : absl::StrCat(base, " (", detail, ")");
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  }
  if (out.size() > 200)
    out.resize(200);
  return out;
}

}  // namespace

void Mailbox::Post(std::function<void()> task) {
  MutexLock lock(&mu_);
  if (connection_ == nullptr)
    return;
  connection_->Post([self = shared_from_this(), task = std::move(task)] {
    {
      MutexLock held(&self->mu_);
      if (self->connection_ == nullptr)
        return;
    }
    task();
  });
}

void Mailbox::Close() {
  MutexLock lock(&mu_);
  connection_ = nullptr;
}

SipConnection::SipConnection(SipService* service, Connection* connection)
    : service_(service),
      connection_(connection),
      mailbox_(std::make_shared<Mailbox>(connection)) {}

SipConnection::~SipConnection() {
  if (!closed_)
    OnClosed();
}

// ---------------------------------------------------------------------------
// Events.

void SipConnection::OnFrame(sip::Frame frame) {
  Running running(this);
  if (closed_)
    return;
  if (frame.type() == sip::FrameType::kKeepAlivePing) {
    SendBytes(sip::kKeepAlivePong);
    return;
  }
  if (!frame.message().is_request()) {
    HandleResponse(frame.message());
  } else {
    HandleRequest(std::make_shared<const sip::Frame>(std::move(frame)));
  }
  RunTimers(Now());
}

void SipConnection::OnFramingError(const absl::Status& status) {
  Running running(this);
  if (service_->options().log) {
    service_->options().log(
        absl::StrCat("sip: closing ", connection_->peer().address, ":",
                     connection_->peer().port,
                     " after a framing error: ", status.message()));
  }
}

void SipConnection::OnWritable() {
  Running running(this);
  if (closed_)
    return;
  // Catch up the subscriptions whose NOTIFYs could not be queued: a refresh
  // of their focus subscription from the last version sent replays what
  // the focus still holds, or starts over with a full document.
  std::vector<std::string> behind;
  for (const auto& [key, dialog] : subscriptions_) {
    if (dialog->catch_up)
      behind.push_back(key);
  }
  for (const std::string& key : behind) {
    auto it = subscriptions_.find(key);
    if (it == subscriptions_.end())
      continue;
    SubscriptionDialog& dialog = *it->second;
    dialog.catch_up = false;
    absl::Status status =
        StartFocusSubscription(dialog, dialog.last_sent_version);
    if (!status.ok()) {
      EndSubscription(key, "noresource", /*notify=*/true);
      continue;
    }
    Pump(dialog);
    if (dialog.catch_up)
      break;  // the queue is full again
  }
}

void SipConnection::OnTimer(absl::Time now) {
  Running running(this);
  wake_at_ = absl::InfiniteFuture();
  RunTimers(now);
}

void SipConnection::OnClosed() {
  if (closed_)
    return;
  Running running(this);
  closed_ = true;
  mailbox_->Close();
  SipServiceStats& stats = service_->mutable_stats();
  stats.dialogs.fetch_sub(static_cast<int64_t>(dialogs_.size()));
  stats.subscriptions.fetch_sub(static_cast<int64_t>(subscriptions_.size()));
  // Ends the focus subscriptions: nothing wakes this handler afterwards.
  subscriptions_.clear();
  subscription_keys_.clear();
  dialogs_.clear();
  transactions_.clear();
  timers_.clear();
}

void SipConnection::Terminate(absl::string_view reason) {
  Running running(this);
  std::vector<std::string> keys;
  keys.reserve(subscriptions_.size());
  for (const auto& entry : subscriptions_)
    keys.push_back(entry.first);
  for (const std::string& key : keys)
    EndSubscription(key, reason, /*notify=*/true);
}

// ---------------------------------------------------------------------------
// Requests.

void SipConnection::HandleRequest(const FramePtr& frame) {
  const sip::Message& request = frame->message();
  const absl::Time arrival = Now();
  const SipMethod method = MethodOf(request.method());
  // RFC 3261 §8.1.1: a server cannot answer without these.
  const char* missing = nullptr;
  if (request.call_id().empty()) {
    missing = "Call-ID";
  } else if (!request.cseq().has_value()) {
    missing = "CSeq";
  } else if (!request.from().has_value()) {
    missing = "From";
  } else if (!request.to().has_value()) {
    missing = "To";
  } else if (!request.top_via().has_value()) {
    missing = "Via";
  }
  if (missing != nullptr) {
    if (method != SipMethod::kAck) {
      Refuse(request, method, 400,
             Phrase("Bad Request", absl::StrCat("missing ", missing)), arrival);
    }
    return;
  }
  if (request.max_forwards().has_value() && *request.max_forwards() == 0 &&
      method != SipMethod::kAck && method != SipMethod::kOptions) {
    Refuse(request, method, 483, "Too Many Hops", arrival);
    return;
  }
  switch (method) {
    case SipMethod::kService:
    case SipMethod::kInfo:
      HandleC3p(frame, method, arrival);
      return;
    case SipMethod::kInvite:
      if (!request.to()->tag.empty()) {
        HandleReInvite(request, arrival);
      } else {
        HandleC3p(frame, method, arrival);
      }
      return;
    case SipMethod::kAck:
      HandleAck(request);
      return;
    case SipMethod::kBye:
      HandleBye(request, arrival);
      return;
    case SipMethod::kCancel:
      HandleCancel(request, arrival);
      return;
    case SipMethod::kSubscribe:
      HandleSubscribe(request, arrival);
      return;
    case SipMethod::kOptions:
      HandleOptions(request, arrival);
      return;
    case SipMethod::kOther:
      break;
  }
  if (!Reply(request, 405, "Method Not Allowed", NewTag(),
             {{"Allow", std::string(kAllow)}})) {
    return;
  }
  Finished(method, SipOutcome::kRefused, arrival);
}

void SipConnection::HandleC3p(const FramePtr& frame, SipMethod method,
                              absl::Time arrival) {
  const sip::Message& request = frame->message();
  if (!absl::EqualsIgnoreCase(request.content_type(), kC3pType)) {
    Reply(request, 415, "Unsupported Media Type", NewTag(),
          {{"Accept", std::string(kC3pType)}});
    Finished(method, SipOutcome::kRefused, arrival);
    return;
  }
  absl::StatusOr<Identity> identity =
      IdentityOf(request, connection_->peer(),
                 service_->options().identity_from_from_header);
  if (!identity.ok()) {
    const auto [code, base] = SipStatusOf(identity.status());
    Refuse(request, method, code, Phrase(base, identity.status().message()),
           arrival);
    return;
  }
  // An in-dialog INFO keeps its dialog's tag; a new dialog or a request
  // outside one gets a fresh tag (RFC 3261 §8.2.6.2).
  std::string tag(request.to()->tag);
  if (!tag.empty() && method == SipMethod::kInfo &&
      !dialogs_.contains(DialogKey(request.call_id(), tag)) &&
      !subscriptions_.contains(DialogKey(request.call_id(), tag))) {
    Refuse(request, method, 481, "Call/Transaction Does Not Exist", arrival);
    return;
  }
  if (tag.empty())
    tag = NewTag();
  SipServiceStats& stats = service_->mutable_stats();
  if (stats.requests_in_flight.fetch_add(1) >=
      service_->options().max_requests_in_flight) {
    stats.requests_in_flight.fetch_sub(1);
    Reply(request, 503, "Service Unavailable", tag,
          {{"Retry-After",
            absl::StrCat(absl::ToInt64Seconds(std::max(
                service_->options().retry_after, absl::Seconds(1))))}});
    Finished(method, SipOutcome::kOverloaded, arrival);
    return;
  }
  focus::RequestContext context;
  context.identity = identity->uri;
  context.assurance = identity->assurance;
  if (request.contact().has_value())
    context.contact = request.contact()->uri;
  context.epid = UriParameter(request.from()->params, "epid");
  std::shared_ptr<Mailbox> mailbox = mailbox_;
  auto done = [this, mailbox, frame, method, arrival, tag,
               identity = *identity](absl::StatusOr<focus::C3pResult> answer) {
    service_->mutable_stats().requests_in_flight.fetch_sub(1);
    auto answer_it = [this, frame, method, arrival, tag,
                      identity](absl::StatusOr<focus::C3pResult> result) {
      if (method == SipMethod::kInvite && result.ok()) {
        AnswerInvite(frame, arrival, tag, identity, *std::move(result));
      } else {
        AnswerC3p(frame, method, arrival, tag, std::move(result));
      }
    };
    if (tls_running == this) {
      answer_it(std::move(answer));
      return;
    }
    // Posted by value: the answer is moved into the task.
    auto shared =
        std::make_shared<absl::StatusOr<focus::C3pResult>>(std::move(answer));
    mailbox->Post([this, answer_it, shared] {
      Running running(this);
      answer_it(std::move(*shared));
      RunTimers(Now());
    });
  };
  service_->focus().HandleRequestAsync(context, request.body(),
                                       std::move(done));
}

void SipConnection::AnswerC3p(const FramePtr& frame, SipMethod method,
                              absl::Time arrival, const std::string& tag,
                              absl::StatusOr<focus::C3pResult> answer) {
  if (closed_)
    return;
  const sip::Message& request = frame->message();
  if (!answer.ok()) {
    const auto [code, base] = SipStatusOf(answer.status());
    Refuse(request, method, code, Phrase(base, answer.status().message()),
           arrival);
    return;
  }
  const SipOutcome outcome =
      answer->success() ? SipOutcome::kSuccess : SipOutcome::kC3pFailure;
  if (method == SipMethod::kService) {
    if (Reply(request, 200, "OK", tag, {}, kC3pType, answer->body))
      Finished(method, outcome, arrival);
    return;
  }
  if (method == SipMethod::kInvite) {
    // A refused join makes no dialog (RFC 3261 §12.1: only a 2xx or 101-199
    // with a tag does); 603 is C3P's non-retriable failure (PROTOCOL.md
    // §1.1), and its body says why.
    if (Reply(request, 603, "Decline", tag, {}, kC3pType, answer->body))
      Finished(method, outcome, arrival);
    return;
  }
  // INFO: 202, then the C3P response in an INFO of the focus's own, in the
  // same dialog (MS-CONFBAS 4.4.7; docs/SERVER.md on 202 against 200).
  if (!Reply(request, 202, "Accepted", tag))
    return;
  writer_.StartRequest("INFO", RemoteTarget(request));
  writer_.AddHeader("Via", OwnVia());
  writer_.AddHeader("Max-Forwards", "70");
  writer_.AddHeader("From",
                    absl::StrCat("<", request.to()->uri, ">;tag=", tag));
  writer_.AddHeader("To", *request.FindHeader("From"));
  writer_.AddHeader("Call-ID", request.call_id());
  const uint32_t cseq = next_cseq_++;
  writer_.AddHeader("CSeq", absl::StrCat(cseq, " INFO"));
  writer_.AddHeader("Contact", absl::StrCat("<", request.to()->uri, ">"));
  writer_.AddHeader("Server", kServer);
  absl::StatusOr<absl::string_view> bytes =
      writer_.Finish(kC3pType, answer->body);
  if (!bytes.ok() || !SendBytes(*bytes))
    return;
  const absl::Time deadline = Now() + service_->options().transaction_timeout;
  transactions_[cseq] = {std::string(request.call_id()), "INFO", 0, deadline};
  Schedule(deadline, {TimerKind::kTransaction, std::string(), cseq});
  Finished(method, outcome, arrival);
}

void SipConnection::AnswerInvite(const FramePtr& frame, absl::Time arrival,
                                 const std::string& tag,
                                 const Identity& identity,
                                 focus::C3pResult result) {
  if (closed_)
    return;
  const sip::Message& request = frame->message();
  if (!result.success()) {
    AnswerC3p(frame, SipMethod::kInvite, arrival, tag, std::move(result));
    return;
  }
  HeaderList headers;
  for (absl::string_view route : request.Values("Record-Route"))
    headers.emplace_back("Record-Route", std::string(route));
  headers.emplace_back("Contact",
                       absl::StrCat("<", request.request_uri(), ">"));
  headers.emplace_back("Allow", std::string(kAllow));
  headers.emplace_back("Supported", "ms-benotify");
  absl::StatusOr<absl::string_view> ok =
      BuildReply(request, 200, "OK", tag, headers, kC3pType, result.body);
  if (!ok.ok())
    return;
  std::string ok_bytes(*ok);
  if (!SendBytes(ok_bytes))
    return;
  auto dialog = std::make_unique<JoinDialog>();
  dialog->call_id = std::string(request.call_id());
  dialog->local_tag = tag;
  dialog->focus_uri = std::string(request.request_uri());
  dialog->identity = identity;
  dialog->ok_bytes = std::move(ok_bytes);
  const absl::Time now = Now();
  dialog->interval = kT1;
  dialog->next_send = now + kT1;
  dialog->give_up = now + 64 * kT1;
  const std::string key = DialogKey(dialog->call_id, tag);
  if (dialogs_.emplace(key, std::move(dialog)).second)
    service_->mutable_stats().dialogs.fetch_add(1);
  Schedule(now + kT1, {TimerKind::kRetransmit, key, 0});
  Finished(SipMethod::kInvite, SipOutcome::kSuccess, arrival);
}

void SipConnection::HandleReInvite(const sip::Message& request,
                                   absl::Time arrival) {
  auto it = dialogs_.find(DialogKey(request.call_id(), request.to()->tag));
  if (it == dialogs_.end()) {
    Refuse(request, SipMethod::kInvite, 481, "Call/Transaction Does Not Exist",
           arrival);
    return;
  }
  // A session refresh: nothing changes in the conference.
  JoinDialog& dialog = *it->second;
  if (!Reply(request, 200, "OK", dialog.local_tag,
             {{"Contact", absl::StrCat("<", dialog.focus_uri, ">")},
              {"Allow", std::string(kAllow)}})) {
    return;
  }
  Finished(SipMethod::kInvite, SipOutcome::kSuccess, arrival);
}

void SipConnection::HandleAck(const sip::Message& request) {
  auto it = dialogs_.find(DialogKey(request.call_id(), request.to()->tag));
  if (it != dialogs_.end())
    it->second->acked = true;
}

void SipConnection::HandleBye(const sip::Message& request, absl::Time arrival) {
  const std::string key = DialogKey(request.call_id(), request.to()->tag);
  auto it = dialogs_.find(key);
  if (it == dialogs_.end()) {
    Refuse(request, SipMethod::kBye, 481, "Call/Transaction Does Not Exist",
           arrival);
    return;
  }
  absl::StatusOr<Identity> identity =
      IdentityOf(request, connection_->peer(),
                 service_->options().identity_from_from_header);
  if (!identity.ok() || identity->uri != it->second->identity.uri) {
    Refuse(request, SipMethod::kBye, 403, "Forbidden (not the dialog's user)",
           arrival);
    return;
  }
  std::unique_ptr<JoinDialog> dialog = std::move(it->second);
  dialogs_.erase(it);
  service_->mutable_stats().dialogs.fetch_sub(1);
  Reply(request, 200, "OK", dialog->local_tag);
  // The user's session with the focus ends: it leaves the conference, as a
  // deleteUser of itself would make it (notified to every subscriber).
  const std::string body = codec::EncodeDeleteUserRequest(
      {"bye", dialog->identity.uri, dialog->focus_uri}, dialog->focus_uri,
      dialog->identity.uri);
  focus::RequestContext context;
  context.identity = dialog->identity.uri;
  context.assurance = dialog->identity.assurance;
  auto log = service_->options().log;
  service_->focus().HandleRequestAsync(
      context, body,
      [log,
       user = dialog->identity.uri](absl::StatusOr<focus::C3pResult> answer) {
        if (log && (!answer.ok() || !answer->success())) {
          log(absl::StrCat(
              "sip: BYE of ", user, " did not remove it from its conference: ",
              answer.ok() ? answer->body : answer.status().ToString()));
        }
      });
  Finished(SipMethod::kBye, SipOutcome::kSuccess, arrival);
}

void SipConnection::HandleCancel(const sip::Message& request,
                                 absl::Time arrival) {
  // Joins are answered as soon as the focus has: by the time a CANCEL
  // arrives, its INVITE has its final response, and the CANCEL changes
  // nothing (RFC 3261 §9.2).
  Refuse(request, SipMethod::kCancel, 481, "Call/Transaction Does Not Exist",
         arrival);
}

void SipConnection::HandleOptions(const sip::Message& request,
                                  absl::Time arrival) {
  if (Reply(request, 200, "OK", NewTag(),
            {{"Allow", std::string(kAllow)},
             {"Accept", absl::StrCat(kC3pType, ", ", kConferenceInfoType)},
             {"Allow-Events", "conference"},
             {"Supported", "ms-benotify"}})) {
    Finished(SipMethod::kOptions, SipOutcome::kSuccess, arrival);
  }
}

// ---------------------------------------------------------------------------
// Subscriptions.

void SipConnection::HandleSubscribe(const sip::Message& request,
                                    absl::Time arrival) {
  if (!absl::EqualsIgnoreCase(request.event(), "conference")) {
    Reply(request, 489, "Bad Event", NewTag(),
          {{"Allow-Events", "conference"}});
    Finished(SipMethod::kSubscribe, SipOutcome::kRefused, arrival);
    return;
  }
  absl::StatusOr<Identity> identity =
      IdentityOf(request, connection_->peer(),
                 service_->options().identity_from_from_header);
  if (!identity.ok()) {
    const auto [code, base] = SipStatusOf(identity.status());
    Refuse(request, SipMethod::kSubscribe, code,
           Phrase(base, identity.status().message()), arrival);
    return;
  }
  const SipServiceOptions& options = service_->options();
  absl::Duration expires = request.expires().has_value()
                               ? absl::Seconds(*request.expires())
                               : options.default_subscription;
  expires = std::min(expires, options.max_subscription);
  const absl::Time now = Now();

  std::string key;
  SubscriptionDialog* dialog = nullptr;
  if (!request.to()->tag.empty()) {
    key = DialogKey(request.call_id(), request.to()->tag);
    auto it = subscriptions_.find(key);
    if (it == subscriptions_.end()) {
      Refuse(request, SipMethod::kSubscribe, 481,
             "Call/Transaction Does Not Exist", arrival);
      return;
    }
    dialog = it->second.get();
    if (dialog->identity.uri != identity->uri) {
      Refuse(request, SipMethod::kSubscribe, 403,
             "Forbidden (not the subscription's user)", arrival);
      return;
    }
  } else {
    auto fresh = std::make_unique<SubscriptionDialog>();
    fresh->key = next_subscription_key_++;
    fresh->call_id = std::string(request.call_id());
    fresh->local_tag = NewTag();
    fresh->conference = std::string(request.request_uri());
    fresh->remote_target = RemoteTarget(request);
    fresh->remote_from = std::string(*request.FindHeader("From"));
    for (absl::string_view route : request.Values("Record-Route"))
      fresh->route_set.emplace_back(route);
    fresh->subscription_id =
        absl::StrCat(request.call_id(), ";", request.from()->tag);
    fresh->identity = *identity;
    for (absl::string_view option : request.Values("Supported")) {
      if (absl::EqualsIgnoreCase(option, "ms-benotify"))
        fresh->benotify = true;
    }
    key = DialogKey(fresh->call_id, fresh->local_tag);
    dialog = fresh.get();
    // Not yet in subscriptions_: a refused subscription leaves nothing.
    absl::Status status = StartFocusSubscription(*dialog, std::nullopt);
    if (!status.ok()) {
      const auto [code, base] = SipStatusOf(status);
      Refuse(request, SipMethod::kSubscribe, code,
             Phrase(base, status.message()), arrival);
      return;
    }
    subscription_keys_[fresh->key] = key;
    subscriptions_.emplace(key, std::move(fresh));
    service_->mutable_stats().subscriptions.fetch_add(1);
  }
  if (!request.to()->tag.empty() && expires > absl::ZeroDuration()) {
    // A refresh: the focus starts the dialog over with a full document
    // (RFC 4575 §4.3: the NOTIFY a SUBSCRIBE makes carries full state).
    absl::Status status = StartFocusSubscription(*dialog, std::nullopt);
    if (!status.ok()) {
      const auto [code, base] = SipStatusOf(status);
      Refuse(request, SipMethod::kSubscribe, code,
             Phrase(base, status.message()), arrival);
      EndSubscription(key, "noresource", /*notify=*/false);
      return;
    }
  }
  dialog->expires_at = now + expires;
  HeaderList headers = {
      {"Expires", absl::StrCat(absl::ToInt64Seconds(expires))},
      {"Contact", absl::StrCat("<", dialog->conference, ">")}};
  for (const std::string& route : dialog->route_set)
    headers.emplace_back("Record-Route", route);
  if (dialog->benotify && expires > absl::ZeroDuration()) {
    // MS-SIP 4.4: the 200 carries the full document; changes follow as
    // BENOTIFY, which is never answered.
    headers.emplace_back("Supported", "ms-benotify");
    headers.emplace_back("Event", "conference");
    notifications_.clear();
    dialog->subscription->Poll(&notifications_, now);
    std::string body;
    size_t first_unsent = 0;
    if (!notifications_.empty()) {
      body = notifications_.front().Bytes();
      dialog->last_sent_version = notifications_.front().version;
      first_unsent = 1;
    }
    if (!Reply(request, 200, "OK", dialog->local_tag, headers,
               body.empty() ? "" : kConferenceInfoType, body)) {
      return;
    }
    for (size_t i = first_unsent; i < notifications_.size(); ++i) {
      const focus::Notification& note = notifications_[i];
      if (!SendNotify(*dialog, "active", note.Bytes())) {
        dialog->catch_up = true;
        break;
      }
      dialog->last_sent_version = note.version;
    }
  } else if (!Reply(request, 200, "OK", dialog->local_tag, headers)) {
    return;
  }
  Finished(SipMethod::kSubscribe, SipOutcome::kSuccess, arrival);
  if (expires <= absl::ZeroDuration()) {
    // An unsubscribe, or a fetch (RFC 6665 §4.4.3): the current state, then
    // the end.
    if (request.to()->tag.empty())
      Pump(*dialog);
    EndSubscription(key, "timeout", /*notify=*/true);
    return;
  }
  Schedule(dialog->expires_at, {TimerKind::kExpiry, key, 0});
  Pump(*dialog);
}

absl::Status SipConnection::StartFocusSubscription(
    SubscriptionDialog& dialog, std::optional<uint32_t> last_seen) {
  focus::SubscribeRequest request;
  request.subscription_id = dialog.subscription_id;
  request.user = dialog.identity.uri;
  request.conference = dialog.conference;
  request.last_seen_version = last_seen;
  std::shared_ptr<Mailbox> mailbox = mailbox_;
  const uint64_t key = dialog.key;
  request.on_ready = [this, mailbox, key] {
    mailbox->Post([this, key] {
      Running running(this);
      auto it = subscription_keys_.find(key);
      if (it == subscription_keys_.end())
        return;
      auto found = subscriptions_.find(it->second);
      if (found != subscriptions_.end())
        Pump(*found->second);
      RunTimers(Now());
    });
  };
  // While the old one lives, so that the focus takes this as a refresh of
  // it and continues its version sequence; it ends the old one.
  absl::StatusOr<std::unique_ptr<focus::Subscription>> subscription =
      service_->focus().Subscribe(std::move(request));
  if (!subscription.ok())
    return subscription.status();
  dialog.subscription = *std::move(subscription);
  return absl::OkStatus();
}

void SipConnection::Pump(SubscriptionDialog& dialog) {
  if (closed_ || dialog.catch_up || dialog.subscription == nullptr)
    return;
  notifications_.clear();
  dialog.subscription->Poll(&notifications_, Now());
  const bool ended = dialog.subscription->ended();
  for (size_t i = 0; i < notifications_.size(); ++i) {
    const focus::Notification& note = notifications_[i];
    const bool last = i + 1 == notifications_.size();
    const bool deleted = note.kind == focus::DocumentKind::kDeleted;
    const std::string state =
        deleted || (ended && last)
            ? std::string("terminated;reason=noresource")
            : absl::StrCat(
                  "active;expires=",
                  std::max<int64_t>(
                      0, absl::ToInt64Seconds(dialog.expires_at - Now())));
    if (!SendNotify(dialog, state, note.Bytes())) {
      dialog.catch_up = true;
      service_->mutable_stats().notifications_deferred.fetch_add(1);
      return;
    }
    dialog.last_sent_version = note.version;
  }
  if (ended) {
    EndSubscription(DialogKey(dialog.call_id, dialog.local_tag), "",
                    /*notify=*/false);
  }
}

bool SipConnection::SendNotify(SubscriptionDialog& dialog,
                               absl::string_view state,
                               absl::string_view body) {
  const absl::string_view method = dialog.benotify ? "BENOTIFY" : "NOTIFY";
  writer_.StartRequest(method, dialog.remote_target);
  writer_.AddHeader("Via", OwnVia());
  writer_.AddHeader("Max-Forwards", "70");
  // RFC 3261 §12.1.1: the UAS's route set is the Record-Route list, in
  // order.
  for (const std::string& route : dialog.route_set)
    writer_.AddHeader("Route", route);
  writer_.AddHeader(
      "From", absl::StrCat("<", dialog.conference, ">;tag=", dialog.local_tag));
  writer_.AddHeader("To", dialog.remote_from);
  writer_.AddHeader("Call-ID", dialog.call_id);
  const uint32_t cseq = next_cseq_++;
  writer_.AddHeader("CSeq", absl::StrCat(cseq, " ", method));
  writer_.AddHeader("Contact", absl::StrCat("<", dialog.conference, ">"));
  writer_.AddHeader("Event", "conference");
  writer_.AddHeader("Subscription-State", state);
  absl::StatusOr<absl::string_view> bytes =
      writer_.Finish(body.empty() ? "" : kConferenceInfoType, body);
  if (!bytes.ok() || !connection_->Send(*bytes))
    return false;
  service_->mutable_stats().notifications_sent.fetch_add(1);
  if (!dialog.benotify) {
    const absl::Time deadline = Now() + service_->options().transaction_timeout;
    transactions_[cseq] = {dialog.call_id, "NOTIFY", dialog.key, deadline};
    Schedule(deadline, {TimerKind::kTransaction, std::string(), cseq});
  }
  return true;
}

void SipConnection::EndSubscription(const std::string& key,
                                    absl::string_view reason, bool notify) {
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end())
    return;
  std::unique_ptr<SubscriptionDialog> dialog = std::move(it->second);
  subscriptions_.erase(it);
  subscription_keys_.erase(dialog->key);
  service_->mutable_stats().subscriptions.fetch_sub(1);
  dialog->subscription.reset();
  if (notify && !closed_) {
    SendNotify(*dialog,
               reason.empty() ? std::string("terminated")
                              : absl::StrCat("terminated;reason=", reason),
               "");
  }
}

void SipConnection::Expire(const std::string& key, absl::Time now) {
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end() || it->second->expires_at > now)
    return;
  EndSubscription(key, "timeout", /*notify=*/true);
}

// ---------------------------------------------------------------------------
// Responses to the focus's own requests.

void SipConnection::HandleResponse(const sip::Message& response) {
  if (!response.cseq().has_value() || response.status_code() < 200)
    return;
  auto it = transactions_.find(response.cseq()->number);
  if (it == transactions_.end() || it->second.call_id != response.call_id() ||
      it->second.method != response.cseq()->method) {
    return;  // a stray or late response: nothing waits for it
  }
  const ClientTransaction transaction = it->second;
  transactions_.erase(it);
  if (transaction.method == "NOTIFY" && response.status_code() >= 300) {
    // RFC 6665 §4.2.2: a NOTIFY refused (481 above all) ends the
    // subscription.
    auto key = subscription_keys_.find(transaction.subscription_key);
    if (key != subscription_keys_.end()) {
      const std::string dialog = key->second;
      EndSubscription(dialog, "", /*notify=*/false);
    }
  }
}

// ---------------------------------------------------------------------------
// Sending.

absl::StatusOr<absl::string_view> SipConnection::BuildReply(
    const sip::Message& request, int code, absl::string_view reason,
    absl::string_view to_tag, const HeaderList& headers,
    absl::string_view content_type, absl::string_view body) {
  writer_.StartResponseTo(request, code, reason, to_tag);
  for (const auto& [name, value] : headers)
    writer_.AddHeader(name, value);
  writer_.AddHeader("Server", kServer);
  absl::StatusOr<absl::string_view> bytes = writer_.Finish(content_type, body);
  if (!bytes.ok()) {
    // Only a value copied from the request can be bad here, and the parser
    // checked those: answer without the extras.
    writer_.StartResponseTo(request, 500, "Server Internal Error", to_tag);
    bytes = writer_.Finish("", "");
  }
  return bytes;
}

bool SipConnection::Reply(const sip::Message& request, int code,
                          absl::string_view reason, absl::string_view to_tag,
                          const HeaderList& headers,
                          absl::string_view content_type,
                          absl::string_view body) {
  absl::StatusOr<absl::string_view> bytes =
      BuildReply(request, code, reason, to_tag, headers, content_type, body);
  return bytes.ok() && SendBytes(*bytes);
}

void SipConnection::Refuse(const sip::Message& request, SipMethod method,
                           int code, absl::string_view reason,
                           absl::Time arrival) {
  std::string tag(request.to().has_value() ? request.to()->tag : "");
  if (tag.empty())
    tag = NewTag();
  if (Reply(request, code, reason, tag))
    Finished(method, OutcomeOfCode(code), arrival);
}

bool SipConnection::SendBytes(absl::string_view bytes) {
  if (connection_->Send(bytes))
    return true;
  // A peer that does not read its responses: its queue is full, and a
  // response cannot wait like a notification can.
  if (service_->options().log) {
    service_->options().log(absl::StrCat(
        "sip: closing ", connection_->peer().address, ":",
        connection_->peer().port, ": it does not read what it is sent"));
  }
  connection_->Close();
  return false;
}

void SipConnection::Finished(SipMethod method, SipOutcome outcome,
                             absl::Time arrival) {
  if (service_->options().on_request)
    service_->options().on_request(method, outcome, Now() - arrival);
}

std::string SipConnection::NewTag() {
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(random_));
}

std::string SipConnection::OwnVia() {
  return absl::StrCat(connection_->peer().transport == TransportKind::kTls
                          ? "SIP/2.0/TLS "
                          : "SIP/2.0/TCP ",
                      service_->options().via_host, ";branch=", NewBranch());
}

std::string SipConnection::NewBranch() {
  // RFC 3261 §8.1.1.7: the magic cookie, then something unique.
  return absl::StrFormat("z9hG4bK%016x", absl::Uniform<uint64_t>(random_));
}

// ---------------------------------------------------------------------------
// Timers.

void SipConnection::Schedule(absl::Time when, TimerRef ref) {
  timers_.emplace(when, std::move(ref));
  if (when < wake_at_) {
    wake_at_ = when;
    connection_->WakeAt(when);
  }
}

void SipConnection::RunTimers(absl::Time now) {
  while (!closed_ && !timers_.empty() && timers_.begin()->first <= now) {
    TimerRef ref = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    switch (ref.kind) {
      case TimerKind::kRetransmit:
        RetransmitOk(ref.dialog, now);
        break;
      case TimerKind::kExpiry:
        Expire(ref.dialog, now);
        break;
      case TimerKind::kTransaction:
        TimeOutTransaction(ref.cseq, now);
        break;
    }
  }
  if (closed_)
    return;
  const absl::Time next =
      timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first;
  if (next != wake_at_) {
    wake_at_ = next;
    connection_->WakeAt(next);
  }
}

void SipConnection::RetransmitOk(const std::string& key, absl::Time now) {
  auto it = dialogs_.find(key);
  if (it == dialogs_.end())
    return;
  JoinDialog& dialog = *it->second;
  if (dialog.acked) {
    dialog.ok_bytes = std::string();
    return;
  }
  if (now >= dialog.give_up) {
    // RFC 3261 §13.3.1.4: no ACK in 64*T1; the session ends. The user's
    // join stands in the conference until its client ends it, as after a
    // lost BYE.
    if (service_->options().log) {
      service_->options().log(
          absl::StrCat("sip: no ACK for the join of ", dialog.identity.uri));
    }
    dialogs_.erase(it);
    service_->mutable_stats().dialogs.fetch_sub(1);
    return;
  }
  if (!connection_->Send(dialog.ok_bytes))
    return;
  dialog.interval = std::min(2 * dialog.interval, kT2);
  dialog.next_send = now + dialog.interval;
  Schedule(dialog.next_send, {TimerKind::kRetransmit, key, 0});
}

void SipConnection::TimeOutTransaction(uint32_t cseq, absl::Time now) {
  auto it = transactions_.find(cseq);
  if (it == transactions_.end() || it->second.deadline > now)
    return;
  const ClientTransaction transaction = it->second;
  transactions_.erase(it);
  service_->mutable_stats().transactions_timed_out.fetch_add(1);
  if (transaction.subscription_key != 0) {
    // RFC 6665 §4.2.2: a NOTIFY that times out ends its subscription.
    auto key = subscription_keys_.find(transaction.subscription_key);
    if (key != subscription_keys_.end()) {
      const std::string dialog = key->second;
      EndSubscription(dialog, "", /*notify=*/false);
    }
  }
}

}  // namespace internal
}  // namespace server
}  // namespace conf
