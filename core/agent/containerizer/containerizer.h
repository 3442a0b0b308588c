// The containerizer: runs containers through the plugins, keeps their state, checkpoints
// it, and recovers it after an agent restart.
//
// Launch, for each container (DESIGN.md section 2): create the sandbox; each isolator's
// prepare() in --isolation order; merge the plan pieces; checkpoint the container; the
// launcher forks the first process, held at a barrier; each isolator's isolate(pid); the
// launcher lets the process exec; watch() on every isolator. A failure at any step destroys
// what exists and is reported with the plugin that failed. When the first process has
// exited (by itself or destroyed): the termination is checkpointed, the launcher ends what
// is left of the container, and every isolator's cleanup() runs in reverse order.
//
// Checkpoints (state/journal.h): every change of a container's state is written to the
// journal before anything that depends on it is answered, so a kill of the agent loses
// nothing. What must also survive a crash of the host (the container, its configuration and
// the isolators' checkpoints) is flushed before the launch is answered; the flush runs
// while the process starts. The rest (pids, terminations) is flushed in the background: a
// crash of the host ends every process they describe.
//
// Threading: all state lives on one executor (core/common/executor.h), which is also where
// plugins are called from (the ABI's [main-thread]): the HTTP server's I/O thread in the
// agent, so that an API call and the work it starts need no hop between threads, or a
// thread of the containerizer's own. Public methods may be called from any thread; their
// callbacks run on the executor or on a plugin's completing thread and must not block.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/v1/container.pb.h"
#include "berth/v1/isolator.pb.h"
#include "container_state.pb.h"
#include "core/agent/plugin_setup.h"
#include "core/agent/state/journal.h"
#include "core/common/executor.h"
#include "core/common/result.h"
#include "core/common/task_queue.h"

namespace berth::agent {

struct Termination {
  std::optional<int> wait_status;  // the first process's wait(2) status, when known
  std::string message;             // why, when the agent ended it or something failed
  // What an isolator reported (its watch hook), when that is why the container ended.
  std::optional<berth::v1::Limitation> limitation;
};

struct ContainerSnapshot {
  std::string id;
  int pid = 0;
  bool terminated = false;
  // Summed over every process of the container, read from /proc.
  double cpus_user_time_secs = 0;
  double cpus_system_time_secs = 0;
  uint64_t mem_rss_bytes = 0;
  uint32_t processes = 0;
};

enum class LaunchOutcome { kLaunched, kAlreadyLaunched };

class Containerizer {
 public:
  // `plugins` must provide a launcher and outlive this object. `executor`: where the state
  // lives and plugins are called from (null: a thread of this object's own); it must
  // outlive this object and have stopped running tasks before this object is destroyed.
  Containerizer(LoadedPlugins& plugins, std::string work_dir, Executor* executor = nullptr);
  ~Containerizer();
  Containerizer(const Containerizer&) = delete;
  Containerizer& operator=(const Containerizer&) = delete;

  // Reads the checkpoints, recovers the launcher and every isolator, and resumes watching
  // the containers still running. Containers that exited meanwhile get their real exit
  // status; processes of containers nobody knows are killed; a torn or corrupt checkpoint
  // is reported and skipped. Call once, before anything else.
  void recover(std::function<void(Status)> done);

  // Launches a container; `config.container_id` must be unique (a second launch of a live
  // id answers kAlreadyLaunched, as Mesos's 202). Done once the process has exec'd, with
  // the failing step's error otherwise.
  void launch(berth::v1::ContainerConfig config, std::function<void(Result<LaunchOutcome>)> done);

  // Done when the container has terminated; nullopt for an unknown container.
  void wait(const std::string& id, std::function<void(std::optional<Termination>)> done);

  // Sends `signal` to the container (SIGTERM gets a 3 s grace period before SIGKILL, as
  // Mesos's command executor). False for an unknown or already terminated container.
  void kill(const std::string& id, int signal, std::function<void(bool)> done);

  // Forgets a terminated container: its sandbox, runtime files and checkpoint. Fails for a
  // running or unknown one.
  void remove(const std::string& id, std::function<void(Status)> done);

  void containers(std::function<void(std::vector<ContainerSnapshot>)> done);

  // Destroys every container still running; `done` gets how many, once all have ended.
  void destroyAll(std::function<void(size_t)> done);

  // Damage found in the checkpoints during recover(), one text each.
  const std::vector<std::string>& recoveryErrors() const { return recovery_errors_; }

 private:
  struct Container;

  void prepareNext(std::shared_ptr<Container> c, size_t index);
  void launchProcess(std::shared_ptr<Container> c);
  void isolateNext(std::shared_ptr<Container> c, size_t index);
  void startProcess(std::shared_ptr<Container> c);
  void watchTermination(std::shared_ptr<Container> c);
  // Starts each isolator's watch; a limitation destroys the container with its reason.
  void watchIsolators(std::shared_ptr<Container> c);
  void onExit(std::shared_ptr<Container> c, Termination termination);
  void failLaunch(std::shared_ptr<Container> c, const std::string& why);
  void destroy(std::shared_ptr<Container> c, int signal, std::chrono::nanoseconds grace,
               std::string reason);
  void cleanupNext(std::shared_ptr<Container> c, size_t remaining, Termination termination);
  void finish(std::shared_ptr<Container> c, Termination termination);
  // remove(), on the executor.
  void removeNow(const std::string& id, std::function<void(Status)> done);
  // Deletes directory `path` in the background (see the .cc file).
  void discard(const std::string& path);
  // Writes the container's state to the journal; when `durable`, has it flushed, and the
  // launch is answered only once it is (answerLaunch()).
  Status checkpoint(std::shared_ptr<Container> c, bool durable);
  // Answers the launch once the process has exec'd and the durable records are flushed.
  void answerLaunch(std::shared_ptr<Container> c);
  // Marks the container ended in its state and checkpoints it.
  void recordTermination(std::shared_ptr<Container> c, const Termination& termination);

  // A launcher hook for container `c`, counted in its launcher_calls; `done` runs back on
  // the executor.
  void callLauncher(std::shared_ptr<Container> c, const char* hook, HookFn fn,
                    const std::string& request, bool deadline,
                    std::function<void(OperationOutcome)> done);
  // Runs a plugin hook from the executor; `done` runs back on the executor.
  void call(PluginInstance& plugin, const char* hook, HookFn fn, const std::string& id,
            const std::string& request, bool deadline, std::function<void(OperationOutcome)> done);

  LoadedPlugins& plugins_;
  const std::string work_dir_;
  Journal journal_;  // <work_dir>/meta/containers.journal: ContainerState by id
  std::map<std::string, std::shared_ptr<Container>> containers_;
  std::vector<std::string> recovery_errors_;
  uint64_t discarded_ = 0;  // directories discard()ed, for names in the trash
  // Posts to the executor. Shared with plugin and journal completions, which may arrive
  // after this object is gone: they find it ended and are dropped.
  class Lifeline : public std::enable_shared_from_this<Lifeline> {
   public:
    // `owned`: the executor when it is this containerizer's own, kept alive for posts that
    // come late (it drops them once stopped).
    Lifeline(Executor& executor, std::shared_ptr<Executor> owned)
        : executor_(executor), owned_(std::move(owned)) {}
    void post(std::function<void()> task) {
      if (!alive_) return;
      executor_.post([self = shared_from_this(), task = std::move(task)] {
        if (self->alive_) task();
      });
    }
    void end() { alive_ = false; }

   private:
    Executor& executor_;
    const std::shared_ptr<Executor> owned_;
    std::atomic<bool> alive_{true};
  };
  std::shared_ptr<TaskQueue> own_queue_;  // when no executor was given
  std::shared_ptr<Lifeline> queue_;       // ended first thing in the destructor
};

}  // namespace berth::agent
