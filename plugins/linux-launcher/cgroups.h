// Tracking a container's processes with a cgroup, so that destroy reaches every one of
// them, including those that double-forked away from the first process.
//
// Uses cgroup v2 where it is the whole hierarchy (/sys/fs/cgroup/cgroup.controllers), else
// the v1 freezer controller, which also stops forks while the cgroup is being emptied.
// Hybrid hosts (v1 controllers plus a v2 tree with none of them) take the v1 path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "process_tracker.h"

namespace linux_launcher {

class Cgroups : public ProcessTracker {
 public:
  // `root`: the hierarchy to use, empty for auto-detection. `parent`: the cgroup, under
  // it, that holds this agent's containers; two agents on one host need different ones.
  explicit Cgroups(std::string root = "", std::string parent = "berth");

  // Where container cgroups live, e.g. /sys/fs/cgroup/freezer/berth. Empty if neither a v2
  // hierarchy nor a v1 freezer is mounted; error() says why.
  const std::string& base() const { return base_; }
  const std::string& error() const { return error_; }
  bool v2() const { return v2_; }

  // Creates the container's cgroup, which the supervisor makes its first process's.
  std::string prepare(const std::string& container_id, std::string* cgroup) const override;
  // Nothing left to do: the process was born into the cgroup (supervisor.c, fork_into()).
  std::string add(const std::string& container_id, pid_t pid) const override;
  std::vector<pid_t> pids(const std::string& container_id) const override;
  // The ids of every container cgroup present.
  std::vector<std::string> containers() const override;
  // As ProcessTracker, then removes the cgroup.
  bool releaseIfEmpty(const std::string& container_id) const override;
  std::string destroy(const std::string& container_id, int signal,
                      std::chrono::nanoseconds grace) const override;

 private:
  std::string path(const std::string& id) const { return base_ + "/" + id; }
  void signalAll(const std::string& id, int signal) const;

  std::string base_;
  std::string error_;
  bool v2_ = false;
};

}  // namespace linux_launcher
