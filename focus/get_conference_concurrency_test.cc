// getConference on several threads at once while another thread changes the
// conference: the focus reads through the store's lock-free Read and answers
// repeat clients from the recipient pool's per-thread caches. Under tsan in
// CI (tag "concurrency").

#include <atomic>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#include "codec/c3p_request_encoder.h"
#include "crypto/recipient_pool.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "focus/internal/secrets_version.h"
#include "testing/sample_users.h"
#include "testing/seeded_random.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"

namespace conf {
namespace focus {
namespace {

using ::conf::testing::IsOk;

constexpr char kAlice[] = "sip:alice@contoso.com";
constexpr char kBob[] = "sip:bob@contoso.com";
constexpr char kCarol[] = "sip:carol@contoso.com";

FocusOptions TestOptions() {
  FocusOptions options;
  options.store.random_bytes = testing::SeededRandomBytes(99);
  return options;
}

class GetConferenceConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    codec::AddConferenceSpec spec;
    spec.conference_id = "CONC1234";
    spec.mcu_types = {"audio-video"};
    C3pResult added = Send(kAlice, codec::EncodeAddConferenceRequest(
                                       {"1", kAlice,
                                        absl::StrCat(kAlice,
                                                     ";gruu;opaque=app:conf:"
                                                     "focusfactory")},
                                       spec));
    ASSERT_TRUE(added.success()) << added.body;
    auto snapshot = focus_.store().FindSnapshotByConferenceId("CONC1234");
    ASSERT_NE(snapshot, nullptr);
    conference_ = std::string(snapshot->entity.value());
    for (const char* who : {kAlice, kBob}) {
      C3pResult joined =
          Send(who, codec::EncodeAddUserRequest(
                        {"2", who, conference_}, conference_,
                        testing::UserWithAudio(who, engine::Role::kPresenter)));
      ASSERT_TRUE(joined.success()) << joined.body;
    }
  }

  C3pResult Send(absl::string_view identity, const std::string& body) {
    absl::StatusOr<C3pResult> result = focus_.HandleRequest(identity, body);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : C3pResult{};
  }

  // The conference-key blob the pool holds for `certificate` (base64).
  std::string CachedKeyBlob(const std::string& certificate) {
    absl::StatusOr<std::shared_ptr<const crypto::Recipient>> recipient =
        focus_.recipients().GetOrParse(certificate);
    EXPECT_THAT(recipient.status(), IsOk());
    if (!recipient.ok())
      return "";
    std::shared_ptr<const engine::ConferenceSnapshot> snapshot =
        focus_.store().FindSnapshot(engine::ConferenceId(conference_));
    EXPECT_NE(snapshot, nullptr);
    if (snapshot == nullptr)
      return "";
    std::shared_ptr<const crypto::WrappedSecrets> wrapped =
        focus_.recipients().FindWrapped(conference_,
                                        internal::SecretsVersion(snapshot->key),
                                        (*recipient)->digest());
    return wrapped == nullptr ? "" : wrapped->conference_key;
  }

  Focus focus_{TestOptions()};
  std::string conference_;
};

// Two requesters (each with its certificate) ask again and again while a
// third user joins and leaves: every answer succeeds, carries the one
// cached key blob of its requester, and shows the roster of some version
// (with or without the third user, never a torn one).
TEST_F(GetConferenceConcurrencyTest, ReadersRaceAMutatorOnOneConference) {
  const std::string alice_certificate =
      testing::ExtraRsaIdentity(1024, 0).certificate_base64;
  const std::string bob_certificate =
      testing::ExtraRsaIdentity(1024, 1).certificate_base64;
  constexpr int kRequests = 300;
  std::atomic<bool> done{false};
  std::thread mutator([&] {
    int id = 100;
    while (!done.load()) {
      C3pResult joined = Send(
          kCarol, codec::EncodeAddUserRequest(
                      {absl::StrCat(++id), kCarol, conference_}, conference_,
                      testing::UserWithAudio(kCarol, engine::Role::kAttendee)));
      EXPECT_TRUE(joined.success()) << joined.body;
      C3pResult left = Send(
          kCarol,
          codec::EncodeDeleteUserRequest(
              {absl::StrCat(++id), kCarol, conference_}, conference_, kCarol));
      EXPECT_TRUE(left.success()) << left.body;
    }
  });
  struct Reader {
    const char* who;
    const std::string* certificate;
    std::vector<std::string> key_blobs;  // one per response
    int with_carol = 0;
  };
  std::vector<Reader> readers = {{kAlice, &alice_certificate, {}, 0},
                                 {kBob, &bob_certificate, {}, 0}};
  std::vector<std::thread> threads;
  for (Reader& reader : readers) {
    threads.emplace_back([&, r = &reader] {
      const std::string body = codec::EncodeGetConferenceRequest(
          {"7", r->who, conference_}, conference_, *r->certificate);
      C3pResult result;  // kept across requests, as a focus thread does
      for (int i = 0; i < kRequests; ++i) {
        ASSERT_THAT(focus_.HandleRequest(r->who, body, &result), IsOk());
        ASSERT_TRUE(result.success()) << result.body;
        const size_t key = result.body.find("conference-key");
        ASSERT_NE(key, std::string::npos) << result.body;
        const size_t begin = result.body.find("cms-data>", key);
        ASSERT_NE(begin, std::string::npos);
        const size_t end = result.body.find('<', begin);
        r->key_blobs.push_back(
            result.body.substr(begin + 9, end - (begin + 9)));
        EXPECT_NE(result.body.find(kBob), std::string::npos);
        if (result.body.find(kCarol) != std::string::npos)
          ++r->with_carol;
        // A well-formed document whatever the mutator did meanwhile.
        EXPECT_NE(result.body.find("</conference-info>"), std::string::npos);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  done.store(true);
  mutator.join();
  for (const Reader& reader : readers) {
    const std::string expected = CachedKeyBlob(*reader.certificate);
    ASSERT_FALSE(expected.empty());
    ASSERT_EQ(reader.key_blobs.size(), static_cast<size_t>(kRequests));
    for (const std::string& blob : reader.key_blobs) {
      EXPECT_EQ(blob, expected);
    }
  }
  // The two requesters got different blobs (each its own certificate).
  EXPECT_NE(readers[0].key_blobs[0], readers[1].key_blobs[0]);
}

// A requester removed while others read is refused from then on, even
// though its blobs are still in its thread's cache.
TEST_F(GetConferenceConcurrencyTest, ARemovedMemberIsRefusedDespiteItsCache) {
  const std::string certificate =
      testing::ExtraRsaIdentity(1024, 1).certificate_base64;
  const std::string body = codec::EncodeGetConferenceRequest(
      {"7", kBob, conference_}, conference_, certificate);
  C3pResult result;
  ASSERT_THAT(focus_.HandleRequest(kBob, body, &result), IsOk());
  ASSERT_TRUE(result.success()) << result.body;
  std::thread([&] {
    C3pResult removed =
        Send(kAlice, codec::EncodeDeleteUserRequest({"8", kAlice, conference_},
                                                    conference_, kBob));
    EXPECT_TRUE(removed.success()) << removed.body;
  }).join();
  ASSERT_THAT(focus_.HandleRequest(kBob, body, &result), IsOk());
  EXPECT_FALSE(result.success());
  EXPECT_EQ(result.failure, codec::C3pReason::kUnauthorized);
}

}  // namespace
}  // namespace focus
}  // namespace conf
