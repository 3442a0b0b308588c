// A thread that runs posted tasks one at a time, in order: the agent's plugin thread.
// Everything that touches containerizer state runs here, so that state needs no locks and
// plugin hooks are called one at a time, as the ABI promises.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/common/executor.h"

namespace berth {

class TaskQueue final : public Executor {
 public:
  TaskQueue() : thread_([this] { run(); }) {}
  ~TaskQueue() override { stop(); }

  // Runs the tasks already posted, then stops the thread; later posts are dropped.
  // Idempotent. Not from a task.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Thread-safe. Tasks posted after stop() began are dropped.
  void post(std::function<void()> task) override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth
