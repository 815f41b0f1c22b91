// Benchmarks for crypto/: certificate intake, EnvelopedData wrapping cold,
// from the pool and from the blob cache, and batched wrapping, each against
// a baseline measured in the same run and reported as a ratio counter:
//
//   BM_Crypto_RsaPublicOp       the raw PKCS#1 v1.5 public operation: the limit
//   BM_Crypto_ParseCertificate  base64 + strict DER + key checks
//   BM_Crypto_WrapKey_Cold      intake + wrap + base64 for an unseen
//                               certificate; "vs_rsa_plus_parse" (target
//                               <= 1.3)
//   BM_Crypto_WrapKey_Pooled    pool hit + new RSA operation; "vs_rsa"
//   BM_Crypto_WrapKey_Cached    blob cache hit (target >= 10M/s per core)
//   BM_Crypto_GetOrParse_Hit    the pool lookup of a known certificate
//                               (base64 decode + SHA-256 + shard lookup)
//   BM_Crypto_WrapBatch         1000 recipients on 1 and 2 threads;
//                               "speedup_vs_1_thread" (target >= 1.8)
//   BM_Crypto_WrapForMany       re-keying 2 to 32 members, call after call,
//                               on a pool of 2 threads as a focus configures
//                               it (batches under min_parallel_batch on the
//                               caller); "speedup_vs_1_thread"
//
// Test keys are generated at start-up (a 4096-bit key takes seconds).

#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <chrono>  // NOLINT(build/c++11)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/enveloped_data.h"
#include "crypto/recipient_pool.h"
#include "testing/test_certificates.h"

namespace conf::crypto {
namespace {

using testing::RsaIdentity;

constexpr uint8_t kConferenceKey[24] = {
    0x01, 0x02, 0x04, 0x07, 0x08, 0x0b, 0x0d, 0x0e, 0x10, 0x13, 0x15, 0x16,
    0x19, 0x1a, 0x1c, 0x1f, 0x20, 0x23, 0x25, 0x26, 0x29, 0x2a, 0x2c, 0x2f};

// Nanoseconds per call of `fn`, over at least `min_seconds` of calls: the
// in-run baseline for the ratio counters.
template <typename Fn>
double NanosPerCall(const Fn& fn, double min_seconds = 0.05) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  int64_t calls = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i) {
      fn();
    }
    calls += 8;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed * 1e9 / static_cast<double>(calls);
}

// Sets the items of a batch benchmark whose timed loop began at `start`
// (`items` per iteration) and its speedup_vs_1_thread counter: the time of
// one call on a single thread, `one_thread_ns`, over the time of one
// iteration.
void ReportSpeedup(benchmark::State& state,
                   std::chrono::steady_clock::time_point start,
                   double one_thread_ns, int64_t items) {
  const double elapsed = std::chrono::duration<double, std::nano>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  state.SetItemsProcessed(state.iterations() * items);
  state.counters["speedup_vs_1_thread"] =
      one_thread_ns / (elapsed / static_cast<double>(state.iterations()));
}

// One raw RSA PKCS#1 v1.5 encryption of the 24-byte key, with a context made
// once: the cost no wrap can avoid.
class RawRsa {
 public:
  explicit RawRsa(const Recipient& recipient)
      : ctx_(EVP_PKEY_CTX_new(recipient.public_key(), nullptr)),
        out_(EVP_PKEY_size(recipient.public_key())) {
    ok_ = ctx_ != nullptr && EVP_PKEY_encrypt_init(ctx_.get()) &&
          EVP_PKEY_CTX_set_rsa_padding(ctx_.get(), RSA_PKCS1_PADDING);
  }
  bool Encrypt() {
    size_t len = out_.size();
    return ok_ && EVP_PKEY_encrypt(ctx_.get(), out_.data(), &len,
                                   kConferenceKey, sizeof(kConferenceKey));
  }

 private:
  bssl::UniquePtr<EVP_PKEY_CTX> ctx_;
  std::vector<uint8_t> out_;
  bool ok_ = false;
};

void BM_Crypto_RsaPublicOp(benchmark::State& state) {
  const auto& identity = RsaIdentity(static_cast<int>(state.range(0)));
  absl::StatusOr<Recipient> recipient =
      ParseRecipient(identity.certificate_base64);
  if (!recipient.ok()) {
    state.SkipWithError("certificate rejected");
    return;
  }
  RawRsa rsa(*recipient);
  for (auto _ : state) {
    if (!rsa.Encrypt()) {
      state.SkipWithError("RSA encryption failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Crypto_RsaPublicOp)
    ->ArgNames({"bits"})
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096);

void BM_Crypto_ParseCertificate(benchmark::State& state) {
  const auto& identity = RsaIdentity(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(identity.certificate_base64);
    if (!recipient.ok()) {
      state.SkipWithError("certificate rejected");
      return;
    }
    benchmark::DoNotOptimize(recipient->digest());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          identity.certificate_base64.size());
}
BENCHMARK(BM_Crypto_ParseCertificate)
    ->ArgNames({"bits"})
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096);

void BM_Crypto_WrapKey_Cold(benchmark::State& state) {
  const auto& identity = RsaIdentity(static_cast<int>(state.range(0)));
  absl::StatusOr<Recipient> probe = ParseRecipient(identity.certificate_base64);
  if (!probe.ok()) {
    state.SkipWithError("certificate rejected");
    return;
  }
  RawRsa rsa(*probe);
  const double baseline = NanosPerCall([&] {
    absl::StatusOr<Recipient> r = ParseRecipient(identity.certificate_base64);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(rsa.Encrypt());
  });
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    absl::StatusOr<Recipient> recipient =
        ParseRecipient(identity.certificate_base64);
    if (!recipient.ok()) {
      state.SkipWithError("certificate rejected");
      return;
    }
    absl::StatusOr<std::string> der =
        WrapConferenceKey(*recipient, kConferenceKey);
    if (!der.ok()) {
      state.SkipWithError("wrap failed");
      return;
    }
    std::string base64 = EncodeBase64(*der);
    benchmark::DoNotOptimize(base64);
  }
  const double elapsed = std::chrono::duration<double, std::nano>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  state.SetItemsProcessed(state.iterations());
  state.counters["vs_rsa_plus_parse"] =
      elapsed / static_cast<double>(state.iterations()) / baseline;
}
BENCHMARK(BM_Crypto_WrapKey_Cold)
    ->ArgNames({"bits"})
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096);

void BM_Crypto_WrapKey_Pooled(benchmark::State& state) {
  const auto& identity = RsaIdentity(static_cast<int>(state.range(0)));
  RecipientPool pool;
  absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
      pool.GetOrParse(identity.certificate_base64);
  if (!recipient.ok()) {
    state.SkipWithError("certificate rejected");
    return;
  }
  RawRsa rsa(**recipient);
  const double baseline = NanosPerCall([&] { rsa.Encrypt(); });
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    absl::StatusOr<std::string> der =
        WrapConferenceKey(**recipient, kConferenceKey);
    if (!der.ok()) {
      state.SkipWithError("wrap failed");
      return;
    }
    std::string base64 = EncodeBase64(*der);
    benchmark::DoNotOptimize(base64);
  }
  const double elapsed = std::chrono::duration<double, std::nano>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  state.SetItemsProcessed(state.iterations());
  state.counters["vs_rsa"] =
      elapsed / static_cast<double>(state.iterations()) / baseline;
}
BENCHMARK(BM_Crypto_WrapKey_Pooled)
    ->ArgNames({"bits"})
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096);

// Shared by the threads of BM_Crypto_WrapKey_Cached: one client's blobs in
// kCachedConferences conferences, so that threads (like clients) spread over
// the shards instead of all hitting one entry.
constexpr int kCachedConferences = 16;

struct CachedFixture {
  RecipientPool pool;
  std::shared_ptr<const Recipient> recipient;
  std::vector<std::string> conference_ids;
};

CachedFixture* MakeCachedFixture() {
  auto* f = new CachedFixture();
  absl::StatusOr<std::shared_ptr<const Recipient>> r =
      f->pool.GetOrParse(RsaIdentity(1024).certificate_base64);
  if (!r.ok()) {
    return f;
  }
  const absl::string_view uri = "https://meet.example.com/alice/7Q4ZK2XH";
  const ConferenceSecrets secrets{kConferenceKey, absl::MakeConstSpan(&uri, 1)};
  for (int i = 0; i < kCachedConferences; ++i) {
    f->conference_ids.push_back(absl::StrCat("conference-", i));
    if (!f->pool.GetOrWrap(f->conference_ids.back(), 1, **r, secrets).ok()) {
      return f;
    }
  }
  f->recipient = *r;
  return f;
}

void BM_Crypto_WrapKey_Cached(benchmark::State& state) {
  static CachedFixture* fixture = MakeCachedFixture();
  if (fixture->recipient == nullptr) {
    state.SkipWithError("setup failed");
    return;
  }
  const CertificateDigest& digest = fixture->recipient->digest();
  int next = state.thread_index();
  for (auto _ : state) {
    std::shared_ptr<const WrappedSecrets> blobs =
        fixture->pool.FindWrapped(fixture->conference_ids[next], 1, digest);
    if (blobs == nullptr) {
      state.SkipWithError("cache miss");
      return;
    }
    benchmark::DoNotOptimize(blobs->conference_key.data());
    next = (next + state.threads()) % kCachedConferences;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Crypto_WrapKey_Cached)->ThreadRange(1, 2)->UseRealTime();

void BM_Crypto_GetOrParse_Hit(benchmark::State& state) {
  RecipientPool pool;
  const auto& identity = RsaIdentity(1024);
  if (!pool.GetOrParse(identity.certificate_base64).ok()) {
    state.SkipWithError("certificate rejected");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<std::shared_ptr<const Recipient>> recipient =
        pool.GetOrParse(identity.certificate_base64);
    benchmark::DoNotOptimize(recipient);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Crypto_GetOrParse_Hit);

// 1000 recipients drawn from 16 distinct 1024-bit certificates (generating
// 1000 keys would take longer than the benchmark; every wrap still does its
// own RSA operation).
void BM_Crypto_WrapBatch(benchmark::State& state) {
  constexpr int kRecipients = 1000;
  constexpr int kDistinct = 16;
  const int threads = static_cast<int>(state.range(0));
  std::vector<Recipient> distinct;
  for (int i = 0; i < kDistinct; ++i) {
    absl::StatusOr<Recipient> r =
        ParseRecipient(testing::ExtraRsaIdentity(1024, i).certificate_base64);
    if (!r.ok()) {
      state.SkipWithError("certificate rejected");
      return;
    }
    distinct.push_back(*std::move(r));
  }
  std::vector<const Recipient*> recipients;
  for (int i = 0; i < kRecipients; ++i) {
    recipients.push_back(&distinct[i % kDistinct]);
  }
  RecipientPoolOptions one_thread_options;
  one_thread_options.wrap_threads = 1;
  RecipientPool one_thread_pool(one_thread_options);
  RecipientPoolOptions options;
  options.wrap_threads = threads;
  RecipientPool pool(options);
  auto run = [&](RecipientPool& p) {
    std::vector<absl::StatusOr<std::string>> blobs =
        p.WrapForMany(recipients, WrapMode::kConferenceKey, kConferenceKey);
    for (const auto& blob : blobs) {
      if (!blob.ok()) {
        return false;
      }
    }
    return true;
  };
  const double one_thread = NanosPerCall([&] { run(one_thread_pool); }, 0.2);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (!run(pool)) {
      state.SkipWithError("wrap failed");
      return;
    }
  }
  ReportSpeedup(state, start, one_thread, kRecipients);
}
BENCHMARK(BM_Crypto_WrapBatch)
    ->ArgNames({"threads"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A re-key of one conference: the new key wrapped for each of its
// `recipients` members in one WrapForMany call on 2 threads, call after call
// (a focus re-keys every time a member leaves). The baseline, measured in the
// same run, is the same wraps one after another on the calling thread:
// "speedup_vs_1_thread" (2 at best). What a call costs beyond the RSA
// operations (handing work to other threads) would show at small batches;
// the pool's default min_parallel_batch (8) keeps those on the caller.
void BM_Crypto_WrapForMany(benchmark::State& state) {
  constexpr int kDistinct = 16;
  const int members = static_cast<int>(state.range(0));
  std::vector<Recipient> distinct;
  for (int i = 0; i < kDistinct; ++i) {
    absl::StatusOr<Recipient> r =
        ParseRecipient(testing::ExtraRsaIdentity(1024, i).certificate_base64);
    if (!r.ok()) {
      state.SkipWithError("certificate rejected");
      return;
    }
    distinct.push_back(*std::move(r));
  }
  std::vector<const Recipient*> recipients;
  for (int i = 0; i < members; ++i) {
    recipients.push_back(&distinct[i % kDistinct]);
  }
  const double one_thread = NanosPerCall([&] {
    for (const Recipient* recipient : recipients) {
      absl::StatusOr<std::string> der =
          WrapConferenceKey(*recipient, kConferenceKey);
      benchmark::DoNotOptimize(der);
    }
  });
  // The focus's pool: its workers outlive the call.
  RecipientPoolOptions options;
  options.wrap_threads = 2;
  RecipientPool pool(options);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::vector<absl::StatusOr<std::string>> blobs =
        pool.WrapForMany(recipients, WrapMode::kConferenceKey, kConferenceKey);
    for (const auto& blob : blobs) {
      if (!blob.ok()) {
        state.SkipWithError("wrap failed");
        return;
      }
    }
  }
  ReportSpeedup(state, start, one_thread, members);
}
BENCHMARK(BM_Crypto_WrapForMany)
    ->ArgNames({"recipients"})
    ->Arg(2)
    ->Arg(8)
    ->Arg(32)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace conf::crypto

BENCHMARK_MAIN();
