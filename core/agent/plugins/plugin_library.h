// One plugin shared object, loaded and checked but not yet initialised.
//
// Loading reads the library's entry (berth_plugin_entry_v1) and descriptor without running
// any plugin function, so an agent can learn what a plugins directory holds cheaply and
// refuse a bad library with a precise reason before anything else happens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "berth/entry.h"
#include "core/common/result.h"

namespace berth::agent {

// An agent flag a plugin declares (berth_flag).
struct PluginFlag {
  std::string name;
  bool boolean = false;  // BERTH_FLAG_BOOL
  std::string help;
};

struct PluginInfo {
  std::string path;
  std::string name;
  std::string version;
  std::string vendor;
  std::string description;
  std::vector<std::string> aliases;
  uint64_t kinds = 0;
  uint32_t sdk_minor = 0;
  std::vector<PluginFlag> flags;  // SDK 1.1 and newer
};

class PluginLibrary {
 public:
  // The SDK minors this host speaks.
  static constexpr uint32_t kHostMinMinor = 0;
  static constexpr uint32_t kHostMaxMinor = BERTH_ABI_MINOR;

  // Loads `path` with RTLD_NOW | RTLD_LOCAL and checks its entry and descriptor. Each
  // failure names the file and the reason: missing, not an ELF file, dlopen's error, no
  // entry symbol (or one of another ABI major, naming both majors), a malformed entry,
  // descriptor or flag declaration.
  static Result<std::unique_ptr<PluginLibrary>> load(const std::string& path);

  // Calls deinit() if init() succeeded. The code of a library that was initialized stays
  // mapped (RTLD_NODELETE): a plugin may have left threads or atexit handlers behind that
  // must not outlive its code. One never initialized (only listed) is unloaded.
  ~PluginLibrary();

  const PluginInfo& info() const { return info_; }
  const berth_plugin_entry& entry() const { return *entry_; }

  // Runs the plugin's init() with the host's minor range; returns the agreed minor. Once.
  Result<uint32_t> initialize();

 private:
  PluginLibrary() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  const berth_plugin_entry* entry_ = nullptr;
  PluginInfo info_;
  bool initialized_ = false;
};

}  // namespace berth::agent
