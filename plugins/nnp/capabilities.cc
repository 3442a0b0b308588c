#include "capabilities.h"

#include <sys/capability.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

namespace nnp {

std::optional<CapabilitySet> capabilitySet(const std::vector<std::string>& names,
                                           std::string* error) {
  CapabilitySet set;
  for (const std::string& given : names) {
    std::string name = given;
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.starts_with("cap_")) name = "cap_" + name;  // Mesos's enum names lack it
    cap_value_t value;
    if (cap_from_name(name.c_str(), &value) != 0) {
      *error = "unknown capability '" + given + "'";
      return std::nullopt;
    }
    char* canonical = cap_to_name(value);
    std::string upper = canonical;
    cap_free(canonical);
    for (char& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    set.insert(upper);
  }
  return set;
}

std::optional<CapabilitySet> parseCapabilityInfo(const std::string& value, std::string* error) {
  std::string json = value;
  if (value.starts_with("file://")) {
    const std::string path = value.substr(7);
    std::ifstream file(path);
    if (!file) {
      *error = "cannot read '" + path + "'";
      return std::nullopt;
    }
    std::stringstream text;
    text << file.rdbuf();
    json = text.str();
  }

  // Property trees read a top-level array too; a CapabilityInfo is an object.
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || json[first] != '{') {
    *error = "not a JSON CapabilityInfo such as {\"capabilities\": [\"NET_RAW\"]}";
    return std::nullopt;
  }

  namespace pt = boost::property_tree;
  pt::ptree tree;
  try {
    std::istringstream in(json);
    pt::read_json(in, tree);
  } catch (const pt::json_parser_error& e) {
    *error = "not a JSON CapabilityInfo such as {\"capabilities\": [\"NET_RAW\"]}: " + e.message() +
             " at line " + std::to_string(e.line());
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& [key, child] : tree) {
    if (key != "capabilities") {
      *error = "unknown field '" + key + "' (a CapabilityInfo has only \"capabilities\")";
      return std::nullopt;
    }
    // Property trees hold arrays as children with empty keys; a string has no children.
    if (child.empty() && !child.data().empty()) {
      *error = "\"capabilities\" must be an array of names";
      return std::nullopt;
    }
    for (const auto& [index, item] : child) {
      if (!index.empty() || !item.empty()) {
        *error = "\"capabilities\" must be an array of names";
        return std::nullopt;
      }
      names.push_back(item.data());
    }
  }
  return capabilitySet(names, error);
}

std::string describe(const CapabilitySet& set) {
  if (set.empty()) return "none";
  std::string text;
  for (const std::string& name : set)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace nnp
