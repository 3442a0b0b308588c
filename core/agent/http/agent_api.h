// The agent's HTTP endpoints: the Mesos v1 agent API at `POST /api/v1`, and Mesos's plain
// `GET /health` and `GET /version`. Decoding and negotiation are api::callEndpoint's; this
// file only maps calls to answers.
#pragma once

#include "core/agent/agent_flags.h"
#include "core/net/http_server.h"

namespace berth::agent {

class AgentApi {
 public:
  explicit AgentApi(AgentFlags flags) : flags_(std::move(flags)) {}

  // Adds the agent's routes to `server` (before it starts). The server must not outlive
  // this object.
  void install(net::HttpServer& server);

 private:
  AgentFlags flags_;
};

}  // namespace berth::agent
