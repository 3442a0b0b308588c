// berth-plugin-check run as a vendor runs it, on plugins that keep the contract and on
// plugins that each break one rule.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "berth/version.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace berth {
namespace {

using testing::ProcessResult;
using testing::runProcess;

ProcessResult check(const std::string& fixture, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {BERTH_PLUGIN_CHECK,
                                   std::string(BERTH_FIXTURES_DIR) + "/" + fixture};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return runProcess(argv, "", std::chrono::seconds(120));
}

TEST(ValidatorTest, GoodPluginsPass) {
  for (const char* fixture : {"berth-probe.so", "berth-frozen-c.so"}) {
    auto result = check(fixture);
    EXPECT_EQ(result.exit_code, 0) << fixture << "\n" << result.out << result.err;
    EXPECT_EQ(result.out.find("FAIL"), std::string::npos) << result.out;
  }
}

TEST(ValidatorTest, EachRogueFailsTheRuleItBreaks) {
  const std::pair<std::string, std::string> cases[] = {
      {"berth-rogue-twice.so",
       "FAIL  operations: every operation completes exactly once "
       "[BERTH_PLUGIN_9,BERTH_PLUGIN_13] (isolator.prepare was "
       "completed twice)"},
      {"berth-rogue-major2.so",
       "FAIL  exports: exports exactly one symbol, the entry "
       "[BERTH_PLUGIN_2]"},
      {"berth-rogue-greedy-minor.so",
       "FAIL  negotiate-own: accepts a range containing its "
       "own minor [BERTH_PLUGIN_5] (accepted [0, " +
           std::to_string(BERTH_ABI_MINOR) + "] but chose minor 7)"},
      {"berth-rogue-no-interface.so",
       "FAIL  interfaces: unknown and near-miss interface IDs "
       "return NULL [BERTH_PLUGIN_7] (declares the kind of "
       "berth.isolator/1 but returns no table for it)"},
      {"berth-rogue-entry-size.so",
       "FAIL  entry: entry and descriptor are well formed "
       "[BERTH_PLUGIN_4]"},
      {"not-a-plugin.so",
       "FAIL  load: loads with RTLD_NOW | RTLD_LOCAL [BERTH_PLUGIN_1] (no "
       "symbol berth_plugin_entry_v1)"},
  };
  for (const auto& [fixture, line] : cases) {
    auto result = check(fixture);
    EXPECT_EQ(result.exit_code, 1) << fixture;
    EXPECT_NE(result.out.find(line), std::string::npos) << fixture << "\n" << result.out;
  }
}

TEST(ValidatorTest, HangsAndNeverCompletedOperationsAreReported) {
  auto result = check("berth-probe.so", {"--config", "mode.prepare=never", "--only", "operations"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("isolator.prepare did not complete within 5000 ms"), std::string::npos)
      << result.out;
}

TEST(ValidatorTest, JsonReport) {
  auto result = check("berth-rogue-twice.so", {"--json", "--only", "operations"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find(R"("result": "FAIL")"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(R"("rules": "BERTH_PLUGIN_9,BERTH_PLUGIN_13")"), std::string::npos)
      << result.out;
}

TEST(ValidatorTest, ROOT_EveryInTreePluginPasses) {
  if (::geteuid() != 0) GTEST_SKIP() << "the shipped plugins need root (cgroups, namespaces)";
  testing::TempDir dir;
  const std::string parent = "berth-validator-" + std::to_string(::getpid());
  int checked = 0;
  for (const auto& file : std::filesystem::directory_iterator(BERTH_PLUGINS_DIR)) {
    if (file.path().extension() != ".so") continue;
    std::vector<std::string> argv = {BERTH_PLUGIN_CHECK, file.path().string()};
    if (file.path().filename() == "berth-linux-launcher.so") {
      argv.insert(argv.end(), {"--config", "runtime_dir=" + dir.file("launcher"), "--config",
                               "cgroup_parent=" + parent});
    }
    auto result = runProcess(argv, "", std::chrono::seconds(120));
    EXPECT_EQ(result.exit_code, 0) << file.path() << "\n" << result.out << result.err;
    ++checked;
  }
  EXPECT_GE(checked, 4);  // linux-launcher, ipc, shm, nnp
  std::error_code ec;
  std::filesystem::remove("/sys/fs/cgroup/freezer/" + parent, ec);
}

TEST(ValidatorTest, BadUsage) {
  auto none = runProcess({BERTH_PLUGIN_CHECK});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no plugin given"), std::string::npos);
  auto bad = runProcess({BERTH_PLUGIN_CHECK, "x.so", "--config", "novalue"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--config takes KEY=VALUE, got 'novalue'"), std::string::npos);
}

}  // namespace
}  // namespace berth
