// posix-launcher with real containers through the agent API: an agent that is not root
// runs, waits for and kills containers, without namespaces or cgroups. (Root is needed
// only to start the agent as another user.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/test_agent.h"

namespace {

using berth::testing::TestAgent;
using namespace std::chrono_literals;

constexpr int kNobody = 65534;

class PosixLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to start the agent as another user";
  }
};

// How many live processes have a command line (its arguments, each ended by a NUL) that
// `matches`.
int processesWhose(const std::function<bool(const std::string&)>& matches) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = berth::testing::readFile(entry.path() / "cmdline");
    const std::string status = berth::testing::readFile(entry.path() / "stat");
    const size_t close = status.rfind(')');
    const bool zombie =
        close != std::string::npos && close + 2 < status.size() && status[close + 2] == 'Z';
    if (!zombie && matches(cmdline)) ++count;
  }
  return count;
}

// How many live processes have `marker` in their command line.
int processesWith(const std::string& marker) {
  return processesWhose(
      [&](const std::string& cmdline) { return cmdline.find(marker) != std::string::npos; });
}

// How many live `sleep <marker>` processes there are: once started, each stays one until
// it dies, where a shell's command line comes and goes as it forks and execs.
int sleepsWith(const std::string& marker) {
  const std::string sleep = std::string("sleep\0", 6) + marker + std::string(1, '\0');
  return processesWhose([&](const std::string& cmdline) { return cmdline == sleep; });
}

TEST_F(PosixLauncherTest, ROOT_AnUnprivilegedAgentRunsContainers) {
  TestAgent agent({}, {.launcher = "posix-launcher", .uid = kNobody});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string host_ipc = std::filesystem::read_symlink("/proc/self/ns/ipc").string();
  // The container runs as the agent's user, in the agent's namespaces.
  EXPECT_EQ(agent.run("who", "id -u; readlink /proc/self/ns/ipc"),
            std::to_string(kNobody) + "\n" + host_ipc + "\n");

  ASSERT_EQ(agent.launch("exit-3", "exit 3").status, 200);
  EXPECT_EQ(agent.wait("exit-3"), 3 << 8);
}

// Everything in the container's session dies with it, also what double-forked.
TEST_F(PosixLauncherTest, ROOT_KillReachesDoubleForkedProcesses) {
  TestAgent agent({}, {.launcher = "posix-launcher", .uid = kNobody});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string marker = "4242." + std::to_string(::getpid());
  ASSERT_EQ(agent.launch("forks", "(sleep " + marker + " &); sleep " + marker).status, 200);
  // Both sleeps: the one that double-forked away and the shell's last command. (Counting
  // every process with the marker raced the shell's forks and exec.)
  for (int i = 0; i < 200 && sleepsWith(marker) < 2; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(sleepsWith(marker), 2);
  // SIGTERM first, as an operator would: the shell dies of it, the rest after the grace.
  auto killed = agent.call(
      R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"forks"},"signal":15}})");
  EXPECT_EQ(killed.status, 200) << killed.body;
  EXPECT_TRUE(agent.wait("forks"));
  for (int i = 0; i < 200 && processesWith(marker) > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(processesWith(marker), 0);
}

// A container whose first process exits takes what it started in the background with it.
TEST_F(PosixLauncherTest, ROOT_AnExitLeavesNothingBehind) {
  TestAgent agent({}, {.launcher = "posix-launcher", .uid = kNobody});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string marker = "4343." + std::to_string(::getpid());
  ASSERT_EQ(agent.launch("leaves", "(sleep " + marker + " &); exit 0").status, 200);
  EXPECT_EQ(agent.wait("leaves"), 0);
  for (int i = 0; i < 300 && processesWith(marker) > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(processesWith(marker), 0);
}

// Without root, the default runtime directory must be the user's own: records there
// decide what recovery kills, and in a shared directory another user could plant them.
TEST_F(PosixLauncherTest, ROOT_ARuntimeDirectoryOfAnotherUserIsRefused) {
  berth::testing::TempDir runtime;
  std::filesystem::permissions(runtime.path(), std::filesystem::perms::all);
  std::filesystem::create_directory(runtime.file("berth"));  // root's, in the way
  TestAgent refused({}, {.launcher = "posix-launcher",
                         .uid = kNobody,
                         .launcher_runtime_dir = false,
                         .env = {{"XDG_RUNTIME_DIR", runtime.path().string()}}});
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.output().find("runtime directory " + runtime.file("berth") +
                                  " must be a directory of this user"),
            std::string::npos)
      << refused.output();

  std::filesystem::remove(runtime.file("berth"));
  TestAgent agent({}, {.launcher = "posix-launcher",
                       .uid = kNobody,
                       .launcher_runtime_dir = false,
                       .env = {{"XDG_RUNTIME_DIR", runtime.path().string()}}});
  ASSERT_TRUE(agent.started()) << agent.output();
  EXPECT_EQ(agent.run("own", "echo ok"), "ok\n");
  EXPECT_TRUE(std::filesystem::is_directory(runtime.file("berth/posix-launcher")));
}

TEST_F(PosixLauncherTest, ROOT_PlansWithNamespacesAreRefused) {
  TestAgent agent({"--isolation=ipc"}, {.launcher = "posix-launcher"});
  ASSERT_TRUE(agent.started()) << agent.output();
  auto refused = agent.launch("private", "true", R"({"ipc_mode":"PRIVATE"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("the posix launcher runs containers without namespaces, but the "
                              "launch plan asks for new namespaces: IPC"),
            std::string::npos)
      << refused.body;
}

}  // namespace
