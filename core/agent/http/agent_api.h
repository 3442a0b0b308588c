// The agent's HTTP endpoints: the Mesos v1 agent API at `POST /api/v1`, and Mesos's plain
// `GET /health` and `GET /version`. Decoding and negotiation are api::callEndpoint's; this
// file only maps calls to answers.
#pragma once

#include <atomic>
#include <vector>

#include "core/agent/agent_flags.h"
#include "core/net/http_server.h"
#include "mesos/v1/mesos.pb.h"

namespace berth::agent {

class AgentApi {
 public:
  // `containerizer` may be null (no --launcher): container calls then answer 503.
  // `resources` are what GET_AGENT reports (see agent_resources.h).
  explicit AgentApi(AgentFlags flags, class Containerizer* containerizer = nullptr,
                    std::vector<mesos::v1::Resource> resources = {})
      : flags_(std::move(flags)), containerizer_(containerizer), resources_(std::move(resources)) {}

  // Adds the agent's routes to `server` (before it starts). The server must not outlive
  // this object.
  void install(net::HttpServer& server);

  // Until called, /api/v1 answers 503 "Agent has not finished recovery", as Mesos does.
  // Thread-safe.
  void markRecovered() { recovered_ = true; }

 private:
  AgentFlags flags_;
  class Containerizer* containerizer_;
  std::vector<mesos::v1::Resource> resources_;
  std::atomic<bool> recovered_{false};
};

}  // namespace berth::agent
