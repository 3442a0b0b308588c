// The event loop on a thread of its own (and so the HTTP server's, the same StrandLoop):
// tasks, level-triggered descriptor watches, and their ends.

#include "core/net/io_thread.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <vector>

#include "tests/support/temp_dir.h"

namespace berth::net {
namespace {

using namespace std::chrono_literals;

// Runs `task` in the loop and waits for it.
template <typename F>
auto inLoop(IoThread& loop, F task) {
  std::promise<decltype(task())> done;
  loop.post([&] { done.set_value(task()); });
  auto future = done.get_future();
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

struct Pipe {
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int fds[2] = {-1, -1};
};

TEST(IoThreadTest, TasksRunInOrderInTheLoop) {
  IoThread loop;
  EXPECT_FALSE(loop.inLoop());
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 3; ++i) {
    loop.post([&, i] {
      EXPECT_TRUE(loop.inLoop());
      order.push_back(i);
      if (i == 2) done.set_value();
    });
  }
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

// Data left unread makes the descriptor ready again; reading it all stops the calls.
TEST(IoThreadTest, WatchesAreLevelTriggered) {
  IoThread loop;
  Pipe pipe;
  std::atomic<int> calls{0};
  std::promise<void> twice;
  ASSERT_TRUE(inLoop(loop, [&] {
    return static_cast<bool>(loop.watch(pipe.fds[0], EventLoop::kReadable, [&](uint32_t events) {
      EXPECT_EQ(events, EventLoop::kReadable);
      if (++calls == 2) {
        char buffer[8];
        EXPECT_EQ(::read(pipe.fds[0], buffer, sizeof(buffer)), 1);  // now empty
        twice.set_value();
      }
    }));
  }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls, 0) << "called before anything was written";
  ASSERT_EQ(::write(pipe.fds[1], "x", 1), 1);
  ASSERT_EQ(twice.get_future().wait_for(10s), std::future_status::ready);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls, 2);
  inLoop(loop, [&] {
    loop.unwatch(pipe.fds[0]);
    return true;
  });
}

TEST(IoThreadTest, UnwatchFromTheCallbackEndsTheCalls) {
  IoThread loop;
  Pipe pipe;
  std::atomic<int> calls{0};
  ASSERT_EQ(::write(pipe.fds[1], "x", 1), 1);  // never read: ready for ever
  ASSERT_TRUE(inLoop(loop, [&] {
    return static_cast<bool>(loop.watch(pipe.fds[0], EventLoop::kReadable, [&](uint32_t) {
      ++calls;
      loop.unwatch(pipe.fds[0]);
    }));
  }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls, 1);
}

TEST(IoThreadTest, EndOfFileIsReadableAndWritableIsReported) {
  IoThread loop;
  Pipe pipe;
  std::promise<uint32_t> read_end;
  std::promise<uint32_t> write_end;
  ASSERT_TRUE(inLoop(loop, [&] {
    return loop.watch(pipe.fds[0], EventLoop::kReadable, [&](uint32_t events) {
      loop.unwatch(pipe.fds[0]);
      read_end.set_value(events);
    }) && loop.watch(pipe.fds[1], EventLoop::kWritable, [&](uint32_t events) {
      loop.unwatch(pipe.fds[1]);
      write_end.set_value(events);
    });
  }));
  auto writable = write_end.get_future();
  ASSERT_EQ(writable.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(writable.get(), EventLoop::kWritable);
  // The writer goes: the reader sees the end of file as readable.
  inLoop(loop, [&] {
    ::close(std::exchange(pipe.fds[1], -1));
    return true;
  });
  auto readable = read_end.get_future();
  ASSERT_EQ(readable.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(readable.get(), EventLoop::kReadable);
}

TEST(IoThreadTest, BadWatchesAreRefusedNamingTheProblem) {
  IoThread loop;
  Pipe pipe;
  testing::TempDir dir;
  const std::string path = dir.file("regular");
  const int file = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  auto ignore = [](uint32_t) {};
  inLoop(loop, [&] {
    const Status negative = loop.watch(-1, EventLoop::kReadable, ignore);
    EXPECT_EQ(negative.error().code(), ErrorCode::kInvalidArgument);
    const Status nothing = loop.watch(pipe.fds[0], 0, ignore);
    EXPECT_EQ(nothing.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_TRUE(loop.watch(pipe.fds[0], EventLoop::kReadable, ignore));
    const Status twice = loop.watch(pipe.fds[0], EventLoop::kReadable, ignore);
    EXPECT_EQ(twice.error().code(), ErrorCode::kAlreadyExists);
    EXPECT_NE(twice.error().message().find("watched already"), std::string::npos);
    const Status regular = loop.watch(file, EventLoop::kReadable, ignore);
    EXPECT_EQ(regular.error().code(), ErrorCode::kUnavailable);
    EXPECT_NE(regular.error().message().find("descriptor " + std::to_string(file)),
              std::string::npos);
    loop.unwatch(pipe.fds[0]);
    return true;
  });
  ::close(file);
}

// The loop's waits make a descriptor non-blocking; unwatched, it is as it was.
TEST(IoThreadTest, AnUnwatchedDescriptorHasItsFlagsBack) {
  IoThread loop;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  inLoop(loop, [&] {
    EXPECT_TRUE(loop.watch(fds[0], EventLoop::kReadable, [](uint32_t) {}));
    return true;
  });
  inLoop(loop, [&] {
    loop.unwatch(fds[0]);
    return true;
  });
  EXPECT_EQ(::fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

// epoll refuses /dev/null; so does the loop, at once rather than at the first wait.
TEST(IoThreadTest, ADescriptorEpollRefusesIsRefused) {
  IoThread loop;
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null, 0);
  const Status refused =
      inLoop(loop, [&] { return loop.watch(null, EventLoop::kReadable, [](uint32_t) {}); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message().find("epoll cannot wait for it"), std::string::npos)
      << refused.error().message();
  ::close(null);
}

TEST(IoThreadTest, WatchingOutsideTheLoopIsRefused) {
  IoThread loop;
  Pipe pipe;
  const Status refused = loop.watch(pipe.fds[0], EventLoop::kReadable, [](uint32_t) {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
}

// stop() does not wait for watched descriptors that never become ready, and refuses new
// watches after.
TEST(IoThreadTest, StopEndsTheWatches) {
  IoThread loop;
  Pipe pipe;
  std::atomic<int> calls{0};
  ASSERT_TRUE(inLoop(loop, [&] {
    return static_cast<bool>(
        loop.watch(pipe.fds[0], EventLoop::kReadable, [&](uint32_t) { ++calls; }));
  }));
  loop.stop();
  ASSERT_EQ(::write(pipe.fds[1], "x", 1), 1);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(loop.closed());
  loop.unwatch(pipe.fds[0]);  // allowed once stopped
  const Status after = loop.watch(pipe.fds[0], EventLoop::kReadable, [](uint32_t) {});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kUnavailable);
  bool ran = false;
  loop.post([&] { ran = true; });
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace berth::net
