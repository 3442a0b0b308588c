// The ABI entry of posix-launcher: linux-launcher's code (plugins/linux-launcher) without
// namespaces, tracking each container by its supervisor's session instead of a cgroup.
#include <memory>
#include <string>

#include "linux_launcher.h"
#include "sessions.h"

namespace {

class PosixLauncher : public linux_launcher::LinuxLauncher {
 public:
  using LinuxLauncher::LinuxLauncher;

  static std::unique_ptr<PosixLauncher> create(const berth_host* host, std::string* error) {
    auto config = linux_launcher::parseLauncherConfig(host, "posix-launcher", false, error);
    if (!config) return nullptr;
    auto sessions = std::make_unique<linux_launcher::Sessions>(config->runtime_dir);
    return std::make_unique<PosixLauncher>(host, std::move(*config), std::move(sessions), false);
  }
};

const char* const kAliases[] = {"posix", nullptr};
const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "posix-launcher",
    "0.1.0",
    "Berth",
    "runs containers as plain processes under a supervisor, without root (Mesos posix)",
    kAliases,
    BERTH_KIND_LAUNCHER,
    nullptr,  // flags
};

}  // namespace

BERTH_CPP_PLUGIN(PosixLauncher, kDescriptor)
