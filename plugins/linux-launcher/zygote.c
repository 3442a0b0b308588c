/* The zygote: `berth-supervisor --serve`, started once by the launcher, provides each
 * container's supervisor. A fork of this small single-threaded process costs a tenth of what
 * an exec of berth-supervisor and its libraries does; and the fork, and the copy-on-write
 * faults a new process takes on every page it writes, are kept off the launch too: a spare
 * supervisor is forked and readied (prepare_supervisor()) once the zygote is idle, and the
 * next request goes to it (docs/benchmarks.md).
 *
 * Protocol on ZYGOTE_SOCKET_FD (SOCK_SEQPACKET), one request at a time:
 *   request  "<runtime dir>\0<cgroup directory, or empty>\0", with exactly four
 *            descriptors (SCM_RIGHTS): the status pipe's write end, the start barrier's
 *            read end, the launch request and the exit pipe's write end, which become the
 *            supervisor's fds 3 to 6
 *   reply    an int32: the supervisor's pid, or -errno when there is none; with a pidfd of
 *            the supervisor (SCM_RIGHTS) when the kernel has them
 * The spare gets the same request, descriptors included, on a socket of its own. One that
 * died before it could take it is replaced by a supervisor forked there and then; one that
 * dies after the hand-over closes the descriptors, which the launcher reads as a supervisor
 * that exited without a word.
 * End of file on the socket (the agent stopped or died) ends the zygote, and with it the
 * spare, which then reads end of file on its own socket. Supervisors are not waited for
 * here: they are reaped at exit (SIGCHLD ignored) and the launcher follows them through
 * their pidfds, as it does after an agent restart, when they are nobody's children. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
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

enum { REQUEST_FDS = 4, MAX_REQUEST = 8192, SPARE_AFTER_MS = 5 };

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

/* In a forked supervisor: looks like one rather than the zygote. A fork shows the zygote's
 * name and command line: `pkill -f 'berth-supervisor --serve'` aimed at the zygote must not
 * reach the supervisors, which hold the exit statuses. */
static void rename_supervisor(char** argv) {
  close(ZYGOTE_SOCKET_FD);
  prctl(PR_SET_NAME, "berth-supervise", 0, 0, 0);
  memcpy(argv[1], "--child", sizeof("--child")); /* as long as "--serve" */
}

/* In a supervisor: supervise() with the request's descriptors where they arrived. */
static _Noreturn void become_supervisor(const int fds[REQUEST_FDS], const char* dir,
                                        const char* cgroup) {
  supervise(dir, cgroup[0] != '\0' ? cgroup : NULL,
            (struct supervisor_fds){fds[0], fds[1], fds[2], fds[3]});
}

/* A request: its two strings and REQUEST_FDS descriptors. */
struct request {
  char data[MAX_REQUEST];
  ssize_t size;
  int fds[REQUEST_FDS];
  int count;     /* descriptors received */
  int truncated; /* the message or its descriptors did not fit */
};

/* Receives a request on `socket`. Returns its size, 0 at end of file, -1 on an error. */
static ssize_t receive(int socket, struct request* r) {
  struct iovec iov = {r->data, sizeof(r->data) - 1};
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
  ssize_t n;
  do {
    n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  r->size = n;
  r->count = 0;
  if (n <= 0) return n;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const int in = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < in; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (r->count < REQUEST_FDS) {
        r->fds[r->count++] = fd;
      } else {
        close(fd);
      }
    }
  }
  r->data[n] = '\0';
  r->truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  return n;
}

/* The request's directory and cgroup (possibly empty), or 0 when it is malformed. */
static int parse(const struct request* r, const char** dir, const char** cgroup) {
  *dir = r->data;
  const size_t dir_size = strlen(r->data);
  *cgroup = (size_t)r->size > dir_size + 1 ? r->data + dir_size + 1 : NULL;
  return !r->truncated && r->count == REQUEST_FDS && dir_size > 0 && *cgroup != NULL;
}

static void close_fds(struct request* r) {
  for (int i = 0; i < r->count; ++i)
    close(r->fds[i]);
  r->count = 0;
}

/* The spare: readied, it waits for its request on `link` and supervises that container;
 * end of file there (the zygote is gone) ends it. */
static _Noreturn void serve_as_spare(int link, char** argv) {
  rename_supervisor(argv);
  prepare_supervisor();
  static struct request r;
  const ssize_t n = receive(link, &r);
  close(link);
  const char* dir;
  const char* cgroup;
  if (n <= 0 || !parse(&r, &dir, &cgroup)) _exit(0);
  become_supervisor(r.fds, dir, cgroup);
}

/* A supervisor forked ahead of its request. */
struct spare {
  pid_t pid; /* -1: none */
  int pidfd;
  int link; /* the zygote's end of the socket the request goes through */
};

static void forget_spare(struct spare* spare) {
  if (spare->pidfd >= 0) close(spare->pidfd);
  if (spare->link >= 0) close(spare->link);
  spare->pid = -1;
  spare->pidfd = -1;
  spare->link = -1;
}

/* Sets the scheduling policy of `pid` (0: this process) to SCHED_IDLE or back to
 * SCHED_OTHER. The way back takes CAP_SYS_NICE: without it neither is done. */
static void set_idle(pid_t pid, int idle) {
  if (geteuid() != 0) return;
  struct sched_param param;
  memset(&param, 0, sizeof(param));
  (void)sched_setscheduler(pid, idle ? SCHED_IDLE : SCHED_OTHER, &param);
}

/* The spare is forked and readies itself at idle priority, so that a launch coming
 * meanwhile has the CPU first. */
static void fork_spare(struct spare* spare, char** argv) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return;
  int pidfd = -1;
  set_idle(0, 1);
  const pid_t child = fork_with_pidfd(&pidfd);
  if (child != 0) set_idle(0, 0);
  if (child == 0) {
    close(pair[0]);
    serve_as_spare(pair[1], argv);
  }
  close(pair[1]);
  if (child < 0) {
    close(pair[0]);
    return;
  }
  spare->pid = child;
  spare->pidfd = pidfd;
  spare->link = pair[0];
}

/* Sends `size` bytes with `count` descriptors (SCM_RIGHTS; none when 0) on `socket`.
 * Returns what sendmsg() does, retried on EINTR. */
static ssize_t send_with_fds(int socket, const void* data, size_t size, const int* fds, int count,
                             int flags) {
  struct iovec iov = {(void*)data, size};
  union {
    char buffer[CMSG_SPACE(REQUEST_FDS * sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    msg.msg_control = control.buffer;
    msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(cmsg), fds, count * sizeof(int));
  }
  ssize_t sent;
  do {
    sent = sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

/* Hands request `r` to the spare, descriptors included. False when it is gone. */
static int hand_over(const struct spare* spare, const struct request* r) {
  if (spare->pid <= 0) return 0;
  set_idle(spare->pid, 0); /* a launch waits for it now, ready or not */
  return send_with_fds(spare->link, r->data, (size_t)r->size, r->fds, REQUEST_FDS, MSG_DONTWAIT) ==
         r->size;
}

static void reply(int32_t result, int pidfd) {
  (void)send_with_fds(ZYGOTE_SOCKET_FD, &result, sizeof(result), &pidfd, pidfd >= 0 ? 1 : 0, 0);
}

int serve(char** argv) {
  prctl(PR_SET_NAME, "berth-zygote", 0, 0, 0);
  /* Descriptors 0 to 2 on /dev/null: the supervisors, which outlive the agent, must not hold
   * its standard output or error (a pipe to its log, say) open; and taken, so that none a
   * request brings lands there, where the first process puts its standard input and
   * output. */
  const int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2 && null >= 0; ++fd) {
    if (fd != null) dup2(null, fd);
  }
  if (null > 2) close(null);
  reset_signals();          /* once, for every supervisor it forks */
  signal(SIGCHLD, SIG_IGN); /* supervisors are reaped as they exit */

  struct spare spare = {-1, -1, -1};
  fork_spare(&spare, argv);
  static struct request r;
  for (;;) {
    /* The next spare once no request came for SPARE_AFTER_MS: readied during a launch, it
     * would take a CPU from it (on two CPUs the launch's own threads then wait behind the
     * container's first process, even with the spare at idle priority). Requests closer
     * together than that get a supervisor forked each, which costs less CPU in all. */
    if (spare.pid < 0) {
      struct pollfd p = {ZYGOTE_SOCKET_FD, POLLIN, 0};
      if (poll(&p, 1, SPARE_AFTER_MS) == 0) fork_spare(&spare, argv);
    }
    const ssize_t n = receive(ZYGOTE_SOCKET_FD, &r);
    if (n == 0) return 0;
    if (n < 0) return 1;
    const char* dir;
    const char* cgroup;
    if (!parse(&r, &dir, &cgroup)) {
      close_fds(&r);
      reply(-EINVAL, -1);
      continue;
    }
    if (hand_over(&spare, &r)) {
      reply(spare.pid, spare.pidfd);
    } else {
      /* No spare (its fork failed, or it died): a supervisor forked now. */
      forget_spare(&spare);
      int pidfd = -1;
      const pid_t child = fork_with_pidfd(&pidfd);
      if (child == 0) {
        rename_supervisor(argv);
        become_supervisor(r.fds, dir, cgroup);
      }
      reply(child > 0 ? child : -errno, pidfd);
      if (pidfd >= 0) close(pidfd);
    }
    forget_spare(&spare);
    close_fds(&r);
  }
}
