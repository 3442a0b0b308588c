// The logic of the example rlimit isolator, apart from the ABI glue in plugin.cc so that
// it can be unit-tested on its own: which resource limits to put in a launch plan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace example {

struct Limit {
  std::string name;  // "RLIMIT_NOFILE"
  uint64_t soft;
  uint64_t hard;
};

// Parses configuration "RLIMIT_NOFILE" = "1024" or "1024:4096" (soft:hard). Returns
// nullopt and sets *error for an unknown limit name or a malformed value.
std::optional<Limit> parseLimit(const std::string& name, const std::string& value,
                                std::string* error);

}  // namespace example
