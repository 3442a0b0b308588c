// The /dev/shm half of Mesos's `namespaces/ipc` isolator: which /dev/shm a container sees,
// from its LinuxInfo.ipc_mode and shm_size and the agent's --default_container_shm_size.
// (Its IPC namespace is the ipc plugin's.)
//
// Pure logic, apart from the ABI glue in plugin.cc, so that it is testable on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shm {

// LinuxInfo.IpcMode as it travels (berth.v1 and Mesos v1 share the numbers).
enum IpcMode : uint32_t { kUnknown = 0, kPrivate = 1, kShareParent = 2 };

// Parses Mesos's byte-size syntax, [number][B|KB|MB|GB|TB] with units of 1024 and in any
// case ("64MB", "1gb"). Returns nullopt and sets *error on anything else: no unit, a
// fraction, an unknown unit, an overflow.
std::optional<uint64_t> parseBytes(const std::string& text, std::string* error);

struct Settings {
  // --default_container_shm_size: the size of a private /dev/shm whose container does not
  // give one. Unset: the kernel's default for tmpfs (half of RAM).
  std::optional<uint64_t> default_size_bytes;
};

// Reads the plugin's configuration (its flags, or --plugin_config). Returns nullopt and
// sets *error on an unknown key or a bad size.
std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error);

struct Container {
  std::optional<uint32_t> ipc_mode;     // unset: Mesos 1.9's legacy behaviour
  std::optional<uint32_t> shm_size_mb;  // linux_info.shm_size
  bool has_rootfs = false;
  // For a nested container: its parent's id.
  std::optional<std::string> parent_id;
};

// A mount in the container's own mount namespace.
struct Mount {
  std::string source;  // the filesystem name, or the host path of a bind mount
  std::string target;  // inside the container
  std::string type;    // "tmpfs"; empty for a bind mount
  std::string options;
};

// Nothing set: the container sees the /dev/shm of the mount namespace it starts in.
struct Decision {
  std::optional<Mount> mount;  // needs a new mount namespace
};

// Mesos's NamespacesIPCIsolatorProcess::prepare, /dev/shm half:
//   shm_size without ipc_mode PRIVATE -> refused;
//   PRIVATE -> a tmpfs of shm_size MB, else --default_container_shm_size, else unsized;
//   unset -> the agent's /dev/shm, or a fresh unsized tmpfs when the container has its own
//            root filesystem;
//   SHARE_PARENT -> the parent's: the agent's for a top-level container (bound into its
//            root filesystem if it has one); refused for a nested one, whose parent's
//            /dev/shm may live only in the parent's mount namespace.
// Returns nullopt and sets *error with the reason the container cannot launch.
std::optional<Decision> decide(const Settings& settings, const Container& container,
                               std::string* error);

}  // namespace shm
