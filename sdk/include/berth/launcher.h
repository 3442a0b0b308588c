/* Berth plugin ABI: the launcher interface, "berth.launcher/1".
 *
 * The launcher turns a merged launch plan into processes: it creates the namespaces,
 * applies the mounts, environment, credentials, rlimits, capabilities and no_new_privs,
 * places the process in the container's cgroups, and execs the command. Exactly one
 * launcher is active in an agent (--launcher).
 *
 * Every hook is [main-thread] and asynchronous (operation.h), with requests and results
 * in proto/berth/v1/launcher.proto. Order per container: launch, start, then wait (one
 * outstanding wait per container) and destroy in any order; status any time. */
#ifndef BERTH_LAUNCHER_H
#define BERTH_LAUNCHER_H

#include <stdint.h>

#include "berth/bytes.h"
#include "berth/operation.h"
#include "berth/plugin.h"
#include "berth/threading.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_LAUNCHER_ID "berth.launcher/1"

typedef struct berth_launcher {
  uint32_t struct_size;  /* sizeof(berth_launcher) as the plugin was built */
  uint32_t reserved;     /* 0 */
  uint64_t capabilities; /* none defined yet: 0 */

  /* request LauncherRecoverRequest (checkpoints of the containers the agent knows),
   * result LauncherRecoverResult (pids of processes in containers nobody knows, which the
   * host will destroy). */
  void (*recover)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request LaunchRequest (container id, plan, sandbox, whether to hold the process before
   * exec), result LaunchResult (pid of the first process and a checkpoint). */
  void (*launch)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request StartRequest, result empty. Lets the held process exec (one not held may have
   * already); completes once the exec happened, or with an error saying why it failed. */
  void (*start)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request WaitRequest, result Termination. Completes when the container's first process
   * has exited and every other process of the container is gone. */
  void (*wait)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request DestroyRequest (signal and grace period), result empty. Kills every process of
   * the container, including any that escaped by double-forking; completes when none is
   * left. Succeeds for an unknown or already dead container. */
  void (*destroy)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request LauncherStatusRequest, result LauncherStatus (the pids of the container). */
  void (*status)(berth_plugin* self, berth_op* op, berth_bytes request);
} berth_launcher;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_LAUNCHER_H */
