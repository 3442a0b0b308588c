#include "tests/support/isolator_driver.h"

#include <future>

namespace berth::testing {

Result<std::unique_ptr<IsolatorDriver>> IsolatorDriver::create(
    const std::string& name, std::vector<std::pair<std::string, std::string>> config) {
  auto driver = std::unique_ptr<IsolatorDriver>(new IsolatorDriver());
  auto timeouts = agent::TimeoutPolicy::parse("10secs");
  if (!timeouts) return timeouts.error();
  driver->host_ = std::make_unique<agent::PluginHost>(std::move(*timeouts));
  auto added = driver->host_->add(std::string(BERTH_PLUGINS_DIR) + "/berth-" + name + ".so");
  if (!added) return added.error();
  auto instance = driver->host_->instantiate(name, std::move(config), BERTH_KIND_ISOLATOR);
  if (!instance) return instance.error();
  driver->instance_ = *instance;
  return driver;
}

Result<std::string> IsolatorDriver::call(const char* hook, agent::HookFn fn,
                                         const std::string& container_id,
                                         const google::protobuf::Message& request) {
  std::promise<agent::OperationOutcome> done;
  host_->call(*instance_, hook, fn, container_id, request.SerializeAsString(), true,
              [&](agent::OperationOutcome outcome) { done.set_value(std::move(outcome)); });
  agent::OperationOutcome outcome = done.get_future().get();
  if (outcome.status != BERTH_OK) {
    return Error(ErrorCode::kInvalidArgument, outcome.message);
  }
  return outcome.payload;
}

Result<berth::v1::LaunchPlan> IsolatorDriver::prepare(const berth::v1::ContainerConfig& config) {
  berth::v1::PrepareRequest request;
  *request.mutable_config() = config;
  auto payload = call("prepare", instance_->isolator()->prepare, config.container_id(), request);
  if (!payload) return payload.error();
  berth::v1::PrepareResult result;
  if (!result.ParseFromString(*payload)) {
    return Error(ErrorCode::kInternal, "prepare answered with something not a PrepareResult");
  }
  return result.plan();
}

Status IsolatorDriver::isolate(const std::string& container_id, int pid) {
  berth::v1::IsolateRequest request;
  request.set_container_id(container_id);
  request.set_pid(pid);
  auto payload = call("isolate", instance_->isolator()->isolate, container_id, request);
  if (!payload) return payload.error();
  return okStatus();
}

Status IsolatorDriver::cleanup(const std::string& container_id) {
  berth::v1::CleanupRequest request;
  request.set_container_id(container_id);
  auto payload = call("cleanup", instance_->isolator()->cleanup, container_id, request);
  if (!payload) return payload.error();
  return okStatus();
}

Status IsolatorDriver::recover(const berth::v1::RecoverRequest& request) {
  auto payload = call("recover", instance_->isolator()->recover, "", request);
  if (!payload) return payload.error();
  return okStatus();
}

}  // namespace berth::testing
