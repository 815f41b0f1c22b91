#include "base/mutex.h"

#include <chrono>  // NOLINT(build/c++11)
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "gtest/gtest.h"

namespace conf {
namespace {

struct Counter {
  Mutex mu;
  long value ABSL_GUARDED_BY(mu) = 0;
};

TEST(MutexTest, SerialisesIncrements) {
  Counter counter;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&counter.mu);
        ++counter.value;
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  MutexLock lock(&counter.mu);
  EXPECT_EQ(counter.value, long{kThreads} * kIncrements);
}

TEST(MutexTest, TryLockFailsWhileHeld) {
  Mutex mu;
  mu.Lock();
  bool acquired = true;
  std::thread other([&] {
    acquired = false;
    if (mu.TryLock()) {
      acquired = true;
      mu.Unlock();
    }
  });
  other.join();
  mu.Unlock();
  EXPECT_FALSE(acquired);
}

struct SharedCounter {
  SharedMutex mu;
  long value ABSL_GUARDED_BY(mu) = 0;
};

TEST(CondVarTest, WaiterSeesTheSignalledState) {
  conf::Mutex mu;
  conf::CondVar cv;
  bool ready = false;
  int seen = 0;
  std::thread waiter([&] {
    conf::MutexLock lock(&mu);
    while (!ready) {
      cv.Wait(&mu);
    }
    seen = 1;
  });
  {
    conf::MutexLock lock(&mu);
    ready = true;
  }
  cv.SignalAll();
  waiter.join();
  EXPECT_EQ(seen, 1);
}

TEST(CondVarTest, WaitForTimesOutWithoutSignal) {
  conf::Mutex mu;
  conf::CondVar cv;
  conf::MutexLock lock(&mu);
  bool signalled = true;
  // Spurious wakeups may end a wait early; a timeout must come eventually.
  for (int i = 0; i < 100 && signalled; ++i) {
    signalled = cv.WaitFor(&mu, std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(signalled);
}

TEST(SharedMutexTest, ReadersSeeConsistentValueWhileWritersRun) {
  SharedCounter counter;
  constexpr int kWrites = 20000;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      WriterMutexLock lock(&counter.mu);
      counter.value += 2;  // Always even under the lock.
    }
  });
  long odd_seen = 0;
  for (int i = 0; i < kWrites; ++i) {
    ReaderMutexLock lock(&counter.mu);
    odd_seen += counter.value % 2;
  }
  writer.join();
  ReaderMutexLock lock(&counter.mu);
  EXPECT_EQ(odd_seen, 0);
  EXPECT_EQ(counter.value, 2L * kWrites);
}

}  // namespace
}  // namespace conf
