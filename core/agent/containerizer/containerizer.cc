#include "core/agent/containerizer/containerizer.h"

#include <glog/logging.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "berth/v1/isolator.pb.h"
#include "berth/v1/launcher.pb.h"
#include "core/agent/containerizer/launch_plan_merge.h"
#include "core/agent/state/legacy_checkpoints.h"

namespace berth::agent {

using namespace std::chrono_literals;

struct Containerizer::Container {
  berth::agent::ContainerState state;
  enum class Phase { kPreparing, kIsolating, kStarting, kRunning, kDestroying, kTerminated };
  Phase phase = Phase::kPreparing;
  std::vector<PlanPiece> pieces;
  size_t prepared = 0;  // isolators whose prepare() was called: they get cleanup()
  std::function<void(Result<LaunchOutcome>)> launched;
  bool started = false;  // the process has exec'd: the launch succeeded
  int unflushed = 0;     // flushes of records that must be durable before the launch answers
  std::vector<std::function<void(std::optional<Termination>)>> waiters;
  std::optional<Termination> termination;
  std::string destroy_reason;
  std::optional<berth::v1::Limitation> limitation;  // why it is destroyed, if an isolator said
  std::optional<Termination> exited_early;          // the exit, when it beat start()'s answer
  bool launch_issued = false;                       // the launcher was asked to launch it
  bool launcher_forgets = false;  // onExit(): the launcher's destroy follows WAIT's answer
  // Launcher operations in flight for it (callLauncher()). A REMOVE waits for them: the same
  // id launched again meanwhile would have its new files and cgroup removed by an old one.
  int launcher_calls = 0;
  std::vector<std::function<void()>> after_launcher_calls;

  const std::string& id() const { return state.config().container_id(); }
};

namespace {

// Mesos's rules for container ids: non-empty, no '/', not "." or "..", printable.
Status validateId(const std::string& id) {
  if (id.empty()) return Error(ErrorCode::kInvalidArgument, "'container_id.value' is empty");
  if (id.find('/') != std::string::npos || id == "." || id == "..") {
    return Error(ErrorCode::kInvalidArgument,
                 "'container_id.value' '" + id + "' contains '/' or is '.' or '..'");
  }
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) {
      return Error(ErrorCode::kInvalidArgument,
                   "'container_id.value' '" + id + "' contains a non-printable character");
    }
  }
  return okStatus();
}

// The launcher's request to end every process of `id`.
std::string destroyRequest(const std::string& id, int signal, std::chrono::nanoseconds grace) {
  berth::v1::DestroyRequest request;
  request.set_container_id(id);
  request.set_signal(signal);
  request.set_grace_period_ns(static_cast<uint64_t>(grace.count()));
  return request.SerializeAsString();
}

// CPU time and RSS of a process, from /proc/<pid>/stat.
void addProcessUsage(int pid, ContainerSnapshot& snapshot) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::vector<std::string> values;
  while (fields >> field)
    values.push_back(field);
  // After the command: state(0) ... utime(11) stime(12) ... rss(21), in pages and ticks.
  if (values.size() < 22) return;
  static const double kTicks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  snapshot.cpus_user_time_secs += std::stod(values[11]) / kTicks;
  snapshot.cpus_system_time_secs += std::stod(values[12]) / kTicks;
  snapshot.mem_rss_bytes += std::stoull(values[21]) * kPage;
  ++snapshot.processes;
}

}  // namespace

Containerizer::Containerizer(LoadedPlugins& plugins, std::string work_dir, Executor* executor)
    : plugins_(plugins),
      work_dir_(std::move(work_dir)),
      journal_(work_dir_ + "/meta/containers.journal"),
      own_queue_(executor == nullptr ? std::make_shared<TaskQueue>() : nullptr),
      queue_(
          std::make_shared<Lifeline>(executor != nullptr ? *executor : *own_queue_, own_queue_)) {
  CHECK(plugins_.launcher != nullptr) << "a containerizer needs a launcher";
}

Containerizer::~Containerizer() {
  queue_->end();
  if (own_queue_) own_queue_->stop();  // after the task it may be running
}

void Containerizer::call(PluginInstance& plugin, const char* hook, HookFn fn, const std::string& id,
                         const std::string& request, bool deadline,
                         std::function<void(OperationOutcome)> done) {
  // A hook that completes inside the call, as most isolators' do, continues once the call
  // has returned, without a turn through the queue: each turn is a system call and a cold
  // dispatch, six of them on the way from a launch to its exit (docs/benchmarks.md). One
  // completed later, or from another thread, is posted.
  struct Pending {
    std::function<void(OperationOutcome)> done;
    std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> calling{true};
    std::optional<OperationOutcome> inline_outcome;
  };
  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  plugins_.host->call(
      plugin, hook, fn, id, request, deadline, [queue = queue_, pending](OperationOutcome outcome) {
        if (pending->calling && std::this_thread::get_id() == pending->caller) {
          pending->inline_outcome = std::move(outcome);
          return;
        }
        queue->post([pending, outcome = std::move(outcome)] { pending->done(std::move(outcome)); });
      });
  pending->calling = false;
  if (pending->inline_outcome) pending->done(std::move(*pending->inline_outcome));
}

void Containerizer::discard(const std::string& path) {
  // A sandbox can hold gigabytes, and this thread serves the API: the directory is moved
  // out of the way at once (one rename, the trash being on the same file system) and
  // deleted on a thread of its own. An agent stopped meanwhile leaves it in the trash,
  // which recover() empties.
  const std::string trash = work_dir_ + "/trash";
  std::error_code ec;
  std::filesystem::create_directories(trash, ec);
  std::string target =
      trash + "/" + std::to_string(::getpid()) + "-" + std::to_string(++discarded_);
  std::filesystem::rename(path, target, ec);
  if (ec) target = path;  // deleted where it is
  std::thread([target] {
    std::error_code ignored;
    std::filesystem::remove_all(target, ignored);
  }).detach();
}

void Containerizer::callLauncher(std::shared_ptr<Container> c, const char* hook, HookFn fn,
                                 const std::string& request, bool deadline,
                                 std::function<void(OperationOutcome)> done) {
  ++c->launcher_calls;
  call(*plugins_.launcher, hook, fn, c->id(), request, deadline,
       [c, done = std::move(done)](OperationOutcome outcome) mutable {
         --c->launcher_calls;
         done(std::move(outcome));
         if (c->launcher_calls > 0) return;
         for (auto& then : std::exchange(c->after_launcher_calls, {}))
           then();
       });
}

Status Containerizer::checkpoint(std::shared_ptr<Container> c, bool durable) {
  // Written, a record survives the agent being killed. Only a crash of the host can lose
  // one not yet on disk, and those not durable are the ones whose loss then changes
  // nothing (see their callers): the kernel's writeback, or the next flush, takes them
  // there. No flush of their own, whose wake-up of the flusher lands on a launch's or an
  // exit's path (traced: it preempted the container's process).
  if (Status s = journal_.write(c->id(), c->state.SerializeAsString()); !s) return s;
  if (!durable) return okStatus();
  ++c->unflushed;
  journal_.flush([this, queue = queue_, c](Status flushed) {
    queue->post([this, c, flushed] {
      if (!flushed) {
        LOG(ERROR) << "Cannot flush the checkpoint of container '" << c->id()
                   << "': " << flushed.error().message();
      }
      --c->unflushed;
      if (!flushed && c->launched) return failLaunch(c, flushed.error().message());
      answerLaunch(c);
    });
  });
  return okStatus();
}

void Containerizer::answerLaunch(std::shared_ptr<Container> c) {
  if (c->launched && c->started && c->unflushed == 0) {
    std::exchange(c->launched, nullptr)(LaunchOutcome::kLaunched);
  }
}

// --- Launch ---------------------------------------------------------------------------

void Containerizer::launch(berth::v1::ContainerConfig config,
                           std::function<void(Result<LaunchOutcome>)> done) {
  queue_->post([this, config = std::move(config), done = std::move(done)]() mutable {
    if (Status valid = validateId(config.container_id()); !valid) return done(valid.error());
    if (containers_.count(config.container_id()) != 0) {
      return done(LaunchOutcome::kAlreadyLaunched);
    }
    const std::string sandbox = work_dir_ + "/containers/" + config.container_id();
    // One mkdir when <work_dir>/containers exists, as it does after the first launch: each
    // system call on the launch's path counts (docs/benchmarks.md).
    if (::mkdir(sandbox.c_str(), 0755) != 0) {
      std::error_code ec;
      std::filesystem::create_directories(sandbox, ec);
      if (ec) return done(errnoError("create sandbox '" + sandbox + "'", ec.value()));
    }
    config.set_sandbox_directory(sandbox);

    auto c = std::make_shared<Container>();
    *c->state.mutable_config() = std::move(config);
    c->launched = std::move(done);
    containers_[c->id()] = c;
    // The first checkpoint comes once the isolators have prepared, before the launcher is
    // asked for a process (launchProcess()). A crash before that leaves nothing unaccounted
    // for: isolators clean up containers recover() does not list.
    prepareNext(c, 0);
  });
}

void Containerizer::prepareNext(std::shared_ptr<Container> c, size_t index) {
  if (index == plugins_.isolators.size()) return launchProcess(c);
  PluginInstance& isolator = *plugins_.isolators[index];
  berth::v1::PrepareRequest request;
  *request.mutable_config() = c->state.config();
  c->prepared = index + 1;
  call(isolator, "prepare", isolator.isolator()->prepare, c->id(), request.SerializeAsString(),
       true, [this, c, index, &isolator](OperationOutcome outcome) {
         if (outcome.status != BERTH_OK) {
           return failLaunch(
               c, "isolator '" + isolator.name() + "' failed to prepare: " + outcome.message);
         }
         berth::v1::PrepareResult result;
         if (!outcome.payload.empty() && !result.ParseFromString(outcome.payload)) {
           return failLaunch(c, "isolator '" + isolator.name() +
                                    "' answered prepare with a malformed PrepareResult");
         }
         c->pieces.push_back({isolator.name(), result.plan()});
         if (result.has_checkpoint()) {
           (*c->state.mutable_isolator_checkpoints())[isolator.name()] = result.checkpoint();
         }
         prepareNext(c, index + 1);
       });
}

void Containerizer::launchProcess(std::shared_ptr<Container> c) {
  auto plan = mergeLaunchPlans(c->pieces);
  if (!plan) return failLaunch(c, plan.error().message());
  berth::v1::LaunchRequest request;
  *request.mutable_config() = c->state.config();
  *request.mutable_plan() = std::move(*plan);
  request.set_stdout_path(c->state.config().sandbox_directory() + "/stdout");
  request.set_stderr_path(c->state.config().sandbox_directory() + "/stderr");
  // Held before exec only for an isolator that acts on the pid in isolate().
  bool hold = false;
  for (PluginInstance* isolator : plugins_.isolators) {
    hold = hold || (isolator->isolator()->isolate != nullptr &&
                    (isolator->isolator()->capabilities & BERTH_ISOLATOR_NO_HOLD) == 0);
  }
  request.set_hold(hold);
  // The container, its configuration and what the isolators prepared must survive a crash
  // of the host (isolators clean up after it from their checkpoints), so the launch is
  // answered once this record is flushed. Flushed while the process starts; the flush is
  // set off before the launcher hands the request to a supervisor, whose CPU its set-up
  // would otherwise share. An agent killed before the launch finds the launcher's process
  // in no checkpoint, and destroys it.
  if (Status s = checkpoint(c, true); !s) return failLaunch(c, s.error().message());
  c->launch_issued = true;
  callLauncher(
      c, "launch", plugins_.launcher->launcher()->launch, request.SerializeAsString(), true,
      [this, c](OperationOutcome outcome) {
        berth::v1::LaunchResult result;
        const bool launched = outcome.status == BERTH_OK && result.ParseFromString(outcome.payload);
        if (c->phase != Container::Phase::kPreparing) {
          // Destroyed while the launcher worked: what it launched goes too, and the
          // container stays ended. The wait lets the launcher forget it once its first
          // process is gone, so that the id can be launched again after REMOVE.
          if (launched) {
            berth::v1::WaitRequest wait;
            wait.set_container_id(c->id());
            callLauncher(c, "wait", plugins_.launcher->launcher()->wait, wait.SerializeAsString(),
                         false, [this, c](OperationOutcome) {
                           // Now that the exit is collected, the launcher's files can go too.
                           callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                                        destroyRequest(c->id(), SIGKILL, 0ns), true,
                                        [](OperationOutcome) {});
                         });
            callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                         destroyRequest(c->id(), SIGKILL, 0ns), true, [](OperationOutcome) {});
          }
          return;
        }
        if (!launched) {
          return failLaunch(c, outcome.status != BERTH_OK
                                   ? outcome.message
                                   : "the launcher answered with a malformed LaunchResult");
        }
        c->state.set_pid(result.pid());
        c->state.set_launcher_checkpoint(result.checkpoint());
        c->phase = Container::Phase::kIsolating;
        // From here the process exists: its end is observed like any other's, also when
        // what follows fails.
        watchTermination(c);
        // Written before the launch is answered, so that a kill of the agent finds the
        // process; flushed in the background, not waited for: no process outlives a crash
        // of the host, and then the flushed record above says what was there.
        if (Status s = checkpoint(c, false); !s) return failLaunch(c, s.error().message());
        isolateNext(c, 0);
      });
}

void Containerizer::isolateNext(std::shared_ptr<Container> c, size_t index) {
  if (c->phase != Container::Phase::kIsolating) return;
  if (index == plugins_.isolators.size()) return startProcess(c);
  PluginInstance& isolator = *plugins_.isolators[index];
  // Nothing to do, and no round trip through the queue for it.
  if (isolator.isolator()->isolate == nullptr) return isolateNext(c, index + 1);
  berth::v1::IsolateRequest request;
  request.set_container_id(c->id());
  request.set_pid(c->state.pid());
  call(isolator, "isolate", isolator.isolator()->isolate, c->id(), request.SerializeAsString(),
       true, [this, c, index, &isolator](OperationOutcome outcome) {
         if (outcome.status != BERTH_OK) {
           return failLaunch(
               c, "isolator '" + isolator.name() + "' failed to isolate: " + outcome.message);
         }
         berth::v1::IsolateResult result;
         if (result.ParseFromString(outcome.payload) && result.has_checkpoint()) {
           // Needed to clean up after a crash of the host, like the prepared checkpoints.
           (*c->state.mutable_isolator_checkpoints())[isolator.name()] = result.checkpoint();
           if (Status s = checkpoint(c, true); !s) return failLaunch(c, s.error().message());
         }
         isolateNext(c, index + 1);
       });
}

void Containerizer::startProcess(std::shared_ptr<Container> c) {
  c->phase = Container::Phase::kStarting;
  berth::v1::StartRequest request;
  request.set_container_id(c->id());
  callLauncher(c, "start", plugins_.launcher->launcher()->start, request.SerializeAsString(), true,
               [this, c](OperationOutcome outcome) {
                 std::optional<Termination> exited = std::exchange(c->exited_early, std::nullopt);
                 if (outcome.status != BERTH_OK) {
                   if (!exited && c->phase != Container::Phase::kStarting) return;  // destroyed
                   if (!exited) return failLaunch(c, outcome.message);
                   // Exec failed and the process is already gone: report the exec error.
                   LOG(WARNING) << "Launch of container '" << c->id()
                                << "' failed: " << outcome.message;
                   c->destroy_reason = outcome.message;
                   if (c->launched) {  // unless a failed flush answered it already
                     std::exchange(c->launched,
                                   nullptr)(Error(ErrorCode::kInvalidArgument, outcome.message));
                   }
                   c->phase = Container::Phase::kDestroying;
                   return onExit(c, std::move(*exited));
                 }
                 if (c->phase != Container::Phase::kStarting) {
                   // Destroyed meanwhile; an exit that came first still ends the container.
                   if (exited) onExit(c, std::move(*exited));
                   return;
                 }
                 c->phase = Container::Phase::kRunning;
                 c->started = true;
                 watchIsolators(c);
                 answerLaunch(c);  // or once the records it waits for are flushed
                 if (exited) onExit(c, std::move(*exited));
               });
}

void Containerizer::watchIsolators(std::shared_ptr<Container> c) {
  for (PluginInstance* isolator : plugins_.isolators) {
    // Ended meanwhile (a watch or the launcher's wait completed inside its call): a watch
    // opened now would outlive the cleanup that is to complete it.
    if (c->phase != Container::Phase::kRunning) return;
    // No watch hook means no limitation ever; the generic "NULL hook completes at once"
    // would read as one.
    if (isolator->isolator()->watch == nullptr) continue;
    berth::v1::WatchRequest watch;
    watch.set_container_id(c->id());
    call(*isolator, "watch", isolator->isolator()->watch, c->id(), watch.SerializeAsString(), false,
         [this, c, isolator](OperationOutcome o) {
           if (o.status != BERTH_OK || c->phase != Container::Phase::kRunning) return;
           berth::v1::Limitation limitation;
           limitation.ParseFromString(o.payload);
           // As Mesos: the limitation's own message is the termination's.
           std::string message = limitation.message();
           if (message.empty())
             message = "isolator '" + isolator->name() + "' reported a limitation";
           LOG(WARNING) << "Isolator '" << isolator->name()
                        << "' reported a limitation of container '" << c->id() << "': " << message;
           if (c->destroy_reason.empty()) c->limitation = limitation;
           destroy(c, SIGKILL, 0ns, message);
         });
  }
}

void Containerizer::failLaunch(std::shared_ptr<Container> c, const std::string& why) {
  LOG(WARNING) << "Launch of container '" << c->id() << "' failed: " << why;
  if (c->launched) std::exchange(c->launched, nullptr)(Error(ErrorCode::kInvalidArgument, why));
  destroy(c, SIGKILL, 0ns, why);
}

// --- Termination ----------------------------------------------------------------------

void Containerizer::watchTermination(std::shared_ptr<Container> c) {
  berth::v1::WaitRequest request;
  request.set_container_id(c->id());
  callLauncher(
      c, "wait", plugins_.launcher->launcher()->wait, request.SerializeAsString(), false,
      [this, c](OperationOutcome outcome) {
        Termination termination;
        berth::v1::Termination result;
        if (outcome.status == BERTH_OK && result.ParseFromString(outcome.payload)) {
          if (result.has_wait_status()) termination.wait_status = result.wait_status();
          termination.message = result.message();
        } else {
          termination.message = "the launcher could not wait: " + outcome.message;
        }
        // A quick command can exit before the answer to start() is processed (one not
        // held, even before start() is asked); the exit is then handled once start() has
        // answered, so that the launch reports what really happened (started, or why exec
        // failed), or at once if the container is destroyed meanwhile (destroy()).
        if (c->phase == Container::Phase::kIsolating || c->phase == Container::Phase::kStarting) {
          c->exited_early = std::move(termination);
          return;
        }
        onExit(c, std::move(termination));
      });
}

void Containerizer::onExit(std::shared_ptr<Container> c, Termination termination) {
  if (!c->destroy_reason.empty()) termination.message = c->destroy_reason;
  termination.limitation = c->limitation;
  if (c->launched && !c->started) {
    std::exchange(c->launched, nullptr)(
        Error(ErrorCode::kInvalidArgument, "the container exited before it started"));
  }
  // The launcher's wait ended every process of the container (launcher.h); its destroy
  // only removes what it kept to track them, the exit status included, so it comes once
  // the end is recorded and WAIT is answered (finish()), off the path of that answer.
  // REMOVE waits for it (remove()); an agent killed before it ran has the launcher report
  // the container at recovery, and destroys it then.
  c->launcher_forgets = true;
  cleanupNext(c, c->prepared, std::move(termination));
}

void Containerizer::recordTermination(std::shared_ptr<Container> c,
                                      const Termination& termination) {
  c->state.set_terminated(true);
  if (termination.wait_status) c->state.set_wait_status(*termination.wait_status);
  c->state.set_message(termination.message);
  if (termination.limitation) *c->state.mutable_limitation() = *termination.limitation;
  if (Status s = checkpoint(c, false); !s) {
    LOG(ERROR) << "Cannot checkpoint the end of container '" << c->id()
               << "': " << s.error().message();
  }
}

void Containerizer::destroy(std::shared_ptr<Container> c, int signal,
                            std::chrono::nanoseconds grace, std::string reason) {
  // Ended already (its isolators may still be cleaning up after a restart).
  if (c->phase == Container::Phase::kTerminated || c->termination) return;
  if (c->destroy_reason.empty()) c->destroy_reason = std::move(reason);
  const bool has_process = c->state.has_pid();
  c->phase = Container::Phase::kDestroying;
  plugins_.host->tracker().cancelContainer(c->id());
  // Its process exited already, waiting for start() to answer: that is the end.
  if (auto exited = std::exchange(c->exited_early, std::nullopt)) {
    return onExit(c, std::move(*exited));
  }
  if (!has_process) {
    // A launch still under way (its operation timed out) may yet start a process: the
    // launcher ends what it has of it.
    if (c->launch_issued) {
      callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                   destroyRequest(c->id(), SIGKILL, 0ns), true, [](OperationOutcome) {});
    }
    // Killed while it was still being prepared: the launch fails with that.
    if (c->launched) {
      std::exchange(c->launched, nullptr)(
          Error(ErrorCode::kInvalidArgument, c->destroy_reason.empty()
                                                 ? "the container was killed before it started"
                                                 : c->destroy_reason));
    }
    // Nothing else was launched: the isolators that prepared clean up, and that is all.
    Termination termination;
    termination.message = c->destroy_reason;
    termination.limitation = c->limitation;
    return cleanupNext(c, c->prepared, std::move(termination));
  }
  // The termination arrives through the pending wait.
  callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
               destroyRequest(c->id(), signal, grace), true, [c](OperationOutcome outcome) {
                 if (outcome.status != BERTH_OK) {
                   LOG(ERROR) << "Destroying container '" << c->id()
                              << "' failed: " << outcome.message;
                 }
               });
}

void Containerizer::cleanupNext(std::shared_ptr<Container> c, size_t remaining,
                                Termination termination) {
  if (remaining == 0) return finish(c, std::move(termination));
  PluginInstance& isolator = *plugins_.isolators[remaining - 1];
  berth::v1::CleanupRequest request;
  request.set_container_id(c->id());
  call(isolator, "cleanup", isolator.isolator()->cleanup, c->id(), request.SerializeAsString(),
       true,
       [this, c, remaining, &isolator,
        termination = std::move(termination)](OperationOutcome outcome) mutable {
         if (outcome.status != BERTH_OK && outcome.status != BERTH_ERROR_NOT_FOUND) {
           LOG(ERROR) << "Isolator '" << isolator.name() << "' failed to clean up container '"
                      << c->id() << "': " << outcome.message;
         }
         cleanupNext(c, remaining - 1, std::move(termination));
       });
}

void Containerizer::finish(std::shared_ptr<Container> c, Termination termination) {
  c->phase = Container::Phase::kTerminated;
  // The end and the isolators' cleanup in one record, written before WAIT is answered and
  // before the launcher forgets the exit status it kept: an agent killed earlier finds the
  // container running and the launcher's record of its exit, and the isolators clean up
  // again, which they must bear. Its flush is not waited for: a crash of the host, which
  // could lose it, ends the launcher's record too, as it ends the runtime directory where
  // Mesos keeps its termination statuses.
  c->state.set_cleaned_up(true);
  recordTermination(c, termination);
  c->termination = termination;
  for (auto& waiter : std::exchange(c->waiters, {}))
    waiter(termination);
  if (std::exchange(c->launcher_forgets, false)) {
    // Behind the answers just given, whose writes are queued on this executor: the
    // launcher's destroy wakes one of its workers, which would preempt this thread first.
    // Counted as a launcher call from now, so that a REMOVE waits for it.
    ++c->launcher_calls;
    queue_->post([this, c] {
      --c->launcher_calls;
      callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                   destroyRequest(c->id(), SIGKILL, 0ns), true, [c](OperationOutcome o) {
                     if (o.status != BERTH_OK) {
                       LOG(ERROR) << "Cleaning up the processes of container '" << c->id()
                                  << "' failed: " << o.message;
                     }
                   });
    });
  }
}

// --- Wait, kill, remove, list -------------------------------------------------------

void Containerizer::wait(const std::string& id,
                         std::function<void(std::optional<Termination>)> done) {
  queue_->post([this, id, done = std::move(done)]() mutable {
    auto it = containers_.find(id);
    if (it == containers_.end()) return done(std::nullopt);
    if (it->second->termination) return done(it->second->termination);
    it->second->waiters.push_back(std::move(done));
  });
}

void Containerizer::kill(const std::string& id, int signal, std::function<void(bool)> done) {
  queue_->post([this, id, signal, done = std::move(done)] {
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second->phase == Container::Phase::kTerminated ||
        it->second->termination) {
      return done(false);
    }
    destroy(it->second, signal, signal == SIGKILL ? 0ns : std::chrono::nanoseconds(3s), "");
    done(true);
  });
}

void Containerizer::remove(const std::string& id, std::function<void(Status)> done) {
  queue_->post([this, id, done = std::move(done)]() mutable { removeNow(id, std::move(done)); });
}

void Containerizer::removeNow(const std::string& id, std::function<void(Status)> done) {
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return done(Error(ErrorCode::kNotFound, "Container '" + id + "' cannot be found"));
  }
  if (it->second->phase != Container::Phase::kTerminated && it->second->termination) {
    return done(Error(ErrorCode::kFailedPrecondition,
                      "Container '" + id +
                          "' has ended and its isolators are still cleaning "
                          "up; remove it again shortly"));
  }
  if (it->second->phase != Container::Phase::kTerminated) {
    return done(Error(ErrorCode::kFailedPrecondition,
                      "Container '" + id + "' is still running; kill it first"));
  }
  if (it->second->launcher_calls > 0) {
    // Moments at most: the launcher removes a few files and an empty cgroup.
    it->second->after_launcher_calls.push_back(
        [this, id, done = std::move(done)]() mutable { removeNow(id, std::move(done)); });
    return;
  }
  discard(it->second->state.config().sandbox_directory());
  if (Status s = journal_.writeErase(id); !s) return done(s);
  containers_.erase(it);
  // Answered once the removal is on disk, without holding this thread (which serves the
  // API) for the flush.
  journal_.flush([queue = queue_, done = std::move(done)](Status flushed) mutable {
    queue->post([flushed, done = std::move(done)] { done(flushed); });
  });
}

void Containerizer::containers(std::function<void(std::vector<ContainerSnapshot>)> done) {
  queue_->post([this, done = std::move(done)]() mutable {
    auto list = std::make_shared<std::vector<ContainerSnapshot>>();
    auto pending = std::make_shared<size_t>(1);
    auto finishOne = [list, pending, done = std::move(done)]() mutable {
      if (--*pending == 0) done(std::move(*list));
    };
    for (const auto& [id, c] : containers_) {
      ContainerSnapshot snapshot;
      snapshot.id = id;
      snapshot.pid = c->state.pid();
      snapshot.terminated = c->phase == Container::Phase::kTerminated || c->termination;
      list->push_back(snapshot);
      if (snapshot.terminated || !c->state.has_pid()) continue;
      // Usage covers every process of the container, which only the launcher knows.
      ++*pending;
      const size_t index = list->size() - 1;
      berth::v1::LauncherStatusRequest request;
      request.set_container_id(id);
      callLauncher(c, "status", plugins_.launcher->launcher()->status, request.SerializeAsString(),
                   true, [list, index, finishOne](OperationOutcome outcome) mutable {
                     berth::v1::LauncherStatus status;
                     if (outcome.status == BERTH_OK && status.ParseFromString(outcome.payload)) {
                       for (int pid : status.pids())
                         addProcessUsage(pid, (*list)[index]);
                     }
                     finishOne();
                   });
    }
    finishOne();
  });
}

void Containerizer::destroyAll(std::function<void(size_t)> done) {
  queue_->post([this, done = std::move(done)]() mutable {
    std::vector<std::shared_ptr<Container>> running;
    for (auto& [id, c] : containers_) {
      if (c->phase != Container::Phase::kTerminated && !c->termination) running.push_back(c);
    }
    if (running.empty()) return done(0);
    auto left = std::make_shared<size_t>(running.size());
    const size_t count = running.size();
    for (auto& c : running) {
      c->waiters.push_back([left, count, done](std::optional<Termination>) mutable {
        if (--*left == 0) done(count);
      });
      destroy(c, SIGKILL, 0ns, "destroyed by --recover=cleanup");
    }
  });
}

// --- Recovery -------------------------------------------------------------------------

void Containerizer::recover(std::function<void(Status)> done) {
  queue_->post([this, done = std::move(done)]() mutable {
    auto journal = journal_.open();
    if (!journal) return done(journal.error());
    // What an agent stopped while deleting left in the trash (discard()).
    std::thread([trash = work_dir_ + "/trash"] {
      std::error_code ignored;
      for (const auto& entry : std::filesystem::directory_iterator(trash, ignored))
        std::filesystem::remove_all(entry.path(), ignored);
    }).detach();
    if (Status imported = importLegacyCheckpoints(work_dir_ + "/meta", journal_, *journal);
        !imported) {
      return done(imported.error());
    }
    for (const std::string& problem : journal->problems) {
      LOG(WARNING) << "Recovering containers: " << problem;
      recovery_errors_.push_back(problem);
    }
    // A container whose checkpoint is damaged is left out: the launcher then reports its
    // processes as belonging to nobody, and they are destroyed.
    for (const auto& [id, why] : journal->damaged) {
      LOG(ERROR) << "Skipping container '" << id << "' in recovery: " << why;
      recovery_errors_.push_back(why);
    }
    berth::v1::LauncherRecoverRequest launcher_request;
    std::map<std::string, berth::v1::RecoverRequest> isolator_requests;
    for (const auto& [id, bytes] : journal->records) {
      ContainerState state;
      if (!state.ParseFromString(bytes) || state.config().container_id() != id) {
        const std::string why = "the checkpoint of container '" + id + "' does not parse";
        LOG(ERROR) << "Skipping container '" << id << "' in recovery: " << why;
        recovery_errors_.push_back(why);
        continue;
      }
      auto c = std::make_shared<Container>();
      c->state = std::move(state);
      c->prepared = plugins_.isolators.size();
      containers_[id] = c;
      if (c->state.terminated()) {
        Termination termination;
        if (c->state.has_wait_status()) termination.wait_status = c->state.wait_status();
        termination.message = c->state.message();
        if (c->state.has_limitation()) termination.limitation = c->state.limitation();
        c->termination = termination;
        // Ended, but the agent stopped before every isolator had cleaned up: the isolators
        // hear of it again, and cleanup() runs once recovery is done.
        c->phase =
            c->state.cleaned_up() ? Container::Phase::kTerminated : Container::Phase::kDestroying;
        if (c->state.cleaned_up()) continue;
      } else {
        c->phase = c->state.has_pid() ? Container::Phase::kRunning : Container::Phase::kPreparing;
        auto* checkpoint = launcher_request.add_containers();
        checkpoint->set_container_id(id);
        checkpoint->set_checkpoint(c->state.launcher_checkpoint());
        if (c->state.has_pid()) checkpoint->set_pid(c->state.pid());
      }
      for (PluginInstance* isolator : plugins_.isolators) {
        auto* entry = isolator_requests[isolator->name()].add_containers();
        entry->set_container_id(id);
        *entry->mutable_config() = c->state.config();
        // An ended container's pid may belong to another process by now.
        if (c->state.has_pid() && !c->state.terminated()) entry->set_pid(c->state.pid());
        auto blob = c->state.isolator_checkpoints().find(isolator->name());
        if (blob != c->state.isolator_checkpoints().end()) entry->set_checkpoint(blob->second);
      }
    }

    auto remaining = std::make_shared<size_t>(1 + plugins_.isolators.size());
    auto failure = std::make_shared<std::optional<Error>>();
    auto orphans = std::make_shared<std::vector<std::string>>();
    auto finishOne = [this, remaining, failure, orphans, done = std::move(done)]() mutable {
      if (--*remaining > 0) return;
      if (*failure) return done(**failure);
      for (const std::string& orphan : *orphans) {
        // Ended and being cleaned up below; ended and cleaned up, it is what the launcher
        // had not yet forgotten when the agent stopped (finish()).
        auto known = containers_.find(orphan);
        if (known != containers_.end() && known->second->phase != Container::Phase::kTerminated) {
          continue;
        }
        auto failed = [orphan](OperationOutcome o) {
          if (o.status != BERTH_OK) {
            LOG(ERROR) << "Destroying orphan container '" << orphan << "' failed: " << o.message;
          }
        };
        if (known != containers_.end()) {
          // Counted among its launcher calls, which a REMOVE waits for: the same id launched
          // again must not lose its new files to this destroy.
          callLauncher(known->second, "destroy", plugins_.launcher->launcher()->destroy,
                       destroyRequest(orphan, SIGKILL, 0ns), true, failed);
          continue;
        }
        LOG(WARNING) << "Destroying container '" << orphan << "', which no checkpoint knows";
        call(*plugins_.launcher, "destroy", plugins_.launcher->launcher()->destroy, orphan,
             destroyRequest(orphan, SIGKILL, 0ns), true, failed);
      }
      // Resume every container that was alive: ones that exited meanwhile report the
      // status their supervisor recorded; ones never launched are cleaned up.
      for (auto& [id, c] : containers_) {
        if (c->phase == Container::Phase::kRunning) {
          watchTermination(c);
          watchIsolators(c);  // limitations are enforced on recovered containers too
        } else if (c->phase == Container::Phase::kPreparing) {
          // Checkpointed before its process was: whatever the launcher made of it (a
          // process, a cgroup) goes before the isolators clean up.
          callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                       destroyRequest(id, SIGKILL, 0ns), true, [this, c](OperationOutcome) {
                         destroy(c, SIGKILL, 0ns,
                                 "the agent restarted before the container was launched");
                       });
        } else if (c->phase == Container::Phase::kDestroying) {
          // As after an exit: what the container left behind goes first, then the
          // isolators clean up.
          callLauncher(c, "destroy", plugins_.launcher->launcher()->destroy,
                       destroyRequest(id, SIGKILL, 0ns), true, [this, c](OperationOutcome) {
                         cleanupNext(c, c->prepared, *c->termination);
                       });
        }
      }
      done(okStatus());
    };

    PluginInstance& launcher = *plugins_.launcher;
    call(launcher, "recover", launcher.launcher()->recover, "",
         launcher_request.SerializeAsString(), true,
         [failure, orphans, finishOne](OperationOutcome outcome) mutable {
           berth::v1::LauncherRecoverResult result;
           if (outcome.status != BERTH_OK) {
             *failure = Error(ErrorCode::kFailedPrecondition,
                              "the launcher failed to recover: " + outcome.message);
           } else if (result.ParseFromString(outcome.payload)) {
             *orphans = {result.orphan_containers().begin(), result.orphan_containers().end()};
             for (int pid : result.orphan_pids()) {
               LOG(WARNING) << "Process " << pid << " belongs to a container nobody knows";
             }
           }
           finishOne();
         });
    for (PluginInstance* isolator : plugins_.isolators) {
      call(*isolator, "recover", isolator->isolator()->recover, "",
           isolator_requests[isolator->name()].SerializeAsString(), true,
           [failure, finishOne, name = isolator->name()](OperationOutcome outcome) mutable {
             if (outcome.status != BERTH_OK && !*failure) {
               *failure = Error(ErrorCode::kFailedPrecondition,
                                "plugin '" + name + "' failed to recover: " + outcome.message);
             }
             finishOne();
           });
    }
  });
}

}  // namespace berth::agent
