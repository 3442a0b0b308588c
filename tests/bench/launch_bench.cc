// Container launch latency, /bin/true, 200 runs each, in one program so that the peers
// are measured in the same conditions:
//   BM_BerthLaunchRunning  LAUNCH_CONTAINER request -> answer (the process has exec'd)
//   BM_BerthLaunchToExit   LAUNCH_CONTAINER + WAIT_CONTAINER (the exit is observed)
//   BM_BerthIsolated...    the same with --isolation=ipc,shm,nnp and ipc_mode PRIVATE
//                          (new IPC and mount namespaces, a 64 MiB /dev/shm, no_new_privs)
//   BM_CrunRun             `crun run` of an OCI bundle with the same isolation: new mount
//                          and IPC namespaces, a 64 MiB tmpfs /dev/shm, noNewPrivileges
//   BM_IsolationAddedLatency  plain and isolated launches in alternating pairs: what the
//                          three isolators add, with the machine's drift cancelled
//   BM_RawSpawnWait        posix_spawn + waitpid of /bin/true: the floor
//   BM_BerthVersusCrunAndFloor  the isolated Berth launch, crun and the floor in rotation:
//                          the ratios, with the machine's drift cancelled
// Each reports the median and p99 of its runs (counters p50_ms, p99_ms). Needs root.
//
//   build/bin/berth_launch_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <thread>

#include "tests/bench/blocking_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

extern char** environ;  // NOLINT: POSIX global

namespace berth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 200;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Collects one sample per run and reports median and p99.
class Samples {
 public:
  void add(Clock::duration d) {
    ms_.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  void report(benchmark::State& state) {
    std::sort(ms_.begin(), ms_.end());
    if (ms_.empty()) return;
    state.counters["p50_ms"] = ms_[ms_.size() / 2];
    state.counters["p99_ms"] = ms_[std::min(ms_.size() - 1, ms_.size() * 99 / 100)];
  }

 private:
  std::vector<double> ms_;
};

// The launcher's runtime directory lives on tmpfs, as its default /var/run/berth does on a
// standard host (on the project's VM /run is on the ext4 root, where each of the few file
// operations per container there costs 0.1 to 0.3 ms).
struct Agent {
  // `bin_dir`: where berth-agent is, its plugins in ../plugins (a build tree's layout).
  explicit Agent(const std::vector<std::string>& flags = {},
                 const std::string& bin_dir = BERTH_BIN_DIR) {
    std::filesystem::create_directories(runtime);
    // Each agent has a cgroup parent of its own, as every agent on a host must.
    testing::writeFile(dir.file("plugins.json"), R"({"linux-launcher": {"runtime_dir": ")" +
                                                     runtime + R"(", "cgroup_parent": ")" +
                                                     dir.path().filename().string() + R"("}})");
    std::vector<std::string> argv = {
        bin_dir + "/berth-agent",           "--work_dir=" + dir.file("work"),
        "--runtime_dir=" + dir.file("run"), "--port=0",
        "--launcher=linux-launcher",        "--plugin_config=" + dir.file("plugins.json")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process = std::make_unique<testing::BackgroundProcess>(argv);
    auto output = process->waitForOutput("Plugins recovered", 20s);
    std::smatch match;
    if (output && std::regex_search(*output, match, std::regex("http://[0-9.]+:([0-9]+)/api"))) {
      client =
          bench::BlockingClient::connect(static_cast<uint16_t>(std::stoi(match[1].str())), 30s);
    }
  }
  ~Agent() {
    process->signal(SIGTERM);
    process->wait(10s);
    std::error_code ec;
    std::filesystem::remove_all(runtime, ec);
    // The cgroup parent, empty once its containers are gone: v1 freezer or v2.
    for (const char* root : {"/sys/fs/cgroup/freezer/", "/sys/fs/cgroup/"}) {
      std::filesystem::remove(root + dir.path().filename().string(), ec);
    }
  }

  int call(const std::string& json) { return client->post(json, &last_body); }

  // WAIT_CONTAINER for `id_json` ({"container_id":...}): whether the container ran and
  // exited 0, so that a broken launch is never timed as a fast one.
  bool waitExitedCleanly(const std::string& id_json) {
    return call(R"({"type":"WAIT_CONTAINER","wait_container":)" + id_json + "}") == 200 &&
           last_body.find(R"("exit_status":0)") != std::string::npos;
  }

  testing::TempDir dir;
  const std::string runtime =
      "/dev/shm/berth-bench-" + std::to_string(::getpid()) + "-" + dir.path().filename().string();
  std::unique_ptr<testing::BackgroundProcess> process;
  std::unique_ptr<bench::BlockingClient> client;
  std::string last_body;  // of the last call's answer
};

Agent& agent() {
  static Agent instance;
  return instance;
}

// The isolation the ipc, shm and nnp plugins give, which the crun bundle below mirrors.
// BERTH_BENCH_ISOLATION replaces the isolator list, to see what each one costs.
std::vector<std::string> isolatedFlags() {
  const char* isolation = std::getenv("BERTH_BENCH_ISOLATION");
  return {std::string("--isolation=") + (isolation ? isolation : "ipc,shm,nnp"),
          "--default_container_shm_size=64MB"};
}

Agent& isolatedAgent() {
  static Agent instance(isolatedFlags());
  return instance;
}

// BERTH_BENCH_BASELINE=<another build>/bin: the same isolated agent from that build, a
// fourth contender in BM_BerthVersusCrunAndFloor, so that two builds compare in one run.
Agent* baselineAgent() {
  const char* bin_dir = std::getenv("BERTH_BENCH_BASELINE");
  if (bin_dir == nullptr || bin_dir[0] == '\0') return nullptr;
  static Agent instance(isolatedFlags(), bin_dir);
  return &instance;
}

// A number field of /proc/<pid>/status ("VmRSS:", "Threads:").
long statusField(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return 0;
}

// Context switches of every thread of `pid` so far: its wake-ups, near enough.
long contextSwitches(int pid) {
  long total = 0;
  std::error_code ec;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      for (const std::string field : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
        if (line.rfind(field, 0) == 0) total += std::stol(line.substr(field.size()));
      }
    }
  }
  return total;
}

// The agent's resident memory when idle (with the linux launcher loaded), and what each
// running container adds to it (100 sleeping containers), and its threads and wake-ups per
// second then (the containerizer waits for every container).
void BM_AgentMemory(benchmark::State& state) {
  if (::geteuid() != 0) return state.SkipWithError("needs root");
  Agent& a = agent();
  if (!a.client) return state.SkipWithError("the agent did not start");
  constexpr int kContainers = 100;
  for (auto _ : state) {
    const long idle = statusField(a.process->pid(), "VmRSS:");
    const long idle_threads = statusField(a.process->pid(), "Threads:");
    for (int i = 0; i < kContainers; ++i) {
      a.call(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"m)" +
             std::to_string(i) + R"("},"command":{"value":"sleep 1000"}}})");
    }
    const long busy = statusField(a.process->pid(), "VmRSS:");
    const long busy_threads = statusField(a.process->pid(), "Threads:");
    const long switches = contextSwitches(a.process->pid());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long switches_per_s = contextSwitches(a.process->pid()) - switches;
    for (int i = 0; i < kContainers; ++i) {
      const std::string id = R"({"container_id":{"value":"m)" + std::to_string(i) + R"("}})";
      a.call(R"({"type":"KILL_CONTAINER","kill_container":)" + id + "}");
      a.call(R"({"type":"WAIT_CONTAINER","wait_container":)" + id + "}");
      a.call(R"({"type":"REMOVE_CONTAINER","remove_container":)" + id + "}");
    }
    state.counters["idle_rss_kib"] = static_cast<double>(idle);
    state.counters["kib_per_container"] = static_cast<double>(busy - idle) / kContainers;
    state.counters["threads_idle"] = static_cast<double>(idle_threads);
    state.counters["threads_100_running"] = static_cast<double>(busy_threads);
    state.counters["wakeups_per_s_100_running"] = static_cast<double>(switches_per_s);
  }
}
BENCHMARK(BM_AgentMemory)->Iterations(1);

std::string idJson(int i) {
  return R"({"container_id":{"value":"b)" + std::to_string(i) + R"("}})";
}

void runBerth(benchmark::State& state, bool to_exit, bool isolated) {
  if (::geteuid() != 0) return state.SkipWithError("needs root");
  Agent& a = isolated ? isolatedAgent() : agent();
  if (!a.client) return state.SkipWithError("the agent did not start");
  const std::string container =
      isolated ? R"(,"container":{"type":"MESOS","linux_info":{"ipc_mode":"PRIVATE"}})" : "";
  Samples samples;
  static int next = 0;
  for (auto _ : state) {
    const int i = next++;
    const auto start = Clock::now();
    const int launched =
        a.call(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"b)" +
               std::to_string(i) + R"("},"command":{"shell":false,"value":"/bin/true"})" +
               container + "}}");
    const bool exited = !to_exit || a.waitExitedCleanly(idJson(i));
    const auto elapsed = Clock::now() - start;
    if (launched != 200) return state.SkipWithError("launch failed");
    if (!exited || (!to_exit && !a.waitExitedCleanly(idJson(i)))) {
      return state.SkipWithError(("a container did not exit 0: " + a.last_body).c_str());
    }
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    samples.add(elapsed);
    a.call(R"({"type":"REMOVE_CONTAINER","remove_container":)" + idJson(i) + "}");
  }
  samples.report(state);
}

void BM_BerthLaunchRunning(benchmark::State& state) {
  runBerth(state, false, false);
}
BENCHMARK(BM_BerthLaunchRunning)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_BerthLaunchToExit(benchmark::State& state) {
  runBerth(state, true, false);
}
BENCHMARK(BM_BerthLaunchToExit)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_BerthIsolatedLaunchRunning(benchmark::State& state) {
  runBerth(state, false, true);
}
BENCHMARK(BM_BerthIsolatedLaunchRunning)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_BerthIsolatedLaunchToExit(benchmark::State& state) {
  runBerth(state, true, true);
}
BENCHMARK(BM_BerthIsolatedLaunchToExit)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// What ipc, shm and nnp add to a launch, measured so that drift on a noisy machine cancels:
// each iteration launches one plain and one isolated container (to observed exit) back to
// back, alternating which goes first. Reports the median of each and the median of the
// per-pair differences.
void BM_IsolationAddedLatency(benchmark::State& state) {
  if (::geteuid() != 0) return state.SkipWithError("needs root");
  Agent& plain = agent();
  Agent& isolated = isolatedAgent();
  if (!plain.client || !isolated.client) return state.SkipWithError("an agent did not start");
  const std::string isolation =
      R"(,"container":{"type":"MESOS","linux_info":{"ipc_mode":"PRIVATE"}})";
  const auto once = [](Agent& a, const std::string& id, const std::string& container) {
    const std::string id_json = R"({"container_id":{"value":")" + id + R"("}})";
    const auto start = Clock::now();
    const int launched =
        a.call(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" + id +
               R"("},"command":{"shell":false,"value":"/bin/true"})" + container + "}}");
    const bool exited = a.waitExitedCleanly(id_json);
    const auto elapsed = Clock::now() - start;
    a.call(R"({"type":"REMOVE_CONTAINER","remove_container":)" + id_json + "}");
    return launched == 200 && exited ? std::optional(elapsed) : std::nullopt;
  };
  std::vector<double> plain_ms, isolated_ms, added_ms;
  int i = 0;
  for (auto _ : state) {
    const std::string id = "pair-" + std::to_string(i);
    std::optional<Clock::duration> p, q;
    if (i++ % 2 == 0) {
      p = once(plain, id, "");
      q = once(isolated, id, isolation);
    } else {
      q = once(isolated, id, isolation);
      p = once(plain, id, "");
    }
    if (!p || !q) {
      const std::string why = "a launch failed: " + (p ? isolated : plain).last_body;
      return state.SkipWithError(why.c_str());
    }
    plain_ms.push_back(ms(*p));
    isolated_ms.push_back(ms(*q));
    added_ms.push_back(ms(*q) - ms(*p));
    state.SetIterationTime(std::chrono::duration<double>(*q - *p).count());
  }
  state.counters["plain_p50_ms"] = median(plain_ms);
  state.counters["isolated_p50_ms"] = median(isolated_ms);
  state.counters["added_p50_ms"] = median(added_ms);
}
BENCHMARK(BM_IsolationAddedLatency)->Iterations(kRuns)->UseManualTime();

// Spawns argv and waits; returns the wait status.
int spawnWait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void BM_RawSpawnWait(benchmark::State& state) {
  Samples samples;
  for (auto _ : state) {
    const auto start = Clock::now();
    spawnWait({"/bin/true"});
    const auto elapsed = Clock::now() - start;
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    samples.add(elapsed);
  }
  samples.report(state);
}
BENCHMARK(BM_RawSpawnWait)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMillisecond);

// An OCI bundle whose root filesystem is the host's /usr, read-only, with the isolation
// Berth's ipc, shm and nnp plugins give a container.
std::string makeBundle(const testing::TempDir& dir) {
  const std::string rootfs = dir.file("bundle/rootfs");
  std::filesystem::create_directories(rootfs + "/usr");
  for (const char* link : {"bin", "lib", "lib64", "sbin"}) {
    std::error_code ec;
    std::filesystem::create_directory_symlink(std::string("usr/") + link, rootfs + "/" + link, ec);
  }
  testing::writeFile(dir.file("bundle/config.json"), R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["/bin/true"], "cwd": "/", "noNewPrivileges": true,
              "user": {"uid": 0, "gid": 0}, "env": ["PATH=/usr/bin:/bin"]},
  "root": {"path": "rootfs", "readonly": false},
  "mounts": [
    {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "nodev", "mode=1777", "size=67108864"]}
  ],
  "linux": {"namespaces": [{"type": "mount"}, {"type": "ipc"}]}
})");
  return dir.file("bundle");
}

// `crun run` of the bundle above, in this process's private mount namespace: crun 1.8.1
// refuses this host's hybrid cgroup layout unless a tmpfs hides the v2 tree.
class Crun {
 public:
  Crun() : bundle_(makeBundle(dir_)), root_(dir_.file("crun-state")) {
    static const bool hidden = [] {
      return ::unshare(CLONE_NEWNS) == 0 &&
             ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
             (!std::filesystem::exists("/sys/fs/cgroup/unified") ||
              ::mount("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", 0, nullptr) == 0);
    }();
    if (::geteuid() != 0) {
      error_ = "needs root";
    } else if (!testing::haveProgram("crun")) {
      error_ = "crun is not installed";
    } else if (!hidden) {
      error_ = "cannot hide /sys/fs/cgroup/unified";
    }
  }
  // Why crun cannot run here, or nullptr.
  const char* error() const { return error_; }

  // Start to exit of one container; nullopt if crun failed.
  std::optional<Clock::duration> run() {
    const std::string id = "bench-" + std::to_string(next_++);
    const auto start = Clock::now();
    const int status = spawnWait({"crun", "--root", root_, "run", "--bundle", bundle_, id});
    const auto elapsed = Clock::now() - start;
    return status == 0 ? std::optional(elapsed) : std::nullopt;
  }

 private:
  testing::TempDir dir_;
  const std::string bundle_;
  const std::string root_;
  const char* error_ = nullptr;
  int next_ = 0;
};

void BM_CrunRun(benchmark::State& state) {
  Crun crun;
  if (crun.error()) return state.SkipWithError(crun.error());
  Samples samples;
  for (auto _ : state) {
    const auto elapsed = crun.run();
    if (!elapsed) return state.SkipWithError("crun run failed");
    state.SetIterationTime(std::chrono::duration<double>(*elapsed).count());
    samples.add(*elapsed);
  }
  samples.report(state);
}
BENCHMARK(BM_CrunRun)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMillisecond);

// The ratios of the issue, measured so that this machine's drift (medians move 20% between
// runs) cancels: each iteration runs one isolated Berth container to its observed exit
// (LAUNCH + WAIT), one `crun run` with the same isolation and one posix_spawn + waitpid,
// in an order drawn anew each time, each after kSettle of quiet. Reports the median of each and the
// medians of the per-iteration ratios. With BERTH_BENCH_BASELINE, the baseline build's agent
// takes a turn too (berth_over_baseline below 1: this build is faster).
constexpr auto kSettle = 10ms;

std::optional<Clock::duration> launchToExit(Agent& a, const std::string& id) {
  const std::string id_json = R"({"container_id":{"value":")" + id + R"("}})";
  const auto start = Clock::now();
  const int launched = a.call(
      R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" + id +
      R"("},"command":{"shell":false,"value":"/bin/true"},"container":{"type":"MESOS","linux_info":{"ipc_mode":"PRIVATE"}}}})");
  const bool exited = a.waitExitedCleanly(id_json);
  const auto elapsed = Clock::now() - start;
  a.call(R"({"type":"REMOVE_CONTAINER","remove_container":)" + id_json + "}");
  return launched == 200 && exited ? std::optional(elapsed) : std::nullopt;
}

void BM_BerthVersusCrunAndFloor(benchmark::State& state) {
  if (::geteuid() != 0) return state.SkipWithError("needs root");
  // Before Crun makes this process's mount namespace private.
  Agent& a = isolatedAgent();
  Agent* baseline = baselineAgent();
  if (!a.client) return state.SkipWithError("the agent did not start");
  if (baseline != nullptr && !baseline->client) {
    return state.SkipWithError("the baseline agent did not start");
  }
  Crun crun;
  if (crun.error()) return state.SkipWithError(crun.error());
  const auto floor = [] {
    const auto start = Clock::now();
    spawnWait({"/bin/true"});
    return std::optional(Clock::now() - start);
  };
  std::vector<int> order = {0, 1, 2};
  if (baseline != nullptr) order.push_back(3);
  // A new order each iteration: a fixed cycle, even with a rotating start, puts each
  // contender after the same one every time (identical builds measured 0.92-0.98 of each
  // other that way), and what one leaves behind then always lands on the same next one.
  std::mt19937 shuffle(20261130);
  std::vector<double> berth_ms, crun_ms, floor_ms, baseline_ms, crun_over_berth, berth_over_floor,
      berth_over_baseline;
  int i = 0;
  for (auto _ : state) {
    std::optional<Clock::duration> b, c, f, base;
    std::shuffle(order.begin(), order.end(), shuffle);
    for (int contender : order) {
      // Each starts on a quiet machine: what the one before left to do in the background
      // (Berth readies its next supervisor at idle priority and flushes exit records) is
      // not charged to the next contender.
      std::this_thread::sleep_for(kSettle);
      switch (contender) {
        case 0:
          b = launchToExit(a, "vs" + std::to_string(i));
          break;
        case 1:
          c = crun.run();
          break;
        case 2:
          f = floor();
          break;
        default:
          base = launchToExit(*baseline, "vs" + std::to_string(i));
          break;
      }
    }
    ++i;
    if (!b || !c || !f || (baseline != nullptr && !base)) {
      const std::string why =
          "a launch failed: " + (!b                             ? a.last_body
                                 : !base && baseline != nullptr ? baseline->last_body
                                                                : std::string("crun or the floor"));
      return state.SkipWithError(why.c_str());
    }
    state.SetIterationTime(std::chrono::duration<double>(*b).count());
    berth_ms.push_back(ms(*b));
    crun_ms.push_back(ms(*c));
    floor_ms.push_back(ms(*f));
    crun_over_berth.push_back(ms(*c) / ms(*b));
    berth_over_floor.push_back(ms(*b) / ms(*f));
    if (base) {
      baseline_ms.push_back(ms(*base));
      berth_over_baseline.push_back(ms(*b) / ms(*base));
    }
  }
  state.counters["berth_p50_ms"] = median(berth_ms);
  state.counters["crun_p50_ms"] = median(crun_ms);
  state.counters["floor_p50_ms"] = median(floor_ms);
  state.counters["crun_over_berth"] = median(crun_over_berth);
  state.counters["berth_over_floor"] = median(berth_over_floor);
  if (baseline != nullptr) {
    state.counters["baseline_p50_ms"] = median(baseline_ms);
    state.counters["berth_over_baseline"] = median(berth_over_baseline);
  }
}
BENCHMARK(BM_BerthVersusCrunAndFloor)->Iterations(kRuns)->UseManualTime();

}  // namespace
}  // namespace berth

BENCHMARK_MAIN();
