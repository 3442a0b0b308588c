// Linux capability sets as the nnp plugin reads them: capability names checked and
// normalised with libcap, and Mesos's CapabilityInfo flag syntax.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nnp {

// Normalised names, as capabilities(7) writes them: "CAP_NET_RAW".
using CapabilitySet = std::set<std::string>;

// Checks and normalises capability names: "CAP_NET_RAW", "cap_net_raw" and Mesos's
// "NET_RAW" are one capability. Returns nullopt and sets *error naming the first name
// libcap does not know.
std::optional<CapabilitySet> capabilitySet(const std::vector<std::string>& names,
                                           std::string* error);

// Parses the value of a Mesos CapabilityInfo flag (--effective_capabilities,
// --bounding_capabilities): JSON such as {"capabilities": ["NET_RAW", "CHOWN"]}, or
// file:///path/to/such.json. Returns nullopt and sets *error on unreadable files,
// malformed JSON, unknown fields and unknown capabilities.
std::optional<CapabilitySet> parseCapabilityInfo(const std::string& value, std::string* error);

// "CAP_CHOWN, CAP_NET_RAW", or "none".
std::string describe(const CapabilitySet& set);

}  // namespace nnp
