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
  if (value == "true" || value == "1" || value == "yes" || value == "on")
    return true;
  if (value == "false" || value == "0" || value == "no" || value == "off")
    return false;
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

}  // namespace berth
