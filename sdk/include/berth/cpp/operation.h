// C++ helper: one asynchronous operation, completed exactly once.
//
// An Operation owns the duty to complete a berth_op. complete() may be called from any
// thread; only the first call counts. If the Operation is destroyed without completing
// (a forgotten path, an exception), it completes with BERTH_ERROR_INTERNAL, so the host
// never waits for an answer that cannot come.
#ifndef BERTH_CPP_OPERATION_H
#define BERTH_CPP_OPERATION_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "berth/host.h"

namespace berth::cpp {

class Operation {
 public:
  Operation(const berth_host* host, berth_op* op) : state_(std::make_shared<State>(host, op)) {}

  // Completes with `status`, `message` and `result` (copied by the host during the call).
  void complete(berth_status status, const std::string& message = {},
                const std::vector<uint8_t>& result = {}) const {
    state_->complete(status, message, result);
  }
  void succeed(const std::vector<uint8_t>& result = {}) const { complete(BERTH_OK, {}, result); }
  void fail(berth_status status, const std::string& message) const { complete(status, message); }

  bool cancelled() const { return state_->host->is_cancelled(state_->host, state_->op) != 0; }
  // CLOCK_MONOTONIC nanoseconds; 0 when there is no deadline.
  int64_t deadlineNs() const { return state_->host->deadline_ns(state_->host, state_->op); }

 private:
  struct State {
    State(const berth_host* h, berth_op* o) : host(h), op(o) {}
    ~State() { complete(BERTH_ERROR_INTERNAL, "the plugin dropped the operation", {}); }

    void complete(berth_status status, const std::string& message,
                  const std::vector<uint8_t>& result) {
      if (done.exchange(true)) return;
      host->complete(host, op, status, message.empty() ? nullptr : message.c_str(),
                     berth_bytes{result.data(), result.size()});
    }

    const berth_host* host;
    berth_op* op;
    std::atomic<bool> done{false};
  };
  // Shared so that copies (captured by callbacks on other threads) complete it once.
  std::shared_ptr<State> state_;
};

}  // namespace berth::cpp

#endif  // BERTH_CPP_OPERATION_H
