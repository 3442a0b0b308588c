#include "shm.h"

#include <cctype>
#include <limits>

namespace shm {

namespace {

std::string modeName(uint32_t mode) {
  switch (mode) {
    case kPrivate:
      return "PRIVATE";
    case kShareParent:
      return "SHARE_PARENT";
    default:
      return std::to_string(mode);
  }
}

Mount tmpfs(std::optional<uint64_t> size) {
  // As Mesos: world-writable with the sticky bit, like the host's /dev/shm.
  std::string options = "mode=1777";
  if (size) options += ",size=" + std::to_string(*size);
  return {"tmpfs", "/dev/shm", "tmpfs", options};
}

}  // namespace

std::optional<uint64_t> parseBytes(const std::string& text, std::string* error) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits < text.size() && text[digits] == '.') {
    *error = "'" + text + "' is a fraction of a byte size; use a smaller unit";
    return std::nullopt;
  }
  if (digits == 0 || digits == text.size()) {
    *error = "'" + text + "' is not a byte size: expected a number and a unit (B, KB, MB, GB, TB)";
    return std::nullopt;
  }
  std::string unit = text.substr(digits);
  for (char& c : unit)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, unsigned> kUnits[] = {
      {"B", 0}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit != name) continue;
    const std::string number = text.substr(0, digits);
    if (digits > 19) {
      *error = "'" + text + "' is too large";
      return std::nullopt;
    }
    const uint64_t value = std::stoull(number);
    if (value > (std::numeric_limits<uint64_t>::max() >> shift)) {
      *error = "'" + text + "' is too large";
      return std::nullopt;
    }
    return value << shift;
  }
  *error = "'" + text + "' has an unknown unit '" + text.substr(digits) +
           "' (expected B, KB, MB, GB or TB)";
  return std::nullopt;
}

std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error) {
  Settings settings;
  for (const auto& [key, value] : config) {
    if (key != "default_container_shm_size") {
      *error = "unknown setting '" + key + "'";
      return std::nullopt;
    }
    std::string why;
    auto bytes = parseBytes(value, &why);
    if (!bytes) {
      *error = key + ": " + why;
      return std::nullopt;
    }
    if (*bytes == 0) {
      // tmpfs reads size=0 as "no limit": never what an operator means.
      *error = key + " must be larger than 0";
      return std::nullopt;
    }
    settings.default_size_bytes = bytes;
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
  if (container.shm_size_mb && mode != kPrivate) {
    *error =
        "Only support specifying the size of /dev/shm when the IPC mode is `PRIVATE` "
        "(linux_info.shm_size is set, linux_info.ipc_mode is " +
        (container.ipc_mode ? modeName(mode) : std::string("unset")) + ")";
    return std::nullopt;
  }
  if (container.shm_size_mb && *container.shm_size_mb == 0) {
    *error = "linux_info.shm_size must be larger than 0 MB";
    return std::nullopt;
  }

  Decision decision;
  if (container.ipc_mode && mode == kPrivate) {
    std::optional<uint64_t> size = settings.default_size_bytes;
    if (container.shm_size_mb) size = uint64_t{*container.shm_size_mb} << 20;
    decision.mount = tmpfs(size);
    return decision;
  }
  if (!container.ipc_mode) {
    // Legacy: the agent's /dev/shm, which a root filesystem of its own would hide.
    if (container.has_rootfs) decision.mount = tmpfs(std::nullopt);
    return decision;
  }

  // SHARE_PARENT.
  if (!container.parent_id) {
    if (container.has_rootfs) decision.mount = Mount{"/dev/shm", "/dev/shm", "", ""};
    return decision;
  }
  // The parent's /dev/shm may be a tmpfs that exists only in the parent's mount namespace,
  // and the kernel does not bind-mount across mount namespaces. Sharing it takes the
  // tmpfs to be mounted on the host first, as Mesos does, which comes with nested
  // containers in the agent.
  *error = "a nested container cannot share the /dev/shm of parent container '" +
           *container.parent_id + "' yet: use ipc_mode PRIVATE";
  return std::nullopt;
}

}  // namespace shm
