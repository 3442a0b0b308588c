// Drives one isolator plugin through the agent's real plugin host, one hook at a time and
// synchronously: how the plugins' unit tests exercise their ABI glue without root or a
// launcher.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "berth/v1/isolator.pb.h"
#include "core/agent/plugins/plugin_host.h"
#include "core/common/result.h"

namespace berth::testing {

class IsolatorDriver {
 public:
  // Loads build/plugins/berth-<name>.so and creates an instance with `config` (the keys a
  // flag or --plugin_config would give). Fails with the plugin's own refusal.
  static Result<std::unique_ptr<IsolatorDriver>> create(
      const std::string& name, std::vector<std::pair<std::string, std::string>> config = {});

  // The hooks; each fails with the plugin's message when the plugin fails it.
  Result<berth::v1::LaunchPlan> prepare(const berth::v1::ContainerConfig& config);
  Status isolate(const std::string& container_id, int pid);
  Status cleanup(const std::string& container_id);
  Status recover(const berth::v1::RecoverRequest& request);

  // Whether the plugin has a watch hook (one that reports no limitations should not).
  bool watches() const { return instance_->isolator()->watch != nullptr; }
  // Whether it has an isolate hook, and the capability bits of its table.
  bool isolates() const { return instance_->isolator()->isolate != nullptr; }
  uint64_t capabilities() const { return instance_->isolator()->capabilities; }

 private:
  IsolatorDriver() = default;
  Result<std::string> call(const char* hook, agent::HookFn fn, const std::string& container_id,
                           const google::protobuf::Message& request);

  std::unique_ptr<agent::PluginHost> host_;
  agent::PluginInstance* instance_ = nullptr;
};

}  // namespace berth::testing
