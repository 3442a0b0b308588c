// The ipc plugin without root: its decisions (ipc.cc), then the same through the ABI, as
// the agent's plugin host drives it.
#include "plugins/ipc/ipc.h"

#include <gtest/gtest.h>

#include "tests/support/isolator_driver.h"

namespace {

using ipc::Container;
using ipc::Settings;

TEST(IpcTest, TopLevelContainers) {
  std::string error;
  // Unset keeps Mesos 1.9's legacy behaviour: a namespace of its own.
  auto unset = ipc::decide({}, Container{}, &error);
  ASSERT_TRUE(unset) << error;
  EXPECT_TRUE(unset->clone);

  auto private_mode = ipc::decide({}, Container{.ipc_mode = ipc::kPrivate}, &error);
  ASSERT_TRUE(private_mode);
  EXPECT_TRUE(private_mode->clone);

  auto shared = ipc::decide({}, Container{.ipc_mode = ipc::kShareParent}, &error);
  ASSERT_TRUE(shared);
  EXPECT_FALSE(shared->clone);
  EXPECT_EQ(shared->enter, "");
}

TEST(IpcTest, SharingTheAgentsNamespaceCanBeDisallowed) {
  std::string error;
  const Settings disallow{.disallow_sharing_agent_ipc_namespace = true};
  EXPECT_FALSE(ipc::decide(disallow, Container{.ipc_mode = ipc::kShareParent}, &error));
  EXPECT_EQ(error,
            "Sharing agent IPC namespace with top-level container is not allowed "
            "(--disallow_sharing_agent_ipc_namespace)");
  // Only SHARE_PARENT is refused; an unset mode still gets a namespace of its own.
  EXPECT_TRUE(ipc::decide(disallow, Container{}, &error));
  // A nested container shares its parent's, not the agent's.
  auto nested = ipc::decide(
      disallow, Container{.ipc_mode = ipc::kShareParent, .parent_id = "c", .parent_pid = 42},
      &error);
  ASSERT_TRUE(nested) << error;
  EXPECT_EQ(nested->enter, "/proc/42/ns/ipc");
}

TEST(IpcTest, NestedContainers) {
  std::string error;
  for (std::optional<uint32_t> mode : {std::optional<uint32_t>(), std::optional<uint32_t>(2)}) {
    auto shared =
        ipc::decide({}, Container{.ipc_mode = mode, .parent_id = "p", .parent_pid = 7}, &error);
    ASSERT_TRUE(shared) << error;
    EXPECT_FALSE(shared->clone);
    EXPECT_EQ(shared->enter, "/proc/7/ns/ipc");
  }
  auto own = ipc::decide({}, Container{.ipc_mode = ipc::kPrivate, .parent_id = "p"}, &error);
  ASSERT_TRUE(own);
  EXPECT_TRUE(own->clone);

  EXPECT_FALSE(ipc::decide({}, Container{.parent_id = "p"}, &error));
  EXPECT_EQ(error,
            "cannot share the IPC namespace of parent container 'p': the ipc isolator has not "
            "isolated it");
}

TEST(IpcTest, UnknownModesAndSettingsAreRefused) {
  std::string error;
  EXPECT_FALSE(ipc::decide({}, Container{.ipc_mode = ipc::kUnknown}, &error));
  EXPECT_EQ(error, "Unknown IPC mode 0 in linux_info.ipc_mode");
  EXPECT_FALSE(ipc::decide({}, Container{.ipc_mode = 9}, &error));
  EXPECT_EQ(error, "Unknown IPC mode 9 in linux_info.ipc_mode");

  EXPECT_FALSE(ipc::parseSettings({{"disallow_sharing_agent_ipc_namespace", "yes"}}, &error));
  EXPECT_EQ(error, "disallow_sharing_agent_ipc_namespace must be true or false, not 'yes'");
  EXPECT_FALSE(ipc::parseSettings({{"share", "true"}}, &error));
  EXPECT_EQ(error, "unknown setting 'share'");
  auto settings = ipc::parseSettings({{"disallow_sharing_agent_ipc_namespace", "true"}}, &error);
  ASSERT_TRUE(settings);
  EXPECT_TRUE(settings->disallow_sharing_agent_ipc_namespace);
}

// Through the ABI: configuration in, launch plans out, parents remembered from isolate()
// and recover() and forgotten at cleanup().
TEST(IpcPluginTest, PlansThroughTheAbi) {
  auto driver = berth::testing::IsolatorDriver::create("ipc");
  ASSERT_TRUE(driver) << driver.error().message();
  // No limitations to report, so no watch operation held open per container.
  EXPECT_FALSE((*driver)->watches());
  // isolate() only remembers the pid: the first process need not wait for it.
  EXPECT_TRUE((*driver)->isolates());
  EXPECT_NE((*driver)->capabilities() & BERTH_ISOLATOR_NO_HOLD, 0u);

  berth::v1::ContainerConfig config;
  config.set_container_id("c");
  auto plan = (*driver)->prepare(config);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->clone_namespaces_size(), 1);
  EXPECT_EQ(plan->clone_namespaces(0), berth::v1::IPC);

  config.mutable_linux_info()->set_ipc_mode(berth::v1::LinuxInfo::SHARE_PARENT);
  plan = (*driver)->prepare(config);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->ByteSizeLong(), 0u);

  berth::v1::ContainerConfig nested;
  nested.set_container_id("c.n");
  nested.set_parent_container_id("c");
  EXPECT_FALSE((*driver)->prepare(nested));
  ASSERT_TRUE((*driver)->isolate("c", 1234));
  plan = (*driver)->prepare(nested);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->enter_namespaces_size(), 1);
  EXPECT_EQ(plan->enter_namespaces(0), "/proc/1234/ns/ipc");
  ASSERT_TRUE((*driver)->cleanup("c"));
  EXPECT_FALSE((*driver)->prepare(nested));

  berth::v1::RecoverRequest recover;
  auto* checkpoint = recover.add_containers();
  checkpoint->set_container_id("c");
  checkpoint->set_pid(99);
  ASSERT_TRUE((*driver)->recover(recover));
  plan = (*driver)->prepare(nested);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->enter_namespaces(0), "/proc/99/ns/ipc");
}

TEST(IpcPluginTest, TheFlagReachesThePluginAndBadValuesStopIt) {
  auto driver = berth::testing::IsolatorDriver::create(
      "ipc", {{"disallow_sharing_agent_ipc_namespace", "true"}});
  ASSERT_TRUE(driver);
  berth::v1::ContainerConfig config;
  config.set_container_id("c");
  config.mutable_linux_info()->set_ipc_mode(berth::v1::LinuxInfo::SHARE_PARENT);
  auto refused = (*driver)->prepare(config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("not allowed"), std::string::npos);

  auto bad = berth::testing::IsolatorDriver::create("ipc", {{"colour", "blue"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown setting 'colour'"), std::string::npos)
      << bad.error().message();
}

}  // namespace
