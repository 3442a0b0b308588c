// The nnp plugin with real containers through the agent API (root).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/test_agent.h"

namespace {

using berth::testing::TestAgent;

class NnpIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: setuid files, users and cgroups";
  }
};

TEST_F(NnpIntegrationTest, ROOT_EveryContainerHasNoNewPrivs) {
  TestAgent agent({"--isolation=linux/nnp"});
  ASSERT_TRUE(agent.started()) << agent.output();
  EXPECT_EQ(agent.run("status", "grep NoNewPrivs /proc/self/status"), "NoNewPrivs:\t1\n");

  TestAgent without({});
  ASSERT_TRUE(without.started()) << without.output();
  EXPECT_EQ(without.run("status", "grep NoNewPrivs /proc/self/status"), "NoNewPrivs:\t0\n");
}

// A setuid-root copy of id(1), run as nobody: without no_new_privs it reports euid 0,
// with it the exec does not raise privileges. The first half shows the test can fail.
TEST_F(NnpIntegrationTest, ROOT_SetuidBinariesDoNotGainRoot) {
  berth::testing::TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  const std::string id = dir.file("id");
  std::filesystem::copy_file("/usr/bin/id", id);
  ASSERT_EQ(::chown(id.c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(id.c_str(), 04755), 0);
  const std::string command = id + " -u; " + id;

  const auto launchAsNobody = [&](TestAgent& agent, const std::string& container) {
    const std::string json =
        R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" + container +
        R"("},"command":{"value":")" + command + R"(","user":"nobody"}}})";
    auto launched = agent.call(json);
    EXPECT_EQ(launched.status, 200) << launched.body;
    EXPECT_EQ(agent.wait(container), 0) << agent.sandboxFile(container, "stderr");
    return agent.sandboxFile(container, "stdout");
  };

  TestAgent without({});
  ASSERT_TRUE(without.started()) << without.output();
  const std::string gained = launchAsNobody(without, "setuid");
  EXPECT_EQ(gained.substr(0, 2), "0\n") << gained;
  EXPECT_NE(gained.find("euid=0(root)"), std::string::npos) << gained;

  TestAgent agent({"--isolation=nnp"});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string kept = launchAsNobody(agent, "setuid");
  EXPECT_EQ(kept.substr(0, 6), "65534\n") << kept;
  EXPECT_EQ(kept.find("euid=0"), std::string::npos) << kept;
}

// CAP_CHOWN is bit 0, CAP_NET_RAW bit 13.
TEST_F(NnpIntegrationTest, ROOT_CapabilitySetsAreWhatWasAsked) {
  TestAgent agent({"--isolation=nnp", R"(--effective_capabilities={"capabilities":["CHOWN"]})",
                   R"(--bounding_capabilities={"capabilities":["CHOWN","NET_RAW"]})"});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string sets = "grep -E '^Cap(Eff|Bnd)' /proc/self/status";
  EXPECT_EQ(agent.run("defaults", sets), "CapEff:\t0000000000000001\nCapBnd:\t0000000000002001\n");
  EXPECT_EQ(agent.run("own", sets, R"({"effective_capabilities":{"capabilities":["NET_RAW"]}})"),
            "CapEff:\t0000000000002000\nCapBnd:\t0000000000002001\n");
  EXPECT_EQ(agent.run("narrow", sets,
                      R"({"effective_capabilities":{"capabilities":[]},)"
                      R"("bounding_capabilities":{"capabilities":["NET_RAW"]}})"),
            "CapEff:\t0000000000000000\nCapBnd:\t0000000000002000\n");

  // Mesos's deprecated capability_info is the effective set.
  EXPECT_EQ(agent.run("deprecated", sets, R"({"capability_info":{"capabilities":["NET_RAW"]}})"),
            "CapEff:\t0000000000002000\nCapBnd:\t0000000000002001\n");
  auto both = agent.launch("both", "true",
                           R"({"capability_info":{"capabilities":["NET_RAW"]},)"
                           R"("effective_capabilities":{"capabilities":["NET_RAW"]}})");
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("not both"), std::string::npos) << both.body;

  auto over =
      agent.launch("over", "true", R"({"effective_capabilities":{"capabilities":["SYS_ADMIN"]}})");
  EXPECT_EQ(over.status, 400);
  EXPECT_NE(over.body.find("asks for CAP_SYS_ADMIN"), std::string::npos) << over.body;
  auto over_bounding = agent.launch("over-bounding", "true",
                                    R"({"bounding_capabilities":{"capabilities":["SYS_PTRACE"]}})");
  EXPECT_EQ(over_bounding.status, 400);
  EXPECT_NE(over_bounding.body.find("asks for CAP_SYS_PTRACE"), std::string::npos)
      << over_bounding.body;
}

TEST_F(NnpIntegrationTest, ROOT_AMalformedFlagStopsTheAgentNamingIt) {
  TestAgent agent({"--isolation=nnp", "--bounding_capabilities=[]"});
  EXPECT_FALSE(agent.started());
  EXPECT_NE(agent.output().find("berth-agent: --bounding_capabilities=[]: plugin 'nnp' ("),
            std::string::npos)
      << agent.output();
  EXPECT_NE(agent.output().find("failed to start: bounding_capabilities: not a JSON "
                                "CapabilityInfo"),
            std::string::npos)
      << agent.output();
}

TEST_F(NnpIntegrationTest, ROOT_AnEffectiveSetBeyondTheBoundingSetStopsTheAgent) {
  TestAgent agent({"--isolation=nnp", R"(--effective_capabilities={"capabilities":["SYS_ADMIN"]})",
                   R"(--bounding_capabilities={"capabilities":["CHOWN"]})"});
  EXPECT_FALSE(agent.started());
  EXPECT_NE(agent.output().find("effective_capabilities has CAP_SYS_ADMIN, outside "
                                "bounding_capabilities (CAP_CHOWN)"),
            std::string::npos)
      << agent.output();
}

// A user other than root keeps exactly the asked set across exec (ambient capabilities),
// within the bounding set, which was dropped while the launcher was still root.
TEST_F(NnpIntegrationTest, ROOT_AUserOtherThanRootGetsItsCapabilities) {
  TestAgent agent({"--isolation=nnp",
                   R"(--bounding_capabilities={"capabilities":["CHOWN","NET_RAW","SETUID"]})"});
  ASSERT_TRUE(agent.started()) << agent.output();
  const std::string json =
      R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"nobody"},)"
      R"("command":{"value":"id -u; grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status",)"
      R"("user":"nobody"},"container":{"type":"MESOS","linux_info":)"
      R"({"effective_capabilities":{"capabilities":["NET_RAW"]}}}}})";
  auto launched = agent.call(json);
  ASSERT_EQ(launched.status, 200) << launched.body;
  EXPECT_EQ(agent.wait("nobody"), 0) << agent.sandboxFile("nobody", "stderr");
  EXPECT_EQ(agent.sandboxFile("nobody", "stdout"),
            "65534\nCapEff:\t0000000000002000\nCapBnd:\t0000000000002081\n"
            "CapAmb:\t0000000000002000\n");
}

}  // namespace
