// Introspection endpoints of the agent:
//   GET /containerizer/debug  every plugin operation still pending, in Mesos 1.9's shape
//                             ({"pending":[{"operation":"ipc::prepare","args":{...}}]})
//                             plus startTime, ageSeconds, deadline, state and id;
//   GET /metrics              plugin operation metrics in Prometheus text format.
#pragma once

#include "core/agent/plugins/plugin_host.h"
#include "core/net/http_server.h"

namespace berth::agent {

// The JSON body of /containerizer/debug for the tracker's current state.
std::string containerizerDebugJson(const OperationTracker& tracker);

// Adds both routes. `host` must outlive the server.
void installDebugEndpoints(net::HttpServer& server, PluginHost& host);

}  // namespace berth::agent
