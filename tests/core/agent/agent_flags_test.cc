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

  auto not_a_flag = AgentFlags::parse({"--work_dir=/w", "ipc"}, Environment({}));
  ASSERT_FALSE(not_a_flag);
  EXPECT_EQ(not_a_flag.error().message(), "'ipc' is not a flag (--name=value)");

  auto bad_port = AgentFlags::parse({"--work_dir=/w", "--port=70000"}, Environment({}));
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message().find("--port"), std::string::npos)
      << bad_port.error().message();

  auto bad_recover = AgentFlags::parse({"--work_dir=/w", "--recover=later"}, Environment({}));
  ASSERT_FALSE(bad_recover);
  EXPECT_EQ(bad_recover.error().message(), "--recover must be reconnect or cleanup, got 'later'");
}

// Flags that are not the agent's own wait for the plugins to claim them (plugin_setup).
TEST(AgentFlagsTest, OtherFlagsAreKeptForThePlugins) {
  auto flags = AgentFlags::parse(
      {"--work_dir=/w", "--default_container_shm_size=64MB", "--disallow_sharing", "--no-strict",
       "--empty=x"},
      Environment(std::map<std::string, std::string>{{"BERTH_AGENT_EFFECTIVE_CAPS", "x"},
                                                     {"BERTH_AGENT_EMPTY", "from env"}}));
  ASSERT_TRUE(flags) << flags.error().message();
  ASSERT_EQ(flags->plugin_flags.size(), 5u);
  const auto& f = flags->plugin_flags;
  EXPECT_EQ(f[0].name, "default_container_shm_size");
  EXPECT_EQ(f[0].value, "64MB");
  EXPECT_FALSE(f[0].bare);
  EXPECT_EQ(f[0].origin, "--default_container_shm_size=64MB");
  EXPECT_EQ(f[1].name, "disallow_sharing");
  EXPECT_EQ(f[1].value, "true");
  EXPECT_TRUE(f[1].bare);
  EXPECT_EQ(f[2].name, "strict");
  EXPECT_EQ(f[2].value, "false");
  EXPECT_EQ(f[3].name, "empty");  // the command line wins over BERTH_AGENT_EMPTY
  EXPECT_EQ(f[3].value, "x");
  EXPECT_EQ(f[4].name, "effective_caps");
  EXPECT_EQ(f[4].origin, "BERTH_AGENT_EFFECTIVE_CAPS");

  const auto listed = flags->all();
  std::map<std::string, std::string> all(listed.begin(), listed.end());
  EXPECT_EQ(all["default_container_shm_size"], "64MB");
  EXPECT_EQ(all["strict"], "false");
  EXPECT_TRUE(AgentFlags::isOwnFlag("work_dir"));
  EXPECT_FALSE(AgentFlags::isOwnFlag("default_container_shm_size"));
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
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "ip", "isolation", "launcher", "plugin_config", "plugin_timeouts", "plugins_dir",
                "port", "recover", "resource_estimator", "resources", "runtime_dir", "work_dir"}));
  EXPECT_EQ(values["isolation"], "ipc,shm");
  EXPECT_EQ(values["plugins_dir"], "/p");
  EXPECT_EQ(values["runtime_dir"], "/r");
  EXPECT_EQ(values["port"], "5051");
}

}  // namespace
}  // namespace berth::agent
