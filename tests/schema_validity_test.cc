// Every document the focus emits validates against the RFC 4575 schema
// (spec/schemas/conference-info.local.xsd, with xmllint), whatever RFC 4575
// elements and extensions clients put in their requests.
//
// Requests carry each RFC 4575 element the C3P parser reads (docs/CODEC.md,
// "RFC 4575 elements in requests"): the modelled ones must come back in their
// own element, in schema order, once; the refused ones must get their C3P
// failure and change nothing. Extensions sent before and after cis:separator
// elements must come back after as many separators as they followed. The
// documents checked are every getConference response's conference-info and
// every notification (full and partial) of a leader's and an attendee's
// subscription.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_reason.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/reference_subscriber.h"
#include "testing/status_matchers.h"
#include "tests/shared_data.h"

namespace conf {
namespace {

using ::conf::codec::C3pReason;
using ::conf::testing::IsOk;
using ::conf::testing::XmlNode;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kBob[] = "sip:bob@contoso.com";
constexpr char kCarol[] = "sip:carol@contoso.com";
// A runfile of this test, resolved to find ../shared (tests/shared_data.h).
constexpr char kRunfile[] =
    "tests/testdata/seed/getConference.request.normalized.xml";

constexpr char kCiNs[] = "urn:ietf:params:xml:ns:conference-info";
constexpr char kSeparator[] =
    "{urn:ietf:params:xml:ns:conference-info-separator}separator";

std::string Ci(absl::string_view local) {
  return absl::StrCat("{", kCiNs, "}", local);
}
std::string X(absl::string_view local) {
  return absl::StrCat("{urn:example:x}", local);
}

// A C3P request with every namespace the bodies below use.
std::string Request(int id, absl::string_view from, absl::string_view to,
                    absl::string_view command) {
  return absl::StrCat(
      "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" "
      "xmlns:ci=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" "
      "xmlns:msci2=\"http://schemas.microsoft.com/rtc/2008/12/"
      "confinfoextensions\" "
      "xmlns:cis=\"urn:ietf:params:xml:ns:conference-info-separator\" "
      "xmlns:x=\"urn:example:x\" C3PVersion=\"1\" requestId=\"",
      id, "\" from=\"", from, "\" to=\"", to, "\">", command, "</request>");
}

// The description addConference sends: every RFC 4575 element a client may
// set, and extensions before one separator, after one and after two.
constexpr char kDescription[] =
    "<ci:conference-description>"
    "<ci:subject>Schema review</ci:subject>"
    "<ci:service-uris><ci:entry>"
    "<ci:uri>http://www.contoso.com/recording/1</ci:uri>"
    "<ci:display-text>Recording</ci:display-text>"
    "<ci:purpose>recording</ci:purpose>"
    "<ci:modified><ci:when>2026-01-02T03:04:05Z</ci:when>"
    "<ci:by>sip:alice@contoso.com</ci:by></ci:modified>"
    "</ci:entry></ci:service-uris>"
    "<ci:maximum-user-count>250</ci:maximum-user-count>"
    "<ci:available-media><ci:entry label=\"main-audio\">"
    "<ci:display-text>Audio</ci:display-text><ci:type>audio</ci:type>"
    "<ci:status>sendrecv</ci:status></ci:entry></ci:available-media>"
    "<msci:admission-policy>openAuthenticated</msci:admission-policy>"
    "<x:d0/><cis:separator/><x:d1/><cis:separator/><x:d2/>"
    "</ci:conference-description>";

constexpr char kViews[] =
    "<msci:conference-view><msci:entity-view entity=\"chat\"/>"
    "<msci:entity-view entity=\"audio-video\"/></msci:conference-view>";

// Bob's join: the user-level elements, the endpoint-level ones, and
// extensions around separators in the user and in msci:clientInfo.
constexpr char kBobUser[] =
    "<ci:user entity=\"sip:bob@contoso.com\">"
    "<ci:display-text>Bob</ci:display-text>"
    "<ci:associated-aors><ci:entry><ci:uri>sip:bob@fabrikam.com</ci:uri>"
    "<ci:display-text>Bob at Fabrikam</ci:display-text></ci:entry>"
    "</ci:associated-aors>"
    "<ci:roles><ci:entry>attendee</ci:entry></ci:roles>"
    "<ci:languages> en-US  fr </ci:languages>"
    "<ci:cascaded-focus>sip:cascade@fabrikam.com;gruu</ci:cascaded-focus>"
    "<ci:endpoint entity=\"{B0B}\" msci:session-type=\"focus\">"
    "<ci:referred><ci:when>2026-01-02T03:04:05.5+01:00</ci:when>"
    "<ci:reason>SIP;cause=302</ci:reason>"
    "<ci:by>sip:alice@contoso.com</ci:by></ci:referred>"
    "<ci:joining-info><ci:when>2026-01-02T03:04:06Z</ci:when>"
    "<ci:reason>invited</ci:reason></ci:joining-info>"
    "<ci:call-info><ci:sip><ci:display-text>focus dialog</ci:display-text>"
    "<ci:call-id>c1@bob</ci:call-id><ci:from-tag>f1</ci:from-tag>"
    "<ci:to-tag>t1</ci:to-tag></ci:sip></ci:call-info>"
    "<msci:clientInfo><cis:separator/>"
    "<msci2:lobby-capable>true</msci2:lobby-capable><cis:separator/><x:c2/>"
    "</msci:clientInfo></ci:endpoint>"
    "<x:u0/><cis:separator/><x:u1/><cis:separator/><x:u2/>"
    "</ci:user>";

// Bob reports an A/V endpoint whole.
constexpr char kBobAvEndpoint[] =
    "<ci:endpoint entity=\"{B0B-AV}\" msci:session-type=\"audio-video\">"
    "<ci:display-text>Bob A/V</ci:display-text>"
    "<ci:referred><ci:by>sip:alice@contoso.com</ci:by></ci:referred>"
    "<ci:status>connected</ci:status>"
    "<ci:joining-method>dialed-in</ci:joining-method>"
    "<ci:joining-info><ci:when>2026-01-02T03:05:00Z</ci:when>"
    "</ci:joining-info>"
    "<ci:media id=\"1\"><ci:type>audio</ci:type><ci:label>main-audio</ci:label>"
    "<ci:status>sendrecv</ci:status></ci:media>"
    "<ci:call-info><ci:sip><ci:call-id>av@bob</ci:call-id>"
    "<ci:from-tag>f2</ci:from-tag><ci:to-tag>t2</ci:to-tag></ci:sip>"
    "</ci:call-info>"
    "<x:e0/><cis:separator/><x:e1/>"
    "</ci:endpoint>";

// ... then its disconnection, as a status report.
constexpr char kBobAvDisconnected[] =
    "<ci:endpoint entity=\"{B0B-AV}\"><ci:status>disconnected</ci:status>"
    "<ci:disconnection-method>departed</ci:disconnection-method>"
    "<ci:disconnection-info><ci:when>2026-01-02T04:00:00Z</ci:when>"
    "<ci:reason>BYE</ci:reason><ci:by>sip:bob@contoso.com</ci:by>"
    "</ci:disconnection-info></ci:endpoint>";

// The only child of `node` named `name`; a failure and an empty node when
// there is not exactly one.
const XmlNode& Child(const XmlNode& node, const std::string& name) {
  static const XmlNode* const kEmpty = new XmlNode;
  const XmlNode* found = nullptr;
  int count = 0;
  for (const XmlNode& c : node.children) {
    if (c.name == name) {
      found = &c;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << name << " in " << node.name;
  return count == 1 ? *found : *kEmpty;
}

// The child of `node` named `name` whose attribute `key` is `value`.
const XmlNode& Keyed(const XmlNode& node, const std::string& name,
                     absl::string_view key, absl::string_view value) {
  static const XmlNode* const kEmpty = new XmlNode;
  for (const XmlNode& c : node.children) {
    if (c.name != name)
      continue;
    for (const auto& [k, v] : c.attributes) {
      if (k == key && v == value)
        return c;
    }
  }
  ADD_FAILURE() << name << " with " << key << "=" << value << " not found";
  return *kEmpty;
}

// How many cis:separator siblings precede `name` among `node`'s children; -1
// when `name` is not there.
int SeparatorsBefore(const XmlNode& node, const std::string& name) {
  int separators = 0;
  for (const XmlNode& c : node.children) {
    if (c.name == kSeparator)
      ++separators;
    if (c.name == name)
      return separators;
  }
  return -1;
}

// RFC 4575 children of RFC 4575 elements sit before every foreign child
// (never in the ##other slot), and only the repeatable ones repeat.
void ExpectRfcChildrenInTheirSlots(const XmlNode& node,
                                   const std::string& where) {
  const std::string ci_prefix = absl::StrCat("{", kCiNs, "}");
  if (absl::StartsWith(node.name, ci_prefix)) {
    std::string foreign;
    std::vector<std::string> seen;
    for (const XmlNode& c : node.children) {
      if (!absl::StartsWith(c.name, ci_prefix)) {
        foreign = c.name;
        continue;
      }
      EXPECT_EQ(foreign, "") << where << ": " << c.name << " after " << foreign
                             << " in " << node.name;
      const bool repeats = c.name == Ci("user") || c.name == Ci("endpoint") ||
                           c.name == Ci("media") || c.name == Ci("entry");
      if (!repeats) {
        EXPECT_THAT(seen, ::testing::Not(::testing::Contains(c.name)))
            << where << ": " << c.name << " twice in " << node.name;
        seen.push_back(c.name);
      }
    }
  }
  for (const XmlNode& c : node.children) {
    ExpectRfcChildrenInTheirSlots(c, where);
  }
}

class SchemaValidityTest : public ::testing::Test {
 protected:
  // Sends `command` from `from` to `to` (the conference by default).
  focus::C3pResult Send(absl::string_view from, absl::string_view command,
                        absl::string_view to = "") {
    const std::string target(to.empty() ? absl::string_view(conference_) : to);
    return h_.Send(from, Request(++request_id_, from, target, command));
  }

  std::string AddConferenceBody(absl::string_view description,
                                absl::string_view extra = "") {
    return absl::StrCat("<addConference><ci:conference-info entity=\"\">",
                        description, extra, kViews,
                        "</ci:conference-info></addConference>");
  }

  std::string ModifyConferenceBody(absl::string_view content) {
    return absl::StrCat("<modifyConference><conferenceKeys confEntity=\"",
                        conference_, "\"/><ci:conference-info entity=\"",
                        conference_, "\">", content,
                        "</ci:conference-info></modifyConference>");
  }

  std::string AddUserBody(absl::string_view user) {
    return absl::StrCat("<addUser><conferenceKeys confEntity=\"", conference_,
                        "\"/>", user, "</addUser>");
  }

  std::string ModifyEndpointBody(absl::string_view user,
                                 absl::string_view endpoint) {
    return absl::StrCat("<modifyEndpoint><userKeys confEntity=\"", conference_,
                        "\" userEntity=\"", user, "\"/>", endpoint,
                        "</modifyEndpoint>");
  }

  // Creates the conference from kDescription; Alice, its organizer, joins
  // and subscribes; Bob joins with kBobUser and subscribes, reports an A/V
  // endpoint and then its disconnection; Alice changes the service URIs and
  // the available media. Every notification is collected on the way.
  void RunScenario() {
    focus::C3pResult added = Send(kAlice, AddConferenceBody(kDescription),
                                  testing::FactoryOf(kAlice));
    ASSERT_TRUE(added.success()) << added.body;
    const size_t at = added.body.find("entity=\"");
    ASSERT_NE(at, std::string::npos);
    conference_ =
        added.body.substr(at + 8, added.body.find('"', at + 8) - at - 8);
    // The organizer joins first, as a client does, and so sees the roster.
    focus::C3pResult organizer_joined =
        Send(kAlice, AddUserBody("<ci:user entity=\"sip:alice@contoso.com\">"
                                 "<ci:roles><ci:entry>presenter</ci:entry>"
                                 "</ci:roles><ci:endpoint entity=\"{A11CE}\"/>"
                                 "</ci:user>"));
    ASSERT_TRUE(organizer_joined.success()) << organizer_joined.body;
    alice_ = Subscribe(kAlice, "alice-1");
    ASSERT_NE(alice_, nullptr);
    Collect();

    focus::C3pResult joined = Send(kBob, AddUserBody(kBobUser));
    ASSERT_TRUE(joined.success()) << joined.body;
    bob_ = Subscribe(kBob, "bob-1");
    ASSERT_NE(bob_, nullptr);
    Collect();

    focus::C3pResult av = Send(kBob, ModifyEndpointBody(kBob, kBobAvEndpoint));
    ASSERT_TRUE(av.success()) << av.body;
    Collect();
    GetConference(kBob, "bob A/V connected");

    focus::C3pResult gone =
        Send(kBob, ModifyEndpointBody(kBob, kBobAvDisconnected));
    ASSERT_TRUE(gone.success()) << gone.body;
    Collect();

    focus::C3pResult modified =
        Send(kAlice,
             ModifyConferenceBody(
                 "<ci:conference-description><ci:subject>Schema review 2"
                 "</ci:subject><ci:service-uris><ci:entry>"
                 "<ci:uri>http://www.contoso.com/event/2</ci:uri>"
                 "<ci:purpose>event</ci:purpose></ci:entry></ci:service-uris>"
                 "<ci:available-media><ci:entry label=\"main-video\">"
                 "<ci:type>video</ci:type></ci:entry></ci:available-media>"
                 "</ci:conference-description>"));
    ASSERT_TRUE(modified.success()) << modified.body;
    Collect();
  }

  std::unique_ptr<focus::Subscription> Subscribe(absl::string_view who,
                                                 absl::string_view id) {
    focus::SubscribeRequest request;
    request.subscription_id = std::string(id);
    request.user = std::string(who);
    request.conference = conference_;
    absl::StatusOr<std::unique_ptr<focus::Subscription>> s =
        h_.focus().Subscribe(std::move(request));
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *std::move(s) : nullptr;
  }

  // Every notification due on both subscriptions, kept for validation and
  // fed to reference subscribers (versions rise by one, each applies).
  void Collect() {
    Drain(alice_.get(), &alice_sub_, "alice");
    Drain(bob_.get(), &bob_sub_, "bob");
  }

  void Drain(focus::Subscription* s, testing::ReferenceSubscriber* sub,
             absl::string_view who) {
    if (s == nullptr)
      return;
    for (const focus::Notification& n : s->Poll()) {
      const std::string bytes = n.Bytes();
      EXPECT_EQ(n.version, sub->version() + 1) << bytes;
      EXPECT_THAT(sub->Apply(bytes), IsOk()) << bytes;
      Keep(absl::StrCat(
               who, " notification v", n.version,
               n.kind == focus::DocumentKind::kFull ? " (full)" : " (partial)"),
           bytes);
    }
  }

  // The conference-info of a getConference by `who`, kept for validation.
  std::string GetConference(absl::string_view who, absl::string_view label) {
    focus::C3pResult r =
        Send(who, absl::StrCat("<getConference><conferenceKeys confEntity=\"",
                               conference_, "\"/></getConference>"));
    EXPECT_TRUE(r.success()) << r.body;
    std::string document = testing::EmbeddedDocument(r.body);
    EXPECT_NE(document, "") << r.body;
    Keep(absl::StrCat("getConference by ", who, ", ", label), document);
    return document;
  }

  void Keep(std::string label, std::string document) {
    absl::StatusOr<testing::ParsedDocument> parsed =
        testing::ParseConferenceInfoForTest(document);
    EXPECT_THAT(parsed, IsOk()) << label << "\n" << document;
    if (parsed.ok())
      ExpectRfcChildrenInTheirSlots(parsed->root, label);
    documents_.emplace_back(std::move(label), std::move(document));
  }

  // Validates every kept document with one xmllint run.
  void ValidateAll() {
    ASSERT_FALSE(documents_.empty());
    if (!testing::HaveProgram("xmllint"))
      GTEST_SKIP() << "xmllint missing";
    const std::string shared = testing::SharedDir(kRunfile);
    ASSERT_FALSE(shared.empty()) << "../shared not found next to the workspace";
    std::vector<std::string> paths;
    for (size_t i = 0; i < documents_.size(); ++i) {
      paths.push_back(
          testing::TempPath(absl::StrCat("schema_doc_", i, ".xml")));
      ASSERT_TRUE(testing::WriteFile(paths.back(), documents_[i].second));
    }
    testing::CommandResult result = testing::RunCommand(absl::StrCat(
        "xmllint --noout --nonet --schema ", shared,
        "/spec/schemas/conference-info.local.xsd ", absl::StrJoin(paths, " ")));
    for (size_t i = 0; i < documents_.size(); ++i) {
      EXPECT_TRUE(absl::StrContains(result.output,
                                    absl::StrCat(paths[i], " validates")))
          << documents_[i].first << "\n"
          << documents_[i].second << "\n"
          << result.output;
    }
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }

  testing::FocusHarness h_;
  int request_id_ = 0;
  std::string conference_;
  std::unique_ptr<focus::Subscription> alice_;
  std::unique_ptr<focus::Subscription> bob_;
  testing::ReferenceSubscriber alice_sub_;
  testing::ReferenceSubscriber bob_sub_;
  std::vector<std::pair<std::string, std::string>> documents_;
};

TEST_F(SchemaValidityTest, EveryDocumentValidates) {
  ASSERT_NO_FATAL_FAILURE(RunScenario());
  GetConference(kAlice, "end");
  GetConference(kBob, "end");
  // A late subscriber's first document is a full one built from the caches.
  std::unique_ptr<focus::Subscription> late = Subscribe(kAlice, "alice-2");
  ASSERT_NE(late, nullptr);
  testing::ReferenceSubscriber late_sub;
  Drain(late.get(), &late_sub, "alice late");
  EXPECT_EQ(late_sub.Canonical(), alice_sub_.Canonical());
  ValidateAll();
}

TEST_F(SchemaValidityTest, ModelledElementsComeBackInTheirOwnElements) {
  ASSERT_NO_FATAL_FAILURE(RunScenario());
  absl::StatusOr<testing::ParsedDocument> doc =
      testing::ParseConferenceInfoForTest(GetConference(kAlice, "end"));
  ASSERT_THAT(doc, IsOk());
  const XmlNode& description = Child(doc->root, Ci("conference-description"));
  // modifyConference replaced the service URIs and the available media.
  const XmlNode& service =
      Child(Child(description, Ci("service-uris")), Ci("entry"));
  EXPECT_EQ(Child(service, Ci("uri")).text, "http://www.contoso.com/event/2");
  EXPECT_EQ(Child(service, Ci("purpose")).text, "event");
  const XmlNode& medium = Keyed(Child(description, Ci("available-media")),
                                Ci("entry"), "label", "main-video");
  EXPECT_EQ(Child(medium, Ci("type")).text, "video");
  EXPECT_EQ(Child(description, Ci("maximum-user-count")).text, "250");
  // conf-uris holds what the focus assigned: one entry per MCU.
  for (const XmlNode& entry : Child(description, Ci("conf-uris")).children) {
    EXPECT_THAT(Child(entry, Ci("uri")).text,
                ::testing::HasSubstr(";gruu;opaque=app:conf:"));
  }
  // Extensions keep the separators they followed.
  EXPECT_GE(SeparatorsBefore(description, X("d0")), 1);
  EXPECT_GE(SeparatorsBefore(description, X("d1")), 1);
  EXPECT_EQ(SeparatorsBefore(description, X("d2")),
            SeparatorsBefore(description, X("d1")) + 1);

  const XmlNode& bob =
      Keyed(Child(doc->root, Ci("users")), Ci("user"), "entity", kBob);
  const XmlNode& aor = Child(Child(bob, Ci("associated-aors")), Ci("entry"));
  EXPECT_EQ(Child(aor, Ci("uri")).text, "sip:bob@fabrikam.com");
  EXPECT_EQ(Child(aor, Ci("display-text")).text, "Bob at Fabrikam");
  EXPECT_EQ(Child(bob, Ci("languages")).text, "en-US fr");
  EXPECT_EQ(Child(bob, Ci("cascaded-focus")).text,
            "sip:cascade@fabrikam.com;gruu");
  EXPECT_EQ(SeparatorsBefore(bob, X("u0")), 1);
  EXPECT_EQ(SeparatorsBefore(bob, X("u1")), 1);
  EXPECT_EQ(SeparatorsBefore(bob, X("u2")), 2);

  const XmlNode& focus_endpoint = Keyed(bob, Ci("endpoint"), "entity", "{B0B}");
  const XmlNode& referred = Child(focus_endpoint, Ci("referred"));
  EXPECT_EQ(Child(referred, Ci("when")).text, "2026-01-02T03:04:05.5+01:00");
  EXPECT_EQ(Child(referred, Ci("reason")).text, "SIP;cause=302");
  EXPECT_EQ(Child(referred, Ci("by")).text, kAlice);
  EXPECT_EQ(Child(Child(focus_endpoint, Ci("joining-info")), Ci("reason")).text,
            "invited");
  const XmlNode& sip = Child(Child(focus_endpoint, Ci("call-info")), Ci("sip"));
  EXPECT_EQ(Child(sip, Ci("display-text")).text, "focus dialog");
  EXPECT_EQ(Child(sip, Ci("call-id")).text, "c1@bob");
  EXPECT_EQ(Child(sip, Ci("from-tag")).text, "f1");
  EXPECT_EQ(Child(sip, Ci("to-tag")).text, "t1");
  const XmlNode& client_info =
      Child(focus_endpoint,
            "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}"
            "clientInfo");
  EXPECT_EQ(SeparatorsBefore(client_info, X("c2")), 2);

  const XmlNode& av = Keyed(bob, Ci("endpoint"), "entity", "{B0B-AV}");
  EXPECT_EQ(Child(Child(av, Ci("referred")), Ci("by")).text, kAlice);
  EXPECT_EQ(Child(Child(av, Ci("joining-info")), Ci("when")).text,
            "2026-01-02T03:05:00Z");
  EXPECT_EQ(Child(av, Ci("status")).text, "disconnected");
  EXPECT_EQ(Child(av, Ci("disconnection-method")).text, "departed");
  const XmlNode& info = Child(av, Ci("disconnection-info"));
  EXPECT_EQ(Child(info, Ci("when")).text, "2026-01-02T04:00:00Z");
  EXPECT_EQ(Child(info, Ci("reason")).text, "BYE");
  EXPECT_EQ(Child(info, Ci("by")).text, kBob);
  EXPECT_EQ(
      Child(Child(Child(av, Ci("call-info")), Ci("sip")), Ci("call-id")).text,
      "av@bob");
  EXPECT_GE(SeparatorsBefore(av, X("e0")), 1);
  EXPECT_GE(SeparatorsBefore(av, X("e1")), 1);

  // What the leader's subscription built from partial documents is what a
  // fresh document shows.
  testing::ReferenceSubscriber fresh;
  ASSERT_THAT(fresh.Apply(GetConference(kAlice, "fresh")), IsOk());
  EXPECT_EQ(alice_sub_.Canonical(), fresh.Canonical());
}

TEST_F(SchemaValidityTest, RefusedElementsGetTheirFailure) {
  ASSERT_NO_FATAL_FAILURE(RunScenario());
  struct Case {
    const char* name;
    const char* from;
    bool to_factory;
    std::string command;
    C3pReason reason;
  };
  const std::string valid_user_head =
      "<ci:user entity=\"sip:carol@contoso.com\"><ci:roles>"
      "<ci:entry>attendee</ci:entry></ci:roles>";
  auto carol = [&](absl::string_view user_content,
                   absl::string_view endpoint_content) {
    return AddUserBody(absl::StrCat(
        valid_user_head, user_content, "<ci:endpoint entity=\"{CA}\">",
        endpoint_content, "</ci:endpoint></ci:user>"));
  };
  const std::string description_with_conf_uris = absl::StrReplaceAll(
      kDescription,
      {{"<ci:service-uris>",
        "<ci:conf-uris><ci:entry><ci:uri>sip:mine@contoso.com</ci:uri>"
        "<ci:purpose>chat</ci:purpose></ci:entry></ci:conf-uris>"
        "<ci:service-uris>"}});
  const Case kCases[] = {
      {"conf-uris in addConference", kAlice, true,
       AddConferenceBody(description_with_conf_uris),
       C3pReason::kRequestMalformed},
      {"conf-uris in modifyConference", kAlice, false,
       ModifyConferenceBody(
           "<ci:conference-description><ci:conf-uris><ci:entry>"
           "<ci:uri>sip:mine@contoso.com</ci:uri></ci:entry></ci:conf-uris>"
           "</ci:conference-description>"),
       C3pReason::kRequestMalformed},
      {"sidebars-by-ref in addConference", kAlice, true,
       AddConferenceBody(
           kDescription,
           "<ci:sidebars-by-ref><ci:entry><ci:uri>sip:side@"
           "contoso.com</ci:uri></ci:entry></ci:sidebars-by-ref>"),
       C3pReason::kNotSupported},
      {"sidebars-by-val in modifyConference", kAlice, false,
       ModifyConferenceBody("<ci:sidebars-by-val><ci:entry entity=\"sip:side@"
                            "contoso.com\"/></ci:sidebars-by-val>"),
       C3pReason::kNotSupported},
      {"host-info in addConference", kAlice, true,
       AddConferenceBody(kDescription,
                         "<ci:host-info><ci:display-text>Contoso"
                         "</ci:display-text></ci:host-info>"),
       C3pReason::kRequestMalformed},
      {"conference-state in modifyConference", kAlice, false,
       ModifyConferenceBody("<ci:conference-state><ci:locked>true</ci:locked>"
                            "</ci:conference-state>"),
       C3pReason::kRequestMalformed},
      {"languages that are not xs:language", kCarol, false,
       carol("<ci:languages>en_US</ci:languages>", ""),
       C3pReason::kRequestMalformed},
      {"cascaded-focus that is not an xs:anyURI", kCarol, false,
       carol("<ci:cascaded-focus>sip:%zz</ci:cascaded-focus>", ""),
       C3pReason::kRequestMalformed},
      {"associated-aors without an entry", kCarol, false,
       carol("<ci:associated-aors/>", ""), C3pReason::kRequestMalformed},
      {"referred/when that is not an xs:dateTime", kCarol, false,
       carol("", "<ci:referred><ci:when>yesterday</ci:when></ci:referred>"),
       C3pReason::kRequestMalformed},
      {"joining-info/by that is not an xs:anyURI", kCarol, false,
       carol("", "<ci:joining-info><ci:by>a#b#c</ci:by></ci:joining-info>"),
       C3pReason::kRequestMalformed},
      {"call-info/sip without to-tag", kCarol, false,
       carol("",
             "<ci:call-info><ci:sip><ci:call-id>x</ci:call-id>"
             "<ci:from-tag>y</ci:from-tag></ci:sip></ci:call-info>"),
       C3pReason::kRequestMalformed},
      {"call-info other than sip", kCarol, false,
       carol("", "<ci:call-info><x:h323/></ci:call-info>"),
       C3pReason::kNotSupported},
      {"available-media entry without type", kAlice, false,
       ModifyConferenceBody("<ci:conference-description><ci:available-media>"
                            "<ci:entry label=\"a\"/></ci:available-media>"
                            "</ci:conference-description>"),
       C3pReason::kRequestMalformed},
      {"disconnection-info on an endpoint that is connected", kBob, false,
       ModifyEndpointBody(
           kBob,
           "<ci:endpoint entity=\"{B0B-AV}\"><ci:status>connected</ci:status>"
           "<ci:disconnection-info><ci:reason>BYE</ci:reason>"
           "</ci:disconnection-info></ci:endpoint>"),
       C3pReason::kRequestMalformed},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const uint64_t version =
        h_.focus()
            .store()
            .FindSnapshot(engine::ConferenceId(conference_))
            ->version;
    focus::C3pResult r =
        Send(c.from, c.command, c.to_factory ? testing::FactoryOf(c.from) : "");
    ASSERT_FALSE(r.success()) << r.body;
    EXPECT_EQ(*r.failure, c.reason) << r.body;
    EXPECT_EQ(h_.focus()
                  .store()
                  .FindSnapshot(engine::ConferenceId(conference_))
                  ->version,
              version);
  }
}

}  // namespace
}  // namespace conf
