// Per-plugin, per-hook operation metrics and the plugins' own counters, exposed at
// /metrics in the Prometheus text format.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace berth::agent {

class PluginMetrics {
 public:
  // One finished operation: its outcome and how long it took. Thread-safe.
  void recordOperation(const std::string& plugin, const std::string& hook, bool failed,
                       bool timed_out, std::chrono::nanoseconds latency);

  // A plugin's own counter (berth_host.counter_add). Thread-safe.
  void addCounter(const std::string& plugin, const std::string& name, uint64_t delta);

  // Everything in Prometheus text exposition format 0.0.4.
  std::string prometheus() const;

 private:
  static constexpr double kBucketsSeconds[] = {0.0001, 0.001, 0.01, 0.1, 1, 10};
  struct HookStats {
    uint64_t count = 0;
    uint64_t errors = 0;
    uint64_t timeouts = 0;
    uint64_t buckets[std::size(kBucketsSeconds)] = {};
    double sum_seconds = 0;
  };

  using Key = std::pair<std::string, std::string>;
  // Finds entries by string views, so that recording allocates nothing once an entry exists.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.first, a.second) < std::tie(b.first, b.second);
    }
  };
  using ViewKey = std::pair<std::string_view, std::string_view>;

  mutable std::mutex mutex_;
  std::map<Key, HookStats, KeyLess> hooks_;
  std::map<Key, uint64_t, KeyLess> counters_;
};

}  // namespace berth::agent
