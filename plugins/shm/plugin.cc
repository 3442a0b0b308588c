// The ABI entry of the shm isolator; the logic is in shm.cc.
#include "berth/cpp/plugin.h"

#include <memory>
#include <string>

#include "berth/cpp/payload.h"
#include "berth/v1/isolator.pb-c.h"
#include "shm.h"

namespace {

using berth::cpp::Decoded;
using berth::cpp::Operation;

class ShmIsolator : public berth::cpp::IsolatorPlugin {
 public:
  ShmIsolator(const berth_host* host, shm::Settings settings)
      : IsolatorPlugin(host), settings_(settings) {}

  static std::unique_ptr<ShmIsolator> create(const berth_host* host, std::string* error) {
    auto settings = shm::parseSettings(berth::cpp::configEntries(host), error);
    if (!settings) return nullptr;
    return std::make_unique<ShmIsolator>(host, *settings);
  }

  uint64_t isolatorCapabilities() const override {
    return BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING;
  }

  void prepare(Operation op, berth_bytes request) override {
    Decoded<Berth__V1__PrepareRequest> decoded(&berth__v1__prepare_request__descriptor, request);
    if (!decoded || decoded->config == nullptr) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a PrepareRequest");
    }
    const Berth__V1__ContainerConfig& config = *decoded->config;
    shm::Container container;
    if (const Berth__V1__LinuxInfo* linux_info = config.linux_info; linux_info != nullptr) {
      if (linux_info->has_ipc_mode)
        container.ipc_mode = static_cast<uint32_t>(linux_info->ipc_mode);
      if (linux_info->has_shm_size_mb) container.shm_size_mb = linux_info->shm_size_mb;
    }
    container.has_rootfs = config.rootfs != nullptr && config.rootfs[0] != '\0';
    if (config.parent_container_id != nullptr) container.parent_id = config.parent_container_id;
    std::string error;
    auto decision = shm::decide(settings_, container, &error);
    if (!decision) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, error);

    Berth__V1__LaunchPlan plan = BERTH__V1__LAUNCH_PLAN__INIT;
    Berth__V1__Namespace clone[] = {BERTH__V1__NAMESPACE__MOUNT};
    Berth__V1__Mount mount = BERTH__V1__MOUNT__INIT;
    Berth__V1__Mount* mounts[] = {&mount};
    if (decision->mount) {
      shm::Mount& m = *decision->mount;
      mount.source = m.source.data();
      mount.target = m.target.data();
      if (m.type.empty()) {
        mount.has_bind = 1;
        mount.bind = 1;
      } else {
        mount.type = m.type.data();
        mount.options = m.options.data();
      }
      mount.has_nosuid = mount.has_nodev = 1;
      mount.nosuid = mount.nodev = 1;
      plan.n_clone_namespaces = 1;
      plan.clone_namespaces = clone;
      plan.n_mounts = 1;
      plan.mounts = mounts;
    }
    Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
    result.plan = &plan;
    op.succeed(berth::cpp::encode(&result.base));
  }

  // cleanup: nothing to do. The private tmpfs lives only in the container's mount
  // namespace and goes with it; nothing is mounted on the host.

 private:
  const shm::Settings settings_;
};

const char* const kAliases[] = {"namespaces/ipc", nullptr};
const berth_flag kDefaultSize = {
    sizeof(berth_flag), BERTH_FLAG_STRING, "default_container_shm_size",
    "size of a private /dev/shm whose container sets no shm_size, e.g. 64MB (default: the "
    "kernel's tmpfs default, half of RAM)"};
const berth_flag* const kFlags[] = {&kDefaultSize, nullptr};
const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "shm",
    "1.0.0",
    "Berth",
    "a private, sized /dev/shm per container, or the parent's (Mesos namespaces/ipc)",
    kAliases,
    BERTH_KIND_ISOLATOR,
    kFlags,
};

}  // namespace

BERTH_CPP_PLUGIN(ShmIsolator, kDescriptor)
