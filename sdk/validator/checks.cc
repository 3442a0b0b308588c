#include "checks.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <set>

#include "berth/berth.h"
#include "berth/v1/estimator.pb-c.h"
#include "berth/v1/isolator.pb-c.h"
#include "berth/v1/launcher.pb-c.h"
#include "elf_file.h"
#include "mock_host.h"

namespace berth::validator {

namespace {

using Outcome = CheckResult::Outcome;

CheckResult pass(std::string message = {}) {
  return {Outcome::kPass, std::move(message)};
}
CheckResult fail(std::string message) {
  return {Outcome::kFail, std::move(message)};
}
CheckResult skip(std::string message) {
  return {Outcome::kSkip, std::move(message)};
}

const berth_plugin_entry* loadEntry(const Options& options, std::string* error) {
  void* handle = ::dlopen(options.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    *error = std::string("dlopen(RTLD_NOW | RTLD_LOCAL) failed: ") + ::dlerror();
    return nullptr;
  }
  auto* entry = static_cast<const berth_plugin_entry*>(::dlsym(handle, BERTH_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) *error = "no symbol " BERTH_PLUGIN_ENTRY_SYMBOL;
  return entry;
}

std::string encode(const ProtobufCMessage* message) {
  std::string bytes(protobuf_c_message_get_packed_size(message), '\0');
  protobuf_c_message_pack(message, reinterpret_cast<uint8_t*>(bytes.data()));
  return bytes;
}

berth_bytes view(const std::string& bytes) {
  return berth_bytes{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

// One hook of one interface, with a well-formed request for it.
struct Hook {
  std::string name;
  void (*fn)(berth_plugin*, berth_op*, berth_bytes);
  std::string request;
  bool may_stay_pending;  // watch and wait complete on events, at the latest at destroy
};

char kContainer[] = "validator-container";

std::vector<Hook> hooksOf(berth_plugin* plugin, int32_t pid) {
  std::vector<Hook> hooks;
  if (auto* iso =
          static_cast<const berth_isolator*>(plugin->get_interface(plugin, BERTH_ISOLATOR_ID))) {
    Berth__V1__RecoverRequest recover = BERTH__V1__RECOVER_REQUEST__INIT;
    Berth__V1__CommandInfo command = BERTH__V1__COMMAND_INFO__INIT;
    command.value = const_cast<char*>("true");
    Berth__V1__ContainerConfig config = BERTH__V1__CONTAINER_CONFIG__INIT;
    config.container_id = kContainer;
    config.command = &command;
    config.sandbox_directory = const_cast<char*>("/tmp");
    Berth__V1__PrepareRequest prepare = BERTH__V1__PREPARE_REQUEST__INIT;
    prepare.config = &config;
    Berth__V1__IsolateRequest isolate = BERTH__V1__ISOLATE_REQUEST__INIT;
    isolate.container_id = kContainer;
    isolate.pid = pid;
    Berth__V1__WatchRequest watch = BERTH__V1__WATCH_REQUEST__INIT;
    watch.container_id = kContainer;
    Berth__V1__Resource cpus = BERTH__V1__RESOURCE__INIT;
    cpus.name = const_cast<char*>("cpus");
    cpus.has_scalar = 1;
    cpus.scalar = 1;
    Berth__V1__Resource* resources[] = {&cpus};
    Berth__V1__UpdateRequest update = BERTH__V1__UPDATE_REQUEST__INIT;
    update.container_id = kContainer;
    update.n_resources = 1;
    update.resources = resources;
    Berth__V1__UsageRequest usage = BERTH__V1__USAGE_REQUEST__INIT;
    usage.container_id = kContainer;
    Berth__V1__StatusRequest status = BERTH__V1__STATUS_REQUEST__INIT;
    status.container_id = kContainer;
    Berth__V1__CleanupRequest cleanup = BERTH__V1__CLEANUP_REQUEST__INIT;
    cleanup.container_id = kContainer;
    hooks.push_back({"isolator.recover", iso->recover, encode(&recover.base), false});
    hooks.push_back({"isolator.prepare", iso->prepare, encode(&prepare.base), false});
    hooks.push_back({"isolator.isolate", iso->isolate, encode(&isolate.base), false});
    hooks.push_back({"isolator.watch", iso->watch, encode(&watch.base), true});
    hooks.push_back({"isolator.update", iso->update, encode(&update.base), false});
    hooks.push_back({"isolator.usage", iso->usage, encode(&usage.base), false});
    hooks.push_back({"isolator.status", iso->status, encode(&status.base), false});
    hooks.push_back({"isolator.cleanup", iso->cleanup, encode(&cleanup.base), false});
  }
  if (auto* launcher =
          static_cast<const berth_launcher*>(plugin->get_interface(plugin, BERTH_LAUNCHER_ID))) {
    // Only hooks that are safe without launching anything: launching is the agent's
    // integration suite's job.
    Berth__V1__LauncherRecoverRequest recover = BERTH__V1__LAUNCHER_RECOVER_REQUEST__INIT;
    Berth__V1__LauncherStatusRequest status = BERTH__V1__LAUNCHER_STATUS_REQUEST__INIT;
    status.container_id = kContainer;
    Berth__V1__DestroyRequest destroy = BERTH__V1__DESTROY_REQUEST__INIT;
    destroy.container_id = kContainer;
    hooks.push_back({"launcher.recover", launcher->recover, encode(&recover.base), false});
    hooks.push_back({"launcher.status", launcher->status, encode(&status.base), false});
    hooks.push_back({"launcher.destroy", launcher->destroy, encode(&destroy.base), false});
  }
  if (auto* estimator = static_cast<const berth_resource_estimator*>(
          plugin->get_interface(plugin, BERTH_RESOURCE_ESTIMATOR_ID))) {
    Berth__V1__EstimateRequest estimate = BERTH__V1__ESTIMATE_REQUEST__INIT;
    hooks.push_back(
        {"estimator.oversubscribable", estimator->oversubscribable, encode(&estimate.base), false});
  }
  hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [](const Hook& h) { return !h.fn; }),
              hooks.end());
  return hooks;
}

// Loads, negotiates and creates one instance against a MockHost, runs `body`, destroys the
// instance, and fails on anything the host saw go wrong.
CheckResult withInstance(const Options& options,
                         const std::function<CheckResult(berth_plugin*, MockHost&)>& body) {
  std::string error;
  const berth_plugin_entry* entry = loadEntry(options, &error);
  if (entry == nullptr) return fail(error);
  uint32_t minor = 0;
  if (entry->init(0, BERTH_ABI_MINOR, &minor) != BERTH_OK) {
    return fail("init() refused the host's own range");
  }
  MockHost host(options.config);
  host.setCreating(true);
  berth_plugin* plugin = nullptr;
  const berth_status created = entry->create(host.table(), &plugin);
  host.setCreating(false);
  if (created != BERTH_OK || plugin == nullptr) {
    return fail("create() failed (status " + std::to_string(created) +
                "); give the plugin a working configuration with --config");
  }
  CheckResult result = body(plugin, host);
  plugin->destroy(plugin);
  host.markDestroyed();
  entry->deinit();
  std::vector<std::string> violations = host.violations();
  if (!violations.empty() && result.outcome != Outcome::kFail) {
    // The same breach repeated (once per fuzzed request) is reported once, with a count.
    std::string all;
    for (size_t i = 0; i < violations.size();) {
      const size_t count = std::count(violations.begin(), violations.end(), violations[i]);
      all += (all.empty() ? "" : "; ") + violations[i] +
             (count > 1 ? " (" + std::to_string(count) + " times)" : "");
      const std::string seen = violations[i];
      violations.erase(std::remove(violations.begin(), violations.end(), seen), violations.end());
    }
    return fail(all);
  }
  return result;
}

// A child process that does nothing, for hooks that want a pid.
struct Sleeper {
  pid_t pid = ::fork();
  Sleeper() {
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
  }
  ~Sleeper() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

// Runs every hook with `request_for(hook)` and checks each completes exactly once (by
// destroy() at the latest for those that may stay pending).
CheckResult driveHooks(const Options& options, bool cancelled,
                       const std::function<std::vector<std::string>(const Hook&)>& requests_for) {
  Sleeper sleeper;
  return withInstance(options, [&](berth_plugin* plugin, MockHost& host) {
    const auto hooks = hooksOf(plugin, sleeper.pid);
    if (hooks.empty()) return skip("the plugin implements no hooks");
    for (const Hook& hook : hooks) {
      for (const std::string& request : requests_for(hook)) {
        berth_op* op = host.begin(hook.name, cancelled);
        hook.fn(plugin, op, view(request));
        if (hook.may_stay_pending) continue;
        if (!host.waitCompleted(op, options.operation_timeout)) {
          return fail(hook.name + " did not complete within " +
                      std::to_string(options.operation_timeout.count()) + " ms");
        }
      }
    }
    // A second completion may come late; give it a moment to show. Operations still
    // pending (watch) must be completed by destroy(); MockHost checks that.
    ::usleep(100 * 1000);
    return pass(std::to_string(hooks.size()) + " hooks");
  });
}

// --- The checks ------------------------------------------------------------------------

CheckResult checkLoad(const Options& options) {
  std::string error;
  if (loadEntry(options, &error) == nullptr) return fail(error);
  return pass();
}

CheckResult checkExports(const Options& options) {
  ElfDynamicInfo info;
  std::string error;
  if (!readElfDynamicInfo(options.path, &info, &error)) return fail(error);
  if (info.exported == std::vector<std::string>{BERTH_PLUGIN_ENTRY_SYMBOL}) return pass();
  std::string list;
  for (const auto& s : info.exported)
    list += (list.empty() ? "" : ", ") + s;
  return fail("exports " + std::to_string(info.exported.size()) +
              " symbols, expected only " BERTH_PLUGIN_ENTRY_SYMBOL ": " + list);
}

CheckResult checkDependencies(const Options& options) {
  static const std::set<std::string> kAllowed = {
      "libc.so.6",   "libm.so.6",      "libpthread.so.0",   "libdl.so.2",
      "librt.so.1",  "libstdc++.so.6", "libgcc_s.so.1",     "ld-linux-x86-64.so.2",
      "libcap.so.2", "libmnl.so.0",    "libprotobuf-c.so.1"};
  ElfDynamicInfo info;
  std::string error;
  if (!readElfDynamicInfo(options.path, &info, &error)) return fail(error);
  std::string bad;
  for (const auto& lib : info.needed) {
    if (kAllowed.count(lib) == 0 &&
        std::find(options.allowed_needed.begin(), options.allowed_needed.end(), lib) ==
            options.allowed_needed.end()) {
      bad += (bad.empty() ? "" : ", ") + lib;
    }
  }
  if (!bad.empty()) {
    return fail("needs " + bad +
                "; a plugin may need only the C and C++ runtimes and C libraries with stable "
                "sonames (add one with --allow-needed if it is such a library)");
  }
  return pass(std::to_string(info.needed.size()) + " dependencies");
}

CheckResult checkEntry(const Options& options) {
  std::string error;
  const berth_plugin_entry* entry = loadEntry(options, &error);
  if (entry == nullptr) return fail(error);
  if (entry->struct_size < offsetof(berth_plugin_entry, create) + sizeof(void*)) {
    return fail("entry.struct_size " + std::to_string(entry->struct_size) + " is too small");
  }
  if (entry->abi_major != BERTH_ABI_MAJOR) return fail("entry.abi_major is not 1");
  if (!entry->init || !entry->deinit || !entry->create) return fail("entry lacks a function");
  const berth_plugin_descriptor* d = entry->descriptor;
  if (d == nullptr || d->struct_size < offsetof(berth_plugin_descriptor, kinds) + 8) {
    return fail("missing or truncated descriptor");
  }
  const std::string name = d->name == nullptr ? "" : d->name;
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      })) {
    return fail("descriptor.name '" + name + "' is not 1 to 64 of [a-z0-9_-]");
  }
  constexpr uint64_t kKnown =
      BERTH_KIND_ISOLATOR | BERTH_KIND_LAUNCHER | BERTH_KIND_RESOURCE_ESTIMATOR;
  if (d->kinds == 0 || (d->kinds & ~kKnown) != 0) return fail("descriptor.kinds has unknown bits");
  if (d->version == nullptr || d->description == nullptr) {
    return fail("descriptor lacks version or description");
  }
  size_t flag_count = 0;
  if (d->struct_size >= offsetof(berth_plugin_descriptor, flags) + sizeof(d->flags) &&
      d->flags != nullptr) {
    std::set<std::string> seen;
    for (const berth_flag* const* it = d->flags; *it != nullptr; ++it, ++flag_count) {
      const berth_flag& flag = **it;
      const std::string flag_name = flag.name == nullptr ? "" : flag.name;
      if (flag.struct_size < offsetof(berth_flag, help) + sizeof(flag.help)) {
        return fail("flag " + std::to_string(flag_count) + " is truncated");
      }
      if (flag_name.empty() || flag_name.size() > 64 ||
          !std::all_of(flag_name.begin(), flag_name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
          })) {
        return fail("flag name '" + flag_name + "' is not 1 to 64 of [a-z0-9_]");
      }
      if (flag.type != BERTH_FLAG_STRING && flag.type != BERTH_FLAG_BOOL) {
        return fail("flag --" + flag_name + " has an unknown type");
      }
      if (flag.help == nullptr) return fail("flag --" + flag_name + " has no help text");
      if (!seen.insert(flag_name).second) return fail("flag --" + flag_name + " is declared twice");
    }
  }
  return pass(name + " " + d->version + ", built with SDK 1." + std::to_string(entry->sdk_minor) +
              (flag_count == 0 ? "" : ", " + std::to_string(flag_count) + " flags"));
}

CheckResult negotiate(const Options& options, uint32_t min, uint32_t max, bool must_accept) {
  std::string error;
  const berth_plugin_entry* entry = loadEntry(options, &error);
  if (entry == nullptr) return fail(error);
  uint32_t chosen = UINT32_MAX;
  const berth_status status = entry->init(min, max, &chosen);
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (status == BERTH_OK) {
    entry->deinit();
    if (chosen < min || chosen > max) {
      return fail("accepted " + range + " but chose minor " + std::to_string(chosen));
    }
    if (chosen > entry->sdk_minor) {
      return fail("chose minor " + std::to_string(chosen) +
                  ", newer than the SDK it was built "
                  "with (1." +
                  std::to_string(entry->sdk_minor) + ")");
    }
    return pass("offered " + range + ", chose " + std::to_string(chosen));
  }
  if (must_accept) return fail("refused " + range + ", which contains its own minor");
  if (status != BERTH_ERROR_INCOMPATIBLE) {
    return fail("refused " + range + " with status " + std::to_string(status) +
                " instead of BERTH_ERROR_INCOMPATIBLE");
  }
  return pass("refused " + range);
}

CheckResult checkNegotiateOwn(const Options& options) {
  return negotiate(options, 0, BERTH_ABI_MINOR, true);
}
CheckResult checkNegotiateFuture(const Options& options) {
  return negotiate(options, 1000, 2000, false);
}
CheckResult checkNegotiateInverted(const Options& options) {
  return negotiate(options, 5, 2, false);
}

CheckResult checkInterfaces(const Options& options) {
  std::string error;
  const berth_plugin_entry* entry = loadEntry(options, &error);
  if (entry == nullptr) return fail(error);
  const uint64_t kinds = entry->descriptor->kinds;
  return withInstance(options, [&](berth_plugin* plugin, MockHost&) {
    for (const char* id :
         {"", "berth.isolator", "berth.isolator/1x", "berth.isolator/2", "berth.isolator/1 ",
          "berth.launcher/10", "com.example.nothing/1", "berth.resource-estimator/1/"}) {
      if (plugin->get_interface(plugin, id) != nullptr) {
        return fail("get_interface(\"" + std::string(id) + "\") is not NULL");
      }
    }
    const std::pair<uint64_t, const char*> known[] = {
        {BERTH_KIND_ISOLATOR, BERTH_ISOLATOR_ID},
        {BERTH_KIND_LAUNCHER, BERTH_LAUNCHER_ID},
        {BERTH_KIND_RESOURCE_ESTIMATOR, BERTH_RESOURCE_ESTIMATOR_ID}};
    for (const auto& [kind, id] : known) {
      const void* table = plugin->get_interface(plugin, id);
      if ((kinds & kind) && table == nullptr) {
        return fail(std::string("declares the kind of ") + id + " but returns no table for it");
      }
      if (table != nullptr && *static_cast<const uint32_t*>(table) < 16) {
        return fail(std::string("the table of ") + id + " has a struct_size below 16");
      }
    }
    return pass();
  });
}

CheckResult checkLifecycle(const Options& options) {
  std::string error;
  const berth_plugin_entry* entry = loadEntry(options, &error);
  if (entry == nullptr) return fail(error);
  uint32_t minor = 0;
  if (entry->init(0, BERTH_ABI_MINOR, &minor) != BERTH_OK) return fail("init() refused");
  for (int round = 0; round < 3; ++round) {
    MockHost host(options.config);
    host.setCreating(true);
    berth_plugin* plugin = nullptr;
    if (entry->create(host.table(), &plugin) != BERTH_OK || plugin == nullptr) {
      return fail("create() failed in round " + std::to_string(round + 1));
    }
    host.setCreating(false);
    plugin->destroy(plugin);
    host.markDestroyed();
    if (!host.violations().empty()) return fail(host.violations().front());
  }
  // Two instances at once: a plugin may refuse the second, but must say why.
  MockHost first(options.config);
  MockHost second(options.config);
  berth_plugin* a = nullptr;
  berth_plugin* b = nullptr;
  first.setCreating(true);
  if (entry->create(first.table(), &a) != BERTH_OK) return fail("create() failed");
  first.setCreating(false);
  second.setCreating(true);
  const berth_status status = entry->create(second.table(), &b);
  second.setCreating(false);
  if (status == BERTH_OK) b->destroy(b);
  a->destroy(a);
  entry->deinit();
  return pass(status == BERTH_OK ? "3 create/destroy rounds, 2 instances at once"
                                 : "3 create/destroy rounds; a second instance is refused");
}

CheckResult checkOperations(const Options& options) {
  return driveHooks(options, false,
                    [](const Hook& hook) { return std::vector<std::string>{hook.request}; });
}

CheckResult checkCancelled(const Options& options) {
  return driveHooks(options, true,
                    [](const Hook& hook) { return std::vector<std::string>{hook.request}; });
}

CheckResult checkCleanupUnknown(const Options& options) {
  return withInstance(options, [&](berth_plugin* plugin, MockHost& host) {
    auto* iso =
        static_cast<const berth_isolator*>(plugin->get_interface(plugin, BERTH_ISOLATOR_ID));
    if (iso == nullptr || iso->cleanup == nullptr) return skip("no isolator cleanup hook");
    Berth__V1__CleanupRequest cleanup = BERTH__V1__CLEANUP_REQUEST__INIT;
    cleanup.container_id = const_cast<char*>("never-prepared");
    const std::string request = encode(&cleanup.base);
    berth_op* op = host.begin("isolator.cleanup");
    iso->cleanup(plugin, op, view(request));
    if (!host.waitCompleted(op, options.operation_timeout)) return fail("cleanup never completed");
    const berth_status status = host.status(op);
    if (status != BERTH_OK && status != BERTH_ERROR_NOT_FOUND) {
      return fail("cleanup of an unknown container failed: " + host.message(op));
    }
    return pass();
  });
}

CheckResult checkRecoverState(const Options& options) {
  Berth__V1__ContainerCheckpoint checkpoint = BERTH__V1__CONTAINER_CHECKPOINT__INIT;
  checkpoint.container_id = kContainer;
  checkpoint.has_checkpoint = 1;
  static uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13, 0x37};
  checkpoint.checkpoint.data = junk;
  checkpoint.checkpoint.len = sizeof(junk);
  Berth__V1__ContainerCheckpoint* list[] = {&checkpoint};
  Berth__V1__RecoverRequest old_state = BERTH__V1__RECOVER_REQUEST__INIT;
  old_state.n_containers = 1;
  old_state.containers = list;
  const std::string states[] = {"", std::string("\xff\xff\xff\xff\x0f", 5),
                                encode(&old_state.base)};
  return withInstance(options, [&](berth_plugin* plugin, MockHost& host) {
    auto* iso =
        static_cast<const berth_isolator*>(plugin->get_interface(plugin, BERTH_ISOLATOR_ID));
    if (iso == nullptr || iso->recover == nullptr) return skip("no isolator recover hook");
    for (const std::string& state : states) {
      berth_op* op = host.begin("isolator.recover");
      iso->recover(plugin, op, view(state));
      if (!host.waitCompleted(op, options.operation_timeout)) {
        return fail("recover with empty, garbage or unknown checkpoints never completed");
      }
    }
    return pass("empty, garbage and unknown checkpoints");
  });
}

CheckResult checkFuzz(const Options& options) {
  std::mt19937 random(options.seed);
  return driveHooks(options, false, [&](const Hook&) {
    std::vector<std::string> requests;
    for (int i = 0; i < 16; ++i) {
      std::string bytes(random() % 64, '\0');
      for (char& c : bytes)
        c = static_cast<char>(random() & 0xff);
      requests.push_back(std::move(bytes));
    }
    return requests;
  });
}

}  // namespace

const std::vector<Check>& allChecks() {
  static const std::vector<Check> kChecks = {
      {"load", "BERTH_PLUGIN_1", "loads with RTLD_NOW | RTLD_LOCAL", checkLoad},
      {"exports", "BERTH_PLUGIN_2", "exports exactly one symbol, the entry", checkExports},
      {"dependencies", "BERTH_PLUGIN_3", "needs only allowed shared libraries", checkDependencies},
      {"entry", "BERTH_PLUGIN_4", "entry and descriptor are well formed", checkEntry},
      {"negotiate-own", "BERTH_PLUGIN_5", "accepts a range containing its own minor",
       checkNegotiateOwn},
      {"negotiate-future", "BERTH_PLUGIN_6", "refuses minors it cannot speak",
       checkNegotiateFuture},
      {"negotiate-inverted", "BERTH_PLUGIN_6", "refuses a nonsensical range",
       checkNegotiateInverted},
      {"interfaces", "BERTH_PLUGIN_7", "unknown and near-miss interface IDs return NULL",
       checkInterfaces},
      {"lifecycle", "BERTH_PLUGIN_8", "create and destroy repeat cleanly", checkLifecycle},
      {"operations", "BERTH_PLUGIN_9,BERTH_PLUGIN_13", "every operation completes exactly once",
       checkOperations},
      {"cleanup-unknown", "BERTH_PLUGIN_10", "cleanup of an unknown container succeeds",
       checkCleanupUnknown},
      {"recover-state", "BERTH_PLUGIN_11", "recover survives empty, garbage and old state",
       checkRecoverState},
      {"fuzz", "BERTH_PLUGIN_12", "malformed requests are answered, not crashed on", checkFuzz},
      {"cancelled", "BERTH_PLUGIN_14", "cancelled operations still complete exactly once",
       checkCancelled},
  };
  return kChecks;
}

}  // namespace berth::validator
