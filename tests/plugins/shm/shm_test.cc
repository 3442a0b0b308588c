// The shm plugin without root: byte sizes, its decisions (shm.cc), then the same through
// the ABI, as the agent's plugin host drives it.
#include "plugins/shm/shm.h"

#include <gtest/gtest.h>

#include "tests/support/isolator_driver.h"

namespace {

using shm::Container;
using shm::Settings;

TEST(ShmTest, ParsesMesosByteSizes) {
  std::string error;
  EXPECT_EQ(shm::parseBytes("64MB", &error), 64ull << 20);
  EXPECT_EQ(shm::parseBytes("1gb", &error), 1ull << 30);
  EXPECT_EQ(shm::parseBytes("512KB", &error), 512ull << 10);
  EXPECT_EQ(shm::parseBytes("100B", &error), 100ull);
  EXPECT_EQ(shm::parseBytes("2TB", &error), 2ull << 40);

  const std::pair<const char*, const char*> bad[] = {
      {"64", "'64' is not a byte size: expected a number and a unit (B, KB, MB, GB, TB)"},
      {"MB", "'MB' is not a byte size: expected a number and a unit (B, KB, MB, GB, TB)"},
      {"1.5GB", "'1.5GB' is a fraction of a byte size; use a smaller unit"},
      {"64MiB", "'64MiB' has an unknown unit 'MiB' (expected B, KB, MB, GB or TB)"},
      {"99999999999999999999TB", "'99999999999999999999TB' is too large"},
      {"20000000TB", "'20000000TB' is too large"},
  };
  for (const auto& [text, message] : bad) {
    EXPECT_FALSE(shm::parseBytes(text, &error)) << text;
    EXPECT_EQ(error, message);
  }
}

TEST(ShmTest, SettingsRefuseWhatTmpfsWouldMisread) {
  std::string error;
  auto settings = shm::parseSettings({{"default_container_shm_size", "64MB"}}, &error);
  ASSERT_TRUE(settings) << error;
  EXPECT_EQ(settings->default_size_bytes, 64ull << 20);
  EXPECT_FALSE(shm::parseSettings({{"default_container_shm_size", "0B"}}, &error));
  EXPECT_EQ(error, "default_container_shm_size must be larger than 0");
  EXPECT_FALSE(shm::parseSettings({{"default_container_shm_size", "lots"}}, &error));
  EXPECT_EQ(error.substr(0, 34), "default_container_shm_size: 'lots'");
  EXPECT_FALSE(shm::parseSettings({{"size", "1MB"}}, &error));
  EXPECT_EQ(error, "unknown setting 'size'");
}

TEST(ShmTest, PrivateContainersGetASizedTmpfs) {
  std::string error;
  const Settings sized{.default_size_bytes = 32ull << 20};
  auto own = shm::decide(sized, Container{.ipc_mode = shm::kPrivate, .shm_size_mb = 64}, &error);
  ASSERT_TRUE(own && own->mount) << error;
  EXPECT_EQ(own->mount->type, "tmpfs");
  EXPECT_EQ(own->mount->target, "/dev/shm");
  EXPECT_EQ(own->mount->options, "mode=1777,size=67108864");

  auto by_default = shm::decide(sized, Container{.ipc_mode = shm::kPrivate}, &error);
  ASSERT_TRUE(by_default && by_default->mount);
  EXPECT_EQ(by_default->mount->options, "mode=1777,size=33554432");

  auto kernel_default = shm::decide({}, Container{.ipc_mode = shm::kPrivate}, &error);
  ASSERT_TRUE(kernel_default && kernel_default->mount);
  EXPECT_EQ(kernel_default->mount->options, "mode=1777");
}

TEST(ShmTest, OtherModesSeeTheParentsShm) {
  std::string error;
  auto legacy = shm::decide({}, Container{}, &error);
  ASSERT_TRUE(legacy);
  EXPECT_FALSE(legacy->mount);
  auto legacy_rootfs = shm::decide({}, Container{.has_rootfs = true}, &error);
  ASSERT_TRUE(legacy_rootfs && legacy_rootfs->mount);
  EXPECT_EQ(legacy_rootfs->mount->options, "mode=1777");  // fresh and unsized, as Mesos

  auto agent = shm::decide({}, Container{.ipc_mode = shm::kShareParent}, &error);
  ASSERT_TRUE(agent);
  EXPECT_FALSE(agent->mount);
  auto agent_rootfs =
      shm::decide({}, Container{.ipc_mode = shm::kShareParent, .has_rootfs = true}, &error);
  ASSERT_TRUE(agent_rootfs && agent_rootfs->mount);
  EXPECT_EQ(agent_rootfs->mount->source, "/dev/shm");
  EXPECT_EQ(agent_rootfs->mount->type, "");  // a bind mount

  EXPECT_FALSE(shm::decide({}, Container{.ipc_mode = shm::kShareParent, .parent_id = "p"}, &error));
  EXPECT_EQ(error,
            "a nested container cannot share the /dev/shm of parent container 'p' yet: use "
            "ipc_mode PRIVATE");
  auto nested_private =
      shm::decide({}, Container{.ipc_mode = shm::kPrivate, .parent_id = "p"}, &error);
  ASSERT_TRUE(nested_private && nested_private->mount);
}

TEST(ShmTest, ASizeNeedsAPrivateMode) {
  std::string error;
  EXPECT_FALSE(shm::decide({}, Container{.shm_size_mb = 128}, &error));
  EXPECT_EQ(error,
            "Only support specifying the size of /dev/shm when the IPC mode is `PRIVATE` "
            "(linux_info.shm_size is set, linux_info.ipc_mode is unset)");
  EXPECT_FALSE(
      shm::decide({}, Container{.ipc_mode = shm::kShareParent, .shm_size_mb = 128}, &error));
  EXPECT_NE(error.find("linux_info.ipc_mode is SHARE_PARENT"), std::string::npos) << error;
  EXPECT_FALSE(shm::decide({}, Container{.ipc_mode = shm::kPrivate, .shm_size_mb = 0}, &error));
  EXPECT_EQ(error, "linux_info.shm_size must be larger than 0 MB");
  EXPECT_FALSE(shm::decide({}, Container{.ipc_mode = shm::kUnknown}, &error));
  EXPECT_EQ(error, "Unknown IPC mode 0 in linux_info.ipc_mode");
}

TEST(ShmPluginTest, PlansThroughTheAbi) {
  auto driver =
      berth::testing::IsolatorDriver::create("shm", {{"default_container_shm_size", "64MB"}});
  ASSERT_TRUE(driver) << driver.error().message();
  EXPECT_FALSE((*driver)->isolates()) << "the plan says it all: nothing to hold the process for";
  berth::v1::ContainerConfig config;
  config.set_container_id("c");
  config.mutable_linux_info()->set_ipc_mode(berth::v1::LinuxInfo::PRIVATE);
  auto plan = (*driver)->prepare(config);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->clone_namespaces_size(), 1);
  EXPECT_EQ(plan->clone_namespaces(0), berth::v1::MOUNT);
  ASSERT_EQ(plan->mounts_size(), 1);
  const berth::v1::Mount& mount = plan->mounts(0);
  EXPECT_EQ(mount.type(), "tmpfs");
  EXPECT_EQ(mount.target(), "/dev/shm");
  EXPECT_EQ(mount.options(), "mode=1777,size=67108864");
  EXPECT_TRUE(mount.nosuid());
  EXPECT_TRUE(mount.nodev());
  EXPECT_FALSE(mount.bind());

  config.mutable_linux_info()->set_ipc_mode(berth::v1::LinuxInfo::SHARE_PARENT);
  config.mutable_linux_info()->set_shm_size_mb(16);
  auto refused = (*driver)->prepare(config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("Only support specifying the size"), std::string::npos);

  auto bad = berth::testing::IsolatorDriver::create("shm", {{"default_container_shm_size", "64"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("default_container_shm_size: '64' is not a byte size"),
            std::string::npos)
      << bad.error().message();
}

}  // namespace
