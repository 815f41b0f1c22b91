#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "gtest/gtest.h"

#include "crypto/internal/worker_pool.h"

namespace conf::crypto::internal {
namespace {

// Each of the two iterations waits until the other has started, so a call
// of two iterations returns only if two threads ran it at once (a pool that
// ran both on one thread would hang, and the test time out). Returns the
// number of iterations the calling thread ran.
int RunOnTwoThreads(WorkerPool& workers) {
  std::atomic<int> started{0};
  std::atomic<int> on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  workers.ParallelFor(2, [&](size_t) {
    started.fetch_add(1);
    while (started.load() < 2) {
      std::this_thread::yield();
    }
    if (std::this_thread::get_id() == caller)
      on_caller.fetch_add(1);
  });
  return on_caller.load();
}

TEST(WorkerPoolTest, CallsEveryIndexExactlyOnce) {
  for (int threads : {0, 1, 2, 4}) {
    WorkerPool workers(threads);
    for (size_t n : {0, 1, 2, 3, 1000}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, n = " << n);
      std::vector<std::atomic<int>> calls(n);
      workers.ParallelFor(n, [&](size_t i) { calls[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(calls[i].load(), 1) << "index " << i;
      }
    }
  }
}

TEST(WorkerPoolTest, StartsWorkersOnTheFirstCallThatCanUseThem) {
  WorkerPool workers(3);
  EXPECT_EQ(workers.threads(), 3);
  EXPECT_EQ(workers.started_workers(), 0);
  int sum = 0;
  workers.ParallelFor(1, [&](size_t i) { sum += static_cast<int>(i) + 1; });
  EXPECT_EQ(sum, 1);
  EXPECT_EQ(workers.started_workers(), 0);  // one iteration runs inline
  // Two workers may take both iterations before the caller takes one.
  EXPECT_LE(RunOnTwoThreads(workers), 1);
  EXPECT_EQ(workers.started_workers(), 2);
}

TEST(WorkerPoolTest, OneThreadRunsInlineWithoutWorkers) {
  WorkerPool workers(1);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> ran(8);
  workers.ParallelFor(ran.size(),
                      [&](size_t i) { ran[i] = std::this_thread::get_id(); });
  for (const std::thread::id& id : ran) {
    EXPECT_EQ(id, caller);
  }
  EXPECT_EQ(workers.started_workers(), 0);
}

// The same worker serves call after call: a thread started per call would
// have run one iteration.
TEST(WorkerPoolTest, WorkersPersistBetweenCalls) {
  WorkerPool workers(2);
  constexpr int kCalls = 20;
  thread_local int iterations_here = 0;
  std::atomic<int> worker_iterations{0};
  const std::thread::id caller = std::this_thread::get_id();
  for (int call = 0; call < kCalls; ++call) {
    std::atomic<int> started{0};
    workers.ParallelFor(2, [&](size_t) {
      started.fetch_add(1);
      while (started.load() < 2) {
        std::this_thread::yield();
      }
      if (std::this_thread::get_id() != caller) {
        worker_iterations.store(++iterations_here);
      }
    });
  }
  EXPECT_EQ(worker_iterations.load(), kCalls);
  EXPECT_EQ(workers.started_workers(), 1);
}

TEST(WorkerPoolTest, ConcurrentCallersEachGetTheirOwnResults) {
  WorkerPool workers(3);
  constexpr int kCallers = 4;
  constexpr int kCalls = 50;
  constexpr size_t kSize = 64;
  std::vector<int> failures(kCallers, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int call = 0; call < kCalls; ++call) {
        std::vector<size_t> out(kSize, 0);
        workers.ParallelFor(kSize, [&](size_t i) {
          out[i] = i * kCallers + static_cast<size_t>(c) + 1;
        });
        for (size_t i = 0; i < kSize; ++i) {
          failures[c] += out[i] != i * kCallers + static_cast<size_t>(c) + 1;
        }
      }
    });
  }
  for (std::thread& caller : callers) {
    caller.join();
  }
  for (int c = 0; c < kCallers; ++c) {
    EXPECT_EQ(failures[c], 0) << "caller " << c;
  }
  EXPECT_EQ(workers.started_workers(), 2);
}

// The caller always works on its own job, so a call made from inside an
// iteration finishes even while every worker is busy with the outer one.
TEST(WorkerPoolTest, CallFromInsideAnIterationFinishes) {
  WorkerPool workers(2);
  std::vector<std::atomic<int>> calls(16 * 16);
  workers.ParallelFor(16, [&](size_t outer) {
    workers.ParallelFor(
        16, [&](size_t inner) { calls[outer * 16 + inner].fetch_add(1); });
  });
  for (const std::atomic<int>& count : calls) {
    EXPECT_EQ(count.load(), 1);
  }
}

TEST(WorkerPoolTest, DestroyedWhileIdle) {
  // Never used: nothing to join.
  { WorkerPool unused(4); }
  // Used, then idle: the workers are waiting for work when it goes.
  auto workers = std::make_unique<WorkerPool>(4);
  std::vector<std::atomic<int>> calls(100);
  workers->ParallelFor(calls.size(), [&](size_t i) { calls[i].fetch_add(1); });
  EXPECT_LE(RunOnTwoThreads(*workers), 1);
  EXPECT_EQ(workers->started_workers(), 3);
  workers.reset();
  for (const std::atomic<int>& count : calls) {
    EXPECT_EQ(count.load(), 1);
  }
}

}  // namespace
}  // namespace conf::crypto::internal
