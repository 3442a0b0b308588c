#include "core/agent/plugins/plugin_settings.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <sstream>

#include "core/common/parse.h"

namespace berth::agent {

namespace {

// The hooks of every interface: "prepare=10secs" means a hook, "ipc=10secs" a plugin.
bool isHookName(const std::string& name) {
  static const char* kHooks[] = {"recover", "prepare", "isolate",         "watch",  "update",
                                 "usage",   "status",  "cleanup",         "launch", "start",
                                 "wait",    "destroy", "oversubscribable"};
  for (const char* hook : kHooks) {
    if (name == hook) return true;
  }
  return false;
}

}  // namespace

Result<std::map<std::string, PluginConfig>> parsePluginConfig(std::string_view json) {
  google::protobuf::Struct root;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &root);
  if (!status.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 "not a JSON object: " + std::string(status.message()));
  }
  std::map<std::string, PluginConfig> configs;
  for (const auto& [plugin, value] : root.fields()) {
    if (!value.has_struct_value()) {
      return Error(ErrorCode::kInvalidArgument,
                   "'" + plugin + "': expected an object of settings for that plugin");
    }
    PluginConfig& config = configs[plugin];
    for (const auto& [key, setting] : value.struct_value().fields()) {
      switch (setting.kind_case()) {
        case google::protobuf::Value::kStringValue:
          config.emplace_back(key, setting.string_value());
          break;
        case google::protobuf::Value::kBoolValue:
          config.emplace_back(key, setting.bool_value() ? "true" : "false");
          break;
        case google::protobuf::Value::kNumberValue: {
          std::ostringstream number;
          number.precision(17);
          number << setting.number_value();
          config.emplace_back(key, number.str());
          break;
        }
        default:
          return Error(ErrorCode::kInvalidArgument,
                       "'" + plugin + "." + key + "': values must be strings, numbers or booleans");
      }
    }
  }
  return configs;
}

Result<TimeoutPolicy> TimeoutPolicy::parse(std::string_view flag) {
  TimeoutPolicy policy;
  std::string_view rest = flag;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    auto duration = parseDuration(value);
    if (!duration) return duration.error().withContext("'" + item + "'");
    if (duration->count() <= 0) {
      return Error(ErrorCode::kInvalidArgument, "'" + item + "': a timeout must be positive");
    }
    if (eq == std::string::npos) {
      policy.default_ = *duration;
    } else {
      const std::string key = item.substr(0, eq);
      if (key.empty()) return Error(ErrorCode::kInvalidArgument, "'" + item + "': no name");
      const size_t dot = key.find('.');
      if (dot != std::string::npos && !isHookName(key.substr(dot + 1))) {
        return Error(ErrorCode::kInvalidArgument,
                     "'" + item + "': '" + key.substr(dot + 1) + "' is not a plugin hook");
      }
      policy.by_key_[key] = *duration;
    }
  }
  return policy;
}

std::chrono::nanoseconds TimeoutPolicy::lookup(const std::string& plugin,
                                               const std::string& hook) const {
  for (const std::string& key : {plugin + "." + hook, plugin, hook}) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
  }
  return default_;
}

}  // namespace berth::agent
