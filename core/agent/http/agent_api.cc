#include "core/agent/http/agent_api.h"

#include <unistd.h>

#include "core/agent/http/container_calls.h"
#include "core/api/call_endpoint.h"
#include "core/api/codec.h"
#include "core/common/build_info.h"
#include "mesos/v1/agent/agent.pb.h"

namespace berth::agent {

namespace {

using mesos::v1::agent::Call;
using mesos::v1::agent::Response;

mesos::v1::VersionInfo versionInfo() {
  mesos::v1::VersionInfo info;
  info.set_version(BERTH_VERSION);
  return info;
}

}  // namespace

void AgentApi::install(net::HttpServer& server) {
  server.route(
      "/api/v1", api::callEndpoint<Call>("agent::Call", [this](Call call, api::CallResponder r) {
        if (!recovered_) return r.fail(503, "Agent has not finished recovery");
        Response response;
        switch (call.type()) {
          case Call::UNKNOWN:
            return r.fail(400, "Failed to validate agent::Call: Expecting 'type' to be present");
          case Call::GET_HEALTH:
            response.set_type(Response::GET_HEALTH);
            response.mutable_get_health()->set_healthy(true);
            return r.ok(response);
          case Call::GET_VERSION:
            response.set_type(Response::GET_VERSION);
            *response.mutable_get_version()->mutable_version_info() = versionInfo();
            return r.ok(response);
          case Call::GET_FLAGS:
            response.set_type(Response::GET_FLAGS);
            for (const auto& [name, value] : flags_.all()) {
              auto* flag = response.mutable_get_flags()->add_flags();
              flag->set_name(name);
              flag->set_value(value);
            }
            return r.ok(response);
          case Call::GET_AGENT: {
            response.set_type(Response::GET_AGENT);
            auto* info = response.mutable_get_agent()->mutable_agent_info();
            char hostname[256] = {};
            ::gethostname(hostname, sizeof(hostname) - 1);
            info->set_hostname(hostname);
            info->set_port(flags_.port);
            for (const auto& resource : resources_)
              *info->add_resources() = resource;
            return r.ok(response);
          }
          case Call::LAUNCH_CONTAINER:
          case Call::WAIT_CONTAINER:
          case Call::KILL_CONTAINER:
          case Call::REMOVE_CONTAINER:
          case Call::GET_CONTAINERS:
            return handleContainerCall(containerizer_, call, std::move(r));
          default:
            return r.fail(501, Call::Type_Name(call.type()) + " is not supported by this agent");
        }
      }));

  server.route("/health", [](net::Request request, net::Responder responder) {
    if (request.method != "GET") {
      return responder.respond(net::Response::methodNotAllowed({"GET"}, request.method));
    }
    responder.respond(net::Response::text(200));
  });

  server.route("/version", [](net::Request request, net::Responder responder) {
    if (request.method != "GET") {
      return responder.respond(net::Response::methodNotAllowed({"GET"}, request.method));
    }
    responder.respond(net::Response::withBody(200, "application/json",
                                              api::encode(net::ContentType::kJson, versionInfo())));
  });
}

}  // namespace berth::agent
