// One connection's SIP state: its join dialogs, its subscriptions and the
// requests the focus sent on it that await a response. The handler
// SipService::NewHandler() makes (server/sip_service.h describes what each
// method does); everything here runs on the connection's loop thread except
// Mailbox::Post().

#ifndef CONF_SERVER_INTERNAL_SIP_CONNECTION_H_
#define CONF_SERVER_INTERNAL_SIP_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "base/mutex.h"
#include "focus/focus.h"
#include "focus/notification.h"
#include "server/connection.h"
#include "server/internal/identity.h"
#include "server/sip_service.h"
#include "sip/framer.h"
#include "sip/message.h"
#include "sip/writer.h"

namespace conf {
namespace server {
namespace internal {

// How threads other than the loop reach a connection: the focus's
// completion thread (a durable answer) and subscription wake-ups. Shared
// with every such callback, so it outlives the handler; once closed it
// drops what is posted.
class Mailbox : public std::enable_shared_from_this<Mailbox> {
 public:
  explicit Mailbox(Connection* connection) : connection_(connection) {}

  // Runs `task` on the connection's loop unless the mailbox is closed by
  // the time it would run. Any thread.
  void Post(std::function<void()> task);
  // On the loop thread, from OnClosed(): nothing posted runs after this.
  void Close();

 private:
  Mutex mu_;
  Connection* connection_ ABSL_GUARDED_BY(mu_);
};

class SipConnection : public ConnectionHandler {
 public:
  SipConnection(SipService* service, Connection* connection);
  ~SipConnection() override;

  void OnFrame(sip::Frame frame) override;
  void OnFramingError(const absl::Status& status) override;
  void OnWritable() override;
  void OnTimer(absl::Time now) override;
  void OnClosed() override;

  // SipService::Terminate.
  void Terminate(absl::string_view reason);

 private:
  using FramePtr = std::shared_ptr<const sip::Frame>;

  // A join dialog (RFC 3261 §12), made by a successful INVITE.
  struct JoinDialog {
    std::string call_id;
    std::string local_tag;
    std::string focus_uri;  // the INVITE's Request-URI: the conference
    Identity identity;
    // The 2xx, sent again until the ACK (RFC 3261 §13.3.1.4).
    std::string ok_bytes;
    bool acked = false;
    absl::Duration interval;
    absl::Time next_send;
    absl::Time give_up;
  };

  // A conference subscription (RFC 6665) and what is needed to send in it.
  struct SubscriptionDialog {
    uint64_t key = 0;  // for wake-ups, which must not hold a pointer
    std::string call_id;
    std::string local_tag;
    std::string conference;     // the SUBSCRIBE's Request-URI
    std::string remote_target;  // its Contact (or From) URI
    std::string remote_from;    // its From value: our requests' To
    std::vector<std::string> route_set;
    std::string subscription_id;  // the focus's: Call-ID;from-tag
    Identity identity;
    bool benotify = false;
    absl::Time expires_at;
    std::unique_ptr<focus::Subscription> subscription;
    uint32_t last_sent_version = 0;
    bool catch_up = false;  // a NOTIFY could not be queued
  };

  // A request the focus sent, awaiting its final response.
  struct ClientTransaction {
    std::string call_id;
    absl::string_view method;
    uint64_t subscription_key = 0;  // for NOTIFY
    absl::Time deadline;
  };

  enum class TimerKind { kRetransmit, kExpiry, kTransaction };
  struct TimerRef {
    TimerKind kind;
    std::string dialog;  // a dialogs_ or subscriptions_ key
    uint32_t cseq = 0;
  };

  // Dispatch.
  void HandleRequest(const FramePtr& frame);
  void HandleResponse(const sip::Message& response);
  void HandleC3p(const FramePtr& frame, SipMethod method, absl::Time arrival);
  void AnswerC3p(const FramePtr& frame, SipMethod method, absl::Time arrival,
                 const std::string& tag,
                 absl::StatusOr<focus::C3pResult> answer);
  void AnswerInvite(const FramePtr& frame, absl::Time arrival,
                    const std::string& tag, const Identity& identity,
                    focus::C3pResult result);
  void HandleReInvite(const sip::Message& request, absl::Time arrival);
  void HandleAck(const sip::Message& request);
  void HandleBye(const sip::Message& request, absl::Time arrival);
  void HandleCancel(const sip::Message& request, absl::Time arrival);
  void HandleSubscribe(const sip::Message& request, absl::Time arrival);
  void HandleOptions(const sip::Message& request, absl::Time arrival);

  // Subscriptions.
  absl::Status StartFocusSubscription(SubscriptionDialog& dialog,
                                      std::optional<uint32_t> last_seen);
  void Pump(SubscriptionDialog& dialog);
  bool SendNotify(SubscriptionDialog& dialog, absl::string_view state,
                  absl::string_view body);
  void EndSubscription(const std::string& key, absl::string_view reason,
                       bool notify);
  void Expire(const std::string& key, absl::Time now);

  // Sending.
  using HeaderList = std::vector<std::pair<absl::string_view, std::string>>;
  // A response to `request` in writer_'s buffer (valid until its next use).
  absl::StatusOr<absl::string_view> BuildReply(
      const sip::Message& request, int code, absl::string_view reason,
      absl::string_view to_tag, const HeaderList& headers,
      absl::string_view content_type, absl::string_view body);
  // Builds and sends it; false when the connection refused it.
  bool Reply(const sip::Message& request, int code, absl::string_view reason,
             absl::string_view to_tag, const HeaderList& headers = {},
             absl::string_view content_type = "", absl::string_view body = "");
  void Refuse(const sip::Message& request, SipMethod method, int code,
              absl::string_view reason, absl::Time arrival);
  bool SendBytes(absl::string_view bytes);
  void Finished(SipMethod method, SipOutcome outcome, absl::Time arrival);
  std::string NewTag();
  std::string NewBranch();
  // The Via of a request the focus sends: our host, a new branch.
  std::string OwnVia();

  // Timers.
  void Schedule(absl::Time when, TimerRef ref);
  void RunTimers(absl::Time now);
  void RetransmitOk(const std::string& key, absl::Time now);
  void TimeOutTransaction(uint32_t cseq, absl::Time now);

  absl::Time Now() const { return service_->options().clock(); }
  bool closed() const { return closed_; }

  SipService* const service_;
  Connection* const connection_;
  std::shared_ptr<Mailbox> mailbox_;
  bool closed_ = false;

  sip::MessageWriter writer_;
  uint32_t next_cseq_ = 1;
  uint64_t next_subscription_key_ = 1;
  absl::BitGen random_;

  // Keyed by Call-ID '\n' local tag.
  absl::flat_hash_map<std::string, std::unique_ptr<JoinDialog>> dialogs_;
  absl::flat_hash_map<std::string, std::unique_ptr<SubscriptionDialog>>
      subscriptions_;
  absl::flat_hash_map<uint64_t, std::string> subscription_keys_;
  absl::flat_hash_map<uint32_t, ClientTransaction> transactions_;
  std::multimap<absl::Time, TimerRef> timers_;
  absl::Time wake_at_ = absl::InfiniteFuture();

  std::vector<focus::Notification> notifications_;  // Poll's buffer
  focus::C3pResult scratch_;
};

}  // namespace internal
}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_INTERNAL_SIP_CONNECTION_H_
