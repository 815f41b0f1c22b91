#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "journal/ requires BoringSSL's <openssl/base.h>"
#endif

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include <openssl/mem.h>
#include <openssl/rand.h>

#include "base/status_macros.h"
#include "engine/model.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "journal/internal/payload_convert.h"
#include "journal/internal/payload_seal.h"
#include "journal/payload.h"
#include "journal/payload.pb.h"

namespace conf {
namespace journal {
namespace {

namespace pb = ::conf::journal::payload;

using internal::Decoder;
using internal::PayloadDataLoss;

// ---------------------------------------------------------------------------
// JSON.

constexpr absl::string_view kRedacted = "<redacted>";

void Redact(std::string* sealed) {
  if (!sealed->empty()) {
    *sealed = std::string(kRedacted);
  }
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "journal payload: cannot print JSON: ", status.message().ToString()));
  }
  // Bytes fields print in base64; show the marker as text. The sealed fields
  // are the schema's only bytes fields, so nothing else can match.
  return absl::StrReplaceAll(json,
                             {{"\"PHJlZGFjdGVkPg==\"", "\"<redacted>\""}});
}

// Parses `payload` into `message`; false when it does not parse.
bool Parse(absl::string_view payload, google::protobuf::MessageLite& message) {
  return payload.size() <= static_cast<size_t>(INT_MAX) &&
         message.ParseFromArray(payload.data(),
                                static_cast<int>(payload.size()));
}

// ---------------------------------------------------------------------------
// NodeKey.

absl::Status KeyFileError(int error, absl::string_view what,
                          absl::string_view path) {
  return absl::ErrnoToStatus(
      error, absl::StrCat("journal: node key ", path, ": ", what));
}

// The directory of `path` ("." for a bare file name).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

// Closes a file descriptor on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes a new key file (kAlreadyExists when there is one).
absl::StatusOr<NodeKey> CreateKeyFile(const std::string& path) {
  ScopedFd fd(open(path.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    return KeyFileError(errno, "cannot create", path);
  }
  std::array<uint8_t, NodeKey::kSize> bytes;
  RAND_bytes(bytes.data(), bytes.size());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return KeyFileError(error, "cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  NodeKey key = NodeKey::FromBytes(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (fsync(fd.get()) != 0) {
    return KeyFileError(errno, "cannot sync", path);
  }
  // The name must be durable too, or a crash could lose the key while
  // records sealed with it survive.
  const std::string dir = DirectoryOf(path);
  ScopedFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || fsync(dir_fd.get()) != 0) {
    return KeyFileError(errno, absl::StrCat("cannot sync directory ", dir),
                        path);
  }
  return key;
}

// Reads an existing key file (kNotFound when there is none).
absl::StatusOr<NodeKey> ReadKeyFile(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    return KeyFileError(errno, "cannot open", path);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return KeyFileError(errno, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("journal: node key ", path, " is not a regular file"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal: node key ", path, " is accessible by group or others (mode ",
        absl::StrFormat("%04o", st.st_mode & 07777), "); chmod 600 it"));
  }
  if (st.st_size != static_cast<off_t>(NodeKey::kSize)) {
    return absl::DataLossError(absl::StrCat("journal: node key ", path, " has ",
                                            st.st_size, " bytes, not ",
                                            NodeKey::kSize));
  }
  std::array<uint8_t, NodeKey::kSize> bytes;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return KeyFileError(error, "cannot read", path);
    }
    done += static_cast<size_t>(n);
  }
  NodeKey key = NodeKey::FromBytes(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

}  // namespace

absl::StatusOr<NodeKey> NodeKey::LoadOrCreate(const std::string& path) {
  absl::StatusOr<NodeKey> key = ReadKeyFile(path);
  if (!absl::IsNotFound(key.status())) {
    return key;
  }
  key = CreateKeyFile(path);
  if (absl::IsAlreadyExists(key.status())) {
    // Another process created it between our two opens: use theirs.
    return ReadKeyFile(path);
  }
  return key;
}

NodeKey NodeKey::FromBytes(const std::array<uint8_t, kSize>& bytes) {
  NodeKey key;
  key.bytes_ = bytes;
  return key;
}

// ---------------------------------------------------------------------------
// PayloadCodec.

PayloadCodec::PayloadCodec(const NodeKey& key) : key_(key.bytes()) {}

PayloadCodec::~PayloadCodec() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string PayloadCodec::EncodeChange(
    const engine::ConferenceDelta& delta,
    const engine::ConferenceSnapshot& after) const {
  pb::Change change;
  if (delta.kind == engine::DeltaKind::kConferenceDeleted) {
    change.mutable_deleted();
  } else if (delta.version == 1) {
    internal::EncodeConference(key_, after, change.mutable_created());
  } else {
    pb::Update* update = change.mutable_updated();
    internal::EncodeDelta(delta, update->mutable_delta());
    update->set_sealed_key(
        internal::SealConferenceKey(key_, after.key, after.entity.value()));
    update->set_key_epoch(after.key.epoch);
  }
  return change.SerializeAsString();
}

absl::StatusOr<DecodedChange> PayloadCodec::ApplyChange(
    const engine::ConferenceSnapshot* before, uint64_t version,
    absl::string_view payload) const {
  const absl::string_view name =
      before != nullptr ? before->entity.value() : absl::string_view("(new)");
  pb::Change change;
  if (!Parse(payload, change)) {
    return PayloadDataLoss(
        name, absl::StrCat("change of ", payload.size(),
                           " bytes does not parse (version ", version, ")"));
  }
  DecodedChange out;
  switch (change.change_case()) {
    case pb::Change::kCreated: {
      const pb::Conference& created = change.created();
      if (before != nullptr) {
        return PayloadDataLoss(name,
                               absl::StrCat("creation (version ", version,
                                            ") of an existing conference"));
      }
      if (version != 1 || created.version() != 1) {
        return PayloadDataLoss(
            created.entity(),
            absl::StrCat("creation at version ", created.version(),
                         " in a record of version ", version));
      }
      CONF_ASSIGN_OR_RETURN(
          out.after, Decoder(key_, created.entity()).DecodeConference(created));
      return out;
    }
    case pb::Change::kUpdated: {
      const pb::Update& update = change.updated();
      if (before == nullptr) {
        return PayloadDataLoss(
            update.delta().conference(),
            absl::StrCat("update (version ", version,
                         ") of a conference that does not exist"));
      }
      if (version != before->version + 1 ||
          update.delta().version() != version) {
        return PayloadDataLoss(
            name, absl::StrCat("update to version ", update.delta().version(),
                               " in a record of version ", version,
                               " after version ", before->version));
      }
      if (update.delta().conference() != name) {
        return PayloadDataLoss(name, "update of another conference");
      }
      const Decoder decoder(key_, name);
      CONF_ASSIGN_OR_RETURN(engine::ConferenceDelta delta,
                            decoder.DecodeDelta(update.delta()));
      CONF_ASSIGN_OR_RETURN(
          engine::ConferenceKey key,
          decoder.DecodeKey(update.sealed_key(), update.key_epoch()));
      out.after = engine::ApplyDelta(*before, delta);
      out.after.key = key;
      // As the store does whenever it sets a description
      // (engine/internal/mutations.cc).
      if (delta.description != nullptr) {
        out.after.expires_at =
            engine::ParseExpiryTime(delta.description->expiry_time)
                .value_or(absl::InfiniteFuture());
      }
      return out;
    }
    case pb::Change::kDeleted:
      if (before == nullptr) {
        return PayloadDataLoss(name,
                               absl::StrCat("deletion (version ", version,
                                            ") of a conference that does not "
                                            "exist"));
      }
      if (version != before->version + 1) {
        return PayloadDataLoss(
            name, absl::StrCat("deletion in a record of version ", version,
                               " after version ", before->version));
      }
      out.deleted = true;
      return out;
    case pb::Change::CHANGE_NOT_SET:
      break;
  }
  return PayloadDataLoss(
      name, absl::StrCat("change of unknown kind (version ", version, ")"));
}

std::string PayloadCodec::EncodeSnapshot(
    const engine::ConferenceSnapshot& snapshot) const {
  pb::Conference conference;
  internal::EncodeConference(key_, snapshot, &conference);
  return conference.SerializeAsString();
}

absl::StatusOr<engine::ConferenceSnapshot> PayloadCodec::DecodeSnapshot(
    absl::string_view payload) const {
  pb::Conference conference;
  if (!Parse(payload, conference)) {
    return absl::DataLossError(
        absl::StrCat("journal payload: snapshot entry of ", payload.size(),
                     " bytes does not parse"));
  }
  return Decoder(key_, conference.entity()).DecodeConference(conference);
}

absl::StatusOr<std::string> PayloadCodec::ChangeToJson(
    absl::string_view payload) {
  pb::Change change;
  if (!Parse(payload, change)) {
    return absl::DataLossError(absl::StrCat("journal payload: change of ",
                                            payload.size(),
                                            " bytes does not parse"));
  }
  if (change.has_created()) {
    Redact(change.mutable_created()->mutable_sealed_key());
    Redact(change.mutable_created()->mutable_sealed_web_join());
  }
  if (change.has_updated()) {
    Redact(change.mutable_updated()->mutable_sealed_key());
  }
  return ToJson(change);
}

absl::StatusOr<std::string> PayloadCodec::SnapshotToJson(
    absl::string_view payload) {
  pb::Conference conference;
  if (!Parse(payload, conference)) {
    return absl::DataLossError(
        absl::StrCat("journal payload: snapshot entry of ", payload.size(),
                     " bytes does not parse"));
  }
  Redact(conference.mutable_sealed_key());
  Redact(conference.mutable_sealed_web_join());
  return ToJson(conference);
}

}  // namespace journal
}  // namespace conf
