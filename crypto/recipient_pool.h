// RecipientPool: what the focus keeps between C3P requests so that a client
// certificate is parsed once and a client that asks again for the conference
// secrets gets the same blobs without an RSA operation.
//
//   GetOrParse(base64) ──base64 without white space──► text shards (LRU)
//        │ miss                                        │ hit
//        └──decode, SHA-256(DER)──► recipient shards (LRU, bounded)
//                                   shared_ptr<const Recipient>
//   GetOrWrap(conference, epoch, recipient, secrets)
//        ──(conference, epoch, SHA-256)──► blob shards (LRU, bounded)
//                                         shared_ptr<const WrappedSecrets>
//
// Both maps are split into shards, each behind its own conf::Mutex, held
// only for the map operation: parsing and RSA run outside any lock, so two
// threads that miss on the same key at once both do the work and the first
// insert wins (both callers get the stored value).
//
// A client that asks again is answered by FindCached from a small cache of
// the calling thread's own (kThreadCacheSlots certificates per thread, over
// all pools), filled by GetOrParse and the blob lookups: no lock, no
// reference count, nothing shared written, so threads answering the same
// certificate do not bounce cache lines. An entry the pool drops (evicted,
// or forgotten with its conference) is marked so, and a thread's cache stops
// answering with it; the bounds above stay the pool's, plus at most
// kThreadCacheSlots dropped entries each thread keeps until it replaces them.
// Every kThreadCacheTouch hits a thread marks its entry recently used in the
// pool (an approximate LRU) and counts the hits.
//
// Nothing crosses conferences or outlives a key change: blobs are keyed by
// (conference id, key epoch, certificate digest), the caller passes the
// current epoch, and ForgetConference drops a conference's blobs when its key
// changes or it ends. The key epoch must change whenever the conference key or
// the set of encrypted URIs changes.
//
// Recipients and wrapped secrets are immutable and shared across threads as
// std::shared_ptr<const T>; they stay valid after eviction for as long as a
// caller holds them.
//
// WrapForMany and GetOrWrapForMany wrap for many recipients at once (key
// rotation after a user leaves, mass joins) on the calling thread and
// options().wrap_threads - 1 worker threads of the pool's own, started by the
// first batch that can use them and joined when the pool is destroyed.
//
// Thread-safe: every method may be called from any number of threads.
//
// Example:
//   conf::crypto::RecipientPool pool;
//   CONF_ASSIGN_OR_RETURN(std::shared_ptr<const conf::crypto::Recipient> r,
//                         pool.GetOrParse(certificate_base64));
//   CONF_ASSIGN_OR_RETURN(
//       std::shared_ptr<const conf::crypto::WrappedSecrets> secrets,
//       pool.GetOrWrap(conference_id, key_epoch, *r, {key, uris}));
//   // secrets->conference_key and secrets->encrypted_uris are base64.

#ifndef CONF_CRYPTO_RECIPIENT_POOL_H_
#define CONF_CRYPTO_RECIPIENT_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "crypto/enveloped_data.h"

namespace conf::crypto {
namespace internal {
class WorkerPool;
}  // namespace internal

// What to wrap for one client. Views; they must outlive the call.
struct ConferenceSecrets {
  // The conference key: CipherKeyLength(cipher) bytes (24 for 3DES).
  absl::Span<const uint8_t> conference_key;
  // The web-join URIs of `msci:encrypted-uri`, each encrypted as its UTF-8
  // bytes under the conference key (docs/CRYPTO.md).
  absl::Span<const absl::string_view> uris;
};

// Base64 blobs ready for `msci:cms-data`.
struct WrappedSecrets {
  std::string conference_key;
  std::vector<std::string> encrypted_uris;  // in ConferenceSecrets::uris order
};

// Wraps `secrets` for `recipient` with no caching, with one RSA operation
// (WrapConferenceKeyAndContents): one conference-key blob and one blob per
// URI. Errors as WrapConferenceKeyAndContents.
absl::StatusOr<WrappedSecrets> WrapSecrets(const Recipient& recipient,
                                           const ConferenceSecrets& secrets,
                                           Cipher cipher);

// What RecipientPool::WrapForMany wraps.
enum class WrapMode {
  kConferenceKey,  // `input` is the key: WrapConferenceKey
  kContent,        // `input` is the payload: WrapContent
};

struct RecipientPoolOptions {
  CertificateLimits limits;
  Cipher cipher = Cipher::kDesEde3Cbc;
  // Bounds, over all shards (each shard holds 1/kShards of them, at least 1).
  size_t max_recipients = 4096;
  size_t max_wrapped = 64 * 1024;
  // Conference key epochs whose URI ciphertexts are kept for reuse (Wrap).
  size_t max_encrypted_contents = 4096;
  // Threads a WrapForMany or GetOrWrapForMany call runs on, the caller's
  // included: wrap_threads - 1 workers are started by the first batch of
  // at least min_parallel_batch recipients and kept until the pool is
  // destroyed.
  int wrap_threads = 2;
  // Batches of fewer recipients run on the calling thread alone. Handing a
  // wrap (one RSA public operation, a few µs) to a worker costs a wake-up
  // that can take longer on a busy or virtualized machine: on the 2-vCPU
  // VM of docs/BENCHMARKS.md, 2 recipients on 2 threads took 2.8x the time
  // of one thread, 8 broke even and 32 ran 1.4x faster
  // (BM_Crypto_WrapForMany).
  size_t min_parallel_batch = 8;
};

// Counters, summed over shards at the time of the call.
struct RecipientPoolStats {
  uint64_t recipient_hits = 0;
  uint64_t recipient_misses = 0;
  uint64_t recipient_evictions = 0;
  uint64_t text_hits = 0;  // recipient_hits that skipped decode + SHA-256
  uint64_t wrapped_hits = 0;
  uint64_t wrapped_misses = 0;
  uint64_t wrapped_evictions = 0;
  size_t recipients = 0;
  size_t wrapped = 0;
};

class RecipientPool {
 public:
  static constexpr size_t kShards = 16;
  // Certificates each thread's cache answers for (FindCached).
  static constexpr size_t kThreadCacheSlots = 4;
  // FindCached hits between two marks of the pool's LRU.
  static constexpr uint32_t kThreadCacheTouch = 64;

  explicit RecipientPool(RecipientPoolOptions options = {});
  ~RecipientPool();
  RecipientPool(const RecipientPool&) = delete;
  RecipientPool& operator=(const RecipientPool&) = delete;

  const RecipientPoolOptions& options() const { return options_; }

  // Returns the recipient for `certificate_base64` (see ParseRecipient),
  // parsing it on first sight. Recipients are keyed by the SHA-256 of the
  // decoded DER. A second, equally bounded index keyed by the base64 text
  // without its ASCII white space (the same certificate with other line
  // breaks or indentation is the same key) answers a certificate seen before
  // without decoding it: the stored text is compared in full, so only the
  // same base64 characters hit, and text that never parsed is never stored.
  // Errors: those of ParseRecipient (kInvalidArgument "certificate: ...").
  // Invalid certificates are not cached.
  absl::StatusOr<std::shared_ptr<const Recipient>> GetOrParse(
      absl::string_view certificate_base64);

  // The blobs the calling thread last got from this pool (GetOrWrap,
  // FindWrapped or InsertWrapped after GetOrParse of the same text) for
  // `certificate_base64`, byte for byte, in `conference_id`, with their key
  // epoch; std::nullopt if there are none or the pool has dropped them. The
  // caller checks that `key_epoch` is the conference's current one. Takes no
  // lock and writes nothing shared (see the class comment).
  //
  // Lifetime: `wrapped` is valid until the calling thread next calls a
  // method of any RecipientPool.
  struct Cached {
    uint64_t key_epoch;
    const WrappedSecrets* wrapped;
  };
  std::optional<Cached> FindCached(absl::string_view certificate_base64,
                                   absl::string_view conference_id) const;

  // The cached blobs for (conference, epoch, certificate), or nullptr. A hit
  // marks the entry most recently used.
  std::shared_ptr<const WrappedSecrets> FindWrapped(
      absl::string_view conference_id, uint64_t key_epoch,
      const CertificateDigest& certificate) const;

  // Caches `wrapped` unless an entry for the key exists; returns whichever
  // entry is cached afterwards.
  std::shared_ptr<const WrappedSecrets> InsertWrapped(
      absl::string_view conference_id, uint64_t key_epoch,
      const CertificateDigest& certificate, WrappedSecrets wrapped);

  // WrapSecrets for (conference, epoch), not cached, with the URI
  // ciphertexts encrypted once per (conference, key epoch) and reused for
  // every recipient (docs/CRYPTO.md, "URI ciphertext once per key epoch"):
  // per recipient there remain the RSA operation and its RecipientInfo.
  // Stored ciphertexts serve only the same key and URIs (compared by SHA-256
  // of both; nothing else is encrypted under a stale entry), are bounded by
  // max_encrypted_contents and are dropped by ForgetConference. Errors:
  // those of WrapSecrets.
  absl::StatusOr<WrappedSecrets> Wrap(absl::string_view conference_id,
                                      uint64_t key_epoch,
                                      const Recipient& recipient,
                                      const ConferenceSecrets& secrets);

  // FindWrapped, or Wrap + InsertWrapped on a miss (no lock held while
  // wrapping). Errors: those of WrapSecrets; failures are not cached.
  absl::StatusOr<std::shared_ptr<const WrappedSecrets>> GetOrWrap(
      absl::string_view conference_id, uint64_t key_epoch,
      const Recipient& recipient, const ConferenceSecrets& secrets);

  // GetOrWrap for each recipient, spread over options().wrap_threads threads
  // (the caller's and the pool's workers). For re-keying a conference (new
  // epoch) or a mass join. Returns one result per recipient, in order: the
  // errors of GetOrWrap, and kInvalidArgument for a null recipient. Blocks
  // until all are done.
  std::vector<absl::StatusOr<std::shared_ptr<const WrappedSecrets>>>
  GetOrWrapForMany(
      absl::string_view conference_id, uint64_t key_epoch,
      absl::Span<const std::shared_ptr<const Recipient>> recipients,
      const ConferenceSecrets& secrets);

  // Wraps `input` for every recipient with options().cipher, without the
  // cache, spread over options().wrap_threads threads as GetOrWrapForMany.
  // Returns one DER blob or error per recipient, in order: the errors of
  // WrapConferenceKey (kConferenceKey) or WrapContent (kContent), and
  // kInvalidArgument for a null recipient. Blocks until all are done.
  std::vector<absl::StatusOr<std::string>> WrapForMany(
      absl::Span<const Recipient* const> recipients, WrapMode mode,
      absl::Span<const uint8_t> input);

  // Drops every cached blob of `conference_id` whose epoch is below
  // `keep_from_epoch` (all of them with the default). Call it when the key
  // changes or the conference ends. Scans all blob shards.
  void ForgetConference(absl::string_view conference_id,
                        uint64_t keep_from_epoch = UINT64_MAX);

  RecipientPoolStats stats() const;

 private:
  struct RecipientShard;
  struct TextShard;
  struct WrappedShard;
  struct ContentsShard;

  // GetOrParse without the text index: decode, digest, digest shards.
  absl::StatusOr<std::shared_ptr<const Recipient>> GetOrParseDecoded(
      absl::string_view certificate_base64);

  // Marks the blobs of `key` most recently used and counts `hits` hits.
  void TouchWrapped(absl::string_view conference_id, uint64_t key_epoch,
                    const CertificateDigest& certificate, uint32_t hits) const;

  RecipientPoolOptions options_;
  // Tells this pool's entries apart in the threads' caches (never reused).
  const uint64_t id_;
  std::unique_ptr<RecipientShard[]> recipient_shards_;
  std::unique_ptr<TextShard[]> text_shards_;
  std::unique_ptr<WrappedShard[]> wrapped_shards_;
  std::unique_ptr<ContentsShard[]> contents_shards_;
  // The threads of the batch calls; declared last, so that its workers are
  // joined before anything they could reach is destroyed.
  // Calls fn(i) for i in [0, n): on the workers when n is at least
  // options_.min_parallel_batch, else on the calling thread.
  void ForEachRecipient(size_t n, absl::FunctionRef<void(size_t)> fn);

  std::unique_ptr<internal::WorkerPool> workers_;
};

}  // namespace conf::crypto

#endif  // CONF_CRYPTO_RECIPIENT_POOL_H_
