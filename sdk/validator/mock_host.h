// The validator's host: a berth_host that records everything a plugin does and flags every
// breach of the contract (a second completion, a completion of an unknown operation,
// report_error outside create(), any call after destroy()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "berth/berth.h"

namespace berth::validator {

class MockHost {
 public:
  explicit MockHost(std::vector<std::pair<std::string, std::string>> config = {});

  const berth_host* table() const { return &table_; }

  // Starts an operation and returns its handle; `cancelled` makes is_cancelled() say 1.
  berth_op* begin(const std::string& what, bool cancelled = false);
  // Waits until the operation completed; false on timeout.
  bool waitCompleted(berth_op* op, std::chrono::milliseconds timeout);
  int completions(berth_op* op) const;
  berth_status status(berth_op* op) const;
  std::string message(berth_op* op) const;

  void setCreating(bool creating);
  void markDestroyed();
  // Breaches seen so far, each a sentence.
  std::vector<std::string> violations() const;

 private:
  struct Op {
    std::string what;
    bool cancelled = false;
    int completions = 0;
    berth_status status = BERTH_OK;
    std::string message;
  };

  static MockHost& self(const berth_host* host);
  void violation(std::string text);

  berth_host table_{};
  std::vector<std::pair<std::string, std::string>> config_;
  mutable std::mutex mutex_;
  std::condition_variable completed_;
  std::map<uint64_t, Op> ops_;
  uint64_t next_ = 1;
  bool creating_ = false;
  bool destroyed_ = false;
  std::vector<std::string> violations_;
  std::string last_error_;
};

}  // namespace berth::validator
