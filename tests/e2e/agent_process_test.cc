// The berth-agent program as an operator runs it: flags, TLS from the environment, the API
// over the wire to curl, and a clean exit on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "tests/core/net/tls_test_env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace berth {
namespace {

using namespace std::chrono_literals;
using net::testing::TestPki;
using testing::BackgroundProcess;
using testing::runProcess;

const std::string kAgent = std::string(BERTH_BIN_DIR) + "/berth-agent";

// Starts the agent on a free port and returns the URL it reports.
std::string startedUrl(BackgroundProcess& agent) {
  auto output = agent.waitForOutput("/api/v1 (work_dir", 10s);
  EXPECT_TRUE(output) << agent.output();
  if (!output) return "";
  std::smatch match;
  EXPECT_TRUE(std::regex_search(*output, match, std::regex("(https?://[0-9.]+:[0-9]+)/api/v1")));
  return match[1];
}

TEST(AgentProcessTest, ServesTheApiOverMutualTlsAndStopsOnSigterm) {
  const TestPki& pki = TestPki::get();
  testing::TempDir dir;
  BackgroundProcess agent(
      {kAgent, "--work_dir=" + dir.file("work"), "--port=0", "--runtime_dir=" + dir.file("run")},
      {{"BERTH_SSL_ENABLED", "true"},
       {"BERTH_SSL_CERT_FILE", pki.server.cert_file},
       {"BERTH_SSL_KEY_FILE", pki.server.key_file},
       {"BERTH_SSL_CA_FILE", pki.ca->caFile()},
       {"BERTH_SSL_REQUIRE_CLIENT_CERT", "true"}});
  const std::string url = startedUrl(agent);
  ASSERT_TRUE(url.starts_with("https://127.0.0.1:")) << url;
  const std::string local = "https://localhost:" + url.substr(url.rfind(':') + 1);

  auto health =
      runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(), "--cert", pki.client.cert_file,
                  "--key", pki.client.key_file, "-H", "Content-Type: application/json", "-d",
                  R"({"type":"GET_HEALTH"})", local + "/api/v1"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");

  auto anonymous = runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(), local + "/health"});
  EXPECT_NE(anonymous.exit_code, 0) << "a client without a certificate must be refused";

  EXPECT_TRUE(std::filesystem::is_directory(dir.file("work")));
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), 0) << agent.output();
  EXPECT_NE(agent.output().find("shutting down"), std::string::npos);
}

TEST(AgentProcessTest, BadTlsSettingStopsItWithOneLineNamingTheVariable) {
  testing::TempDir dir;
  auto result = runProcess({kAgent, "--work_dir=" + dir.file("work")}, "", 10s,
                           {{"BERTH_SSL_ENABLED", "true"},
                            {"LIBPROCESS_SSL_CERT_FILE", dir.file("missing.pem")},
                            {"LIBPROCESS_SSL_KEY_FILE", dir.file("missing.key")}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "berth-agent: LIBPROCESS_SSL_CERT_FILE: cannot read '" +
                            dir.file("missing.pem") + "': No such file or directory\n");
}

TEST(AgentProcessTest, StopsOnSigintEvenWhenStartedWithSigintIgnored) {
  // Shells start background jobs with SIGINT ignored; the agent must still stop on it.
  testing::TempDir dir;
  BackgroundProcess agent(
      {"/bin/sh", "-c",
       "trap '' INT; exec " + kAgent + " --port=0 --work_dir=" + dir.file("work")});
  startedUrl(agent);
  agent.signal(SIGINT);
  EXPECT_EQ(agent.wait(10s), 0) << agent.output();
  EXPECT_NE(agent.output().find("Received Interrupt; shutting down"), std::string::npos);
}

TEST(AgentProcessTest, PortInUseIsReported) {
  testing::TempDir dir;
  BackgroundProcess first({kAgent, "--work_dir=" + dir.file("a"), "--port=0"});
  const std::string url = startedUrl(first);
  const std::string port = url.substr(url.rfind(':') + 1);
  auto second = runProcess({kAgent, "--work_dir=" + dir.file("b"), "--port=" + port});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on 127.0.0.1:" + port), std::string::npos) << second.err;
}

}  // namespace
}  // namespace berth
