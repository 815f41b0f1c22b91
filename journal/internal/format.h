// The journal's byte layout (docs/JOURNAL.md, "Files" and "Records"): file
// headers, record frames and file names. Everything is little-endian and
// fixed-width. Private to //journal.

#ifndef CONF_JOURNAL_INTERNAL_FORMAT_H_
#define CONF_JOURNAL_INTERNAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace conf {
namespace journal {
namespace internal {

// File header: magic (8) | u32 format version | u64 first sequence (a
// segment) or covered sequence (a snapshot) | u32 crc32 of the 20 bytes
// before it.
inline constexpr size_t kFileHeaderSize = 24;
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr absl::string_view kSegmentMagic{"CSJ\x01LOG\n", 8};
inline constexpr absl::string_view kSnapshotMagic{"CSJ\x01SNP\n", 8};

// Record: u32 length | u32 crc32 | u64 sequence | u64 version |
// u16 conference length | conference | payload. `length` counts the bytes
// after the crc field; the crc covers exactly those bytes.
inline constexpr size_t kRecordPrefixSize = 8;  // length + crc
inline constexpr size_t kRecordFixedBodySize = 18;
inline constexpr size_t kMaxConferenceSize = 65535;
inline constexpr size_t kMaxPayloadSize = size_t{64} << 20;

void PutFixed16(std::string* out, uint16_t value);
void PutFixed32(std::string* out, uint32_t value);
void PutFixed64(std::string* out, uint64_t value);
uint16_t DecodeFixed16(const char* p);
uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);

uint32_t Crc32(absl::string_view data);

std::string EncodeFileHeader(absl::string_view magic, uint64_t sequence);
// The sequence field of a valid header with `magic`, or nullopt.
std::optional<uint64_t> DecodeFileHeader(absl::string_view magic,
                                         absl::string_view data);

// Appends one record to `out`. The caller has checked the size limits.
void AppendRecord(std::string* out, uint64_t sequence, uint64_t version,
                  absl::string_view conference, absl::string_view payload);

// A record whose sequence is filled in later (Append assigns it under the
// journal's lock): the body is encoded and checksummed outside the lock and
// Seal() finishes it in O(log n) with crc32_combine.
class PendingRecord {
 public:
  PendingRecord(uint64_t version, absl::string_view conference,
                absl::string_view payload);
  // Appends the whole record, with `sequence`, to `out`.
  void AppendTo(uint64_t sequence, std::string* out) const;
  size_t size() const { return kRecordPrefixSize + 8 + tail_.size(); }

 private:
  std::string tail_;  // version | conference length | conference | payload
  uint32_t tail_crc_;
};

// One record read back. Views point into the parsed buffer.
struct ParsedRecord {
  uint64_t sequence = 0;
  uint64_t version = 0;
  absl::string_view conference;
  absl::string_view payload;
  size_t size = 0;  // bytes the record occupies
};

// Parses the record at `offset` of `data`. On failure returns nullopt and
// sets `*reason` ("truncated record", "checksum mismatch", ...).
std::optional<ParsedRecord> ParseRecord(absl::string_view data, size_t offset,
                                        const char** reason);

// File names: segment-<first sequence>.log, snapshot-<covered>.snap, with
// the sequence in 20 decimal digits so that names sort by sequence.
std::string SegmentFileName(uint64_t first_sequence);
std::string SnapshotFileName(uint64_t covered);
std::string SnapshotTempFileName(uint64_t covered);
std::optional<uint64_t> ParseSegmentFileName(absl::string_view name);
std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name);
bool IsTempFileName(absl::string_view name);

}  // namespace internal
}  // namespace journal
}  // namespace conf

#endif  // CONF_JOURNAL_INTERNAL_FORMAT_H_
