#include "tests/support/test_agent.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "core/net/http_client.h"

namespace berth::testing {

using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Unique per agent, also across the processes ctest runs at once.
std::string uniqueCgroupParent() {
  static std::atomic<int> count{0};
  return "berth-test-" + std::to_string(::getpid()) + "-" + std::to_string(count++);
}

}  // namespace

TestAgent::TestAgent(std::vector<std::string> flags, Options options)
    : cgroup_parent_(uniqueCgroupParent()) {
  const std::string cgroup =
      options.launcher == "linux-launcher" ? R"(, "cgroup_parent": ")" + cgroup_parent_ + "\"" : "";
  std::string settings = options.launcher_runtime_dir
                             ? R"("runtime_dir": ")" + dir_.file("launcher") + "\"" + cgroup
                         : cgroup.empty() ? ""
                                          : cgroup.substr(2);
  writeFile(dir_.file("plugins.json"), "{\"" + options.launcher + "\": {" + settings + "}" +
                                           (options.plugin_config.empty() ? "" : ",") +
                                           options.plugin_config + "}");
  std::vector<std::string> argv;
  if (options.uid >= 0) {
    // Everything the agent writes lives in the test's directory: let the user in.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
    const std::string id = std::to_string(options.uid);
    argv = {"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups", "--inh-caps=-all", "--"};
  }
  argv.insert(argv.end(),
              {std::string(BERTH_BIN_DIR) + "/berth-agent", "--work_dir=" + dir_.file("work"),
               "--runtime_dir=" + dir_.file("run"), "--port=0", "--launcher=" + options.launcher,
               "--plugin_config=" + dir_.file("plugins.json")});
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<BackgroundProcess>(argv, options.env);
  auto output = process_->waitForOutput("Plugins recovered", 20s);
  if (!output) return;
  std::smatch match;
  if (std::regex_search(*output, match, std::regex("(http://[0-9.]+:[0-9]+)/api"))) url_ = match[1];
}

TestAgent::~TestAgent() {
  if (started()) {
    for (const std::string& id : launched_) {
      call(R"({"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":")" + id +
           R"("},"signal":9}})");
    }
    for (const std::string& id : launched_)
      wait(id);
  }
  process_->signal(SIGTERM);
  process_->wait(10s);
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    std::error_code ec;
    std::filesystem::remove(entry.path() / cgroup_parent_, ec);
  }
}

net::Response TestAgent::call(const std::string& json) {
  auto client = net::HttpClient::connect(url_, {.timeout = 30s});
  EXPECT_TRUE(client) << client.error().message();
  if (!client) return {};
  net::Request request;
  request.method = "POST";
  request.target = "/api/v1";
  request.headers.set("Content-Type", "application/json");
  request.body = json;
  auto response = (*client)->send(request);
  EXPECT_TRUE(response) << response.error().message();
  return response ? *response : net::Response{};
}

net::Response TestAgent::launch(const std::string& id, const std::string& command,
                                const std::string& linux_info) {
  std::string escaped;
  for (char c : command) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::string json = R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":")" +
                     id + R"("},"command":{"value":")" + escaped + R"("})";
  if (!linux_info.empty()) {
    json += R"(,"container":{"type":"MESOS","linux_info":)" + linux_info + "}";
  }
  json += "}}";
  net::Response response = call(json);
  if (response.status == 200) launched_.push_back(id);
  return response;
}

std::optional<int> TestAgent::wait(const std::string& id) {
  auto response = call(R"({"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":")" +
                       id + R"("}}})");
  std::smatch match;
  if (response.status != 200 ||
      !std::regex_search(response.body, match, std::regex(R"("exit_status":(-?[0-9]+))"))) {
    return std::nullopt;
  }
  return std::stoi(match[1]);
}

std::string TestAgent::run(const std::string& id, const std::string& command,
                           const std::string& linux_info) {
  net::Response launched = launch(id, command, linux_info);
  EXPECT_EQ(launched.status, 200) << launched.body;
  if (launched.status != 200) return "";
  EXPECT_EQ(wait(id), 0) << "stderr of '" << command << "': " << sandboxFile(id, "stderr");
  return sandboxFile(id, "stdout");
}

std::string TestAgent::sandboxFile(const std::string& id, const std::string& name) const {
  return slurp(dir_.file("work") + "/containers/" + id + "/" + name);
}

}  // namespace berth::testing
