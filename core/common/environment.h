// A snapshot of environment variables. Code that reads settings from the environment (TLS,
// agent flags) takes an Environment, so tests hand it a plain map and never call setenv().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

class Environment {
 public:
  explicit Environment(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // A copy of the process environment as it is now.
  static Environment process();

  // The value of a variable, or nullopt when it is unset.
  std::optional<std::string> get(const std::string& name) const;

  // Names of all variables starting with `prefix`, sorted.
  std::vector<std::string> namesWithPrefix(std::string_view prefix) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace berth
