// Mesos's `linux/nnp` isolator (no_new_privs for every container) together with its
// `linux/capabilities` semantics: which capability sets a container runs with, from its
// LinuxInfo and the agent's --effective_capabilities and --bounding_capabilities.
//
// Pure logic, apart from the ABI glue in plugin.cc, so that it is testable on its own.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capabilities.h"

namespace nnp {

struct Settings {
  std::optional<CapabilitySet> effective;  // --effective_capabilities: the default set
  std::optional<CapabilitySet> bounding;   // --bounding_capabilities: the most allowed
};

// Reads the plugin's configuration (its flags, or --plugin_config). Returns nullopt and
// sets *error on an unknown key, a malformed set, or an effective set that is not within
// the bounding set (naming the capabilities outside it), as Mesos refuses to start.
std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error);

struct Container {
  std::optional<CapabilitySet> effective;  // linux_info.effective_capabilities
  std::optional<CapabilitySet> bounding;   // linux_info.bounding_capabilities
};

// The capability sets to apply; unset means leave that set alone. no_new_privs is set for
// every container regardless.
struct Decision {
  std::optional<CapabilitySet> effective;
  std::optional<CapabilitySet> bounding;
};

// Mesos 1.9's LinuxCapabilitiesIsolatorProcess::prepare: the container's sets, else the
// agent's; a bounding set defaults to the effective set. Refused, naming the capabilities
// at fault: a container bounding set beyond --bounding_capabilities, and an effective set
// beyond the bounding set.
std::optional<Decision> decide(const Settings& settings, const Container& container,
                               std::string* error);

}  // namespace nnp
