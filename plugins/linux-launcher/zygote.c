/* The zygote: `berth-supervisor --serve`, started once by the launcher, provides each
 * container's supervisor. A fork of this small single-threaded process costs a tenth of what
 * an exec of berth-supervisor and its libraries does; and the fork, and the copy-on-write
 * faults a new process takes on every page it writes, are kept off the launch too: a spare
 * supervisor is forked and readied (prepare_supervisor()) once the zygote is idle, and
 * offered to the launcher, which hands the next request to it without a round trip through
 * the zygote (docs/benchmarks.md).
 *
 * Protocol on ZYGOTE_SOCKET_FD (SOCK_SEQPACKET); every message from the zygote is a struct
 * zygote_message (supervisor.h):
 *   request  "<runtime dir>\0<cgroup directory, or empty>\0", with exactly four
 *            descriptors (SCM_RIGHTS): the status pipe's write end, the start barrier's
 *            read end, the launch request and the exit pipe's write end, which become the
 *            supervisor's fds 3 to 6
 *   reply    ZYGOTE_FORKED: the supervisor's pid, or -errno when there is none; with a
 *            pidfd of it (SCM_RIGHTS) when the kernel has them
 *   offer    ZYGOTE_SPARE, unasked, once no request came for SPARE_AFTER_MS: a readied
 *            spare's pid, with the launcher's end of the spare's socket and, when the kernel
 *            has them, a pidfd. The launcher sends the spare a request as above, on that
 *            socket, and tells the zygote with ZYGOTE_SPARE_TAKEN (no descriptors), after
 *            which the next spare is offered; one spare at most is on offer.
 * A spare whose socket closes before a request comes (the agent stopped or died) exits; one
 * that dies after the hand-over closes the descriptors, which the launcher reads as a
 * supervisor that exited without a word.
 * End of file on ZYGOTE_SOCKET_FD ends the zygote. Supervisors are not waited for here:
 * they are reaped at exit (SIGCHLD ignored) and the launcher follows them through their
 * pidfds, as it does after an agent restart, when they are nobody's children. */
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

#include "fd_passing.h"
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
  const ssize_t n = receive_with_fds(socket, r->data, sizeof(r->data) - 1, r->fds, REQUEST_FDS,
                                     &r->count, &r->truncated, 0);
  r->size = n;
  if (n > 0) r->data[n] = '\0';
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

/* Sets the scheduling policy of this process to SCHED_IDLE or back to SCHED_OTHER. The way
 * back takes CAP_SYS_NICE: without it neither is done. */
static void set_idle(int idle) {
  if (geteuid() != 0) return;
  struct sched_param param;
  memset(&param, 0, sizeof(param));
  (void)sched_setscheduler(0, idle ? SCHED_IDLE : SCHED_OTHER, &param);
}

/* The spare: readied, it waits for its request on `link` and supervises that container;
 * end of file there (the launcher is gone) ends it. */
static _Noreturn void serve_as_spare(int link, char** argv) {
  rename_supervisor(argv);
  prepare_supervisor();
  static struct request r;
  const ssize_t n = receive(link, &r);
  close(link);
  const char* dir;
  const char* cgroup;
  if (n <= 0 || !parse(&r, &dir, &cgroup)) _exit(0);
  /* supervise() leaves SCHED_IDLE, which the launcher did already if it could tell the
   * spare was alive. */
  become_supervisor(r.fds, dir, cgroup);
}

/* A spare forked ahead of its request, readying itself at idle priority so that a launch
 * coming meanwhile has the CPU first (the launcher raises it as it hands the request over).
 * Returns its pid, or -1 when it could not be forked; *link is the launcher's end of its
 * socket and *pidfd its pidfd (-1 when the kernel has none). */
static pid_t fork_spare(char** argv, int* link, int* pidfd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  set_idle(1);
  const pid_t child = fork_with_pidfd(pidfd);
  if (child != 0) set_idle(0);
  if (child == 0) {
    close(pair[0]);
    serve_as_spare(pair[1], argv);
  }
  close(pair[1]);
  if (child < 0) {
    close(pair[0]);
    return -1;
  }
  *link = pair[0];
  return child;
}

/* Returns whether the message went. */
static int send_message(int32_t kind, int32_t value, const int* fds, int count) {
  const struct zygote_message message = {kind, value};
  return send_with_fds(ZYGOTE_SOCKET_FD, &message, sizeof(message), fds, count, 0) ==
         (ssize_t)sizeof(message);
}

/* Offers a spare to the launcher. Returns whether one is on offer now: a spare whose offer
 * did not go exits, as its socket closes here, and another is readied later. */
static int offer_spare(char** argv) {
  int link = -1;
  int pidfd = -1;
  const pid_t spare = fork_spare(argv, &link, &pidfd);
  if (spare < 0) return 0;
  const int fds[2] = {link, pidfd};
  const int sent = send_message(ZYGOTE_SPARE, spare, fds, pidfd >= 0 ? 2 : 1);
  /* The launcher's now: a spare the launcher never took ends with it. */
  close(link);
  if (pidfd >= 0) close(pidfd);
  return sent;
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

  int offered = offer_spare(argv);
  static struct request r;
  for (;;) {
    /* The next spare once no request came for SPARE_AFTER_MS after the launcher said the
     * last was taken (as it hands a launch over): readied during that launch, it would take
     * a CPU from it (on two CPUs the launch's own threads then wait behind the container's
     * first process, even with the spare at idle priority). Most launches are answered
     * within that; a slower one shares its CPUs with the readying, at idle priority when
     * root. Requests closer together than that get a supervisor forked each, which costs
     * less CPU in all. */
    if (!offered) {
      struct pollfd p = {ZYGOTE_SOCKET_FD, POLLIN, 0};
      if (poll(&p, 1, SPARE_AFTER_MS) == 0) offered = offer_spare(argv);
    }
    const ssize_t n = receive(ZYGOTE_SOCKET_FD, &r);
    if (n == 0) return 0;
    if (n < 0) return 1;
    if (r.count == 0 && (size_t)n == sizeof(ZYGOTE_SPARE_TAKEN) - 1 &&
        memcmp(r.data, ZYGOTE_SPARE_TAKEN, (size_t)n) == 0) {
      offered = 0;
      continue;
    }
    const char* dir;
    const char* cgroup;
    if (!parse(&r, &dir, &cgroup)) {
      close_fds(&r);
      send_message(ZYGOTE_FORKED, -EINVAL, NULL, 0);
      continue;
    }
    int pidfd = -1;
    const pid_t child = fork_with_pidfd(&pidfd);
    if (child == 0) {
      rename_supervisor(argv);
      become_supervisor(r.fds, dir, cgroup);
    }
    send_message(ZYGOTE_FORKED, child > 0 ? child : -errno, &pidfd, pidfd >= 0 ? 1 : 0);
    if (pidfd >= 0) close(pidfd);
    close_fds(&r);
  }
}
