// WorkerPool: a fixed set of threads that ParallelFor spreads the iterations
// of a loop over, for the batched RSA work of RecipientPool (WrapForMany,
// GetOrWrapForMany). A focus re-keys a conference for all its members every
// time one leaves; starting and joining threads for each batch costs more
// than the RSA operations of a small one, so the threads are started once,
// on the first call that can use them, and then wait for work.
//
//   ParallelFor(n, fn) ──job on the caller's stack──► jobs_ (FIFO, mu_)
//     caller: takes indices until none is left     workers: take the front
//     then waits until no worker is inside it      job's indices, then the
//                                                  next job's
//
// Indices are handed out by one atomic counter per job, so a call uses
// whichever threads are free: the caller always works on its own job, which
// therefore finishes even when every worker is busy with other callers' jobs
// (and ParallelFor may be called from inside `fn`).
//
// Shutdown: the destructor wakes the workers and joins them; none is ever
// detached. No ParallelFor may be running then (the owner outlives its
// callers), so no job is ever dropped.
//
// Thread-safety: ParallelFor may be called from any number of threads at
// once.
//
// Example:
//   conf::crypto::internal::WorkerPool workers(2);
//   std::vector<size_t> squares(100);
//   workers.ParallelFor(squares.size(), [&](size_t i) { squares[i] = i * i; });

#ifndef CONF_CRYPTO_INTERNAL_WORKER_POOL_H_
#define CONF_CRYPTO_INTERNAL_WORKER_POOL_H_

#include <condition_variable>  // NOLINT(build/c++11)
#include <cstddef>
#include <deque>
#include <thread>  // NOLINT(build/c++11)
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"

#include "base/mutex.h"

namespace conf::crypto::internal {

class WorkerPool {
 public:
  // A call of ParallelFor runs on up to `threads` threads: the caller's and
  // threads - 1 workers (none when `threads` is 1 or less). The workers start
  // with the first ParallelFor of more than one iteration.
  explicit WorkerPool(int threads);
  // Wakes and joins the workers. No ParallelFor may be running.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Threads a call may use, the caller's included (at least 1).
  int threads() const { return workers_wanted_ + 1; }

  // Workers started so far: 0 until the first call that can use them, then
  // threads() - 1 until destruction.
  int started_workers() const;

  // Calls fn(i) exactly once for each i in [0, n), on the calling thread and
  // the workers, in no particular order, and returns when every call has
  // returned; what the calls wrote is then visible to the caller. `fn` must
  // be safe to call from several threads at once for distinct i.
  void ParallelFor(size_t n, absl::FunctionRef<void(size_t)> fn);

 private:
  struct Job;

  // Starts the workers if they are not running.
  void StartWorkersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes `job` out of jobs_ if it is still there.
  void RemoveLocked(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Releases mu_ while waiting on `cv`.
  void Wait(std::condition_variable_any* cv) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop();

  const int workers_wanted_;
  mutable conf::Mutex mu_;
  // Jobs that may still have indices to hand out, oldest first. Each lives
  // on its caller's stack until ParallelFor returns.
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Signalled when a job is queued, and at shutdown.
  std::condition_variable_any work_cv_;
  // Signalled when a worker leaves a job.
  std::condition_variable_any done_cv_;
};

}  // namespace conf::crypto::internal

#endif  // CONF_CRYPTO_INTERNAL_WORKER_POOL_H_
