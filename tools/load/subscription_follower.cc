#include "tools/load/subscription_follower.h"

#include <chrono>  // NOLINT(build/c++11)
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "codec/conference_info_reader.h"

namespace conf {
namespace load {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The NOTIFY body (Notification::Bytes) written straight into the buffer
// the parse takes over: one copy of the shared bytes, one allocation.
std::vector<char> BodyOf(const focus::Notification& n) {
  const absl::string_view prefix = n.document.prefix();
  const absl::AlphaNum version(n.version);
  const absl::string_view suffix = n.document.suffix();
  std::vector<char> body;
  body.reserve(prefix.size() + version.size() + suffix.size());
  body.insert(body.end(), prefix.begin(), prefix.end());
  body.insert(body.end(), version.data(), version.data() + version.size());
  body.insert(body.end(), suffix.begin(), suffix.end());
  return body;
}

}  // namespace

absl::StatusOr<const codec::ConferenceInfoDocument*> DocumentCache::Parse(
    const focus::Notification& n) {
  const absl::string_view prefix = n.document.prefix();
  for (Entry& e : entries_) {
    if (e.bytes.has_value() && e.bytes->prefix().data() == prefix.data() &&
        e.bytes->suffix().data() == n.document.suffix().data()) {
      ++reused_;
      return &*e.document;
    }
  }
  absl::StatusOr<codec::ConferenceInfoDocument> doc =
      codec::ParseConferenceInfo(BodyOf(n));
  if (!doc.ok()) {
    return doc.status();
  }
  ++parsed_;
  Entry& e = entries_[next_];
  next_ = (next_ + 1) % kEntries;
  e.bytes = n.document;
  e.document.emplace(*std::move(doc));
  return &*e.document;
}

void FollowerStats::Fail(std::string message) {
  ++failures;
  if (messages.size() < kMaxMessages) {
    messages.push_back(std::move(message));
  }
}

SubscriptionFollower::SubscriptionFollower(std::string conference,
                                           std::string user,
                                           const VersionLog* log)
    : conference_(std::move(conference)), user_(std::move(user)), log_(log) {}

std::function<void()> SubscriptionFollower::OnReady() {
  return [this] { rung_.store(true, std::memory_order_release); };
}

void SubscriptionFollower::Attach(
    std::unique_ptr<focus::Subscription> subscription) {
  subscription_ = std::move(subscription);
}

void SubscriptionFollower::Drain(FollowerStats& stats) {
  // Whoever holds mu_ looks at rung_ again after releasing it, so leaving a
  // wake-up to the holder loses nothing.
  while (rung_.load(std::memory_order_acquire)) {
    if (!mu_.TryLock()) {
      return;
    }
    if (rung_.exchange(false, std::memory_order_acq_rel)) {
      const int64_t start = NowNanos();
      subscription_->Poll(&polled_);
      const int64_t now = NowNanos();
      stats.poll_ns += now - start;
      for (const focus::Notification& n : polled_) {
        AcceptLocked(n, now, stats);
      }
      polled_.clear();
    }
    mu_.Unlock();
  }
}

void SubscriptionFollower::Accept(const focus::Notification& notification,
                                  int64_t now_ns, FollowerStats& stats) {
  MutexLock lock(&mu_);
  AcceptLocked(notification, now_ns, stats);
}

void SubscriptionFollower::AcceptLocked(const focus::Notification& n,
                                        int64_t now_ns, FollowerStats& stats) {
  ++stats.notifications;
  if (n.version != tracker_.version() + 1) {
    stats.Fail(absl::StrCat(conference_, " ", user_, ": version ", n.version,
                            " after ", tracker_.version()));
  }
  const uint32_t conference_version = n.document.default_version();
  if (conference_version <= last_conference_version_) {
    stats.Fail(absl::StrCat(conference_, " ", user_, ": conference version ",
                            conference_version, " after ",
                            last_conference_version_));
  }
  last_conference_version_ = conference_version;
  if (std::optional<int64_t> start = log_->Find(conference_version)) {
    stats.lag.Record(now_ns - *start);
  } else {
    stats.Fail(absl::StrCat(
        conference_, " ", user_, ": a notification of conference version ",
        conference_version, ", which no request of the tool produced"));
  }
  absl::StatusOr<const codec::ConferenceInfoDocument*> doc =
      stats.documents.Parse(n);
  absl::Status applied =
      doc.ok() ? tracker_.Apply(**doc, n.version) : doc.status();
  if (!applied.ok()) {
    stats.Fail(absl::StrCat(conference_, " ", user_, ": ", applied.message()));
  }
}

std::vector<focus::Notification> SubscriptionFollower::PollForgotten() {
  MutexLock lock(&mu_);
  return subscription_->Poll();
}

uint32_t SubscriptionFollower::version() const {
  MutexLock lock(&mu_);
  return tracker_.version();
}

uint64_t SubscriptionFollower::resynchronizations() const {
  return subscription_->resynchronizations();
}

size_t SubscriptionFollower::roster_size() const {
  MutexLock lock(&mu_);
  return tracker_.roster().size();
}

std::string SubscriptionFollower::DifferenceFrom(
    const RosterTracker& expected) const {
  MutexLock lock(&mu_);
  return tracker_.Difference(expected);
}

}  // namespace load
}  // namespace conf
