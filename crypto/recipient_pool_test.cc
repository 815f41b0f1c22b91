#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "crypto/cms_reader.h"
#include "crypto/enveloped_data.h"
#include "crypto/recipient_pool.h"
#include "testing/status_matchers.h"
#include "testing/test_certificates.h"

namespace conf::crypto {
namespace {

using ::conf::testing::Bytes;
using ::conf::testing::ExtraRsaIdentity;
using ::conf::testing::IsOk;
using ::conf::testing::RsaIdentity;
using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

const std::vector<uint8_t>& ConferenceKey() {
  static const auto* key = new std::vector<uint8_t>{
      0x01, 0x02, 0x04, 0x07, 0x08, 0x0b, 0x0d, 0x0e, 0x10, 0x13, 0x15, 0x16,
      0x19, 0x1a, 0x1c, 0x1f, 0x20, 0x23, 0x25, 0x26, 0x29, 0x2a, 0x2c, 0x2f};
  return *key;
}

const std::vector<absl::string_view>& Uris() {
  static const auto* uris = new std::vector<absl::string_view>{
      "https://meet.example.com/alice/7Q4ZK2XH",
      "https://external.example.com/meet/alice/7Q4ZK2XH?sl=1"};
  return *uris;
}

ConferenceSecrets Secrets() { return {ConferenceKey(), Uris()}; }

// Opens a base64 blob with `identity`'s private key.
UnwrappedEnvelope Open(const std::string& base64,
                       const testing::TestIdentity& identity) {
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(base64, &der));
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
  EXPECT_THAT(parsed.status(), IsOk());
  if (!parsed.ok()) {
    return {};
  }
  absl::StatusOr<UnwrappedEnvelope> opened =
      UnwrapEnvelopedData(*parsed, identity.key.get());
  EXPECT_THAT(opened.status(), IsOk());
  return opened.ok() ? *std::move(opened) : UnwrappedEnvelope{};
}

void ExpectOpensTo(const WrappedSecrets& wrapped,
                   const testing::TestIdentity& identity) {
  UnwrappedEnvelope key = Open(wrapped.conference_key, identity);
  EXPECT_TRUE(std::equal(key.key.bytes().begin(), key.key.bytes().end(),
                         ConferenceKey().begin(), ConferenceKey().end()));
  EXPECT_TRUE(key.content.empty());
  ASSERT_EQ(wrapped.encrypted_uris.size(), Uris().size());
  for (size_t i = 0; i < Uris().size(); ++i) {
    UnwrappedEnvelope uri = Open(wrapped.encrypted_uris[i], identity);
    EXPECT_EQ(uri.content, Uris()[i]);
    // docs/CRYPTO.md: the URIs are encrypted under the conference key.
    EXPECT_TRUE(std::equal(uri.key.bytes().begin(), uri.key.bytes().end(),
                           ConferenceKey().begin(), ConferenceKey().end()));
  }
}

// `text` re-wrapped at `columns` with `line_break`, `indent` before each line.
std::string Rewrap(absl::string_view text, size_t columns,
                   absl::string_view line_break, absl::string_view indent) {
  const std::string flat = absl::StrReplaceAll(text, {{"\n", ""}});
  std::string out;
  for (size_t i = 0; i < flat.size(); i += columns) {
    absl::StrAppend(&out, indent, flat.substr(i, columns), line_break);
  }
  return out;
}

TEST(RecipientPoolTest, ParsesEachCertificateOnce) {
  RecipientPool pool;
  const auto& identity = RsaIdentity(1024);
  absl::StatusOr<std::shared_ptr<const Recipient>> first =
      pool.GetOrParse(identity.certificate_base64);
  // Same DER, different line breaks: the same entry, found by its text
  // without decoding.
  absl::StatusOr<std::shared_ptr<const Recipient>> second = pool.GetOrParse(
      absl::StrReplaceAll(identity.certificate_base64, {{"\n", "\r\n "}}));
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(first->get(), second->get());
  // The same text again.
  absl::StatusOr<std::shared_ptr<const Recipient>> third =
      pool.GetOrParse(identity.certificate_base64);
  ASSERT_THAT(third.status(), IsOk());
  EXPECT_EQ(first->get(), third->get());
  const RecipientPoolStats stats = pool.stats();
  EXPECT_EQ(stats.recipient_misses, 1u);
  EXPECT_EQ(stats.recipient_hits, 2u);
  EXPECT_EQ(stats.text_hits, 2u);
  EXPECT_EQ(stats.recipients, 1u);
}

TEST(RecipientPoolTest, TextIndexHitsTheSameCertificateWithOtherWhiteSpace) {
  RecipientPool pool;
  const auto& identity = RsaIdentity(2048);
  absl::StatusOr<std::shared_ptr<const Recipient>> first =
      pool.GetOrParse(identity.certificate_base64);
  ASSERT_THAT(first.status(), IsOk());
  const std::string flat =
      absl::StrReplaceAll(identity.certificate_base64, {{"\n", ""}});
  const std::string kVariants[] = {
      identity.certificate_base64,
      flat,
      absl::StrCat("\n  ", flat, "  \n"),
      Rewrap(flat, 76, "\r\n", ""),
      Rewrap(flat, 64, "\n", "\t\t"),
      Rewrap(flat, 1, " ", ""),
      // Longer than the stack buffer GetOrParse strips into.
      Rewrap(flat, 3, "\r\n\t \t \t ", "  "),
  };
  ASSERT_GT(kVariants[6].size(), 4096u);
  uint64_t text_hits = pool.stats().text_hits;
  for (const std::string& text : kVariants) {
    SCOPED_TRACE(absl::CEscape(text.substr(0, 40)));
    absl::StatusOr<std::shared_ptr<const Recipient>> again =
        pool.GetOrParse(text);
    ASSERT_THAT(again.status(), IsOk());
    EXPECT_EQ(again->get(), first->get());
    EXPECT_EQ(pool.stats().text_hits, ++text_hits);
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_EQ(stats.recipient_misses, 1u);
  EXPECT_EQ(stats.recipients, 1u);
}

TEST(RecipientPoolTest, TextIndexNeverHitsADifferentCertificate) {
  RecipientPool pool;
  const auto& a = ExtraRsaIdentity(1024, 0);
  const auto& b = ExtraRsaIdentity(1024, 1);
  absl::StatusOr<std::shared_ptr<const Recipient>> ra =
      pool.GetOrParse(a.certificate_base64);
  ASSERT_THAT(ra.status(), IsOk());
  absl::StatusOr<std::shared_ptr<const Recipient>> rb =
      pool.GetOrParse(b.certificate_base64);
  ASSERT_THAT(rb.status(), IsOk());
  EXPECT_NE(ra->get(), rb->get());
  EXPECT_NE((*ra)->digest(), (*rb)->digest());
  // One base64 character changed inside the signature: another certificate
  // text (it may or may not parse), never a hit on the first one.
  std::string changed = a.certificate_base64;
  const size_t at = changed.size() - 10;
  changed[at] = changed[at] == 'A' ? 'B' : 'A';
  absl::StatusOr<std::shared_ptr<const Recipient>> rc =
      pool.GetOrParse(changed);
  if (rc.ok()) {
    EXPECT_NE(rc->get(), ra->get());
    EXPECT_NE((*rc)->digest(), (*ra)->digest());
  }
  // A prefix of a known text is not a hit either.
  EXPECT_THAT(pool.GetOrParse(a.certificate_base64.substr(0, 400)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(pool.stats().text_hits, 0u);
}

TEST(RecipientPoolTest, MalformedCertificatesAreRefusedEveryTime) {
  RecipientPool pool;
  const std::string kBad[] = {"123213789BC234D", "not base64!",
                              absl::Base64Escape("garbage"), "   \n\t"};
  for (int round = 0; round < 2; ++round) {
    for (const std::string& text : kBad) {
      SCOPED_TRACE(absl::StrCat(round, ": ", absl::CEscape(text)));
      EXPECT_THAT(pool.GetOrParse(text).status(),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("certificate: ")));
      // The same characters with other white space are refused too.
      EXPECT_THAT(pool.GetOrParse(absl::StrCat(" ", text, "\r\n")).status(),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("certificate: ")));
    }
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_EQ(stats.text_hits, 0u);
  EXPECT_EQ(stats.recipients, 0u);
}

TEST(RecipientPoolTest, OneRsaKeyServesEveryBlobEachWithItsOwnIv) {
  const auto& identity = RsaIdentity(1024);
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(identity.certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<WrappedSecrets> wrapped =
      WrapSecrets(*recipient, Secrets(), Cipher::kDesEde3Cbc);
  ASSERT_THAT(wrapped.status(), IsOk());
  ExpectOpensTo(*wrapped, identity);
  std::vector<std::string> ders = {wrapped->conference_key};
  for (const std::string& uri : wrapped->encrypted_uris) {
    ders.push_back(uri);
  }
  std::vector<std::string> ivs;
  std::string encrypted_key;
  for (std::string& blob : ders) {
    std::string der;
    ASSERT_TRUE(absl::Base64Unescape(blob, &der));
    blob = der;
    absl::StatusOr<ParsedEnvelopedData> parsed =
        ParseEnvelopedData(Bytes(blob));
    ASSERT_THAT(parsed.status(), IsOk());
    const std::string key(parsed->encrypted_key.begin(),
                          parsed->encrypted_key.end());
    if (encrypted_key.empty()) {
      encrypted_key = key;
    }
    EXPECT_EQ(key, encrypted_key);
    ivs.emplace_back(parsed->iv.begin(), parsed->iv.end());
  }
  ASSERT_EQ(ivs.size(), 3u);
  EXPECT_NE(ivs[0], ivs[1]);
  EXPECT_NE(ivs[0], ivs[2]);
  EXPECT_NE(ivs[1], ivs[2]);
}

TEST(RecipientPoolTest, RejectsBadCertificatesWithoutCachingThem) {
  RecipientPool pool;
  EXPECT_THAT(
      pool.GetOrParse("not base64!").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, "certificate: not base64"));
  EXPECT_THAT(
      pool.GetOrParse(absl::Base64Escape("garbage")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificate: ")));
  EXPECT_EQ(pool.stats().recipients, 0u);
}

TEST(RecipientPoolTest, AppliesItsCertificateLimits) {
  RecipientPoolOptions options;
  options.limits.min_modulus_bits = 2048;
  RecipientPool pool(options);
  EXPECT_THAT(pool.GetOrParse(RsaIdentity(1024).certificate_base64).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("below the minimum of 2048")));
}

TEST(RecipientPoolTest, RecipientsAreBounded) {
  RecipientPoolOptions options;
  options.max_recipients = RecipientPool::kShards;  // one per shard
  RecipientPool pool(options);
  for (int i = 0; i < 40; ++i) {
    ASSERT_THAT(
        pool.GetOrParse(ExtraRsaIdentity(1024, i % 20).certificate_base64)
            .status(),
        IsOk());
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_LE(stats.recipients, RecipientPool::kShards);
  EXPECT_GT(stats.recipient_evictions, 0u);
}

TEST(RecipientPoolTest, GetOrWrapReturnsTheCachedBlobsOnTheSecondAsk) {
  RecipientPool pool;
  const auto& identity = RsaIdentity(1024);
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(identity.certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> first =
      pool.GetOrWrap("conf-1", 7, **recipient, Secrets());
  ASSERT_THAT(first.status(), IsOk());
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> second =
      pool.GetOrWrap("conf-1", 7, **recipient, Secrets());
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(pool.stats().wrapped_hits, 1u);
  ExpectOpensTo(**first, identity);
  EXPECT_EQ(pool.FindWrapped("conf-1", 7, (*recipient)->digest()).get(),
            first->get());
}

TEST(RecipientPoolTest, BlobsDoNotCrossConferencesOrEpochs) {
  RecipientPool pool;
  const auto& identity = RsaIdentity(1024);
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(identity.certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> a =
      pool.GetOrWrap("conf-1", 1, **recipient, Secrets());
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(pool.FindWrapped("conf-2", 1, (*recipient)->digest()), nullptr);
  EXPECT_EQ(pool.FindWrapped("conf-1", 2, (*recipient)->digest()), nullptr);
  EXPECT_EQ(pool.FindWrapped("conf-1", 1, CertificateDigest{1}), nullptr);
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> b =
      pool.GetOrWrap("conf-2", 1, **recipient, Secrets());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_NE(a->get(), b->get());
  EXPECT_NE((*a)->conference_key, (*b)->conference_key);
}

TEST(RecipientPoolTest, ForgetConferenceDropsOldEpochsOnly) {
  RecipientPool pool;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  const CertificateDigest& digest = (*recipient)->digest();
  for (uint64_t epoch : {1, 2, 3}) {
    ASSERT_THAT(
        pool.GetOrWrap("conf-1", epoch, **recipient, Secrets()).status(),
        IsOk());
  }
  ASSERT_THAT(pool.GetOrWrap("conf-2", 1, **recipient, Secrets()).status(),
              IsOk());
  pool.ForgetConference("conf-1", 3);
  EXPECT_EQ(pool.FindWrapped("conf-1", 1, digest), nullptr);
  EXPECT_EQ(pool.FindWrapped("conf-1", 2, digest), nullptr);
  EXPECT_NE(pool.FindWrapped("conf-1", 3, digest), nullptr);
  EXPECT_NE(pool.FindWrapped("conf-2", 1, digest), nullptr);
  pool.ForgetConference("conf-1");
  EXPECT_EQ(pool.FindWrapped("conf-1", 3, digest), nullptr);
  EXPECT_EQ(pool.stats().wrapped, 1u);
}

TEST(RecipientPoolTest, WrappedBlobsAreBounded) {
  RecipientPoolOptions options;
  options.max_wrapped = RecipientPool::kShards;
  RecipientPool pool(options);
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  for (uint64_t epoch = 0; epoch < 100; ++epoch) {
    pool.InsertWrapped("conf", epoch, (*recipient)->digest(),
                       WrappedSecrets{absl::StrCat("blob", epoch), {}});
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_LE(stats.wrapped, RecipientPool::kShards);
  EXPECT_EQ(stats.wrapped + stats.wrapped_evictions, 100u);
  // The most recent insert is always kept.
  std::shared_ptr<const WrappedSecrets> last =
      pool.FindWrapped("conf", 99, (*recipient)->digest());
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->conference_key, "blob99");
}

TEST(RecipientPoolTest, InsertWrappedKeepsTheFirstEntry) {
  RecipientPool pool;
  const CertificateDigest digest{42};
  std::shared_ptr<const WrappedSecrets> first =
      pool.InsertWrapped("c", 1, digest, WrappedSecrets{"first", {}});
  std::shared_ptr<const WrappedSecrets> second =
      pool.InsertWrapped("c", 1, digest, WrappedSecrets{"second", {}});
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(second->conference_key, "first");
}

TEST(RecipientPoolTest, FindCachedAnswersTheCallingThreadsLastLookup) {
  RecipientPool pool;
  const std::string& text = RsaIdentity(1024).certificate_base64;
  EXPECT_FALSE(pool.FindCached(text, "conf-1").has_value());
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(text);
  ASSERT_THAT(recipient.status(), IsOk());
  // A certificate alone is not an answer.
  EXPECT_FALSE(pool.FindCached(text, "conf-1").has_value());
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> wrapped =
      pool.GetOrWrap("conf-1", 7, **recipient, Secrets());
  ASSERT_THAT(wrapped.status(), IsOk());
  std::optional<RecipientPool::Cached> cached = pool.FindCached(text, "conf-1");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->key_epoch, 7u);
  EXPECT_EQ(cached->wrapped, wrapped->get());
  ExpectOpensTo(*cached->wrapped, RsaIdentity(1024));
  // Only the same text, conference and pool.
  EXPECT_FALSE(pool.FindCached(text, "conf-2").has_value());
  EXPECT_FALSE(
      pool.FindCached(Rewrap(text, 76, "\r\n", ""), "conf-1").has_value());
  EXPECT_FALSE(
      pool.FindCached(ExtraRsaIdentity(1024, 3).certificate_base64, "conf-1")
          .has_value());
  RecipientPool other;
  EXPECT_FALSE(other.FindCached(text, "conf-1").has_value());
  // Each thread has its own cache; another thread learns it from the pool.
  std::thread([&] {
    EXPECT_FALSE(pool.FindCached(text, "conf-1").has_value());
    absl::StatusOr<std::shared_ptr<const Recipient>> r = pool.GetOrParse(text);
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_EQ(pool.FindWrapped("conf-1", 7, (*r)->digest()).get(),
              wrapped->get());
    std::optional<RecipientPool::Cached> found =
        pool.FindCached(text, "conf-1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->wrapped, wrapped->get());
  }).join();
}

TEST(RecipientPoolTest, FindCachedStopsAnsweringWhatThePoolForgets) {
  RecipientPool pool;
  const std::string& text = RsaIdentity(1024).certificate_base64;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(text);
  ASSERT_THAT(recipient.status(), IsOk());
  ASSERT_THAT(pool.GetOrWrap("conf-1", 1, **recipient, Secrets()).status(),
              IsOk());
  ASSERT_TRUE(pool.FindCached(text, "conf-1").has_value());
  pool.ForgetConference("conf-1", 2);
  EXPECT_FALSE(pool.FindCached(text, "conf-1").has_value());
  // A new epoch is learnt again from the pool.
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> second =
      pool.GetOrWrap("conf-1", 2, **recipient, Secrets());
  ASSERT_THAT(second.status(), IsOk());
  std::optional<RecipientPool::Cached> cached = pool.FindCached(text, "conf-1");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->key_epoch, 2u);
  EXPECT_EQ(cached->wrapped, second->get());
}

TEST(RecipientPoolTest, FindCachedStopsAnsweringWhatThePoolEvicts) {
  RecipientPoolOptions options;
  options.max_wrapped = RecipientPool::kShards;  // one per shard
  RecipientPool pool(options);
  const std::string& text = RsaIdentity(1024).certificate_base64;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(text);
  ASSERT_THAT(recipient.status(), IsOk());
  ASSERT_THAT(pool.GetOrWrap("conf-1", 1, **recipient, Secrets()).status(),
              IsOk());
  ASSERT_TRUE(pool.FindCached(text, "conf-1").has_value());
  // Entries of a certificate this thread never looked up fill every shard.
  for (int i = 0; i < 400; ++i) {
    pool.InsertWrapped(absl::StrCat("filler-", i), 1, CertificateDigest{9},
                       WrappedSecrets{"filler", {}});
  }
  ASSERT_EQ(pool.FindWrapped("conf-1", 1, (*recipient)->digest()), nullptr);
  EXPECT_FALSE(pool.FindCached(text, "conf-1").has_value());
}

TEST(RecipientPoolTest, FindCachedHitsMarkTheEntryUsedInBatches) {
  RecipientPool pool;
  const std::string& text = RsaIdentity(1024).certificate_base64;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(text);
  ASSERT_THAT(recipient.status(), IsOk());
  ASSERT_THAT(pool.GetOrWrap("conf-1", 1, **recipient, Secrets()).status(),
              IsOk());
  const uint64_t hits = pool.stats().wrapped_hits;
  for (uint32_t i = 1; i < RecipientPool::kThreadCacheTouch; ++i) {
    ASSERT_TRUE(pool.FindCached(text, "conf-1").has_value());
  }
  // Nothing shared written so far.
  EXPECT_EQ(pool.stats().wrapped_hits, hits);
  ASSERT_TRUE(pool.FindCached(text, "conf-1").has_value());
  EXPECT_EQ(pool.stats().wrapped_hits, hits + RecipientPool::kThreadCacheTouch);
}

// docs/CRYPTO.md, "URI ciphertext once per key epoch".
// The IV of a key blob (whose EncryptedContentInfo encrypts nothing).
std::string KeyBlobIv(const std::string& base64) {
  std::string der;
  if (!absl::Base64Unescape(base64, &der))
    return "not base64";
  absl::StatusOr<ParsedEnvelopedData> parsed = ParseEnvelopedData(Bytes(der));
  if (!parsed.ok() || !parsed->encrypted_content.empty())
    return "not a key blob";
  return std::string(parsed->iv.begin(), parsed->iv.end());
}

TEST(RecipientPoolTest, WrapEncryptsTheUrisOncePerKeyEpoch) {
  RecipientPool pool;
  std::vector<WrappedSecrets> wrapped;
  std::vector<const testing::TestIdentity*> identities = {
      &RsaIdentity(1024), &ExtraRsaIdentity(1024, 0), &RsaIdentity(2048)};
  std::vector<std::string> ders;  // URI blob 0 of each, as DER
  std::vector<std::string> key_ivs;
  for (const testing::TestIdentity* identity : identities) {
    absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
        pool.GetOrParse(identity->certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    absl::StatusOr<WrappedSecrets> w =
        pool.Wrap("conf-1", 1, **recipient, Secrets());
    ASSERT_THAT(w.status(), IsOk());
    ExpectOpensTo(*w, *identity);
    std::string der;
    ASSERT_TRUE(absl::Base64Unescape(w->encrypted_uris[0], &der));
    ders.push_back(der);
    key_ivs.push_back(KeyBlobIv(w->conference_key));
    wrapped.push_back(*std::move(w));
  }
  // The key blobs' EncryptedContentInfo (an IV and nothing encrypted) is
  // shared the same way.
  EXPECT_EQ(key_ivs[0].size(), 8u);
  EXPECT_EQ(key_ivs[1], key_ivs[0]);
  EXPECT_EQ(key_ivs[2], key_ivs[0]);
  // The same EncryptedContentInfo (IV and ciphertext) ends every
  // recipient's blob; only the RecipientInfo before it differs.
  absl::StatusOr<ParsedEnvelopedData> first =
      ParseEnvelopedData(Bytes(ders[0]));
  ASSERT_THAT(first.status(), IsOk());
  const std::string tail = ders[0].substr(ders[0].size() - 40);
  for (const std::string& der : ders) {
    EXPECT_TRUE(absl::EndsWith(der, tail));
  }
  EXPECT_NE(ders[0], ders[1]);
  // Another epoch, or the same epoch once forgotten, gets a fresh IV.
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  absl::StatusOr<WrappedSecrets> next =
      pool.Wrap("conf-1", 2, **recipient, Secrets());
  ASSERT_THAT(next.status(), IsOk());
  std::string next_der;
  ASSERT_TRUE(absl::Base64Unescape(next->encrypted_uris[0], &next_der));
  EXPECT_FALSE(absl::EndsWith(next_der, tail));
  EXPECT_NE(KeyBlobIv(next->conference_key), key_ivs[0]);
  pool.ForgetConference("conf-1");
  absl::StatusOr<WrappedSecrets> again =
      pool.Wrap("conf-1", 1, **recipient, Secrets());
  ASSERT_THAT(again.status(), IsOk());
  std::string again_der;
  ASSERT_TRUE(absl::Base64Unescape(again->encrypted_uris[0], &again_der));
  EXPECT_FALSE(absl::EndsWith(again_der, tail));
  ExpectOpensTo(*again, RsaIdentity(1024));
}

// A caller that changes the URIs without a new epoch still gets them: the
// stored ciphertext is only used for the key and URIs it was made from.
TEST(RecipientPoolTest, WrapNeverServesCiphertextOfOtherUris) {
  RecipientPool pool;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(recipient.status(), IsOk());
  ASSERT_THAT(pool.Wrap("conf-1", 1, **recipient, Secrets()).status(), IsOk());
  const absl::string_view other_uris[] = {"https://meet.example.com/x",
                                          "https://meet.example.com/y"};
  absl::StatusOr<WrappedSecrets> other =
      pool.Wrap("conf-1", 1, **recipient, {ConferenceKey(), other_uris});
  ASSERT_THAT(other.status(), IsOk());
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(Open(other->encrypted_uris[i], RsaIdentity(1024)).content,
              other_uris[i]);
  }
}

TEST(RecipientPoolWrapForManyTest, WrapsForEveryRecipientInOrder) {
  std::vector<Recipient> recipients;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<Recipient> r =
        ParseRecipient(ExtraRsaIdentity(1024, i).certificate_base64);
    ASSERT_THAT(r.status(), IsOk());
    recipients.push_back(*std::move(r));
  }
  std::vector<const Recipient*> pointers;
  for (const Recipient& r : recipients) {
    pointers.push_back(&r);
  }
  pointers.push_back(nullptr);
  // One thread; three threads, on the workers (a minimum batch of 1) and
  // on the caller alone (the default minimum, over these 7 recipients).
  for (auto [threads, min_batch] :
       {std::pair<int, size_t>{1, 1}, std::pair<int, size_t>{3, 1},
        std::pair<int, size_t>{3, 8}}) {
    SCOPED_TRACE(absl::StrCat(threads, " threads, batches from ", min_batch));
    RecipientPoolOptions options;
    options.wrap_threads = threads;
    options.min_parallel_batch = min_batch;
    RecipientPool pool(options);
    for (WrapMode mode : {WrapMode::kConferenceKey, WrapMode::kContent}) {
      const std::vector<uint8_t> input =
          mode == WrapMode::kConferenceKey
              ? ConferenceKey()
              : std::vector<uint8_t>(Uris()[0].begin(), Uris()[0].end());
      std::vector<absl::StatusOr<std::string>> blobs =
          pool.WrapForMany(pointers, mode, input);
      ASSERT_EQ(blobs.size(), pointers.size());
      for (size_t i = 0; i < recipients.size(); ++i) {
        ASSERT_THAT(blobs[i].status(), IsOk());
        UnwrappedEnvelope opened =
            Open(absl::Base64Escape(*blobs[i]), ExtraRsaIdentity(1024, i));
        if (mode == WrapMode::kConferenceKey) {
          EXPECT_TRUE(std::equal(opened.key.bytes().begin(),
                                 opened.key.bytes().end(), input.begin(),
                                 input.end()));
        } else {
          EXPECT_EQ(opened.content, Uris()[0]);
        }
      }
      EXPECT_THAT(blobs.back().status(),
                  StatusIs(absl::StatusCode::kInvalidArgument));
    }
  }
}

TEST(RecipientPoolWrapForManyTest, ReportsErrorsPerRecipient) {
  absl::StatusOr<Recipient> r =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(r.status(), IsOk());
  const Recipient* pointers[] = {&*r, nullptr, &*r};
  RecipientPoolOptions options;
  options.cipher = Cipher::kAes256Cbc;
  options.wrap_threads = 2;
  options.min_parallel_batch = 1;  // Exercise the workers.
  RecipientPool pool(options);
  std::vector<absl::StatusOr<std::string>> blobs =
      pool.WrapForMany(pointers, WrapMode::kConferenceKey, ConferenceKey());
  ASSERT_EQ(blobs.size(), 3u);
  for (size_t i : {0, 2}) {
    EXPECT_THAT(blobs[i].status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "conference key: 24 bytes, aes-256-cbc needs 32"));
  }
  EXPECT_THAT(blobs[1].status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "wrap: null recipient"));
  // The same pool wraps what fits its cipher (a content of any length).
  blobs = pool.WrapForMany(pointers, WrapMode::kContent, ConferenceKey());
  ASSERT_EQ(blobs.size(), 3u);
  EXPECT_THAT(blobs[0].status(), IsOk());
  EXPECT_THAT(blobs[1].status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(blobs[2].status(), IsOk());
}

// Several threads re-key through one pool at once: they share its workers,
// and each gets its own recipients' blobs, in its own order.
TEST(RecipientPoolConcurrencyTest, ConcurrentBatchesShareTheWorkers) {
  constexpr int kIdentities = 4;
  constexpr int kCallers = 3;
  constexpr int kRounds = 3;
  std::vector<std::shared_ptr<const Recipient>> recipients;
  RecipientPoolOptions options;
  options.wrap_threads = 3;
  options.min_parallel_batch = 1;  // Exercise the workers.
  RecipientPool pool(options);
  for (int i = 0; i < kIdentities; ++i) {
    absl::StatusOr<std::shared_ptr<const Recipient>> r =
        pool.GetOrParse(ExtraRsaIdentity(1024, i).certificate_base64);
    ASSERT_THAT(r.status(), IsOk());
    recipients.push_back(*r);
  }
  // Caller c asks for identities c, c+1, ... (mod kIdentities), so that every
  // caller's order differs.
  std::vector<std::vector<std::string>> keys(kCallers);
  std::vector<std::vector<std::string>> blobs(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      std::vector<std::shared_ptr<const Recipient>> order;
      std::vector<const Recipient*> pointers;
      for (int k = 0; k < kIdentities; ++k) {
        order.push_back(recipients[(c + k) % kIdentities]);
        pointers.push_back(order.back().get());
      }
      for (int round = 0; round < kRounds; ++round) {
        auto wrapped = pool.GetOrWrapForMany(absl::StrCat("conf-", c),
                                             round + 1, order, Secrets());
        auto raw = pool.WrapForMany(pointers, WrapMode::kConferenceKey,
                                    ConferenceKey());
        if (wrapped.size() != order.size() || raw.size() != order.size())
          return;
        for (size_t k = 0; k < order.size(); ++k) {
          if (!wrapped[k].ok() || !raw[k].ok())
            return;
          if (round == kRounds - 1) {
            keys[c].push_back((*wrapped[k])->conference_key);
            blobs[c].push_back(*raw[k]);
          }
        }
      }
    });
  }
  for (std::thread& caller : callers) {
    caller.join();
  }
  for (int c = 0; c < kCallers; ++c) {
    SCOPED_TRACE(c);
    ASSERT_EQ(keys[c].size(), static_cast<size_t>(kIdentities));
    ASSERT_EQ(blobs[c].size(), static_cast<size_t>(kIdentities));
    for (int k = 0; k < kIdentities; ++k) {
      const auto& identity = ExtraRsaIdentity(1024, (c + k) % kIdentities);
      UnwrappedEnvelope cached = Open(keys[c][k], identity);
      EXPECT_TRUE(std::equal(cached.key.bytes().begin(),
                             cached.key.bytes().end(), ConferenceKey().begin(),
                             ConferenceKey().end()));
      UnwrappedEnvelope raw = Open(absl::Base64Escape(blobs[c][k]), identity);
      EXPECT_TRUE(std::equal(raw.key.bytes().begin(), raw.key.bytes().end(),
                             ConferenceKey().begin(), ConferenceKey().end()));
    }
  }
}

// A pool whose workers have run batches, and one that never started them,
// are destroyed while idle: the workers are joined, and nothing is lost.
TEST(RecipientPoolConcurrencyTest, DestroyedWhileIdleAfterBatches) {
  absl::StatusOr<Recipient> r =
      ParseRecipient(RsaIdentity(1024).certificate_base64);
  ASSERT_THAT(r.status(), IsOk());
  const std::vector<const Recipient*> pointers(5, &*r);
  std::vector<absl::StatusOr<std::string>> blobs;
  {
    RecipientPoolOptions options;
    options.wrap_threads = 4;
    options.min_parallel_batch = 1;  // Exercise the workers.
    RecipientPool unused(options);
    RecipientPool used(options);
    blobs =
        used.WrapForMany(pointers, WrapMode::kConferenceKey, ConferenceKey());
  }
  ASSERT_EQ(blobs.size(), pointers.size());
  for (const auto& blob : blobs) {
    ASSERT_THAT(blob.status(), IsOk());
    UnwrappedEnvelope opened =
        Open(absl::Base64Escape(*blob), RsaIdentity(1024));
    EXPECT_TRUE(std::equal(opened.key.bytes().begin(), opened.key.bytes().end(),
                           ConferenceKey().begin(), ConferenceKey().end()));
  }
}

TEST(RecipientPoolConcurrencyTest, ThreadsShareRecipientsAndBlobs) {
  RecipientPoolOptions options;
  options.wrap_threads = 2;
  options.min_parallel_batch = 1;  // Exercise the workers.
  RecipientPool pool(options);
  constexpr int kCertificates = 4;
  constexpr int kThreads = 4;
  for (int i = 0; i < kCertificates; ++i) {
    ExtraRsaIdentity(1024, i);  // generate outside the timed threads
  }
  std::vector<std::vector<const WrappedSecrets*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kCertificates; ++i) {
          absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
              pool.GetOrParse(ExtraRsaIdentity(1024, i).certificate_base64);
          ASSERT_THAT(recipient.status(), IsOk());
          absl::StatusOr<std::shared_ptr<const WrappedSecrets>> wrapped =
              pool.GetOrWrap("conf", 1, **recipient, Secrets());
          ASSERT_THAT(wrapped.status(), IsOk());
          if (round == 2) {
            seen[t].push_back(wrapped->get());
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  // After the first round every thread sees the one cached entry per
  // certificate.
  for (int t = 1; t < kThreads; ++t) {
    EXPECT_EQ(seen[t], seen[0]);
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_EQ(stats.recipients, static_cast<size_t>(kCertificates));
  EXPECT_EQ(stats.wrapped, static_cast<size_t>(kCertificates));
  for (int i = 0; i < kCertificates; ++i) {
    ExpectOpensTo(*seen[0][i], ExtraRsaIdentity(1024, i));
  }
  // Re-keying everyone at a new epoch in one batch.
  std::vector<std::shared_ptr<const Recipient>> recipients;
  for (int i = 0; i < kCertificates; ++i) {
    absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
        pool.GetOrParse(ExtraRsaIdentity(1024, i).certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    recipients.push_back(*recipient);
  }
  auto rekeyed = pool.GetOrWrapForMany("conf", 2, recipients, Secrets());
  ASSERT_EQ(rekeyed.size(), recipients.size());
  for (int i = 0; i < kCertificates; ++i) {
    ASSERT_THAT(rekeyed[i].status(), IsOk());
    EXPECT_NE(rekeyed[i]->get(), seen[0][i]);
    ExpectOpensTo(**rekeyed[i], ExtraRsaIdentity(1024, i));
  }
}

// Threads answer from their own caches while others insert, evict and
// forget: a thread's cache only ever answers with blobs the pool handed that
// thread for the same certificate and conference, never with one the pool
// dropped before the thread asked, and the pool stays within its bounds.
TEST(RecipientPoolConcurrencyTest, ThreadCachesHitWhileOthersInsertAndEvict) {
  RecipientPoolOptions options;
  options.max_wrapped = 2 * RecipientPool::kShards;
  options.max_recipients = RecipientPool::kShards;
  RecipientPool pool(options);
  constexpr int kCertificates = 3;
  constexpr int kConferences = 3;
  constexpr int kReaders = 2;
  constexpr int kRounds = 300;
  for (int i = 0; i < kCertificates; ++i) {
    ExtraRsaIdentity(1024, i);  // generate outside the threads
  }
  auto conference = [](int c) { return absl::StrCat("conf-", c); };
  std::vector<std::thread> threads;
  std::vector<int> hits(kReaders, 0);
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&, t] {
      // What the pool last handed this thread, per (certificate,
      // conference).
      std::map<std::pair<int, int>, std::string> last;
      for (int round = 0; round < kRounds; ++round) {
        // Each pair is asked for a few times in a row.
        const int pair = round / 4;
        const int i = (pair + t) % kCertificates;
        const int c = (pair / kCertificates + t) % kConferences;
        const std::string& text = ExtraRsaIdentity(1024, i).certificate_base64;
        if (std::optional<RecipientPool::Cached> cached =
                pool.FindCached(text, conference(c))) {
          ++hits[t];
          EXPECT_EQ(cached->key_epoch, 1u);
          const std::string& expected = last[std::make_pair(i, c)];
          EXPECT_EQ(cached->wrapped->conference_key, expected);
          continue;
        }
        absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
            pool.GetOrParse(text);
        ASSERT_THAT(recipient.status(), IsOk());
        absl::StatusOr<std::shared_ptr<const WrappedSecrets>> wrapped =
            pool.GetOrWrap(conference(c), 1, **recipient, Secrets());
        ASSERT_THAT(wrapped.status(), IsOk());
        last[std::make_pair(i, c)] = (*wrapped)->conference_key;
      }
    });
  }
  // Inserts that evict, and forgets: after each, this thread's own cache
  // must not answer with what was dropped.
  threads.emplace_back([&] {
    const std::string& text = ExtraRsaIdentity(1024, 0).certificate_base64;
    for (int round = 0; round < kRounds; ++round) {
      pool.InsertWrapped(absl::StrCat("filler-", round), 1,
                         CertificateDigest{static_cast<uint8_t>(round)},
                         WrappedSecrets{"filler", {}});
      if (round % 10 != 0)
        continue;
      const int c = (round / 10) % kConferences;
      absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
          pool.GetOrParse(text);
      ASSERT_THAT(recipient.status(), IsOk());
      ASSERT_THAT(
          pool.GetOrWrap(conference(c), 1, **recipient, Secrets()).status(),
          IsOk());
      pool.ForgetConference(conference(c));
      EXPECT_FALSE(pool.FindCached(text, conference(c)).has_value());
    }
  });
  for (std::thread& thread : threads) {
    thread.join();
  }
  const RecipientPoolStats stats = pool.stats();
  EXPECT_LE(stats.wrapped, options.max_wrapped);
  EXPECT_LE(stats.recipients, options.max_recipients);
  // The caches did answer (the readers come back to each pair).
  EXPECT_GT(hits[0] + hits[1], 0);
  // What the pool holds still opens.
  for (int i = 0; i < kCertificates; ++i) {
    absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
        pool.GetOrParse(ExtraRsaIdentity(1024, i).certificate_base64);
    ASSERT_THAT(recipient.status(), IsOk());
    absl::StatusOr<std::shared_ptr<const WrappedSecrets>> wrapped =
        pool.GetOrWrap(conference(0), 1, **recipient, Secrets());
    ASSERT_THAT(wrapped.status(), IsOk());
    ExpectOpensTo(**wrapped, ExtraRsaIdentity(1024, i));
  }
}

}  // namespace
}  // namespace conf::crypto
