// What operators configure about plugins: per-plugin configuration (--plugin_config) and
// operation timeouts (--plugin_timeouts).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.h"

namespace berth::agent {

// Configuration of one plugin: keys and string values, in file order.
using PluginConfig = std::vector<std::pair<std::string, std::string>>;

// Parses a --plugin_config file: a JSON object with one object per plugin name, whose
// values are strings, numbers or booleans (passed to the plugin as strings):
//   {"shm": {"default_size": "64MB"}, "nnp": {}}
Result<std::map<std::string, PluginConfig>> parsePluginConfig(std::string_view json);

// Operation deadlines. Fail closed: an operation that misses its deadline fails, and with
// it the container it was for.
class TimeoutPolicy {
 public:
  // --plugin_timeouts: comma-separated "duration" (the default), "plugin=duration",
  // "plugin.hook=duration" or "hook=duration" for every plugin's hook, e.g.
  //   "30secs,prepare=10secs,shm.cleanup=1mins"
  // The more specific entry wins. Empty: every hook 30 seconds.
  static Result<TimeoutPolicy> parse(std::string_view flag);

  std::chrono::nanoseconds lookup(const std::string& plugin, const std::string& hook) const;

 private:
  std::chrono::nanoseconds default_ = std::chrono::seconds(30);
  std::map<std::string, std::chrono::nanoseconds> by_key_;  // "ipc", "prepare", "ipc.prepare"
};

}  // namespace berth::agent
