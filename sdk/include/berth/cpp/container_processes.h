// C++ helper: the first process of each container an isolator has seen.
//
// Isolators that place a nested container in its parent's namespaces need the parent's
// pid. The host tells each isolator a container's pid in isolate() and again, after an
// agent restart, in recover(); cleanup() ends the container. Feed those three requests to
// a ContainerProcesses and ask it for a pid:
//
//   void isolate(Operation op, berth_bytes request) override {
//     if (!processes_.isolated(request)) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "...");
//     op.succeed();
//   }
//
// Not thread-safe: use it from the hooks, which the host calls one at a time.
#ifndef BERTH_CPP_CONTAINER_PROCESSES_H
#define BERTH_CPP_CONTAINER_PROCESSES_H

#include <map>
#include <optional>
#include <string>

#include "berth/bytes.h"
#include "berth/cpp/payload.h"
#include "berth/v1/isolator.pb-c.h"

namespace berth::cpp {

class ContainerProcesses {
 public:
  // Each returns false when `request` is not the message its hook receives.

  // A RecoverRequest: remembers every checkpointed container that has a pid.
  bool recovered(berth_bytes request) {
    Decoded<Berth__V1__RecoverRequest> decoded(&berth__v1__recover_request__descriptor, request);
    if (!decoded) return false;
    for (size_t i = 0; i < decoded->n_containers; ++i) {
      const Berth__V1__ContainerCheckpoint& container = *decoded->containers[i];
      if (container.has_pid && container.pid > 0) pids_[container.container_id] = container.pid;
    }
    return true;
  }

  // An IsolateRequest.
  bool isolated(berth_bytes request) {
    Decoded<Berth__V1__IsolateRequest> decoded(&berth__v1__isolate_request__descriptor, request);
    if (!decoded) return false;
    pids_[decoded->container_id] = decoded->pid;
    return true;
  }

  // A CleanupRequest: forgets the container.
  bool cleanedUp(berth_bytes request) {
    Decoded<Berth__V1__CleanupRequest> decoded(&berth__v1__cleanup_request__descriptor, request);
    if (!decoded) return false;
    pids_.erase(decoded->container_id);
    return true;
  }

  // The first process of `container_id`, if isolate() or recover() told of it.
  std::optional<int> pid(const std::string& container_id) const {
    auto it = pids_.find(container_id);
    if (it == pids_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, int> pids_;
};

}  // namespace berth::cpp

#endif  // BERTH_CPP_CONTAINER_PROCESSES_H
