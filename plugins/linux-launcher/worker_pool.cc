#include "worker_pool.h"

#include "berth/cpp/short_slice.h"

namespace linux_launcher {

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::run(std::function<void()> task) {
  std::vector<std::thread> ended;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
    // Enough idle workers for every task waiting: one of them takes it.
    if (idle_ >= tasks_.size()) {
      wake = true;
    } else {
      try {
        workers_.emplace_back(&WorkerPool::work, this);
      } catch (...) {
        // No thread (out of them): the task is not run later either, by a worker started
        // for another; the caller hears of it.
        tasks_.pop_back();
        throw;
      }
    }
    ended.swap(ended_);
  }
  // Outside the lock: a worker woken with a short slice preempts this thread at once, and
  // would only find the lock taken (traced: two more context switches).
  if (wake) wake_.notify_one();
  for (auto& thread : ended)
    thread.join();
}

void WorkerPool::work() {
  // A worker mostly waits for a supervisor's word or a container's exit, and the launch or
  // the WAIT it answers waits for it in turn: woken on the CPU where the container's process
  // runs, it should not wait for that process's time slice to end.
  berth::cpp::requestShortSlice();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    if (stopping_) return;  // stop() joins this thread
    if (idle_ >= kMaxIdle) break;
    ++idle_;
    wake_.wait(lock);
    --idle_;
  }
  // Leaving while others idle: the thread object goes where the next run() joins it.
  const auto self = std::this_thread::get_id();
  for (auto it = workers_.begin(); it != workers_.end(); ++it) {
    if (it->get_id() == self) {
      ended_.push_back(std::move(*it));
      workers_.erase(it);
      break;
    }
  }
}

void WorkerPool::stop() {
  std::list<std::thread> workers;
  std::vector<std::thread> ended;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
    ended.swap(ended_);
  }
  wake_.notify_all();
  for (auto& thread : workers)
    thread.join();
  for (auto& thread : ended)
    thread.join();
}

}  // namespace linux_launcher
