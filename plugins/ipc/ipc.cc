#include "ipc.h"

namespace ipc {

std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error) {
  Settings settings;
  for (const auto& [key, value] : config) {
    if (key != "disallow_sharing_agent_ipc_namespace") {
      *error = "unknown setting '" + key + "'";
      return std::nullopt;
    }
    if (value != "true" && value != "false") {
      *error = key + " must be true or false, not '" + value + "'";
      return std::nullopt;
    }
    settings.disallow_sharing_agent_ipc_namespace = value == "true";
  }
  return settings;
}

std::optional<Decision> decide(const Settings& settings, const Container& container,
                               std::string* error) {
  const uint32_t mode = container.ipc_mode.value_or(kUnknown);
  if (container.ipc_mode && mode != kPrivate && mode != kShareParent) {
    *error = "Unknown IPC mode " + std::to_string(mode) + " in linux_info.ipc_mode";
    return std::nullopt;
  }

  Decision decision;
  if (container.ipc_mode && mode == kPrivate) {
    decision.clone = true;
    return decision;
  }
  if (!container.parent_id) {
    // A top-level container. Unset is Mesos 1.9's legacy behaviour: a private namespace.
    if (!container.ipc_mode) {
      decision.clone = true;
    } else if (settings.disallow_sharing_agent_ipc_namespace) {
      *error =
          "Sharing agent IPC namespace with top-level container is not allowed "
          "(--disallow_sharing_agent_ipc_namespace)";
      return std::nullopt;
    }
    return decision;
  }

  // A nested container, unset or SHARE_PARENT: its parent's namespace.
  if (!container.parent_pid) {
    *error = "cannot share the IPC namespace of parent container '" + *container.parent_id +
             "': the ipc isolator has not isolated it";
    return std::nullopt;
  }
  decision.enter = "/proc/" + std::to_string(*container.parent_pid) + "/ns/ipc";
  return decision;
}

}  // namespace ipc
