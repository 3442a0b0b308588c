#include "linux_launcher.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "berth/cpp/payload.h"
#include "berth/v1/launcher.pb-c.h"
#include "cgroups.h"

namespace linux_launcher {

using berth::cpp::Decoded;
using berth::cpp::Operation;

namespace {

// The directory of this user's Berth runtime files when not root: $XDG_RUNTIME_DIR/berth,
// else /tmp/berth-<uid>. Records there decide what gets killed at recovery, so it must be
// the user's own and no one else's (see privateDir()).
std::string userRuntimeRoot() {
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/berth";
  }
  return "/tmp/berth-" + std::to_string(::geteuid());
}

std::string defaultRuntimeDir(const std::string& name) {
  if (::geteuid() == 0) return "/var/run/berth/" + name;
  return userRuntimeRoot() + "/" + name;
}

// Creates `dir` 0700 if needed and checks that it is a real directory of this user with no
// access for others: in a shared /tmp another user could have made it first.
bool privateDir(const std::string& dir, std::string* error) {
  ::mkdir(dir.c_str(), 0700);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    *error = "runtime directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    *error = "runtime directory " + dir +
             " must be a directory of this user that no one else can use (mode 0700, not a "
             "symlink); set runtime_dir to choose another";
    return false;
  }
  return true;
}

// berth-supervisor is installed beside this plugin's shared object.
std::string defaultSupervisor() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&defaultSupervisor), &info) == 0 || !info.dli_fname) {
    return "berth-supervisor";
  }
  return (std::filesystem::path(info.dli_fname).parent_path() / "berth-supervisor").string();
}

// Reads one line from `fd`, the bytes read past it kept in `*pending` for the next call
// (which starts with them); empty at end of file. Reads what is there at once: a read
// costs several microseconds on a virtual machine, and a byte at a time was a dozen reads
// per line.
std::string readLine(int fd, std::string* pending) {
  for (;;) {
    if (const size_t end = pending->find('\n'); end != std::string::npos) {
      std::string line = pending->substr(0, end);
      pending->erase(0, end + 1);
      return line;
    }
    char chunk[512];
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::exchange(*pending, {});
    pending->append(chunk, static_cast<size_t>(n));
  }
}

bool validId(const std::string& id) {
  return !id.empty() && id.find('/') == std::string::npos && id != "." && id != "..";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int pidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

std::optional<LauncherConfig> parseLauncherConfig(const berth_host* host, const std::string& name,
                                                  bool cgroups, std::string* error) {
  LauncherConfig config;
  config.runtime_dir = defaultRuntimeDir(name);
  bool default_dir = true;
  config.supervisor = defaultSupervisor();
  for (const auto& [key, value] : berth::cpp::configEntries(host)) {
    if (key == "runtime_dir") {
      config.runtime_dir = value;
      default_dir = false;
    } else if (key == "supervisor") {
      config.supervisor = value;
    } else if (cgroups && key == "cgroup_root") {
      config.cgroup_root = value;
    } else if (cgroups && key == "cgroup_parent") {
      if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..") {
        *error = "cgroup_parent '" + value + "' must be one path component";
        return std::nullopt;
      }
      config.cgroup_parent = value;
    } else {
      *error = "unknown setting '" + key + "' (runtime_dir, supervisor" +
               (cgroups ? ", cgroup_root, cgroup_parent)" : ")");
      return std::nullopt;
    }
  }
  if (::access(config.supervisor.c_str(), X_OK) != 0) {
    *error = "supervisor '" + config.supervisor + "' is not executable: " + std::strerror(errno);
    return std::nullopt;
  }
  if (default_dir && ::geteuid() != 0 && !privateDir(userRuntimeRoot(), error)) return std::nullopt;
  std::error_code ec;
  std::filesystem::create_directories(config.runtime_dir, ec);
  if (ec) {
    *error = "runtime_dir '" + config.runtime_dir + "': " + ec.message();
    return std::nullopt;
  }
  return config;
}

std::unique_ptr<LinuxLauncher> LinuxLauncher::create(const berth_host* host, std::string* error) {
  if (::geteuid() != 0) {
    *error =
        "linux-launcher needs root (namespaces, mounts and cgroups); an agent not run as root "
        "can use --launcher=posix";
    return nullptr;
  }
  auto config = parseLauncherConfig(host, "linux-launcher", true, error);
  if (!config) return nullptr;
  auto cgroups = std::make_unique<Cgroups>(config->cgroup_root, config->cgroup_parent);
  if (cgroups->base().empty()) {
    *error = "cannot track container processes: " + cgroups->error();
    return nullptr;
  }
  return std::make_unique<LinuxLauncher>(host, std::move(*config), std::move(cgroups), true);
}

LinuxLauncher::LinuxLauncher(const berth_host* host, LauncherConfig config,
                             std::unique_ptr<ProcessTracker> tracker, bool namespaces)
    : LauncherPlugin(host),
      runtime_dir_(std::move(config.runtime_dir)),
      supervisor_(std::move(config.supervisor)),
      tracker_(std::move(tracker)),
      namespaces_(namespaces),
      zygote_(supervisor_) {
  // Now rather than at the first launch; a failure here is reported by that launch.
  if (std::string error = zygote_.start(); !error.empty()) log(BERTH_LOG_WARNING, error);
}

LinuxLauncher::~LinuxLauncher() {
  stopping_ = true;
  // The watches first (their descriptors are closed below), then the workers.
  reader_.stop();
  workers_.stop();
  for (auto& [id, c] : containers_) {
    if (c.status_fd >= 0) ::close(c.status_fd);
    if (c.start_fd >= 0) ::close(c.start_fd);
    if (c.pidfd >= 0) ::close(c.pidfd);
    if (c.exit_fd >= 0) ::close(c.exit_fd);
  }
}

void LinuxLauncher::spawn(std::function<void()> work) {
  workers_.run(std::move(work));
}

void LinuxLauncher::recover(Operation op, berth_bytes request) {
  Decoded<Berth__V1__LauncherRecoverRequest> decoded(
      &berth__v1__launcher_recover_request__descriptor, request);
  if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a LauncherRecoverRequest");
  std::map<std::string, bool> known;
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < decoded->n_containers; ++i) {
      const Berth__V1__ContainerCheckpoint* c = decoded->containers[i];
      Container container;
      if (c->has_checkpoint) {
        container.supervisor = std::atoi(
            std::string(reinterpret_cast<const char*>(c->checkpoint.data), c->checkpoint.len)
                .c_str());
      }
      if (c->has_pid) container.pid = c->pid;
      containers_[c->container_id] = container;
      known[c->container_id] = true;
    }
  }
  // Orphans: what has a cgroup (or session) and no checkpoint, and what has only a runtime
  // directory with an exit status left, its processes gone before the agent stopped but not
  // yet forgotten. Nothing else in the runtime directory is the launcher's to remove.
  std::set<std::string> candidates;
  for (const std::string& id : tracker_->containers())
    candidates.insert(id);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(runtime_dir_, ec)) {
    std::error_code ignored;
    const std::string id = entry.path().filename().string();
    if (validId(id) && std::filesystem::exists(entry.path() / "termination", ignored)) {
      candidates.insert(id);
    }
  }
  std::vector<int32_t> orphans;
  std::vector<std::string> orphan_ids;
  for (const std::string& id : candidates) {
    if (known.count(id) == 0) {
      orphan_ids.push_back(id);
      for (pid_t pid : tracker_->pids(id))
        orphans.push_back(pid);
    }
  }
  std::vector<char*> orphan_names;
  for (std::string& id : orphan_ids)
    orphan_names.push_back(id.data());
  Berth__V1__LauncherRecoverResult result = BERTH__V1__LAUNCHER_RECOVER_RESULT__INIT;
  result.n_orphan_pids = orphans.size();
  result.orphan_pids = orphans.data();
  result.n_orphan_containers = orphan_names.size();
  result.orphan_containers = orphan_names.data();
  op.succeed(berth::cpp::encode(&result.base));
}

void LinuxLauncher::launch(Operation op, berth_bytes request) {
  Decoded<Berth__V1__LaunchRequest> decoded(&berth__v1__launch_request__descriptor, request);
  if (!decoded || decoded->config == nullptr || decoded->plan == nullptr) {
    return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a LaunchRequest");
  }
  const std::string id = decoded->config->container_id;
  if (!validId(id))
    return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "invalid container id '" + id + "'");
  if (const Berth__V1__LaunchPlan& plan = *decoded->plan;
      !namespaces_ && (plan.n_clone_namespaces > 0 || plan.n_enter_namespaces > 0 ||
                       plan.n_mounts > 0 || (plan.rootfs != nullptr && plan.rootfs[0] != '\0'))) {
    std::string asked;
    for (size_t i = 0; i < plan.n_clone_namespaces; ++i) {
      const ProtobufCEnumValue* name = protobuf_c_enum_descriptor_get_value(
          &berth__v1__namespace__descriptor, plan.clone_namespaces[i]);
      asked += (asked.empty() ? "new namespaces: " : ", ") +
               std::string(name != nullptr ? name->name : "unknown");
    }
    if (asked.empty()) {
      asked = plan.n_enter_namespaces > 0 ? "joining namespaces"
              : plan.n_mounts > 0         ? "mounts"
                                          : "a root filesystem";
    }
    return op.fail(BERTH_ERROR_INVALID_ARGUMENT,
                   "the posix launcher runs containers without namespaces, but the launch plan "
                   "asks for " +
                       asked +
                       " (use --launcher=linux-launcher, or drop the isolator that asks, "
                       "such as ipc or shm)");
  }
  {
    std::lock_guard lock(mutex_);
    if (containers_.count(id) != 0) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "container '" + id + "' already launched");
    }
  }
  const std::string dir = containerDir(id);
  // A launch that fails leaves nothing for destroy() to find: no files, no cgroup.
  const auto forget = [this, id, dir] {
    tracker_->destroy(id, SIGKILL, std::chrono::nanoseconds(0));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };
  // Left over from a container of the same id (an agent that died mid-launch): cleared.
  int made = ::mkdir(dir.c_str(), 0755);
  if (made != 0 && errno == EEXIST) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    made = ::mkdir(dir.c_str(), 0755);
  }
  if (made != 0) {
    return op.fail(BERTH_ERROR_UNAVAILABLE, "create " + dir + ": " + std::strerror(errno));
  }
  std::string cgroup;
  if (std::string error = tracker_->prepare(id, &cgroup); !error.empty()) {
    forget();
    return op.fail(BERTH_ERROR_UNAVAILABLE, "launch of '" + id + "': " + error);
  }
  // The posix launcher's session record (sessions.h) needs the process alive when it is
  // made: it holds it whatever the request says, and tells the supervisor so.
  const bool held = decoded->hold || !namespaces_;
  std::vector<uint8_t> rewritten;
  if (held && !decoded->hold) {
    Berth__V1__LaunchRequest holding = *decoded;
    holding.has_hold = 1;
    holding.hold = 1;
    rewritten.resize(berth__v1__launch_request__get_packed_size(&holding));
    berth__v1__launch_request__pack(&holding, rewritten.data());
    request = {rewritten.data(), rewritten.size()};
  }
  // The request reaches the supervisor in memory, never touching a filesystem.
  const int request_fd = ::memfd_create("berth-launch-request", MFD_CLOEXEC);
  if (request_fd < 0 ||
      ::pwrite(request_fd, request.data, request.size, 0) != static_cast<ssize_t>(request.size)) {
    const int err = errno;
    if (request_fd >= 0) ::close(request_fd);
    forget();
    return op.fail(BERTH_ERROR_UNAVAILABLE,
                   "hand the launch request to the supervisor: " + std::string(std::strerror(err)));
  }

  int status_pipe[2];
  int start_pipe[2] = {-1, -1};
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    ::close(request_fd);
    forget();
    return op.fail(BERTH_ERROR_UNAVAILABLE, "pipe failed");
  }
  int exit_pipe[2] = {-1, -1};
  // The exit pipe non-blocking, as the host's event loop would make it (and then make it
  // blocking again, one more system call on the way to WAIT's answer); the supervisor's
  // one short line never finds it full.
  if (::pipe2(start_pipe, O_CLOEXEC) != 0 || ::pipe2(exit_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    for (int fd : {status_pipe[0], status_pipe[1], start_pipe[0], start_pipe[1], request_fd}) {
      if (fd >= 0) ::close(fd);
    }
    forget();
    return op.fail(BERTH_ERROR_UNAVAILABLE, "pipe failed");
  }
  const std::array<int, 4> fds = {status_pipe[1], start_pipe[0], request_fd, exit_pipe[1]};
  int status_fd = status_pipe[0];
  int start_fd = start_pipe[1];
  const int exit_fd = exit_pipe[0];
  // The rest waits for other processes, so it runs on a worker: the hooks are called from
  // the agent's main thread, which serves its API too. Not in that thread's event loop
  // (PipeReader), as wait() does: the supervisor's "ready" would wake it on the way to the
  // exec, once more than the worker's hand-back does, and the launch measured 1 to 3%
  // slower (docs/benchmarks.md). The worker is woken before the request goes to a
  // supervisor, so that it runs on another CPU than the one the spare is woken on (this
  // thread's, as often as not): the spare then has that CPU once this thread is done.
  auto handover = std::make_shared<std::promise<std::optional<ZygoteClient::Supervisor>>>();
  try {
    spawn([this, op, id, dir, cgroup, fds, status_fd, start_fd, exit_fd, held, forget,
           handed = handover->get_future().share()]() mutable {
      std::string error;
      auto forked = handed.get();
      if (!forked) {
        forked = zygote_.fork(dir, cgroup, fds.data(), &error);
        for (int fd : fds)
          ::close(fd);
      }
      // The zygote heard that its spare was taken as the request was handed over (below),
      // unless that could not be said without waiting; then it hears it once this launch
      // is answered.
      struct Replenish {
        ZygoteClient& zygote;
        ~Replenish() { zygote.replenish(); }
      } replenish{zygote_};
      if (!forked) {
        ::close(status_fd);
        ::close(start_fd);
        ::close(exit_fd);
        forget();
        return op.fail(BERTH_ERROR_UNAVAILABLE, "launch of '" + id + "': " + error);
      }
      const pid_t supervisor = forked->pid;
      const int supervisor_fd = forked->pidfd;
      std::string pending;
      const std::string line = readLine(status_fd, &pending);
      if (!line.starts_with("ready ")) {
        ::close(status_fd);
        ::close(start_fd);
        ::close(exit_fd);
        awaitGone(supervisor, supervisor_fd);
        forget();
        const std::string why =
            line.starts_with("error ") ? line.substr(6) : "the supervisor exited without a word";
        return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "launch of '" + id + "': " + why);
      }
      const pid_t pid = std::atoi(line.c_str() + 6);
      if (std::string error = tracker_->add(id, pid); !error.empty()) {
        ::kill(pid, SIGKILL);
        ::close(status_fd);
        ::close(start_fd);
        ::close(exit_fd);
        awaitGone(supervisor, supervisor_fd);
        forget();
        return op.fail(BERTH_ERROR_UNAVAILABLE, "launch of '" + id + "': " + error);
      }
      std::string exec_error;
      if (!held) {
        // It execs by itself: the launch completes once it has (the status pipe closes), and
        // start() only reports how that went.
        const std::string outcome = readLine(status_fd, &pending);
        if (outcome.starts_with("error ")) exec_error = outcome.substr(6);
        ::close(status_fd);
        ::close(start_fd);
        status_fd = start_fd = -1;
      }
      {
        std::lock_guard lock(mutex_);
        containers_[id] =
            Container{supervisor, pid, status_fd, start_fd, supervisor_fd, exit_fd, pending};
        if (!held) exec_outcomes_[id] = exec_error;
      }
      const std::string checkpoint = std::to_string(supervisor);
      Berth__V1__LaunchResult result = BERTH__V1__LAUNCH_RESULT__INIT;
      result.pid = pid;
      result.has_checkpoint = 1;
      result.checkpoint.data = reinterpret_cast<uint8_t*>(const_cast<char*>(checkpoint.data()));
      result.checkpoint.len = checkpoint.size();
      op.succeed(berth::cpp::encode(&result.base));
    });
  } catch (const std::exception& e) {
    // No thread for it (out of them): nothing was handed over yet.
    for (int fd : fds)
      ::close(fd);
    for (int fd : {status_fd, start_fd, exit_fd})
      ::close(fd);
    forget();
    return op.fail(BERTH_ERROR_UNAVAILABLE, "launch of '" + id + "': " + e.what());
  }
  // A readied spare takes the request from here, without waiting for anything; without
  // one, the worker asks the zygote to fork a supervisor. Nothing goes to a spare for a
  // worker that will not run (the plugin is stopping), and the worker always gets an answer.
  std::optional<ZygoteClient::Supervisor> handed;
  if (!stopping()) {
    try {
      handed = zygote_.handToSpare(dir, cgroup, fds.data());
    } catch (const std::exception&) {
      // Out of memory building the message: the worker asks the zygote instead.
    }
  }
  handover->set_value(handed);
  // The zygote hears now that its spare was taken: it readies the next SPARE_AFTER_MS
  // later (zygote.c), so its wake-up is all it costs the launch, queued on this thread's
  // CPU as often as not. Told at the answer instead, it would wake as the first process
  // execs, and the client woken by the answer would then be queued on that process's CPU
  // more often, where it preempts the container (traced; the launch measured 1.02 of this
  // one's time, docs/benchmarks.md).
  zygote_.tryReplenish();
  // The supervisor's ends, its own now. Closed here rather than by the worker, which the
  // kernel may run on the supervisor's CPU, preempting it (traced: 0.04-0.06 ms).
  if (handed) {
    for (int fd : fds)
      ::close(fd);
  }
  // While the supervisor starts, the output files are created here, so that the first
  // process, which opens them (O_CREAT, as the container's user may not create them
  // later), finds them and reaches its barrier sooner: a file creation costs 0.1 to 0.3 ms
  // on an ext4 sandbox. Whichever comes first creates them. Here rather than on the worker,
  // which the kernel may have queued the spare behind (traced: 0.2 ms), while this thread
  // has nothing else to do until the exec. Non-blocking: a FIFO there (a reused sandbox
  // may hold anything) would otherwise hold this thread until someone reads it.
  for (const char* path : {decoded->stdout_path, decoded->stderr_path}) {
    if (path == nullptr || path[0] == '\0') continue;
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
}

void LinuxLauncher::start(Operation op, berth_bytes request) {
  Decoded<Berth__V1__StartRequest> decoded(&berth__v1__start_request__descriptor, request);
  if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a StartRequest");
  const std::string id = decoded->container_id;
  Container container;
  {
    std::lock_guard lock(mutex_);
    // Not held: exec'd (or failed to) before the launch completed; its process may even be
    // gone already.
    if (auto outcome = exec_outcomes_.find(id); outcome != exec_outcomes_.end()) {
      const std::string error = std::move(outcome->second);
      exec_outcomes_.erase(outcome);
      if (error.empty()) return op.succeed();
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "start of '" + id + "': " + error);
    }
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second.start_fd < 0) {
      return op.fail(BERTH_ERROR_NOT_FOUND, "container '" + id + "' is not waiting to start");
    }
    container = it->second;
    it->second.start_fd = -1;
    it->second.status_fd = -1;
  }
  const char go = 1;
  const bool released = ::write(container.start_fd, &go, 1) == 1;
  ::close(container.start_fd);
  // The status pipe ends at the exec (close-on-exec), or carries the reason it failed.
  const int fd = container.status_fd;
  reader_.read(
      fd, container.status_read, true,
      [](const std::string& text) { return text.find('\n') != std::string::npos; },
      [op, id, fd, released](std::string text, PipeReader::End end, bool) mutable {
        ::close(fd);
        if (end == PipeReader::End::kStopped) {
          return op.fail(BERTH_ERROR_CANCELLED, "the launcher is shutting down");
        }
        const std::string line = text.substr(0, text.find('\n'));
        // A process that failed before the barrier (so the release found no reader) said why.
        if (line.starts_with("error ")) {
          return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "start of '" + id + "': " + line.substr(6));
        }
        if (!released) {
          return op.fail(BERTH_ERROR_UNAVAILABLE, "the first process of '" + id + "' is gone");
        }
        op.succeed();
      });
}

void LinuxLauncher::wait(Operation op, berth_bytes request) {
  Decoded<Berth__V1__WaitRequest> decoded(&berth__v1__wait_request__descriptor, request);
  if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a WaitRequest");
  const std::string id = decoded->container_id;
  pid_t supervisor = -1;
  int pidfd = -1;
  int exit_fd = -1;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return op.fail(BERTH_ERROR_NOT_FOUND, "unknown container '" + id + "'");
    }
    supervisor = it->second.supervisor;
    pidfd = std::exchange(it->second.pidfd, -1);
    exit_fd = std::exchange(it->second.exit_fd, -1);
  }
  const std::string termination = containerDir(id) + "/termination";
  if (exit_fd >= 0) {
    // The exit pipe carries the exit status as soon as the supervisor has it, before it
    // records it in the termination file and before its own teardown, in one piece; it
    // ends without one if the supervisor dies first.
    reader_.read(
        exit_fd, "", true, [](const std::string& text) { return text.ends_with('\n'); },
        [this, op, id, pidfd, exit_fd, termination](std::string text, PipeReader::End end,
                                                    bool plugin_thread) mutable {
          ::close(exit_fd);
          if (pidfd >= 0) ::close(pidfd);
          if (end == PipeReader::End::kStopped) {
            return op.fail(BERTH_ERROR_CANCELLED, "the launcher is shutting down");
          }
          if (!text.ends_with('\n')) text = readFile(termination);
          finishWait(op, id, std::move(text), plugin_thread);
        });
    return;
  }
  // Recovered: its supervisor is not this launcher's child, and no pipe leads to it.
  spawn([this, op, id, supervisor, pidfd, termination]() mutable {
    // A recorded status means the supervisor is done: its pid, checkpointed, may name
    // another process by now.
    std::string text = readFile(termination);
    if (!text.empty()) {
      if (pidfd >= 0) ::close(pidfd);
    } else if (!awaitGone(supervisor, pidfd)) {
      return op.fail(BERTH_ERROR_CANCELLED, "the launcher is shutting down");
    } else {
      text = readFile(termination);
    }
    finishWait(op, id, std::move(text), false);
  });
}

void LinuxLauncher::finishWait(Operation op, const std::string& id, std::string text,
                               bool plugin_thread) {
  // The container ends with its first process (as in Mesos): what it left behind goes now,
  // so that the wait completes with every process gone, as launcher.h promises, and the
  // agent cleans up without another round trip. Usually nothing is left, and that takes no
  // waiting; otherwise a worker waits for the processes to die. The runtime directory stays
  // until destroy(): the tracker may keep its record there (sessions.h).
  std::string left;
  if (!plugin_thread || !tracker_->releaseIfEmpty(id)) {
    if (plugin_thread) {
      return spawn([this, op, id, text = std::move(text)]() mutable {
        finishWait(op, id, std::move(text), false);
      });
    }
    left = tracker_->destroy(id, SIGKILL, std::chrono::nanoseconds(0));
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = containers_.find(id); it != containers_.end()) {
      // Still held when the supervisor died before the container started.
      if (it->second.start_fd >= 0) ::close(it->second.start_fd);
      if (it->second.status_fd >= 0) ::close(it->second.status_fd);
      if (it->second.pidfd >= 0) ::close(it->second.pidfd);
      if (it->second.exit_fd >= 0) ::close(it->second.exit_fd);
      containers_.erase(it);
    }
  }
  Berth__V1__Termination result = BERTH__V1__TERMINATION__INIT;
  std::string message;
  if (text.empty()) {
    message = "the supervisor of '" + id + "' died without recording an exit status";
  } else {
    result.has_wait_status = 1;
    result.wait_status = std::atoi(text.c_str());
  }
  if (!left.empty()) {
    message += (message.empty() ? "" : "; ") + std::string("processes the first one left ") +
               "behind may still run: " + left;
  }
  if (!message.empty()) result.message = message.data();
  op.succeed(berth::cpp::encode(&result.base));
}

bool LinuxLauncher::awaitGone(pid_t supervisor, int pidfd) {
  // A pidfd tells when the supervisor is gone, whether or not it is our child (it is the
  // zygote's, and nobody's after an agent restart). The one the zygote handed over was
  // taken at fork, so it cannot name a later process that reuses the pid; one opened here
  // from a checkpointed pid can. Without a pidfd (out of descriptors, or a kernel before
  // 5.3) the same by polling; only ESRCH means the supervisor is gone already.
  if (pidfd < 0 && supervisor > 0) pidfd = pidfdOpen(supervisor);
  const bool gone = supervisor <= 0 || (pidfd < 0 && errno == ESRCH);
  while (!stopping() && !gone) {
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) break;
    } else {
      if (::kill(supervisor, 0) != 0 && errno == ESRCH) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return !stopping();
}

void LinuxLauncher::destroy(Operation op, berth_bytes request) {
  Decoded<Berth__V1__DestroyRequest> decoded(&berth__v1__destroy_request__descriptor, request);
  if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a DestroyRequest");
  const std::string id = decoded->container_id;
  const int signal = decoded->signal;
  const auto grace = std::chrono::nanoseconds(decoded->grace_period_ns);
  if (!validId(id))
    return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "invalid container id '" + id + "'");
  Container container;
  {
    // This destroy owns the barrier's descriptors from here: another one must not close
    // them again.
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it != containers_.end()) {
      container = it->second;
      it->second.start_fd = -1;
      it->second.status_fd = -1;
    }
    exec_outcomes_.erase(id);  // never asked for, if it is destroyed before start()
  }
  spawn([this, op, id, signal, grace, container] {
    // A container never started still waits at the barrier: closing it ends it.
    if (container.start_fd >= 0) ::close(container.start_fd);
    if (container.status_fd >= 0) ::close(container.status_fd);
    if (std::string error = tracker_->destroy(id, signal, grace); !error.empty()) {
      return op.fail(BERTH_ERROR_UNAVAILABLE, error);
    }
    bool waited = false;
    {
      std::lock_guard lock(mutex_);
      waited = containers_.count(id) == 0;
    }
    // Once wait() has read the exit status (or nobody knows the container), its runtime
    // files have served their purpose. Before that the supervisor still writes there; and
    // it writes the termination file just after the status wait() read, so a removal that
    // raced it is tried again.
    if (waited) {
      std::error_code ec;
      for (int i = 0; i < 100 && !stopping(); ++i) {
        std::filesystem::remove_all(containerDir(id), ec);
        // What racing the supervisor's file gives (a file made, or renamed away, while
        // the directory was read); anything else stays as it is.
        if (ec != std::errc::directory_not_empty && ec != std::errc::no_such_file_or_directory) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    op.succeed();
  });
}

void LinuxLauncher::status(Operation op, berth_bytes request) {
  Decoded<Berth__V1__LauncherStatusRequest> decoded(&berth__v1__launcher_status_request__descriptor,
                                                    request);
  if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a LauncherStatusRequest");
  std::vector<int32_t> pids;
  for (pid_t pid : tracker_->pids(decoded->container_id))
    pids.push_back(pid);
  Berth__V1__LauncherStatus result = BERTH__V1__LAUNCHER_STATUS__INIT;
  result.n_pids = pids.size();
  result.pids = pids.data();
  op.succeed(berth::cpp::encode(&result.base));
}

}  // namespace linux_launcher
