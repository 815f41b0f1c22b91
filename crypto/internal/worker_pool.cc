#include <openssl/base.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "crypto/ requires BoringSSL's <openssl/base.h>"
#endif

#include <assert.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "crypto/internal/worker_pool.h"

namespace conf::crypto::internal {
namespace {

// conf::Mutex as the BasicLockable that std::condition_variable_any releases
// while it waits and takes again before it returns. The caller holds the
// mutex before and after, which the thread-safety analysis checks at the
// call; the release inside the wait is invisible to it.
class WaitLock {
 public:
  explicit WaitLock(conf::Mutex* mu) : mu_(mu) {}
  void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Lock(); }
  void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Unlock(); }

 private:
  conf::Mutex* const mu_;
};

}  // namespace

// One ParallelFor call. Every thread that works on it takes the next index
// from `next` until they run out; `helpers` (under the pool's mu_) counts
// the workers inside Run, which the caller waits out before the job leaves
// its stack.
struct WorkerPool::Job {
  Job(size_t size, absl::FunctionRef<void(size_t)> function)
      : n(size), fn(function) {}

  void Run() {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(i);
    }
  }

  const size_t n;
  const absl::FunctionRef<void(size_t)> fn;
  std::atomic<size_t> next{0};
  int helpers = 0;  // under WorkerPool::mu_
};

WorkerPool::WorkerPool(int threads)
    : workers_wanted_(std::max(threads, 1) - 1) {}

WorkerPool::~WorkerPool() {
  std::vector<std::thread> workers;
  {
    conf::MutexLock lock(&mu_);
    assert(jobs_.empty());  // a ParallelFor outlived the pool
    stopping_ = true;
    workers.swap(workers_);
  }
  work_cv_.notify_all();
  for (std::thread& worker : workers) {
    worker.join();
  }
}

int WorkerPool::started_workers() const {
  conf::MutexLock lock(&mu_);
  return static_cast<int>(workers_.size());
}

void WorkerPool::ParallelFor(size_t n, absl::FunctionRef<void(size_t)> fn) {
  if (n <= 1 || workers_wanted_ == 0) {
    for (size_t i = 0; i < n; ++i) {
      fn(i);
    }
    return;
  }
  Job job(n, fn);
  {
    conf::MutexLock lock(&mu_);
    StartWorkersLocked();
    jobs_.push_back(&job);
  }
  // The caller takes indices too, so n - 1 workers are the most a job uses.
  const size_t wake = std::min(n - 1, static_cast<size_t>(workers_wanted_));
  for (size_t i = 0; i < wake; ++i) {
    work_cv_.notify_one();
  }
  job.Run();
  // Every index is taken. Workers that joined the job may still be running
  // theirs; no other can join once it is out of the queue.
  conf::MutexLock lock(&mu_);
  RemoveLocked(&job);
  while (job.helpers > 0) {
    Wait(&done_cv_);
  }
}

void WorkerPool::StartWorkersLocked() {
  if (!workers_.empty())
    return;
  workers_.reserve(static_cast<size_t>(workers_wanted_));
  for (int i = 0; i < workers_wanted_; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

void WorkerPool::RemoveLocked(Job* job) {
  auto it = std::find(jobs_.begin(), jobs_.end(), job);
  if (it != jobs_.end())
    jobs_.erase(it);
}

void WorkerPool::Wait(std::condition_variable_any* cv) {
  WaitLock lock(&mu_);
  cv->wait(lock);
}

void WorkerPool::WorkerLoop() {
  mu_.Lock();
  for (;;) {
    while (jobs_.empty() && !stopping_) {
      Wait(&work_cv_);
    }
    if (jobs_.empty())
      break;  // stopping, and nothing is left to do
    Job* job = jobs_.front();
    ++job->helpers;
    mu_.Unlock();
    job->Run();
    mu_.Lock();
    // Its indices are all taken: later workers go to the next job.
    RemoveLocked(job);
    if (--job->helpers == 0)
      done_cv_.notify_all();
  }
  mu_.Unlock();
}

}  // namespace conf::crypto::internal
