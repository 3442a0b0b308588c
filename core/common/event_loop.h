// An executor that can also wait for file descriptors: its tasks and its descriptor
// callbacks run one at a time, on its thread. The HTTP server's I/O thread is one
// (HttpServer::executor()); IoThread (core/net/io_thread.h) is one on a thread of its own.
// The plugin host offers it to plugins as berth_host.watch_fd.
#pragma once

#include <cstdint>
#include <functional>

#include "core/common/executor.h"
#include "core/common/result.h"

namespace berth {

class EventLoop : public Executor {
 public:
  // Bits of what a descriptor is ready for. End of file, hang-up and errors count as
  // readable, as poll(2) reports them.
  enum : uint32_t { kReadable = 1u << 0, kWritable = 1u << 1 };
  using Ready = std::function<void(uint32_t events)>;

  // Whether the caller runs on this loop (inside one of its tasks or callbacks).
  virtual bool inLoop() const = 0;

  // Thread-safe. Whether the loop has ended every watch and refuses new ones, as it does
  // when it stops: unwatch() is then allowed from any thread.
  virtual bool closed() const = 0;

  // Calls `ready` in the loop each time `fd` is ready for one of `events` (a subset is
  // passed), level-triggered: data left unread makes it ready again. Until unwatch(fd),
  // which the owner of `fd` must call before closing it. The descriptor's flags are as
  // they were once unwatched. Fails (the loop then watches nothing) outside the loop
  // (kFailedPrecondition), once closed (kUnavailable), for a descriptor already watched
  // (kAlreadyExists), a bad one (kInvalidArgument), or one epoll cannot wait for, such as a
  // regular file (kUnavailable).
  virtual Status watch(int fd, uint32_t events, Ready ready) = 0;

  // Only in the loop, or once closed(). No call of `ready` for `fd` starts after it
  // returns. Unknown descriptors are ignored.
  virtual void unwatch(int fd) = 0;
};

}  // namespace berth
