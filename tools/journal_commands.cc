#include "tools/journal_commands.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

#include "journal/journal.h"
#include "journal/payload.h"

namespace conf {
namespace tools {
namespace {

// The length of the UTF-8 sequence at the start of `s` (RFC 3629 §4: no
// overlong forms, no surrogates, nothing past U+10FFFF), or 0 when it is not
// one.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0)
      low = 0xA0;
    if (lead == 0xED)
      high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0)
      low = 0x90;
    if (lead == 0xF4)
      high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high)
    return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF)
      return 0;
  }
  return length;
}

// Which seal-free JSON a payload gets.
enum class PayloadKind { kChange, kSnapshot };

// `,"payload":{...}` or `,"payload_error":"..."`; counts the errors.
std::string PayloadField(PayloadKind kind, absl::string_view payload,
                         uint64_t* errors) {
  absl::StatusOr<std::string> json =
      kind == PayloadKind::kChange
          ? journal::PayloadCodec::ChangeToJson(payload)
          : journal::PayloadCodec::SnapshotToJson(payload);
  if (!json.ok()) {
    ++*errors;
    return absl::StrCat(",\"payload_error\":",
                        JsonString(json.status().message()));
  }
  return absl::StrCat(",\"payload\":", *json);
}

}  // namespace

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(s.substr(i));
      if (length == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.data() + i, length);
        i += length;
        continue;
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

absl::Status VerifyJournal(const std::string& dir, std::ostream& out) {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t covered = 0;
  uint64_t last_sequence = 0;
  journal::RecoveryCallbacks callbacks;
  callbacks.on_snapshot_begin = [&](uint64_t snapshot_covered, uint64_t) {
    covered = snapshot_covered;
    last_sequence = snapshot_covered;
    return absl::OkStatus();
  };
  callbacks.on_segment = [&segments](absl::string_view, uint64_t) {
    ++segments;
    return absl::OkStatus();
  };
  callbacks.on_record = [&](const journal::RecordView& record) {
    ++records;
    last_sequence = record.sequence;
    return absl::OkStatus();
  };
  // A scan checks exactly what VerifyDirectory checks.
  absl::Status status = journal::ScanDirectory(dir, nullptr, callbacks);
  if (!status.ok())
    return status;
  out << "journal: " << dir << ": ok: " << segments << " segments, " << records
      << " records, snapshot " << covered << ", last sequence " << last_sequence
      << "\n";
  return absl::OkStatus();
}

absl::Status DumpJournal(const std::string& dir, std::ostream& out) {
  uint64_t covered = 0;
  uint64_t payload_errors = 0;
  journal::RecoveryCallbacks callbacks;
  callbacks.on_snapshot_begin = [&covered](uint64_t snapshot_covered,
                                           uint64_t) {
    covered = snapshot_covered;
    return absl::OkStatus();
  };
  callbacks.on_snapshot_entry = [&](const journal::SnapshotEntryView& entry) {
    out << "{\"snapshot_covered\":" << covered
        << ",\"conference\":" << JsonString(entry.conference)
        << ",\"version\":" << entry.version
        << ",\"last_sequence\":" << entry.last_sequence
        << PayloadField(PayloadKind::kSnapshot, entry.payload, &payload_errors)
        << "}\n";
    return absl::OkStatus();
  };
  callbacks.on_record = [&](const journal::RecordView& record) {
    out << "{\"sequence\":" << record.sequence
        << ",\"conference\":" << JsonString(record.conference)
        << ",\"version\":" << record.version
        << PayloadField(PayloadKind::kChange, record.payload, &payload_errors)
        << "}\n";
    return absl::OkStatus();
  };
  absl::Status status = journal::ScanDirectory(dir, nullptr, callbacks);
  out.flush();
  if (!status.ok())
    return status;
  if (payload_errors > 0) {
    return absl::DataLossError(
        absl::StrCat("journal: ", dir, ": ", payload_errors,
                     " payloads do not decode (see payload_error)"));
  }
  return absl::OkStatus();
}

absl::Status RepairJournal(const std::string& dir, RepairAction action,
                           std::ostream& out) {
  absl::StatusOr<journal::RepairReport> report =
      action == RepairAction::kTruncate ? journal::RepairDirectory(dir, nullptr)
                                        : journal::PlanRepair(dir, nullptr);
  if (!report.ok())
    return report.status();
  if (report->segment.empty()) {
    out << "journal: " << dir << ": clean, nothing to cut\n";
    return absl::OkStatus();
  }
  // "cut X at offset N" / "remove X", then the later segments.
  const bool done = action == RepairAction::kTruncate;
  std::string what =
      report->offset == 0
          ? absl::StrCat(done ? "removed " : "remove ", report->segment)
          : absl::StrCat("cut ", report->segment, " at offset ",
                         report->offset);
  if (!report->removed.empty()) {
    absl::StrAppend(&what, done ? " and removed " : " and remove ",
                    absl::StrJoin(report->removed, " "));
  }
  const std::string effect = absl::StrCat(
      report->bytes_dropped, " bytes and ", report->records_dropped,
      " records with valid checksums dropped; records up to sequence ",
      report->last_sequence, " kept");
  if (done) {
    out << "journal: " << dir << ": found "
        << absl::StripPrefix(report->problem, "journal: ") << "\n"
        << "journal: " << dir << ": " << what << " (" << effect << ")\n";
    return absl::OkStatus();
  }
  out << "journal: " << dir << ": would " << what << " (" << effect
      << "); run with --truncate to do it\n";
  return absl::DataLossError(report->problem);
}

}  // namespace tools
}  // namespace conf
