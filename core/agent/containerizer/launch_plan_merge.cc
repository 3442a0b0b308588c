#include "core/agent/containerizer/launch_plan_merge.h"

#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <optional>
#include <set>

namespace berth::agent {

namespace {

using berth::v1::LaunchPlan;
using google::protobuf::util::MessageDifferencer;

Error conflict(const std::string& what, const std::string& first, const std::string& first_value,
               const std::string& second, const std::string& second_value) {
  return Error(ErrorCode::kInvalidArgument, "isolators '" + first + "' and '" + second +
                                                "' conflict on " + what + ": '" + first_value +
                                                "' vs '" + second_value + "'");
}

// A value set by at most one isolator, or by several identically.
template <class T>
struct Owned {
  std::string owner;
  T value;
};

// The name of a namespace kind under /proc/<pid>/ns/.
std::string procNamespaceFile(int ns) {
  switch (ns) {
    case berth::v1::MOUNT:
      return "mnt";
    case berth::v1::IPC:
      return "ipc";
    case berth::v1::UTS:
      return "uts";
    case berth::v1::PID:
      return "pid";
    case berth::v1::NET:
      return "net";
    case berth::v1::CGROUP:
      return "cgroup";
    default:
      return "unknown";
  }
}

}  // namespace

Result<LaunchPlan> mergeLaunchPlans(const std::vector<PlanPiece>& pieces) {
  LaunchPlan merged;
  std::map<int, std::string> cloned;               // namespace -> isolator
  std::map<std::string, std::string> entered;      // path -> isolator
  std::map<std::string, std::string> entered_ns;   // namespace kind ("ipc") -> isolator
  std::map<std::string, std::string> mount_owner;  // target -> isolator
  std::map<std::string, Owned<std::string>> environment;
  std::map<std::string, Owned<berth::v1::Rlimit>> rlimits;
  std::optional<Owned<berth::v1::Capabilities>> capabilities;
  std::map<std::string, Owned<std::string>> scalars;  // field name -> value
  std::optional<Owned<berth::v1::CommandInfo>> command;

  const auto setScalar = [&](const std::string& field, const std::string& isolator,
                             const std::string& value) -> Status {
    auto [it, inserted] = scalars.emplace(field, Owned<std::string>{isolator, value});
    if (!inserted && it->second.value != value) {
      return conflict(field, it->second.owner, it->second.value, isolator, value);
    }
    return okStatus();
  };

  for (const PlanPiece& piece : pieces) {
    const LaunchPlan& plan = piece.plan;
    const std::string& who = piece.isolator;

    for (int ns : plan.clone_namespaces()) {
      if (cloned.emplace(ns, who).second)
        merged.add_clone_namespaces(static_cast<berth::v1::Namespace>(ns));
    }
    for (const std::string& path : plan.enter_namespaces()) {
      // "/proc/<pid>/ns/ipc": the kind is the last component.
      const std::string kind = path.substr(path.rfind('/') + 1);
      auto [it, inserted] = entered_ns.emplace(kind, who);
      if (!inserted && entered.count(path) == 0) {
        return conflict("the " + kind + " namespace to join", it->second, "another path", who,
                        path);
      }
      if (entered.emplace(path, who).second) merged.add_enter_namespaces(path);
    }

    for (const auto& mount : plan.mounts()) {
      auto [it, inserted] = mount_owner.emplace(mount.target(), who);
      if (!inserted) {
        return conflict("the mount at " + mount.target(), it->second, "a mount", who, "a mount");
      }
      *merged.add_mounts() = mount;
    }

    for (const auto& variable : plan.environment()) {
      auto [it, inserted] =
          environment.emplace(variable.name(), Owned<std::string>{who, variable.value()});
      if (!inserted) {
        if (it->second.value != variable.value()) {
          return conflict("environment variable " + variable.name(), it->second.owner,
                          it->second.value, who, variable.value());
        }
        continue;
      }
      *merged.add_environment() = variable;
    }

    for (const auto& limit : plan.rlimits()) {
      auto [it, inserted] = rlimits.emplace(limit.name(), Owned<berth::v1::Rlimit>{who, limit});
      if (!inserted) {
        if (!MessageDifferencer::Equals(it->second.value, limit)) {
          return conflict(limit.name(), it->second.owner, it->second.value.ShortDebugString(), who,
                          limit.ShortDebugString());
        }
        continue;
      }
      *merged.add_rlimits() = limit;
    }

    if (plan.no_new_privileges()) merged.set_no_new_privileges(true);

    if (plan.has_capabilities()) {
      if (capabilities && !MessageDifferencer::Equals(capabilities->value, plan.capabilities())) {
        return conflict("capabilities", capabilities->owner, capabilities->value.ShortDebugString(),
                        who, plan.capabilities().ShortDebugString());
      }
      capabilities = Owned<berth::v1::Capabilities>{who, plan.capabilities()};
    }
    if (plan.has_command()) {
      if (command && !MessageDifferencer::Equals(command->value, plan.command())) {
        return conflict("the command", command->owner, command->value.ShortDebugString(), who,
                        plan.command().ShortDebugString());
      }
      command = Owned<berth::v1::CommandInfo>{who, plan.command()};
    }
    if (plan.has_working_directory()) {
      if (Status s = setScalar("the working directory", who, plan.working_directory()); !s) {
        return s.error();
      }
    }
    if (plan.has_rootfs()) {
      if (Status s = setScalar("the root filesystem", who, plan.rootfs()); !s) return s.error();
    }
    if (plan.has_user()) {
      if (Status s = setScalar("the user", who, plan.user()); !s) return s.error();
    }
  }

  for (const auto& [ns, isolator] : cloned) {
    auto joined = entered_ns.find(procNamespaceFile(ns));
    if (joined != entered_ns.end()) {
      return conflict("the " + joined->first + " namespace", isolator, "a new one", joined->second,
                      "joining an existing one");
    }
  }

  if (capabilities) *merged.mutable_capabilities() = capabilities->value;
  if (command) *merged.mutable_command() = command->value;
  if (auto it = scalars.find("the working directory"); it != scalars.end()) {
    merged.set_working_directory(it->second.value);
  }
  if (auto it = scalars.find("the root filesystem"); it != scalars.end()) {
    merged.set_rootfs(it->second.value);
  }
  if (auto it = scalars.find("the user"); it != scalars.end()) merged.set_user(it->second.value);
  return merged;
}

}  // namespace berth::agent
