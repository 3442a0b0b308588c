// A real berth-agent for root integration tests: started from build/bin with the
// linux-launcher in a cgroup parent of its own (tests running at once must not take each
// other's containers for orphans), driven over its v1 API with JSON, stopped and cleaned
// up by the destructor.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/net/http_message.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {

struct TestAgentOptions {
  std::string launcher = "linux-launcher";  // or "posix-launcher"
  int uid = -1;  // run the agent with this uid and gid, and no capabilities (setpriv)
  // More members of the --plugin_config object: R"("probe": {"mode.watch": "ok"})".
  std::string plugin_config;
  // false: the launcher chooses its own runtime_dir.
  bool launcher_runtime_dir = true;
  // Added to the agent's environment.
  std::map<std::string, std::string> env;
};

class TestAgent {
 public:
  using Options = TestAgentOptions;

  // Starts the agent with `flags` added (e.g. "--isolation=ipc") and waits until it
  // serves. started() says whether it did; output() says why not.
  explicit TestAgent(std::vector<std::string> flags, Options options = {});
  // Kills what the test left running, stops the agent, removes its cgroups.
  ~TestAgent();
  TestAgent(const TestAgent&) = delete;
  TestAgent& operator=(const TestAgent&) = delete;

  bool started() const { return !url_.empty(); }
  std::string output() const { return process_->output(); }
  int pid() const { return process_->pid(); }

  // POSTs a v1 call in JSON to /api/v1.
  net::Response call(const std::string& json);

  // LAUNCH_CONTAINER of `command` (run by /bin/sh -c), with `container` as the JSON of its
  // ContainerInfo.linux_info when not empty.
  net::Response launch(const std::string& id, const std::string& command,
                       const std::string& linux_info = "");

  // WAIT_CONTAINER: the exit status as Mesos reports it (a wait status), or nullopt.
  std::optional<int> wait(const std::string& id);

  // Launches, waits, and returns what the command wrote to stdout; fails the test if the
  // launch is refused or the command exits non-zero (its stderr is shown).
  std::string run(const std::string& id, const std::string& command,
                  const std::string& linux_info = "");

  // A file of the container's sandbox ("stdout", "stderr").
  std::string sandboxFile(const std::string& id, const std::string& name) const;

 private:
  TempDir dir_;
  std::string cgroup_parent_;
  std::unique_ptr<BackgroundProcess> process_;
  std::string url_;
  std::vector<std::string> launched_;
};

}  // namespace berth::testing
