#include "journal/internal/format.h"

#include <zlib.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace conf {
namespace journal {
namespace internal {
namespace {

constexpr absl::string_view kSegmentPrefix = "segment-";
constexpr absl::string_view kSegmentSuffix = ".log";
constexpr absl::string_view kSnapshotPrefix = "snapshot-";
constexpr absl::string_view kSnapshotSuffix = ".snap";
constexpr absl::string_view kTempSuffix = ".tmp";
constexpr size_t kSequenceDigits = 20;

std::optional<uint64_t> ParseNumberedName(absl::string_view name,
                                          absl::string_view prefix,
                                          absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, prefix) ||
      !absl::ConsumeSuffix(&name, suffix) || name.size() != kSequenceDigits) {
    return std::nullopt;
  }
  for (char c : name) {
    if (c < '0' || c > '9')
      return std::nullopt;
  }
  uint64_t value;
  if (!absl::SimpleAtoi(name, &value))
    return std::nullopt;
  return value;
}

}  // namespace

void PutFixed16(std::string* out, uint16_t value) {
  out->push_back(static_cast<char>(value & 0xff));
  out->push_back(static_cast<char>(value >> 8));
}

void PutFixed32(std::string* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

void PutFixed64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

uint16_t DecodeFixed16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}

uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | u[i];
  return value;
}

uint64_t DecodeFixed64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | u[i];
  return value;
}

uint32_t Crc32(absl::string_view data) {
  // Records are under 4 GiB (65535 + 64 MiB + 18), so one call suffices.
  return static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()),
              static_cast<uInt>(data.size())));
}

std::string EncodeFileHeader(absl::string_view magic, uint64_t sequence) {
  std::string header(magic);
  PutFixed32(&header, kFormatVersion);
  PutFixed64(&header, sequence);
  PutFixed32(&header, Crc32(header));
  return header;
}

std::optional<uint64_t> DecodeFileHeader(absl::string_view magic,
                                         absl::string_view data) {
  if (data.size() < kFileHeaderSize)
    return std::nullopt;
  if (data.substr(0, magic.size()) != magic)
    return std::nullopt;
  if (DecodeFixed32(data.data() + 20) != Crc32(data.substr(0, 20))) {
    return std::nullopt;
  }
  if (DecodeFixed32(data.data() + 8) != kFormatVersion)
    return std::nullopt;
  return DecodeFixed64(data.data() + 12);
}

void AppendRecord(std::string* out, uint64_t sequence, uint64_t version,
                  absl::string_view conference, absl::string_view payload) {
  PendingRecord(version, conference, payload).AppendTo(sequence, out);
}

PendingRecord::PendingRecord(uint64_t version, absl::string_view conference,
                             absl::string_view payload) {
  tail_.reserve(10 + conference.size() + payload.size());
  PutFixed64(&tail_, version);
  PutFixed16(&tail_, static_cast<uint16_t>(conference.size()));
  tail_.append(conference.data(), conference.size());
  tail_.append(payload.data(), payload.size());
  tail_crc_ = Crc32(tail_);
}

void PendingRecord::AppendTo(uint64_t sequence, std::string* out) const {
  std::string sequence_bytes;
  PutFixed64(&sequence_bytes, sequence);
  // crc(sequence | tail) from crc(sequence) and crc(tail).
  uint32_t crc = static_cast<uint32_t>(::crc32_combine(
      Crc32(sequence_bytes), tail_crc_, static_cast<z_off_t>(tail_.size())));
  PutFixed32(out, static_cast<uint32_t>(8 + tail_.size()));
  PutFixed32(out, crc);
  out->append(sequence_bytes);
  out->append(tail_);
}

std::optional<ParsedRecord> ParseRecord(absl::string_view data, size_t offset,
                                        const char** reason) {
  if (data.size() - offset < kRecordPrefixSize) {
    *reason = "truncated record header";
    return std::nullopt;
  }
  const char* p = data.data() + offset;
  uint32_t length = DecodeFixed32(p);
  if (length < kRecordFixedBodySize) {
    *reason = "bad record length";
    return std::nullopt;
  }
  if (length > data.size() - offset - kRecordPrefixSize) {
    *reason = "truncated record";
    return std::nullopt;
  }
  absl::string_view body(p + kRecordPrefixSize, length);
  if (DecodeFixed32(p + 4) != Crc32(body)) {
    *reason = "checksum mismatch";
    return std::nullopt;
  }
  uint16_t conference_size = DecodeFixed16(body.data() + 16);
  if (conference_size > length - kRecordFixedBodySize) {
    *reason = "bad conference length";
    return std::nullopt;
  }
  ParsedRecord record;
  record.sequence = DecodeFixed64(body.data());
  record.version = DecodeFixed64(body.data() + 8);
  record.conference = body.substr(kRecordFixedBodySize, conference_size);
  record.payload = body.substr(kRecordFixedBodySize + conference_size);
  record.size = kRecordPrefixSize + length;
  return record;
}

std::string SegmentFileName(uint64_t first_sequence) {
  return absl::StrFormat("%s%020u%s", kSegmentPrefix, first_sequence,
                         kSegmentSuffix);
}

std::string SnapshotFileName(uint64_t covered) {
  return absl::StrFormat("%s%020u%s", kSnapshotPrefix, covered,
                         kSnapshotSuffix);
}

std::string SnapshotTempFileName(uint64_t covered) {
  return SnapshotFileName(covered) + std::string(kTempSuffix);
}

std::optional<uint64_t> ParseSegmentFileName(absl::string_view name) {
  return ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix);
}

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name) {
  return ParseNumberedName(name, kSnapshotPrefix, kSnapshotSuffix);
}

bool IsTempFileName(absl::string_view name) {
  return absl::EndsWith(name, kTempSuffix);
}

}  // namespace internal
}  // namespace journal
}  // namespace conf
