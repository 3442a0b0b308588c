/* Messages with descriptors (SCM_RIGHTS) on a Unix socket: how the launcher, the zygote and
 * each spare supervisor talk (zygote.c). C, for berth-supervisor and the plugin alike. */
#pragma once

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most descriptors one message carries. */
enum { FD_PASSING_MAX = 4 };

/* Sends `size` bytes with `count` descriptors (at most FD_PASSING_MAX; none when 0) on
 * `socket`, retried on EINTR, never raising SIGPIPE. Returns what sendmsg() does. */
ssize_t send_with_fds(int socket, const void* data, size_t size, const int* fds, int count,
                      int flags);

/* Receives one message of at most `size` bytes into `data` and at most `max_fds`
 * (<= FD_PASSING_MAX) descriptors into `fds`, close-on-exec; *count is how many came, more
 * are closed. *truncated (may be NULL) tells whether the message or its descriptors did not
 * fit. Retried on EINTR. Returns what recvmsg() does; on 0 or less no descriptor came. */
ssize_t receive_with_fds(int socket, void* data, size_t size, int* fds, int max_fds, int* count,
                         int* truncated, int flags);

#ifdef __cplusplus
}
#endif
