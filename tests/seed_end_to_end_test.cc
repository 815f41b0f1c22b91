// The specification's getConference example (MS-CONFBAS 4.4.7, the seed)
// end to end through the focus's public API: the conference is built with C3P
// requests only, the seed's normalized getConference request is sent with a
// real certificate in place of its placeholder, and the response is checked
// element by element, with xmllint (well-formedness, namespaces, the RFC 4575
// schema) and with the `openssl` command-line tool (the conference key and
// both web-join URIs recovered from the response's CMS blobs).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "crypto/cms_reader.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/reference_subscriber.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"
#include "tests/shared_data.h"

namespace conf {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::RsaIdentity;
using ::conf::testing::TestIdentity;
using ::conf::testing::XmlNode;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kFactory[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focusfactory";
constexpr char kFocusUri[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C";
constexpr char kFocusEndpoint[] = "{09AA504C-BA41-4458-8669-8F35470F6CA2}";
constexpr char kEndpointUri[] =
    "sip:alice@contoso.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;gruu";
constexpr char kSeedRequest[] =
    "tests/testdata/seed/getConference.request.normalized.xml";
constexpr char kPlaceholderCertificate[] = "123213789BC234D";

constexpr char kCi[] = "{urn:ietf:params:xml:ns:conference-info}";
constexpr char kMsci[] =
    "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}";
constexpr char kMsav[] =
    "{http://schemas.microsoft.com/rtc/2005/08/avconfinfoextensions}";
constexpr char kMsas[] =
    "{http://schemas.microsoft.com/rtc/2005/08/asconfinfoextensions}";
constexpr char kEncryptedUriMarker[] =
    "http://schemas.microsoft.com/2008/05/confxmlenc#content";

std::string Ci(absl::string_view local) { return absl::StrCat(kCi, local); }
std::string Msci(absl::string_view local) { return absl::StrCat(kMsci, local); }

// The children of `node` named `name`.
std::vector<const XmlNode*> Children(const XmlNode& node,
                                     const std::string& name) {
  std::vector<const XmlNode*> out;
  for (const XmlNode& child : node.children) {
    if (child.name == name)
      out.push_back(&child);
  }
  return out;
}

// The only child named `name`, or a failure and an empty node.
const XmlNode& Child(const XmlNode& node, const std::string& name) {
  static const XmlNode* const kEmpty = new XmlNode;
  std::vector<const XmlNode*> found = Children(node, name);
  EXPECT_EQ(found.size(), 1u) << "children " << name << " of " << node.name;
  return found.size() == 1 ? *found[0] : *kEmpty;
}

std::string Attribute(const XmlNode& node, const std::string& name) {
  for (const auto& [key, value] : node.attributes) {
    if (key == name)
      return value;
  }
  return "";
}

// The text of the child path `names` under `node`.
std::string TextAt(const XmlNode& node, std::vector<std::string> names) {
  const XmlNode* at = &node;
  for (const std::string& name : names)
    at = &Child(*at, name);
  return at->text;
}

// The conference-info element of a getConference response.
std::string EmbeddedDocument(const std::string& response) {
  const size_t begin = response.find("<conference-info");
  const size_t end = response.rfind("</conference-info>");
  if (begin == std::string::npos || end == std::string::npos)
    return "";
  return response.substr(begin, end + 18 - begin);
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

class SeedEndToEndTest : public ::testing::Test {
 protected:
  static focus::FocusOptions Options() {
    focus::FocusOptions options;
    options.store.random_bytes = testing::SeededRandomBytes(4575);
    return options;
  }

  SeedEndToEndTest() : focus_(Options()) {}

  focus::C3pResult Send(const std::string& body) {
    absl::StatusOr<focus::C3pResult> r = focus_.HandleRequest(kAlice, body);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : focus::C3pResult{};
  }

  // Builds the seed's conference with C3P requests and answers the seed's
  // getConference request with `identity`'s certificate; returns the body.
  //
  // The join is the specification's (the user with its focus endpoint
  // written out) or a client's: the endpoint's GUID only, the Contact from
  // the SIP layer.
  enum class Join { kAsSpecified, kAsClientsSendIt };
  std::string SeedResponse(const TestIdentity& identity,
                           Join join = Join::kAsSpecified) {
    codec::AddConferenceSpec spec;
    spec.conference_id = "5D3747C";
    spec.mcu_types = {"chat", "meeting", "audio-video", "applicationsharing"};
    focus::C3pResult added =
        Send(codec::EncodeAddConferenceRequest({"1", kAlice, kFactory}, spec));
    EXPECT_TRUE(added.success()) << added.body;

    engine::User alice;
    alice.entity = engine::UserId(kAlice);
    alice.display_text = "Alice Gates";
    alice.role = engine::Role::kPresenter;
    engine::Endpoint focus_endpoint;
    focus_endpoint.entity = engine::EndpointId(kFocusEndpoint);
    focus::RequestContext context =
        focus::RequestContext::Authenticated(kAlice);
    if (join == Join::kAsSpecified) {
      focus_endpoint.status = engine::EndpointStatus::kConnected;
      focus_endpoint.session_type = "focus";
      focus_endpoint.endpoint_uri = kEndpointUri;
    } else {
      context.contact = kEndpointUri;
    }
    alice.endpoints.push_back(
        std::make_shared<const engine::Endpoint>(focus_endpoint));
    absl::StatusOr<focus::C3pResult> joined = focus_.HandleRequest(
        context, codec::EncodeAddUserRequest({"2", kAlice, kFocusUri},
                                             kFocusUri, alice));
    EXPECT_THAT(joined, IsOk());
    EXPECT_TRUE(joined.ok() && joined->success());

    const std::string seed = testing::ReadRunfile(kSeedRequest);
    EXPECT_TRUE(absl::StrContains(seed, kPlaceholderCertificate));
    focus::C3pResult got = Send(absl::StrReplaceAll(
        seed, {{kPlaceholderCertificate, identity.certificate_base64}}));
    EXPECT_TRUE(got.success()) << got.body;
    return got.body;
  }

  std::shared_ptr<const engine::ConferenceSnapshot> Snapshot() {
    return focus_.store().FindSnapshot(engine::ConferenceId(kFocusUri));
  }

  focus::Focus focus_;
};

// The seed's user and its focus endpoint, in `root` (a conference-info).
void ExpectTheSeedsUser(const XmlNode& root) {
  const XmlNode& users = Child(root, Ci("users"));
  const XmlNode& user = Child(users, Ci("user"));
  EXPECT_EQ(Attribute(user, "entity"), kAlice);
  EXPECT_EQ(TextAt(user, {Ci("display-text")}), "Alice Gates");
  EXPECT_EQ(TextAt(user, {Ci("roles"), Ci("entry")}), "presenter");
  const XmlNode& endpoint = Child(user, Ci("endpoint"));
  EXPECT_THAT(endpoint.attributes,
              ElementsAre(Pair("entity", kFocusEndpoint),
                          Pair(Msci("endpoint-uri"), kEndpointUri),
                          Pair(Msci("session-type"), "focus")));
  EXPECT_EQ(TextAt(endpoint, {Ci("status")}), "connected");
}

TEST_F(SeedEndToEndTest, ResponseHasTheSeedsElementsAttributesAndValues) {
  const std::string response = SeedResponse(RsaIdentity(1024));
  EXPECT_THAT(response, ::testing::HasSubstr("code=\"success\""));
  EXPECT_THAT(response, ::testing::HasSubstr("requestId=\"5\""));
  EXPECT_THAT(response, ::testing::HasSubstr("<getConference>"));

  absl::StatusOr<testing::ParsedDocument> parsed =
      testing::ParseConferenceInfoForTest(EmbeddedDocument(response));
  ASSERT_THAT(parsed, IsOk()) << response;
  const XmlNode& root = parsed->root;
  EXPECT_EQ(root.name, Ci("conference-info"));
  EXPECT_EQ(parsed->state, "full");
  EXPECT_TRUE(parsed->has_version);
  EXPECT_EQ(Attribute(root, "entity"), kFocusUri);

  // conf-uris: the four MCUs, then the two encrypted web-join entries.
  const XmlNode& description = Child(root, Ci("conference-description"));
  const XmlNode& conf_uris = Child(description, Ci("conf-uris"));
  std::vector<std::string> purposes;
  for (const XmlNode* entry : Children(conf_uris, Ci("entry"))) {
    const std::string purpose = TextAt(*entry, {Ci("purpose")});
    purposes.push_back(purpose);
    if (absl::StartsWith(purpose, "web-")) {
      EXPECT_EQ(TextAt(*entry, {Ci("uri")}), kEncryptedUriMarker);
      EXPECT_FALSE(
          TextAt(*entry, {Msci("encrypted-uri"), Msci("cms-data")}).empty());
    } else {
      EXPECT_EQ(TextAt(*entry, {Ci("uri")}),
                absl::StrCat("sip:alice@contoso.com;gruu;opaque=app:conf:",
                             purpose, ":id:5D3747C"));
      EXPECT_EQ(TextAt(*entry, {Ci("display-text")}), purpose);
    }
  }
  EXPECT_THAT(purposes, ElementsAre("chat", "meeting", "audio-video",
                                    "applicationsharing", "web-internal",
                                    "web-external"));
  EXPECT_FALSE(
      TextAt(description, {Msci("conference-key"), Msci("cms-data")}).empty());

  // The user and its focus endpoint.
  ExpectTheSeedsUser(root);

  // The five entity views, the focus's first.
  const XmlNode& view = Child(root, Msci("conference-view"));
  std::vector<std::string> entities;
  for (const XmlNode* v : Children(view, Msci("entity-view"))) {
    entities.push_back(Attribute(*v, "entity"));
  }
  const std::string mcu = "sip:alice@contoso.com;gruu;opaque=app:conf:";
  EXPECT_THAT(entities, ElementsAre(kFocusUri, mcu + "chat:id:5D3747C",
                                    mcu + "meeting:id:5D3747C",
                                    mcu + "audio-video:id:5D3747C",
                                    mcu + "applicationsharing:id:5D3747C"));
  for (const XmlNode* v : Children(view, Msci("entity-view"))) {
    const std::string entity = Attribute(*v, "entity");
    const XmlNode& state = Child(*v, Msci("entity-state"));
    if (absl::StrContains(entity, ":audio-video:")) {
      const XmlNode& caps = Child(Child(*v, Msci("entity-capabilities")),
                                  absl::StrCat(kMsav, "capabilities"));
      EXPECT_EQ(TextAt(caps, {absl::StrCat(kMsav, "supports-audio")}), "true");
      EXPECT_EQ(TextAt(caps, {absl::StrCat(kMsav, "supports-video")}), "true");
      std::vector<std::string> labels;
      for (const XmlNode* e :
           Children(Child(state, Msci("media")), Ci("entry"))) {
        labels.push_back(Attribute(*e, "label"));
        EXPECT_EQ(TextAt(*e, {Ci("status")}), "sendrecv");
        if (Attribute(*e, "label") == "main-video") {
          EXPECT_EQ(
              TextAt(*e, {Msci("modal-parameters"), Msci("video-parameters"),
                          absl::StrCat(kMsav, "video-mode")}),
              "dominant-speaker-switched");
        }
      }
      EXPECT_THAT(labels,
                  ElementsAre("main-audio", "main-video", "panoramic-video"));
      continue;
    }
    EXPECT_EQ(TextAt(state, {Msci("locked")}), "false") << entity;
    if (entity == kFocusUri)
      continue;
    const std::string kind =
        entity.substr(mcu.size(), entity.find(":id:") - mcu.size());
    const XmlNode& media = Child(Child(state, Msci("media")), Ci("entry"));
    EXPECT_EQ(Attribute(media, "label"), kind);
    EXPECT_EQ(TextAt(media, {Ci("type")}), kind);
  }
}

TEST_F(SeedEndToEndTest, AClientShapedJoinYieldsTheSeedsUser) {
  // Alice's client names its endpoint by its GUID and nothing else; the
  // focus makes it the focus session the specification's answer shows.
  const std::string response =
      SeedResponse(RsaIdentity(1024), Join::kAsClientsSendIt);
  absl::StatusOr<testing::ParsedDocument> parsed =
      testing::ParseConferenceInfoForTest(EmbeddedDocument(response));
  ASSERT_THAT(parsed, IsOk()) << response;
  ExpectTheSeedsUser(parsed->root);
}

TEST_F(SeedEndToEndTest, ResponseIsWellFormedAndValidatesAgainstRfc4575) {
  const std::string response = SeedResponse(RsaIdentity(1024));
  if (!testing::HaveProgram("xmllint"))
    GTEST_SKIP() << "xmllint missing";
  const std::string response_path = testing::TempPath("seed_response.xml");
  ASSERT_TRUE(testing::WriteFile(response_path, response));
  // libxml2 reports an undeclared prefix as a namespace error.
  testing::CommandResult wf =
      testing::RunCommand(absl::StrCat("xmllint --noout ", response_path));
  EXPECT_EQ(wf.exit_code, 0) << wf.output;
  EXPECT_EQ(wf.output, "");

  const std::string shared = testing::SharedDir(kSeedRequest);
  ASSERT_FALSE(shared.empty()) << "../shared not found next to the workspace";
  const std::string document_path = testing::TempPath("seed_document.xml");
  ASSERT_TRUE(testing::WriteFile(document_path, EmbeddedDocument(response)));
  testing::CommandResult valid = testing::RunCommand(
      absl::StrCat("xmllint --noout --nonet --schema ", shared,
                   "/spec/schemas/conference-info.local.xsd ", document_path));
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
  EXPECT_THAT(valid.output, ::testing::HasSubstr(" validates"));
}

TEST_F(SeedEndToEndTest, OpensslRecoversTheConferenceKeyAndBothUris) {
  const TestIdentity& identity = RsaIdentity(1024);
  const std::string response = SeedResponse(identity);
  if (!testing::HaveProgram("openssl"))
    GTEST_SKIP() << "openssl missing";
  absl::StatusOr<testing::ParsedDocument> parsed =
      testing::ParseConferenceInfoForTest(EmbeddedDocument(response));
  ASSERT_THAT(parsed, IsOk());
  const XmlNode& description =
      Child(parsed->root, Ci("conference-description"));
  std::shared_ptr<const engine::ConferenceSnapshot> snapshot = Snapshot();
  ASSERT_NE(snapshot, nullptr);

  const std::string cert = testing::TempPath("seed_cert.pem");
  const std::string key = testing::TempPath("seed_key.pem");
  ASSERT_TRUE(testing::WriteFile(cert, identity.certificate_pem));
  ASSERT_TRUE(testing::WriteFile(key, identity.private_key_pem));

  // Writes one cms-data blob as DER.
  auto blob_file = [](const std::string& base64, const std::string& name) {
    std::string der;
    EXPECT_TRUE(absl::Base64Unescape(
        absl::StrReplaceAll(base64, {{"\n", ""}, {"\r", ""}}), &der));
    const std::string path = testing::TempPath(name);
    EXPECT_TRUE(testing::WriteFile(path, der));
    return std::make_pair(path, der);
  };

  // The conference key: its content is empty, so openssl cms -decrypt has
  // nothing to return; the encryptedKey (found with the CMS reader) is
  // decrypted with PKCS#1 v1.5 by openssl pkeyutl.
  auto [key_blob, key_der] =
      blob_file(TextAt(description, {Msci("conference-key"), Msci("cms-data")}),
                "conference_key.der");
  absl::StatusOr<crypto::ParsedEnvelopedData> envelope =
      crypto::ParseEnvelopedData(testing::Bytes(key_der));
  ASSERT_THAT(envelope, IsOk());
  const std::string encrypted_key = testing::TempPath("encrypted_key.bin");
  ASSERT_TRUE(testing::WriteFile(
      encrypted_key, absl::string_view(reinterpret_cast<const char*>(
                                           envelope->encrypted_key.data()),
                                       envelope->encrypted_key.size())));
  const std::string recovered_key = testing::TempPath("recovered_key.bin");
  testing::CommandResult pkeyutl = testing::RunCommand(
      absl::StrCat("openssl pkeyutl -decrypt -inkey ", key, " -in ",
                   encrypted_key, " -out ", recovered_key));
  ASSERT_EQ(pkeyutl.exit_code, 0) << pkeyutl.output;
  const std::string recovered = testing::ReadFile(recovered_key);
  EXPECT_EQ(Hex(testing::Bytes(recovered)),
            Hex(absl::MakeConstSpan(snapshot->key.bytes)));

  // The web-join URIs: ordinary CMS content.
  std::vector<std::string> uris;
  int index = 0;
  for (const XmlNode* entry :
       Children(Child(description, Ci("conf-uris")), Ci("entry"))) {
    if (!absl::StartsWith(TextAt(*entry, {Ci("purpose")}), "web-"))
      continue;
    auto [path, der] =
        blob_file(TextAt(*entry, {Msci("encrypted-uri"), Msci("cms-data")}),
                  absl::StrCat("uri", index++, ".der"));
    const std::string out = absl::StrCat(path, ".txt");
    testing::CommandResult cms = testing::RunCommand(
        absl::StrCat("openssl cms -decrypt -inform DER -in ", path, " -recip ",
                     cert, " -inkey ", key, " -out ", out));
    ASSERT_EQ(cms.exit_code, 0) << cms.output;
    uris.push_back(testing::ReadFile(out));
  }
  EXPECT_THAT(uris, ElementsAre(snapshot->web_join.internal(),
                                snapshot->web_join.external()));
  EXPECT_EQ(snapshot->web_join.internal(),
            "https://meet.example.com/alice/5D3747C");
}

TEST_F(SeedEndToEndTest, WithoutACertificateTheSecretsAreLeftOut) {
  SeedResponse(RsaIdentity(1024));
  focus::C3pResult plain = Send(codec::EncodeGetConferenceRequest(
      {"6", kAlice, kFocusUri}, kFocusUri, ""));
  ASSERT_TRUE(plain.success()) << plain.body;
  EXPECT_THAT(plain.body,
              ::testing::Not(::testing::HasSubstr("conference-key")));
  EXPECT_THAT(plain.body,
              ::testing::Not(::testing::HasSubstr("encrypted-uri")));
  EXPECT_THAT(plain.body, ::testing::HasSubstr("Alice Gates"));
}

// The seed also shows a PSTN conference id (msci:pstn-access) and the
// application-sharing MCU's control permission. addConference does not assign
// either yet (engine/conference_store.cc DefaultView and ApplyAddConference),
// so this check is disabled until it does; run it with
// --gtest_also_run_disabled_tests.
TEST_F(SeedEndToEndTest, ResponseHasPstnAccessAndSharingPermission) {
  const std::string response = SeedResponse(RsaIdentity(1024));
  absl::StatusOr<testing::ParsedDocument> parsed =
      testing::ParseConferenceInfoForTest(EmbeddedDocument(response));
  ASSERT_THAT(parsed, IsOk());
  const XmlNode& description =
      Child(parsed->root, Ci("conference-description"));
  EXPECT_FALSE(TextAt(description, {Msci("pstn-access"), Msci("id")}).empty());
  const XmlNode& views = Child(parsed->root, Msci("conference-view"));
  const XmlNode& sharing = *Children(views, Msci("entity-view")).back();
  EXPECT_EQ(TextAt(sharing, {Msci("entity-capabilities"),
                             absl::StrCat(kMsas, "capabilities"),
                             absl::StrCat(kMsas, "control-permission")}),
            "ActiveDirectoryUsers");
}

}  // namespace
}  // namespace conf
