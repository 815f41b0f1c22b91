// Linked into every benchmark binary: starts and joins one thread before
// main, so every benchmark runs in a process that has had two threads.
//
// libstdc++ updates shared_ptr reference counts with plain instructions
// while the process has never started a second thread
// (__libc_single_threaded), and with locked ones for good once it has. A
// focus is multi-threaded, so a benchmark must not be timed in the cheaper
// mode; and without this, a row run before the binary's first 2-thread row
// was timed in that mode and the same row run after it was not (the
// 1000-user join storm: 73 ms alone, 96 ms after the 2-thread rows).

#include <thread>  // NOLINT(build/c++11)

namespace conf::bench {
namespace {

const bool kMultithreaded = [] {
  std::thread([] {}).join();
  return true;
}();

}  // namespace
}  // namespace conf::bench
