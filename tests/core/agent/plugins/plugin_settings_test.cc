#include "core/agent/plugins/plugin_settings.h"

#include <gtest/gtest.h>

namespace berth::agent {
namespace {

using namespace std::chrono_literals;

TEST(PluginSettingsTest, ConfigValuesBecomeStrings) {
  auto configs = parsePluginConfig(R"({"shm": {"default_size": "64MB", "strict": true,
                                              "count": 3}, "nnp": {}})");
  ASSERT_TRUE(configs) << configs.error().message();
  EXPECT_EQ(configs->at("nnp").size(), 0u);
  const PluginConfig& shm = configs->at("shm");
  std::map<std::string, std::string> values(shm.begin(), shm.end());
  EXPECT_EQ(values["default_size"], "64MB");
  EXPECT_EQ(values["strict"], "true");
  EXPECT_EQ(values["count"], "3");
}

TEST(PluginSettingsTest, BadConfigSaysWhere) {
  EXPECT_FALSE(parsePluginConfig("not json"));
  auto nested = parsePluginConfig(R"({"shm": {"sizes": [1, 2]}})");
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().message(), "'shm.sizes': values must be strings, numbers or booleans");
  auto flat = parsePluginConfig(R"({"shm": "64MB"})");
  ASSERT_FALSE(flat);
  EXPECT_EQ(flat.error().message(), "'shm': expected an object of settings for that plugin");
}

TEST(PluginSettingsTest, TimeoutsMostSpecificWins) {
  auto policy = TimeoutPolicy::parse("20secs,prepare=10secs,shm=5secs,shm.cleanup=1mins");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->lookup("ipc", "isolate"), 20s);
  EXPECT_EQ(policy->lookup("ipc", "prepare"), 10s);
  EXPECT_EQ(policy->lookup("shm", "prepare"), 5s);
  EXPECT_EQ(policy->lookup("shm", "cleanup"), 60s);
  EXPECT_EQ(TimeoutPolicy::parse("")->lookup("x", "prepare"), 30s);
}

TEST(PluginSettingsTest, BadTimeoutsSayWhich) {
  auto bad = TimeoutPolicy::parse("prepare=soon");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("'prepare=soon': expected a duration"), std::string::npos);
  auto hook = TimeoutPolicy::parse("shm.prepair=1secs");
  ASSERT_FALSE(hook);
  EXPECT_EQ(hook.error().message(), "'shm.prepair=1secs': 'prepair' is not a plugin hook");
  EXPECT_FALSE(TimeoutPolicy::parse("0secs"));
}

}  // namespace
}  // namespace berth::agent
