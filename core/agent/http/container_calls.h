// The agent API calls for standalone containers (Mesos v1): LAUNCH_CONTAINER,
// WAIT_CONTAINER, KILL_CONTAINER, REMOVE_CONTAINER and GET_CONTAINERS, translated between
// Mesos's messages and the containerizer, with Mesos's status codes and texts.
#pragma once

#include "core/agent/containerizer/containerizer.h"
#include "core/api/call_endpoint.h"
#include "mesos/v1/agent/agent.pb.h"

namespace berth::agent {

// Answers `call` (one of the five container calls). `containerizer` may be null when the
// agent has no launcher; the calls then answer 503.
void handleContainerCall(Containerizer* containerizer, const mesos::v1::agent::Call& call,
                         api::CallResponder responder);

// Builds the payload config of a LAUNCH_CONTAINER call; fails naming the field Berth cannot
// honour (nested containers, secrets, non-scalar resources, unknown capabilities).
Result<berth::v1::ContainerConfig> containerConfigOf(
    const mesos::v1::agent::Call::LaunchContainer& launch);

}  // namespace berth::agent
