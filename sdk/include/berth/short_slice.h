/* Berth SDK helper (not part of the ABI tables): marks the calling thread latency-sensitive
 * for the Linux scheduler. C; berth/cpp/short_slice.h wraps it for C++.
 *
 * For threads and processes that mostly sleep and must react at once when woken: an event
 * loop, a thread waiting on a container's status pipe, a supervisor reaping its container.
 * Since Linux 6.12 (EEVDF) a task of the normal policy may ask for a shorter time slice than
 * the default (0.7-3 ms); a woken task with a short slice preempts the one running on its
 * CPU instead of waiting for that one's slice to end, and a new task with the default slice
 * does not preempt it. That matters when the waker keeps running: the kernel often queues a
 * woken task on the waker's CPU, even with another CPU idle.
 *
 * Sets SCHED_OTHER at the current nice value (leaving SCHED_IDLE or SCHED_BATCH) with the
 * shortest slice the kernel takes, 0.1 ms. Processes the caller creates start with the
 * kernel's default policy and slice, and nice 0 if the caller's is below (the kernel's
 * SCHED_RESET_ON_FORK): a container never inherits the slice. Older kernels ignore the
 * slice. Returns 0, or -1 with errno set (EPERM: leaving SCHED_IDLE beyond RLIMIT_NICE
 * without CAP_SYS_NICE). */
#ifndef BERTH_SHORT_SLICE_H
#define BERTH_SHORT_SLICE_H

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __cplusplus
/* Declared by <unistd.h> only with _DEFAULT_SOURCE or _GNU_SOURCE, which strict ISO C
 * modes leave out. */
long syscall(long number, ...);
#endif

/* Sets SCHED_OTHER at the current nice value with a slice of `slice_ns` (0: the kernel's
 * default), the children of the caller starting with the defaults. */
static inline int berth_set_slice(uint64_t slice_ns) {
  /* struct sched_attr of <linux/sched/types.h>, which clashes with <sched.h>. */
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
  } attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.sched_policy = SCHED_OTHER;
  attr.sched_flags = 0x01; /* SCHED_FLAG_RESET_ON_FORK */
  attr.sched_nice = getpriority(PRIO_PROCESS, 0);
  attr.sched_runtime = slice_ns;
  return syscall(SYS_sched_setattr, 0, &attr, 0) == 0 ? 0 : -1;
}

static inline int berth_request_short_slice(void) {
  return berth_set_slice(100 * 1000);
}

/* Back to the kernel's default slice, for a task whose latency-sensitive part is over. */
static inline int berth_drop_short_slice(void) {
  return berth_set_slice(0);
}

#endif /* BERTH_SHORT_SLICE_H */
