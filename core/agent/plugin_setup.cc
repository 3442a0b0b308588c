#include "core/agent/plugin_setup.h"

#include <fstream>
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

}  // namespace

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
  const bool any_plugin =
      !flags.isolation.empty() || !flags.launcher.empty() || !flags.resource_estimator.empty();
  if (any_plugin) {
    if (Status scanned = host.scan(flags.plugins_dir); !scanned) {
      return scanned.error().withContext("--plugins_dir");
    }
  }

  std::set<std::string> enabled;
  const auto create = [&](const std::string& name, uint64_t kind,
                          const std::string& flag) -> Result<PluginInstance*> {
    if (!enabled.insert(name).second) {
      return Error(ErrorCode::kInvalidArgument, flag + ": plugin '" + name + "' is listed twice");
    }
    PluginConfig config;
    if (auto it = configs.find(name); it != configs.end()) config = it->second;
    auto instance = host.instantiate(name, std::move(config), kind);
    if (!instance) return instance.error().withContext(flag);
    return instance;
  };

  for (const std::string& value : splitList(flags.isolation)) {
    auto names = host.resolve(value);
    if (!names) return names.error().withContext("--isolation");
    for (const std::string& name : *names) {
      if (enabled.count(name) != 0 && value != name) continue;  // two aliases, one plugin
      auto instance = create(name, BERTH_KIND_ISOLATOR, "--isolation");
      if (!instance) return instance.error();
      loaded.isolators.push_back(*instance);
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
    auto instance = create(names->front(), kind, flag);
    if (!instance) return instance.error();
    *slot = *instance;
  }

  for (const auto& [name, config] : configs) {
    if (enabled.count(name) == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "--plugin_config " + flags.plugin_config + ": has settings for '" + name +
                       "', which is not enabled by --isolation, --launcher or "
                       "--resource_estimator");
    }
  }
  return loaded;
}

}  // namespace berth::agent
