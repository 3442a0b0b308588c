// Standalone containers through the real agent, the real linux-launcher and real processes:
// the Mesos v1 calls, and recovery after `kill -9` of the agent.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "core/net/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"

namespace berth {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;

const std::string kAgent = std::string(BERTH_BIN_DIR) + "/berth-agent";

class ContainersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the linux launcher uses cgroups";
    // Its own cgroup parent, so that tests running at once do not take each other's
    // containers for orphans.
    cgroup_parent_ = "berth-test-" + std::to_string(::getpid());
    testing::writeFile(dir_.file("plugins.json"),
                       R"({"linux-launcher": {"runtime_dir": ")" + dir_.file("launcher") +
                           R"(", "cgroup_parent": ")" + cgroup_parent_ + R"("}})");
  }

  void TearDown() override {
    if (agent_) {
      for (const char* id : {"exit-3", "sleeper", "outage", "runner", "orphan"}) {
        call(R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":")" +
             std::string(id) + R"("}}})");
      }
      std::this_thread::sleep_for(200ms);
      agent_->signal(SIGTERM);
      agent_->wait(10s);
    }
    std::error_code ec;
    std::filesystem::remove(cgroupDir(), ec);
  }

  std::string cgroupDir() const { return "/sys/fs/cgroup/freezer/" + cgroup_parent_; }

  void startAgent() {
    agent_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        kAgent, "--work_dir=" + dir_.file("work"), "--runtime_dir=" + dir_.file("run"), "--port=0",
        "--launcher=linux-launcher", "--plugin_config=" + dir_.file("plugins.json")});
    auto output = agent_->waitForOutput("Plugins recovered", 20s);
    ASSERT_TRUE(output) << agent_->output();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(*output, match, std::regex("(http://[0-9.]+:[0-9]+)/api")));
    url_ = match[1];
  }

  // One call on `client`, or on a connection of its own (thread-safe) when null.
  net::Response call(const std::string& json, net::HttpClient* client = nullptr) {
    std::unique_ptr<net::HttpClient> own;
    if (client == nullptr) {
      auto connected = net::HttpClient::connect(url_, {.timeout = 30s});
      EXPECT_TRUE(connected) << connected.error().message();
      if (!connected) return {};
      own = std::move(*connected);
      client = own.get();
    }
    net::Request request;
    request.method = "POST";
    request.target = "/api/v1";
    request.headers.set("Content-Type", "application/json");
    request.body = json;
    auto response = client->send(request);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : net::Response{};
  }

  net::Response launch(const std::string& id, const std::string& command) {
    return call(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" + id +
                R"("},"command":{"value":")" + command + R"("}}})");
  }

  int waitStatus(const std::string& id) {
    auto response = call(R"({"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":")" +
                         id + R"("}}})");
    EXPECT_EQ(response.status, 200) << response.body;
    std::smatch match;
    if (!std::regex_search(response.body, match, std::regex(R"("exit_status":(-?[0-9]+))"))) {
      ADD_FAILURE() << "no exit status: " << response.body;
      return -1;
    }
    return std::stoi(match[1]);
  }

  testing::TempDir dir_;
  std::string cgroup_parent_;
  std::unique_ptr<BackgroundProcess> agent_;
  std::string url_;
};

TEST_F(ContainersTest, ROOT_LaunchWaitKillRemove) {
  startAgent();
  EXPECT_EQ(launch("exit-3", "echo out; exit 3").status, 200);
  const int status = waitStatus("exit-3");
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  std::ifstream out(dir_.file("work/containers/exit-3/stdout"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(out), {}), "out\n");

  // A second launch of the same id is Mesos's 202.
  EXPECT_EQ(launch("exit-3", "true").status, 202);

  ASSERT_EQ(launch("sleeper", "sleep 1000").status, 200);
  auto listed = call(R"({"type":"GET_CONTAINERS","get_containers":{"show_standalone":true}})");
  EXPECT_NE(listed.body.find(R"("container_id":{"value":"sleeper"})"), std::string::npos)
      << listed.body;
  EXPECT_NE(listed.body.find(R"("processes":)"), std::string::npos) << listed.body;
  // Mesos lists standalone containers only when asked.
  auto hidden = call(R"({"type":"GET_CONTAINERS"})");
  EXPECT_EQ(hidden.body.find("sleeper"), std::string::npos) << hidden.body;

  EXPECT_EQ(
      call(R"({"type":"REMOVE_CONTAINER","remove_container":{"container_id":{"value":"sleeper"}}})")
          .status,
      400)
      << "a running container cannot be removed";
  EXPECT_EQ(
      call(
          R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"sleeper"},"signal":15}})")
          .status,
      200);
  const int killed = waitStatus("sleeper");
  EXPECT_TRUE(WIFSIGNALED(killed));
  EXPECT_EQ(WTERMSIG(killed), SIGTERM);
  EXPECT_EQ(
      call(R"({"type":"REMOVE_CONTAINER","remove_container":{"container_id":{"value":"sleeper"}}})")
          .status,
      200);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("work/containers/sleeper")));
  auto gone =
      call(R"({"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"sleeper"}}})");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, "Container sleeper cannot be found");
  auto unknown =
      call(R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"nope"}}})");
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(ContainersTest, ROOT_BadLaunchesAreRefusedWithTheField) {
  startAgent();
  auto no_command =
      call(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"x"}}})");
  EXPECT_EQ(no_command.status, 400);
  EXPECT_EQ(no_command.body, "'launch_container.command.value' is required");
  auto slash = launch("a/b", "true");
  EXPECT_EQ(slash.status, 400);
  EXPECT_NE(slash.body.find("'container_id.value' 'a/b' contains '/'"), std::string::npos);
  auto nested = call(
      R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c","parent":{"value":"p"}},"command":{"value":"true"}}})");
  EXPECT_EQ(nested.status, 400);
  auto missing = call(R"({"type":"LAUNCH_CONTAINER"})");
  EXPECT_EQ(missing.status, 400);
  auto exec_fails = call(
      R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"noexec"},"command":{"shell":false,"value":"/nonexistent"}}})");
  EXPECT_EQ(exec_fails.status, 400);
  EXPECT_NE(exec_fails.body.find("exec /nonexistent: No such file or directory"), std::string::npos)
      << exec_fails.body;
}

// The first process fails before its start barrier (its stdout cannot be opened): the
// launch fails with the reason, and the agent, which then writes to a barrier nobody
// reads, lives on.
TEST_F(ContainersTest, ROOT_AFailureBeforeTheBarrierFailsTheLaunchNotTheAgent) {
  startAgent();
  std::filesystem::create_directories(dir_.file("work/containers/blocked/stdout"));
  auto launched = launch("blocked", "true");
  EXPECT_EQ(launched.status, 400);
  EXPECT_NE(launched.body.find("Is a directory"), std::string::npos) << launched.body;
  EXPECT_EQ(call(R"({"type":"GET_HEALTH"})").status, 200) << agent_->output();
  ASSERT_EQ(launch("after", "exit 2").status, 200);
  EXPECT_EQ(WEXITSTATUS(waitStatus("after")), 2);
}

TEST_F(ContainersTest, ROOT_RecoveryAfterKill9) {
  startAgent();
  ASSERT_EQ(launch("runner", "sleep 1000").status, 200);
  ASSERT_EQ(launch("outage", "sleep 1; exit 5").status, 200);
  ASSERT_EQ(launch("orphan", "sleep 1000").status, 200);

  agent_->signal(SIGKILL);
  ASSERT_EQ(agent_->wait(10s), -SIGKILL);
  // While the agent is down: "outage" exits, and the checkpoint of "orphan" is damaged,
  // which leaves its processes to nobody.
  ASSERT_GT(testing::damageFile(dir_.file("work/meta/containers.journal"), "containers/orphan"), 0);
  std::this_thread::sleep_for(1500ms);

  startAgent();
  EXPECT_NE(agent_->output().find("Skipping container 'orphan' in recovery"), std::string::npos)
      << agent_->output();
  const int outage = waitStatus("outage");
  EXPECT_TRUE(WIFEXITED(outage));
  EXPECT_EQ(WEXITSTATUS(outage), 5) << "the exit during the outage keeps its real status";
  EXPECT_NE(agent_->output().find("Destroying container 'orphan', which no checkpoint knows"),
            std::string::npos)
      << agent_->output();
  for (int i = 0; i < 200 && std::filesystem::exists(cgroupDir() + "/orphan"); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(std::filesystem::exists(cgroupDir() + "/orphan"))
      << "the orphan's processes and cgroup are gone";

  EXPECT_EQ(
      call(R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"runner"}}})")
          .status,
      200);
  const int killed = waitStatus("runner");
  EXPECT_TRUE(WIFSIGNALED(killed));
  EXPECT_EQ(WTERMSIG(killed), SIGKILL);
}

TEST_F(ContainersTest, ROOT_ConcurrentLaunchesAllRunAndEnd) {
  startAgent();
  constexpr int kContainers = 16;
  std::vector<std::thread> launchers;
  std::atomic<int> launched{0};
  for (int i = 0; i < kContainers; ++i) {
    launchers.emplace_back([&, i] {
      if (launch("c" + std::to_string(i), "exit " + std::to_string(i)).status == 200) ++launched;
    });
  }
  for (auto& t : launchers)
    t.join();
  EXPECT_EQ(launched, kContainers);
  for (int i = 0; i < kContainers; ++i) {
    const int status = waitStatus("c" + std::to_string(i));
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), i) << "container c" << i;
  }
}

TEST_F(ContainersTest, ROOT_RecoverCleanupDestroysEverythingAndExits) {
  startAgent();
  ASSERT_EQ(launch("runner", "sleep 1000").status, 200);
  agent_->signal(SIGKILL);
  ASSERT_EQ(agent_->wait(10s), -SIGKILL);

  BackgroundProcess cleanup({kAgent, "--work_dir=" + dir_.file("work"),
                             "--runtime_dir=" + dir_.file("run"), "--port=0",
                             "--launcher=linux-launcher", "--recover=cleanup",
                             "--plugin_config=" + dir_.file("plugins.json")});
  EXPECT_EQ(cleanup.wait(20s), 0) << cleanup.output();
  EXPECT_NE(cleanup.output().find("Destroyed 1 containers; exiting as --recover=cleanup asks"),
            std::string::npos)
      << cleanup.output();
  size_t cgroups = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cgroupDir())) {
    if (entry.is_directory()) ++cgroups;
  }
  EXPECT_EQ(cgroups, 0u) << "the container's processes and cgroup are gone";
  agent_.reset();
}

// Numbers read from /proc for the leak test.
struct ProcessFootprint {
  size_t fds = 0;
  size_t zombie_children = 0;
  long rss_kib = 0;
};

ProcessFootprint footprintOf(int pid) {
  ProcessFootprint f;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       it != std::filesystem::directory_iterator(); ++it) {
    ++f.fds;
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::stol(line.substr(6));
  }
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    const std::string text = testing::readFile(entry.path() / "stat");
    const size_t close = text.rfind(')');
    if (close == std::string::npos || close + 4 >= text.size()) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid && state == 'Z') ++f.zombie_children;
  }
  return f;
}

size_t countLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    ++n;
  return n;
}

TEST_F(ContainersTest, ROOT_ThousandLaunchesLeaveNothingBehind) {
  startAgent();
  // One keep-alive connection for all 1,050 cycles.
  auto client = net::HttpClient::connect(url_, {.timeout = 30s});
  ASSERT_TRUE(client);
  const auto send = [&](const std::string& json) {
    const net::Response response = call(json, client->get());
    if (response.status >= 300) ADD_FAILURE() << json << " -> " << response.body;
    return response.status;
  };
  const auto cycle = [&](int i) {
    const std::string id = "leak-" + std::to_string(i);
    const std::string cid = R"({"container_id":{"value":")" + id + R"("}})";
    ASSERT_EQ(send(R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" +
                   id + R"("},"command":{"value":"true"}}})"),
              200);
    ASSERT_EQ(send(R"({"type":"WAIT_CONTAINER","wait_container":)" + cid + "}"), 200);
    ASSERT_EQ(send(R"({"type":"REMOVE_CONTAINER","remove_container":)" + cid + "}"), 200);
  };
  // Warm-up: allocator pools and lazily created state settle first.
  for (int i = 0; i < 50; ++i)
    cycle(i);
  const ProcessFootprint before = footprintOf(agent_->pid());
  const size_t mounts_before = countLines("/proc/self/mountinfo");
  for (int i = 50; i < 1050; ++i) {
    cycle(i);
    if (HasFatalFailure()) return;
  }
  // Removed sandboxes are deleted in the background, from the agent's trash.
  const std::string trash = dir_.file("work/trash");
  for (int i = 0; i < 500 && !std::filesystem::is_empty(trash); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(std::filesystem::is_empty(trash)) << "removed sandboxes were not deleted";
  const ProcessFootprint after = footprintOf(agent_->pid());

  // Give or take the spare supervisor the launcher may hold at either moment (its socket
  // and pidfd, linux-launcher/zygote_client.h): a leak over 1,000 cycles is far more.
  EXPECT_LE(after.fds, before.fds + 2) << "file descriptors leaked";
  EXPECT_EQ(after.zombie_children, 0u) << "unreaped supervisors";
  EXPECT_EQ(countLines("/proc/self/mountinfo"), mounts_before) << "mounts leaked";
  size_t cgroups = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cgroupDir())) {
    if (entry.is_directory()) ++cgroups;
  }
  EXPECT_EQ(cgroups, 0u) << "container cgroups leaked";
  EXPECT_TRUE(std::filesystem::is_empty(dir_.file("launcher"))) << "runtime files leaked";
  EXPECT_TRUE(std::filesystem::is_empty(dir_.file("work/containers"))) << "sandboxes leaked";
  // 1,000 containers may not cost the agent memory: allow 1 MiB of allocator noise.
  EXPECT_LT(after.rss_kib - before.rss_kib, 1024)
      << "RSS grew from " << before.rss_kib << " KiB to " << after.rss_kib << " KiB";
}

// An isolator's limitation ends the container, and WAIT_CONTAINER says so as Mesos does:
// TASK_FAILED, the limitation's reason and resources, its message.
TEST(ContainerLimitationTest, ROOT_WaitReportsTheLimitation) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the linux launcher uses cgroups";
  testing::TestAgent agent({std::string("--isolation=") + BERTH_FIXTURES_DIR + "/berth-probe.so"},
                           {.plugin_config = R"("probe": {"mode.watch": "ok"})"});
  ASSERT_TRUE(agent.started()) << agent.output();
  ASSERT_EQ(agent.launch("limited", "sleep 1000").status, 200);
  auto wait = agent.call(
      R"({"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"limited"}}})");
  EXPECT_EQ(wait.status, 200);
  EXPECT_NE(wait.body.find(R"("state":"TASK_FAILED","reason":"REASON_CONTAINER_LIMITATION_DISK",)"
                           R"("limitation":{"resources":[{"name":"disk","type":"SCALAR",)"
                           R"("scalar":{"value":10}}]},)"
                           R"("message":"the probe's disk limit")"),
            std::string::npos)
      << wait.body;
}

}  // namespace
}  // namespace berth
