#include "core/agent/agent_flags.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::agent {
namespace {

TEST(AgentFlagsTest, DefaultsAndCommandLine) {
  auto flags =
      AgentFlags::parse({"--work_dir=/w", "--port=6000", "--ip", "0.0.0.0"}, Environment({}));
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->work_dir, "/w");
  EXPECT_EQ(flags->port, 6000);
  EXPECT_EQ(flags->ip, "0.0.0.0");
  EXPECT_FALSE(flags->runtime_dir.empty());
}

TEST(AgentFlagsTest, EnvironmentFillsInAndCommandLineWins) {
  auto flags = AgentFlags::parse({"--port=7000"}, Environment({{"BERTH_AGENT_WORK_DIR", "/env"},
                                                               {"BERTH_AGENT_PORT", "8000"}}));
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->work_dir, "/env");
  EXPECT_EQ(flags->port, 7000);
}

TEST(AgentFlagsTest, ErrorsNameTheFlag) {
  auto missing = AgentFlags::parse({}, Environment({}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "--work_dir is required (or BERTH_AGENT_WORK_DIR)");

  auto unknown = AgentFlags::parse({"--work_dir=/w", "--isolaton=ipc"}, Environment({}));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("isolaton"), std::string::npos);

  auto bad_port = AgentFlags::parse({"--work_dir=/w", "--port=70000"}, Environment({}));
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message().find("--port"), std::string::npos)
      << bad_port.error().message();

  auto bad_recover = AgentFlags::parse({"--work_dir=/w", "--recover=later"}, Environment({}));
  ASSERT_FALSE(bad_recover);
  EXPECT_EQ(bad_recover.error().message(), "--recover must be reconnect or cleanup, got 'later'");

  auto bad_env =
      AgentFlags::parse({"--work_dir=/w"},
                        Environment(std::map<std::string, std::string>{{"BERTH_AGENT_PROT", "1"}}));
  ASSERT_FALSE(bad_env);
  EXPECT_EQ(bad_env.error().message(), "BERTH_AGENT_PROT: no agent flag named 'prot'");
}

TEST(AgentFlagsTest, AllListsEveryFlag) {
  auto flags = AgentFlags::parse(
      {"--work_dir=/w", "--runtime_dir=/r", "--isolation=ipc,shm", "--plugins_dir=/p"},
      Environment({}));
  ASSERT_TRUE(flags);
  std::vector<std::string> names;
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : flags->all()) {
    names.push_back(name);
    values[name] = value;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ip", "isolation", "launcher", "plugin_config",
                                             "plugin_timeouts", "plugins_dir", "port", "recover",
                                             "resource_estimator", "runtime_dir", "work_dir"}));
  EXPECT_EQ(values["isolation"], "ipc,shm");
  EXPECT_EQ(values["plugins_dir"], "/p");
  EXPECT_EQ(values["runtime_dir"], "/r");
  EXPECT_EQ(values["port"], "5051");
}

}  // namespace
}  // namespace berth::agent
