/* Berth plugin ABI: status codes.
 *
 * Every operation ends with one berth_status; the human detail travels separately as a
 * message. Values are stable forever; each means a different thing to do for the caller.
 * A receiver that meets a value it does not know treats it as BERTH_ERROR_INTERNAL. */
#ifndef BERTH_STATUS_H
#define BERTH_STATUS_H

#include <stdint.h>

typedef int32_t berth_status;

enum {
  BERTH_OK = 0,
  /* The input is wrong and will stay wrong: a bad config value, a container asking for
   * something it may not have. Fails the container with the message. */
  BERTH_ERROR_INVALID_ARGUMENT = 1,
  /* The feature is not available here (kernel too old, interface absent). */
  BERTH_ERROR_UNSUPPORTED = 2,
  /* The named container or object is unknown. Benign for cleanup. */
  BERTH_ERROR_NOT_FOUND = 3,
  /* The OS or a policy refused. */
  BERTH_ERROR_PERMISSION = 4,
  /* A resource or peer is temporarily unavailable; a retry may succeed. */
  BERTH_ERROR_UNAVAILABLE = 5,
  /* The operation's deadline passed (set by the host; plugins may use it too). */
  BERTH_ERROR_TIMEOUT = 6,
  /* The operation was cancelled by the host. */
  BERTH_ERROR_CANCELLED = 7,
  /* Version negotiation found no common minor, or a payload is of an unknown version. */
  BERTH_ERROR_INCOMPATIBLE = 8,
  /* A bug or an impossible state. */
  BERTH_ERROR_INTERNAL = 9,

  BERTH_STATUS_FORCE_32BIT = 0x7fffffff
};

#endif /* BERTH_STATUS_H */
