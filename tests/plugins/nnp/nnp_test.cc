// The nnp plugin without root: capability names and flags (capabilities.cc), its
// decisions (nnp.cc), then the same through the ABI, as the agent's plugin host drives it.
#include "plugins/nnp/nnp.h"

#include <gtest/gtest.h>

#include "tests/support/isolator_driver.h"
#include "tests/support/temp_dir.h"

namespace {

using nnp::CapabilitySet;
using nnp::Container;
using nnp::Settings;

TEST(NnpCapabilitiesTest, NamesAreCheckedAndNormalised) {
  std::string error;
  auto set = nnp::capabilitySet({"NET_RAW", "cap_chown", "CAP_SYS_ADMIN", "net_raw"}, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(*set, (CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"}));
  EXPECT_FALSE(nnp::capabilitySet({"CHOWN", "FLY"}, &error));
  EXPECT_EQ(error, "unknown capability 'FLY'");
}

TEST(NnpCapabilitiesTest, ParsesMesosCapabilityInfoFlags) {
  std::string error;
  auto set = nnp::parseCapabilityInfo(R"({"capabilities": ["NET_RAW", "CHOWN"]})", &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(*set, (CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW"}));
  auto none = nnp::parseCapabilityInfo(R"({"capabilities": []})", &error);
  ASSERT_TRUE(none) << error;
  EXPECT_TRUE(none->empty());

  berth::testing::TempDir dir;
  berth::testing::writeFile(dir.file("caps.json"), R"({"capabilities": ["KILL"]})");
  auto from_file = nnp::parseCapabilityInfo("file://" + dir.file("caps.json"), &error);
  ASSERT_TRUE(from_file) << error;
  EXPECT_EQ(*from_file, CapabilitySet{"CAP_KILL"});

  const std::pair<std::string, std::string> bad[] = {
      {"file:///nonexistent.json", "cannot read '/nonexistent.json'"},
      {"NET_RAW", "not a JSON CapabilityInfo such as {\"capabilities\": [\"NET_RAW\"]}"},
      {R"({"capabilities": [)",
       "not a JSON CapabilityInfo such as {\"capabilities\": [\"NET_RAW\"]}: "},
      {R"({"caps": ["NET_RAW"]})",
       "unknown field 'caps' (a CapabilityInfo has only \"capabilities\")"},
      {R"({"capabilities": "NET_RAW"})", "\"capabilities\" must be an array of names"},
      {R"({"capabilities": [{"name": "NET_RAW"}]})", "\"capabilities\" must be an array of names"},
      {R"({"capabilities": ["WARP"]})", "unknown capability 'WARP'"},
  };
  for (const auto& [value, message] : bad) {
    EXPECT_FALSE(nnp::parseCapabilityInfo(value, &error)) << value;
    EXPECT_EQ(error.substr(0, message.size()), message) << value;
  }
}

TEST(NnpTest, TheAgentsEffectiveSetMustBeWithinItsBoundingSet) {
  std::string error;
  EXPECT_FALSE(nnp::parseSettings({{"effective_capabilities", R"({"capabilities":["SYS_ADMIN"]})"},
                                   {"bounding_capabilities", R"({"capabilities":["CHOWN"]})"}},
                                  &error));
  EXPECT_EQ(error,
            "effective_capabilities has CAP_SYS_ADMIN, outside bounding_capabilities (CAP_CHOWN)");
  EXPECT_FALSE(nnp::parseSettings({{"allowed_capabilities", "{}"}}, &error));
  EXPECT_EQ(error, "unknown setting 'allowed_capabilities'");
  EXPECT_FALSE(nnp::parseSettings({{"bounding_capabilities", "[]"}}, &error));
  EXPECT_EQ(error,
            "bounding_capabilities: not a JSON CapabilityInfo such as {\"capabilities\": "
            "[\"NET_RAW\"]}");
}

TEST(NnpTest, ContainerSetsFollowMesos) {
  std::string error;
  // Nothing asked anywhere: capabilities are left alone.
  auto untouched = nnp::decide({}, Container{}, &error);
  ASSERT_TRUE(untouched);
  EXPECT_FALSE(untouched->effective);
  EXPECT_FALSE(untouched->bounding);

  // An effective set alone becomes the bounding set too.
  auto effective_only = nnp::decide({}, Container{.effective = CapabilitySet{"CAP_KILL"}}, &error);
  ASSERT_TRUE(effective_only);
  EXPECT_EQ(effective_only->bounding, CapabilitySet{"CAP_KILL"});

  const Settings agent{.effective = CapabilitySet{"CAP_CHOWN"},
                       .bounding = CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW"}};
  auto defaults = nnp::decide(agent, Container{}, &error);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->effective, CapabilitySet{"CAP_CHOWN"});
  EXPECT_EQ(defaults->bounding, (CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW"}));

  auto own = nnp::decide(agent, Container{.effective = CapabilitySet{"CAP_NET_RAW"}}, &error);
  ASSERT_TRUE(own) << error;
  EXPECT_EQ(own->effective, CapabilitySet{"CAP_NET_RAW"});
  EXPECT_EQ(own->bounding, (CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW"}));

  auto narrower = nnp::decide(
      agent, Container{.effective = CapabilitySet{}, .bounding = CapabilitySet{"CAP_NET_RAW"}},
      &error);
  ASSERT_TRUE(narrower) << error;
  EXPECT_EQ(narrower->effective, CapabilitySet{});
  EXPECT_EQ(narrower->bounding, CapabilitySet{"CAP_NET_RAW"});
}

TEST(NnpTest, AskingForMoreThanTheAgentAllowsIsRefusedByName) {
  std::string error;
  const Settings agent{.bounding = CapabilitySet{"CAP_CHOWN", "CAP_NET_RAW"}};
  EXPECT_FALSE(nnp::decide(
      agent, Container{.effective = CapabilitySet{"CAP_NET_RAW", "CAP_SYS_ADMIN"}}, &error));
  EXPECT_EQ(error,
            "linux_info.effective_capabilities asks for CAP_SYS_ADMIN, which the agent "
            "(--bounding_capabilities) does not allow (CAP_CHOWN, CAP_NET_RAW)");
  EXPECT_FALSE(nnp::decide(agent, Container{.bounding = CapabilitySet{"CAP_SYS_PTRACE"}}, &error));
  EXPECT_EQ(error,
            "linux_info.bounding_capabilities asks for CAP_SYS_PTRACE, which the agent does not "
            "allow (--bounding_capabilities: CAP_CHOWN, CAP_NET_RAW)");
  EXPECT_FALSE(nnp::decide(
      {}, Container{.effective = CapabilitySet{"CAP_KILL"}, .bounding = CapabilitySet{"CAP_CHOWN"}},
      &error));
  EXPECT_EQ(error,
            "linux_info.effective_capabilities asks for CAP_KILL, which "
            "linux_info.bounding_capabilities does not allow (CAP_CHOWN)");
}

TEST(NnpPluginTest, EveryPlanSetsNoNewPrivsAndTheCapabilities) {
  auto driver = berth::testing::IsolatorDriver::create(
      "nnp", {{"bounding_capabilities", R"({"capabilities":["CHOWN","NET_RAW"]})"}});
  ASSERT_TRUE(driver) << driver.error().message();
  EXPECT_FALSE((*driver)->isolates()) << "the plan says it all: nothing to hold the process for";
  berth::v1::ContainerConfig config;
  config.set_container_id("c");
  auto plan = (*driver)->prepare(config);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->no_new_privileges());
  EXPECT_FALSE(plan->capabilities().set_effective());
  EXPECT_TRUE(plan->capabilities().set_bounding());
  EXPECT_EQ(plan->capabilities().bounding_size(), 2);

  auto* linux_info = config.mutable_linux_info();
  linux_info->set_has_effective_capabilities(true);
  linux_info->add_effective_capabilities("CAP_NET_RAW");
  plan = (*driver)->prepare(config);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->no_new_privileges());
  ASSERT_TRUE(plan->capabilities().set_effective());
  ASSERT_EQ(plan->capabilities().effective_size(), 1);
  EXPECT_EQ(plan->capabilities().effective(0), "CAP_NET_RAW");

  linux_info->add_effective_capabilities("CAP_SYS_ADMIN");
  auto refused = (*driver)->prepare(config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("asks for CAP_SYS_ADMIN"), std::string::npos)
      << refused.error().message();

  auto bad = berth::testing::IsolatorDriver::create(
      "nnp", {{"effective_capabilities", R"({"capabilities":["NOPE"]})"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("effective_capabilities: unknown capability 'NOPE'"),
            std::string::npos)
      << bad.error().message();
}

}  // namespace
