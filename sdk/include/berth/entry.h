/* Berth plugin ABI: the one symbol a plugin library exports.
 *
 * A plugin library (.so) exports exactly one symbol, a constant berth_plugin_entry named
 * berth_plugin_entry_v<ABI major>, and nothing else (build with hidden visibility and a
 * version script; the SDK's berth_add_plugin() does). The host loads it with
 * RTLD_NOW | RTLD_LOCAL, reads the entry, checks it, negotiates a minor through init(),
 * and creates instances through create().
 *
 *   BERTH_PLUGIN_EXPORT const berth_plugin_entry berth_plugin_entry_v1 = {
 *     .struct_size = sizeof(berth_plugin_entry),
 *     .abi_major = BERTH_ABI_MAJOR,
 *     .sdk_minor = BERTH_ABI_MINOR,
 *     .descriptor = &my_descriptor,
 *     .init = my_init, .deinit = my_deinit, .create = my_create,
 *   }; */
#ifndef BERTH_ENTRY_H
#define BERTH_ENTRY_H

#include <stdint.h>

#include "berth/host.h"
#include "berth/plugin.h"
#include "berth/status.h"
#include "berth/threading.h"
#include "berth/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The entry symbol's name for this SDK's ABI major. */
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin_entry_v1"

#if defined(__GNUC__)
#define BERTH_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BERTH_PLUGIN_EXPORT
#endif

/* Which interfaces the plugin's instances provide (berth_plugin_descriptor.kinds). The
 * host refuses a descriptor with bits it does not know. */
#define BERTH_KIND_ISOLATOR (UINT64_C(1) << 0)
#define BERTH_KIND_LAUNCHER (UINT64_C(1) << 1)
#define BERTH_KIND_RESOURCE_ESTIMATOR (UINT64_C(1) << 2)

/* How the host parses an agent flag a plugin declares (berth_flag.type). */
typedef enum berth_flag_type {
  /* --name=value; the value reaches the plugin as given. */
  BERTH_FLAG_STRING = 0,
  /* --name, --no-name or --name=true|false; the value reaches the plugin as "true" or
   * "false". */
  BERTH_FLAG_BOOL = 1,
  BERTH_FLAG_TYPE_GUARD = 0x7fffffff
} berth_flag_type;

/* [SDK 1.1] An agent flag the plugin reads, such as Mesos's --default_container_shm_size.
 * Operators set it like the agent's own flags: --name=value on the command line, or
 * BERTH_AGENT_<NAME> in the environment. The host hands the value to every enabled plugin
 * that declares the flag, as its configuration key `name` (see host->config_get), so a flag
 * the operator did not set is simply an absent key. The agent refuses to start on a flag
 * that no plugin in its plugins directory declares, and warns about (then ignores) the flag
 * of a plugin that is present but not enabled, as Mesos ignores the flags of isolators it
 * does not run. Static data, like the descriptor. */
typedef struct berth_flag {
  uint32_t struct_size; /* sizeof(berth_flag) as the plugin was built */
  uint32_t type;        /* berth_flag_type */
  /* 1 to 64 of [a-z0-9_]; not one of the agent's own flags. Plugins that declare the same
   * flag must declare the same type; each receives the value. */
  const char* name;
  const char* help; /* one line, for the agent's --help */
} berth_flag;

/* What the plugin is. Static data, readable without calling any function. */
typedef struct berth_plugin_descriptor {
  uint32_t struct_size; /* sizeof(berth_plugin_descriptor) as the plugin was built */
  uint32_t reserved;    /* 0 */
  /* The name operators use in flags (--isolation=ipc): 1 to 64 of [a-z0-9_-]. Unique
   * among the plugins an agent loads. */
  const char* name;
  const char* version;     /* the plugin's own version, informational ("1.2.0") */
  const char* vendor;      /* who ships it */
  const char* description; /* one line */
  /* Other names accepted in flags, such as Mesos's "namespaces/ipc"; NULL-terminated
   * array, or NULL for none. */
  const char* const* aliases;
  uint64_t kinds; /* BERTH_KIND_* bits */
  /* [SDK 1.1] The agent flags this plugin reads: a NULL-terminated array, or NULL for none.
   * A host reads it only when struct_size covers it, so an SDK 1.0 descriptor has none. */
  const berth_flag* const* flags;
} berth_plugin_descriptor;

typedef struct berth_plugin_entry {
  uint32_t struct_size; /* sizeof(berth_plugin_entry) as the plugin was built */
  uint32_t abi_major;   /* BERTH_ABI_MAJOR; must match the symbol's name */
  uint32_t sdk_minor;   /* BERTH_ABI_MINOR of the SDK the plugin was built with */
  uint32_t reserved;    /* 0 */
  const berth_plugin_descriptor* descriptor;

  /* [main-thread, once] First call into the library. The host offers the minors it speaks,
   * [host_min_minor, host_max_minor]; the plugin stores in *chosen_minor the highest minor
   * it can work with in that range and returns BERTH_OK, or returns
   * BERTH_ERROR_INCOMPATIBLE. A plugin built with minor N accepts any range containing N;
   * it may accept an older range only if it checks struct sizes before using newer
   * members. Library-wide state is set up here. */
  berth_status (*init)(uint32_t host_min_minor, uint32_t host_max_minor, uint32_t* chosen_minor);

  /* [main-thread, once] Last call into the library, after every instance is destroyed.
   * Not called when init() failed. */
  void (*deinit)(void);

  /* [main-thread] Creates an instance that will use `host` (valid until the instance's
   * destroy()). Reads and validates its configuration through host->config_get; on any
   * problem calls host->report_error() with the reason and returns an error status,
   * leaving *out_plugin untouched. On success stores the instance in *out_plugin. */
  berth_status (*create)(const berth_host* host, berth_plugin** out_plugin);
} berth_plugin_entry;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_ENTRY_H */
