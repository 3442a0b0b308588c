// The flags of berth-agent, with Mesos's names where the feature is Mesos's.
//
// Every flag can also be given as an environment variable BERTH_AGENT_<NAME> (upper case),
// as Mesos reads MESOS_<NAME>; the command line wins.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/common/environment.h"
#include "core/common/result.h"

namespace berth::agent {

// A flag that is not the agent's own: it belongs to the plugins that declare it (see
// loadPlugins() in plugin_setup.h), which decide whether it exists and what type it has.
struct PluginFlagValue {
  std::string name;    // without "--", and without "no-" for a negated boolean
  std::string value;   // "true" for a bare --name, "false" for --no-name
  bool bare = false;   // given without "=value" (only booleans may be)
  std::string origin;  // how the operator wrote it: "--name=value" or "BERTH_AGENT_NAME"
};

struct AgentFlags {
  std::string ip = "127.0.0.1";  // address the agent API listens on
  uint16_t port = 5051;
  std::string work_dir;     // required: sandboxes and checkpoints
  std::string runtime_dir;  // state that does not survive a reboot

  // Plugins (see docs/plugins.md).
  std::string plugins_dir;         // where plugin libraries are found
  std::string isolation;           // ordered, comma-separated isolator names, aliases or paths
  std::string launcher;            // the launcher plugin
  std::string resource_estimator;  // the resource estimator plugin, if any
  std::string plugin_config;       // path of a JSON file with one object per plugin
  std::string plugin_timeouts;     // operation deadlines, e.g. "30secs,prepare=10secs"
  // After a restart: "reconnect" to the containers still running, or "cleanup": destroy
  // them all and exit (for incompatible upgrades), as Mesos's --recover.
  std::string recover = "reconnect";
  // What the agent offers, in Mesos's syntax ("cpus:2;mem:1024") or JSON; what it leaves
  // out is detected (agent_resources.h).
  std::string resources;

  // The flags the plugins declare, such as Mesos's --default_container_shm_size, in the
  // order given; the command line wins over the environment.
  std::vector<PluginFlagValue> plugin_flags;

  // Every flag with its effective value, in a stable order: what GET_FLAGS reports.
  std::vector<std::pair<std::string, std::string>> all() const;

  // Parses argv (without argv[0]) and the environment. Fails with a message naming the
  // flag: bad values, a missing --work_dir, an argument that is not a flag. Flags that are
  // not the agent's own go to plugin_flags, for loadPlugins() to accept or refuse.
  static Result<AgentFlags> parse(const std::vector<std::string>& args, const Environment& env);

  // Whether `name` is one of the agent's own flags (which no plugin may declare).
  static bool isOwnFlag(const std::string& name);

  // Where plugins are found when --plugins_dir is not given: build/plugins beside a build
  // tree's bin/, else the install location.
  static std::string defaultPluginsDir();

  // The --help text.
  static std::string usage();
};

}  // namespace berth::agent
