// Threads for the launcher's blocking work (waiting for a supervisor's word or its exit,
// destroying with a grace period). A task runs on an idle worker when there is one, else
// on a new thread: waking a thread costs a quarter of starting one (10 vs 40 us here),
// several times per launch. Up to kMaxIdle workers stay for the next tasks; the rest end.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace linux_launcher {

class WorkerPool {
 public:
  static constexpr size_t kMaxIdle = 4;

  WorkerPool() = default;
  // stop()s.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a worker. Tasks never wait for one another. Throws std::system_error,
  // and will not run `task`, when no thread can be started for it.
  void run(std::function<void()> task);

  // Lets every task given so far run to its end (long ones must watch for the owner's
  // stopping) and joins every worker. Further run() calls are ignored.
  void stop();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::list<std::thread> workers_;
  std::vector<std::thread> ended_;  // workers that left; joined by the next run() or stop()
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace linux_launcher
