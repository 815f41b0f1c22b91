// Key rotation: a new conference key wrapped for every member, against the
// RSA work it cannot avoid, measured in the same run.
//
//   BM_Focus_RotateKey/members:1000/wrap_threads:T
//       Focus::RotateConferenceKey on a conference of 1000 members, each of
//       whom has fetched the key with its own 2048-bit certificate: the
//       store's new epoch, then the new key wrapped for all 1000 in one batch
//       on T threads (RecipientPool::GetOrWrapForMany), the old epoch's blobs
//       dropped. Counters:
//         vs_1000_rsa = rotation time / 1000 raw RSA public operations with
//                       the same keys on one thread (the limit): the target
//                       is <= 1.3 on one thread and <= 0.72 on two (1.8x
//                       faster than the one-thread limit)
//         ms          = one rotation
//   BM_Limit_1000RsaPublicOps
//       the limit alone, for the tables.
//
// The certificates carry random odd 2048-bit moduli (testing::
// FakeRsaPublicKey): the public operation costs what a real key's does,
// without generating 1000 RSA keys.

#include <algorithm>
#include <chrono>  // NOLINT(build/c++11)
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include <openssl/base.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "codec/c3p_request_encoder.h"
#include "crypto/enveloped_data.h"
#include "crypto/self_signed.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "testing/focus_harness.h"
#include "testing/test_certificates.h"

namespace conf {
namespace focus {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMembers = 1000;
constexpr int kRsaBits = 2048;
constexpr char kOrganizer[] = "sip:organizer@fabrikam.com";

std::string MemberUri(int i) {
  return absl::StrCat("sip:member", i, "@fabrikam.com");
}

// The members' certificates: a fake public key each, signed by one real key.
const std::vector<std::string>& Certificates() {
  static const std::vector<std::string>* const kCertificates = [] {
    auto* certificates = new std::vector<std::string>;
    const testing::TestIdentity& signer = testing::RsaIdentity(kRsaBits);
    for (int i = 0; i < kMembers; ++i) {
      bssl::UniquePtr<EVP_PKEY> key =
          testing::FakeRsaPublicKey(kRsaBits, 65537);
      crypto::CertificateSpec spec;
      spec.serial = i + 1;
      spec.common_name = MemberUri(i);
      certificates->push_back(testing::WrappedBase64(
          testing::MakeCertificateDer(key.get(), signer.key.get(), spec)));
    }
    return certificates;
  }();
  return *kCertificates;
}

// A conference of kMembers members who have each fetched the key once.
struct Rekeyed {
  explicit Rekeyed(int wrap_threads)
      : harness([wrap_threads] {
          FocusOptions options = testing::SeededFocusOptions();
          options.crypto.wrap_threads = wrap_threads;
          return options;
        }()) {
    ok = !harness.AddConference(kOrganizer).empty() &&
         harness.Join(kOrganizer, engine::Role::kPresenter).success();
    for (int i = 0; ok && i < kMembers; ++i) {
      const std::string member = MemberUri(i);
      ok = harness.Join(member, engine::Role::kAttendee).success() &&
           harness
               .Send(member, codec::EncodeGetConferenceRequest(
                                 harness.Envelope(member), harness.conference(),
                                 Certificates()[i]))
               .success();
    }
  }
  testing::FocusHarness harness;
  bool ok = false;
};

// One raw RSA PKCS#1 v1.5 encryption of a 24-byte key per member, on one
// thread: the work no rotation can avoid. Nanoseconds for all of them.
double ThousandRsaOpsNanos() {
  std::vector<bssl::UniquePtr<EVP_PKEY_CTX>> contexts;
  for (const std::string& certificate : Certificates()) {
    absl::StatusOr<crypto::Recipient> r = crypto::ParseRecipient(certificate);
    if (!r.ok())
      return 0;
    contexts.emplace_back(EVP_PKEY_CTX_new(r->public_key(), nullptr));
    if (!EVP_PKEY_encrypt_init(contexts.back().get()) ||
        !EVP_PKEY_CTX_set_rsa_padding(contexts.back().get(),
                                      RSA_PKCS1_PADDING)) {
      return 0;
    }
  }
  static constexpr uint8_t kKey[24] = {1,  2,  3,  4,  5,  6,  7,  8,
                                       9,  10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24};
  std::vector<uint8_t> out(kRsaBits / 8);
  double best = 0;
  // The best of three passes: the limit, not the limit plus a hiccup.
  for (int pass = 0; pass < 3; ++pass) {
    const Clock::time_point start = Clock::now();
    for (auto& ctx : contexts) {
      size_t len = out.size();
      if (!EVP_PKEY_encrypt(ctx.get(), out.data(), &len, kKey, sizeof(kKey)))
        return 0;
    }
    const double ns =
        std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    best = pass == 0 ? ns : std::min(best, ns);
  }
  return best;
}

void BM_Focus_RotateKey(benchmark::State& state) {
  const int wrap_threads = static_cast<int>(state.range(1));
  static Rekeyed* one = nullptr;
  static Rekeyed* two = nullptr;
  Rekeyed*& rekeyed = wrap_threads == 1 ? one : two;
  if (rekeyed == nullptr)
    rekeyed = new Rekeyed(wrap_threads);
  if (!rekeyed->ok) {
    state.SkipWithError("building the conference failed");
    return;
  }
  Focus& focus = rekeyed->harness.focus();
  const RequestContext organizer = RequestContext::Authenticated(kOrganizer);
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    if (!focus.RotateConferenceKey(organizer, rekeyed->harness.conference())
             .ok()) {
      state.SkipWithError("rotation failed");
      return;
    }
  }
  const double ns =
      std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
      static_cast<double>(state.iterations());
  const double limit_ns = ThousandRsaOpsNanos();
  if (limit_ns <= 0) {
    state.SkipWithError("the RSA limit failed");
    return;
  }
  state.counters["vs_1000_rsa"] = ns / limit_ns;
  state.counters["ms"] = ns / 1e6;
  state.SetItemsProcessed(state.iterations() * kMembers);
}
BENCHMARK(BM_Focus_RotateKey)
    ->ArgNames({"members", "wrap_threads"})
    ->Args({kMembers, 1})
    ->Args({kMembers, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Limit_1000RsaPublicOps(benchmark::State& state) {
  for (auto _ : state) {
    const double ns = ThousandRsaOpsNanos();
    if (ns <= 0) {
      state.SkipWithError("RSA failed");
      return;
    }
    state.SetIterationTime(ns / 1e9);
  }
  state.SetItemsProcessed(state.iterations() * kMembers);
}
BENCHMARK(BM_Limit_1000RsaPublicOps)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

}  // namespace
}  // namespace focus
}  // namespace conf

BENCHMARK_MAIN();
