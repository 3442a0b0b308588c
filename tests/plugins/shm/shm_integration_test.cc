// The shm plugin with real containers through the agent API (root).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/subprocess.h"
#include "tests/support/test_agent.h"

namespace {

using berth::testing::TestAgent;

class ShmIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, mounts and cgroups";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove(host_file_, ec);
  }
  // A name in /dev/shm no other test uses.
  const std::string host_file_ = "/dev/shm/berth-shm-test-" + std::to_string(::getpid());
};

// The size of the /dev/shm a container sees, in KiB.
const char* const kShmSize = "df -k /dev/shm | tail -1 | awk '{print $2}'";

TEST_F(ShmIntegrationTest, ROOT_PrivateShmHasTheAskedOrDefaultSize) {
  TestAgent agent({"--isolation=shm", "--default_container_shm_size=32MB"});
  ASSERT_TRUE(agent.started()) << agent.output();
  EXPECT_EQ(agent.run("asked", kShmSize, R"({"ipc_mode":"PRIVATE","shm_size":64})"), "65536\n");
  EXPECT_EQ(agent.run("default", kShmSize, R"({"ipc_mode":"PRIVATE"})"), "32768\n");
}

TEST_F(ShmIntegrationTest, ROOT_PrivateWritesStayInsideAndAreBounded) {
  TestAgent agent({"--isolation=namespaces/ipc"});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string name = std::filesystem::path(host_file_).filename();
  const std::string out =
      agent.run("writer",
                "echo inside > /dev/shm/" + name + " && cat /dev/shm/" + name +
                    " && dd if=/dev/zero of=/dev/shm/big bs=1M count=9 2>&1; echo dd=$?",
                R"({"ipc_mode":"PRIVATE","shm_size":8})");
  EXPECT_NE(out.find("inside\n"), std::string::npos) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_NE(out.find("dd=1"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(host_file_));
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/big"));
}

TEST_F(ShmIntegrationTest, ROOT_SharedAndLegacyContainersSeeTheAgentsShm) {
  TestAgent agent({"--isolation=shm"});
  ASSERT_TRUE(agent.started()) << agent.output();
  berth::testing::writeFile(host_file_, "from the host");
  EXPECT_EQ(agent.run("shared", "cat " + host_file_, R"({"ipc_mode":"SHARE_PARENT"})"),
            "from the host");
  EXPECT_EQ(agent.run("legacy", "cat " + host_file_), "from the host");
  agent.run("writes", "echo back > " + host_file_, R"({"ipc_mode":"SHARE_PARENT"})");
  EXPECT_EQ(berth::testing::runProcess({"cat", host_file_}).out, "back\n");
}

TEST_F(ShmIntegrationTest, ROOT_ASizeWithoutPrivateModeIsRejected) {
  TestAgent agent({"--isolation=shm"});
  ASSERT_TRUE(agent.started()) << agent.output();
  int count = 0;
  for (const char* linux_info :
       {R"({"shm_size":64})", R"({"ipc_mode":"SHARE_PARENT","shm_size":64})"}) {
    auto refused = agent.launch("sized-" + std::to_string(++count), "true", linux_info);
    EXPECT_EQ(refused.status, 400) << linux_info;
    EXPECT_NE(refused.body.find("Only support specifying the size of /dev/shm when the IPC mode "
                                "is `PRIVATE`"),
              std::string::npos)
        << refused.body;
  }
}

}  // namespace
