#include "core/net/recordio.h"

#include <cctype>

namespace berth::net {

namespace {
// 20 digits hold any 64-bit length; a longer header is garbage, not a big record.
constexpr size_t kMaxHeaderDigits = 20;
}  // namespace

std::string encodeRecord(std::string_view record) {
  std::string framed = std::to_string(record.size());
  framed.reserve(framed.size() + 1 + record.size());
  framed += '\n';
  framed += record;
  return framed;
}

Result<std::vector<std::string>> RecordIoDecoder::decode(std::string_view data) {
  if (failure_) return *failure_;
  std::vector<std::string> records;
  while (!data.empty()) {
    if (in_record_) {
      const size_t take = std::min(remaining_, data.size());
      record_.append(data.substr(0, take));
      data.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ == 0) {
        records.push_back(std::move(record_));
        record_.clear();
        in_record_ = false;
      }
      continue;
    }
    const char c = data.front();
    data.remove_prefix(1);
    if (c != '\n') {
      if (!std::isdigit(static_cast<unsigned char>(c)) || header_.size() >= kMaxHeaderDigits) {
        failure_ =
            Error(ErrorCode::kInvalidArgument,
                  "RecordIO: expected a decimal record length, got byte 0x" +
                      std::to_string(static_cast<unsigned char>(c)) + " after '" + header_ + "'");
        return *failure_;
      }
      header_ += c;
      continue;
    }
    if (header_.empty()) {
      failure_ = Error(ErrorCode::kInvalidArgument, "RecordIO: empty record length");
      return *failure_;
    }
    const unsigned long long length = std::stoull(header_);
    header_.clear();
    if (length > max_record_bytes_) {
      failure_ = Error(ErrorCode::kInvalidArgument,
                       "RecordIO: record of " + std::to_string(length) + " bytes exceeds the " +
                           std::to_string(max_record_bytes_) + "-byte limit");
      return *failure_;
    }
    if (length == 0) {
      records.emplace_back();
      continue;
    }
    in_record_ = true;
    remaining_ = static_cast<size_t>(length);
    record_.reserve(remaining_);
  }
  return records;
}

}  // namespace berth::net
