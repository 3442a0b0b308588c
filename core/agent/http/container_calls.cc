#include "core/agent/http/container_calls.h"

#include <google/protobuf/unknown_field_set.h>
#include <signal.h>

#include <chrono>
#include <memory>

namespace berth::agent {

using mesos::v1::agent::Call;
using mesos::v1::agent::Response;

Result<berth::v1::ContainerConfig> containerConfigOf(const Call::LaunchContainer& launch) {
  berth::v1::ContainerConfig config;
  if (launch.container_id().has_parent()) {
    return Error(ErrorCode::kInvalidArgument,
                 "'launch_container.container_id.parent': nested containers are not supported "
                 "by this agent");
  }
  config.set_container_id(launch.container_id().value());
  config.set_standalone(true);
  if (launch.has_command()) {
    const auto& from = launch.command();
    auto* command = config.mutable_command();
    command->set_shell(from.shell());
    if (from.has_value()) command->set_value(from.value());
    for (const auto& argument : from.arguments())
      command->add_arguments(argument);
    if (from.has_user()) command->set_user(from.user());
    for (const auto& variable : from.environment().variables()) {
      if (variable.type() == mesos::v1::Environment::Variable::SECRET) {
        return Error(ErrorCode::kInvalidArgument,
                     "'launch_container.command.environment': secret '" + variable.name() +
                         "' is not supported by this agent");
      }
      auto* env = command->add_environment();
      env->set_name(variable.name());
      env->set_value(variable.value());
    }
  }
  if (!config.command().has_value()) {
    return Error(ErrorCode::kInvalidArgument, "'launch_container.command.value' is required");
  }
  for (const auto& resource : launch.resources()) {
    if (resource.type() != mesos::v1::Value::SCALAR || !resource.has_scalar()) {
      return Error(ErrorCode::kInvalidArgument,
                   "'launch_container.resources': '" + resource.name() + "' is not a scalar");
    }
    if (resource.scalar().value() < 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "'launch_container.resources': '" + resource.name() + "' is negative");
    }
    auto* out = config.add_resources();
    out->set_name(resource.name());
    out->set_scalar(resource.scalar().value());
  }
  if (launch.has_container()) {
    if (launch.container().type() != mesos::v1::ContainerInfo::MESOS) {
      return Error(ErrorCode::kInvalidArgument,
                   "'launch_container.container.type': only MESOS containers are supported");
    }
    const auto& linux_in = launch.container().linux_info();
    // A number that is not an IpcMode parses into unknown fields, not into ipc_mode.
    const auto& unknown = linux_in.GetReflection()->GetUnknownFields(linux_in);
    for (int i = 0; i < unknown.field_count(); ++i) {
      if (unknown.field(i).number() == mesos::v1::LinuxInfo::kIpcModeFieldNumber) {
        return Error(ErrorCode::kInvalidArgument,
                     "'launch_container.container.linux_info.ipc_mode': Unknown IPC mode " +
                         std::to_string(unknown.field(i).varint()));
      }
    }
    auto* linux_out = config.mutable_linux_info();
    if (linux_in.has_ipc_mode()) {
      linux_out->set_ipc_mode(static_cast<berth::v1::LinuxInfo::IpcMode>(linux_in.ipc_mode()));
    }
    if (linux_in.has_shm_size()) linux_out->set_shm_size_mb(linux_in.shm_size());
    if (linux_in.has_share_pid_namespace()) {
      linux_out->set_share_pid_namespace(linux_in.share_pid_namespace());
    }
    const auto names = [](const mesos::v1::CapabilityInfo& info, auto* out) {
      for (int cap : info.capabilities()) {
        out->Add("CAP_" + mesos::v1::CapabilityInfo::Capability_Name(
                              static_cast<mesos::v1::CapabilityInfo::Capability>(cap)));
      }
    };
    if (linux_in.has_capability_info() && linux_in.has_effective_capabilities()) {
      return Error(ErrorCode::kInvalidArgument,
                   "'launch_container.container.linux_info': set effective_capabilities or the "
                   "deprecated capability_info, not both");
    }
    if (linux_in.has_effective_capabilities()) {
      linux_out->set_has_effective_capabilities(true);
      names(linux_in.effective_capabilities(), linux_out->mutable_effective_capabilities());
    } else if (linux_in.has_capability_info()) {
      // Mesos reads the deprecated field as the effective set.
      linux_out->set_has_effective_capabilities(true);
      names(linux_in.capability_info(), linux_out->mutable_effective_capabilities());
    }
    if (linux_in.has_bounding_capabilities()) {
      linux_out->set_has_bounding_capabilities(true);
      names(linux_in.bounding_capabilities(), linux_out->mutable_bounding_capabilities());
    }
  }
  return config;
}

void handleContainerCall(Containerizer* containerizer, const Call& call,
                         api::CallResponder responder) {
  if (containerizer == nullptr) {
    return responder.fail(503,
                          "This agent runs no containers: no launcher is configured "
                          "(--launcher)");
  }
  auto shared = std::make_shared<api::CallResponder>(std::move(responder));
  switch (call.type()) {
    case Call::LAUNCH_CONTAINER: {
      if (!call.has_launch_container()) {
        return shared->fail(400,
                            "Failed to validate agent::Call: Expecting "
                            "'launch_container' to be present");
      }
      auto config = containerConfigOf(call.launch_container());
      if (!config) return shared->fail(400, config.error().message());
      return containerizer->launch(std::move(*config), [shared](Result<LaunchOutcome> outcome) {
        if (!outcome) return shared->fail(400, outcome.error().message());
        if (*outcome == LaunchOutcome::kAlreadyLaunched) return shared->accepted();
        shared->okEmpty();
      });
    }
    case Call::WAIT_CONTAINER: {
      if (!call.has_wait_container()) {
        return shared->fail(400,
                            "Failed to validate agent::Call: Expecting "
                            "'wait_container' to be present");
      }
      const std::string id = call.wait_container().container_id().value();
      return containerizer->wait(id, [shared, id](std::optional<Termination> termination) {
        if (!termination) return shared->fail(404, "Container " + id + " cannot be found");
        Response response;
        response.set_type(Response::WAIT_CONTAINER);
        auto* wait = response.mutable_wait_container();
        if (termination->wait_status) wait->set_exit_status(*termination->wait_status);
        if (!termination->message.empty()) wait->set_message(termination->message);
        if (const auto& limitation = termination->limitation) {
          wait->set_state(mesos::v1::TASK_FAILED);
          // A reason Mesos does not define still says "a limitation".
          mesos::v1::TaskStatus::Reason reason;
          if (!limitation->reason().empty()) {
            if (!mesos::v1::TaskStatus::Reason_Parse(limitation->reason(), &reason)) {
              reason = mesos::v1::TaskStatus::REASON_CONTAINER_LIMITATION;
            }
            wait->set_reason(reason);
          }
          for (const auto& resource : limitation->resources()) {
            auto* out = wait->mutable_limitation()->add_resources();
            out->set_name(resource.name());
            out->set_type(mesos::v1::Value::SCALAR);
            out->mutable_scalar()->set_value(resource.scalar());
          }
        }
        shared->ok(response);
      });
    }
    case Call::KILL_CONTAINER: {
      if (!call.has_kill_container()) {
        return shared->fail(400,
                            "Failed to validate agent::Call: Expecting "
                            "'kill_container' to be present");
      }
      const std::string id = call.kill_container().container_id().value();
      const int signal =
          call.kill_container().has_signal() ? call.kill_container().signal() : SIGKILL;
      if (signal <= 0 || signal >= NSIG) {
        return shared->fail(
            400, "'kill_container.signal' " + std::to_string(signal) + " is not a signal");
      }
      return containerizer->kill(id, signal, [shared, id](bool found) {
        if (!found) {
          return shared->fail(404, "Container '" + id + "' cannot be found (or is already killed)");
        }
        shared->okEmpty();
      });
    }
    case Call::REMOVE_CONTAINER: {
      if (!call.has_remove_container()) {
        return shared->fail(400,
                            "Failed to validate agent::Call: Expecting "
                            "'remove_container' to be present");
      }
      return containerizer->remove(
          call.remove_container().container_id().value(), [shared](Status removed) {
            if (removed) return shared->okEmpty();
            shared->fail(removed.error().code() == ErrorCode::kNotFound ? 404 : 400,
                         removed.error().message());
          });
    }
    case Call::GET_CONTAINERS: {
      // As in Mesos, standalone containers are listed only when asked for.
      const bool standalone = call.get_containers().show_standalone();
      return containerizer->containers([shared, standalone](std::vector<ContainerSnapshot> list) {
        Response response;
        response.set_type(Response::GET_CONTAINERS);
        auto* containers = response.mutable_get_containers();
        const double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        for (const ContainerSnapshot& c : list) {
          if (!standalone) continue;
          auto* out = containers->add_containers();
          out->mutable_container_id()->set_value(c.id);
          if (c.pid > 0) out->mutable_container_status()->set_executor_pid(c.pid);
          out->mutable_container_status()->mutable_container_id()->set_value(c.id);
          if (!c.terminated) {
            auto* stats = out->mutable_resource_statistics();
            stats->set_timestamp(now);
            stats->set_processes(c.processes);
            stats->set_cpus_user_time_secs(c.cpus_user_time_secs);
            stats->set_cpus_system_time_secs(c.cpus_system_time_secs);
            stats->set_mem_rss_bytes(c.mem_rss_bytes);
          }
        }
        shared->ok(response);
      });
    }
    default:
      return shared->fail(501, Call::Type_Name(call.type()) + " is not supported by this agent");
  }
}

}  // namespace berth::agent
