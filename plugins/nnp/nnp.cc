#include "nnp.h"

#include <algorithm>
#include <iterator>

namespace nnp {

namespace {

CapabilitySet outside(const CapabilitySet& asked, const CapabilitySet& allowed) {
  CapabilitySet beyond;
  std::set_difference(asked.begin(), asked.end(), allowed.begin(), allowed.end(),
                      std::inserter(beyond, beyond.end()));
  return beyond;
}

}  // namespace

std::optional<Settings> parseSettings(
    const std::vector<std::pair<std::string, std::string>>& config, std::string* error) {
  Settings settings;
  for (const auto& [key, value] : config) {
    std::optional<CapabilitySet>* slot = nullptr;
    if (key == "effective_capabilities") slot = &settings.effective;
    if (key == "bounding_capabilities") slot = &settings.bounding;
    if (slot == nullptr) {
      *error = "unknown setting '" + key + "'";
      return std::nullopt;
    }
    std::string why;
    *slot = parseCapabilityInfo(value, &why);
    if (!*slot) {
      *error = key + ": " + why;
      return std::nullopt;
    }
  }
  if (settings.effective && settings.bounding) {
    const CapabilitySet beyond = outside(*settings.effective, *settings.bounding);
    if (!beyond.empty()) {
      *error = "effective_capabilities has " + describe(beyond) +
               ", outside bounding_capabilities (" + describe(*settings.bounding) + ")";
      return std::nullopt;
    }
  }
  return settings;
}

std::optional<Decision> decide(const Settings& settings, const Container& container,
                               std::string* error) {
  if (container.bounding && settings.bounding) {
    const CapabilitySet beyond = outside(*container.bounding, *settings.bounding);
    if (!beyond.empty()) {
      *error = "linux_info.bounding_capabilities asks for " + describe(beyond) +
               ", which the agent does not allow (--bounding_capabilities: " +
               describe(*settings.bounding) + ")";
      return std::nullopt;
    }
  }

  Decision decision;
  decision.effective = container.effective ? container.effective : settings.effective;
  decision.bounding = container.bounding ? container.bounding : settings.bounding;
  // Root regains its whole bounding set at exec: an effective set alone would not hold.
  if (decision.effective && !decision.bounding) decision.bounding = decision.effective;

  if (decision.effective) {
    const CapabilitySet beyond = outside(*decision.effective, *decision.bounding);
    if (!beyond.empty()) {
      const bool own_bounding = container.bounding.has_value();
      *error = std::string(container.effective ? "linux_info.effective_capabilities"
                                               : "--effective_capabilities") +
               " asks for " + describe(beyond) + ", which " +
               (own_bounding ? "linux_info.bounding_capabilities"
                             : "the agent (--bounding_capabilities)") +
               " does not allow (" + describe(*decision.bounding) + ")";
      return std::nullopt;
    }
  }
  return decision;
}

}  // namespace nnp
