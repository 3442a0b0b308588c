#include "core/common/parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace berth {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<bool> parseBool(std::string_view text) {
  const std::string value = lower(text);
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  return Error(ErrorCode::kInvalidArgument,
               "expected true or false, got '" + std::string(text) + "'");
}

Result<int64_t> parseInt(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return Error(ErrorCode::kInvalidArgument,
                 "expected an integer, got '" + std::string(text) + "'");
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return Error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is outside [" +
                                                  std::to_string(min) + ", " + std::to_string(max) +
                                                  "]");
  }
  return value;
}

Result<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  const auto bad = [&] {
    return Error(
        ErrorCode::kInvalidArgument,
        "expected a duration such as '30secs' or '100ms', got '" + std::string(text) + "'");
  };
  size_t unit_start = 0;
  while (unit_start < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_start])) || text[unit_start] == '.')) {
    ++unit_start;
  }
  if (unit_start == 0) return bad();
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + unit_start, value);
  if (ec != std::errc() || ptr != text.data() + unit_start) return bad();
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1},      {"us", 1e3},     {"ms", 1e6},       {"secs", 1e9},
      {"mins", 60e9}, {"hrs", 3600e9}, {"days", 86400e9}, {"weeks", 604800e9}};
  const std::string_view unit = text.substr(unit_start);
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return std::chrono::nanoseconds(static_cast<int64_t>(value * factor));
  }
  return bad();
}

}  // namespace berth
