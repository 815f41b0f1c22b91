// The load tool's scenarios: Workloads that drive an embedded focus::Focus
// the way a busy focus cluster's clients would, and verify while they load.
//
//   getconference-flood  members of many conferences repeat getConference
//                        with one of 8 client certificates (the conference
//                        key comes back wrapped for it)
//   join-storm           users enter and leave large conferences that have
//                        subscribers
//   roster-churn         mute/unmute, role changes and endpoint status
//                        changes in running meetings, and locking: joiners
//                        of a locked meeting wait in the lobby until the
//                        organizer admits them (or they give up)
//   mixed                a blend of the above with a share of hostile
//                        requests (malformed, oversized, deeply nested,
//                        spoofed sender, attendee locking, unknown command)
//   soak                 mixed at a fixed arrival rate for a long time
//
// Every response is checked: success where success is expected, the
// specific failure where not (OpResult::as_expected), and a hostile request
// must leave the conference's version unchanged. Hostile outcomes are named
// "status:invalid_argument" / "status:resource_exhausted" when the focus
// cannot answer in C3P at all (truncated, over 64 KiB, 10,000 levels deep:
// the SIP layer's 400) and by the C3P reason otherwise ("unauthorized" for a
// spoofed `from` or an attendee locking, "notSupported" for an unknown
// command).
//
// Joins are sent as SIPE sends them: the user names one endpoint by a GUID
// and nothing else. Its audio then comes from the A/V MCU, which reports
// the user's audio-video endpoint (through the focus's store, as no C3P
// request the codec encodes carries a whole endpoint) before the user mutes
// or holds.
//
// Each conference's mutating and hostile requests are ordered by the
// scenario (one lock per conference, held across the request and the
// version reads around it, never across a Poll), so the tool's requests are
// the only writers of the conference's version: each records, before it is
// sent, the version it will produce and when it started (VersionLog), and
// afterwards checks that the version moved by one if it succeeded and not
// at all otherwise. After releasing the lock, the worker polls the
// conference's rung subscriptions (SubscriptionFollower), and each
// notification is attributed, by the conference version it carries, to the
// request that produced it: the notification lag is the time from that
// request's start to the Poll that handed the notification out. Reads
// (getConference) take no lock. Concurrency comes from many conferences.
//
// Finish() drains every subscription and checks that (a) no subscription
// holds a notification it was not told of, and (b) its roster, built by
// applying its documents in order (RosterTracker), equals the roster of a
// fresh Subscribe's full document for the same user. Any difference, like
// any failed check on the way, is a failure of the run.
//
// Where the time goes: each operation reports its time inside the focus
// (HandleRequest, the A/V MCU's store call, Poll) as OpResult::engine_ns
// and the time it waited for its conference's lock as OpResult::wait_ns;
// Finish adds the time inside the focus by call to
// RunReport::engine_ns_by_call.
//
// Thread-safety: RunOne may be called concurrently (worker < threads);
// Create and Finish are called alone.

#ifndef CONF_TOOLS_LOAD_SCENARIOS_H_
#define CONF_TOOLS_LOAD_SCENARIOS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "codec/conference_info.h"
#include "tools/load/runner.h"

namespace conf {
namespace load {

struct ScenarioOptions {
  int conferences = 16;
  // Users per conference: the organizer, stayers (attendees who never leave)
  // and the rest, who join, leave, mute and change roles.
  int users = 32;
  // Subscriptions per conference (the organizer first, then stayers).
  int subscribers = 2;
  // Share of requests that are hostile, in [0, 1].
  double hostile_share = 0;
  uint64_t seed = 1;
  // Workers that will call RunOne.
  int threads = 2;
  // Non-empty: the focus is durable (focus::Focus::Open) in this state
  // directory, which must hold no conferences yet; every change is
  // journaled before its response.
  std::string state_dir;
};

// A named preset: the scenario's defaults, which flags may override.
struct ScenarioPreset {
  const char* name;
  const char* summary;
  ScenarioOptions options;
  absl::Duration duration;
  double rate_per_second;  // 0: closed loop
};

// Every scenario, in the order the help text lists them.
const std::vector<ScenarioPreset>& ScenarioPresets();

// The preset called `name`, or nullptr.
const ScenarioPreset* FindScenario(absl::string_view name);

class LoadScenario : public Workload {
 public:
  // Builds the scenario `name` with `options`: creates the conferences,
  // their rosters and subscriptions and the client identities.
  // kInvalidArgument for an unknown name or options out of range; kInternal
  // when setting up the focus fails.
  static absl::StatusOr<std::unique_ptr<LoadScenario>> Create(
      absl::string_view name, const ScenarioOptions& options);

  ~LoadScenario() override;

  std::vector<std::string> OpTypes() const override;
  OpResult RunOne(int worker) override;
  // `roster_users` and `lobby_users`: over every conference, as the store
  // holds them now.
  std::map<std::string, int64_t> Gauges() override;

  // Drains and verifies every subscription after the run, then adds the
  // scenario's counters, the notification-lag histogram, the time inside
  // the focus by call and any failures to `report`.
  void Finish(RunReport& report);

  // Checks and applies `document`, numbered as the next notification of
  // subscription `subscription` of conference `conference` (both in set-up
  // order), as the subscriber would had it polled it; a failed check fails
  // the run at Finish. For tests that a wrong notification fails the run;
  // call with no RunOne running.
  void AcceptForTest(size_t conference, size_t subscription,
                     const codec::EncodedDocument& document);

 private:
  class Impl;
  explicit LoadScenario(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Adds the figures a soak is judged by, from the timeline: the median of the
// per-interval p99s and the throughput over the first and the last window
// (a minute, or a quarter of the run when it is shorter than four minutes,
// at least one interval), and the RSS slope (least squares, bytes per minute,
// over the samples after the first window, so warm-up is not taken for drift).
// Counters `p99_first_window_ns`, `p99_last_window_ns`,
// `requests_per_second_first_window`, `requests_per_second_last_window`,
// `rss_slope_bytes_per_minute`, `timeline_window_seconds`.
void AddTimelineFigures(RunReport& report);

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_SCENARIOS_H_
