#include "core/agent/plugins/operation_tracker.h"

#include <glog/logging.h>

namespace berth::agent {

OperationTracker::OperationTracker(PluginMetrics& metrics)
    : metrics_(metrics), timer_([this] { timerLoop(); }) {}

OperationTracker::~OperationTracker() {
  std::vector<Completion> orphans;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, entry] : entries_) {
      if (!entry.abandoned && entry.done) orphans.push_back(std::move(entry.done));
    }
    entries_.clear();
  }
  wake_.notify_all();
  timer_.join();
  for (auto& done : orphans) {
    done(OperationOutcome{BERTH_ERROR_CANCELLED, "the agent is shutting down", {}, false});
  }
}

uint64_t OperationTracker::begin(std::string plugin, std::string hook, std::string container_id,
                                 std::chrono::nanoseconds timeout, Completion done) {
  Entry entry;
  entry.plugin = std::move(plugin);
  entry.hook = std::move(hook);
  entry.container_id = std::move(container_id);
  entry.started = Clock::now();
  entry.started_wall = std::chrono::system_clock::now();
  entry.deadline = timeout.count() > 0 ? entry.started + timeout : Clock::time_point::max();
  entry.done = std::move(done);
  uint64_t id = 0;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    entry.id = id;
    if (entry.deadline < next_wake_) {
      next_wake_ = entry.deadline;
      wake = true;
    }
    entries_.emplace(id, std::move(entry));
  }
  if (wake) wake_.notify_all();
  return id;
}

bool OperationTracker::complete(uint64_t id, berth_status status, std::string message,
                                std::string payload) {
  Entry entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return false;
    entry = std::move(it->second);
    entries_.erase(it);
  }
  if (entry.abandoned) {
    LOG(WARNING) << "Plugin '" << entry.plugin << "' completed " << entry.hook << " for container '"
                 << entry.container_id << "' after its deadline; the result was dropped";
    return true;
  }
  metrics_.recordOperation(entry.plugin, entry.hook, status != BERTH_OK, false,
                           Clock::now() - entry.started);
  entry.done(OperationOutcome{status, std::move(message), std::move(payload), false});
  return true;
}

bool OperationTracker::cancelled(uint64_t id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  return it == entries_.end() || it->second.abandoned || it->second.cancel_requested;
}

int64_t OperationTracker::deadlineNs(uint64_t id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.deadline == Clock::time_point::max()) return 0;
  // steady_clock is CLOCK_MONOTONIC on Linux, the clock the ABI promises.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             it->second.deadline.time_since_epoch())
      .count();
}

void OperationTracker::cancelContainer(const std::string& container_id) {
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : entries_) {
    if (entry.container_id == container_id) entry.cancel_requested = true;
  }
}

std::vector<OperationTracker::Entry> OperationTracker::snapshot() const {
  std::vector<Entry> list;
  std::lock_guard lock(mutex_);
  for (const auto& [id, entry] : entries_) {
    Entry copy;
    copy.id = entry.id;
    copy.plugin = entry.plugin;
    copy.hook = entry.hook;
    copy.container_id = entry.container_id;
    copy.started = entry.started;
    copy.deadline = entry.deadline;
    copy.started_wall = entry.started_wall;
    copy.abandoned = entry.abandoned;
    copy.cancel_requested = entry.cancel_requested;
    list.push_back(std::move(copy));
  }
  return list;
}

void OperationTracker::timerLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    Clock::time_point next = Clock::time_point::max();
    const Clock::time_point now = Clock::now();
    std::vector<std::pair<Entry*, Completion>> expired;
    for (auto& [id, entry] : entries_) {
      if (entry.abandoned) continue;
      if (entry.deadline <= now) {
        entry.abandoned = true;
        expired.emplace_back(&entry, std::move(entry.done));
      } else {
        next = std::min(next, entry.deadline);
      }
    }
    if (!expired.empty()) {
      std::vector<std::tuple<std::string, std::string, std::string, Clock::time_point, Completion>>
          calls;
      for (auto& [entry, done] : expired) {
        calls.emplace_back(entry->plugin, entry->hook, entry->container_id, entry->started,
                           std::move(done));
      }
      lock.unlock();
      for (auto& [plugin, hook, container, started, done] : calls) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
        LOG(WARNING) << "Plugin '" << plugin << "' did not complete " << hook << " for container '"
                     << container << "' within " << elapsed.count() << " ms";
        metrics_.recordOperation(plugin, hook, true, true, now - started);
        done(OperationOutcome{BERTH_ERROR_TIMEOUT,
                              "plugin '" + plugin + "' did not complete " + hook + " within " +
                                  std::to_string(elapsed.count()) + " ms",
                              {},
                              true});
      }
      lock.lock();
      continue;
    }
    next_wake_ = next;
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
  }
}

}  // namespace berth::agent
