/* berth-supervisor, the program between the launcher and each container's first process
 * (supervisor.c), and its zygote (zygote.c). Internal to linux-launcher and
 * posix-launcher; the launcher side is zygote_client.h. */
#pragma once

#include <stdint.h>

/* The descriptors a supervisor exec'd as `berth-supervisor DIR [CGROUP]` starts with. */
enum {
  SUPERVISOR_STATUS_FD = 3,  /* write end of the status pipe: "ready <pid>", "error <text>" */
  SUPERVISOR_START_FD = 4,   /* read end of the start barrier */
  SUPERVISOR_REQUEST_FD = 5, /* the LaunchRequest (protobuf), read to its end */
  SUPERVISOR_EXIT_FD = 6,    /* write end of a pipe: the wait status "<n>\n", then closed */
};

/* The descriptor of the zygote's socket (SOCK_SEQPACKET) to the launcher. */
enum { ZYGOTE_SOCKET_FD = 3 };

/* What the zygote sends the launcher (protocol in zygote.c). */
enum { ZYGOTE_FORKED = 1, ZYGOTE_SPARE = 2 };
struct zygote_message {
  int32_t kind;  /* ZYGOTE_FORKED or ZYGOTE_SPARE */
  int32_t value; /* the supervisor's pid, or -errno */
};
/* What the launcher sends the zygote once it has handed a request to the spare on offer. */
#define ZYGOTE_SPARE_TAKEN "taken"

#ifndef __cplusplus /* the launcher (C++) shares the descriptor numbers only */
/* Unblocks every signal and sets every disposition to its default. The agent blocks
 * SIGINT and SIGTERM in all its threads (it takes them with sigwait) and a spawned process
 * inherits the mask: a container must start with every signal deliverable and at its
 * default, or KILL_CONTAINER's SIGTERM would wait for SIGKILL. */
void reset_signals(void);

/* Readies this process to supervise a container before the request comes: signals, session,
 * and the pages the launch will write (each a copy-on-write fault after a fork). Idempotent;
 * supervise() calls it too. */
void prepare_supervisor(void);

/* The descriptors of one supervisor, at the numbers above when it was exec'd, wherever they
 * arrived when the zygote handed them over (close-on-exec, as the first process needs them:
 * the status pipe closes at its exec). */
struct supervisor_fds {
  int status;  /* write end of the status pipe: "ready <pid>", "error <text>" */
  int start;   /* read end of the start barrier */
  int request; /* the LaunchRequest (protobuf), read to its end */
  int exit;    /* write end of a pipe: the recorded wait status "<n>\n", then closed */
};

/* Supervises one container: reads the request, creates its namespaces and mounts, starts its
 * first process in `cgroup` (NULL: none), reports on the status pipe, waits for the
 * process and records its wait status in `dir`/termination. Expects signals reset (SIGCHLD
 * may be ignored). Never returns. */
_Noreturn void supervise(const char* dir, const char* cgroup, struct supervisor_fds fds);

/* The zygote: hands each request on ZYGOTE_SOCKET_FD to a supervisor it forked ahead, until
 * the launcher closes its end. Protocol in zygote.c. `argv` is main()'s, which each supervisor
 * rewrites so as not to look like the zygote. Returns the process's exit status. */
int serve(char** argv);
#endif
