#include "core/agent/containerizer/launch_plan_merge.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

namespace berth::agent {
namespace {

PlanPiece piece(const std::string& isolator, const std::string& text) {
  PlanPiece p{isolator, {}};
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &p.plan)) << text;
  return p;
}

std::string failure(const std::vector<PlanPiece>& pieces) {
  auto merged = mergeLaunchPlans(pieces);
  EXPECT_FALSE(merged) << "expected a conflict";
  return merged ? "" : merged.error().message();
}

TEST(LaunchPlanMergeTest, ListsAccumulateInIsolationOrder) {
  auto merged = mergeLaunchPlans({
      piece("ipc", "clone_namespaces: IPC"),
      piece("shm", R"(clone_namespaces: MOUNT clone_namespaces: IPC
                      mounts { target: "/dev/shm" type: "tmpfs" options: "size=67108864" })"),
      piece("nnp", R"(no_new_privileges: true
                      environment { name: "A" value: "1" })"),
      piece("env", R"(environment { name: "A" value: "1" } environment { name: "B" value: "2" })"),
  });
  ASSERT_TRUE(merged) << merged.error().message();
  EXPECT_EQ(merged->clone_namespaces_size(), 2);
  EXPECT_EQ(merged->clone_namespaces(0), berth::v1::IPC);
  EXPECT_EQ(merged->clone_namespaces(1), berth::v1::MOUNT);
  ASSERT_EQ(merged->mounts_size(), 1);
  EXPECT_EQ(merged->mounts(0).options(), "size=67108864");
  EXPECT_TRUE(merged->no_new_privileges());
  ASSERT_EQ(merged->environment_size(), 2);
  EXPECT_EQ(merged->environment(1).name(), "B");
}

TEST(LaunchPlanMergeTest, AgreeingScalarsMerge) {
  auto merged = mergeLaunchPlans({piece("a", R"(working_directory: "/w" user: "nobody")"),
                                  piece("b", R"(working_directory: "/w")")});
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->working_directory(), "/w");
  EXPECT_EQ(merged->user(), "nobody");
}

TEST(LaunchPlanMergeTest, ConflictsNameBothIsolatorsAndValues) {
  EXPECT_EQ(failure({piece("docker-runtime", R"(working_directory: "/app")"),
                     piece("vendor", R"(working_directory: "/srv")")}),
            "isolators 'docker-runtime' and 'vendor' conflict on the working directory: '/app' "
            "vs '/srv'");
  EXPECT_EQ(failure({piece("a", R"(environment { name: "PATH" value: "/bin" })"),
                     piece("b", R"(environment { name: "PATH" value: "/usr/bin" })")}),
            "isolators 'a' and 'b' conflict on environment variable PATH: '/bin' vs '/usr/bin'");
  EXPECT_NE(failure({piece("shm", R"(mounts { target: "/dev/shm" type: "tmpfs" })"),
                     piece("other", R"(mounts { target: "/dev/shm" source: "/x" bind: true })")})
                .find("isolators 'shm' and 'other' conflict on the mount at /dev/shm"),
            std::string::npos);
  EXPECT_NE(failure({piece("a", R"(rlimits { name: "RLIMIT_NOFILE" soft: 1 hard: 2 })"),
                     piece("b", R"(rlimits { name: "RLIMIT_NOFILE" soft: 1 hard: 3 })")})
                .find("isolators 'a' and 'b' conflict on RLIMIT_NOFILE"),
            std::string::npos);
  EXPECT_NE(failure({piece("a", R"(capabilities { effective: "CAP_CHOWN" set_effective: true })"),
                     piece("b", R"(capabilities { set_effective: true })")})
                .find("conflict on capabilities"),
            std::string::npos);
  EXPECT_NE(
      failure({piece("a", R"(command { value: "x" })"), piece("b", R"(command { value: "y" })")})
          .find("conflict on the command"),
      std::string::npos);
}

TEST(LaunchPlanMergeTest, CreatingAndJoiningTheSameNamespaceConflicts) {
  EXPECT_EQ(failure({piece("ipc", "clone_namespaces: IPC"),
                     piece("share", R"(enter_namespaces: "/proc/1/ns/ipc")")}),
            "isolators 'ipc' and 'share' conflict on the ipc namespace: 'a new one' vs 'joining an "
            "existing one'");
  EXPECT_NE(failure({piece("a", R"(enter_namespaces: "/proc/1/ns/ipc")"),
                     piece("b", R"(enter_namespaces: "/proc/2/ns/ipc")")})
                .find("conflict on the ipc namespace to join"),
            std::string::npos);
  // The same namespace joined twice is one join.
  auto merged = mergeLaunchPlans({piece("a", R"(enter_namespaces: "/proc/1/ns/ipc")"),
                                  piece("b", R"(enter_namespaces: "/proc/1/ns/ipc")")});
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->enter_namespaces_size(), 1);
}

TEST(LaunchPlanMergeTest, NothingToMerge) {
  auto merged = mergeLaunchPlans({});
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace berth::agent
