/* Berth plugin ABI: the services the host offers a plugin instance.
 *
 * The host hands each plugin instance its own berth_host table in
 * berth_plugin_entry.create(). The table and every string it points to stay valid until
 * that instance's destroy() returns. The table grows at its end in newer minors: before
 * calling a member added after SDK 1.0, check that
 *   offsetof(berth_host, member) + sizeof(host->member) <= host->struct_size
 * and that the member is not NULL (BERTH_HOST_HAS() does both). Members of SDK 1.0 are
 * always present.
 *
 * Minor history of this table: 1.3 added watch_fd and unwatch_fd. */
#ifndef BERTH_HOST_H
#define BERTH_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "berth/bytes.h"
#include "berth/operation.h"
#include "berth/status.h"
#include "berth/threading.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t berth_log_level;
enum {
  BERTH_LOG_DEBUG = 0,
  BERTH_LOG_INFO = 1,
  BERTH_LOG_WARNING = 2,
  BERTH_LOG_ERROR = 3,
  BERTH_LOG_LEVEL_FORCE_32BIT = 0x7fffffff
};

typedef struct berth_host berth_host;

/* What a watched descriptor is ready for (watch_fd), as bits. A descriptor at end of file,
 * hung up or in error counts as readable, as poll(2) reports it: the read says which. */
typedef uint32_t berth_fd_events;
enum {
  BERTH_FD_READABLE = 1u << 0,
  BERTH_FD_WRITABLE = 1u << 1,
  BERTH_FD_EVENTS_FORCE_32BIT = 0x7fffffff
};

/* A plugin's callback for a watched descriptor (watch_fd): `fd` is ready for `events` (a
 * subset of those watched). `context` is the one given to watch_fd. */
typedef void (*berth_fd_ready_fn)(void* context, int32_t fd, berth_fd_events events);

struct berth_host {
  /* sizeof(berth_host) as the host was built; see above. */
  uint32_t struct_size;
  /* The SDK minor agreed during negotiation. */
  uint32_t abi_minor;
  /* Reserved for the host; the plugin must not touch it. */
  void* host_data;
  /* "berth-agent" and its version, for messages. Borrowed, NUL-terminated. */
  const char* host_name;
  const char* host_version;

  /* --- Logging and metrics ---------------------------------------------------------- */

  /* [thread-safe] Logs one line, prefixed by the host with the plugin's name. `message`
   * is borrowed for the call, NUL-terminated UTF-8, without a trailing newline. */
  void (*log)(const berth_host* host, berth_log_level level, const char* message);

  /* [thread-safe] Adds `delta` to the plugin's counter `name` (1 to 64 of [a-z0-9_]),
   * created on first use and exported by the host with the plugin's name as a label.
   * Other names are ignored and logged. `name` is borrowed for the call. */
  void (*counter_add)(const berth_host* host, const char* name, uint64_t delta);

  /* --- Configuration ---------------------------------------------------------------- */

  /* [thread-safe] The value of configuration key `key` for this instance, or NULL when
   * it is not set. Keys come from the operator (--plugin_config and the flags the plugin
   * declares); values are strings, to be parsed and checked by the plugin in create().
   * The returned string lives as long as the instance. */
  const char* (*config_get)(const berth_host* host, const char* key);

  /* [thread-safe] The key at `index` (0-based) of this instance's configuration, or NULL
   * past the end. Lets a plugin reject keys it does not know, naming them. */
  const char* (*config_key_at)(const berth_host* host, uint32_t index);

  /* [create-only] Explains why create() is failing. The host copies `message` and shows
   * it to the operator with the plugin's name; the last call wins. */
  void (*report_error)(const berth_host* host, const char* message);

  /* --- Operations (see operation.h) ------------------------------------------------- */

  /* [thread-safe] Finishes `op`. Exactly once per operation, from any thread, possibly
   * inside the hook that received it. `status` is BERTH_OK or an error; `message`
   * (borrowed for the call, may be NULL) explains an error; `result` (borrowed for the
   * call) holds the hook's result message, empty when the hook has none or on error.
   * After this call `op` is dead; using it again is logged and ignored. */
  void (*complete)(const berth_host* host, berth_op* op, berth_status status, const char* message,
                   berth_bytes result);

  /* [thread-safe] 1 when the host has cancelled `op` (its deadline passed or its
   * container is going away) and will ignore its result; 0 otherwise. The plugin must
   * still complete it. */
  int32_t (*is_cancelled)(const berth_host* host, berth_op* op);

  /* [thread-safe] The deadline of `op` in nanoseconds of CLOCK_MONOTONIC, or 0 when the
   * operation has none. */
  int64_t (*deadline_ns)(const berth_host* host, berth_op* op);

  /* --- Descriptors (SDK 1.3; check with BERTH_HOST_HAS) ------------------------------ */

  /* [plugin-thread] Watches `fd` in the host's event loop, so that a plugin can wait for a
   * pipe or socket without a thread of its own: `ready(context, fd, events)` runs on the
   * plugin thread, never during another call into the instance, each time `fd` is ready
   * for one of `events` (BERTH_FD_* bits), level-triggered as poll(2): a callback that
   * leaves data unread is called again. `ready` may complete operations and call
   * watch_fd and unwatch_fd, for this descriptor or others; it must not block.
   * `fd` stays the plugin's: it keeps it open while watched and closes it only after
   * unwatch_fd (the event loop would otherwise watch whatever reuses the number). While
   * watched, the host may make its open file description non-blocking (O_NONBLOCK): reads
   * in `ready` may find nothing (EAGAIN). Its flags are as before once unwatched. Every
   * watch must be stopped before destroy() returns.
   * Returns BERTH_OK; BERTH_ERROR_INVALID_ARGUMENT for a bad or negative fd, one already
   * watched (by this instance or another), no events, or a NULL `ready`;
   * BERTH_ERROR_INTERNAL when called off the plugin thread (logged);
   * BERTH_ERROR_UNAVAILABLE when the host has no event loop or it has stopped, or it
   * cannot watch this descriptor (a regular file, /dev/null) or is out of memory. Then
   * nothing is watched and the plugin waits another way. */
  berth_status (*watch_fd)(const berth_host* host, int32_t fd, berth_fd_events events,
                           berth_fd_ready_fn ready, void* context);

  /* [plugin-thread] Stops watching `fd`: no call of its `ready` starts after this returns
   * (one running is the caller itself, when called from inside it). Unknown descriptors
   * are ignored. Also allowed from destroy(), once the host's event loop has stopped;
   * from another thread while it runs, it is refused and logged. */
  void (*unwatch_fd)(const berth_host* host, int32_t fd);
};

/* Whether `host` provides `member` (a member added after SDK 1.0). */
#define BERTH_HOST_HAS(host, member)                                               \
  ((host)->struct_size >= offsetof(berth_host, member) + sizeof((host)->member) && \
   (host)->member != NULL)

#ifdef __cplusplus
}
#endif

#endif /* BERTH_HOST_H */
