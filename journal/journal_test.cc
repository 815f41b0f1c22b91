#include "journal/journal.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>  // NOLINT(build/c++11)
#include <random>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "journal/fault_file_system.h"
#include "journal/file_system.h"
#include "testing/status_matchers.h"

namespace conf {
namespace journal {
namespace {

using ::conf::testing::IsOk;
using ::conf::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A record or snapshot entry as a test remembers it.
struct Stored {
  uint64_t sequence = 0;
  uint64_t version = 0;
  std::string conference;
  std::string payload;
  bool operator==(const Stored& other) const {
    return sequence == other.sequence && version == other.version &&
           conference == other.conference && payload == other.payload;
  }
};

// What recovery handed out.
struct Recovered {
  int begins = 0;
  uint64_t covered = 0;
  uint64_t captured_through = 0;
  std::vector<Stored> entries;  // sequence = the entry's last_sequence
  std::vector<Stored> records;
  std::vector<std::string> log;
};

// A fresh, empty directory under TEST_TMPDIR.
std::string FreshDir(absl::string_view name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  return dir;
}

// Owns a journal and what its recovery saw.
struct Opened {
  std::unique_ptr<Journal> journal;
  std::unique_ptr<Recovered> recovered;
};

absl::StatusOr<Opened> OpenJournal(const std::string& dir,
                                   FileSystem* file_system = nullptr,
                                   uint64_t segment_bytes = 1 << 20) {
  Opened opened;
  opened.recovered = std::make_unique<Recovered>();
  Recovered* recovered = opened.recovered.get();
  JournalOptions options;
  options.dir = dir;
  options.file_system = file_system;
  options.segment_bytes = segment_bytes;
  options.log = [recovered](absl::string_view line) {
    recovered->log.emplace_back(line);
  };
  RecoveryCallbacks callbacks;
  callbacks.on_snapshot_begin = [recovered](uint64_t covered,
                                            uint64_t captured_through) {
    ++recovered->begins;
    recovered->covered = covered;
    recovered->captured_through = captured_through;
    return absl::OkStatus();
  };
  callbacks.on_snapshot_entry = [recovered](const SnapshotEntryView& entry) {
    recovered->entries.push_back({entry.last_sequence, entry.version,
                                  std::string(entry.conference),
                                  std::string(entry.payload)});
    return absl::OkStatus();
  };
  callbacks.on_record = [recovered](const RecordView& record) {
    recovered->records.push_back({record.sequence, record.version,
                                  std::string(record.conference),
                                  std::string(record.payload)});
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open(std::move(options), callbacks);
  if (!journal.ok())
    return journal.status();
  opened.journal = *std::move(journal);
  return opened;
}

Stored MakeRecord(uint64_t i) {
  return {0, i * 3 + 1, absl::StrCat("conf-", i % 7),
          std::string(i % 50, static_cast<char>('a' + i % 26))};
}

// Appends MakeRecord(i) for i in [from, to], each made durable, and returns
// the segment file's size after each (index i - from).
std::vector<Stored> AppendDurably(Journal* journal, uint64_t from,
                                  uint64_t to) {
  std::vector<Stored> appended;
  for (uint64_t i = from; i <= to; ++i) {
    Stored record = MakeRecord(i);
    absl::StatusOr<uint64_t> sequence =
        journal->Append(record.conference, record.version, record.payload);
    EXPECT_THAT(sequence, IsOk());
    if (!sequence.ok())
      break;
    record.sequence = *sequence;
    EXPECT_THAT(journal->WaitDurable(*sequence), IsOk());
    appended.push_back(record);
  }
  return appended;
}

std::vector<std::string> SortedNames(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names =
      DefaultFileSystem()->ListDir(dir);
  EXPECT_THAT(names, IsOk());
  if (!names.ok())
    return {};
  std::sort(names->begin(), names->end());
  return *names;
}

std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> segments;
  for (const std::string& name : SortedNames(dir)) {
    if (absl::StartsWith(name, "segment-"))
      segments.push_back(name);
  }
  return segments;
}

uint64_t SizeOf(const std::string& path) {
  absl::StatusOr<uint64_t> size = DefaultFileSystem()->FileSize(path);
  EXPECT_THAT(size, IsOk());
  return size.ok() ? *size : 0;
}

std::string ReadAll(const std::string& path) {
  absl::StatusOr<std::string> data = DefaultFileSystem()->ReadFile(path);
  EXPECT_THAT(data, IsOk());
  return data.ok() ? *data : std::string();
}

void WriteWhole(const std::string& path, absl::string_view data) {
  std::filesystem::remove(path);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      DefaultFileSystem()->OpenForAppend(path);
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append(data), IsOk());
  ASSERT_THAT((*file)->Close(), IsOk());
}

// The length field of the record at `offset` of a segment's bytes.
uint64_t DecodeLength(absl::string_view data, size_t offset) {
  uint64_t length = 0;
  for (int i = 3; i >= 0; --i)
    length = (length << 8) | static_cast<unsigned char>(data[offset + i]);
  return length;
}

// Copies every file of `from` into a fresh `to`.
void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  ASSERT_THAT(DefaultFileSystem()->CreateDir(to), IsOk());
  for (const std::string& name : SortedNames(from)) {
    WriteWhole(to + "/" + name, ReadAll(from + "/" + name));
  }
}

TEST(JournalTest, RoundTripsRecordsAndContinuesSequence) {
  const std::string dir = FreshDir("round_trip");
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    EXPECT_EQ(opened->recovered->begins, 1);
    EXPECT_EQ(opened->recovered->covered, 0u);
    EXPECT_EQ(opened->journal->last_appended(), 0u);
    appended = AppendDurably(opened->journal.get(), 1, 100);
    // Edge sizes: empty conference and payload, a large payload.
    absl::StatusOr<uint64_t> empty = opened->journal->Append("", 7, "");
    ASSERT_THAT(empty, IsOk());
    appended.push_back({*empty, 7, "", ""});
    std::string big(300000, 'x');
    absl::StatusOr<uint64_t> large = opened->journal->Append("c", 8, big);
    ASSERT_THAT(large, IsOk());
    appended.push_back({*large, 8, "c", big});
    EXPECT_EQ(*large, 102u);
    // Not waited for: the destructor writes and syncs it.
  }
  absl::StatusOr<Opened> reopened = OpenJournal(dir);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->recovered->records, appended);
  EXPECT_EQ(reopened->journal->last_appended(), 102u);
  EXPECT_EQ(reopened->journal->durable(), 102u);
  absl::StatusOr<uint64_t> next = reopened->journal->Append("c", 9, "p");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(*next, 103u);
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
}

TEST(JournalTest, RejectsOversizedRecordsAndUnappendedSequences) {
  absl::StatusOr<Opened> opened = OpenJournal(FreshDir("oversized"));
  ASSERT_THAT(opened, IsOk());
  Journal& journal = *opened->journal;
  EXPECT_THAT(journal.Append(std::string(65536, 'c'), 1, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(journal.Append("c", 1, std::string((64 << 20) + 1, 'p')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(journal.Append(std::string(65535, 'c'), 1, ""), IsOk());
  EXPECT_THAT(journal.WaitDurable(2),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::promise<absl::Status> done;
  journal.OnDurable(5, [&done](absl::Status s) { done.set_value(s); });
  EXPECT_THAT(done.get_future().get(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JournalTest, SegmentsRollAndRecoverInOrder) {
  const std::string dir = FreshDir("roll");
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 256);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 60);
  }
  EXPECT_GT(Segments(dir).size(), 5u);
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
  absl::StatusOr<Opened> reopened = OpenJournal(dir, nullptr, 256);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->recovered->records, appended);
  EXPECT_THAT(reopened->recovered->log, IsEmpty());
}

TEST(JournalTest, OnDurableRunsCallbacksInSequenceOrderOffTheCallerThread) {
  absl::StatusOr<Opened> opened = OpenJournal(FreshDir("on_durable"));
  ASSERT_THAT(opened, IsOk());
  Journal& journal = *opened->journal;
  std::mutex mu;
  std::vector<uint64_t> order;
  std::vector<std::thread::id> threads;
  std::promise<void> all_done;
  constexpr uint64_t kCount = 20;
  for (uint64_t i = 1; i <= kCount; ++i) {
    ASSERT_THAT(journal.Append("c", i, "p"), IsOk());
  }
  // Registered out of order; run in order.
  for (uint64_t i = kCount; i >= 1; --i) {
    journal.OnDurable(i, [&, i](absl::Status status) {
      EXPECT_THAT(status, IsOk());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
      if (order.size() == kCount)
        all_done.set_value();
    });
  }
  all_done.get_future().wait();
  std::lock_guard<std::mutex> lock(mu);
  std::vector<uint64_t> expected;
  for (uint64_t i = 1; i <= kCount; ++i)
    expected.push_back(i);
  // Some may have become durable before their callback was registered, so
  // only the set is fixed here; OnDurableOrdersPendingCallbacksBySequence
  // checks the order.
  std::vector<uint64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, expected);
  for (std::thread::id id : threads)
    EXPECT_NE(id, std::this_thread::get_id());
}

TEST(JournalTest, OnDurableOrdersPendingCallbacksBySequence) {
  FaultFileSystem fault(DefaultFileSystem());
  const std::string dir = FreshDir("on_durable_order");
  absl::StatusOr<Opened> opened = OpenJournal(dir, &fault);
  ASSERT_THAT(opened, IsOk());
  Journal& journal = *opened->journal;
  // Hold the writer inside its first sync so that nothing is durable while
  // the callbacks are registered out of order.
  std::promise<void> in_sync;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  fault.SetSyncHook([&] {
    if (first.exchange(false)) {
      in_sync.set_value();
      released.wait();
    }
  });
  ASSERT_THAT(journal.Append("c", 1, "p"), IsOk());
  in_sync.get_future().wait();
  for (uint64_t i = 2; i <= 10; ++i) {
    ASSERT_THAT(journal.Append("c", i, "p"), IsOk());
  }
  std::mutex mu;
  std::vector<uint64_t> order;
  std::promise<void> all_done;
  for (uint64_t i = 10; i >= 1; --i) {
    journal.OnDurable(i, [&, i](absl::Status status) {
      EXPECT_THAT(status, IsOk());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      if (order.size() == 10)
        all_done.set_value();
    });
  }
  release.set_value();
  all_done.get_future().wait();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
}

TEST(JournalTest, GroupCommitBatchesWhileASyncIsInFlight) {
  FaultFileSystem fault(DefaultFileSystem());
  absl::StatusOr<Opened> opened = OpenJournal(FreshDir("batch"), &fault);
  ASSERT_THAT(opened, IsOk());
  Journal& journal = *opened->journal;
  std::promise<void> in_sync;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  fault.SetSyncHook([&] {
    if (first.exchange(false)) {
      in_sync.set_value();
      released.wait();
    }
  });
  ASSERT_THAT(journal.Append("c", 1, "p"), IsOk());
  in_sync.get_future().wait();
  for (uint64_t i = 2; i <= 1000; ++i) {
    ASSERT_THAT(journal.Append("c", i, "p"), IsOk());
  }
  release.set_value();
  ASSERT_THAT(journal.WaitDurable(1000), IsOk());
  EXPECT_EQ(journal.stats().records, 1000u);
  EXPECT_LE(journal.stats().syncs, 2u);
}

TEST(JournalConcurrencyTest, ConcurrentAppendersShareSyncs) {
  const std::string dir = FreshDir("concurrent");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::mutex mu;
  std::map<uint64_t, Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 16 << 10);
    ASSERT_THAT(opened, IsOk());
    Journal& journal = *opened->journal;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          Stored record = MakeRecord(t * 1000 + i);
          absl::StatusOr<uint64_t> sequence =
              journal.Append(record.conference, record.version, record.payload);
          ASSERT_THAT(sequence, IsOk());
          record.sequence = *sequence;
          {
            std::lock_guard<std::mutex> lock(mu);
            appended[*sequence] = record;
          }
          ASSERT_THAT(journal.WaitDurable(*sequence), IsOk());
        }
      });
    }
    for (std::thread& thread : threads)
      thread.join();
    const JournalStats stats = journal.stats();
    EXPECT_EQ(stats.records, uint64_t{kThreads * kPerThread});
    EXPECT_LT(stats.syncs, stats.records);
    EXPECT_EQ(journal.durable(), uint64_t{kThreads * kPerThread});
  }
  ASSERT_EQ(appended.size(), size_t{kThreads * kPerThread});
  absl::StatusOr<Opened> reopened = OpenJournal(dir, nullptr, 16 << 10);
  ASSERT_THAT(reopened, IsOk());
  std::vector<Stored> expected;
  for (const auto& [sequence, record] : appended)
    expected.push_back(record);
  EXPECT_EQ(reopened->recovered->records, expected);
}

// Five durable records; the last one's bytes are [*before_last, *end).
void WriteFiveRecords(const std::string& dir, uint64_t* before_last,
                      uint64_t* end) {
  absl::StatusOr<Opened> opened = OpenJournal(dir);
  ASSERT_THAT(opened, IsOk());
  AppendDurably(opened->journal.get(), 1, 4);
  const std::string segment = dir + "/" + Segments(dir).front();
  *before_last = SizeOf(segment);
  AppendDurably(opened->journal.get(), 5, 5);
  *end = SizeOf(segment);
}

TEST(JournalTest, TornTailAtEveryOffsetIsTruncated) {
  const std::string source = FreshDir("torn_source");
  uint64_t before_last = 0;
  uint64_t end = 0;
  ASSERT_NO_FATAL_FAILURE(WriteFiveRecords(source, &before_last, &end));
  const std::string name = Segments(source).front();
  const std::string whole = ReadAll(source + "/" + name);
  const std::string dir = FreshDir("torn");
  for (uint64_t cut = before_last; cut < end; ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    CopyDir(source, dir);
    WriteWhole(dir + "/" + name, whole.substr(0, cut));
    if (cut > before_last) {
      EXPECT_THAT(
          VerifyDirectory(dir, nullptr),
          StatusIs(absl::StatusCode::kDataLoss, HasSubstr("torn tail")));
    }
    {
      absl::StatusOr<Opened> opened = OpenJournal(dir);
      ASSERT_THAT(opened, IsOk());
      ASSERT_EQ(opened->recovered->records.size(), 4u);
      EXPECT_EQ(opened->recovered->records.back().version,
                MakeRecord(4).version);
      EXPECT_EQ(opened->recovered->log.empty(), cut == before_last);
      EXPECT_EQ(opened->journal->last_appended(), 4u);
      EXPECT_EQ(SizeOf(dir + "/" + name), before_last);
      AppendDurably(opened->journal.get(), 5, 5);
    }
    absl::StatusOr<Opened> reopened = OpenJournal(dir);
    ASSERT_THAT(reopened, IsOk());
    EXPECT_EQ(reopened->recovered->records.size(), 5u);
    EXPECT_THAT(reopened->recovered->log, IsEmpty());
  }
}

TEST(JournalTest, GarbledLastRecordIsATornTail) {
  const std::string source = FreshDir("garbled_source");
  uint64_t before_last = 0;
  uint64_t end = 0;
  ASSERT_NO_FATAL_FAILURE(WriteFiveRecords(source, &before_last, &end));
  const std::string name = Segments(source).front();
  const std::string whole = ReadAll(source + "/" + name);
  const std::string dir = FreshDir("garbled");
  for (uint64_t at = before_last; at < end; ++at) {
    SCOPED_TRACE(absl::StrCat("byte ", at));
    std::string damaged = whole;
    damaged[at] ^= 0x5a;
    CopyDir(source, dir);
    WriteWhole(dir + "/" + name, damaged);
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    EXPECT_EQ(opened->recovered->records.size(), 4u);
    EXPECT_EQ(SizeOf(dir + "/" + name), before_last);
  }
}

TEST(JournalTest, FlippedByteMidSegmentIsDataLossNamingOffset) {
  const std::string dir = FreshDir("flip_mid");
  uint64_t third_offset = 0;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 2);
    third_offset = SizeOf(dir + "/" + Segments(dir).front());
    AppendDurably(opened->journal.get(), 3, 10);
  }
  const std::string path = dir + "/" + Segments(dir).front();
  std::string data = ReadAll(path);
  data[third_offset + 30] ^= 1;  // inside record 3's body
  WriteWhole(path, data);
  const std::string expected_message =
      absl::StrCat("offset ", third_offset,
                   " (last good record: sequence 2, "
                   "version ",
                   MakeRecord(2).version, ")");
  EXPECT_THAT(OpenJournal(dir).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(HasSubstr(Segments(dir).front()),
                                        HasSubstr(expected_message))));
  EXPECT_THAT(
      VerifyDirectory(dir, nullptr),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr(expected_message)));
  // Open changed nothing.
  EXPECT_EQ(ReadAll(path), data);
}

TEST(JournalTest, FlippedByteAtEndOfSealedSegmentIsDataLoss) {
  const std::string dir = FreshDir("flip_sealed");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 20);
  }
  std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 3u);
  const std::string path = dir + "/" + segments.front();
  std::string data = ReadAll(path);
  const uint64_t last_byte = data.size() - 1;
  data[last_byte] ^= 1;  // the last byte of a sealed segment's last record
  WriteWhole(path, data);
  EXPECT_THAT(
      OpenJournal(dir, nullptr, 128).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr(segments.front())));
}

TEST(JournalTest, MissingSegmentIsDataLoss) {
  const std::string dir = FreshDir("gap");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 20);
  }
  std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 3u);
  std::filesystem::remove(dir + "/" + segments[1]);
  EXPECT_THAT(OpenJournal(dir, nullptr, 128).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("starts at")));
  std::filesystem::remove(dir + "/" + segments[0]);
  EXPECT_THAT(OpenJournal(dir, nullptr, 128).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

struct FailureCase {
  const char* name;
  bool on_sync;
  int error_number;
};

class JournalFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(JournalFailureTest, FailsStopAndReportsNothingUnsyncedAsDurable) {
  const FailureCase& c = GetParam();
  const std::string dir = FreshDir(absl::StrCat("fail_", c.name));
  FaultFileSystem fault(DefaultFileSystem());
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, &fault);
    ASSERT_THAT(opened, IsOk());
    Journal& journal = *opened->journal;
    AppendDurably(&journal, 1, 3);
    std::promise<absl::Status> third;
    journal.OnDurable(3, [&third](absl::Status s) { third.set_value(s); });
    EXPECT_THAT(third.get_future().get(), IsOk());
    if (c.on_sync) {
      fault.FailSync(1, c.error_number);
    } else {
      fault.FailWrite(1, c.error_number);
    }
    absl::StatusOr<uint64_t> fourth = journal.Append("c", 4, "p4");
    ASSERT_THAT(fourth, IsOk());
    std::promise<absl::Status> callback;
    journal.OnDurable(*fourth,
                      [&callback](absl::Status s) { callback.set_value(s); });
    const std::string cause = c.error_number == EIO ? "Input/output error"
                                                    : "No space left on device";
    EXPECT_THAT(
        journal.WaitDurable(*fourth),
        StatusIs(absl::StatusCode::kUnavailable,
                 ::testing::AllOf(HasSubstr("journal: cannot store changes: "),
                                  HasSubstr(cause))));
    EXPECT_THAT(callback.get_future().get(),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(journal.status(), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(journal.durable(), 3u);
    const int writes = fault.writes();
    EXPECT_THAT(journal.Append("c", 5, "p5"),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(journal.BeginSnapshot(0, 0).status(),
                StatusIs(absl::StatusCode::kUnavailable));
    opened->journal.reset();  // the destructor writes nothing more either
    EXPECT_EQ(fault.writes(), writes);
  }
  absl::StatusOr<Opened> reopened = OpenJournal(dir);
  ASSERT_THAT(reopened, IsOk());
  // The first three are there; the failed fourth may or may not be (a
  // failed fdatasync does not say whether the data reached the disk).
  ASSERT_GE(reopened->recovered->records.size(), 3u);
  ASSERT_LE(reopened->recovered->records.size(), 4u);
  EXPECT_EQ(reopened->recovered->records[2].version, MakeRecord(3).version);
  if (!c.on_sync) {
    EXPECT_EQ(reopened->recovered->records.size(), 3u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Failures, JournalFailureTest,
    ::testing::Values(FailureCase{"write_eio", false, EIO},
                      FailureCase{"write_enospc", false, ENOSPC},
                      FailureCase{"sync_eio", true, EIO},
                      FailureCase{"sync_enospc", true, ENOSPC}),
    [](const ::testing::TestParamInfo<FailureCase>& param) {
      return std::string(param.param.name);
    });

TEST(JournalTest, FailedSegmentRollFailsStop) {
  FaultFileSystem fault(DefaultFileSystem());
  const std::string dir = FreshDir("fail_roll");
  absl::StatusOr<Opened> opened = OpenJournal(dir, &fault, 64);
  ASSERT_THAT(opened, IsOk());
  Journal& journal = *opened->journal;
  // Sync 1: record 1's batch, which fills the segment. Sync 2: the header of
  // the next segment, which fails.
  fault.FailSync(2, EIO);
  ASSERT_THAT(journal.Append("c", 1, std::string(64, 'p')), IsOk());
  EXPECT_THAT(journal.WaitDurable(1), IsOk());
  absl::StatusOr<uint64_t> second = journal.Append("c", 2, "p");
  if (second.ok()) {
    EXPECT_THAT(journal.WaitDurable(*second),
                StatusIs(absl::StatusCode::kUnavailable));
  } else {
    EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_THAT(journal.status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected")));
  EXPECT_EQ(journal.durable(), 1u);
  opened->journal.reset();
  absl::StatusOr<Opened> reopened = OpenJournal(dir);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->recovered->records.size(), 1u);
}

// Power cuts at random points: whatever WaitDurable acknowledged comes back,
// with its content, and what comes back is a contiguous prefix of what was
// appended.
TEST(JournalConcurrencyTest, PowerCutLosesNothingAcknowledged) {
  std::mt19937_64 random(20260607);
  int rounds_cut_mid_work = 0;  // acknowledged some, lost some unacknowledged
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const std::string dir = FreshDir(absl::StrCat("power_", round));
    FaultFileSystem fault(DefaultFileSystem());
    const int cut_at = 1 + static_cast<int>(random() % 400);
    const uint64_t torn = random() % 3 == 0 ? 0 : random() % 64;
    fault.PowerCutAt(cut_at, torn);
    std::mutex mu;
    std::map<uint64_t, Stored> appended;  // guarded by mu
    std::vector<uint64_t> acknowledged;   // guarded by mu
    {
      absl::StatusOr<Opened> opened = OpenJournal(dir, &fault, 300);
      if (opened.ok()) {
        Journal& journal = *opened->journal;
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t) {
          threads.emplace_back([&, t] {
            for (int i = 0; i < 60; ++i) {
              Stored record = MakeRecord(t * 100 + i);
              uint64_t sequence;
              {
                // Append under the test's lock, as a store would.
                std::lock_guard<std::mutex> lock(mu);
                absl::StatusOr<uint64_t> appended_at = journal.Append(
                    record.conference, record.version, record.payload);
                if (!appended_at.ok())
                  return;
                sequence = record.sequence = *appended_at;
                appended[sequence] = record;
              }
              if (!journal.WaitDurable(sequence).ok())
                return;
              std::lock_guard<std::mutex> lock(mu);
              acknowledged.push_back(sequence);
            }
          });
        }
        // A snapshot of everything durable so far, as entries.
        threads.emplace_back([&] {
          for (int attempt = 0; attempt < 2; ++attempt) {
            std::vector<Stored> entries;
            uint64_t covered;
            {
              std::lock_guard<std::mutex> lock(mu);
              covered = journal.durable();
              for (const auto& [sequence, record] : appended) {
                if (sequence <= covered)
                  entries.push_back(record);
              }
            }
            absl::StatusOr<std::unique_ptr<Journal::SnapshotWriter>> writer =
                journal.BeginSnapshot(covered, covered);
            if (!writer.ok())
              return;
            for (const Stored& entry : entries) {
              if (!(*writer)
                       ->Add({entry.sequence, entry.version, entry.conference,
                              entry.payload})
                       .ok()) {
                return;
              }
            }
            if (!(*writer)->Finish().ok())
              return;
          }
        });
        for (std::thread& thread : threads)
          thread.join();
        fault.PowerCut(torn);  // if it has not happened yet
      }
    }
    absl::StatusOr<Opened> reopened = OpenJournal(dir, nullptr, 300);
    ASSERT_THAT(reopened, IsOk());
    std::map<uint64_t, Stored> recovered;
    for (const Stored& entry : reopened->recovered->entries) {
      recovered[entry.sequence] = entry;
    }
    uint64_t expected = reopened->recovered->covered + 1;
    for (const Stored& record : reopened->recovered->records) {
      ASSERT_EQ(record.sequence, expected++);
      recovered[record.sequence] = record;
    }
    std::lock_guard<std::mutex> lock(mu);
    for (uint64_t sequence : acknowledged) {
      ASSERT_EQ(recovered.count(sequence), 1u) << "lost " << sequence;
    }
    for (const auto& [sequence, record] : recovered) {
      ASSERT_EQ(appended.count(sequence), 1u);
      EXPECT_EQ(record, appended[sequence]);
    }
    EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
    if (!acknowledged.empty() && recovered.size() < appended.size()) {
      ++rounds_cut_mid_work;
    }
  }
  // The seed puts cuts among the appends, not only after them.
  EXPECT_GE(rounds_cut_mid_work, 10);
}

// Writes a snapshot whose entries are `records` with sequence <= covered.
absl::Status WriteSnapshot(Journal* journal, const std::vector<Stored>& records,
                           uint64_t covered, uint64_t captured_through) {
  absl::StatusOr<std::unique_ptr<Journal::SnapshotWriter>> writer =
      journal->BeginSnapshot(covered, captured_through);
  if (!writer.ok())
    return writer.status();
  for (const Stored& record : records) {
    if (record.sequence > covered)
      break;
    absl::Status added = (*writer)->Add(
        {record.sequence, record.version, record.conference, record.payload});
    if (!added.ok())
      return added;
  }
  return (*writer)->Finish();
}

TEST(JournalTest, SnapshotRecoversAndDeletesCoveredSegments) {
  const std::string dir = FreshDir("snapshot");
  std::vector<Stored> appended;
  std::vector<std::string> log;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 200);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 30);
    const size_t segments_before = Segments(dir).size();
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 20, 25), IsOk());
    std::vector<std::string> segments = Segments(dir);
    EXPECT_LT(segments.size(), segments_before);
    // What is left starts at or before 21, and no segment but the first is
    // wholly covered.
    ASSERT_FALSE(segments.empty());
    EXPECT_LE(std::stoull(segments[0].substr(8, 20)), 21u);
    if (segments.size() > 1) {
      EXPECT_GT(std::stoull(segments[1].substr(8, 20)), 21u);
    }
    EXPECT_THAT(opened->recovered->log,
                ::testing::Contains(HasSubstr("deleted segment-")));
  }
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
  {
    absl::StatusOr<Opened> reopened = OpenJournal(dir, nullptr, 200);
    ASSERT_THAT(reopened, IsOk());
    EXPECT_EQ(reopened->recovered->begins, 1);
    EXPECT_EQ(reopened->recovered->covered, 20u);
    EXPECT_EQ(reopened->recovered->captured_through, 25u);
    EXPECT_EQ(reopened->recovered->entries,
              std::vector<Stored>(appended.begin(), appended.begin() + 20));
    EXPECT_EQ(reopened->recovered->records,
              std::vector<Stored>(appended.begin() + 20, appended.end()));
    // A second snapshot replaces the first.
    ASSERT_THAT(WriteSnapshot(reopened->journal.get(), appended, 28, 30),
                IsOk());
  }
  std::vector<std::string> snapshots;
  for (const std::string& name : SortedNames(dir)) {
    if (!absl::StartsWith(name, "segment-"))
      snapshots.push_back(name);
  }
  EXPECT_THAT(snapshots, ElementsAre("snapshot-00000000000000000028.snap"));
  absl::StatusOr<Opened> again = OpenJournal(dir, nullptr, 200);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->recovered->covered, 28u);
  EXPECT_EQ(again->recovered->records,
            std::vector<Stored>(appended.begin() + 28, appended.end()));
  EXPECT_EQ(again->journal->last_appended(), 30u);
}

// The trailer is the last record: 8 + 18 + 8 bytes.
constexpr uint64_t kTrailerSize = 34;

TEST(JournalTest, IncompleteSnapshotIsIgnoredForTheOneBefore) {
  const std::string dir = FreshDir("incomplete_snapshot");
  std::vector<Stored> appended;
  const std::string old_name = "snapshot-00000000000000000005.snap";
  const std::string new_name = "snapshot-00000000000000000008.snap";
  std::string old_snapshot;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 10);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 5, 5), IsOk());
    old_snapshot = ReadAll(dir + "/" + old_name);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 8, 8), IsOk());
  }
  // The newer snapshot lost its trailer; the older one is back.
  const std::string whole = ReadAll(dir + "/" + new_name);
  WriteWhole(dir + "/" + new_name,
             whole.substr(0, whole.size() - kTrailerSize));
  WriteWhole(dir + "/" + old_name, old_snapshot);
  EXPECT_THAT(VerifyDirectory(dir, nullptr),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("incomplete")));
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    EXPECT_EQ(opened->recovered->covered, 5u);
    EXPECT_EQ(opened->recovered->entries,
              std::vector<Stored>(appended.begin(), appended.begin() + 5));
    EXPECT_EQ(opened->recovered->records,
              std::vector<Stored>(appended.begin() + 5, appended.end()));
    EXPECT_THAT(opened->recovered->log,
                ::testing::Contains(HasSubstr("incomplete snapshot")));
  }
  // Without any whole snapshot, the segments (which still start at 1) do.
  std::filesystem::remove(dir + "/" + old_name);
  absl::StatusOr<Opened> opened = OpenJournal(dir);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->recovered->covered, 0u);
  EXPECT_EQ(opened->recovered->records, appended);
}

TEST(JournalTest, NoWholeSnapshotAfterSegmentsWereDeletedIsDataLoss) {
  const std::string dir = FreshDir("no_whole_snapshot");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    std::vector<Stored> appended = AppendDurably(opened->journal.get(), 1, 20);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 15, 15), IsOk());
  }
  const std::string path = dir + "/snapshot-00000000000000000015.snap";
  const std::string whole = ReadAll(path);
  WriteWhole(path, whole.substr(0, whole.size() - kTrailerSize));
  EXPECT_THAT(
      OpenJournal(dir, nullptr, 128).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no whole snapshot")));
}

TEST(JournalTest, AbandonedSnapshotLeavesNothingBehind) {
  const std::string dir = FreshDir("abandoned_snapshot");
  absl::StatusOr<Opened> opened = OpenJournal(dir);
  ASSERT_THAT(opened, IsOk());
  std::vector<Stored> appended = AppendDurably(opened->journal.get(), 1, 3);
  {
    absl::StatusOr<std::unique_ptr<Journal::SnapshotWriter>> writer =
        opened->journal->BeginSnapshot(2, 3);
    ASSERT_THAT(writer, IsOk());
    EXPECT_THAT(opened->journal->BeginSnapshot(2, 3).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    ASSERT_THAT((*writer)->Add({1, 1, "c", "p"}), IsOk());
    EXPECT_THAT((*writer)->Add({4, 1, "c", "p"}),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Segments(dir).size(), SortedNames(dir).size());
  EXPECT_THAT(opened->journal->BeginSnapshot(3, 4).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JournalTest, DirectoryIs0700AndFilesAre0600) {
  const std::string dir = FreshDir("permissions") + "/state";
  std::filesystem::create_directories(FreshDir("permissions"));
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    std::vector<Stored> appended = AppendDurably(opened->journal.get(), 1, 10);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 5, 5), IsOk());
  }
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::vector<std::string> names = SortedNames(dir);
  ASSERT_THAT(names, Not(IsEmpty()));
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    ASSERT_EQ(::stat((dir + "/" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
  }
}

TEST(JournalTest, TornSegmentHeaderIsRemoved) {
  const std::string dir = FreshDir("torn_header");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 3);
  }
  // A crash while creating segment 4: half its header.
  WriteWhole(dir + "/segment-00000000000000000004.log", "CSJ\x01LO");
  EXPECT_THAT(VerifyDirectory(dir, nullptr),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("torn tail")));
  absl::StatusOr<Opened> opened = OpenJournal(dir);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->recovered->records.size(), 3u);
  EXPECT_EQ(opened->journal->last_appended(), 3u);
  AppendDurably(opened->journal.get(), 4, 4);
}

// Every file of `dir` and its bytes, to show that nothing changed.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> contents;
  for (const std::string& name : SortedNames(dir))
    contents[name] = ReadAll(dir + "/" + name);
  return contents;
}

// What ScanDirectory handed out.
struct Scanned {
  absl::Status status;
  Recovered recovered;
  std::vector<std::string> segments;
};

Scanned Scan(const std::string& dir) {
  Scanned scanned;
  Recovered* recovered = &scanned.recovered;
  RecoveryCallbacks callbacks;
  callbacks.on_snapshot_begin = [recovered](uint64_t covered,
                                            uint64_t captured_through) {
    ++recovered->begins;
    recovered->covered = covered;
    recovered->captured_through = captured_through;
    return absl::OkStatus();
  };
  callbacks.on_snapshot_entry = [recovered](const SnapshotEntryView& entry) {
    recovered->entries.push_back({entry.last_sequence, entry.version,
                                  std::string(entry.conference),
                                  std::string(entry.payload)});
    return absl::OkStatus();
  };
  callbacks.on_record = [recovered](const RecordView& record) {
    recovered->records.push_back({record.sequence, record.version,
                                  std::string(record.conference),
                                  std::string(record.payload)});
    return absl::OkStatus();
  };
  callbacks.on_segment = [&scanned](absl::string_view name, uint64_t first) {
    EXPECT_EQ(name, absl::StrCat("segment-", absl::StrFormat("%020d", first),
                                 ".log"));
    scanned.segments.emplace_back(name);
    return absl::OkStatus();
  };
  scanned.status = ScanDirectory(dir, nullptr, callbacks);
  return scanned;
}

TEST(ScanDirectoryTest, HandsOutWhatOpenRecoversAndChangesNothing) {
  const std::string dir = FreshDir("scan_good");
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 200);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 30);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 20, 25), IsOk());
  }
  const std::map<std::string, std::string> before = Contents(dir);
  Scanned scanned = Scan(dir);
  EXPECT_THAT(scanned.status, IsOk());
  EXPECT_EQ(scanned.recovered.begins, 1);
  EXPECT_EQ(scanned.recovered.covered, 20u);
  EXPECT_EQ(scanned.recovered.captured_through, 25u);
  EXPECT_EQ(scanned.recovered.entries,
            std::vector<Stored>(appended.begin(), appended.begin() + 20));
  EXPECT_EQ(scanned.recovered.records,
            std::vector<Stored>(appended.begin() + 20, appended.end()));
  EXPECT_EQ(scanned.segments, Segments(dir));
  EXPECT_EQ(Contents(dir), before);
}

TEST(ScanDirectoryTest, StopsAtCorruptionAfterHandingOutTheRecordsBefore) {
  const std::string dir = FreshDir("scan_corrupt");
  uint64_t third_offset = 0;
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 2);
    third_offset = SizeOf(dir + "/" + Segments(dir).front());
    AppendDurably(opened->journal.get(), 3, 10);
  }
  const std::string path = dir + "/" + Segments(dir).front();
  std::string data = ReadAll(path);
  data[third_offset + 30] ^= 1;  // inside record 3's body
  WriteWhole(path, data);
  const std::map<std::string, std::string> before = Contents(dir);
  Scanned scanned = Scan(dir);
  EXPECT_THAT(scanned.status,
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(
                           HasSubstr(Segments(dir).front()),
                           HasSubstr(absl::StrCat("offset ", third_offset)))));
  EXPECT_EQ(scanned.status, VerifyDirectory(dir, nullptr));
  EXPECT_EQ(scanned.recovered.records, appended);
  EXPECT_EQ(Contents(dir), before);
}

TEST(ScanDirectoryTest, ReportsATornTailWithoutTruncatingIt) {
  const std::string dir = FreshDir("scan_torn");
  uint64_t before_last = 0;
  uint64_t end = 0;
  ASSERT_NO_FATAL_FAILURE(WriteFiveRecords(dir, &before_last, &end));
  const std::string path = dir + "/" + Segments(dir).front();
  WriteWhole(path, ReadAll(path).substr(0, end - 3));
  Scanned scanned = Scan(dir);
  EXPECT_THAT(scanned.status,
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("torn tail: truncated record at "
                                              "offset ",
                                              before_last))));
  EXPECT_EQ(scanned.recovered.records.size(), 4u);
  EXPECT_EQ(SizeOf(path), end - 3);
}

TEST(ScanDirectoryTest, FallsBackFromASnapshotThatIsNotWholeAndReportsIt) {
  const std::string dir = FreshDir("scan_incomplete_snapshot");
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 10);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 8, 8), IsOk());
  }
  const std::string path = dir + "/snapshot-00000000000000000008.snap";
  const std::string whole = ReadAll(path);
  WriteWhole(path, whole.substr(0, whole.size() - 34));  // the trailer
  Scanned scanned = Scan(dir);
  EXPECT_THAT(scanned.status,
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("incomplete")));
  EXPECT_EQ(scanned.recovered.covered, 0u);
  EXPECT_EQ(scanned.recovered.records, appended);
}

TEST(RepairDirectoryTest, LeavesAGoodDirectoryAlone) {
  const std::string dir = FreshDir("repair_good");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 20);
  }
  const std::map<std::string, std::string> before = Contents(dir);
  for (auto repair : {&PlanRepair, &RepairDirectory}) {
    absl::StatusOr<RepairReport> report = repair(dir, nullptr);
    ASSERT_THAT(report, IsOk());
    EXPECT_THAT(report->problem, IsEmpty());
    EXPECT_THAT(report->segment, IsEmpty());
    EXPECT_THAT(report->removed, IsEmpty());
    EXPECT_EQ(report->records_dropped, 0u);
  }
  EXPECT_EQ(Contents(dir), before);
}

// Twenty records in segments of about 128 bytes, with a byte of one record
// in the second segment flipped: the plan names that record, changes
// nothing, and the repair keeps exactly the records before it.
TEST(RepairDirectoryTest, CutsAtTheFirstBadRecordAndRemovesLaterSegments) {
  const std::string dir = FreshDir("repair_corrupt");
  std::vector<Stored> appended;
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    appended = AppendDurably(opened->journal.get(), 1, 20);
  }
  std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 4u);
  const uint64_t second_first = std::stoull(segments[1].substr(8, 20));
  // The second record of the second segment.
  const std::string path = dir + "/" + segments[1];
  std::string data = ReadAll(path);
  const uint64_t first_size = 8 + DecodeLength(data, 24);
  const uint64_t bad_offset = 24 + first_size;
  ASSERT_LT(bad_offset + 30, data.size());
  data[bad_offset + 30] ^= 1;
  WriteWhole(path, data);
  const std::map<std::string, std::string> before = Contents(dir);

  absl::StatusOr<RepairReport> plan = PlanRepair(dir, nullptr);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(plan->problem, HasSubstr(absl::StrCat(
                                 "checksum mismatch at offset ", bad_offset)));
  EXPECT_EQ(plan->segment, segments[1]);
  EXPECT_EQ(plan->offset, bad_offset);
  EXPECT_EQ(plan->removed,
            std::vector<std::string>(segments.begin() + 2, segments.end()));
  EXPECT_EQ(plan->last_sequence, second_first);
  // The bad record does not check; every later one does.
  EXPECT_EQ(plan->records_dropped, 20 - second_first - 1);
  uint64_t bytes = data.size() - bad_offset;
  for (size_t i = 2; i < segments.size(); ++i)
    bytes += SizeOf(dir + "/" + segments[i]);
  EXPECT_EQ(plan->bytes_dropped, bytes);
  EXPECT_EQ(Contents(dir), before);

  absl::StatusOr<RepairReport> repaired = RepairDirectory(dir, nullptr);
  ASSERT_THAT(repaired, IsOk());
  EXPECT_EQ(repaired->segment, plan->segment);
  EXPECT_EQ(repaired->offset, plan->offset);
  EXPECT_EQ(repaired->removed, plan->removed);
  EXPECT_EQ(Segments(dir),
            std::vector<std::string>(segments.begin(), segments.begin() + 2));
  EXPECT_EQ(SizeOf(path), bad_offset);
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
  // A second repair finds nothing to do.
  absl::StatusOr<RepairReport> again = RepairDirectory(dir, nullptr);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->segment, IsEmpty());

  absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(
      opened->recovered->records,
      std::vector<Stored>(appended.begin(), appended.begin() + second_first));
  EXPECT_THAT(opened->recovered->log, IsEmpty());
  EXPECT_EQ(opened->journal->last_appended(), second_first);
  AppendDurably(opened->journal.get(), 21, 21);
}

TEST(RepairDirectoryTest, CutsATornTail) {
  const std::string dir = FreshDir("repair_torn");
  uint64_t before_last = 0;
  uint64_t end = 0;
  ASSERT_NO_FATAL_FAILURE(WriteFiveRecords(dir, &before_last, &end));
  const std::string path = dir + "/" + Segments(dir).front();
  WriteWhole(path, ReadAll(path).substr(0, end - 1));
  absl::StatusOr<RepairReport> report = RepairDirectory(dir, nullptr);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problem, HasSubstr("torn tail"));
  EXPECT_EQ(report->offset, before_last);
  EXPECT_EQ(report->bytes_dropped, end - 1 - before_last);
  EXPECT_EQ(report->records_dropped, 0u);
  EXPECT_EQ(report->last_sequence, 4u);
  EXPECT_EQ(SizeOf(path), before_last);
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
}

TEST(RepairDirectoryTest, RemovesASegmentThatDoesNotFollowAndTheRest) {
  const std::string dir = FreshDir("repair_gap");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    AppendDurably(opened->journal.get(), 1, 20);
  }
  std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 4u);
  std::filesystem::remove(dir + "/" + segments[1]);
  absl::StatusOr<RepairReport> report = RepairDirectory(dir, nullptr);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->segment, segments[2]);
  EXPECT_EQ(report->offset, 0u);
  EXPECT_EQ(report->removed,
            std::vector<std::string>(segments.begin() + 3, segments.end()));
  EXPECT_THAT(Segments(dir), ElementsAre(segments[0]));
  EXPECT_THAT(VerifyDirectory(dir, nullptr), IsOk());
}

TEST(RepairDirectoryTest, RefusesWhatCuttingSegmentsCannotFix) {
  const std::string dir = FreshDir("repair_snapshot");
  {
    absl::StatusOr<Opened> opened = OpenJournal(dir, nullptr, 128);
    ASSERT_THAT(opened, IsOk());
    std::vector<Stored> appended = AppendDurably(opened->journal.get(), 1, 20);
    ASSERT_THAT(WriteSnapshot(opened->journal.get(), appended, 15, 18), IsOk());
  }
  // A snapshot that is not whole.
  const std::string snapshot = dir + "/snapshot-00000000000000000015.snap";
  const std::string whole = ReadAll(snapshot);
  WriteWhole(snapshot, whole.substr(0, whole.size() - 1));
  std::map<std::string, std::string> before = Contents(dir);
  EXPECT_THAT(
      RepairDirectory(dir, nullptr).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("snapshot")));
  EXPECT_EQ(Contents(dir), before);

  // A bad record the snapshot relied on (captured through 18): cutting
  // there would lose what the snapshot's entries may reflect.
  WriteWhole(snapshot, whole);
  std::vector<std::string> segments = Segments(dir);
  std::string victim;
  for (const std::string& name : segments) {
    const uint64_t first = std::stoull(name.substr(8, 20));
    if (first <= 17)
      victim = name;
  }
  ASSERT_FALSE(victim.empty());
  std::string data = ReadAll(dir + "/" + victim);
  data[24 + 10] ^= 1;  // the first record of the segment holding 17
  WriteWhole(dir + "/" + victim, data);
  before = Contents(dir);
  EXPECT_THAT(RepairDirectory(dir, nullptr).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs them up to 18")));
  EXPECT_EQ(Contents(dir), before);
}

}  // namespace
}  // namespace journal
}  // namespace conf
