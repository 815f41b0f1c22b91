#include "server/sip_service.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "base/mutex.h"
#include "codec/c3p_request_encoder.h"
#include "engine/model.h"
#include "server/connection.h"
#include "sip/framer.h"
#include "sip/message.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"

namespace conf {
namespace server {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kAlice = "sip:alice@fabrikam.com";
constexpr absl::string_view kBob = "sip:bob@fabrikam.com";

// A connection that keeps what is sent and runs posted tasks when told.
class FakeConnection : public Connection {
 public:
  const PeerInfo& peer() const override { return peer_; }
  bool Send(absl::string_view bytes) override {
    if (refuse_sends)
      return false;
    sent.emplace_back(bytes);
    return true;
  }
  size_t queued_bytes() const override { return 0; }
  void Close() override { closed = true; }
  void Post(std::function<void()> task) override {
    MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
  }
  void WakeAt(absl::Time when) override { wake = when; }

  // Runs what was posted (and what that posts), as the loop would.
  void RunPosted() {
    for (;;) {
      std::vector<std::function<void()>> tasks;
      {
        MutexLock lock(&mu_);
        tasks.swap(posted_);
      }
      if (tasks.empty())
        return;
      for (auto& task : tasks)
        task();
    }
  }

  PeerInfo peer_{"192.0.2.10", 5061, TransportKind::kTcp, false, ""};
  std::vector<std::string> sent;
  bool refuse_sends = false;
  bool closed = false;
  absl::Time wake = absl::InfiniteFuture();

 private:
  Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
};

// One SIP request as a client writes it.
struct Request {
  std::string method = "INFO";
  std::string uri;
  std::string from;  // URI
  std::string from_tag = "c1";
  std::string to;  // URI
  std::string to_tag;
  std::string call_id = "call-1";
  int cseq = 1;
  std::vector<std::string> headers;
  std::string content_type;
  std::string body;

  std::string Bytes() const {
    std::string out = absl::StrCat(
        method, " ", uri, " SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10:5061",
        ";branch=z9hG4bK", call_id, cseq, "\r\nMax-Forwards: 70\r\nFrom: <",
        from, ">;tag=", from_tag, ";epid=01010101\r\nTo: <", to, ">",
        to_tag.empty() ? "" : ";tag=", to_tag, "\r\nCall-ID: ", call_id,
        "\r\nCSeq: ", cseq, " ", method, "\r\nContact: <", from,
        ";opaque=user:epid:x;gruu>\r\n");
    for (const std::string& h : headers)
      absl::StrAppend(&out, h, "\r\n");
    if (!content_type.empty())
      absl::StrAppend(&out, "Content-Type: ", content_type, "\r\n");
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n\r\n", body);
    return out;
  }
};

// A message the server sent, parsed, with its bytes.
struct Sent {
  std::string bytes;
  sip::Message message;
};

class SipServiceTest : public ::testing::Test {
 protected:
  SipServiceTest() {
    options_.identity_from_from_header = true;
    options_.clock = [this] { return now_; };
    options_.on_request = [this](SipMethod m, SipOutcome o, absl::Duration) {
      outcomes_.push_back(
          absl::StrCat(SipMethodName(m), " ", SipOutcomeName(o)));
    };
  }

  void Start() {
    service_ = std::make_unique<SipService>(&harness_.focus(), options_);
    handler_ = service_->NewHandler(&connection_);
  }

  void Feed(const Request& request) { FeedBytes(request.Bytes()); }

  void FeedBytes(const std::string& bytes) {
    sip::StreamFramer framer;
    ASSERT_TRUE(framer.Feed(bytes).ok());
    std::optional<sip::Frame> frame = framer.Next();
    ASSERT_TRUE(frame.has_value());
    handler_->OnFrame(*std::move(frame));
  }

  // The messages sent since the last call, parsed.
  std::vector<Sent> TakeSent() {
    std::vector<Sent> out;
    for (std::string& bytes : connection_.sent) {
      auto owned = std::make_unique<std::string>(std::move(bytes));
      absl::StatusOr<sip::Message> m = sip::ParseMessage(*owned);
      EXPECT_TRUE(m.ok()) << m.status() << "\n" << *owned;
      if (!m.ok())
        continue;
      kept_.push_back(std::move(owned));
      out.push_back({*kept_.back(), *std::move(m)});
    }
    connection_.sent.clear();
    return out;
  }

  // addConference through the factory with SERVICE; the new focus URI.
  std::string AddConference() {
    Request r;
    r.method = "SERVICE";
    r.uri = testing::FactoryOf(kAlice);
    r.from = std::string(kAlice);
    r.to = r.uri;
    r.call_id = "service-1";
    r.content_type = "application/cccp+xml";
    codec::AddConferenceSpec spec;
    spec.mcu_types = {"chat", "audio-video"};
    r.body = codec::EncodeAddConferenceRequest({"1", r.from, r.uri}, spec);
    Feed(r);
    std::vector<Sent> sent = TakeSent();
    EXPECT_EQ(sent.size(), 1u);
    if (sent.size() != 1)
      return "";
    EXPECT_EQ(sent[0].message.status_code(), 200);
    const absl::string_view body = sent[0].message.body();
    const size_t at = body.find("entity=\"");
    EXPECT_NE(at, absl::string_view::npos) << body;
    const size_t end = body.find('"', at + 8);
    std::string conference(body.substr(at + 8, end - at - 8));
    harness_.set_conference(conference);
    return conference;
  }

  Request InfoTo(const std::string& conference, absl::string_view from,
                 std::string body) {
    Request r;
    r.uri = conference;
    r.from = std::string(from);
    r.to = conference;
    r.call_id = absl::StrCat("info-", ++calls_);
    r.cseq = calls_;
    r.content_type = "application/cccp+xml";
    r.body = std::move(body);
    return r;
  }

  Request Subscribe(const std::string& conference, absl::string_view from,
                    bool benotify) {
    Request r;
    r.method = "SUBSCRIBE";
    r.uri = conference;
    r.from = std::string(from);
    r.to = conference;
    r.call_id = absl::StrCat("sub-", ++calls_);
    r.headers = {"Event: conference",
                 "Accept: application/conference-info+xml"};
    if (benotify)
      r.headers.push_back("Supported: ms-benotify");
    return r;
  }

  std::string Join(const std::string& conference, absl::string_view who,
                   engine::Role role) {
    return codec::EncodeAddUserRequest(
        {absl::StrCat(++calls_), std::string(who), conference}, conference,
        testing::ClientJoin(who, role));
  }

  testing::FocusHarness harness_;
  SipServiceOptions options_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  FakeConnection connection_;
  std::unique_ptr<SipService> service_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::vector<std::string> outcomes_;
  std::vector<std::unique_ptr<std::string>> kept_;
  int calls_ = 0;
};

TEST_F(SipServiceTest, OptionsIsAnsweredWithWhatTheFocusAccepts) {
  Start();
  Request r;
  r.method = "OPTIONS";
  r.uri = "sip:focus.example.com";
  r.from = std::string(kBob);
  r.to = r.uri;
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_THAT(std::string(*sent[0].message.FindHeader("Allow")),
              HasSubstr("SUBSCRIBE"));
  EXPECT_EQ(*sent[0].message.FindHeader("Allow-Events"), "conference");
  EXPECT_FALSE(sent[0].message.to()->tag.empty());
}

TEST_F(SipServiceTest, WithoutATrustedIdentityRequestsAreRefused) {
  options_.identity_from_from_header = false;
  Start();
  Request r = InfoTo("sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:1",
                     kBob, "<request/>");
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 403);
  EXPECT_THAT(std::string(sent[0].message.reason_phrase()),
              HasSubstr("no identity this server trusts"));
}

TEST_F(SipServiceTest, ATrustedPeerAssertsTheIdentityAndFromIsIgnored) {
  options_.identity_from_from_header = false;
  connection_.peer_.trusted = true;
  Start();
  Request r;
  r.method = "SERVICE";
  r.uri = testing::FactoryOf(kAlice);
  // From claims Bob; the proxy asserts Alice, and Alice organizes.
  r.from = std::string(kBob);
  r.to = r.uri;
  r.headers = {"P-Asserted-Identity: \"Alice\" <sip:alice@fabrikam.com>"};
  r.content_type = "application/cccp+xml";
  r.body =
      codec::EncodeAddConferenceRequest({"1", std::string(kAlice), r.uri}, {});
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_THAT(std::string(sent[0].message.body()), HasSubstr("success"));

  // Without an assertion, the trusted peer vouches for nobody.
  r.headers.clear();
  r.call_id = "service-2";
  Feed(r);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 403);
}

TEST_F(SipServiceTest, ServiceCreatesAConferenceWithTheResponseInThe200) {
  Start();
  const std::string conference = AddConference();
  EXPECT_THAT(conference, HasSubstr("opaque=app:conf:focus:id:"));
  EXPECT_THAT(outcomes_, ::testing::ElementsAre("SERVICE success"));
}

TEST_F(SipServiceTest, InfoIsAcceptedThenAnsweredByAnInfoOfTheFocus) {
  Start();
  const std::string conference = AddConference();
  Request r =
      InfoTo(conference, kAlice,
             codec::EncodeGetConferenceRequest(
                 {"5", std::string(kAlice), conference}, conference, ""));
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  const sip::Message& accepted = sent[0].message;
  EXPECT_EQ(accepted.status_code(), 202);
  const sip::Message& info = sent[1].message;
  ASSERT_TRUE(info.is_request());
  EXPECT_EQ(info.method(), "INFO");
  // To the requester's Contact, in the same dialog: Call-ID, its From as
  // our To, our tag as the 202's.
  EXPECT_THAT(std::string(info.request_uri()), HasSubstr("opaque=user:epid"));
  EXPECT_EQ(info.call_id(), r.call_id);
  EXPECT_EQ(info.to()->uri, kAlice);
  EXPECT_EQ(info.to()->tag, "c1");
  EXPECT_EQ(info.from()->uri, conference);
  EXPECT_EQ(info.from()->tag, accepted.to()->tag);
  EXPECT_EQ(info.content_type(), "application/cccp+xml");
  EXPECT_THAT(std::string(info.body()), HasSubstr("requestId=\"5\""));
  EXPECT_THAT(std::string(info.body()), HasSubstr("code=\"success\""));
  EXPECT_EQ(service_->stats().requests_in_flight.load(), 0);

  // The client's 200 completes the focus's transaction; a late duplicate
  // changes nothing.
  const std::string ok = absl::StrCat(
      "SIP/2.0 200 OK\r\nVia: ", *info.FindHeader("Via"),
      "\r\nFrom: ", *info.FindHeader("From"),
      "\r\nTo: ", *info.FindHeader("To"), "\r\nCall-ID: ", info.call_id(),
      "\r\nCSeq: ", info.cseq()->number, " INFO\r\nContent-Length: 0\r\n\r\n");
  FeedBytes(ok);
  FeedBytes(ok);
  EXPECT_TRUE(TakeSent().empty());
  now_ += absl::Minutes(1);
  handler_->OnTimer(now_);
  EXPECT_EQ(service_->stats().transactions_timed_out.load(), 0);
}

TEST_F(SipServiceTest, AnInfoWithoutC3pIsRefusedWithWhatIsAccepted) {
  Start();
  Request r = InfoTo("sip:focus@example.com", kAlice, "hello");
  r.content_type = "text/plain";
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 415);
  EXPECT_EQ(*sent[0].message.FindHeader("Accept"), "application/cccp+xml");
}

TEST_F(SipServiceTest, AnUnreadableC3pBodyGets400) {
  Start();
  Feed(InfoTo("sip:focus@example.com", kAlice, "not xml at all"));
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 400);
}

TEST_F(SipServiceTest, JoinDialogRetransmitsItsOkUntilAckAndByeLeaves) {
  Start();
  const std::string conference = AddConference();
  Request invite;
  invite.method = "INVITE";
  invite.uri = conference;
  invite.from = std::string(kBob);
  invite.to = conference;
  invite.call_id = "join-1";
  invite.content_type = "application/cccp+xml";
  invite.body = Join(conference, kBob, engine::Role::kAttendee);
  Feed(invite);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  const sip::Message& ok = sent[0].message;
  ASSERT_EQ(ok.status_code(), 200) << sent[0].bytes;
  const std::string tag(ok.to()->tag);
  EXPECT_FALSE(tag.empty());
  EXPECT_EQ(ok.contact()->uri, conference);
  EXPECT_THAT(std::string(ok.body()), HasSubstr("code=\"success\""));
  EXPECT_EQ(service_->stats().dialogs.load(), 1);
  // The organizer, who has not joined, sees how many have.
  EXPECT_THAT(harness_.FreshCanonical(kAlice), HasSubstr("user-count>1<"));

  // T1, then 2*T1: the same 200 again.
  EXPECT_EQ(connection_.wake, now_ + absl::Milliseconds(500));
  now_ += absl::Milliseconds(500);
  handler_->OnTimer(now_);
  now_ += absl::Seconds(1);
  handler_->OnTimer(now_);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].bytes, sent[1].bytes);
  EXPECT_EQ(sent[0].message.to()->tag, tag);

  Request ack = invite;
  ack.method = "ACK";
  ack.to_tag = tag;
  ack.content_type.clear();
  ack.body.clear();
  Feed(ack);
  now_ += absl::Seconds(10);
  handler_->OnTimer(now_);
  EXPECT_TRUE(TakeSent().empty());

  Request bye = ack;
  bye.method = "BYE";
  bye.cseq = 2;
  Feed(bye);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_EQ(service_->stats().dialogs.load(), 0);
  // Bob left the conference.
  EXPECT_THAT(harness_.FreshCanonical(kAlice), HasSubstr("user-count>0<"));

  // A second BYE finds no dialog.
  bye.cseq = 3;
  Feed(bye);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 481);
}

TEST_F(SipServiceTest, ARefusedJoinIsDeclinedWithTheC3pReason) {
  Start();
  const std::string conference = AddConference();
  Request invite;
  invite.method = "INVITE";
  invite.uri = conference + "x";  // no such conference
  invite.from = std::string(kBob);
  invite.to = invite.uri;
  invite.content_type = "application/cccp+xml";
  invite.body = Join(invite.uri, kBob, engine::Role::kAttendee);
  Feed(invite);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 603);
  EXPECT_THAT(std::string(sent[0].message.body()),
              HasSubstr("conferenceDoesntExist"));
  EXPECT_EQ(service_->stats().dialogs.load(), 0);
}

// The client's 200 to each NOTIFY in `sent`.
std::vector<std::string> OksForNotifies(const std::vector<Sent>& sent) {
  std::vector<std::string> oks;
  for (const Sent& s : sent) {
    const sip::Message& n = s.message;
    if (!n.is_request() || n.method() != "NOTIFY")
      continue;
    oks.push_back(absl::StrCat(
        "SIP/2.0 200 OK\r\nVia: ", *n.FindHeader("Via"),
        "\r\nFrom: ", *n.FindHeader("From"), "\r\nTo: ", *n.FindHeader("To"),
        "\r\nCall-ID: ", n.call_id(), "\r\nCSeq: ", n.cseq()->number,
        " NOTIFY\r\nContent-Length: 0\r\n\r\n"));
  }
  return oks;
}

// Applies every conference-info body of `sent` to `subscriber`.
void ApplyAll(const std::vector<Sent>& sent,
              testing::ReferenceSubscriber& subscriber) {
  for (const Sent& s : sent) {
    if (s.message.content_type() != "application/conference-info+xml")
      continue;
    absl::StatusOr<testing::ReferenceSubscriber::Outcome> outcome =
        subscriber.Apply(s.message.body());
    ASSERT_TRUE(outcome.ok()) << outcome.status() << "\n" << s.bytes;
    EXPECT_EQ(*outcome, testing::ReferenceSubscriber::Outcome::kApplied);
  }
}

TEST_F(SipServiceTest, SubscribeGetsA200ThenNotifiesFullThenPartial) {
  Start();
  const std::string conference = AddConference();
  Request sub = Subscribe(conference, kAlice, /*benotify=*/false);
  Feed(sub);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_EQ(sent[0].message.body(), "");
  EXPECT_EQ(*sent[0].message.FindHeader("Expires"), "3600");
  const sip::Message& notify = sent[1].message;
  EXPECT_EQ(notify.method(), "NOTIFY");
  EXPECT_EQ(notify.event(), "conference");
  EXPECT_EQ(*notify.FindHeader("Subscription-State"), "active;expires=3600");
  EXPECT_EQ(notify.from()->tag, sent[0].message.to()->tag);
  EXPECT_THAT(std::string(notify.body()), HasSubstr("state=\"full\""));
  testing::ReferenceSubscriber subscriber;
  ApplyAll(sent, subscriber);

  // Bob joins through the focus; the subscription wakes on the loop.
  ASSERT_TRUE(harness_.Join(kBob, engine::Role::kAttendee).success());
  EXPECT_TRUE(TakeSent().empty());
  connection_.RunPosted();
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method(), "NOTIFY");
  EXPECT_THAT(std::string(sent[0].message.body()),
              HasSubstr("state=\"partial\""));
  ApplyAll(sent, subscriber);
  EXPECT_EQ(subscriber.Canonical(), harness_.FreshCanonical(kAlice));
  EXPECT_EQ(service_->stats().subscriptions.load(), 1);

  // The client refuses a NOTIFY with 481: the subscription ends.
  const sip::Message& n = sent[0].message;
  FeedBytes(absl::StrCat(
      "SIP/2.0 481 Gone\r\nVia: ", *n.FindHeader("Via"),
      "\r\nFrom: ", *n.FindHeader("From"), "\r\nTo: ", *n.FindHeader("To"),
      "\r\nCall-ID: ", n.call_id(), "\r\nCSeq: ", n.cseq()->number,
      " NOTIFY\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(service_->stats().subscriptions.load(), 0);
  ASSERT_TRUE(harness_.Join("sip:carol@fabrikam.com", engine::Role::kAttendee)
                  .success());
  connection_.RunPosted();
  EXPECT_TRUE(TakeSent().empty());
}

TEST_F(SipServiceTest, BenotifyClientsGetTheRosterInThe200) {
  Start();
  const std::string conference = AddConference();
  Feed(Subscribe(conference, kAlice, /*benotify=*/true));
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_EQ(*sent[0].message.FindHeader("Supported"), "ms-benotify");
  EXPECT_THAT(std::string(sent[0].message.body()), HasSubstr("state=\"full\""));
  testing::ReferenceSubscriber subscriber;
  ApplyAll(sent, subscriber);

  ASSERT_TRUE(harness_.Join(kBob, engine::Role::kAttendee).success());
  connection_.RunPosted();
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method(), "BENOTIFY");
  ApplyAll(sent, subscriber);
  EXPECT_EQ(subscriber.Canonical(), harness_.FreshCanonical(kAlice));
}

TEST_F(SipServiceTest, ARefreshSendsFullStateAndExpiryTerminates) {
  Start();
  const std::string conference = AddConference();
  Request sub = Subscribe(conference, kAlice, /*benotify=*/false);
  sub.headers.push_back("Expires: 120");
  Feed(sub);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(*sent[0].message.FindHeader("Expires"), "120");
  testing::ReferenceSubscriber subscriber;
  ApplyAll(sent, subscriber);
  for (const std::string& ok : OksForNotifies(sent))
    FeedBytes(ok);

  Request refresh = sub;
  refresh.to_tag = std::string(sent[0].message.to()->tag);
  refresh.cseq = 2;
  now_ += absl::Seconds(100);
  Feed(refresh);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].message.status_code(), 200);
  EXPECT_THAT(std::string(sent[1].message.body()), HasSubstr("state=\"full\""));
  // The version sequence goes on (RFC 4575 §4.6).
  ApplyAll(sent, subscriber);
  // A client answers its NOTIFYs; one left unanswered for 64*T1 would end
  // the subscription first (RFC 6665 §4.2.2).
  for (const std::string& ok : OksForNotifies(sent))
    FeedBytes(ok);

  // 100 s later the refreshed subscription still holds; at 120 s it ends.
  now_ += absl::Seconds(100);
  handler_->OnTimer(now_);
  EXPECT_TRUE(TakeSent().empty());
  now_ += absl::Seconds(20);
  handler_->OnTimer(now_);
  sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(*sent[0].message.FindHeader("Subscription-State"),
            "terminated;reason=timeout");
  EXPECT_EQ(service_->stats().subscriptions.load(), 0);
}

TEST_F(SipServiceTest, SubscriptionsToOtherEventsOrUnknownDialogsAreRefused) {
  Start();
  const std::string conference = AddConference();
  Request sub = Subscribe(conference, kAlice, false);
  sub.headers = {"Event: presence"};
  Feed(sub);
  sub = Subscribe(conference, kAlice, false);
  sub.to_tag = "nosuchtag";
  Feed(sub);
  sub = Subscribe(conference + "x", kAlice, false);
  Feed(sub);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].message.status_code(), 489);
  EXPECT_EQ(*sent[0].message.FindHeader("Allow-Events"), "conference");
  EXPECT_EQ(sent[1].message.status_code(), 481);
  EXPECT_EQ(sent[2].message.status_code(), 404);
}

TEST_F(SipServiceTest, DeletingTheConferenceTerminatesItsSubscriptions) {
  Start();
  const std::string conference = AddConference();
  Feed(Subscribe(conference, kAlice, false));
  TakeSent();
  Feed(InfoTo(conference, kAlice,
              codec::EncodeDeleteConferenceRequest(
                  {"9", std::string(kAlice), conference}, conference)));
  connection_.RunPosted();
  std::vector<Sent> sent = TakeSent();
  bool terminated = false;
  for (const Sent& s : sent) {
    if (s.message.is_request() && s.message.method() == "NOTIFY") {
      EXPECT_EQ(*s.message.FindHeader("Subscription-State"),
                "terminated;reason=noresource");
      terminated = true;
    }
  }
  EXPECT_TRUE(terminated);
  EXPECT_EQ(service_->stats().subscriptions.load(), 0);
}

TEST_F(SipServiceTest, AFullQueueDefersNotificationsAndCatchesUpLater) {
  Start();
  const std::string conference = AddConference();
  Feed(Subscribe(conference, kAlice, false));
  testing::ReferenceSubscriber subscriber;
  ApplyAll(TakeSent(), subscriber);

  connection_.refuse_sends = true;
  ASSERT_TRUE(harness_.Join(kBob, engine::Role::kAttendee).success());
  connection_.RunPosted();
  EXPECT_EQ(service_->stats().notifications_deferred.load(), 1);
  ASSERT_TRUE(harness_.Join("sip:carol@fabrikam.com", engine::Role::kAttendee)
                  .success());
  connection_.RunPosted();
  connection_.refuse_sends = false;
  handler_->OnWritable();
  connection_.RunPosted();
  std::vector<Sent> sent = TakeSent();
  ASSERT_FALSE(sent.empty());
  ApplyAll(sent, subscriber);
  EXPECT_EQ(subscriber.Canonical(), harness_.FreshCanonical(kAlice));
  EXPECT_FALSE(connection_.closed);
}

TEST_F(SipServiceTest, OverloadAnswers503WithRetryAfter) {
  options_.max_requests_in_flight = 0;
  Start();
  Feed(InfoTo("sip:focus@example.com", kAlice, "<request/>"));
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status_code(), 503);
  EXPECT_EQ(*sent[0].message.FindHeader("Retry-After"), "1");
}

TEST_F(SipServiceTest, OtherMethodsAndMissingHeadersGetTheirFinalResponse) {
  Start();
  Request r;
  r.method = "MESSAGE";
  r.uri = "sip:focus@example.com";
  r.from = std::string(kAlice);
  r.to = r.uri;
  Feed(r);
  FeedBytes(
      "INFO sip:focus@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch="
      "z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:focus@example.com>\r\n"
      "CSeq: 1 INFO\r\nContent-Length: 0\r\n\r\n");
  r.method = "CANCEL";
  Feed(r);
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].message.status_code(), 405);
  EXPECT_THAT(std::string(*sent[0].message.FindHeader("Allow")),
              HasSubstr("INFO"));
  EXPECT_EQ(sent[1].message.status_code(), 400);
  EXPECT_THAT(std::string(sent[1].message.reason_phrase()),
              HasSubstr("Call-ID"));
  EXPECT_EQ(sent[2].message.status_code(), 481);
}

TEST_F(SipServiceTest, TerminateEndsSubscriptionsWithTheReason) {
  Start();
  const std::string conference = AddConference();
  Feed(Subscribe(conference, kAlice, false));
  TakeSent();
  SipService::Terminate(*handler_, "deactivated");
  std::vector<Sent> sent = TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(*sent[0].message.FindHeader("Subscription-State"),
            "terminated;reason=deactivated");
  EXPECT_EQ(service_->stats().subscriptions.load(), 0);
}

TEST_F(SipServiceTest, KeepAlivePingsAreAnswered) {
  Start();
  sip::StreamFramer framer;
  ASSERT_TRUE(framer.Feed("\r\n\r\n").ok());
  handler_->OnFrame(*framer.Next());
  ASSERT_EQ(connection_.sent.size(), 1u);
  EXPECT_EQ(connection_.sent[0], "\r\n");
}

}  // namespace
}  // namespace server
}  // namespace conf
