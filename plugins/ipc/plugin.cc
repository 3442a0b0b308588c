// The ABI entry of the ipc isolator; the logic is in ipc.cc.
#include "berth/cpp/plugin.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "berth/cpp/container_processes.h"
#include "berth/cpp/payload.h"
#include "berth/v1/isolator.pb-c.h"
#include "ipc.h"

namespace {

using berth::cpp::Decoded;
using berth::cpp::Operation;

class IpcIsolator : public berth::cpp::IsolatorPlugin {
 public:
  IpcIsolator(const berth_host* host, ipc::Settings settings)
      : IsolatorPlugin(host), settings_(settings) {}

  static std::unique_ptr<IpcIsolator> create(const berth_host* host, std::string* error) {
    if (::access("/proc/self/ns/ipc", F_OK) != 0) {
      *error = "this kernel has no IPC namespaces (no /proc/self/ns/ipc)";
      return nullptr;
    }
    auto settings = ipc::parseSettings(berth::cpp::configEntries(host), error);
    if (!settings) return nullptr;
    return std::make_unique<IpcIsolator>(host, *settings);
  }

  uint64_t isolatorCapabilities() const override {
    // isolate() only remembers the pid, for nested containers: nothing to hold it for.
    return BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING |
           BERTH_ISOLATOR_NO_HOLD;
  }

  void recover(Operation op, berth_bytes request) override {
    if (!processes_.recovered(request)) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a RecoverRequest");
    }
    op.succeed();
  }

  void prepare(Operation op, berth_bytes request) override {
    Decoded<Berth__V1__PrepareRequest> decoded(&berth__v1__prepare_request__descriptor, request);
    if (!decoded || decoded->config == nullptr) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a PrepareRequest");
    }
    const Berth__V1__ContainerConfig& config = *decoded->config;
    ipc::Container container;
    if (config.linux_info != nullptr && config.linux_info->has_ipc_mode) {
      container.ipc_mode = static_cast<uint32_t>(config.linux_info->ipc_mode);
    }
    if (config.parent_container_id != nullptr) {
      container.parent_id = config.parent_container_id;
      container.parent_pid = processes_.pid(config.parent_container_id);
    }
    std::string error;
    auto decision = ipc::decide(settings_, container, &error);
    if (!decision) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, error);

    Berth__V1__LaunchPlan plan = BERTH__V1__LAUNCH_PLAN__INIT;
    Berth__V1__Namespace clone[] = {BERTH__V1__NAMESPACE__IPC};
    char* enter[] = {decision->enter.data()};
    if (decision->clone) {
      plan.n_clone_namespaces = 1;
      plan.clone_namespaces = clone;
    } else if (!decision->enter.empty()) {
      plan.n_enter_namespaces = 1;
      plan.enter_namespaces = enter;
    }
    Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
    result.plan = &plan;
    op.succeed(berth::cpp::encode(&result.base));
  }

  // Remembers the container's first process: a nested container may share its namespace.
  void isolate(Operation op, berth_bytes request) override {
    if (!processes_.isolated(request)) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not an IsolateRequest");
    }
    op.succeed();
  }

  void cleanup(Operation op, berth_bytes request) override {
    if (!processes_.cleanedUp(request)) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a CleanupRequest");
    }
    op.succeed();
  }

 private:
  const ipc::Settings settings_;
  berth::cpp::ContainerProcesses processes_;  // parents of nested containers
};

const char* const kAliases[] = {"namespaces/ipc", nullptr};
const berth_flag kDisallowSharing = {
    sizeof(berth_flag), BERTH_FLAG_BOOL, "disallow_sharing_agent_ipc_namespace",
    "refuse top-level containers whose ipc_mode is SHARE_PARENT (default false)"};
const berth_flag* const kFlags[] = {&kDisallowSharing, nullptr};
const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "ipc",
    "1.0.0",
    "Berth",
    "a private or shared IPC namespace per container (Mesos namespaces/ipc)",
    kAliases,
    BERTH_KIND_ISOLATOR,
    kFlags,
};

}  // namespace

BERTH_CPP_PLUGIN(IpcIsolator, kDescriptor)
