// The ipc plugin with real containers through the agent API (root).
#include <gtest/gtest.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/test_agent.h"

namespace {

using berth::testing::TestAgent;

std::string agentIpcNamespace() {
  return std::filesystem::read_symlink("/proc/self/ns/ipc").string();
}

// A System V shared-memory segment on the host for the length of a test.
class HostSegment {
 public:
  HostSegment() : id_(::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) {}
  ~HostSegment() {
    if (id_ >= 0) ::shmctl(id_, IPC_RMID, nullptr);
  }
  int id() const { return id_; }

 private:
  int id_;
};

class IpcIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: namespaces and cgroups";
  }
};

// Lists the container's IPC namespace and whether the host's segment is visible in it.
std::string probe(int segment) {
  return "readlink /proc/self/ns/ipc; if grep -qE '^ *[0-9]+ +" + std::to_string(segment) +
         " ' /proc/sysvipc/shm; then echo visible; else echo invisible; fi";
}

TEST_F(IpcIntegrationTest, ROOT_PrivateAndSharedNamespaces) {
  TestAgent agent({"--isolation=ipc"});
  ASSERT_TRUE(agent.started()) << agent.output();
  HostSegment segment;
  ASSERT_GE(segment.id(), 0);
  const std::string host = agentIpcNamespace();

  const std::string own = agent.run("private", probe(segment.id()), R"({"ipc_mode":"PRIVATE"})");
  EXPECT_EQ(own.find(host), std::string::npos) << own;
  EXPECT_NE(own.find("ipc:["), std::string::npos) << own;
  EXPECT_NE(own.find("invisible"), std::string::npos) << own;

  const std::string shared =
      agent.run("shared", probe(segment.id()), R"({"ipc_mode":"SHARE_PARENT"})");
  EXPECT_EQ(shared, host + "\nvisible\n");

  // Mesos 1.9's legacy behaviour for an unset mode: a namespace of its own.
  const std::string legacy = agent.run("legacy", probe(segment.id()));
  EXPECT_EQ(legacy.find(host), std::string::npos) << legacy;
  EXPECT_NE(legacy.find("invisible"), std::string::npos) << legacy;
}

TEST_F(IpcIntegrationTest, ROOT_DisallowedSharingRejectsTheLaunch) {
  TestAgent agent({"--isolation=namespaces/ipc", "--disallow_sharing_agent_ipc_namespace"});
  ASSERT_TRUE(agent.started()) << agent.output();
  auto refused = agent.launch("shared", "true", R"({"ipc_mode":"SHARE_PARENT"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(
      refused.body.find("Sharing agent IPC namespace with top-level container is not allowed"),
      std::string::npos)
      << refused.body;
  // A number Mesos does not define is refused, not read as an unset mode.
  auto unknown = agent.launch("seven", "true", R"({"ipc_mode":7})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(
      unknown.body.find("'launch_container.container.linux_info.ipc_mode': Unknown IPC mode 7"),
      std::string::npos)
      << unknown.body;
  // PRIVATE still launches.
  agent.run("private", "true", R"({"ipc_mode":"PRIVATE"})");
}

}  // namespace
