// Every plugin operation in flight: who, what, for which container, since when, until when.
//
// This list is the agent's /containerizer/debug. It also enforces the ABI's completion
// rules: an operation ends exactly once, either when the plugin completes it or when its
// deadline passes; a completion after that, or a second one, is recognised by its id and
// dropped. An operation given up on stays listed as abandoned until the plugin does
// complete it, so a plugin that never answers shows up.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/status.h"
#include "core/agent/plugins/plugin_metrics.h"

namespace berth::agent {

struct OperationOutcome {
  berth_status status = BERTH_OK;
  std::string message;
  std::string payload;  // the result message's wire bytes
  bool timed_out = false;
};

class OperationTracker {
 public:
  using Clock = std::chrono::steady_clock;
  // Runs once per operation: on the plugin's completing thread, or on the tracker's timer
  // thread for a timeout. Must not block.
  using Completion = std::function<void(OperationOutcome)>;

  struct Entry {
    uint64_t id = 0;
    std::string plugin;
    std::string hook;
    std::string container_id;
    Clock::time_point started;
    Clock::time_point deadline;  // max() for none
    std::chrono::system_clock::time_point started_wall;
    bool abandoned = false;  // timed out; still waiting for the plugin
    bool cancel_requested = false;
    Completion done;
  };

  explicit OperationTracker(PluginMetrics& metrics);
  // Fails what is still pending with BERTH_ERROR_CANCELLED.
  ~OperationTracker();
  OperationTracker(const OperationTracker&) = delete;
  OperationTracker& operator=(const OperationTracker&) = delete;

  // Registers an operation and returns its id, which is the berth_op handle the plugin
  // sees. `timeout` zero: no deadline (watch, wait).
  uint64_t begin(std::string plugin, std::string hook, std::string container_id,
                 std::chrono::nanoseconds timeout, Completion done);

  // The plugin's completion. Returns false, doing nothing, for an unknown id: an operation
  // already completed (a duplicate) or never begun. A completion of an abandoned operation
  // returns true but only removes it from the list.
  bool complete(uint64_t id, berth_status status, std::string message, std::string payload);

  bool cancelled(uint64_t id) const;
  // CLOCK_MONOTONIC nanoseconds, 0 for none or an unknown id.
  int64_t deadlineNs(uint64_t id) const;

  // Asks the plugin to finish every operation of `container_id` early (is_cancelled()).
  void cancelContainer(const std::string& container_id);

  // Operations still pending or abandoned, oldest first; `done` is left empty.
  std::vector<Entry> snapshot() const;

 private:
  void timerLoop();

  PluginMetrics& metrics_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 1;
  // When the timer thread will next look at deadlines; begin() wakes it only for an
  // earlier deadline, so the common case costs no system call.
  Clock::time_point next_wake_ = Clock::time_point::max();
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace berth::agent
