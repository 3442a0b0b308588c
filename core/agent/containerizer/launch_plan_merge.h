// Merging the launch plan pieces that isolators return from prepare() into the one plan
// the launcher executes.
//
// Pieces are merged in --isolation order. Lists accumulate; a setting two isolators both
// make must agree, otherwise the merge fails naming both isolators and both values:
//   namespaces to create or join   union; creating and joining the same kind conflicts
//   mounts                         in order; two mounts on the same target conflict
//   environment                    a variable set twice must have the same value
//   rlimits                        a limit set twice must have the same values
//   no_new_privileges              true if any isolator asks for it
//   capabilities, working directory, rootfs, command, user
//                                  at most one isolator, or identical values
#pragma once

#include <string>
#include <vector>

#include "berth/v1/launch_plan.pb.h"
#include "core/common/result.h"

namespace berth::agent {

struct PlanPiece {
  std::string isolator;  // who returned it, for messages
  berth::v1::LaunchPlan plan;
};

Result<berth::v1::LaunchPlan> mergeLaunchPlans(const std::vector<PlanPiece>& pieces);

}  // namespace berth::agent
