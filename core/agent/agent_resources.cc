#include "core/agent/agent_resources.h"

#include <google/protobuf/util/json_util.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmath>
#include <set>
#include <sstream>

namespace berth::agent {

namespace {

Error invalid(const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "--resources: " + why);
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(s);
  for (std::string part; std::getline(stream, part, separator);) {
    if (!trim(part).empty()) parts.push_back(trim(part));
  }
  return parts;
}

Result<uint64_t> parseNumber(const std::string& text, const std::string& entry) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    return invalid("'" + text + "' in '" + entry + "' is not a whole number");
  }
  return std::stoull(text);
}

// One "name(role):value" entry.
Result<mesos::v1::Resource> parseEntry(const std::string& entry) {
  const auto parts = split(entry, ':');
  if (parts.size() != 2 || entry.find(':') != entry.rfind(':')) {
    return invalid("missing or extra ':' in '" + entry + "'");
  }
  std::string name = parts[0];
  if (const size_t open = name.find('('); open != std::string::npos) {
    const size_t close = name.find(')');
    if (close == std::string::npos || close < open || close != name.size() - 1) {
      return invalid("mismatched parentheses in '" + entry + "'");
    }
    const std::string role = trim(name.substr(open + 1, close - open - 1));
    if (role != "*") {
      return invalid("'" + entry + "' reserves for role '" + role +
                     "'; static reservations are not supported");
    }
    name = trim(name.substr(0, open));
  }
  if (name.empty()) return invalid("no name in '" + entry + "'");

  mesos::v1::Resource resource;
  resource.set_name(name);
  const std::string& value = parts[1];
  if (value.front() == '[') {
    if (value.back() != ']') return invalid("unclosed '[' in '" + entry + "'");
    resource.set_type(mesos::v1::Value::RANGES);
    for (const std::string& range : split(value.substr(1, value.size() - 2), ',')) {
      const auto bounds = split(range, '-');
      if (bounds.size() != 2) return invalid("'" + range + "' in '" + entry + "' is not a range");
      auto begin = parseNumber(bounds[0], entry);
      if (!begin) return begin.error();
      auto end = parseNumber(bounds[1], entry);
      if (!end) return end.error();
      if (*begin > *end) return invalid("range '" + range + "' in '" + entry + "' is inverted");
      auto* out = resource.mutable_ranges()->add_range();
      out->set_begin(*begin);
      out->set_end(*end);
    }
  } else if (value.front() == '{') {
    if (value.back() != '}') return invalid("unclosed '{' in '" + entry + "'");
    resource.set_type(mesos::v1::Value::SET);
    for (const std::string& item : split(value.substr(1, value.size() - 2), ','))
      resource.mutable_set()->add_item(item);
  } else {
    resource.set_type(mesos::v1::Value::SCALAR);
    size_t used = 0;
    // "31000-32000" is a range written without brackets; say so rather than "not a number".
    const size_t dash = value.find('-');
    if (dash != std::string::npos && dash > 0 && dash + 1 < value.size() &&
        value.find_first_not_of("0123456789-") == std::string::npos) {
      return invalid("'" + value + "' in '" + entry +
                     "' is not a number (ranges go in brackets: '" + name + ":[" + value + "]')");
    }
    double number = 0;
    try {
      number = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size()) return invalid("'" + value + "' in '" + entry + "' is not a number");
    resource.mutable_scalar()->set_value(number);
  }
  return resource;
}

Status check(const std::vector<mesos::v1::Resource>& resources) {
  std::set<std::string> names;
  for (const mesos::v1::Resource& resource : resources) {
    if (!names.insert(resource.name()).second) {
      return invalid("'" + resource.name() + "' is given twice");
    }
    if (resource.role() != "*") {
      return invalid("'" + resource.name() + "' is reserved for role '" + resource.role() +
                     "'; static reservations are not supported");
    }
    switch (resource.type()) {
      case mesos::v1::Value::SCALAR: {
        if (!resource.has_scalar()) return invalid("'" + resource.name() + "' has no scalar value");
        const double value = resource.scalar().value();
        if (!std::isfinite(value) || value < 0) {
          return invalid("'" + resource.name() + "' must be a finite, non-negative number");
        }
        break;
      }
      case mesos::v1::Value::RANGES:
        if (!resource.has_ranges()) return invalid("'" + resource.name() + "' has no ranges");
        for (const auto& range : resource.ranges().range()) {
          if (range.begin() > range.end()) {
            return invalid("'" + resource.name() + "' has an inverted range " +
                           std::to_string(range.begin()) + "-" + std::to_string(range.end()));
          }
        }
        break;
      case mesos::v1::Value::SET:
        if (!resource.has_set()) return invalid("'" + resource.name() + "' has no set");
        break;
      default:
        return invalid("'" + resource.name() + "' is of a type resources cannot have");
    }
  }
  return okStatus();
}

mesos::v1::Resource scalar(const std::string& name, double value) {
  mesos::v1::Resource resource;
  resource.set_name(name);
  resource.set_type(mesos::v1::Value::SCALAR);
  resource.mutable_scalar()->set_value(value);
  return resource;
}

// Mesos's rule for memory and disk: keep some for the host, or half on small machines.
double withHeadroom(double total_mb, double headroom_mb) {
  return total_mb >= 2 * headroom_mb ? total_mb - headroom_mb : total_mb / 2;
}

}  // namespace

Result<std::vector<mesos::v1::Resource>> parseResources(const std::string& text) {
  std::vector<mesos::v1::Resource> resources;
  if (trim(text).starts_with("[")) {
    mesos::v1::AgentInfo wrapper;
    const std::string json = R"({"hostname":"","resources":)" + text + "}";
    if (auto status = google::protobuf::util::JsonStringToMessage(json, &wrapper); !status.ok()) {
      return invalid("not a JSON array of Resource objects: " + std::string(status.message()));
    }
    resources.assign(wrapper.resources().begin(), wrapper.resources().end());
  } else {
    for (const std::string& entry : split(text, ';')) {
      auto resource = parseEntry(entry);
      if (!resource) return resource.error();
      resources.push_back(std::move(*resource));
    }
  }
  if (Status checked = check(resources); !checked) return checked.error();
  return resources;
}

Result<std::vector<mesos::v1::Resource>> agentResources(const std::string& flag,
                                                        const std::string& work_dir) {
  auto parsed = parseResources(flag);
  if (!parsed) return parsed.error();
  std::vector<mesos::v1::Resource> resources = std::move(*parsed);
  const auto named = [&](const std::string& name) {
    for (const auto& r : resources) {
      if (r.name() == name) return true;
    }
    return false;
  };
  if (!named("cpus")) resources.push_back(scalar("cpus", ::sysconf(_SC_NPROCESSORS_ONLN)));
  if (!named("mem")) {
    const double total_mb = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                            static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
    resources.push_back(scalar("mem", std::floor(withHeadroom(total_mb, 1024))));
  }
  if (!named("disk")) {
    struct statvfs fs {};
    if (::statvfs(work_dir.c_str(), &fs) != 0) {
      return errnoError("cannot size the disk of --work_dir " + work_dir, errno);
    }
    const double total_mb =
        static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize) / (1 << 20);
    resources.push_back(scalar("disk", std::floor(withHeadroom(total_mb, 5 * 1024))));
  }
  if (!named("ports")) {
    mesos::v1::Resource ports;
    ports.set_name("ports");
    ports.set_type(mesos::v1::Value::RANGES);
    auto* range = ports.mutable_ranges()->add_range();
    range->set_begin(31000);
    range->set_end(32000);
    resources.push_back(std::move(ports));
  }
  return resources;
}

}  // namespace berth::agent
