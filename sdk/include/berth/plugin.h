/* Berth plugin ABI: a plugin instance.
 *
 * berth_plugin_entry.create() returns one. The instance provides its interfaces
 * (isolator, launcher, resource estimator) as function tables found by versioned string
 * IDs, CLAP-style, and is destroyed by the host when the agent stops. */
#ifndef BERTH_PLUGIN_H
#define BERTH_PLUGIN_H

#include <stdint.h>

#include "berth/threading.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_plugin berth_plugin;

struct berth_plugin {
  /* sizeof(berth_plugin) as the plugin was built. */
  uint32_t struct_size;
  uint32_t reserved; /* 0 */
  /* The plugin's own state; the host never touches it. */
  void* plugin_data;

  /* [thread-safe] The table of interface `id` (for example BERTH_ISOLATOR_ID), or NULL when
   * this instance does not provide it. Must return NULL for unknown IDs, including a known
   * ID with anything appended ("berth.isolator/1x"). The table is owned by the plugin and
   * lives until destroy(). */
  const void* (*get_interface)(const berth_plugin* self, const char* id);

  /* [main-thread] Destroys the instance. The host calls it once, after every operation it
   * started on this instance has completed or been given up on. The plugin must stop any
   * work still running and must not call host services after returning; its berth_host
   * table is invalid from then on. */
  void (*destroy)(berth_plugin* self);
};

#ifdef __cplusplus
}
#endif

#endif /* BERTH_PLUGIN_H */
