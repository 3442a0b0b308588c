// Parsers for the scalar values that appear in flags and environment variables. Each
// error message quotes the offending text and says what was expected; callers add the
// name of the flag or variable as context.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/common/result.h"

namespace berth {

// "true"/"false", "1"/"0", "yes"/"no", "on"/"off", case-insensitive.
Result<bool> parseBool(std::string_view text);

// A decimal integer within [min, max].
Result<int64_t> parseInt(std::string_view text, int64_t min, int64_t max);

// A Mesos duration: a number and a unit, "30secs", "1.5mins", "100ms", "2hrs". Units:
// ns, us, ms, secs, mins, hrs, days, weeks.
Result<std::chrono::nanoseconds> parseDuration(std::string_view text);

}  // namespace berth
