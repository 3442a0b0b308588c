// The ABI entry of linux-launcher; the logic is in linux_launcher.cc.
#include "linux_launcher.h"

namespace {

const char* const kAliases[] = {"linux", nullptr};  // Mesos's --launcher=linux
const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "linux-launcher",
    "0.1.0",
    "Berth",
    "runs containers in Linux namespaces and cgroups under a supervisor process",
    kAliases,
    BERTH_KIND_LAUNCHER,
    nullptr,  // flags
};

}  // namespace

BERTH_CPP_PLUGIN(linux_launcher::LinuxLauncher, kDescriptor)
