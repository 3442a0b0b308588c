// berth-agent with plugins, as an operator runs it: plugin flags and configuration,
// start-up refusals, recovery, /containerizer/debug and /metrics over the wire.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace berth {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::runProcess;

const std::string kAgent = std::string(BERTH_BIN_DIR) + "/berth-agent";

class AgentPluginsTest : public ::testing::Test {
 protected:
  std::vector<std::string> agentArgs(std::vector<std::string> extra) {
    std::vector<std::string> args = {kAgent, "--work_dir=" + dir_.file("work"),
                                     "--runtime_dir=" + dir_.file("run"), "--port=0",
                                     std::string("--plugins_dir=") + BERTH_FIXTURES_DIR};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Each call writes its own file, so several configurations can coexist.
  std::string config(const std::string& json) {
    const std::string file = dir_.file("plugins-" + std::to_string(++configs_) + ".json");
    testing::writeFile(file, json);
    return "--plugin_config=" + file;
  }

  std::string get(const std::string& url) {
    auto result = runProcess({"curl", "-sS", url});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }

  testing::TempDir dir_;
  int configs_ = 0;
};

std::string urlOf(BackgroundProcess& agent) {
  auto output = agent.waitForOutput("/api/v1 (work_dir", 10s);
  EXPECT_TRUE(output) << agent.output();
  std::smatch match;
  if (!output || !std::regex_search(*output, match, std::regex("(http://[0-9.]+:[0-9]+)/api"))) {
    return "";
  }
  return match[1];
}

TEST_F(AgentPluginsTest, PendingRecoveryIsVisibleAndTheApiWaitsForIt) {
  BackgroundProcess agent(agentArgs({"--isolation=test/probe", "--plugin_timeouts=recover=1hrs",
                                     config(R"({"probe": {"mode.recover": "never"}})")}));
  const std::string url = urlOf(agent);
  ASSERT_FALSE(url.empty());

  const std::string debug = get(url + "/containerizer/debug");
  EXPECT_NE(debug.find(R"("operation":"probe::recover")"), std::string::npos) << debug;
  EXPECT_NE(debug.find(R"("state":"pending")"), std::string::npos) << debug;

  auto health =
      runProcess({"curl", "-sS", "-w", " %{http_code}", "-H", "Content-Type: application/json",
                  "-d", R"({"type":"GET_HEALTH"})", url + "/api/v1"});
  EXPECT_EQ(health.out, "Agent has not finished recovery 503");

  const std::string metrics = get(url + "/metrics");
  EXPECT_NE(metrics.find(R"(berth_plugin_counter{plugin="probe",name="calls_recover"} 1)"),
            std::string::npos)
      << metrics;

  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), 0) << agent.output();
}

TEST_F(AgentPluginsTest, RecoveredPluginsLetTheApiServe) {
  BackgroundProcess agent(agentArgs({"--isolation=probe,frozen-c"}));
  const std::string url = urlOf(agent);
  ASSERT_TRUE(agent.waitForOutput("Plugins recovered", 10s)) << agent.output();
  auto health = runProcess({"curl", "-sS", "-H", "Content-Type: application/json", "-d",
                            R"({"type":"GET_HEALTH"})", url + "/api/v1"});
  EXPECT_EQ(health.out, R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");
  const std::string metrics = get(url + "/metrics");
  EXPECT_NE(metrics.find(R"(berth_plugin_operations_total{plugin="probe",hook="recover"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find(R"(berth_plugin_operations_total{plugin="frozen-c",hook="recover"})"),
            std::string::npos)
      << "frozen-c has no recover hook, so the host completes it at once without tracking";
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), 0);
}

TEST_F(AgentPluginsTest, FailedOrTimedOutRecoveryStopsTheAgent) {
  auto failed = runProcess(
      agentArgs({"--isolation=probe", config(R"({"probe": {"mode.recover": "fail"}})")}), "", 20s);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("Agent recovery failed: plugin 'probe' failed to recover: recover "
                            "fails as configured"),
            std::string::npos)
      << failed.err;

  auto timed_out = runProcess(agentArgs({"--isolation=probe", "--plugin_timeouts=200ms",
                                         config(R"({"probe": {"mode.recover": "never"}})")}),
                              "", 20s);
  EXPECT_EQ(timed_out.exit_code, 1);
  EXPECT_NE(timed_out.err.find("did not complete recover within"), std::string::npos)
      << timed_out.err;
}

TEST_F(AgentPluginsTest, StartUpRefusalsNameTheCulprit) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::string fixtures = BERTH_FIXTURES_DIR;
  const Case cases[] = {
      {{"--isolation=nope"}, "berth-agent: --isolation: no plugin named 'nope' (loaded: "},
      {{"--isolation=probe", config(R"({"probe": {"colour": "blue"}})")},
       "berth-agent: --isolation: plugin 'probe' (" + fixtures +
           "/berth-probe.so) failed to start: unknown setting 'colour'"},
      {{"--isolation=probe", config(R"({"frozen-c": {}})")},
       "has settings for 'frozen-c', which is not enabled"},
      {{"--isolation=probe,probe"}, "berth-agent: --isolation: plugin 'probe' is listed twice"},
      {{"--isolation=" + fixtures + "/berth-rogue-major2.so"},
       "an entry for ABI major 2, but this agent speaks ABI major 1"},
      {{"--isolation=rogue-init-refuses"}, "refused version negotiation"},
      {{"--launcher=probe"},
       "berth-agent: --launcher: plugin 'probe' (" + fixtures +
           "/berth-probe.so) is not of the kind this flag needs"},
      {{"--isolation=probe", "--plugin_timeouts=prepare=soon"},
       "berth-agent: --plugin_timeouts: 'prepare=soon': expected a duration"},
      {{"--isolation=probe", "--plugin_config=/nonexistent.json"},
       "berth-agent: --plugin_config: cannot read '/nonexistent.json'"},
      {{"--resources=cpus:x"}, "berth-agent: --resources: 'x' in 'cpus:x' is not a number"},
      {{"--isolaton=probe"},
       "berth-agent: --isolaton=probe: no agent flag named 'isolaton', and no plugin in "
       "--plugins_dir " +
           fixtures + " declares it"},
      {{"--isolation=probe", "--probe_label"},
       "berth-agent: --probe_label: --probe_label needs a value (--probe_label=...)"},
      {{"--isolation=probe", "--probe_strict=maybe"},
       "--probe_strict=maybe: --probe_strict is a boolean: true or false, not 'maybe'"},
      {{"--isolation=probe", "--probe_label=a", config(R"({"probe": {"probe_label": "b"}})")},
       "--probe_label=a and --plugin_config both set 'probe_label' for plugin 'probe'"},
  };
  for (const Case& c : cases) {
    auto result = runProcess(agentArgs(c.args), "", 20s);
    EXPECT_EQ(result.exit_code, 1) << c.error;
    EXPECT_NE(result.err.find(c.error), std::string::npos) << result.err;
  }
}

// Flags that plugins declare: given on the command line or in the environment, reported by
// GET_FLAGS; ignored, with a warning, when their plugin is present but not enabled.
TEST_F(AgentPluginsTest, PluginFlagsReachTheAgentAndAreReported) {
  BackgroundProcess agent(
      agentArgs({"--isolation=probe", "--probe_label=blue", "--no-probe_strict"}));
  const std::string url = urlOf(agent);
  ASSERT_FALSE(url.empty());
  auto flags = runProcess({"curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json",
                           "-d", R"({"type":"GET_FLAGS"})", url + "/api/v1"});
  EXPECT_NE(flags.out.find(R"({"name":"probe_label","value":"blue"})"), std::string::npos)
      << flags.out;
  EXPECT_NE(flags.out.find(R"({"name":"probe_strict","value":"false"})"), std::string::npos)
      << flags.out;
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), 0);

  BackgroundProcess ignored(agentArgs({"--isolation=frozen-c", "--probe_label=blue"}));
  EXPECT_FALSE(urlOf(ignored).empty());
  EXPECT_NE(ignored.output().find("--probe_label=blue is ignored: plugin 'probe', which declares "
                                  "it, is not enabled"),
            std::string::npos)
      << ignored.output();
  ignored.signal(SIGTERM);
  EXPECT_EQ(ignored.wait(10s), 0);
}

}  // namespace
}  // namespace berth
