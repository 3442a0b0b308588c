// The IPC-namespace half of Mesos's `namespaces/ipc` isolator: which IPC namespace a
// container runs in, from its LinuxInfo.ipc_mode and the agent's
// --disallow_sharing_agent_ipc_namespace. (Its /dev/shm is the shm plugin's.)
//
// Pure logic, apart from the ABI glue in plugin.cc, so that it is testable on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ipc {

// LinuxInfo.IpcMode as it travels (berth.v1 and Mesos v1 share the numbers).
enum IpcMode : uint32_t { kUnknown = 0, kPrivate = 1, kShareParent = 2 };

struct Settings {
  // --disallow_sharing_agent_ipc_namespace: refuse top-level SHARE_PARENT containers.
  bool disallow_sharing_agent_ipc_namespace = false;
};

// Reads the plugin's configuration (its flags, or --plugin_config). Returns nullopt and
// sets *error on an unknown key or a value that is not a boolean.
std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error);

struct Container {
  std::optional<uint32_t> ipc_mode;  // unset: Mesos 1.9's legacy behaviour
  // For a nested container: its parent's id, and the parent's first process if the
  // plugin has seen it (isolate or recover).
  std::optional<std::string> parent_id;
  std::optional<int> parent_pid;
};

// Where the container's IPC namespace comes from. Neither field set: the agent's
// (a top-level SHARE_PARENT container).
struct Decision {
  bool clone = false;  // a new, private IPC namespace
  std::string enter;   // or the namespace at this path (/proc/<pid>/ns/ipc)
};

// Mesos's NamespacesIPCIsolatorProcess::prepare, IPC half:
//   top-level: unset or PRIVATE -> new namespace; SHARE_PARENT -> the agent's, refused
//              when sharing is disallowed;
//   nested:    PRIVATE -> new namespace; unset or SHARE_PARENT -> the parent's;
//   UNKNOWN (or a number Mesos does not define) -> refused.
// Returns nullopt and sets *error with the reason the container cannot launch.
std::optional<Decision> decide(const Settings& settings, const Container& container,
                               std::string* error);

}  // namespace ipc
