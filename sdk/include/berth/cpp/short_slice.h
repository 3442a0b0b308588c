// C++ helper: marks the calling thread latency-sensitive for the Linux scheduler, as
// berth/short_slice.h describes (a 0.1 ms EEVDF slice on Linux 6.12+; processes the
// thread creates keep the kernel's defaults).
//
//   berth::cpp::requestShortSlice();  // first thing in the thread's function
#ifndef BERTH_CPP_SHORT_SLICE_H
#define BERTH_CPP_SHORT_SLICE_H

#include "berth/short_slice.h"

namespace berth::cpp {

// Whether the kernel took the request. Kernels before 6.12 take it and ignore the slice;
// one refuses it under a seccomp filter, or when leaving SCHED_IDLE is not allowed.
inline bool requestShortSlice() {
  return berth_request_short_slice() == 0;
}

}  // namespace berth::cpp

#endif  // BERTH_CPP_SHORT_SLICE_H
