// Tracking a container's processes by session, for the posix launcher, which runs without
// root and so without cgroups (Mesos's PosixLauncher tracks by pid the same way).
//
// Each container's supervisor is a session leader (setsid) and everything the container
// starts inherits its session, so the container is every process of that session but the
// leader. A process that calls setsid() itself escapes: only cgroups (the linux launcher)
// hold every process.
#pragma once

#include <string>

#include "process_tracker.h"

namespace linux_launcher {

class Sessions : public ProcessTracker {
 public:
  // Records live under `runtime_dir`/<container id>/session.
  explicit Sessions(std::string runtime_dir);

  std::string prepare(const std::string& container_id, std::string* cgroup) const override;
  std::string add(const std::string& container_id, pid_t pid) const override;
  std::vector<pid_t> pids(const std::string& container_id) const override;
  std::vector<std::string> containers() const override;
  bool releaseIfEmpty(const std::string& container_id) const override;
  std::string destroy(const std::string& container_id, int signal,
                      std::chrono::nanoseconds grace) const override;

 private:
  std::string record(const std::string& id) const { return runtime_dir_ + "/" + id + "/session"; }

  const std::string runtime_dir_;
};

}  // namespace linux_launcher
