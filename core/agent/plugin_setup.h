// Start-up of the agent's plugins from its flags: find the libraries, read their
// configuration and deadlines, and create the isolators, launcher and estimator asked for.
#pragma once

#include <memory>
#include <vector>

#include "core/agent/agent_flags.h"
#include "core/agent/plugins/plugin_host.h"

namespace berth::agent {

struct LoadedPlugins {
  std::unique_ptr<PluginHost> host;
  std::vector<PluginInstance*> isolators;  // in --isolation order
  PluginInstance* launcher = nullptr;
  PluginInstance* resource_estimator = nullptr;
};

// Fails with one line naming the flag, plugin and file at fault: an unreadable or invalid
// --plugin_config or --plugin_timeouts, an unknown plugin name, a plugin listed twice,
// configuration for a plugin that is not enabled, and every load or start failure of a
// plugin (see PluginHost).
Result<LoadedPlugins> loadPlugins(const AgentFlags& flags);

// For --help: the flags the plugins in `plugins_dir` declare, one per line with its plugin
// and help text; empty when there are none. Libraries are read, not run.
std::string pluginFlagsUsage(const std::string& plugins_dir);

}  // namespace berth::agent
