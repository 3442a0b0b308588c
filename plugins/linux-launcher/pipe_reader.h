// Reads a supervisor's pipe (its status, its exit status) until the launcher has what it
// waits for, without holding the plugin thread: through the host's event loop
// (berth_host.watch_fd, SDK 1.3) when the host offers it and the caller is on the plugin
// thread, so that the word wakes the thread that goes on with the operation anyway and no
// thread waits per container; else on a worker blocking in poll(2).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "berth/host.h"
#include "worker_pool.h"

namespace linux_launcher {

class PipeReader {
 public:
  // Why reading stopped.
  enum class End {
    kEnough,   // `enough` said so
    kClosed,   // end of file (or a read error): the writer is gone
    kStopped,  // the launcher is stopping
  };
  // Whether what was read so far is all the caller waits for. Called on the reading thread.
  using Enough = std::function<bool(const std::string& text)>;
  // Called once, after the reading stopped, with what was read (`text` passed to read()
  // included): on the plugin thread (`plugin_thread`) or a worker, so it must not block
  // (WorkerPool::run() for what does). The descriptor is the caller's again: `done` may
  // close it.
  using Done = std::function<void(std::string text, End end, bool plugin_thread)>;

  PipeReader(const berth_host* host, WorkerPool& workers);
  // stop()s.
  ~PipeReader();
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;

  // Reads `fd` (which the caller keeps open until `done`; blocking or not) after `text`,
  // already read from it, until `enough` or its end. `plugin_thread`: the caller is in a
  // hook, on the plugin thread, and the host may watch `fd` there.
  void read(int fd, std::string text, bool plugin_thread, Enough enough, Done done);

  // From destroy(), with the plugin thread gone: ends the watches, each with
  // End::kStopped. Workers reading stop within 0.1 s once stopping (WorkerPool::stop()
  // waits for them). Idempotent.
  void stop();

 private:
  struct Watch {
    PipeReader* reader;
    int fd;
    std::string text;
    Enough enough;
    Done done;
  };
  static void onReady(void* context, int32_t fd, berth_fd_events events);
  void finish(int fd, End end);
  // The blocking way, on a worker.
  void readOnWorker(int fd, std::string text, Enough enough, Done done);

  const berth_host* host_;
  WorkerPool& workers_;
  std::atomic<bool> stopping_{false};
  std::map<int, std::unique_ptr<Watch>> watches_;  // on the plugin thread only
};

}  // namespace linux_launcher
