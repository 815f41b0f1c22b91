// VersionLog: for one conference, when the request that produced each
// conference version started. A notification carries the conference version
// it was encoded for (codec::EncodedDocument::default_version), so whoever
// polls it can attribute it to its request, and measure its lag, without a
// lock held across the request and the Poll that hands it out.
//
// The load tool records version V + 1 before it sends a request to a
// conference at version V (under the conference's request ordering, which
// makes the tool the only writer), so the entry exists before any
// notification of V + 1 can. Entries live in a ring of kSlots; an entry is
// overwritten kSlots versions later, far beyond the focus's delta log (a
// subscriber that falls that far behind gets a full document of the current
// version instead).
//
// Thread-safety: one writer at a time, any number of concurrent readers.
// Lock-free: a reader that races with the overwrite of its slot gets
// std::nullopt, never a wrong time.

#ifndef CONF_TOOLS_LOAD_VERSION_LOG_H_
#define CONF_TOOLS_LOAD_VERSION_LOG_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace conf {
namespace load {

class VersionLog {
 public:
  static constexpr size_t kSlots = 1024;

  VersionLog() = default;
  VersionLog(const VersionLog&) = delete;
  VersionLog& operator=(const VersionLog&) = delete;

  // Records that the request producing `version` started at `start_ns`
  // (steady-clock nanoseconds). Versions are compared in their low 32 bits,
  // as documents carry them (xs:unsignedInt). Version 0 is never recorded.
  void Record(uint64_t version, int64_t start_ns);

  // The start recorded for `version`, or std::nullopt when none was (or it
  // has been overwritten).
  std::optional<int64_t> Find(uint64_t version) const;

 private:
  struct Slot {
    // The low 32 bits of the version, plus one (0: empty or being written).
    std::atomic<uint64_t> tag{0};
    std::atomic<int64_t> start_ns{0};
  };

  static uint64_t TagOf(uint64_t version) {
    return (version & 0xffffffffu) + 1;
  }

  std::array<Slot, kSlots> slots_;
};

}  // namespace load
}  // namespace conf

#endif  // CONF_TOOLS_LOAD_VERSION_LOG_H_
