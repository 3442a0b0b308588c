#include "core/agent/plugins/plugin_library.h"

#include <dlfcn.h>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <fstream>
#include <regex>

namespace berth::agent {

namespace dll = boost::dll;

struct PluginLibrary::Handle {
  dll::shared_library library;
};

namespace {

// Where the members of SDK 1.0 end; a table smaller than this cannot be a 1.x table.
constexpr size_t kEntrySize10 = offsetof(berth_plugin_entry, create) + sizeof(void*);
constexpr size_t kDescriptorSize10 = offsetof(berth_plugin_descriptor, kinds) + sizeof(uint64_t);
constexpr size_t kDescriptorSize11 =
    offsetof(berth_plugin_descriptor, flags) + sizeof(berth_plugin_descriptor::flags);
constexpr size_t kFlagSize11 = offsetof(berth_flag, help) + sizeof(berth_flag::help);
constexpr uint64_t kKnownKinds =
    BERTH_KIND_ISOLATOR | BERTH_KIND_LAUNCHER | BERTH_KIND_RESOURCE_ESTIMATOR;

Error failure(const std::string& path, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "plugin '" + path + "': " + why);
}

// The ABI majors a library exports entries for, from its dynamic symbol table.
std::vector<std::string> entrySymbols(const std::string& path) {
  std::vector<std::string> found;
  try {
    dll::library_info info(path);
    for (const std::string& symbol : info.symbols()) {
      if (symbol.starts_with("berth_plugin_entry_v")) found.push_back(symbol);
    }
  } catch (const std::exception&) {
    // Not readable as ELF: the caller reports the missing entry.
  }
  return found;
}

std::string safeString(const char* s) {
  return s == nullptr ? "" : s;
}

}  // namespace

Result<std::unique_ptr<PluginLibrary>> PluginLibrary::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return failure(path, "no such file or not readable");
  char magic[4] = {};
  file.read(magic, sizeof(magic));
  if (file.gcount() != 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' ||
      magic[3] != 'F') {
    return failure(path, "not an ELF shared object");
  }

  auto library = std::unique_ptr<PluginLibrary>(new PluginLibrary());
  library->handle_ = std::make_unique<Handle>();
  std::error_code ec;
  // Not RTLD_NODELETE yet: a library only listed (never initialized) may be unloaded.
  const auto mode =
      static_cast<dll::load_mode::type>(dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  library->handle_->library.load(path, ec, mode);
  if (ec) {
    // Boost.DLL clears dlerror(); one direct attempt recovers the loader's own words
    // (a missing dependency, an undefined symbol).
    void* retry = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    const std::string reason = retry == nullptr ? safeString(::dlerror()) : ec.message();
    if (retry != nullptr) ::dlclose(retry);
    return failure(path, "dlopen failed: " + reason);
  }

  if (!library->handle_->library.has(BERTH_PLUGIN_ENTRY_SYMBOL)) {
    const auto others = entrySymbols(path);
    if (!others.empty()) {
      return failure(path, "exports " + others.front() + ", an entry for ABI major " +
                               others.front().substr(std::string("berth_plugin_entry_v").size()) +
                               ", but this agent speaks ABI major " +
                               std::to_string(BERTH_ABI_MAJOR));
    }
    return failure(path, "no entry symbol " BERTH_PLUGIN_ENTRY_SYMBOL
                         " (is it a Berth plugin, built with the SDK's berth_add_plugin?)");
  }
  const auto& entry =
      library->handle_->library.get<const berth_plugin_entry>(BERTH_PLUGIN_ENTRY_SYMBOL);

  if (entry.struct_size < kEntrySize10) {
    return failure(path, "entry is " + std::to_string(entry.struct_size) +
                             " bytes, smaller than any ABI 1.x entry (" +
                             std::to_string(kEntrySize10) + ")");
  }
  if (entry.abi_major != BERTH_ABI_MAJOR) {
    return failure(path, "entry claims ABI major " + std::to_string(entry.abi_major) +
                             " under the symbol of major " + std::to_string(BERTH_ABI_MAJOR));
  }
  if (entry.init == nullptr || entry.deinit == nullptr || entry.create == nullptr) {
    return failure(path, "entry lacks init, deinit or create");
  }
  const berth_plugin_descriptor* d = entry.descriptor;
  if (d == nullptr || d->struct_size < kDescriptorSize10) {
    return failure(path, "missing or truncated descriptor");
  }
  static const std::regex kName("[a-z0-9_-]{1,64}");
  const std::string name = safeString(d->name);
  if (!std::regex_match(name, kName)) {
    return failure(path, "plugin name '" + name + "' is not 1 to 64 of [a-z0-9_-]");
  }
  if (d->kinds == 0 || (d->kinds & ~kKnownKinds) != 0) {
    return failure(
        path, "plugin '" + name + "' declares unknown or no kinds (0x" + [&] {
          char buffer[32];
          std::snprintf(buffer, sizeof(buffer), "%llx", static_cast<unsigned long long>(d->kinds));
          return std::string(buffer);
        }() + ")");
  }

  PluginInfo& info = library->info_;
  info.path = path;
  info.name = name;
  info.version = safeString(d->version);
  info.vendor = safeString(d->vendor);
  info.description = safeString(d->description);
  for (const char* const* alias = d->aliases; alias != nullptr && *alias != nullptr; ++alias) {
    info.aliases.emplace_back(*alias);
  }
  info.kinds = d->kinds;
  info.sdk_minor = entry.sdk_minor;
  if (d->struct_size >= kDescriptorSize11 && d->flags != nullptr) {
    static const std::regex kFlagName("[a-z0-9_]{1,64}");
    for (const berth_flag* const* it = d->flags; *it != nullptr; ++it) {
      const berth_flag& flag = **it;
      const std::string index = "flag " + std::to_string(it - d->flags);
      if (flag.struct_size < kFlagSize11) {
        return failure(path, index + " is " + std::to_string(flag.struct_size) +
                                 " bytes, smaller than any SDK 1.1 berth_flag (" +
                                 std::to_string(kFlagSize11) + ")");
      }
      const std::string flag_name = safeString(flag.name);
      if (!std::regex_match(flag_name, kFlagName)) {
        return failure(path, index + " is named '" + flag_name + "', not 1 to 64 of [a-z0-9_]");
      }
      if (flag.type != BERTH_FLAG_STRING && flag.type != BERTH_FLAG_BOOL) {
        return failure(path,
                       "flag --" + flag_name + " has unknown type " + std::to_string(flag.type));
      }
      for (const PluginFlag& earlier : info.flags) {
        if (earlier.name == flag_name) {
          return failure(path, "flag --" + flag_name + " is declared twice");
        }
      }
      info.flags.push_back({flag_name, flag.type == BERTH_FLAG_BOOL, safeString(flag.help)});
    }
  }
  library->entry_ = &entry;
  return library;
}

Result<uint32_t> PluginLibrary::initialize() {
  // From its first call on, a plugin may leave threads or atexit handlers behind: its code
  // stays mapped for good. glibc promotes a loaded object to RTLD_NODELETE this way.
  if (void* pinned = ::dlopen(info_.path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
    ::dlclose(pinned);
  } else {
    return Error(ErrorCode::kInternal, "plugin '" + info_.name + "' (" + info_.path +
                                           "): cannot pin its library: " + safeString(::dlerror()));
  }
  uint32_t chosen = UINT32_MAX;
  const berth_status status = entry_->init(kHostMinMinor, kHostMaxMinor, &chosen);
  const std::string versions =
      "the agent speaks ABI " + std::to_string(BERTH_ABI_MAJOR) + "." +
      std::to_string(kHostMinMinor) + " to " + std::to_string(BERTH_ABI_MAJOR) + "." +
      std::to_string(kHostMaxMinor) + ", the plugin was built with " +
      std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(info_.sdk_minor);
  if (status != BERTH_OK) {
    return Error(ErrorCode::kFailedPrecondition, "plugin '" + info_.name + "' (" + info_.path +
                                                     ") refused version negotiation: " + versions);
  }
  if (chosen < kHostMinMinor || chosen > kHostMaxMinor) {
    // The plugin accepted but picked a minor outside the offer; it would call services
    // this host does not have. Undo its init.
    entry_->deinit();
    return Error(ErrorCode::kFailedPrecondition, "plugin '" + info_.name + "' (" + info_.path +
                                                     ") chose ABI minor " + std::to_string(chosen) +
                                                     " outside the offered range: " + versions);
  }
  initialized_ = true;
  return chosen;
}

PluginLibrary::~PluginLibrary() {
  if (initialized_) entry_->deinit();
}

}  // namespace berth::agent
