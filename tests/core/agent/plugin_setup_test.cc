// loadPlugins(): from the agent's flags to created plugin instances, in particular how the
// flags that plugins declare (SDK 1.1) reach them as configuration.
#include "core/agent/plugin_setup.h"

#include <gtest/gtest.h>

#include <future>

#include "berth/v1/isolator.pb.h"

namespace berth::agent {
namespace {

Result<AgentFlags> flagsWith(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--work_dir=/unused",
                                   std::string("--plugins_dir=") + BERTH_FIXTURES_DIR};
  args.insert(args.end(), extra.begin(), extra.end());
  return AgentFlags::parse(args, Environment({}));
}

// The environment the probe's prepare puts in the plan: where its flag values show.
std::map<std::string, std::string> probeEnvironment(LoadedPlugins& loaded) {
  berth::v1::PrepareRequest request;
  request.mutable_config()->set_container_id("c-1");
  std::promise<OperationOutcome> done;
  PluginInstance& probe = *loaded.isolators.at(0);
  loaded.host->call(probe, "prepare", probe.isolator()->prepare, "c-1", request.SerializeAsString(),
                    true, [&](OperationOutcome outcome) { done.set_value(std::move(outcome)); });
  OperationOutcome outcome = done.get_future().get();
  EXPECT_EQ(outcome.status, BERTH_OK) << outcome.message;
  berth::v1::PrepareResult result;
  EXPECT_TRUE(result.ParseFromString(outcome.payload));
  std::map<std::string, std::string> environment;
  for (const auto& variable : result.plan().environment())
    environment[variable.name()] = variable.value();
  return environment;
}

TEST(PluginSetupTest, DeclaredFlagsReachTheEnabledPlugin) {
  auto flags = flagsWith({"--isolation=probe", "--probe_label=blue", "--probe_strict"});
  ASSERT_TRUE(flags) << flags.error().message();
  auto loaded = loadPlugins(*flags);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(probeEnvironment(*loaded)["PROBE_LABEL"], "blue");
}

TEST(PluginSetupTest, ABooleanFlagTakesOnlyBooleans) {
  for (const char* value : {"--probe_strict=0", "--probe_strict=true", "--no-probe_strict"}) {
    auto flags = flagsWith({"--isolation=probe", value});
    ASSERT_TRUE(flags);
    EXPECT_TRUE(loadPlugins(*flags)) << value;
  }
  auto flags = flagsWith({"--isolation=probe", "--probe_strict=yes"});
  ASSERT_TRUE(flags);
  auto loaded = loadPlugins(*flags);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message(),
            "--probe_strict=yes: --probe_strict is a boolean: true or false, not 'yes'");
}

TEST(PluginSetupTest, UnknownFlagsAreRefusedAndDisabledPluginsFlagsIgnored) {
  auto flags = flagsWith({"--isolation=probe", "--probe_lable=blue"});
  ASSERT_TRUE(flags);
  auto loaded = loadPlugins(*flags);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message(),
            "--probe_lable=blue: no agent flag named 'probe_lable', and "
            "no plugin in --plugins_dir " +
                std::string(BERTH_FIXTURES_DIR) + " declares it");

  // No plugin enabled at all: the directory is still read to know the flag.
  auto none = flagsWith({"--probe_label=blue"});
  ASSERT_TRUE(none);
  EXPECT_TRUE(loadPlugins(*none));

  auto env =
      AgentFlags::parse({"--work_dir=/w", std::string("--plugins_dir=") + BERTH_FIXTURES_DIR},
                        Environment(std::map<std::string, std::string>{{"BERTH_AGENT_PROT", "1"}}));
  ASSERT_TRUE(env);
  auto misspelt = loadPlugins(*env);
  ASSERT_FALSE(misspelt);
  EXPECT_EQ(misspelt.error().message().substr(0, 50),
            "BERTH_AGENT_PROT: no agent flag named 'prot', and ");
}

}  // namespace
}  // namespace berth::agent
