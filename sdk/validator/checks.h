// The conformance checks of berth-plugin-check. Each check verifies one or more numbered
// rules of the plugin contract (RULES.md) and runs in its own process, so that a plugin
// that crashes or hangs fails that check only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::validator {

struct Options {
  std::string path;
  std::vector<std::pair<std::string, std::string>> config;  // handed to create()
  std::vector<std::string> allowed_needed;                  // extra DT_NEEDED entries
  std::chrono::milliseconds operation_timeout{5000};        // per plugin operation
  uint32_t seed = 1;                                        // for the fuzz check
};

struct CheckResult {
  enum class Outcome { kPass, kFail, kSkip };
  Outcome outcome = Outcome::kPass;
  std::string message;
};

struct Check {
  const char* name;
  const char* rules;  // "BERTH_PLUGIN_9", or several separated by commas
  const char* summary;
  CheckResult (*run)(const Options& options);
};

// Every check, in the order they run.
const std::vector<Check>& allChecks();

}  // namespace berth::validator
