#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include <openssl/sha.h>

#include "base/mutex.h"
#include "base/status_macros.h"
#include "crypto/base64.h"
#include "crypto/internal/lru_map.h"
#include "crypto/internal/worker_pool.h"
#include "crypto/recipient_pool.h"

namespace conf::crypto {
namespace {

uint64_t DigestWord(const CertificateDigest& digest, size_t word) {
  uint64_t value;
  std::memcpy(&value, digest.data() + 8 * word, sizeof(value));
  return value;
}

// The digest is already uniformly distributed: its first word is the hash,
// its second picks the shard.
struct DigestHash {
  size_t operator()(const CertificateDigest& digest) const {
    return static_cast<size_t>(DigestWord(digest, 0));
  }
};

size_t RecipientShardOf(const CertificateDigest& digest) {
  return DigestWord(digest, 1) % RecipientPool::kShards;
}

struct WrappedKeyView {
  absl::string_view conference_id;
  uint64_t key_epoch;
  const CertificateDigest* certificate;
};

struct WrappedKey {
  std::string conference_id;
  uint64_t key_epoch;
  CertificateDigest certificate;

  WrappedKeyView view() const {
    return {conference_id, key_epoch, &certificate};
  }
};

size_t HashWrappedKey(const WrappedKeyView& key) {
  return absl::Hash<std::tuple<absl::string_view, uint64_t, uint64_t>>()(
      std::make_tuple(key.conference_id, key.key_epoch,
                      DigestWord(*key.certificate, 0)));
}

struct WrappedKeyHash {
  using is_transparent = void;
  size_t operator()(const WrappedKey& key) const {
    return HashWrappedKey(key.view());
  }
  size_t operator()(const WrappedKeyView& key) const {
    return HashWrappedKey(key);
  }
};

struct WrappedKeyEq {
  using is_transparent = void;
  static bool Equal(const WrappedKeyView& a, const WrappedKeyView& b) {
    return a.key_epoch == b.key_epoch && a.conference_id == b.conference_id &&
           *a.certificate == *b.certificate;
  }
  bool operator()(const WrappedKey& a, const WrappedKey& b) const {
    return Equal(a.view(), b.view());
  }
  bool operator()(const WrappedKey& a, const WrappedKeyView& b) const {
    return Equal(a.view(), b);
  }
  bool operator()(const WrappedKeyView& a, const WrappedKey& b) const {
    return Equal(a, b.view());
  }
};

// Transparent, so that GetOrParse looks up a string_view without a copy.
struct TextHash {
  using is_transparent = void;
  size_t operator()(absl::string_view text) const {
    return absl::Hash<absl::string_view>()(text);
  }
};

struct TextEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const {
    return a == b;
  }
};

// The text index's key for `text`: its characters without white space, in
// `stack` when they fit, else in `*heap`.
absl::string_view TextKey(absl::string_view text, char* stack,
                          size_t stack_size, std::string* heap) {
  char* out = stack;
  if (text.size() + kStripSpaceSlack > stack_size) {
    heap->resize(text.size() + kStripSpaceSlack);
    out = heap->data();
  }
  return absl::string_view(out, StripAsciiSpace(text, out));
}

// High bits for the shard: flat_hash_map uses the low 7 bits of the same
// hash inside the shard.
size_t WrappedShardOf(size_t hash) {
  return (hash >> 48) % RecipientPool::kShards;
}

size_t PerShard(size_t total) {
  return std::max<size_t>(
      1, (total + RecipientPool::kShards - 1) / RecipientPool::kShards);
}

// Blobs as the blob shards hold them: the value, and whether the pool has
// let it go (the threads' caches must stop answering with it then).
struct WrappedNode {
  explicit WrappedNode(WrappedSecrets s) : secrets(std::move(s)) {}

  const WrappedSecrets secrets;
  mutable std::atomic<bool> dropped{false};
};

// The aliasing pointer the public API hands out: it keeps the node alive.
std::shared_ptr<const WrappedSecrets> SecretsOf(
    std::shared_ptr<const WrappedNode> node) {
  const WrappedSecrets* secrets = &node->secrets;
  return std::shared_ptr<const WrappedSecrets>(std::move(node), secrets);
}

// A blob shard's value: marks its node dropped when the map lets it go
// (eviction, ForgetConference, the pool's destruction), under the shard's
// mutex.
class Resident {
 public:
  explicit Resident(std::shared_ptr<const WrappedNode> node)
      : node_(std::move(node)) {}
  Resident(Resident&& other) noexcept = default;
  Resident& operator=(Resident&& other) noexcept {
    Drop();
    node_ = std::move(other.node_);
    return *this;
  }
  ~Resident() { Drop(); }

  const std::shared_ptr<const WrappedNode>& node() const { return node_; }

 private:
  void Drop() {
    if (node_ != nullptr) {
      node_->dropped.store(true, std::memory_order_release);
    }
  }

  std::shared_ptr<const WrappedNode> node_;  // null once moved from
};

// One certificate in a thread's cache: the text as the client sent it, its
// recipient, and the blobs last handed out for it.
struct ThreadCacheSlot {
  uint64_t pool = 0;  // RecipientPool::id_; 0 when empty
  std::string text;
  std::shared_ptr<const Recipient> recipient;
  std::string conference_id;
  uint64_t key_epoch = 0;
  std::shared_ptr<const WrappedNode> wrapped;  // null: none yet
  uint32_t hits = 0;  // since the pool's LRU was last marked
  uint64_t used = 0;  // ThreadCache::clock at the last use
};

struct ThreadCache {
  ThreadCacheSlot slots[RecipientPool::kThreadCacheSlots];
  uint64_t clock = 0;
};

// Owned by the calling thread alone; destroyed when it exits.
ThreadCache& LocalCache() {
  thread_local ThreadCache cache;
  return cache;
}

std::atomic<uint64_t> next_pool_id{1};

// Remembers `recipient` for `text` in this thread's cache, in the slot of
// the same text or else the least recently used one.
void RememberRecipient(uint64_t pool, absl::string_view text,
                       const std::shared_ptr<const Recipient>& recipient) {
  ThreadCache& cache = LocalCache();
  ThreadCacheSlot* victim = &cache.slots[0];
  for (ThreadCacheSlot& slot : cache.slots) {
    if (slot.pool == pool && slot.text == text) {
      victim = &slot;
      break;
    }
    if (slot.used < victim->used)
      victim = &slot;
  }
  if (victim->pool != pool || victim->text != text ||
      victim->recipient != recipient) {
    victim->pool = pool;
    victim->text.assign(text.data(), text.size());
    victim->recipient = recipient;
    victim->conference_id.clear();
    victim->wrapped = nullptr;
    victim->hits = 0;
  }
  victim->used = ++cache.clock;
}

// Remembers `node` as the blobs of (conference, epoch) in this thread's most
// recently used slot for the certificate `digest`, if it has one.
void RememberWrapped(uint64_t pool, absl::string_view conference_id,
                     uint64_t key_epoch, const CertificateDigest& digest,
                     const std::shared_ptr<const WrappedNode>& node) {
  ThreadCache& cache = LocalCache();
  ThreadCacheSlot* found = nullptr;
  for (ThreadCacheSlot& slot : cache.slots) {
    if (slot.pool == pool && slot.recipient != nullptr &&
        slot.recipient->digest() == digest &&
        (found == nullptr || slot.used > found->used)) {
      found = &slot;
    }
  }
  if (found == nullptr)
    return;
  if (found->wrapped != node) {
    found->conference_id.assign(conference_id.data(), conference_id.size());
    found->key_epoch = key_epoch;
    found->wrapped = node;
    found->hits = 0;
  }
  found->used = ++cache.clock;
}

}  // namespace

// Each shard on its own cache lines, so that threads working in different
// shards do not invalidate each other's lines (false sharing).
constexpr size_t kCacheLine = 64;

struct alignas(kCacheLine) RecipientPool::RecipientShard {
  mutable conf::Mutex mu;
  internal::LruMap<CertificateDigest, std::shared_ptr<const Recipient>,
                   DigestHash, std::equal_to<CertificateDigest>>
      map ABSL_GUARDED_BY(mu);
  uint64_t hits ABSL_GUARDED_BY(mu) = 0;
  uint64_t misses ABSL_GUARDED_BY(mu) = 0;
};

// Base64 text without white space -> recipient: the fast path of
// GetOrParse.
struct alignas(kCacheLine) RecipientPool::TextShard {
  mutable conf::Mutex mu;
  internal::LruMap<std::string, std::shared_ptr<const Recipient>, TextHash,
                   TextEq>
      map ABSL_GUARDED_BY(mu);
  uint64_t hits ABSL_GUARDED_BY(mu) = 0;
};

struct alignas(kCacheLine) RecipientPool::WrappedShard {
  mutable conf::Mutex mu;
  internal::LruMap<WrappedKey, Resident, WrappedKeyHash, WrappedKeyEq> map
      ABSL_GUARDED_BY(mu);
  uint64_t hits ABSL_GUARDED_BY(mu) = 0;
  uint64_t misses ABSL_GUARDED_BY(mu) = 0;
};

namespace {

// The recipient-independent halves of one conference key epoch's blobs: the
// key blob's EncryptedContentInfo (KeyContentInfo), EncryptContentUnderKey
// of each URI, and the SHA-256 of the key and URIs they were made from.
struct EncryptedContents {
  CertificateDigest fingerprint;
  std::string key_info;
  std::vector<std::string> infos;
};

using ContentsKey = std::pair<std::string, uint64_t>;

// SHA-256 over the key, then each URI preceded by its length, so that no two
// different (key, URIs) share an input.
CertificateDigest FingerprintOf(const ConferenceSecrets& secrets) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, secrets.conference_key.data(),
                secrets.conference_key.size());
  for (absl::string_view uri : secrets.uris) {
    const uint64_t size = uri.size();
    SHA256_Update(&ctx, &size, sizeof(size));
    SHA256_Update(&ctx, uri.data(), uri.size());
  }
  CertificateDigest digest;
  SHA256_Final(digest.data(), &ctx);
  return digest;
}

}  // namespace

struct alignas(kCacheLine) RecipientPool::ContentsShard {
  mutable conf::Mutex mu;
  internal::LruMap<ContentsKey, std::shared_ptr<const EncryptedContents>,
                   absl::Hash<ContentsKey>, std::equal_to<ContentsKey>>
      map ABSL_GUARDED_BY(mu);
};

namespace {

// The wire form of the DER blobs of one wrap: the conference key's
// EnvelopedData first, then one per web-join URI, each base64.
WrappedSecrets WrappedFromBlobs(const std::vector<std::string>& blobs) {
  WrappedSecrets wrapped;
  wrapped.conference_key = EncodeBase64(blobs[0]);
  wrapped.encrypted_uris.reserve(blobs.size() - 1);
  for (size_t i = 1; i < blobs.size(); ++i) {
    wrapped.encrypted_uris.push_back(EncodeBase64(blobs[i]));
  }
  return wrapped;
}

}  // namespace

absl::StatusOr<WrappedSecrets> WrapSecrets(const Recipient& recipient,
                                           const ConferenceSecrets& secrets,
                                           Cipher cipher) {
  CONF_ASSIGN_OR_RETURN(
      std::vector<std::string> blobs,
      WrapConferenceKeyAndContents(recipient, secrets.conference_key,
                                   secrets.uris, cipher));
  return WrappedFromBlobs(blobs);
}

RecipientPool::RecipientPool(RecipientPoolOptions options)
    : options_(std::move(options)),
      id_(next_pool_id.fetch_add(1, std::memory_order_relaxed)),
      recipient_shards_(new RecipientShard[kShards]),
      text_shards_(new TextShard[kShards]),
      wrapped_shards_(new WrappedShard[kShards]),
      contents_shards_(new ContentsShard[kShards]),
      workers_(std::make_unique<internal::WorkerPool>(options_.wrap_threads)) {
  for (size_t i = 0; i < kShards; ++i) {
    {
      conf::MutexLock lock(&recipient_shards_[i].mu);
      recipient_shards_[i].map.set_capacity(PerShard(options_.max_recipients));
    }
    {
      conf::MutexLock lock(&text_shards_[i].mu);
      text_shards_[i].map.set_capacity(PerShard(options_.max_recipients));
    }
    {
      conf::MutexLock lock(&contents_shards_[i].mu);
      contents_shards_[i].map.set_capacity(
          PerShard(options_.max_encrypted_contents));
    }
    conf::MutexLock lock(&wrapped_shards_[i].mu);
    wrapped_shards_[i].map.set_capacity(PerShard(options_.max_wrapped));
  }
}

RecipientPool::~RecipientPool() = default;

absl::StatusOr<std::shared_ptr<const Recipient>> RecipientPool::GetOrParse(
    absl::string_view certificate_base64) {
  // Fast path: the same base64 characters seen before, whatever the white
  // space around and between them. Text over the intake limit is refused by
  // the decoder below, before it is stripped or stored.
  if (certificate_base64.size() > options_.limits.max_certificate_bytes * 2) {
    return GetOrParseDecoded(certificate_base64);
  }
  char stack[4096];
  std::string heap;
  const absl::string_view key =
      TextKey(certificate_base64, stack, sizeof(stack), &heap);
  const size_t text_hash = TextHash()(key);
  TextShard& text_shard = text_shards_[(text_hash >> 48) % kShards];
  std::shared_ptr<const Recipient> hit;
  {
    conf::MutexLock lock(&text_shard.mu);
    if (std::shared_ptr<const Recipient>* found = text_shard.map.Find(key)) {
      ++text_shard.hits;
      hit = *found;
    }
  }
  if (hit != nullptr) {
    RememberRecipient(id_, certificate_base64, hit);
    return hit;
  }
  // The key is the text without its white space, which is what the decoder
  // would strip: it decodes it without a second pass.
  CONF_ASSIGN_OR_RETURN(std::shared_ptr<const Recipient> recipient,
                        GetOrParseDecoded(key));
  std::string stored(key);
  {
    conf::MutexLock lock(&text_shard.mu);
    text_shard.map.Insert(std::move(stored), recipient);
  }
  RememberRecipient(id_, certificate_base64, recipient);
  return recipient;
}

absl::StatusOr<std::shared_ptr<const Recipient>>
RecipientPool::GetOrParseDecoded(absl::string_view certificate_base64) {
  CONF_ASSIGN_OR_RETURN(
      std::string der,
      DecodeCertificateBase64(certificate_base64, options_.limits));
  CertificateDigest digest;
  SHA256(reinterpret_cast<const uint8_t*>(der.data()), der.size(),
         digest.data());
  RecipientShard& shard = recipient_shards_[RecipientShardOf(digest)];
  {
    conf::MutexLock lock(&shard.mu);
    if (std::shared_ptr<const Recipient>* found = shard.map.Find(digest)) {
      ++shard.hits;
      return *found;
    }
    ++shard.misses;
  }
  // Parse outside the lock; a concurrent miss on the same certificate parses
  // too, and the first insert wins.
  CONF_ASSIGN_OR_RETURN(
      Recipient parsed,
      ParseRecipientDerWithDigest(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(der.data()),
                              der.size()),
          options_.limits, digest));
  auto recipient = std::make_shared<const Recipient>(std::move(parsed));
  conf::MutexLock lock(&shard.mu);
  return *shard.map.Insert(digest, std::move(recipient));
}

std::optional<RecipientPool::Cached> RecipientPool::FindCached(
    absl::string_view certificate_base64,
    absl::string_view conference_id) const {
  ThreadCache& cache = LocalCache();
  for (ThreadCacheSlot& slot : cache.slots) {
    if (slot.pool != id_ || slot.wrapped == nullptr ||
        slot.text.size() != certificate_base64.size() ||
        slot.conference_id != conference_id ||
        slot.text != certificate_base64) {
      continue;
    }
    // Pairs with Resident's release store, made under the shard mutex.
    if (slot.wrapped->dropped.load(std::memory_order_acquire)) {
      slot.wrapped = nullptr;
      slot.hits = 0;
      return std::nullopt;
    }
    slot.used = ++cache.clock;
    if (++slot.hits >= kThreadCacheTouch) {
      TouchWrapped(slot.conference_id, slot.key_epoch, slot.recipient->digest(),
                   slot.hits);
      slot.hits = 0;
    }
    return Cached{slot.key_epoch, &slot.wrapped->secrets};
  }
  return std::nullopt;
}

void RecipientPool::TouchWrapped(absl::string_view conference_id,
                                 uint64_t key_epoch,
                                 const CertificateDigest& certificate,
                                 uint32_t hits) const {
  const WrappedKeyView key{conference_id, key_epoch, &certificate};
  WrappedShard& shard = wrapped_shards_[WrappedShardOf(HashWrappedKey(key))];
  conf::MutexLock lock(&shard.mu);
  if (shard.map.Find(key) != nullptr) {
    shard.hits += hits;
  }
}

std::shared_ptr<const WrappedSecrets> RecipientPool::FindWrapped(
    absl::string_view conference_id, uint64_t key_epoch,
    const CertificateDigest& certificate) const {
  const WrappedKeyView key{conference_id, key_epoch, &certificate};
  WrappedShard& shard = wrapped_shards_[WrappedShardOf(HashWrappedKey(key))];
  std::shared_ptr<const WrappedNode> node;
  {
    conf::MutexLock lock(&shard.mu);
    if (Resident* found = shard.map.Find(key)) {
      ++shard.hits;
      node = found->node();
    } else {
      ++shard.misses;
      return nullptr;
    }
  }
  RememberWrapped(id_, conference_id, key_epoch, certificate, node);
  return SecretsOf(std::move(node));
}

std::shared_ptr<const WrappedSecrets> RecipientPool::InsertWrapped(
    absl::string_view conference_id, uint64_t key_epoch,
    const CertificateDigest& certificate, WrappedSecrets wrapped) {
  WrappedKey key{std::string(conference_id), key_epoch, certificate};
  WrappedShard& shard =
      wrapped_shards_[WrappedShardOf(HashWrappedKey(key.view()))];
  auto value = std::make_shared<const WrappedNode>(std::move(wrapped));
  std::shared_ptr<const WrappedNode> node;
  {
    conf::MutexLock lock(&shard.mu);
    node = shard.map.Insert(std::move(key), Resident(std::move(value)))->node();
  }
  RememberWrapped(id_, conference_id, key_epoch, certificate, node);
  return SecretsOf(std::move(node));
}

absl::StatusOr<WrappedSecrets> RecipientPool::Wrap(
    absl::string_view conference_id, uint64_t key_epoch,
    const Recipient& recipient, const ConferenceSecrets& secrets) {
  const CertificateDigest fingerprint = FingerprintOf(secrets);
  ContentsKey key(std::string(conference_id), key_epoch);
  ContentsShard& shard =
      contents_shards_[(absl::Hash<ContentsKey>()(key) >> 48) % kShards];
  std::shared_ptr<const EncryptedContents> contents;
  {
    conf::MutexLock lock(&shard.mu);
    if (std::shared_ptr<const EncryptedContents>* found = shard.map.Find(key)) {
      contents = *found;
    }
  }
  if (contents == nullptr || contents->fingerprint != fingerprint) {
    // Encrypted outside the lock; a concurrent miss encrypts too and the
    // first insert wins. A different key or URI set under the same epoch (a
    // caller that did not bump it) is encrypted afresh and not stored.
    const bool store = contents == nullptr;
    auto fresh = std::make_shared<EncryptedContents>();
    fresh->fingerprint = fingerprint;
    CONF_ASSIGN_OR_RETURN(fresh->key_info, KeyContentInfo(options_.cipher));
    fresh->infos.reserve(secrets.uris.size());
    for (absl::string_view uri : secrets.uris) {
      CONF_ASSIGN_OR_RETURN(
          std::string info,
          EncryptContentUnderKey(secrets.conference_key, uri, options_.cipher));
      fresh->infos.push_back(std::move(info));
    }
    contents = std::move(fresh);
    if (store) {
      conf::MutexLock lock(&shard.mu);
      std::shared_ptr<const EncryptedContents> stored =
          *shard.map.Insert(std::move(key), contents);
      if (stored->fingerprint == fingerprint)
        contents = std::move(stored);
    }
  }
  CONF_ASSIGN_OR_RETURN(
      std::vector<std::string> blobs,
      WrapConferenceKeyAndEncryptedContents(recipient, secrets.conference_key,
                                            contents->key_info, contents->infos,
                                            options_.cipher));
  return WrappedFromBlobs(blobs);
}

absl::StatusOr<std::shared_ptr<const WrappedSecrets>> RecipientPool::GetOrWrap(
    absl::string_view conference_id, uint64_t key_epoch,
    const Recipient& recipient, const ConferenceSecrets& secrets) {
  if (std::shared_ptr<const WrappedSecrets> found =
          FindWrapped(conference_id, key_epoch, recipient.digest())) {
    return found;
  }
  CONF_ASSIGN_OR_RETURN(WrappedSecrets wrapped,
                        Wrap(conference_id, key_epoch, recipient, secrets));
  return InsertWrapped(conference_id, key_epoch, recipient.digest(),
                       std::move(wrapped));
}

void RecipientPool::ForEachRecipient(size_t n,
                                     absl::FunctionRef<void(size_t)> fn) {
  if (n < options_.min_parallel_batch) {
    for (size_t i = 0; i < n; ++i) {
      fn(i);
    }
    return;
  }
  workers_->ParallelFor(n, fn);
}

std::vector<absl::StatusOr<std::shared_ptr<const WrappedSecrets>>>
RecipientPool::GetOrWrapForMany(
    absl::string_view conference_id, uint64_t key_epoch,
    absl::Span<const std::shared_ptr<const Recipient>> recipients,
    const ConferenceSecrets& secrets) {
  std::vector<absl::StatusOr<std::shared_ptr<const WrappedSecrets>>> results(
      recipients.size());
  ForEachRecipient(recipients.size(), [&](size_t i) {
    if (recipients[i] == nullptr) {
      results[i] = absl::InvalidArgumentError("wrap: null recipient");
      return;
    }
    results[i] = GetOrWrap(conference_id, key_epoch, *recipients[i], secrets);
  });
  return results;
}

std::vector<absl::StatusOr<std::string>> RecipientPool::WrapForMany(
    absl::Span<const Recipient* const> recipients, WrapMode mode,
    absl::Span<const uint8_t> input) {
  std::vector<absl::StatusOr<std::string>> results(recipients.size());
  const absl::string_view content(reinterpret_cast<const char*>(input.data()),
                                  input.size());
  const Cipher cipher = options_.cipher;
  ForEachRecipient(recipients.size(), [&](size_t i) {
    const Recipient* recipient = recipients[i];
    if (recipient == nullptr) {
      results[i] = absl::InvalidArgumentError("wrap: null recipient");
      return;
    }
    switch (mode) {
      case WrapMode::kConferenceKey:
        results[i] = WrapConferenceKey(*recipient, input, cipher);
        break;
      case WrapMode::kContent:
        results[i] = WrapContent(*recipient, content, cipher);
        break;
    }
  });
  return results;
}

void RecipientPool::ForgetConference(absl::string_view conference_id,
                                     uint64_t keep_from_epoch) {
  for (size_t i = 0; i < kShards; ++i) {
    ContentsShard& shard = contents_shards_[i];
    conf::MutexLock lock(&shard.mu);
    shard.map.EraseIf([&](const ContentsKey& key) {
      return key.first == conference_id && key.second < keep_from_epoch;
    });
  }
  for (size_t i = 0; i < kShards; ++i) {
    WrappedShard& shard = wrapped_shards_[i];
    conf::MutexLock lock(&shard.mu);
    shard.map.EraseIf([&](const WrappedKey& key) {
      return key.conference_id == conference_id &&
             key.key_epoch < keep_from_epoch;
    });
  }
}

RecipientPoolStats RecipientPool::stats() const {
  RecipientPoolStats stats;
  for (size_t i = 0; i < kShards; ++i) {
    {
      const RecipientShard& shard = recipient_shards_[i];
      conf::MutexLock lock(&shard.mu);
      stats.recipient_hits += shard.hits;
      stats.recipient_misses += shard.misses;
      stats.recipient_evictions += shard.map.evictions();
      stats.recipients += shard.map.size();
    }
    {
      const TextShard& shard = text_shards_[i];
      conf::MutexLock lock(&shard.mu);
      stats.text_hits += shard.hits;
      stats.recipient_hits += shard.hits;
    }
    const WrappedShard& shard = wrapped_shards_[i];
    conf::MutexLock lock(&shard.mu);
    stats.wrapped_hits += shard.hits;
    stats.wrapped_misses += shard.misses;
    stats.wrapped_evictions += shard.map.evictions();
    stats.wrapped += shard.map.size();
  }
  return stats;
}

}  // namespace conf::crypto
