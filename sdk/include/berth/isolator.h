/* Berth plugin ABI: the isolator interface, "berth.isolator/1".
 *
 * An isolator describes how a container is isolated; it does not perform the launch. In
 * prepare() it returns a piece of launch plan (namespaces to create, mounts, environment,
 * no_new_privs, capabilities, rlimits, ...); the host merges the pieces of every isolator
 * in --isolation order and hands the plan to the launcher. After the launcher has forked
 * the container's first process (held before exec), isolate() may act on its pid (cgroups,
 * quotas). Mesos's Isolator is the behavioural model.
 *
 * Every hook is [main-thread], asynchronous (operation.h), takes a request and completes
 * with a result, both protobuf wire bytes of the berth.v1 messages named below
 * (proto/berth/v1/isolator.proto). A NULL hook means "nothing to do": the host treats it
 * as completed with BERTH_OK and an empty result.
 *
 * Order per container: prepare, then isolate, then (while it runs) watch, update, usage
 * and status in any order, then cleanup, exactly once, after prepare finished, even when
 * prepare failed or the container never started. cleanup may also come for a container
 * the plugin does not know (after a crash, or when prepare was never reached) and must
 * then succeed. After an agent restart, recover() comes first, once, with every container
 * the agent still knows. */
#ifndef BERTH_ISOLATOR_H
#define BERTH_ISOLATOR_H

#include <stdint.h>

#include "berth/bytes.h"
#include "berth/operation.h"
#include "berth/plugin.h"
#include "berth/threading.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ISOLATOR_ID "berth.isolator/1"

/* berth_isolator.capabilities bits. The host refuses a table with bits it does not know. */
/* The isolator can isolate nested containers (those with a parent_container_id). */
#define BERTH_ISOLATOR_SUPPORTS_NESTING (UINT64_C(1) << 0)
/* The isolator can isolate standalone containers (LAUNCH_CONTAINER without an executor). */
#define BERTH_ISOLATOR_SUPPORTS_STANDALONE (UINT64_C(1) << 1)
/* (SDK 1.2) isolate() only learns the pid: the process need not wait for it before exec.
 * When every isolator with an isolate hook says so, the launcher lets the first process exec
 * as soon as it is set up (LaunchRequest.hold false), and isolate() may come after the exec.
 * A host of minor 1.0 or 1.1 refuses a table with this bit: the C++ helpers clear it there. */
#define BERTH_ISOLATOR_NO_HOLD (UINT64_C(1) << 2)

typedef struct berth_isolator {
  uint32_t struct_size; /* sizeof(berth_isolator) as the plugin was built */
  uint32_t reserved;    /* 0 */
  uint64_t capabilities;

  /* request RecoverRequest (the checkpoints this plugin returned for each container the
   * agent recovered), result empty. Rebuild in-memory state; containers the plugin had
   * state for but that are absent from the request are orphans to clean up. */
  void (*recover)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request PrepareRequest, result PrepareResult (a LaunchPlan piece and an optional
   * checkpoint). Reject a container whose config this isolator cannot honour with
   * BERTH_ERROR_INVALID_ARGUMENT and a message naming the field. */
  void (*prepare)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request IsolateRequest (container id and the pid of its first process, held before
   * exec), result IsolateResult (an optional checkpoint that replaces prepare's). */
  void (*isolate)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request WatchRequest, result Limitation. Completes only when the container hits a
   * limit this isolator enforces (the host then destroys it with that reason), or with
   * BERTH_ERROR_CANCELLED once the host cancels it at cleanup. */
  void (*watch)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request UpdateRequest (new resources and limits), result empty. */
  void (*update)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request UsageRequest, result ResourceStatistics (only the fields this isolator
   * measures; the host merges all isolators' answers). */
  void (*usage)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request StatusRequest, result ContainerStatus (only the fields this isolator knows). */
  void (*status)(berth_plugin* self, berth_op* op, berth_bytes request);

  /* request CleanupRequest, result empty. Undo everything done for the container. */
  void (*cleanup)(berth_plugin* self, berth_op* op, berth_bytes request);
} berth_isolator;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_ISOLATOR_H */
