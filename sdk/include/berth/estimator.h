/* Berth plugin ABI: the resource estimator interface, "berth.resource-estimator/1".
 *
 * Estimates resources that are allocated but unused and may be offered again as revocable
 * (oversubscription, Mesos's ResourceEstimator). The host asks periodically, passing the
 * current usage of every container; at most one estimator is active (--resource_estimator).
 * The hook is [main-thread] and asynchronous (operation.h), with messages in
 * proto/berth/v1/estimator.proto. */
#ifndef BERTH_ESTIMATOR_H
#define BERTH_ESTIMATOR_H

#include <stdint.h>

#include "berth/bytes.h"
#include "berth/operation.h"
#include "berth/plugin.h"
#include "berth/threading.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_RESOURCE_ESTIMATOR_ID "berth.resource-estimator/1"

typedef struct berth_resource_estimator {
  uint32_t struct_size;  /* sizeof(berth_resource_estimator) as the plugin was built */
  uint32_t reserved;     /* 0 */
  uint64_t capabilities; /* none defined yet: 0 */

  /* request EstimateRequest (agent total, per-container usage), result EstimateResult
   * (the resources that may be oversubscribed now). */
  void (*oversubscribable)(berth_plugin* self, berth_op* op, berth_bytes request);
} berth_resource_estimator;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_ESTIMATOR_H */
