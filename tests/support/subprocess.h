// Runs a program to completion with a time limit, capturing what it prints. For tests that
// drive real clients (curl, openssl s_client) and, later, real agents.
#pragma once

#include <chrono>
#include <map>
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
