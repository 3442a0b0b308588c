#include "core/agent/plugins/plugin_metrics.h"

#include <sstream>

namespace berth::agent {

void PluginMetrics::recordOperation(const std::string& plugin, const std::string& hook, bool failed,
                                    bool timed_out, std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mutex_);
  auto it = hooks_.find(ViewKey(plugin, hook));
  if (it == hooks_.end()) it = hooks_.emplace(Key(plugin, hook), HookStats{}).first;
  HookStats& stats = it->second;
  ++stats.count;
  if (failed) ++stats.errors;
  if (timed_out) ++stats.timeouts;
  stats.sum_seconds += seconds;
  for (size_t i = 0; i < std::size(kBucketsSeconds); ++i) {
    if (seconds <= kBucketsSeconds[i]) ++stats.buckets[i];
  }
}

void PluginMetrics::addCounter(const std::string& plugin, const std::string& name, uint64_t delta) {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(ViewKey(plugin, name));
  if (it == counters_.end()) it = counters_.emplace(Key(plugin, name), 0).first;
  it->second += delta;
}

std::string PluginMetrics::prometheus() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  const auto labels = [](const std::pair<std::string, std::string>& key) {
    return "plugin=\"" + key.first + "\",hook=\"" + key.second + "\"";
  };
  out << "# HELP berth_plugin_operations_total Plugin operations finished.\n"
      << "# TYPE berth_plugin_operations_total counter\n";
  for (const auto& [key, s] : hooks_) {
    out << "berth_plugin_operations_total{" << labels(key) << "} " << s.count << "\n";
  }
  out << "# HELP berth_plugin_operation_errors_total Plugin operations that failed.\n"
      << "# TYPE berth_plugin_operation_errors_total counter\n";
  for (const auto& [key, s] : hooks_) {
    out << "berth_plugin_operation_errors_total{" << labels(key) << "} " << s.errors << "\n";
  }
  out << "# HELP berth_plugin_operation_timeouts_total Plugin operations that timed out.\n"
      << "# TYPE berth_plugin_operation_timeouts_total counter\n";
  for (const auto& [key, s] : hooks_) {
    out << "berth_plugin_operation_timeouts_total{" << labels(key) << "} " << s.timeouts << "\n";
  }
  out << "# HELP berth_plugin_operation_duration_seconds Time from call to completion.\n"
      << "# TYPE berth_plugin_operation_duration_seconds histogram\n";
  for (const auto& [key, s] : hooks_) {
    for (size_t i = 0; i < std::size(kBucketsSeconds); ++i) {
      out << "berth_plugin_operation_duration_seconds_bucket{" << labels(key) << ",le=\""
          << kBucketsSeconds[i] << "\"} " << s.buckets[i] << "\n";
    }
    out << "berth_plugin_operation_duration_seconds_bucket{" << labels(key) << ",le=\"+Inf\"} "
        << s.count << "\n";
    out << "berth_plugin_operation_duration_seconds_sum{" << labels(key) << "} " << s.sum_seconds
        << "\n";
    out << "berth_plugin_operation_duration_seconds_count{" << labels(key) << "} " << s.count
        << "\n";
  }
  out << "# HELP berth_plugin_counter Counters reported by plugins.\n"
      << "# TYPE berth_plugin_counter counter\n";
  for (const auto& [key, value] : counters_) {
    out << "berth_plugin_counter{plugin=\"" << key.first << "\",name=\"" << key.second << "\"} "
        << value << "\n";
  }
  return out.str();
}

}  // namespace berth::agent
