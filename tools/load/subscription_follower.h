// SubscriptionFollower: one load-test subscriber. It polls its subscription
// only when on_ready has rung, as an event loop does, and checks every
// notification before applying it to its RosterTracker:
//
//   - its subscription version is the last one plus one;
//   - the conference version it carries (EncodedDocument::default_version)
//     is above the last one this subscriber saw, and was produced by a
//     request the tool sent: the conference's VersionLog knows when that
//     request started, which gives the notification's lag (request start to
//     the Poll that handed the notification out);
//   - its document parses and applies (RosterTracker::Apply: no stale
//     version, no missing user or endpoint, no user in the roster and the
//     lobby at once).
//
// Each failed check is counted and described in the caller's
// FollowerStats; the load tool fails its run on any.
//
// Cost: per notification, the document (its body, built once from the
// shared bytes, and its parse) and nothing else: the poll buffer is reused
// and the tracker applies in place. A focus shares one encoded document
// between the subscribers of a view (only the version differs), so a worker
// parses each document once (FollowerStats::documents) and each subscriber
// applies it with its own version.
//
// Thread-safety: Drain and Accept may be called from any thread; one thread
// at a time polls and applies (a thread that finds another at it leaves the
// work to that one, which looks for a wake-up again before it returns, so
// none is left unanswered). No lock is held while the tool sends a request.

#ifndef CONF_TOOLS_LOAD_SUBSCRIPTION_FOLLOWER_H_
#define CONF_TOOLS_LOAD_SUBSCRIPTION_FOLLOWER_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

#include "base/mutex.h"
#include "codec/conference_info.h"
#include "codec/conference_info_reader.h"
#include "focus/focus.h"
#include "focus/notification.h"
#include "tools/load/latency_histogram.h"
#include "tools/load/roster_tracker.h"
#include "tools/load/version_log.h"

namespace conf {
namespace load {

// The documents a worker parsed last, by the shared bytes they came from.
// Thread-compatible: one per worker.
class DocumentCache {
 public:
  static constexpr size_t kEntries = 4;

  // The parsed document of `notification`'s shared bytes, parsed now unless
  // one of the last kEntries documents had the same bytes. Its root version
  // is that of whichever notification parsed it. The result stays valid
  // until the next call. The reader's errors are returned as they are.
  absl::StatusOr<const codec::ConferenceInfoDocument*> Parse(
      const focus::Notification& notification);

  int64_t parsed() const { return parsed_; }
  int64_t reused() const { return reused_; }

 private:
  struct Entry {
    // Holds the bytes, so that their address (the key) is not reused.
    std::optional<codec::EncodedDocument> bytes;
    std::optional<codec::ConferenceInfoDocument> document;
  };

  std::array<Entry, kEntries> entries_;
  size_t next_ = 0;
  int64_t parsed_ = 0;
  int64_t reused_ = 0;
};

// What followers found, kept by each worker thread for itself, and its
// cache of parsed documents.
struct FollowerStats {
  // Failure descriptions kept (all are counted).
  static constexpr size_t kMaxMessages = 20;

  // Counts a failure and keeps its description if there is room.
  void Fail(std::string message);

  LatencyHistogram lag;
  int64_t notifications = 0;
  int64_t failures = 0;
  // Time inside Subscription::Poll, wall clock.
  int64_t poll_ns = 0;
  std::vector<std::string> messages;
  DocumentCache documents;
};

class SubscriptionFollower {
 public:
  // Follows `user`'s view of `conference`, whose requests are recorded in
  // `log` (not owned; must outlive the follower).
  SubscriptionFollower(std::string conference, std::string user,
                       const VersionLog* log);
  SubscriptionFollower(const SubscriptionFollower&) = delete;
  SubscriptionFollower& operator=(const SubscriptionFollower&) = delete;

  // The on_ready callback to subscribe with; valid while the follower is.
  std::function<void()> OnReady();

  // Takes the subscription made with OnReady. Call once, before Drain.
  void Attach(std::unique_ptr<focus::Subscription> subscription);

  // If on_ready rang, polls everything ready and checks and applies each
  // notification (Accept), recording into `stats`.
  void Drain(FollowerStats& stats);

  // Checks one notification and applies it, as Drain does for each it
  // polls, with `now_ns` (steady-clock nanoseconds) as the time it was
  // handed out.
  void Accept(const focus::Notification& notification, int64_t now_ns,
              FollowerStats& stats);

  // After the run, with no Drain running: a Poll that should find nothing.
  std::vector<focus::Notification> PollForgotten();

  const std::string& user() const { return user_; }
  // The version of the last notification applied.
  uint32_t version() const;
  uint64_t resynchronizations() const;
  size_t roster_size() const;
  // How the tracked roster differs from `expected` ("" when equal).
  std::string DifferenceFrom(const RosterTracker& expected) const;

 private:
  void AcceptLocked(const focus::Notification& notification, int64_t now_ns,
                    FollowerStats& stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string conference_;
  const std::string user_;
  const VersionLog* const log_;
  // Set by on_ready (on whichever thread delivers the change).
  std::atomic<bool> rung_{false};
  // Held by the thread that polls and applies.
  mutable Mutex mu_;
  RosterTracker tracker_ ABSL_GUARDED_BY(mu_);
  std::vector<focus::Notification> polled_ ABSL_GUARDED_BY(mu_);
  uint32_t last_conference_version_ ABSL_GUARDED_BY(mu_) = 0;
  // Declared last: destroyed first, which ends the subscription and its
  // on_ready calls before the members they touch go.
  std::unique_ptr<focus::Subscription> subscription_;
};

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_SUBSCRIPTION_FOLLOWER_H_
