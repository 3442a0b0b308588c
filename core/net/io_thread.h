// An event loop on a thread of its own, for what needs one without an HTTP server: tools,
// tests of code that runs on the agent's I/O thread.
#pragma once

#include <functional>
#include <memory>

#include "core/common/event_loop.h"

namespace berth::net {

class IoThread final : public EventLoop {
 public:
  // Starts the thread; `on_start` runs on it first.
  explicit IoThread(std::function<void()> on_start = nullptr);
  // stop()s.
  ~IoThread() override;

  // Runs the tasks already posted, ends every watch, then stops the thread; later posts
  // are dropped and later watches refused, and unwatch() may be called from any thread.
  // Idempotent. Not from the loop.
  void stop();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  void post(std::function<void()> task) override;
  bool inLoop() const override;
  bool closed() const override;
  Status watch(int fd, uint32_t events, Ready ready) override;
  void unwatch(int fd) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::net
