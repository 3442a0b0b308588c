// Runs a program to completion with a time limit, capturing what it prints. For tests that
// drive real clients (curl, openssl s_client) and, later, real agents.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed for the time limit
  bool timed_out = false;
  std::string out;
  std::string err;
};

// argv[0] is looked up in PATH. `input` is fed to stdin. `env` entries are added to (or
// replace those of) the test's own environment. The process is killed at `timeout`.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(30),
                         const std::map<std::string, std::string>& env = {});

// Whether a program is on PATH, for tests that need it to say so when it is missing.
bool haveProgram(const std::string& name);

}  // namespace berth::testing

namespace berth::testing {

// A program running in the background for the length of a test: agents and masters in
// end-to-end tests. Its output goes to files in its own temporary directory. The
// destructor kills it (SIGKILL) if it is still running.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Waits until stderr or stdout contains `text`; returns the output so far if it does,
  // nullopt if the process exits or `timeout` passes first.
  std::optional<std::string> waitForOutput(const std::string& text,
                                           std::chrono::milliseconds timeout);

  void signal(int signo);
  // The exit code, or nullopt if still running at `timeout`. -signo if killed by a signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string output() const;
  int pid() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace berth::testing
