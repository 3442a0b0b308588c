// C++ helper: write a plugin as a C++ class; the C entry, the interface tables and the
// exception barrier at every exported function are generated.
//
//   class MyIsolator : public berth::cpp::IsolatorPlugin {
//    public:
//     using IsolatorPlugin::IsolatorPlugin;
//     // Validates configuration; returns null and sets *error to refuse.
//     static std::unique_ptr<MyIsolator> create(const berth_host* host, std::string* error);
//     void prepare(berth::cpp::Operation op, berth_bytes request) override { ... }
//   };
//   static const berth_plugin_descriptor kDescriptor = {...};
//   BERTH_CPP_PLUGIN(MyIsolator, kDescriptor)
//
// No exception escapes into the host: one thrown from a hook completes that operation with
// BERTH_ERROR_INTERNAL and the exception's text; one thrown from create() refuses the
// instance with that text.
#ifndef BERTH_CPP_PLUGIN_H
#define BERTH_CPP_PLUGIN_H

#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "berth/berth.h"
#include "berth/cpp/operation.h"

namespace berth::cpp {

// Every configuration key of the instance `host` serves, with its value, in order: what a
// plugin's create() validates before it builds anything.
inline std::vector<std::pair<std::string, std::string>> configEntries(const berth_host* host) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (uint32_t i = 0;; ++i) {
    const char* key = host->config_key_at(host, i);
    if (key == nullptr) break;
    const char* value = host->config_get(host, key);
    entries.emplace_back(key, value == nullptr ? "" : value);
  }
  return entries;
}

// What every C++ plugin instance has: its host and configuration.
class Plugin {
 public:
  explicit Plugin(const berth_host* host) : host_(host) {}
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const berth_host* host() const { return host_; }

  void log(berth_log_level level, const std::string& message) const {
    host_->log(host_, level, message.c_str());
  }

  // The value of a configuration key, if set.
  std::optional<std::string> config(const char* key) const {
    const char* value = host_->config_get(host_, key);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }

  std::vector<std::string> configKeys() const {
    std::vector<std::string> keys;
    for (uint32_t i = 0;; ++i) {
      const char* key = host_->config_key_at(host_, i);
      if (key == nullptr) break;
      keys.emplace_back(key);
    }
    return keys;
  }

 private:
  const berth_host* host_;
};

// Base of an isolator. Every hook defaults to succeeding with an empty result, except
// watch: an isolator that does not override it reports no limitations, and its table has
// no watch hook at all (NULL, "nothing to do"), so no operation stays open per container.
// One that overrides it must complete each watch on a limitation, or with
// BERTH_ERROR_CANCELLED at the latest in that container's cleanup. Likewise an isolator
// that does not override isolate has no isolate hook, and the first process need not wait
// for it; one that only learns the pid there says so with BERTH_ISOLATOR_NO_HOLD.
class IsolatorPlugin : public Plugin {
 public:
  using Plugin::Plugin;
  virtual uint64_t isolatorCapabilities() const { return 0; }
  virtual void recover(Operation op, berth_bytes) { op.succeed(); }
  virtual void prepare(Operation op, berth_bytes) { op.succeed(); }
  virtual void isolate(Operation op, berth_bytes) { op.succeed(); }
  // Not called unless overridden (see above).
  virtual void watch(Operation op, berth_bytes) {
    op.fail(BERTH_ERROR_CANCELLED, "this isolator reports no limitations");
  }
  virtual void update(Operation op, berth_bytes) { op.succeed(); }
  virtual void usage(Operation op, berth_bytes) { op.succeed(); }
  virtual void status(Operation op, berth_bytes) { op.succeed(); }
  virtual void cleanup(Operation op, berth_bytes) { op.succeed(); }
};

// Base of a launcher. Every hook must be implemented.
class LauncherPlugin : public Plugin {
 public:
  using Plugin::Plugin;
  virtual void recover(Operation op, berth_bytes request) = 0;
  virtual void launch(Operation op, berth_bytes request) = 0;
  virtual void start(Operation op, berth_bytes request) = 0;
  virtual void wait(Operation op, berth_bytes request) = 0;
  virtual void destroy(Operation op, berth_bytes request) = 0;
  virtual void status(Operation op, berth_bytes request) = 0;
};

// Base of a resource estimator.
class EstimatorPlugin : public Plugin {
 public:
  using Plugin::Plugin;
  virtual void oversubscribable(Operation op, berth_bytes request) = 0;
};

namespace detail {

struct Instance {
  berth_plugin plugin{};
  std::unique_ptr<Plugin> object;
  berth_isolator isolator{};
  berth_launcher launcher{};
  berth_resource_estimator estimator{};
};

inline Instance& instance(berth_plugin* self) {
  return *static_cast<Instance*>(self->plugin_data);
}

// Calls a hook of the plugin object behind `self`, turning any exception into a failed
// completion of that operation.
template <class Base, void (Base::*Method)(Operation, berth_bytes)>
void hook(berth_plugin* self, berth_op* op, berth_bytes request) {
  Instance& inst = instance(self);
  Operation operation(inst.object->host(), op);
  try {
    (static_cast<Base&>(*inst.object).*Method)(operation, request);
  } catch (const std::exception& e) {
    operation.fail(BERTH_ERROR_INTERNAL, std::string("uncaught exception: ") + e.what());
  } catch (...) {
    operation.fail(BERTH_ERROR_INTERNAL, "uncaught exception of unknown type");
  }
}

inline const void* getInterface(const berth_plugin* self, const char* id) {
  if (id == nullptr) return nullptr;
  const Instance& inst = *static_cast<const Instance*>(self->plugin_data);
  if (std::strcmp(id, BERTH_ISOLATOR_ID) == 0 && inst.isolator.struct_size != 0) {
    return &inst.isolator;
  }
  if (std::strcmp(id, BERTH_LAUNCHER_ID) == 0 && inst.launcher.struct_size != 0) {
    return &inst.launcher;
  }
  if (std::strcmp(id, BERTH_RESOURCE_ESTIMATOR_ID) == 0 && inst.estimator.struct_size != 0) {
    return &inst.estimator;
  }
  return nullptr;
}

inline void destroy(berth_plugin* self) {
  delete &instance(self);
}

template <class T>
berth_status create(const berth_host* host, berth_plugin** out) {
  try {
    std::string error;
    std::unique_ptr<T> object = T::create(host, &error);
    if (!object) {
      host->report_error(host, error.empty() ? "refused to start" : error.c_str());
      return BERTH_ERROR_INVALID_ARGUMENT;
    }
    auto inst = std::make_unique<Instance>();
    if constexpr (std::is_base_of_v<IsolatorPlugin, T>) {
      // A host of minor 1.0 or 1.1 refuses bits it does not know.
      const uint64_t newer = host->abi_minor < 2 ? BERTH_ISOLATOR_NO_HOLD : 0;
      inst->isolator = berth_isolator{
          sizeof(berth_isolator),
          0,
          object->isolatorCapabilities() & ~newer,
          &hook<IsolatorPlugin, &IsolatorPlugin::recover>,
          &hook<IsolatorPlugin, &IsolatorPlugin::prepare>,
          std::is_same_v<decltype(&T::isolate), void (IsolatorPlugin::*)(Operation, berth_bytes)>
              ? nullptr
              : &hook<IsolatorPlugin, &IsolatorPlugin::isolate>,
          // &T::watch names the class that declares watch: IsolatorPlugin unless T (or a
          // base between) overrides it.
          std::is_same_v<decltype(&T::watch), void (IsolatorPlugin::*)(Operation, berth_bytes)>
              ? nullptr
              : &hook<IsolatorPlugin, &IsolatorPlugin::watch>,
          &hook<IsolatorPlugin, &IsolatorPlugin::update>,
          &hook<IsolatorPlugin, &IsolatorPlugin::usage>,
          &hook<IsolatorPlugin, &IsolatorPlugin::status>,
          &hook<IsolatorPlugin, &IsolatorPlugin::cleanup>,
      };
    }
    if constexpr (std::is_base_of_v<LauncherPlugin, T>) {
      inst->launcher = berth_launcher{
          sizeof(berth_launcher),
          0,
          0,
          &hook<LauncherPlugin, &LauncherPlugin::recover>,
          &hook<LauncherPlugin, &LauncherPlugin::launch>,
          &hook<LauncherPlugin, &LauncherPlugin::start>,
          &hook<LauncherPlugin, &LauncherPlugin::wait>,
          &hook<LauncherPlugin, &LauncherPlugin::destroy>,
          &hook<LauncherPlugin, &LauncherPlugin::status>,
      };
    }
    if constexpr (std::is_base_of_v<EstimatorPlugin, T>) {
      inst->estimator =
          berth_resource_estimator{sizeof(berth_resource_estimator), 0, 0,
                                   &hook<EstimatorPlugin, &EstimatorPlugin::oversubscribable>};
    }
    inst->object = std::move(object);
    inst->plugin.struct_size = sizeof(berth_plugin);
    inst->plugin.plugin_data = inst.get();
    inst->plugin.get_interface = &getInterface;
    inst->plugin.destroy = &detail::destroy;
    *out = &inst.release()->plugin;
    return BERTH_OK;
  } catch (const std::exception& e) {
    host->report_error(host, e.what());
  } catch (...) {
    host->report_error(host, "uncaught exception of unknown type");
  }
  return BERTH_ERROR_INTERNAL;
}

// The helpers use only host services of SDK 1.0, and what SDK 1.1 added (declared flags)
// is read by the host, which checks the descriptor's size; SDK 1.2's capability bit is
// cleared for older hosts (create()). So a plugin built with these
// headers speaks every minor from 0 to theirs: it picks the highest the host offers, and
// refuses only a range entirely newer than its SDK, or an inverted one. A plugin that
// calls a host service newer than 1.0 must check BERTH_HOST_HAS before using it. In a
// 1.0 host, declared flags are not offered to operators; the plugin sees its defaults.
inline berth_status negotiate(uint32_t host_min, uint32_t host_max, uint32_t* chosen) {
  if (host_min > host_max || host_min > BERTH_ABI_MINOR) return BERTH_ERROR_INCOMPATIBLE;
  *chosen = host_max < BERTH_ABI_MINOR ? host_max : BERTH_ABI_MINOR;
  return BERTH_OK;
}

inline void deinit() {}

}  // namespace detail
}  // namespace berth::cpp

// Defines the library's entry symbol for plugin class `PluginClass` described by the
// berth_plugin_descriptor `descriptor`. Use once per library, at namespace scope.
#define BERTH_CPP_PLUGIN(PluginClass, descriptor)                                \
  extern "C" BERTH_PLUGIN_EXPORT const berth_plugin_entry berth_plugin_entry_v1; \
  extern "C" const berth_plugin_entry berth_plugin_entry_v1 = {                  \
      sizeof(berth_plugin_entry),                                                \
      BERTH_ABI_MAJOR,                                                           \
      BERTH_ABI_MINOR,                                                           \
      0,                                                                         \
      &(descriptor),                                                             \
      &::berth::cpp::detail::negotiate,                                          \
      &::berth::cpp::detail::deinit,                                             \
      &::berth::cpp::detail::create<PluginClass>,                                \
  };

#endif  // BERTH_CPP_PLUGIN_H
