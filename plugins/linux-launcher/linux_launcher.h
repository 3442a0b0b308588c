// The linux-launcher plugin: runs containers as processes in namespaces and a cgroup,
// under a berth-supervisor process each (see supervisor.c), which survives agent restarts
// and records exit statuses. The posix-launcher plugin (plugins/posix-launcher) is the same
// code without namespaces and with sessions instead of cgroups, for agents not run as root.
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
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "berth/cpp/plugin.h"
#include "pipe_reader.h"
#include "process_tracker.h"
#include "worker_pool.h"
#include "zygote_client.h"

namespace linux_launcher {

// The configuration of a launcher built on this code (linux-launcher, posix-launcher).
struct LauncherConfig {
  std::string runtime_dir;
  std::string supervisor;
  std::string cgroup_root;              // linux-launcher only
  std::string cgroup_parent = "berth";  // linux-launcher only
};

// Reads and checks plugin `name`'s configuration (`cgroups`: whether the cgroup keys
// exist) and creates its runtime_dir. Returns nullopt and sets *error naming the problem.
std::optional<LauncherConfig> parseLauncherConfig(const berth_host* host, const std::string& name,
                                                  bool cgroups, std::string* error);

class LinuxLauncher : public berth::cpp::LauncherPlugin {
 public:
  static std::unique_ptr<LinuxLauncher> create(const berth_host* host, std::string* error);
  // `namespaces`: whether launch plans may ask for namespaces and mounts (the posix
  // launcher refuses them, naming what was asked).
  LinuxLauncher(const berth_host* host, LauncherConfig config,
                std::unique_ptr<ProcessTracker> tracker, bool namespaces);
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
    int status_fd = -1;       // read end: "ready", "error", then EOF at exec
    int start_fd = -1;        // write end of the barrier
    int pidfd = -1;           // the supervisor's, from the zygote; wait() takes it
    int exit_fd = -1;         // read end of the exit pipe (supervisor.h); wait() takes it
    std::string status_read;  // read from status_fd past the "ready" line
  };

  // Runs `work` on a worker thread of its own; long work polls stopping().
  void spawn(std::function<void()> work);
  bool stopping() const { return stopping_; }
  // Completes a wait with the exit status `text` (supervisor.h; "" when none was recorded),
  // once every process of the container is gone.
  void finishWait(berth::cpp::Operation op, const std::string& id, std::string text,
                  bool plugin_thread);
  // Blocks until `supervisor` is gone (through `pidfd`, closed here, when >= 0). False when
  // the plugin stops first.
  bool awaitGone(pid_t supervisor, int pidfd);
  std::string containerDir(const std::string& id) const { return runtime_dir_ + "/" + id; }

  const std::string runtime_dir_;
  const std::string supervisor_;
  const std::unique_ptr<ProcessTracker> tracker_;
  const bool namespaces_;
  ZygoteClient zygote_;

  std::mutex mutex_;
  std::map<std::string, Container> containers_;
  // Containers launched without a hold (LaunchRequest.hold), from their launch to start():
  // "" when the exec succeeded, else why it failed.
  std::map<std::string, std::string> exec_outcomes_;
  std::atomic<bool> stopping_{false};
  WorkerPool workers_;  // stopped first, while everything its tasks use exists
  PipeReader reader_{host(), workers_};
};

}  // namespace linux_launcher
