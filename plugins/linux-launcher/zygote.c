/* The zygote: `berth-supervisor --serve`, started once by the launcher, forks each
 * container's supervisor. A fork of this small single-threaded process costs a tenth of
 * what an exec of berth-supervisor and its libraries does, which was the largest part of a
 * launch (docs/benchmarks.md).
 *
 * Protocol on ZYGOTE_SOCKET_FD (SOCK_SEQPACKET), one request at a time:
 *   request  "<runtime dir>\0<cgroup directory, or empty>\0", with exactly four
 *            descriptors (SCM_RIGHTS): the status pipe's write end, the start barrier's
 *            read end, the launch request and the exit pipe's write end, which become the
 *            supervisor's fds 3 to 6
 *   reply    an int32: the supervisor's pid, or -errno when it could not be forked; with
 *            a pidfd of the supervisor (SCM_RIGHTS) when the kernel has them
 * End of file on the socket (the agent stopped or died) ends the zygote. Supervisors are
 * not waited for here: they are reaped at exit (SIGCHLD ignored) and the launcher follows
 * them through their pidfds, as it does after an agent restart, when they are nobody's
 * children. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

enum { REQUEST_FDS = 4, MAX_REQUEST = 8192 };

/* Forks, returning the child's pidfd in *pidfd (-1 when the kernel has none to give). */
static pid_t fork_with_pidfd(int* pidfd) {
  *pidfd = -1;
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_PIDFD;
  args.pidfd = (__u64)(uintptr_t)pidfd;
  args.exit_signal = SIGCHLD;
  const long child = syscall(SYS_clone3, &args, sizeof(args));
  if (child >= 0 || errno != ENOSYS) return (pid_t)child;
  return fork(); /* a kernel before 5.3 */
}

/* The supervisor, in the forked child: its descriptors in place, then supervise(). */
static _Noreturn void become_supervisor(int fds[REQUEST_FDS], const char* dir, const char* cgroup,
                                        char** argv) {
  close(ZYGOTE_SOCKET_FD);
  /* A fork shows the zygote's name and command line: `pkill -f 'berth-supervisor --serve'`
   * aimed at the zygote must not reach the supervisors, which hold the exit statuses. */
  prctl(PR_SET_NAME, "berth-supervise", 0, 0, 0);
  memcpy(argv[1], "--child", sizeof("--child")); /* as long as "--serve" */
  /* Above every target first, so that placing one never overwrites the source of another. */
  int moved[REQUEST_FDS];
  for (int i = 0; i < REQUEST_FDS; ++i) {
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
    if (moved[i] < 0) _exit(127);
    close(fds[i]);
  }
  const int targets[REQUEST_FDS] = {SUPERVISOR_STATUS_FD, SUPERVISOR_START_FD,
                                    SUPERVISOR_REQUEST_FD, SUPERVISOR_EXIT_FD};
  for (int i = 0; i < REQUEST_FDS; ++i) {
    if (dup2(moved[i], targets[i]) < 0) _exit(127);
    close(moved[i]);
  }
  supervise(dir, cgroup[0] != '\0' ? cgroup : NULL);
}

static void reply(int32_t result, int pidfd) {
  struct iovec iov = {&result, sizeof(result)};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (pidfd >= 0) {
    msg.msg_control = control.buffer;
    msg.msg_controllen = sizeof(control.buffer);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &pidfd, sizeof(int));
  }
  (void)!sendmsg(ZYGOTE_SOCKET_FD, &msg, MSG_NOSIGNAL);
}

int serve(char** argv) {
  prctl(PR_SET_NAME, "berth-zygote", 0, 0, 0);
  reset_signals();          /* once, for every supervisor it forks */
  signal(SIGCHLD, SIG_IGN); /* supervisors are reaped as they exit */

  for (;;) {
    char data[MAX_REQUEST];
    struct iovec iov = {data, sizeof(data) - 1};
    union {
      char buffer[CMSG_SPACE(REQUEST_FDS * sizeof(int))];
      struct cmsghdr align;
    } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buffer;
    msg.msg_controllen = sizeof(control.buffer);
    const ssize_t n = recvmsg(ZYGOTE_SOCKET_FD, &msg, MSG_CMSG_CLOEXEC);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    int fds[REQUEST_FDS];
    int count = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const int in = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < in; ++i) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (count < REQUEST_FDS) {
          fds[count++] = fd;
        } else {
          close(fd);
        }
      }
    }
    /* Two strings: the directory, then the cgroup (possibly empty). */
    data[n] = '\0';
    const char* dir = data;
    const size_t dir_size = strlen(dir);
    const char* cgroup = (size_t)n > dir_size + 1 ? data + dir_size + 1 : NULL;
    if (count != REQUEST_FDS || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || dir_size == 0 ||
        cgroup == NULL) {
      for (int i = 0; i < count; ++i)
        close(fds[i]);
      reply(-EINVAL, -1);
      continue;
    }
    int pidfd = -1;
    const pid_t child = fork_with_pidfd(&pidfd);
    if (child == 0) become_supervisor(fds, dir, cgroup, argv);
    reply(child > 0 ? child : -errno, pidfd);
    if (pidfd >= 0) close(pidfd);
    for (int i = 0; i < REQUEST_FDS; ++i)
      close(fds[i]);
  }
}
