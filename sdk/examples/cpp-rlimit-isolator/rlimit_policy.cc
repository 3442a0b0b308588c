#include "rlimit_policy.h"

#include <charconv>
#include <set>

namespace example {

namespace {
bool parseNumber(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}
}  // namespace

std::optional<Limit> parseLimit(const std::string& name, const std::string& value,
                                std::string* error) {
  static const std::set<std::string> kKnown = {"RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE",
                                               "RLIMIT_STACK",  "RLIMIT_AS",    "RLIMIT_MEMLOCK"};
  if (kKnown.count(name) == 0) {
    *error = "unknown resource limit '" + name + "'";
    return std::nullopt;
  }
  const size_t colon = value.find(':');
  Limit limit{name, 0, 0};
  const bool ok = colon == std::string::npos
                      ? parseNumber(value, &limit.soft) && parseNumber(value, &limit.hard)
                      : parseNumber(std::string_view(value).substr(0, colon), &limit.soft) &&
                            parseNumber(std::string_view(value).substr(colon + 1), &limit.hard);
  if (!ok || limit.soft > limit.hard) {
    *error = name + ": expected SOFT or SOFT:HARD with SOFT <= HARD, got '" + value + "'";
    return std::nullopt;
  }
  return limit;
}

}  // namespace example
