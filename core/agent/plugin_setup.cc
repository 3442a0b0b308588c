#include "core/agent/plugin_setup.h"

#include <glog/logging.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace berth::agent {

namespace {

std::vector<std::string> splitList(const std::string& value) {
  std::vector<std::string> items;
  std::stringstream stream(value);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// Hands each plugin flag to the enabled plugins that declare it, as configuration. A flag
// that no loaded plugin declares is unknown; one whose plugins are all disabled is ignored,
// as Mesos ignores the flags of isolators it does not run.
Status bindPluginFlags(const AgentFlags& flags, const PluginHost& host,
                       const std::set<std::string>& enabled,
                       std::map<std::string, PluginConfig>& configs) {
  for (const PluginInfo* plugin : host.plugins()) {
    if (enabled.count(plugin->name) == 0) continue;
    for (const PluginFlag& declared : plugin->flags) {
      if (AgentFlags::isOwnFlag(declared.name)) {
        return Error(ErrorCode::kInvalidArgument, "plugin '" + plugin->name + "' (" + plugin->path +
                                                      ") declares flag --" + declared.name +
                                                      ", which is one of the agent's own flags");
      }
    }
  }

  for (const PluginFlagValue& given : flags.plugin_flags) {
    std::vector<const PluginInfo*> declarers;
    std::optional<bool> boolean;
    for (const PluginInfo* plugin : host.plugins()) {
      for (const PluginFlag& declared : plugin->flags) {
        if (declared.name != given.name) continue;
        if (boolean && *boolean != declared.boolean) {
          return Error(ErrorCode::kInvalidArgument,
                       "plugins '" + declarers.front()->name + "' and '" + plugin->name +
                           "' declare flag --" + given.name + " with different types");
        }
        boolean = declared.boolean;
        declarers.push_back(plugin);
      }
    }
    if (declarers.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   given.origin + ": no agent flag named '" + given.name +
                       "', and no plugin in --plugins_dir " + flags.plugins_dir + " declares it");
    }
    std::string value = given.value;
    if (*boolean) {
      if (value == "1") value = "true";
      if (value == "0") value = "false";
      if (value != "true" && value != "false") {
        return Error(ErrorCode::kInvalidArgument, given.origin + ": --" + given.name +
                                                      " is a boolean: true or false, not '" +
                                                      value + "'");
      }
    } else if (given.bare) {
      return Error(ErrorCode::kInvalidArgument, given.origin + ": --" + given.name +
                                                    " needs a value (--" + given.name + "=...)");
    }

    bool used = false;
    for (const PluginInfo* plugin : declarers) {
      if (enabled.count(plugin->name) == 0) continue;
      used = true;
      PluginConfig& config = configs[plugin->name];
      for (const auto& [key, ignored] : config) {
        if (key == given.name) {
          return Error(ErrorCode::kInvalidArgument,
                       given.origin + " and --plugin_config both set '" + given.name +
                           "' for plugin '" + plugin->name + "'; set it once");
        }
      }
      config.emplace_back(given.name, value);
    }
    if (!used) {
      LOG(WARNING) << given.origin << " is ignored: plugin '" << declarers.front()->name
                   << "', which declares it, is not enabled";
    }
  }
  return okStatus();
}

}  // namespace

std::string pluginFlagsUsage(const std::string& plugins_dir) {
  PluginHost host(*TimeoutPolicy::parse(""));
  if (!host.scan(plugins_dir)) return "";
  std::ostringstream out;
  for (const PluginInfo* plugin : host.plugins()) {
    for (const PluginFlag& flag : plugin->flags) {
      out << "  --" << flag.name << (flag.boolean ? "" : "=VALUE") << "\n      " << flag.help
          << " (plugin " << plugin->name << ")\n";
    }
  }
  if (out.str().empty()) return "";
  return "\nFlags of the plugins in " + plugins_dir +
         " (given only when the plugin is enabled):\n" + out.str();
}

Result<LoadedPlugins> loadPlugins(const AgentFlags& flags) {
  auto timeouts = TimeoutPolicy::parse(flags.plugin_timeouts);
  if (!timeouts) return timeouts.error().withContext("--plugin_timeouts");

  std::map<std::string, PluginConfig> configs;
  if (!flags.plugin_config.empty()) {
    std::ifstream file(flags.plugin_config);
    if (!file) {
      return errnoError("cannot read '" + flags.plugin_config + "'", errno)
          .withContext("--plugin_config");
    }
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = parsePluginConfig(text.str());
    if (!parsed) return parsed.error().withContext("--plugin_config " + flags.plugin_config);
    configs = std::move(*parsed);
  }

  LoadedPlugins loaded;
  loaded.host = std::make_unique<PluginHost>(std::move(*timeouts));
  PluginHost& host = *loaded.host;
  const bool any_plugin = !flags.isolation.empty() || !flags.launcher.empty() ||
                          !flags.resource_estimator.empty() || !flags.plugin_flags.empty();
  if (any_plugin) {
    if (Status scanned = host.scan(flags.plugins_dir); !scanned) {
      return scanned.error().withContext("--plugins_dir");
    }
  }

  // First which plugins the flags enable, in order; then their configuration; then the
  // instances.
  struct Wanted {
    std::string name;
    uint64_t kind;
    const char* flag;
    PluginInstance** slot;  // null for an isolator
  };
  std::vector<Wanted> wanted;
  std::set<std::string> enabled;
  for (const std::string& value : splitList(flags.isolation)) {
    auto names = host.resolve(value);
    if (!names) return names.error().withContext("--isolation");
    for (const std::string& name : *names) {
      if (enabled.count(name) != 0 && value != name) continue;  // two aliases, one plugin
      wanted.push_back({name, BERTH_KIND_ISOLATOR, "--isolation", nullptr});
      if (!enabled.insert(name).second) {
        return Error(ErrorCode::kInvalidArgument,
                     "--isolation: plugin '" + name + "' is listed twice");
      }
    }
  }
  for (auto [value, kind, slot, flag] :
       {std::tuple{flags.launcher, BERTH_KIND_LAUNCHER, &loaded.launcher, "--launcher"},
        std::tuple{flags.resource_estimator, BERTH_KIND_RESOURCE_ESTIMATOR,
                   &loaded.resource_estimator, "--resource_estimator"}}) {
    if (value.empty()) continue;
    auto names = host.resolve(value);
    if (!names) return names.error().withContext(flag);
    if (names->size() != 1) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string(flag) + ": '" + value + "' names several plugins");
    }
    if (!enabled.insert(names->front()).second) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string(flag) + ": plugin '" + names->front() + "' is listed twice");
    }
    wanted.push_back({names->front(), kind, flag, slot});
  }

  if (Status bound = bindPluginFlags(flags, host, enabled, configs); !bound) return bound.error();

  for (const Wanted& plugin : wanted) {
    PluginConfig config;
    if (auto it = configs.find(plugin.name); it != configs.end()) config = it->second;
    auto instance = host.instantiate(plugin.name, std::move(config), plugin.kind);
    if (!instance) {
      // A refusal of one of the plugin's own flags ("key: why") names that flag as the
      // operator wrote it, rather than the flag that enabled the plugin.
      std::string context = plugin.flag;
      for (const PluginFlagValue& given : flags.plugin_flags) {
        if (instance.error().message().find("failed to start: " + given.name + ": ") !=
            std::string::npos) {
          context = given.origin;
        }
      }
      return instance.error().withContext(context);
    }
    if (plugin.slot == nullptr) {
      loaded.isolators.push_back(*instance);
    } else {
      *plugin.slot = *instance;
    }
  }

  if (!loaded.isolators.empty() && loaded.launcher == nullptr) {
    LOG(WARNING) << "Isolators are enabled (--isolation) but no launcher (--launcher): this agent "
                    "runs no containers; add --launcher=linux-launcher, or --launcher=posix "
                    "without root";
  }

  for (const auto& [name, config] : configs) {
    if (enabled.count(name) == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "--plugin_config " + flags.plugin_config + ": has settings for '" + name +
                       "', which is not enabled by --isolation, --launcher or "
                       "--resource_estimator");
    }
  }
  host.unloadUnused();
  return loaded;
}

}  // namespace berth::agent
