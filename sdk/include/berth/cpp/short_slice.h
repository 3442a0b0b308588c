// C++ helper: marks the calling thread latency-sensitive for the Linux scheduler.
//
// For threads that mostly sleep and must react at once when woken: an event loop, a thread
// waiting on a container's status pipe. Since Linux 6.12 (EEVDF) a thread of the normal
// policy may ask for a shorter time slice than the default (0.7-3 ms); a woken thread with a
// short slice preempts the one running on its CPU instead of waiting for that one's slice to
// end. The wait matters when the waker keeps running: the kernel often queues a woken thread
// on the waker's CPU, even with another CPU idle.
//
//   berth::cpp::requestShortSlice();  // first thing in the thread's function
//
// Processes the thread creates start with the kernel's defaults (SCHED_RESET_ON_FORK): a
// container never inherits the slice. Older kernels ignore the request.
#ifndef BERTH_CPP_SHORT_SLICE_H
#define BERTH_CPP_SHORT_SLICE_H

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

namespace berth::cpp {

// The shortest slice the kernel takes.
inline constexpr std::chrono::microseconds kShortSlice{100};

// Returns whether the kernel took the request (true on kernels that ignore the slice, too).
inline bool requestShortSlice(std::chrono::microseconds slice = kShortSlice) {
  // struct sched_attr of <linux/sched/types.h>, which clashes with <sched.h>.
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
  } attr{};
  constexpr uint64_t kResetOnFork = 0x01;  // SCHED_FLAG_RESET_ON_FORK
  attr.size = sizeof(attr);
  attr.sched_policy = SCHED_OTHER;
  attr.sched_flags = kResetOnFork;
  attr.sched_nice = static_cast<int32_t>(::getpriority(PRIO_PROCESS, 0));
  attr.sched_runtime = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(slice).count());
  return ::syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}

}  // namespace berth::cpp

#endif  // BERTH_CPP_SHORT_SLICE_H
