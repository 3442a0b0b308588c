#include "worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>

namespace linux_launcher {
namespace {

using namespace std::chrono_literals;

// Two tasks that each wait for the other can only finish on two threads at once.
TEST(WorkerPoolTest, TasksNeverWaitForOneAnother) {
  WorkerPool pool;
  std::promise<void> first_started, second_started;
  std::promise<void> first_done, second_done;
  pool.run([&] {
    first_started.set_value();
    second_started.get_future().wait();
    first_done.set_value();
  });
  pool.run([&] {
    second_started.set_value();
    first_started.get_future().wait();
    second_done.set_value();
  });
  EXPECT_EQ(first_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(second_done.get_future().wait_for(10s), std::future_status::ready);
}

// One task at a time, each finished before the next: an idle worker takes each.
TEST(WorkerPoolTest, IdleWorkersTakeTheNextTasks) {
  WorkerPool pool;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 50; ++i) {
    std::promise<std::thread::id> ran;
    pool.run([&] { ran.set_value(std::this_thread::get_id()); });
    auto future = ran.get_future();
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
    threads.insert(future.get());
    std::this_thread::sleep_for(1ms);  // the worker goes back to idle
  }
  EXPECT_LE(threads.size(), WorkerPool::kMaxIdle) << "a thread was started for most tasks";
}

TEST(WorkerPoolTest, StopRunsWhatWasGivenAndIgnoresTheRest) {
  std::atomic<int> ran{0};
  WorkerPool pool;
  for (int i = 0; i < 20; ++i)
    pool.run([&] {
      std::this_thread::sleep_for(1ms);
      ++ran;
    });
  pool.stop();
  EXPECT_EQ(ran, 20);
  pool.run([&] { ++ran; });
  pool.stop();
  EXPECT_EQ(ran, 20);
}

}  // namespace
}  // namespace linux_launcher
