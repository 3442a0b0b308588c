// The linux-launcher plugin: runs containers as processes in namespaces and a cgroup,
// under a berth-supervisor process each (see supervisor.c), which survives agent restarts
// and records exit statuses.
//
// Configuration:
//   runtime_dir  where per-container launch files and exit statuses live
//                (default /var/run/berth/linux-launcher; $TMPDIR/berth/... when not root)
//   supervisor   path of berth-supervisor (default: beside this plugin's .so)
//   cgroup_root  cgroup hierarchy to use (default: detected)
//   cgroup_parent  the cgroup holding this agent's containers (default "berth"); every
//                agent on a host needs its own, or each takes the other's containers for
//                orphans at recovery
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/cpp/plugin.h"
#include "cgroups.h"

namespace linux_launcher {

class LinuxLauncher : public berth::cpp::LauncherPlugin {
 public:
  static std::unique_ptr<LinuxLauncher> create(const berth_host* host, std::string* error);
  LinuxLauncher(const berth_host* host, std::string runtime_dir, std::string supervisor,
                std::string cgroup_root, std::string cgroup_parent);
  ~LinuxLauncher() override;

  void recover(berth::cpp::Operation op, berth_bytes request) override;
  void launch(berth::cpp::Operation op, berth_bytes request) override;
  void start(berth::cpp::Operation op, berth_bytes request) override;
  void wait(berth::cpp::Operation op, berth_bytes request) override;
  void destroy(berth::cpp::Operation op, berth_bytes request) override;
  void status(berth::cpp::Operation op, berth_bytes request) override;

 private:
  struct Container {
    pid_t supervisor = -1;
    pid_t pid = -1;
    int status_fd = -1;  // read end: "ready", "error", then EOF at exec
    int start_fd = -1;   // write end of the barrier
  };

  // Runs `work` on a thread of its own. Finished threads are joined when the next one
  // starts (an unjoined thread keeps its stack), the rest when the plugin is destroyed;
  // long work polls stopping().
  void spawn(std::function<void()> work);
  bool stopping() const { return stopping_; }
  std::string containerDir(const std::string& id) const { return runtime_dir_ + "/" + id; }

  const std::string runtime_dir_;
  const std::string supervisor_;
  const Cgroups cgroups_;

  std::mutex mutex_;
  std::map<std::string, Container> containers_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::vector<Worker> threads_;
  std::atomic<bool> stopping_{false};
};

}  // namespace linux_launcher
