// RecordIO, the framing of Mesos v1 event streams: each record is its length in decimal
// ASCII, a newline, then exactly that many bytes ("5\nhello"). Records may be split across
// or share HTTP chunks arbitrarily, so the decoder is incremental.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.h"

namespace berth::net {

// One framed record.
std::string encodeRecord(std::string_view record);

class RecordIoDecoder {
 public:
  // Records longer than `max_record_bytes` are an error rather than an allocation.
  explicit RecordIoDecoder(size_t max_record_bytes = 64 * 1024 * 1024)
      : max_record_bytes_(max_record_bytes) {}

  // Consumes `data` and returns the records it completed, in order. After an error (a
  // length that is not a decimal number, or too large) the stream is unusable and every
  // later call returns the same error.
  Result<std::vector<std::string>> decode(std::string_view data);

  // True when no partial record is buffered: the stream may end here cleanly.
  bool atBoundary() const { return !in_record_ && header_.empty(); }

 private:
  const size_t max_record_bytes_;
  std::string header_;  // digits of the current length, while reading them
  bool in_record_ = false;
  size_t remaining_ = 0;
  std::string record_;
  std::optional<Error> failure_;
};

}  // namespace berth::net
