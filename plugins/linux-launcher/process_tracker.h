// How a launcher finds every process of a container, so that destroy reaches them all:
// a cgroup (cgroups.h, the linux launcher) or the supervisor's session (sessions.h, the
// posix launcher).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace linux_launcher {

class ProcessTracker {
 public:
  virtual ~ProcessTracker() = default;

  // Before the container's first process exists: makes what will track it. Sets *cgroup to
  // the cgroup directory the process must be born into, or "" (a session is inherited).
  // Returns an error text or "".
  virtual std::string prepare(const std::string& container_id, std::string* cgroup) const = 0;
  // Starts tracking the container whose first process is `pid`, now in what prepare() made.
  // Returns an error text or "".
  virtual std::string add(const std::string& container_id, pid_t pid) const = 0;
  // The container's live processes (its supervisor excluded).
  virtual std::vector<pid_t> pids(const std::string& container_id) const = 0;
  // The ids of every container tracked, including ones an earlier agent started.
  virtual std::vector<std::string> containers() const = 0;
  // Stops tracking the container if that takes no waiting: when it has no process left,
  // as usual once its first process has exited. False when it cannot tell so cheaply or
  // processes remain: destroy() then. Cheap enough for the plugin thread.
  virtual bool releaseIfEmpty(const std::string& container_id) const = 0;
  // Sends `signal` to every process; if some are left after `grace`, SIGKILLs until none
  // is; then stops tracking. Returns an error text or "".
  virtual std::string destroy(const std::string& container_id, int signal,
                              std::chrono::nanoseconds grace) const = 0;
};

// The shared part of destroy: `signal_all(signal)` once, then waiting up to `grace` for
// `empty()`, then `signal_all(SIGKILL)` until it is. Returns an error text or "".
std::string terminate(const std::string& container_id, int signal, std::chrono::nanoseconds grace,
                      const std::function<bool()>& empty,
                      const std::function<void(int)>& signal_all);

}  // namespace linux_launcher
