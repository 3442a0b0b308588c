// The resources this agent offers: Mesos's --resources, with what the flag leaves out
// detected from the machine as Mesos does.
#pragma once

#include <string>
#include <vector>

#include "core/common/result.h"
#include "mesos/v1/mesos.pb.h"

namespace berth::agent {

// Parses Mesos's --resources syntax: "cpus:2;mem:1024;ports:[31000-32000];zones:{a,b}"
// (scalars, ranges, sets; a role in parentheses may only be "*"), or a JSON array of
// Resource objects. Fails naming the entry at fault: a missing or extra ':', a malformed
// value, a negative or non-finite scalar, an inverted range, a name given twice, a
// reservation for a role (static reservations are not supported).
Result<std::vector<mesos::v1::Resource>> parseResources(const std::string& text);

// The agent's resources: those of `flag` (may be empty), then, for each of cpus, mem,
// disk and ports that it does not name, Mesos's default: every CPU; memory minus 1 GB
// (half of it below 2 GB); the size of `work_dir`'s filesystem minus 5 GB (half of it
// below 10 GB); ports 31000-32000. Memory and disk in MB.
Result<std::vector<mesos::v1::Resource>> agentResources(const std::string& flag,
                                                        const std::string& work_dir);

}  // namespace berth::agent
