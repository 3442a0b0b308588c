// linux-launcher with real processes, namespaces and cgroups, driven through the agent's
// plugin host exactly as the containerizer drives it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "berth/short_slice.h"
#include "berth/v1/launcher.pb.h"
#include "core/agent/plugins/plugin_host.h"
#include "core/net/io_thread.h"
#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  return testing::readFile(path);
}

// Whether `pid` is a live process: a zombie (killed, not yet reaped by whoever inherited
// it) counts as dead.
bool running(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

// The supervisor zygote the launcher started: this process's child `berth-supervisor
// --serve`; -1 if there is none.
pid_t findZygote() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string stat = slurp(entry.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (cmdline.find("berth-supervisor --serve") == std::string::npos ||
        close == std::string::npos) {
      continue;
    }
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    fields >> state >> parent;
    if (parent == ::getpid() && state != 'Z') return std::stoi(name);
  }
  return -1;
}

// The zygote, waited for: it shows as one once it has exec'd berth-supervisor.
pid_t zygote() {
  pid_t found = findZygote();
  for (int i = 0; i < 400 && found < 0; ++i) {
    std::this_thread::sleep_for(5ms);
    found = findZygote();
  }
  return found;
}

// The spare the zygote offers, once it has offered it: the zygote then waits for the
// launcher's word in recvmsg(2), with nothing else to do. -1 if none comes.
pid_t spareOnOffer(pid_t zygote_pid);

// The live children of `parent`.
std::vector<pid_t> children(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = slurp(entry.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    fields >> state >> ppid;
    if (ppid == parent && state != 'Z') found.push_back(std::stoi(name));
  }
  return found;
}

pid_t spareOnOffer(pid_t zygote_pid) {
  const std::string waiting_in_recvmsg = std::to_string(SYS_recvmsg) + " ";
  for (int i = 0; i < 400; ++i) {
    const std::vector<pid_t> spares = children(zygote_pid);
    if (spares.size() == 1 &&
        slurp("/proc/" + std::to_string(zygote_pid) + "/syscall").starts_with(waiting_in_recvmsg)) {
      return spares[0];
    }
    std::this_thread::sleep_for(5ms);
  }
  return -1;
}

// Whether `parent` has, or gets within 2 s, a child other than `other`: a spare readied.
bool awaitChildOtherThan(pid_t parent, pid_t other) {
  for (int i = 0; i < 400; ++i) {
    for (pid_t child : children(parent)) {
      if (child != other) return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Run twice: with an event loop for the plugin thread, as the agent has (the launcher then
// waits for its pipes there, berth_host.watch_fd), and without one, as a host older than
// SDK 1.3 (the launcher's workers wait).
class LinuxLauncherTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, mounts and cgroups";
    makeHost();
  }

  void TearDown() override {
    for (const std::string& id : launched_)
      destroy(id, SIGKILL, 0ms);
    dropHost();
    std::error_code ec;
    for (const std::string& root : cgroup_roots_)
      std::filesystem::remove(root + "/" + cgroupParent(), ec);
  }

  // Its own cgroup parent: tests running at once must not share one.
  static std::string cgroupParent() { return "berth-test-" + std::to_string(::getpid()); }

  // `cgroup_root`: the hierarchy to use (this host's v1 freezer unless a test says).
  void makeHost(const std::string& cgroup_root = "/sys/fs/cgroup/freezer") {
    cgroup_root_ = cgroup_root;
    cgroup_roots_.insert(cgroup_root);
    host_ = std::make_unique<PluginHost>(*TimeoutPolicy::parse(""));
    if (GetParam()) {
      loop_ = std::make_unique<net::IoThread>();
      host_->setEventLoop(loop_.get());
    }
    ASSERT_TRUE(host_->add(std::string(BERTH_PLUGINS_DIR) + "/berth-linux-launcher.so"));
    auto created = host_->instantiate("linux-launcher",
                                      {{"runtime_dir", dir_.file("runtime")},
                                       {"cgroup_root", cgroup_root},
                                       {"cgroup_parent", cgroupParent()}},
                                      BERTH_KIND_LAUNCHER);
    ASSERT_TRUE(created) << created.error().message();
    launcher_ = *created;
  }

  // The plugin goes, as it does when the agent stops (or, to the containers, dies).
  void dropHost() {
    if (loop_) loop_->stop();
    host_.reset();
    loop_.reset();
  }

  // On the plugin thread: the loop's, if there is one; else this one.
  OperationOutcome call(const char* hook, HookFn fn, const std::string& id,
                        const google::protobuf::Message& request, bool deadline = true) {
    auto future = callAsync(hook, fn, id, request, deadline);
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready) << hook;
    return future.get();
  }

  std::future<OperationOutcome> callAsync(const char* hook, HookFn fn, const std::string& id,
                                          const google::protobuf::Message& request,
                                          bool deadline = true) {
    auto done = std::make_shared<std::promise<OperationOutcome>>();
    auto call = [this, done, hook, fn, id, request = request.SerializeAsString(), deadline] {
      host_->call(*launcher_, hook, fn, id, request, deadline,
                  [done](OperationOutcome o) { done->set_value(std::move(o)); });
    };
    if (loop_) {
      loop_->post(call);
    } else {
      call();
    }
    return done->get_future();
  }

  // Launches and starts `command` with `plan`; returns the first process's pid.
  pid_t run(const std::string& id, const std::string& command, berth::v1::LaunchPlan plan = {}) {
    berth::v1::LaunchRequest request;
    request.mutable_config()->set_container_id(id);
    request.mutable_config()->mutable_command()->set_value(command);
    request.mutable_config()->set_sandbox_directory(dir_.path().string());
    *request.mutable_plan() = std::move(plan);
    request.set_stdout_path(dir_.file(id + ".out"));
    request.set_stderr_path(dir_.file(id + ".err"));
    auto launched = call("launch", launcher_->launcher()->launch, id, request);
    EXPECT_EQ(launched.status, BERTH_OK) << launched.message;
    if (launched.status != BERTH_OK) return -1;
    launched_.push_back(id);
    berth::v1::LaunchResult result;
    EXPECT_TRUE(result.ParseFromString(launched.payload));
    supervisors_[id] = std::atoi(result.checkpoint().c_str());
    berth::v1::StartRequest start;
    start.set_container_id(id);
    auto started = call("start", launcher_->launcher()->start, id, start);
    EXPECT_EQ(started.status, BERTH_OK) << started.message;
    return result.pid();
  }

  berth::v1::Termination wait(const std::string& id) {
    berth::v1::WaitRequest request;
    request.set_container_id(id);
    auto waited = call("wait", launcher_->launcher()->wait, id, request, false);
    EXPECT_EQ(waited.status, BERTH_OK) << waited.message;
    berth::v1::Termination termination;
    EXPECT_TRUE(termination.ParseFromString(waited.payload));
    return termination;
  }

  OperationOutcome destroy(const std::string& id, int signal, std::chrono::nanoseconds grace) {
    berth::v1::DestroyRequest request;
    request.set_container_id(id);
    request.set_signal(signal);
    request.set_grace_period_ns(static_cast<uint64_t>(grace.count()));
    return call("destroy", launcher_->launcher()->destroy, id, request);
  }

  // The cgroup `pid` belongs to in the hierarchy whose /proc/<pid>/cgroup line starts with
  // `prefix` ("N:freezer:" for v1, "0::" for v2).
  static std::string cgroupOf(pid_t pid, const std::string& prefix) {
    std::istringstream lines(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
    for (std::string line; std::getline(lines, line);) {
      const size_t at = line.find(prefix);
      if (at != std::string::npos && (prefix[0] != '0' || at == 0)) {
        return line.substr(at + prefix.size());
      }
    }
    return "";
  }

  testing::TempDir dir_;
  std::string cgroup_root_;
  std::set<std::string> cgroup_roots_;   // every hierarchy a host of this test used
  std::unique_ptr<net::IoThread> loop_;  // the plugin thread, when the host has a loop
  std::unique_ptr<PluginHost> host_;
  PluginInstance* launcher_ = nullptr;
  std::vector<std::string> launched_;
  std::map<std::string, pid_t> supervisors_;
};

TEST_P(LinuxLauncherTest, ROOT_ExitStatusAndOutputAreReported) {
  ASSERT_GT(run("exit-3", "echo hello; echo oops >&2; exit 3"), 0);
  const auto termination = wait("exit-3");
  ASSERT_TRUE(termination.has_wait_status()) << termination.message();
  EXPECT_TRUE(WIFEXITED(termination.wait_status()));
  EXPECT_EQ(WEXITSTATUS(termination.wait_status()), 3);
  EXPECT_EQ(slurp(dir_.file("exit-3.out")), "hello\n");
  EXPECT_EQ(slurp(dir_.file("exit-3.err")), "oops\n");
}

TEST_P(LinuxLauncherTest, ROOT_DestroyReachesProcessesThatEscapedByDoubleForking) {
  // The inner sleep is re-parented away from the first process (setsid, backgrounded
  // twice); only the cgroup still knows it.
  const pid_t pid = run("escape",
                        "(setsid sh -c 'sleep 1000 & echo $! > escaped.pid' &); "
                        "exec sleep 1000");
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 200 && !std::filesystem::exists(dir_.file("escaped.pid")); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(50ms);
  const pid_t escaped = std::atoi(slurp(dir_.file("escaped.pid")).c_str());
  ASSERT_GT(escaped, 0);
  ASSERT_TRUE(running(escaped)) << "the escaped process should be running";

  auto destroyed = destroy("escape", SIGTERM, 2s);
  ASSERT_EQ(destroyed.status, BERTH_OK) << destroyed.message;
  const auto termination = wait("escape");
  EXPECT_TRUE(WIFSIGNALED(termination.wait_status()));
  EXPECT_EQ(WTERMSIG(termination.wait_status()), SIGTERM);
  EXPECT_FALSE(running(escaped)) << "the double-forked process survived";
  EXPECT_FALSE(running(pid));
}

// The container ends with its first process: the wait completes with every process it left
// behind gone, and its cgroup with them (launcher.h).
TEST_P(LinuxLauncherTest, ROOT_WaitEndsWhatTheFirstProcessLeftBehind) {
  ASSERT_GT(run("leaves",
                "(setsid sh -c 'sleep 1000 & echo $! > left.pid' &); "
                "while [ ! -s left.pid ]; do sleep 0.01; done; exit 2"),
            0);
  const auto termination = wait("leaves");
  EXPECT_EQ(WEXITSTATUS(termination.wait_status()), 2);
  const pid_t left = std::atoi(slurp(dir_.file("left.pid")).c_str());
  ASSERT_GT(left, 0);
  for (int i = 0; i < 100 && running(left); ++i)  // killed; its reaper may take a moment
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(running(left)) << "the process left behind survived the wait";
  EXPECT_FALSE(std::filesystem::exists(cgroup_root_ + "/" + cgroupParent() + "/leaves"));
}

// The first process starts in the container's cgroup (it moves itself there, or is born
// there on cgroup v2); its supervisor stays outside, so that destroying the cgroup's
// processes never takes the one recording the exit status.
TEST_P(LinuxLauncherTest, ROOT_TheFirstProcessStartsInTheContainersCgroup) {
  const pid_t pid = run("placed", "exec sleep 1000");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(cgroupOf(pid, ":freezer:"), "/" + cgroupParent() + "/placed");
  EXPECT_EQ(cgroupOf(supervisors_["placed"], ":freezer:").find("/placed"), std::string::npos);
  EXPECT_EQ(slurp(cgroup_root_ + "/" + cgroupParent() + "/placed/cgroup.procs"),
            std::to_string(pid) + "\n");
  ASSERT_EQ(destroy("placed", SIGKILL, 0ms).status, BERTH_OK);
  EXPECT_TRUE(WIFSIGNALED(wait("placed").wait_status()));
  EXPECT_FALSE(std::filesystem::exists(cgroup_root_ + "/" + cgroupParent() + "/placed"));
}

// The same on a cgroup v2 hierarchy (this host's hybrid one at /sys/fs/cgroup/unified
// holds no controllers, which process tracking does not need): clone3 places the first
// process, and destroy still reaches a process that double-forked away.
TEST_P(LinuxLauncherTest, ROOT_CgroupV2PlacesTheFirstProcessAtBirth) {
  std::string v2;
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (std::filesystem::exists(std::string(root) + "/cgroup.controllers")) v2 = root;
  }
  if (v2.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy is mounted";
  dropHost();
  makeHost(v2);
  const pid_t pid =
      run("v2", "(setsid sh -c 'sleep 1000 & echo $! > escaped-v2.pid' &); exec sleep 1000");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(cgroupOf(pid, "0::"), "/" + cgroupParent() + "/v2");
  for (int i = 0; i < 200 && slurp(dir_.file("escaped-v2.pid")).empty(); ++i)
    std::this_thread::sleep_for(10ms);
  const pid_t escaped = std::atoi(slurp(dir_.file("escaped-v2.pid")).c_str());
  ASSERT_GT(escaped, 0);
  EXPECT_EQ(cgroupOf(escaped, "0::"), "/" + cgroupParent() + "/v2");
  ASSERT_EQ(destroy("v2", SIGKILL, 0ms).status, BERTH_OK);
  EXPECT_TRUE(WIFSIGNALED(wait("v2").wait_status()));
  EXPECT_FALSE(running(pid));
  EXPECT_FALSE(running(escaped)) << "the double-forked process survived";
  EXPECT_FALSE(std::filesystem::exists(v2 + "/" + cgroupParent() + "/v2"));
}

TEST_P(LinuxLauncherTest, ROOT_NamespacesFromThePlanAreCreated) {
  berth::v1::LaunchPlan plan;
  plan.add_clone_namespaces(berth::v1::IPC);
  plan.add_clone_namespaces(berth::v1::MOUNT);
  auto* shm = plan.add_mounts();
  shm->set_target("/dev/shm");
  shm->set_type("tmpfs");
  shm->set_options("size=8m,mode=1777");
  ASSERT_GT(run("ns", "readlink /proc/self/ns/ipc > ipc; df -k /dev/shm | tail -1 > shm", plan), 0);
  const auto termination = wait("ns");
  ASSERT_EQ(termination.wait_status(), 0) << slurp(dir_.file("ns.err"));
  std::error_code ec;
  const auto host_ipc = std::filesystem::read_symlink("/proc/self/ns/ipc", ec).string();
  EXPECT_NE(slurp(dir_.file("ipc")), host_ipc + "\n");
  EXPECT_NE(slurp(dir_.file("shm")).find(" 8192 "), std::string::npos) << slurp(dir_.file("shm"));
}

// The container's mounts may hide the runtime directory (here a tmpfs over the directory
// holding it, as a private /dev/shm hides a runtime directory there): the exit status is
// still recorded where the launcher reads it.
TEST_P(LinuxLauncherTest, ROOT_TheExitStatusIsRecordedWhereTheContainersMountsHideIt) {
  berth::v1::LaunchPlan plan;
  plan.add_clone_namespaces(berth::v1::MOUNT);
  auto* tmpfs = plan.add_mounts();
  tmpfs->set_target(dir_.path().string());
  tmpfs->set_type("tmpfs");
  ASSERT_GT(run("hidden", "exit 6", plan), 0);
  const auto termination = wait("hidden");
  ASSERT_TRUE(termination.has_wait_status()) << termination.message();
  EXPECT_EQ(WEXITSTATUS(termination.wait_status()), 6);
}

// A new PID namespace cannot share the supervisor's memory: the first process is forked,
// joins its v1 cgroup itself and is the namespace's init.
TEST_P(LinuxLauncherTest, ROOT_ANewPidNamespaceMakesTheFirstProcessItsInit) {
  berth::v1::LaunchPlan plan;
  plan.add_clone_namespaces(berth::v1::PID);
  plan.add_clone_namespaces(berth::v1::MOUNT);
  ASSERT_GT(run("pidns", "echo $$ > init; cat /proc/self/cgroup > cgroup", plan), 0);
  const auto termination = wait("pidns");
  ASSERT_EQ(termination.wait_status(), 0) << slurp(dir_.file("pidns.err"));
  EXPECT_EQ(slurp(dir_.file("init")), "1\n");
  EXPECT_NE(slurp(dir_.file("cgroup")).find(cgroupParent() + "/pidns"), std::string::npos)
      << slurp(dir_.file("cgroup"));
}

// The zygote keeps one supervisor forked ahead of the next launch. One that died meanwhile
// is replaced at that launch, which still runs.
// The zygote offers a readied spare, and the launch hands its request to it directly.
TEST_P(LinuxLauncherTest, ROOT_ALaunchGoesToTheSpareOnOffer) {
  const pid_t zygote_pid = zygote();
  ASSERT_GT(zygote_pid, 0);
  const pid_t spare = spareOnOffer(zygote_pid);
  ASSERT_GT(spare, 0) << "the zygote offers no spare supervisor";
  ASSERT_GT(run("to-spare", "exit 6"), 0);
  EXPECT_EQ(supervisors_["to-spare"], spare);
  EXPECT_EQ(WEXITSTATUS(wait("to-spare").wait_status()), 6);
  // And the next one is readied once the zygote hears the spare was taken.
  EXPECT_TRUE(awaitChildOtherThan(zygote_pid, spare)) << "no spare after the first was taken";
}

// The zygote hears that its spare was taken as the request is handed over, not once the
// launch completes: the next spare is readied while the first process has yet to exec
// (here it waits to open its standard output, a FIFO nobody reads yet). The launcher's own
// early creation of that file must not wait for a reader either.
TEST_P(LinuxLauncherTest, ROOT_TheNextSpareIsReadiedBeforeTheLaunchCompletes) {
  const pid_t zygote_pid = zygote();
  ASSERT_GT(zygote_pid, 0);
  const pid_t spare = spareOnOffer(zygote_pid);
  ASSERT_GT(spare, 0) << "the zygote offers no spare supervisor";
  const std::string fifo = dir_.file("unread.out");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // A launcher that waited for a reader would hold the plugin thread (this one, without an
  // event loop) for good: a reader comes after 5 s regardless, and the test then fails
  // rather than hangs; and one comes as the test ends, for whatever still waits.
  std::atomic<bool> rescued{false};
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 500 && !done; ++i)
      std::this_thread::sleep_for(10ms);
    rescued = !done;
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    std::this_thread::sleep_for(rescued ? 1s : 50ms);  // for the writers' opens to return
    if (reader >= 0) ::close(reader);
  });
  struct Join {
    std::atomic<bool>& done;
    std::thread& thread;
    ~Join() {
      done = true;
      thread.join();
    }
  } join{done, watchdog};
  berth::v1::LaunchRequest request;
  request.mutable_config()->set_container_id("unread");
  request.mutable_config()->mutable_command()->set_value("exit 0");
  request.mutable_config()->set_sandbox_directory(dir_.path().string());
  request.mutable_plan();
  request.set_hold(false);  // completes at the exec
  request.set_stdout_path(fifo);
  request.set_stderr_path(dir_.file("unread.err"));
  auto launched = callAsync("launch", launcher_->launcher()->launch, "unread", request);
  launched_.push_back("unread");
  ASSERT_FALSE(rescued) << "the launch hook waited for a reader of the first process's output";
  if (loop_) {
    // The event loop is free too: the hook did not leave it waiting for a reader.
    std::promise<void> ran;
    loop_->post([&ran] { ran.set_value(); });
    ASSERT_EQ(ran.get_future().wait_for(2s), std::future_status::ready)
        << "the plugin thread waits for a reader of the first process's output";
  }
  EXPECT_TRUE(awaitChildOtherThan(zygote_pid, spare)) << "no spare while the launch waits";
  ASSERT_EQ(launched.wait_for(0s), std::future_status::timeout)
      << "the launch did not wait: " << launched.get().message;
  // A reader: the first process opens its output and execs, and the launch completes.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0) << std::strerror(errno);
  const auto completed = launched.wait_for(30s);
  ::close(reader);
  ASSERT_EQ(completed, std::future_status::ready);
  EXPECT_EQ(launched.get().status, BERTH_OK);
  EXPECT_EQ(WEXITSTATUS(wait("unread").wait_status()), 0);
}

TEST_P(LinuxLauncherTest, ROOT_ADeadSpareSupervisorIsReplaced) {
  const pid_t zygote_pid = zygote();
  ASSERT_GT(zygote_pid, 0);
  const pid_t dead = spareOnOffer(zygote_pid);
  ASSERT_GT(dead, 0) << "the zygote offers no spare supervisor";
  ASSERT_EQ(::kill(dead, SIGKILL), 0);
  for (int i = 0; i < 200 && running(dead); ++i)
    std::this_thread::sleep_for(5ms);
  ASSERT_GT(run("after-spare", "exit 5"), 0);
  EXPECT_EQ(WEXITSTATUS(wait("after-spare").wait_status()), 5);
  EXPECT_NE(supervisors_["after-spare"], dead);
  // The supervisor of "after-spare" may not have exited yet: a spare is any other child.
  EXPECT_TRUE(awaitChildOtherThan(zygote_pid, supervisors_.at("after-spare")))
      << "no spare for the launch after";
}

// A root filesystem of its own: the host's /usr bound read-only into an otherwise empty
// directory, entered with pivot_root. The container sees only that tree; the host's mount
// table is untouched; the output files (host paths) still fill.
TEST_P(LinuxLauncherTest, ROOT_ARootFilesystemIsEnteredWithPivotRoot) {
  const std::string rootfs = dir_.file("rootfs");
  for (const char* sub : {"usr", "proc", "tmp"})
    std::filesystem::create_directories(rootfs + "/" + sub);
  for (const char* link : {"bin", "lib", "lib64", "sbin"}) {
    std::filesystem::create_directory_symlink(std::string("usr/") + link, rootfs + "/" + link);
  }
  testing::writeFile(rootfs + "/marker", "inside");
  berth::v1::LaunchPlan plan;
  plan.add_clone_namespaces(berth::v1::MOUNT);
  plan.set_rootfs(rootfs);
  auto* usr = plan.add_mounts();
  usr->set_source("/usr");
  usr->set_target("/usr");
  usr->set_bind(true);
  usr->set_recursive(true);
  usr->set_read_only(true);
  ASSERT_GT(run("rooted",
                "cat /marker; test -e " + dir_.path().string() +
                    " || echo no-host-paths; pwd; "
                    "touch /usr/x 2>/dev/null || echo usr-read-only",
                plan),
            0);
  const auto termination = wait("rooted");
  ASSERT_EQ(termination.wait_status(), 0) << slurp(dir_.file("rooted.err"));
  EXPECT_EQ(slurp(dir_.file("rooted.out")), "insideno-host-paths\n/\nusr-read-only\n");
  EXPECT_EQ(slurp("/proc/self/mountinfo").find(rootfs), std::string::npos);
}

// The agent blocks SIGTERM in its threads; a container must not inherit that. A program
// run without a shell (which would reset the mask itself) dies of SIGTERM at once, well
// before the grace period would send SIGKILL.
TEST_P(LinuxLauncherTest, ROOT_ContainersStartWithSignalsUnblocked) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);  // as the agent does
  dropHost();
  makeHost();  // so that the supervisor zygote starts with SIGTERM blocked, as in the agent
  berth::v1::LaunchPlan plan;
  plan.mutable_command()->set_shell(false);
  plan.mutable_command()->set_value("/bin/sleep");
  plan.mutable_command()->add_arguments("sleep");
  plan.mutable_command()->add_arguments("1000");
  ASSERT_GT(run("term", "unused", plan), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(destroy("term", SIGTERM, 10s).status, BERTH_OK);
  const auto termination = wait("term");
  pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(WIFSIGNALED(termination.wait_status())) << termination.wait_status();
  EXPECT_EQ(WTERMSIG(termination.wait_status()), SIGTERM);
}

TEST_P(LinuxLauncherTest, ROOT_ExecFailureIsReportedByStart) {
  berth::v1::LaunchRequest request;
  request.mutable_config()->set_container_id("no-exec");
  request.mutable_config()->mutable_command()->set_shell(false);
  request.mutable_config()->mutable_command()->set_value("/nonexistent/program");
  request.mutable_plan();
  auto launched = call("launch", launcher_->launcher()->launch, "no-exec", request);
  ASSERT_EQ(launched.status, BERTH_OK) << launched.message;
  launched_.push_back("no-exec");
  berth::v1::StartRequest start;
  start.set_container_id("no-exec");
  auto started = call("start", launcher_->launcher()->start, "no-exec", start);
  EXPECT_EQ(started.status, BERTH_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(started.message,
            "start of 'no-exec': exec /nonexistent/program: No such file or directory");
}

// A launch that does not ask for the process to be held (LaunchRequest.hold false): it has
// exec'd by the time the launch completes, and runs to its end without start(); start()
// then reports how the exec went.
TEST_P(LinuxLauncherTest, ROOT_AProcessNotHeldExecsWithoutWaitingForStart) {
  const auto launch = [this](const std::string& id, const std::string& program) {
    berth::v1::LaunchRequest request;
    request.mutable_config()->set_container_id(id);
    request.mutable_config()->mutable_command()->set_shell(false);
    request.mutable_config()->mutable_command()->set_value(program);
    request.mutable_config()->set_sandbox_directory(dir_.path().string());
    request.mutable_plan();
    request.set_hold(false);
    auto launched = call("launch", launcher_->launcher()->launch, id, request);
    if (launched.status == BERTH_OK) launched_.push_back(id);
    return launched;
  };
  auto launched = launch("free", "/bin/false");
  ASSERT_EQ(launched.status, BERTH_OK) << launched.message;
  EXPECT_EQ(WEXITSTATUS(wait("free").wait_status()), 1) << "it ran with no start()";
  berth::v1::StartRequest start;
  start.set_container_id("free");
  EXPECT_EQ(call("start", launcher_->launcher()->start, "free", start).status, BERTH_OK);

  // An exec that fails is reported by the launch (when the process said so before it was
  // ready) or by start(), never lost.
  launched = launch("free-noexec", "/nonexistent/program");
  std::string why = launched.message;
  if (launched.status == BERTH_OK) {
    start.set_container_id("free-noexec");
    auto started = call("start", launcher_->launcher()->start, "free-noexec", start);
    EXPECT_EQ(started.status, BERTH_ERROR_INVALID_ARGUMENT);
    why = started.message;
  }
  EXPECT_NE(why.find("exec /nonexistent/program: No such file or directory"), std::string::npos)
      << why;
}

TEST_P(LinuxLauncherTest, ROOT_SetupFailureFailsTheLaunch) {
  berth::v1::LaunchRequest request;
  request.mutable_config()->set_container_id("bad-plan");
  request.mutable_config()->mutable_command()->set_value("true");
  request.mutable_plan()->add_mounts()->set_target("/dev/shm");
  auto launched = call("launch", launcher_->launcher()->launch, "bad-plan", request);
  EXPECT_EQ(launched.status, BERTH_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(launched.message,
            "launch of 'bad-plan': the plan has mounts or a root filesystem but no mount "
            "namespace");
}

TEST_P(LinuxLauncherTest, ROOT_ExitWhileTheLauncherIsGoneIsStillReported) {
  ASSERT_GT(run("outlives", "sleep 0.3; exit 7"), 0);
  const pid_t supervisor = supervisors_["outlives"];
  const pid_t old_zygote = zygote();
  ASSERT_GT(old_zygote, 0);
  // The plugin goes away (as with the agent's kill -9) while the container runs: its
  // zygote ends with it, the supervisor it forked lives on.
  dropHost();
  EXPECT_FALSE(running(old_zygote));
  EXPECT_TRUE(running(supervisor));
  std::this_thread::sleep_for(600ms);

  makeHost();
  berth::v1::LauncherRecoverRequest recover;
  auto* checkpoint = recover.add_containers();
  checkpoint->set_container_id("outlives");
  checkpoint->set_checkpoint(std::to_string(supervisor));
  auto recovered = call("recover", launcher_->launcher()->recover, "", recover);
  ASSERT_EQ(recovered.status, BERTH_OK) << recovered.message;
  const auto termination = wait("outlives");
  ASSERT_TRUE(termination.has_wait_status()) << termination.message();
  EXPECT_EQ(WEXITSTATUS(termination.wait_status()), 7);
}

// The agent destroys a container in the launcher once WAIT is answered: one killed in
// between leaves the runtime directory, which recovery reports so that it goes too.
TEST_P(LinuxLauncherTest, ROOT_AContainerWaitedForButNotDestroyedIsAnOrphanAtRecovery) {
  ASSERT_GT(run("waited", "exit 5"), 0);
  EXPECT_EQ(WEXITSTATUS(wait("waited").wait_status()), 5);
  // The wait is answered from the exit pipe, before the supervisor records the status in
  // the runtime directory and exits; an agent restarts long after it has.
  const pid_t supervisor = supervisors_.at("waited");
  for (int i = 0; i < 400 && running(supervisor); ++i)
    std::this_thread::sleep_for(5ms);
  ASSERT_FALSE(running(supervisor));
  launched_.clear();
  dropHost();
  ASSERT_TRUE(std::filesystem::exists(dir_.file("runtime/waited")));
  // Not a container's: no exit status in it. Not the launcher's to remove.
  std::filesystem::create_directories(dir_.file("runtime/someone-elses"));

  makeHost();
  auto recovered =
      call("recover", launcher_->launcher()->recover, "", berth::v1::LauncherRecoverRequest{});
  ASSERT_EQ(recovered.status, BERTH_OK) << recovered.message;
  berth::v1::LauncherRecoverResult result;
  ASSERT_TRUE(result.ParseFromString(recovered.payload));
  ASSERT_EQ(result.orphan_containers_size(), 1);
  EXPECT_EQ(result.orphan_containers(0), "waited");
  EXPECT_EQ(result.orphan_pids_size(), 0);
  EXPECT_EQ(destroy("waited", SIGKILL, 0ms).status, BERTH_OK);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("runtime/waited")));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("runtime/someone-elses")));
}

// The threads of this process blocked in poll(2): the launcher's workers waiting for a
// supervisor's pipe do (the event loop waits in epoll_wait).
int threadsInPoll() {
  std::vector<std::string> in_poll = {std::to_string(SYS_ppoll) + " "};
#ifdef SYS_poll  // not on arm64, where poll(2) is ppoll
  in_poll.push_back(std::to_string(SYS_poll) + " ");
#endif
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    const std::string syscall = slurp(task.path().string() + "/syscall");
    for (const std::string& call : in_poll)
      count += syscall.starts_with(call) ? 1 : 0;
  }
  return count;
}

// With the host's event loop, running containers hold no thread: each wait is a watch on
// its exit pipe. Without one, each holds a worker.
TEST_P(LinuxLauncherTest, ROOT_WaitsForRunningContainersHoldNoThreadInAnEventLoop) {
  constexpr int kContainers = 5;
  std::vector<std::future<OperationOutcome>> waits;
  for (int i = 0; i < kContainers; ++i) {
    const std::string id = "idle-" + std::to_string(i);
    ASSERT_GT(run(id, "exec sleep 1000"), 0);
    berth::v1::WaitRequest request;
    request.set_container_id(id);
    waits.push_back(callAsync("wait", launcher_->launcher()->wait, id, request, false));
  }
  const int expected = GetParam() ? 0 : kContainers;
  int blocked = -1;
  for (int i = 0; i < 200 && blocked != expected; ++i) {
    std::this_thread::sleep_for(10ms);
    blocked = threadsInPoll();
  }
  EXPECT_EQ(blocked, expected);
  for (int i = 0; i < kContainers; ++i)
    destroy("idle-" + std::to_string(i), SIGKILL, 0ms);
  for (auto& wait : waits) {
    ASSERT_EQ(wait.wait_for(30s), std::future_status::ready);
    const OperationOutcome waited = wait.get();
    ASSERT_EQ(waited.status, BERTH_OK) << waited.message;
    berth::v1::Termination termination;
    ASSERT_TRUE(termination.ParseFromString(waited.payload));
    EXPECT_EQ(WTERMSIG(termination.wait_status()), SIGKILL);
  }
}

// The supervisor asks for a short scheduler slice while it starts the container, so that
// its first process cannot keep it from reporting the launch, and gives it up once it has;
// the container starts with the kernel's defaults.
TEST_P(LinuxLauncherTest, ROOT_TheContainerRunsWithTheDefaultSlice) {
  const auto slice = [](const std::string& pid) -> std::string {
    std::istringstream lines(slurp("/proc/" + pid + "/sched"));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("se.slice")) return line.substr(line.find(':') + 1);
    }
    return "";
  };
  const std::string own = slice("self");
  if (own.empty()) GTEST_SKIP() << "this kernel shows no se.slice in /proc/<pid>/sched";
  // Kernels before 6.12 show the slice but take no custom one: nothing to check there.
  bool custom = false;
  std::thread([&] {
    custom = berth_request_short_slice() == 0 && slice("thread-self") != own;
  }).join();
  if (!custom) GTEST_SKIP() << "this kernel takes no custom scheduler slice";
  ASSERT_GT(run("slices", "grep se.slice /proc/self/sched; sleep 5"), 0);
  const std::string supervisor = std::to_string(supervisors_["slices"]);
  std::string container;
  for (int i = 0; i < 400 && container.empty(); ++i) {
    container = slurp(dir_.file("slices.out"));
    if (container.empty()) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(container.substr(container.find(':') + 1), own + "\n") << "the container's";
  EXPECT_EQ(slice(supervisor), own) << "the supervisor's, once the container runs";
}

// A zygote that died (killed, out of memory) is replaced at the next launch.
TEST_P(LinuxLauncherTest, ROOT_AKilledZygoteIsStartedAgain) {
  const pid_t first = zygote();
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  for (int i = 0; i < 200 && running(first); ++i)
    std::this_thread::sleep_for(5ms);
  ASSERT_GT(run("after-kill", "exit 4"), 0);
  EXPECT_EQ(WEXITSTATUS(wait("after-kill").wait_status()), 4);
  const pid_t second = zygote();
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
}

INSTANTIATE_TEST_SUITE_P(, LinuxLauncherTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "EventLoop" : "Workers";
                         });

}  // namespace
}  // namespace berth::agent
