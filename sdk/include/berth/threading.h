/* Berth plugin ABI: the threading tags used in every header.
 *
 * Each function in the ABI carries one of these tags in its comment. The validator
 * (berth-plugin-check) enforces them for host services.
 *
 *   [main-thread]   Called by the host from its plugin thread, one call at a time per
 *                   plugin instance: the plugin needs no lock to enter a hook. The host
 *                   never holds a lock of its own while calling the plugin.
 *   [thread-safe]   May be called from any thread, concurrently. Host services tagged so
 *                   may be called from inside a hook, from a completion, or from threads
 *                   the plugin starts.
 *   [plugin-thread] A host service called only on the host's plugin thread: inside a hook,
 *                   or inside a callback the host runs there (berth_host.watch_fd).
 *   [create-only]   Only during berth_plugin_entry.create() of this instance, on the
 *                   calling thread.
 *   [once]          Called at most once per loaded library (entry init/deinit). */
#ifndef BERTH_THREADING_H
#define BERTH_THREADING_H
#endif /* BERTH_THREADING_H */
