// durable_driver: drives a durable focus until it is killed, and checks after
// the crash that every change it acknowledged survived
// (tests/crash/durable_crash_test.sh runs the two in a loop).
//
//   durable_driver --mode=write --state_dir=D --acks=FILE --seed=S --threads=4
//       [--run_ms=MS]
//   durable_driver --mode=verify --state_dir=D --acks=FILE
//
// Write mode opens (recovers) the focus in D with frequent snapshots. Each
// thread owns the conferences organized by sip:owner<t>@fabrikam.com: it
// continues those recovery brought back, creates the missing ones, then
// loops joining and leaving users sip:user<k>@fabrikam.com with addUser and
// deleteUser, forever (or for --run_ms). Only the owning thread changes a
// conference, so the version it reads right after a success is exactly the
// version that success produced.
//
// The acks file is the driver's account of what the focus promised, one
// line per event, every line ending with the token "end" (so that a torn
// line is recognised, whatever byte it was cut at):
//
//   run <seed> <pid> end                       recovery done, a run starts
//   base <conf> <owner> <version> <n> <user>... end
//                                              what recovery gave a thread
//   intent create <owner> end                  before addConference
//   ack create <owner> <conf> <version> end    after its success response
//   intent join|leave <conf> <user> <version> end
//                                              before addUser / deleteUser
//                                              (the version it will produce)
//   ack join|leave <conf> <user> <version> end after the success response
//   fail <what> <detail...> end                the focus refused a change
//
// Verify mode opens the focus (recovery), replays the acks file per
// conference and checks that the recovered state holds every acknowledged
// change and nothing else: a conference's recovered version is its last
// acknowledged one with the acknowledged roster, or one more with the single
// change whose intent followed the last ack applied. The same check is made
// of every `base` line against what came before it (a run's recovery, seen
// by the run itself).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "base/status_macros.h"
#include "codec/c3p_request_encoder.h"
#include "engine/conference_store.h"
#include "engine/model.h"
#include "focus/focus.h"
#include "journal/file_system.h"
#include "journal/journal.h"
#include "testing/focus_harness.h"

namespace conf {
namespace crash {
namespace {

constexpr size_t kConferencesPerThread = 2;
constexpr uint64_t kUsersPerConference = 12;
// Snapshots every few hundred changes, checked often: a run of a few
// hundred milliseconds writes several, and some kills land inside one.
constexpr uint64_t kSnapshotEveryChanges = 200;
constexpr absl::Duration kMaintenanceInterval = absl::Milliseconds(5);
constexpr size_t kMaxReportedErrors = 20;

enum class Mode { kWrite, kVerify };

struct Flags {
  Mode mode = Mode::kWrite;
  std::string state_dir;
  std::string acks;
  uint64_t seed = 1;
  int threads = 4;
  int64_t run_ms = 0;  // 0: until killed.
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  bool have_mode = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const absl::string_view name = kv.first;
    const absl::string_view value = kv.second;
    bool ok = true;
    if (name == "--mode") {
      ok = value == "write" || value == "verify";
      flags.mode = value == "write" ? Mode::kWrite : Mode::kVerify;
      have_mode = true;
    } else if (name == "--state_dir") {
      flags.state_dir = std::string(value);
    } else if (name == "--acks") {
      flags.acks = std::string(value);
    } else if (name == "--seed") {
      ok = absl::SimpleAtoi(value, &flags.seed);
    } else if (name == "--threads") {
      ok = absl::SimpleAtoi(value, &flags.threads) && flags.threads > 0;
    } else if (name == "--run_ms") {
      ok = absl::SimpleAtoi(value, &flags.run_ms);
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("flags: bad argument ", arg));
    }
  }
  if (!have_mode || flags.state_dir.empty() || flags.acks.empty()) {
    return absl::InvalidArgumentError(
        "flags: --mode=write|verify, --state_dir and --acks are required");
  }
  return flags;
}

std::string OwnerOf(int thread) {
  return absl::StrCat("sip:owner", thread, "@fabrikam.com");
}

std::string UserName(uint64_t k) {
  return absl::StrCat("sip:user", k, "@fabrikam.com");
}

absl::StatusOr<std::unique_ptr<focus::Focus>> OpenFocus(
    const Flags& flags, absl::Duration maintenance_interval) {
  focus::DurabilityOptions durability;
  durability.state_dir = flags.state_dir;
  durability.snapshot_every_changes = kSnapshotEveryChanges;
  durability.maintenance_interval = maintenance_interval;
  const char* const who = flags.mode == Mode::kWrite ? "write" : "verify";
  durability.log = [who](absl::string_view line) {
    std::fprintf(stderr, "%s: focus: %.*s\n", who,
                 static_cast<int>(line.size()), line.data());
  };
  return focus::Focus::Open(testing::SeededFocusOptions(flags.seed),
                            std::move(durability));
}

// The users of a roster or lobby, by entity.
std::set<std::string> EntitiesOf(const engine::UserMap& users) {
  std::set<std::string> entities;
  for (const std::shared_ptr<const engine::User>& user : users) {
    entities.insert(std::string(user->entity.value()));
  }
  return entities;
}

// ---------------------------------------------------------------------------
// Write mode.

// The acks file, appended to by every thread. Each line is one write(2) on
// an O_APPEND descriptor: the kernel has the bytes once write returns, so a
// kill -9 of this process loses none of them (only a machine crash could,
// and the test never simulates one), hence no fsync. A kill during a write
// can leave a torn last line; verify tolerates it.
class AckLog {
 public:
  static absl::StatusOr<std::unique_ptr<AckLog>> Open(const std::string& path) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("acks ", path, ": open: ", std::strerror(errno)));
    }
    auto log = std::unique_ptr<AckLog>(new AckLog(fd));
    // A previous run killed mid-line: end that line, so ours start clean.
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      return absl::UnavailableError(
          absl::StrCat("acks ", path, ": fstat: ", std::strerror(errno)));
    }
    if (st.st_size > 0) {
      const int reader = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      char last = '\n';
      const bool read_ok =
          reader >= 0 && ::pread(reader, &last, 1, st.st_size - 1) == 1;
      if (reader >= 0) {
        ::close(reader);
      }
      if (!read_ok) {
        return absl::UnavailableError(absl::StrCat("acks ", path, ": pread"));
      }
      if (last != '\n') {
        CONF_RETURN_IF_ERROR(log->WriteRaw("\n"));
      }
    }
    return log;
  }

  ~AckLog() { ::close(fd_); }
  AckLog(const AckLog&) = delete;
  AckLog& operator=(const AckLog&) = delete;

  // Appends `line`, its "end" token and a newline.
  absl::Status Write(absl::string_view line) {
    return WriteRaw(absl::StrCat(line, " end\n"));
  }

 private:
  explicit AckLog(int fd) : fd_(fd) {}

  absl::Status WriteRaw(const std::string& bytes) {
    // One call: lines of different threads never interleave. A short write
    // only happens when the process is being killed.
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n != static_cast<ssize_t>(bytes.size())) {
      return absl::UnavailableError(absl::StrCat(
          "acks: write: ", n < 0 ? std::strerror(errno) : "short"));
    }
    return absl::OkStatus();
  }

  const int fd_;
};

// One thread's conferences, and the steps it takes on them.
class Owner {
 public:
  Owner(focus::Focus& focus, AckLog& log, int thread, uint64_t seed)
      : focus_(focus),
        log_(log),
        owner_(OwnerOf(thread)),
        random_(seed * 1000003 + static_cast<uint64_t>(thread)) {}

  // Takes over the conferences recovery brought back (a `base` line each)
  // and creates the missing ones.
  absl::Status Start() {
    for (const engine::ConferenceId& id :
         focus_.store().ListConferencesOrganizedBy(engine::UserId(owner_))) {
      std::shared_ptr<const engine::ConferenceSnapshot> s =
          focus_.store().FindSnapshot(id);
      if (s == nullptr) {
        return absl::InternalError(
            absl::StrCat(owner_, ": listed conference ", id.value(), " gone"));
      }
      Owned owned{std::string(id.value()), s->version, EntitiesOf(s->users)};
      std::vector<std::string> line = {"base", owned.entity, owner_,
                                       absl::StrCat(owned.version),
                                       absl::StrCat(owned.members.size())};
      line.insert(line.end(), owned.members.begin(), owned.members.end());
      CONF_RETURN_IF_ERROR(log_.Write(absl::StrJoin(line, " ")));
      owned_.push_back(std::move(owned));
    }
    while (owned_.size() < kConferencesPerThread) {
      CONF_RETURN_IF_ERROR(Create());
    }
    return absl::OkStatus();
  }

  // One random join or leave on one of the conferences.
  absl::Status Step() {
    Owned& c = owned_[random_() % owned_.size()];
    const std::string user = UserName(random_() % kUsersPerConference);
    const bool leave = c.members.count(user) > 0;
    const char* const op = leave ? "leave" : "join";
    CONF_RETURN_IF_ERROR(log_.Write(absl::StrCat(
        "intent ", op, " ", c.entity, " ", user, " ", c.version + 1)));
    const codec::RequestEnvelope envelope{absl::StrCat(++request_id_), user,
                                          c.entity};
    const std::string body =
        leave ? codec::EncodeDeleteUserRequest(envelope, c.entity, user)
              : codec::EncodeAddUserRequest(
                    envelope, c.entity,
                    testing::ClientJoin(user, engine::Role::kAttendee));
    CONF_RETURN_IF_ERROR(
        Send(user, body, absl::StrCat(op, " ", c.entity)).status());
    // Exact: no other thread changes this conference.
    std::shared_ptr<const engine::ConferenceSnapshot> s =
        focus_.store().FindSnapshot(engine::ConferenceId(c.entity));
    if (s == nullptr) {
      return Fail(c.entity, "conference gone after a success response");
    }
    if (leave) {
      c.members.erase(user);
    } else {
      c.members.insert(user);
    }
    if (EntitiesOf(s->users) != c.members || !s->lobby.empty()) {
      return Fail(c.entity, absl::StrCat("roster after ", op, " of ", user,
                                         " is not what the driver expects"));
    }
    c.version = s->version;
    return log_.Write(
        absl::StrCat("ack ", op, " ", c.entity, " ", user, " ", c.version));
  }

 private:
  struct Owned {
    std::string entity;
    uint64_t version = 0;
    std::set<std::string> members;
  };

  absl::Status Create() {
    CONF_RETURN_IF_ERROR(log_.Write(absl::StrCat("intent create ", owner_)));
    codec::AddConferenceSpec spec;
    spec.subject = absl::StrCat("crash test of ", owner_);
    spec.mcu_types = {"chat", "audio-video"};
    CONF_ASSIGN_OR_RETURN(const std::string response,
                          Send(owner_,
                               codec::EncodeAddConferenceRequest(
                                   {absl::StrCat(++request_id_), owner_,
                                    testing::FactoryOf(owner_)},
                                   spec),
                               "create"));
    // The new conference is named by the response (as FocusHarness reads
    // it). Not ListConferencesOrganizedBy: with a commit log the store
    // indexes organizers when it delivers the delta, on the journal's
    // completion thread, which may be after the response is released.
    const size_t at = response.find("entity=\"");
    const size_t begin = at + 8;
    const size_t end =
        at == std::string::npos ? std::string::npos : response.find('"', begin);
    if (end == std::string::npos) {
      return Fail(owner_, "addConference response names no conference");
    }
    const std::string entity = response.substr(begin, end - begin);
    std::shared_ptr<const engine::ConferenceSnapshot> s =
        focus_.store().FindSnapshot(engine::ConferenceId(entity));
    if (s == nullptr || !s->users.empty() || !s->lobby.empty()) {
      return Fail(owner_, "new conference missing or not empty");
    }
    owned_.push_back(Owned{entity, s->version, {}});
    return log_.Write(
        absl::StrCat("ack create ", owner_, " ", entity, " ", s->version));
  }

  // Sends `body` as `identity` and returns the response; anything but a
  // success response is a failure of the run (nothing here should ever be
  // refused).
  absl::StatusOr<std::string> Send(const std::string& identity,
                                   const std::string& body,
                                   const std::string& what) {
    absl::StatusOr<focus::C3pResult> result =
        focus_.HandleRequest(identity, body);
    if (!result.ok()) {
      return Fail(what, result.status().ToString());
    }
    if (!result->success()) {
      return Fail(what, absl::StrCat("failure response: ", result->body));
    }
    return std::move(result->body);
  }

  absl::Status Fail(absl::string_view what, absl::string_view detail) {
    std::string flat(detail);
    for (char& ch : flat) {
      if (ch == '\n' || ch == '\r') {
        ch = ' ';
      }
    }
    // Best effort: the run is failing anyway.
    log_.Write(absl::StrCat("fail ", what, " ", flat)).IgnoreError();
    return absl::InternalError(absl::StrCat(owner_, ": ", what, ": ", detail));
  }

  focus::Focus& focus_;
  AckLog& log_;
  const std::string owner_;
  std::mt19937_64 random_;
  std::vector<Owned> owned_;
  int request_id_ = 0;
};

absl::Status Write(const Flags& flags) {
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<focus::Focus> focus,
                        OpenFocus(flags, kMaintenanceInterval));
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<AckLog> log, AckLog::Open(flags.acks));
  CONF_RETURN_IF_ERROR(log->Write(
      absl::StrCat("run ", flags.seed, " ", static_cast<int64_t>(::getpid()))));
  const absl::Time deadline =
      flags.run_ms > 0 ? absl::Now() + absl::Milliseconds(flags.run_ms)
                       : absl::InfiniteFuture();
  std::atomic<bool> failed{false};
  std::vector<absl::Status> results(flags.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < flags.threads; ++t) {
    threads.emplace_back([&, t] {
      Owner owner(*focus, *log, t, flags.seed);
      absl::Status status = owner.Start();
      while (status.ok() && !failed.load() && absl::Now() < deadline) {
        status = owner.Step();
      }
      if (!status.ok()) {
        failed.store(true);
      }
      results[t] = std::move(status);
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (absl::Status& status : results) {
    CONF_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Verify mode.

// A change whose intent was written and whose ack was not (yet).
struct Intent {
  bool leave = false;
  std::string user;
};

// What the acks file says a conference must be.
struct Expected {
  std::string owner;
  uint64_t version = 0;
  std::set<std::string> members;
  std::optional<Intent> in_flight;
};

struct Tally {
  size_t lines = 0;
  size_t acks = 0;
  size_t runs = 0;
  size_t bases = 0;
  size_t torn = 0;
  size_t in_flight_applied = 0;  // by a base line or the final recovery
};

// Replays the acks file, checking each run's recovery (its base lines) as it
// goes. Errors are collected rather than returned at the first.
class Replay {
 public:
  // Every line of `contents`.
  void Run(const std::string& contents) {
    std::vector<absl::string_view> lines = absl::StrSplit(contents, '\n');
    // The text after the last newline: empty, or a torn line.
    if (!lines.back().empty()) {
      ++tally_.torn;
    }
    lines.pop_back();
    for (size_t i = 0; i < lines.size(); ++i) {
      line_number_ = i + 1;
      tally_.lines++;
      const std::vector<absl::string_view> tokens =
          absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
      if (tokens.empty() || tokens.back() != "end") {
        // A torn line: only the last a run wrote, so followed by the next
        // run's first line (the driver ends it with a newline first).
        const bool next_is_run =
            i + 1 < lines.size() && absl::StartsWith(lines[i + 1], "run ");
        if (!next_is_run) {
          Error(absl::StrCat("torn or malformed line in the middle: \"",
                             absl::CEscape(lines[i].substr(0, 64)), "\""));
        }
        ++tally_.torn;
        continue;
      }
      Line(absl::MakeConstSpan(tokens).subspan(0, tokens.size() - 1));
    }
  }

  // Compares every expected conference with the recovered store.
  void Finish(const engine::ConferenceStore& store) {
    std::map<std::string, std::shared_ptr<const engine::ConferenceSnapshot>>
        recovered;
    for (engine::CapturedConference& c : store.Capture()) {
      recovered[std::string(c.snapshot->entity.value())] =
          std::move(c.snapshot);
    }
    line_number_ = 0;
    for (const auto& [entity, expected] : expected_) {
      auto it = recovered.find(entity);
      if (it == recovered.end()) {
        Error(absl::StrCat("conference ", entity, " (", expected.owner,
                           ") lost: acknowledged at version ", expected.version,
                           ", not recovered"));
        continue;
      }
      Check(entity, expected, it->second->version,
            EntitiesOf(it->second->users), EntitiesOf(it->second->lobby),
            "recovered");
      versions_.push_back(it->second->version);
    }
    for (const auto& [entity, snapshot] : recovered) {
      if (expected_.count(entity) > 0) {
        continue;
      }
      // Only an addConference whose ack was never written may add one.
      const std::string owner(snapshot->organizer.value());
      size_t& allowed = unacked_creates_[owner];
      if (allowed == 0 || snapshot->version != 1 || !snapshot->users.empty()) {
        Error(absl::StrCat("unexpected conference ", entity, " of ", owner,
                           " at version ", snapshot->version,
                           " (no unacknowledged create explains it)"));
        continue;
      }
      --allowed;
      versions_.push_back(snapshot->version);
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }
  const Tally& tally() const { return tally_; }
  const std::vector<uint64_t>& versions() const { return versions_; }

 private:
  using Tokens = absl::Span<const absl::string_view>;

  void Line(Tokens t) {
    uint64_t version = 0;
    const absl::string_view kind = t[0];
    if (kind == "run" && t.size() == 3) {
      ++tally_.runs;
    } else if (kind == "base" && t.size() >= 5 &&
               absl::SimpleAtoi(t[3], &version)) {
      Base(t, version);
    } else if (kind == "intent" && t.size() == 3 && t[1] == "create") {
      ++unacked_creates_[std::string(t[2])];
    } else if (kind == "ack" && t.size() == 5 && t[1] == "create" &&
               absl::SimpleAtoi(t[4], &version)) {
      size_t& allowed = unacked_creates_[std::string(t[2])];
      if (allowed > 0) {
        --allowed;
      }
      ++tally_.acks;
      const auto [it, fresh] = expected_.try_emplace(std::string(t[3]));
      if (!fresh) {
        Error(absl::StrCat("conference ", t[3], " created twice"));
      }
      it->second = Expected{std::string(t[2]), version, {}, std::nullopt};
    } else if (kind == "intent" && t.size() == 5 &&
               (t[1] == "join" || t[1] == "leave") &&
               absl::SimpleAtoi(t[4], &version)) {
      Expected* e = Find(t[2]);
      if (e != nullptr) {
        e->in_flight = Intent{t[1] == "leave", std::string(t[3])};
      }
    } else if (kind == "ack" && t.size() == 5 &&
               (t[1] == "join" || t[1] == "leave") &&
               absl::SimpleAtoi(t[4], &version)) {
      Ack(t, version);
    } else if (kind == "fail") {
      Error(absl::StrCat("the driver reported a failure: ",
                         absl::StrJoin(t.subspan(1), " ")));
    } else {
      Error(absl::StrCat("unparseable line: ",
                         absl::CEscape(absl::StrJoin(t, " ").substr(0, 64))));
    }
  }

  // A run's view of a conference after its recovery.
  void Base(Tokens t, uint64_t version) {
    ++tally_.bases;
    size_t count = 0;
    if (!absl::SimpleAtoi(t[4], &count) || t.size() != 5 + count) {
      Error("base line with a bad member count");
      return;
    }
    const std::string entity(t[1]);
    std::set<std::string> members;
    for (absl::string_view m : t.subspan(5)) {
      members.insert(std::string(m));
    }
    auto it = expected_.find(entity);
    if (it == expected_.end()) {
      // A conference whose create was never acknowledged: allowed once per
      // such create, fresh.
      size_t& allowed = unacked_creates_[std::string(t[2])];
      if (allowed == 0 || version != 1 || !members.empty()) {
        Error(absl::StrCat("run found conference ", entity, " at version ",
                           version,
                           " that no acknowledged or in-flight "
                           "create explains"));
      } else {
        --allowed;
      }
      expected_[entity] =
          Expected{std::string(t[2]), version, std::move(members), {}};
      return;
    }
    Check(entity, it->second, version, members, /*lobby=*/{},
          "recovered by a later run");
    it->second.version = version;
    it->second.members = std::move(members);
    it->second.in_flight.reset();
  }

  void Ack(Tokens t, uint64_t version) {
    ++tally_.acks;
    Expected* e = Find(t[2]);
    if (e == nullptr) {
      return;
    }
    const std::string user(t[3]);
    if (version != e->version + 1) {
      Error(absl::StrCat("conference ", t[2], ": ", t[1], " of ", user,
                         " acknowledged at version ", version, ", expected ",
                         e->version + 1));
    }
    if (t[1] == "leave") {
      e->members.erase(user);
    } else {
      e->members.insert(user);
    }
    e->version = version;
    e->in_flight.reset();
  }

  Expected* Find(absl::string_view entity) {
    auto it = expected_.find(std::string(entity));
    if (it == expected_.end()) {
      Error(absl::StrCat("change to conference ", entity,
                         " before its create or base line"));
      return nullptr;
    }
    return &it->second;
  }

  // The rule: everything acknowledged is there, and at most the one
  // in-flight change besides.
  void Check(const std::string& entity, const Expected& e, uint64_t version,
             const std::set<std::string>& roster,
             const std::set<std::string>& lobby, absl::string_view where) {
    const std::string context =
        absl::StrCat("conference ", entity, " (", e.owner, ") ", where,
                     " at version ", version, ": ");
    if (!lobby.empty()) {
      Error(absl::StrCat(context, "users in the lobby"));
    }
    if (version < e.version) {
      Error(absl::StrCat(context, "acknowledged changes lost (last ack at ",
                         e.version, ")"));
      return;
    }
    if (version == e.version) {
      if (roster != e.members) {
        Error(absl::StrCat(context, "roster {", absl::StrJoin(roster, ","),
                           "} differs from the acknowledged {",
                           absl::StrJoin(e.members, ","), "}"));
      }
      return;
    }
    if (version == e.version + 1 && e.in_flight.has_value()) {
      std::set<std::string> members = e.members;
      if (e.in_flight->leave) {
        members.erase(e.in_flight->user);
      } else {
        members.insert(e.in_flight->user);
      }
      if (roster != members) {
        Error(absl::StrCat(context, "roster {", absl::StrJoin(roster, ","),
                           "} is neither the acknowledged one nor that with ",
                           e.in_flight->leave ? "leave " : "join ",
                           e.in_flight->user, " applied"));
      }
      ++tally_.in_flight_applied;
      return;
    }
    Error(absl::StrCat(
        context, "ahead of the last acknowledged version ", e.version,
        e.in_flight.has_value() ? " by more than the one in-flight change"
                                : " with no change in flight"));
  }

  void Error(std::string message) {
    if (line_number_ > 0) {
      message = absl::StrCat("acks line ", line_number_, ": ", message);
    }
    errors_.push_back(std::move(message));
  }

  std::map<std::string, Expected> expected_;
  // Per owner: addConference intents not (yet) matched by an ack or by a
  // conference that appeared.
  std::map<std::string, size_t> unacked_creates_;
  std::vector<std::string> errors_;
  std::vector<uint64_t> versions_;
  Tally tally_;
  size_t line_number_ = 0;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::string();  // Killed before its first line.
    }
    return absl::UnavailableError(
        absl::StrCat("acks ", path, ": open: ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) {
    contents.append(buffer, static_cast<size_t>(n));
  }
  const int read_errno = errno;
  ::close(fd);
  if (n < 0) {
    return absl::UnavailableError(
        absl::StrCat("acks ", path, ": read: ", std::strerror(read_errno)));
  }
  return contents;
}

absl::Status Verify(const Flags& flags) {
  // Killed before it created the state directory (a slow start, under a
  // sanitizer on a busy machine): nothing can have been acknowledged.
  struct stat st;
  if (::stat(flags.state_dir.c_str(), &st) != 0 && errno == ENOENT) {
    CONF_ASSIGN_OR_RETURN(const std::string acks, ReadFile(flags.acks));
    if (!acks.empty()) {
      return absl::DataLossError(
          absl::StrCat("no state directory ", flags.state_dir, ", but ",
                       flags.acks, " holds acknowledgements"));
    }
    std::printf(
        "verify: ok: no state directory yet and nothing acknowledged\n");
    return absl::OkStatus();
  }
  // The files first, as an operator's `confstate journal verify` would. A
  // SIGKILL during the writer's write() may leave the batch in flight cut
  // short (a partial write is kept): a torn tail, which Open truncates and
  // which held nothing acknowledged. Anything else is a finding.
  const absl::Status files =
      journal::VerifyDirectory(flags.state_dir, journal::DefaultFileSystem());
  if (!files.ok() && !absl::StrContains(files.message(), "torn tail")) {
    return files;
  }
  if (!files.ok()) {
    std::fprintf(stderr, "verify: %s (Open truncates it)\n",
                 std::string(files.message()).c_str());
  }
  // No maintenance thread: verification reads, it does not snapshot.
  CONF_ASSIGN_OR_RETURN(std::unique_ptr<focus::Focus> focus,
                        OpenFocus(flags, absl::ZeroDuration()));
  CONF_ASSIGN_OR_RETURN(const std::string contents, ReadFile(flags.acks));
  Replay replay;
  replay.Run(contents);
  replay.Finish(focus->store());
  const Tally& tally = replay.tally();
  uint64_t low = 0;
  uint64_t high = 0;
  uint64_t sum = 0;
  for (uint64_t v : replay.versions()) {
    low = low == 0 ? v : std::min(low, v);
    high = std::max(high, v);
    sum += v;
  }
  if (!replay.errors().empty()) {
    const std::vector<std::string>& errors = replay.errors();
    for (size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) {
      std::fprintf(stderr, "verify: LOSS: %s\n", errors[i].c_str());
    }
    return absl::DataLossError(
        absl::StrCat(errors.size(), " problem(s) in ", flags.state_dir,
                     " against ", flags.acks, "; first: ", errors.front()));
  }
  std::printf(
      "verify: ok: %zu acks checked (%zu lines, %zu runs, %zu run "
      "recoveries checked, %zu torn), %zu conferences, recovered versions "
      "%llu..%llu (sum %llu), %zu in-flight changes found applied\n",
      tally.acks, tally.lines, tally.runs, tally.bases, tally.torn,
      replay.versions().size(), static_cast<unsigned long long>(low),
      static_cast<unsigned long long>(high),
      static_cast<unsigned long long>(sum), tally.in_flight_applied);
  return absl::OkStatus();
}

}  // namespace
}  // namespace crash
}  // namespace conf

int main(int argc, char** argv) {
  absl::StatusOr<conf::crash::Flags> flags =
      conf::crash::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "durable_driver: %s\n",
                 flags.status().ToString().c_str());
    return 2;
  }
  const absl::Status status = flags->mode == conf::crash::Mode::kWrite
                                  ? conf::crash::Write(*flags)
                                  : conf::crash::Verify(*flags);
  if (!status.ok()) {
    std::fprintf(stderr, "durable_driver: %s: FAILED: %s\n",
                 flags->mode == conf::crash::Mode::kWrite ? "write" : "verify",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
