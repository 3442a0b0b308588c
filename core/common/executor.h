// Where a component's work runs: one task at a time, in the order posted, on a thread the
// executor chooses. TaskQueue (task_queue.h) is a thread of its own; the HTTP server offers
// its I/O thread (HttpServer::executor()), so that an API call and the work it starts need
// no hop between threads.
#pragma once

#include <functional>

namespace berth {

class Executor {
 public:
  virtual ~Executor() = default;
  // Thread-safe. Never runs `task` inside the call. Tasks posted once the executor has
  // stopped are dropped without running.
  virtual void post(std::function<void()> task) = 0;
};

}  // namespace berth
