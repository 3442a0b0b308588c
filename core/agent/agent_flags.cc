#include "core/agent/agent_flags.h"

#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <sstream>

#include "core/common/build_info.h"

namespace berth::agent {

namespace po = boost::program_options;

namespace {

constexpr const char* kEnvPrefix = "BERTH_AGENT_";

}  // namespace

std::string AgentFlags::defaultPluginsDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto build_tree = exe.parent_path().parent_path() / "plugins";
    if (std::filesystem::is_directory(build_tree, ec)) return build_tree.string();
  }
  return BERTH_INSTALL_PLUGINS_DIR;
}

namespace {

std::string defaultRuntimeDir() {
  if (::geteuid() == 0) return "/var/run/berth";
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/berth/runtime";
}

po::options_description describe(AgentFlags& flags) {
  po::options_description options("berth-agent flags (each also as BERTH_AGENT_<NAME>)");
  const auto add = [&](const char* name, const po::value_semantic* value, const char* help) {
    options.add_options()(name, value, help);
  };
  add("ip", po::value(&flags.ip)->default_value(flags.ip), "IP address the agent API listens on");
  add("port", po::value(&flags.port)->default_value(flags.port), "port the agent API listens on");
  add("work_dir", po::value(&flags.work_dir),
      "directory for sandboxes and checkpointed state (required)");
  add("runtime_dir", po::value(&flags.runtime_dir),
      "directory for state that does not survive a reboot (default: /var/run/berth as root, "
      "$TMPDIR/berth/runtime otherwise)");
  add("plugins_dir", po::value(&flags.plugins_dir),
      "directory of plugin libraries (default: build/plugins in a build "
      "tree, " BERTH_INSTALL_PLUGINS_DIR " otherwise)");
  add("isolation", po::value(&flags.isolation),
      "isolator plugins, in order: names, Mesos aliases or paths to .so files");
  add("launcher", po::value(&flags.launcher), "the launcher plugin");
  add("resource_estimator", po::value(&flags.resource_estimator),
      "the resource estimator plugin (default: none)");
  add("plugin_config", po::value(&flags.plugin_config),
      "JSON file with one object of settings per plugin");
  add("recover", po::value(&flags.recover)->default_value(flags.recover),
      "after a restart: reconnect (keep running containers) or cleanup (destroy them all, "
      "then exit)");
  add("resources", po::value(&flags.resources),
      "resources to offer, as Mesos: \"cpus:2;mem:1024;disk:4096;ports:[31000-32000]\" or a "
      "JSON array of Resource; cpus, mem, disk and ports left out are detected");
  add("plugin_timeouts", po::value(&flags.plugin_timeouts),
      "plugin operation deadlines: DURATION, PLUGIN=DURATION, HOOK=DURATION or "
      "PLUGIN.HOOK=DURATION, comma-separated (default 30secs)");
  return options;
}

// Reads "--name", "--no-name" or "--name=value" as a plugin's flag.
Result<PluginFlagValue> pluginFlag(const std::string& token, std::string origin) {
  if (!token.starts_with("--") || token.size() == 2) {
    return Error(ErrorCode::kInvalidArgument, "'" + token + "' is not a flag (--name=value)");
  }
  PluginFlagValue flag;
  flag.origin = std::move(origin);
  const size_t equals = token.find('=');
  flag.name = token.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
  if (equals != std::string::npos) {
    flag.value = token.substr(equals + 1);
  } else {
    flag.bare = true;
    flag.value = "true";
    if (flag.name.starts_with("no-")) {
      flag.name = flag.name.substr(3);
      flag.value = "false";
    }
  }
  return flag;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> AgentFlags::all() const {
  std::vector<std::pair<std::string, std::string>> flags = {
      {"ip", ip},
      {"isolation", isolation},
      {"launcher", launcher},
      {"plugin_config", plugin_config},
      {"plugin_timeouts", plugin_timeouts},
      {"plugins_dir", plugins_dir},
      {"port", std::to_string(port)},
      {"recover", recover},
      {"resource_estimator", resource_estimator},
      {"resources", resources},
      {"runtime_dir", runtime_dir},
      {"work_dir", work_dir}};
  for (const PluginFlagValue& flag : plugin_flags)
    flags.emplace_back(flag.name, flag.value);
  std::sort(flags.begin(), flags.end());
  return flags;
}

bool AgentFlags::isOwnFlag(const std::string& name) {
  AgentFlags defaults;
  return describe(defaults).find_nothrow(name, false) != nullptr || name == "help" ||
         name == "version";
}

std::string AgentFlags::usage() {
  AgentFlags defaults;
  std::ostringstream out;
  out << "Usage: berth-agent --work_dir=DIR [flags]\n\n"
      << describe(defaults) << "  --help                show this text\n"
      << "  --version             print the version\n";
  return out.str();
}

Result<AgentFlags> AgentFlags::parse(const std::vector<std::string>& args, const Environment& env) {
  AgentFlags flags;
  po::options_description options = describe(flags);
  po::variables_map values;
  try {
    const auto parsed = po::command_line_parser(args).options(options).allow_unregistered().run();
    po::store(parsed, values);
    for (const std::string& token :
         po::collect_unrecognized(parsed.options, po::include_positional)) {
      auto flag = pluginFlag(token, token);
      if (!flag) return flag.error();
      flags.plugin_flags.push_back(std::move(*flag));
    }

    // Environment variables fill in what the command line left unset.
    std::vector<std::string> env_args;
    for (const std::string& name : env.namesWithPrefix(kEnvPrefix)) {
      std::string flag = name.substr(std::string(kEnvPrefix).size());
      for (char& c : flag)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (options.find_nothrow(flag, false) != nullptr) {
        env_args.push_back("--" + flag + "=" + *env.get(name));
        continue;
      }
      const bool given = std::any_of(flags.plugin_flags.begin(), flags.plugin_flags.end(),
                                     [&](const PluginFlagValue& f) { return f.name == flag; });
      if (given) continue;
      auto plugin_flag = pluginFlag("--" + flag + "=" + *env.get(name), name);
      if (!plugin_flag) return plugin_flag.error();
      flags.plugin_flags.push_back(std::move(*plugin_flag));
    }
    po::store(po::command_line_parser(env_args).options(options).run(), values);
    po::notify(values);
  } catch (const po::error& e) {
    return Error(ErrorCode::kInvalidArgument, e.what());
  }

  if (flags.work_dir.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--work_dir is required (or BERTH_AGENT_WORK_DIR)");
  }
  if (flags.recover != "reconnect" && flags.recover != "cleanup") {
    return Error(ErrorCode::kInvalidArgument,
                 "--recover must be reconnect or cleanup, got '" + flags.recover + "'");
  }
  if (flags.runtime_dir.empty()) flags.runtime_dir = defaultRuntimeDir();
  if (flags.plugins_dir.empty()) flags.plugins_dir = defaultPluginsDir();
  return flags;
}

}  // namespace berth::agent
