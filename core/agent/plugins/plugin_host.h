// The agent's side of the plugin ABI: loads plugin libraries, creates instances with their
// configuration, gives each its berth_host services, and runs their hooks as tracked,
// deadline-bound operations.
//
// Threading: instantiate() and call() must be used from one thread, the agent's plugin
// thread; that is how the ABI's [main-thread] promise (one hook at a time per instance)
// is kept. Completions arrive on any thread. With an event loop (setEventLoop()), the
// plugin thread is that loop's, and plugins may watch descriptors in it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "berth/berth.h"
#include "core/agent/plugins/operation_tracker.h"
#include "core/agent/plugins/plugin_library.h"
#include "core/agent/plugins/plugin_metrics.h"
#include "core/agent/plugins/plugin_settings.h"
#include "core/common/event_loop.h"
#include "core/common/result.h"

namespace berth::agent {

class PluginHost;

// A created plugin instance and the interfaces it provides.
class PluginInstance {
 public:
  const PluginInfo& info() const { return library_->info(); }
  const std::string& name() const { return info().name; }
  uint32_t abiMinor() const { return host_table_.abi_minor; }

  // Interface tables, null when not provided.
  const berth_isolator* isolator() const { return isolator_; }
  const berth_launcher* launcher() const { return launcher_; }
  const berth_resource_estimator* estimator() const { return estimator_; }

  berth_plugin* raw() const { return plugin_; }

  // What the host services need to know about the instance calling them (the plugin's
  // berth_host.host_data points here). Internal to the plugin host.
  struct Context {
    PluginHost* host = nullptr;
    std::string name;
    PluginConfig config;
    bool creating = false;
    std::string error;
    std::set<int> watched;  // descriptors it watches (berth_host.watch_fd), in the loop
  };

 private:
  friend class PluginHost;
  PluginLibrary* library_ = nullptr;
  berth_plugin* plugin_ = nullptr;
  berth_host host_table_{};
  Context context_;
  const berth_isolator* isolator_ = nullptr;
  const berth_launcher* launcher_ = nullptr;
  const berth_resource_estimator* estimator_ = nullptr;
};

using HookFn = void (*)(berth_plugin* self, berth_op* op, berth_bytes request);

class PluginHost {
 public:
  explicit PluginHost(TimeoutPolicy timeouts);
  // Destroys instances in reverse creation order, then lets the libraries deinit. With an
  // event loop, only once it has stopped.
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every *.so in `dir` (checks each, runs nothing). A library that fails to load is
  // remembered and its reason given if a flag asks for a plugin that is then not found.
  // Fails on two libraries with the same plugin name.
  Status scan(const std::string& dir);

  // Loads one library by path. Fails as PluginLibrary::load() does, or on a duplicate name.
  Result<const PluginInfo*> add(const std::string& path);

  // Every plugin library loaded so far (by scan() or add()), by name.
  std::vector<const PluginInfo*> plugins() const;

  // Closes the libraries of plugins that have no instance: scan() opened them to list and
  // resolve them, and their pages would stay resident for nothing. Call once every plugin
  // is instantiated; plugins() and resolve() know only the rest afterwards.
  void unloadUnused();

  // The plugins a flag value means, in order: a name, a path to a .so (loaded now), or an
  // alias (every plugin declaring it, by name). Fails naming the value and, when nothing
  // matched, the libraries that could not be loaded.
  Result<std::vector<std::string>> resolve(const std::string& value);

  // Negotiates with the library (once) and creates an instance of plugin `name` with
  // `config`. `required_kinds` are BERTH_KIND_* bits the instance must provide. Fails
  // naming the plugin and file: negotiation refused, init or create failure (with the
  // plugin's own message), a missing interface.
  Result<PluginInstance*> instantiate(const std::string& name, PluginConfig config,
                                      uint64_t required_kinds);

  // Runs hook `fn` (a member of one of the instance's interface tables; null means nothing
  // to do and completes at once with BERTH_OK) as a tracked operation with the configured
  // deadline, or none when `deadline` is false. `request` is borrowed by the plugin for
  // the call only. `done` runs once, on the completing thread.
  void call(PluginInstance& instance, const char* hook, HookFn fn, const std::string& container_id,
            const std::string& request, bool deadline, OperationTracker::Completion done);

  // The loop the plugin thread runs, which berth_host.watch_fd watches descriptors in;
  // without one (the default), watch_fd fails with BERTH_ERROR_UNAVAILABLE. Set it before
  // the first call(); it must outlive this host's last hook.
  void setEventLoop(EventLoop* loop) { loop_ = loop; }
  EventLoop* eventLoop() const { return loop_; }

  const std::vector<std::unique_ptr<PluginInstance>>& instances() const { return instances_; }
  OperationTracker& tracker() { return tracker_; }
  PluginMetrics& metrics() { return metrics_; }

 private:
  void fillHostTable(PluginInstance& instance, uint32_t minor);

  TimeoutPolicy timeouts_;
  EventLoop* loop_ = nullptr;
  PluginMetrics metrics_;
  OperationTracker tracker_;
  std::map<std::string, std::unique_ptr<PluginLibrary>> libraries_;  // by plugin name
  std::map<std::string, uint32_t> negotiated_;                       // by plugin name
  std::vector<std::string> load_failures_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
};

}  // namespace berth::agent
