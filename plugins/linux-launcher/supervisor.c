/* berth-supervisor: the parent of one container's first process.
 *
 *   berth-supervisor CONTAINER_RUNTIME_DIR [CGROUP]
 *   fd 3: status pipe (write end), fd 4: start barrier (read end), fd 5: the LaunchRequest,
 *   fd 6: exit pipe (write end: the wait status as in the termination file, then closed;
 *         optional)
 *   CGROUP: the directory of the cgroup the first process is born into, if any
 *   berth-supervisor --serve
 *   the zygote (zygote.c): forks a supervisor per request instead of an exec each
 *
 * Forked for each container by the zygote the linux-launcher plugin starts, it outlives the
 * agent, so that a container's exit status is known even if it exits while the agent is
 * down: it records the wait(2) status in CONTAINER_RUNTIME_DIR/termination and exits.
 *
 * It reads the LaunchRequest (protobuf) from fd 5, creates the namespaces
 * the plan asks for, applies the mounts, then forks the container's first process, which
 * sets up the rest of its environment and waits at the barrier (fd 4) before changing
 * credentials and exec'ing. Messages on fd 3, one per line:
 *   "ready <pid>"    the first process exists and waits at the barrier
 *   "error <text>"   setup or exec failed; nothing runs
 * End of file on fd 3 after "ready" and the barrier means the exec succeeded.
 *
 * A separate program rather than code forked from the agent: the agent is multithreaded,
 * and only async-signal-safe work may follow fork() there. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/short_slice.h"
#include "berth/v1/launcher.pb-c.h"

/* This supervisor's descriptors (supervise()). */
static struct supervisor_fds fds = {SUPERVISOR_STATUS_FD, SUPERVISOR_START_FD,
                                    SUPERVISOR_REQUEST_FD, SUPERVISOR_EXIT_FD};

static void report(const char* format, ...) {
  char line[1024];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof(line) - 1, format, args);
  va_end(args);
  if (n < 0) return;
  if ((size_t)n > sizeof(line) - 2) n = (int)sizeof(line) - 2;
  line[n] = '\n';
  (void)!write(fds.status, line, (size_t)n + 1);
}

static void fail(const char* format, ...) {
  char text[900];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof(text), format, args);
  va_end(args);
  report("error %s", text);
  _exit(127);
}

/* The whole content of `fd` from its start (whatever its offset), which is closed; NULL
 * on a read error. */
static char* read_all(int fd, size_t* size) {
  size_t capacity = 4096, used = 0;
  char* data = malloc(capacity);
  for (;;) {
    if (used == capacity) data = realloc(data, capacity *= 2);
    const ssize_t n = pread(fd, data + used, capacity - used, (off_t)used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(data);
      data = NULL;
      break;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  close(fd);
  *size = used;
  return data;
}

static int namespace_flag(Berth__V1__Namespace ns) {
  switch (ns) {
    case BERTH__V1__NAMESPACE__MOUNT:
      return CLONE_NEWNS;
    case BERTH__V1__NAMESPACE__IPC:
      return CLONE_NEWIPC;
    case BERTH__V1__NAMESPACE__UTS:
      return CLONE_NEWUTS;
    case BERTH__V1__NAMESPACE__NET:
      return CLONE_NEWNET;
    case BERTH__V1__NAMESPACE__CGROUP:
      return CLONE_NEWCGROUP;
    case BERTH__V1__NAMESPACE__PID:
      return CLONE_NEWPID;
    default:
      return 0;
  }
}

/* Applies a mount of the plan. Its target is a path inside the container: under `rootfs`
 * when the container has a root filesystem of its own (NULL otherwise). */
static void apply_mount(const Berth__V1__Mount* m, const char* rootfs) {
  unsigned long flags = 0;
  if (m->bind) flags |= MS_BIND | (m->recursive ? MS_REC : 0);
  if (m->nosuid) flags |= MS_NOSUID;
  if (m->nodev) flags |= MS_NODEV;
  if (m->noexec) flags |= MS_NOEXEC;
  const char* source = m->source != NULL ? m->source : (m->type != NULL ? m->type : "none");
  char target[4096];
  snprintf(target, sizeof(target), "%s%s", rootfs != NULL ? rootfs : "", m->target);
  mkdir(target, 0755); /* may exist */
  if (mount(source, target, m->bind ? NULL : m->type, flags, m->options) != 0) {
    fail("mount %s at %s: %s", m->type != NULL ? m->type : "bind", target, strerror(errno));
  }
  /* A bind mount ignores its flags: they take a remount. */
  const unsigned long restrictions = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (m->bind && (m->read_only || restrictions != 0) &&
      mount(NULL, target, NULL,
            MS_BIND | MS_REMOUNT | restrictions | (m->read_only ? MS_RDONLY : 0), NULL) != 0) {
    fail("remount %s with its flags: %s", target, strerror(errno));
  }
}

/* Makes `rootfs` the container's root, in a mount namespace of the first process's own:
 * pivot_root moves the root of every process of a namespace, and the supervisor must keep
 * the host's (it writes the exit status there). The old root is detached, not kept. */
static void enter_rootfs(const char* rootfs) {
  if (unshare(CLONE_NEWNS) != 0) fail("unshare the mount namespace: %s", strerror(errno));
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fail("make / private: %s", strerror(errno));
  }
  if (chdir(rootfs) != 0) fail("chdir %s: %s", rootfs, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root %s: %s", rootfs, strerror(errno));
  if (umount2(".", MNT_DETACH) != 0) fail("detach the old root: %s", strerror(errno));
  if (chdir("/") != 0) fail("chdir /: %s", strerror(errno));
}

static int rlimit_resource(const char* name) {
  static const struct {
    const char* name;
    int resource;
  } kLimits[] = {
      {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_CORE", RLIMIT_CORE},     {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},     {"RLIMIT_NICE", RLIMIT_NICE},
  };
  for (size_t i = 0; i < sizeof(kLimits) / sizeof(kLimits[0]); ++i) {
    if (strcmp(kLimits[i].name, name) == 0) return kLimits[i].resource;
  }
  return -1;
}

/* The highest capability the running kernel knows, which may be newer than our headers. */
static cap_value_t last_capability(void) {
  int last = CAP_LAST_CAP;
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  if (f != NULL) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  return (cap_value_t)last;
}

static int in_list(cap_value_t c, char** names, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    cap_value_t named;
    if (cap_from_name(names[i], &named) == 0 && named == c) return 1;
  }
  return 0;
}

/* Before the change of user, while the process still has CAP_SETPCAP: the bounding set,
 * and an inheritable set within it (root regains its inheritable capabilities at exec, so
 * one the agent happened to have must not outlive the bounding set), as Mesos does. */
static void restrict_bounding(const Berth__V1__Capabilities* caps) {
  if (!caps->set_bounding) return;
  for (size_t i = 0; i < caps->n_bounding; ++i) {
    cap_value_t c;
    if (cap_from_name(caps->bounding[i], &c) != 0) fail("unknown capability %s", caps->bounding[i]);
  }
  const cap_value_t last = last_capability();
  for (cap_value_t c = 0; c <= last; ++c) {
    if (!in_list(c, caps->bounding, caps->n_bounding) && cap_drop_bound(c) != 0 &&
        errno != EINVAL) {
      char* name = cap_to_name(c);
      fail("drop %s from the bounding set: %s (capabilities need the launcher to run as root)",
           name != NULL ? name : "a capability", strerror(errno));
    }
  }
  cap_t state = cap_get_proc();
  if (state == NULL) fail("read capabilities: %s", strerror(errno));
  cap_clear_flag(state, CAP_INHERITABLE);
  for (cap_value_t c = 0; c <= last; ++c) {
    if (in_list(c, caps->bounding, caps->n_bounding))
      cap_set_flag(state, CAP_INHERITABLE, 1, &c, CAP_SET);
  }
  if (cap_set_proc(state) != 0) fail("set the inheritable capabilities: %s", strerror(errno));
  cap_free(state);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* After the change of user (PR_SET_KEEPCAPS kept the permitted set): the effective,
 * permitted and inheritable sets, and the ambient set that carries them across exec for a
 * user other than root. */
static void set_effective(const Berth__V1__Capabilities* caps) {
  if (!caps->set_effective) return;
  cap_t state = cap_init();
  cap_value_t values[64];
  size_t count = 0;
  for (size_t i = 0; i < caps->n_effective && count < 64; ++i) {
    if (cap_from_name(caps->effective[i], &values[count]) != 0) {
      fail("unknown capability %s", caps->effective[i]);
    }
    ++count;
  }
  cap_set_flag(state, CAP_EFFECTIVE, (int)count, values, CAP_SET);
  cap_set_flag(state, CAP_PERMITTED, (int)count, values, CAP_SET);
  cap_set_flag(state, CAP_INHERITABLE, (int)count, values, CAP_SET);
  if (cap_set_proc(state) != 0) fail("set capabilities: %s", strerror(errno));
  cap_free(state);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (geteuid() == 0) return; /* root keeps its permitted set at exec without ambient */
  for (size_t i = 0; i < count; ++i) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, values[i], 0, 0) != 0) {
      fail("raise ambient capability %s for a user other than root: %s", caps->effective[i],
           strerror(errno));
    }
  }
}

/* The first process's stack while it shares the supervisor's memory (start_first_process()):
 * a mapping of its own below a guard page, its top touched ahead of time. */
enum { CHILD_STACK_SIZE = 1 << 20, CHILD_STACK_WARM = 64 << 10, GUARD_SIZE = 4096 };
static char* child_stack; /* its lowest address; NULL: the first process is forked */

/* The first process when it shares the supervisor's memory. */
struct first_process {
  const Berth__V1__LaunchRequest* request;
  const char* join; /* the v1 cgroup's `tasks` file to enter, or NULL */
  int new_mount_ns;
};

static void join_cgroup(const char* file) {
  const int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) fail("enter the cgroup %s: %s", file, strerror(errno));
  close(fd);
}

static void run_container(const Berth__V1__LaunchRequest* request, int new_pid_ns,
                          int new_mount_ns);

static int first_process_main(void* arg) {
  const struct first_process* p = arg;
  if (p->join != NULL) join_cgroup(p->join);
  run_container(p->request, 0, p->new_mount_ns);
  return 127;
}

/* Starts the container's first process in `cgroup` (NULL: the supervisor's own) and returns
 * its pid.
 *
 * Nobody writes its pid to cgroup.procs: moving a whole process takes a global lock whose
 * writer waits for an RCU grace period, 10 ms and more on an idle host. cgroup v2: clone3
 * places the child at birth. cgroup v1: the child moves itself, its only thread, by writing
 * "0" to the cgroup's `tasks`, which the kernel does without that lock. It does so before
 * it reads the barrier, so nothing of the container runs outside the cgroup; "ready" does
 * not wait for it, and a failure reaches the launcher as an error line on the status pipe,
 * which start() reads.
 *
 * Where it can, the process shares the supervisor's memory (CLONE_VM), as posix_spawn's
 * child does: a fork copies the page tables and then takes a copy-on-write fault on every
 * page either side writes, which on a virtual machine costs as much as the exec that follows
 * (docs/benchmarks.md). Unlike posix_spawn's, this supervisor is not suspended until the
 * exec (CLONE_VFORK): the scheduler would wake it on the CPU the process execs on, behind
 * it, and the launcher learns of the exec only once the supervisor has closed its end of the
 * status pipe. So both run at once on one memory, and from the clone to the end of the
 * process the supervisor touches nothing the process may be using: no heap, no stdio
 * stream (formatting into a buffer on its own stack is fine), no failing call whose errno
 * (shared) the process could be reading. The kernel refuses shared memory across
 * PID namespaces, and a v2 cgroup at birth takes clone3, which has no wrapper that runs a
 * function on another stack: those fork. */
static pid_t start_first_process(const Berth__V1__LaunchRequest* request, const char* cgroup,
                                 int new_pid_ns, int new_mount_ns) {
  char path[4096];
  int v2 = 0;
  if (cgroup != NULL) {
    snprintf(path, sizeof(path), "%s/cgroup.controllers", cgroup);
    v2 = access(path, F_OK) == 0;
    snprintf(path, sizeof(path), "%s/tasks", cgroup);
  }
  if (!v2 && !new_pid_ns && child_stack != NULL) {
    /* Static: the process reads it after this function has returned. */
    static struct first_process p;
    p.request = request;
    p.join = cgroup != NULL ? strdup(path) : NULL;
    p.new_mount_ns = new_mount_ns;
    const pid_t child =
        clone(first_process_main, child_stack + CHILD_STACK_SIZE, CLONE_VM | SIGCHLD, &p);
    /* EINVAL: a PID namespace joined from the plan (setns) refuses shared memory too. */
    if (child >= 0 || errno != EINVAL) return child;
  }
  pid_t child = -1;
  if (v2) {
    const int fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("open the cgroup %s: %s", cgroup, strerror(errno));
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (__u64)fd;
    child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (child != 0) close(fd);
    if (child < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
      snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup); /* before 5.7: the slow way */
      v2 = 0;
    }
  }
  if (!v2) child = fork();
  if (child == 0) {
    if (cgroup != NULL && !v2) join_cgroup(path);
    run_container(request, new_pid_ns, new_mount_ns);
  }
  return child;
}

/* The first process of the container, between its start and exec. Never returns. */
static void run_container(const Berth__V1__LaunchRequest* request, int new_pid_ns,
                          int new_mount_ns) {
  const Berth__V1__LaunchPlan* plan = request->plan;
  const Berth__V1__ContainerConfig* config = request->config;
  const Berth__V1__CommandInfo* command = plan->command != NULL ? plan->command : config->command;
  if (command == NULL || command->value == NULL) fail("no command to run");

  /* Output files are host paths: open them before the root changes. */
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in >= 0) dup2(in, 0);
  if (request->stdout_path != NULL) {
    int out = open(request->stdout_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) fail("open %s: %s", request->stdout_path, strerror(errno));
    dup2(out, 1);
  }
  if (request->stderr_path != NULL) {
    int err = open(request->stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err < 0) fail("open %s: %s", request->stderr_path, strerror(errno));
    dup2(err, 2);
  }

  const int has_rootfs = plan->rootfs != NULL && plan->rootfs[0] != '\0';
  if (has_rootfs) enter_rootfs(plan->rootfs);
  if (new_pid_ns && new_mount_ns) {
    /* A /proc that shows the container's own processes. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
      fail("mount /proc: %s", strerror(errno));
    }
  }
  for (size_t i = 0; i < plan->n_rlimits; ++i) {
    const Berth__V1__Rlimit* r = plan->rlimits[i];
    const int resource = rlimit_resource(r->name);
    if (resource < 0) fail("unknown resource limit %s", r->name);
    struct rlimit limit = {r->has_soft ? r->soft : RLIM_INFINITY,
                           r->has_hard ? r->hard : RLIM_INFINITY};
    if (setrlimit(resource, &limit) != 0) fail("setrlimit %s: %s", r->name, strerror(errno));
  }
  /* The sandbox is a host path; with a root filesystem of its own the container starts in
   * its working directory, or "/". */
  const char* workdir = plan->working_directory != NULL ? plan->working_directory
                        : has_rootfs                    ? "/"
                                                        : config->sandbox_directory;
  if (workdir != NULL && chdir(workdir) != 0) fail("chdir %s: %s", workdir, strerror(errno));

  /* The barrier: isolators act on our pid while we wait here, unless none needs to. */
  char go;
  if (request->hold && read(fds.start, &go, 1) != 1) _exit(127); /* the launch was abandoned */
  close(fds.start);

  if (plan->capabilities != NULL) restrict_bounding(plan->capabilities);
  const char* user = plan->user != NULL ? plan->user : command->user;
  if (user != NULL && user[0] != '\0') {
    struct passwd* pw = getpwnam(user);
    if (pw == NULL) fail("unknown user %s", user);
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0) {
      fail("set groups of %s: %s", user, strerror(errno));
    }
    /* Capabilities asked for must survive the change of user. */
    if (plan->capabilities != NULL) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
    if (setuid(pw->pw_uid) != 0) fail("setuid %s: %s", user, strerror(errno));
    setenv("HOME", pw->pw_dir, 1);
    setenv("USER", pw->pw_name, 1);
  }
  if (plan->capabilities != NULL) set_effective(plan->capabilities);
  if (plan->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fail("no_new_privs: %s", strerror(errno));
  }

  /* The sandbox's host path means nothing inside a root filesystem of its own; there the
   * plan (the image isolator) says where the sandbox is mounted, as Mesos's
   * /mnt/mesos/sandbox. The plan's environment comes after, so it wins either way. */
  if (config->sandbox_directory != NULL && !has_rootfs) {
    setenv("MESOS_SANDBOX", config->sandbox_directory, 1);
  }
  for (size_t i = 0; i < command->n_environment; ++i) {
    setenv(command->environment[i]->name,
           command->environment[i]->value ? command->environment[i]->value : "", 1);
  }
  for (size_t i = 0; i < plan->n_environment; ++i) {
    setenv(plan->environment[i]->name,
           plan->environment[i]->value ? plan->environment[i]->value : "", 1);
  }
  const int shell = !command->has_shell || command->shell;
  if (shell) {
    execl("/bin/sh", "sh", "-c", command->value, (char*)NULL);
    fail("exec /bin/sh: %s", strerror(errno));
  }
  char** argv = calloc(command->n_arguments + 2, sizeof(char*));
  if (command->n_arguments == 0) {
    argv[0] = command->value;
  } else {
    for (size_t i = 0; i < command->n_arguments; ++i)
      argv[i] = command->arguments[i];
  }
  execvp(command->value, argv);
  fail("exec %s: %s", command->value, strerror(errno));
}

void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int signo = 1; signo < NSIG; ++signo) {
    if (signo != SIGKILL && signo != SIGSTOP) signal(signo, SIG_DFL);
  }
}

/* Fills the page tables of the program's and its libraries' mappings: code and read-only
 * data readable, data and heap written (each page this process's own copy). A kernel before
 * 5.14 has no MADV_POPULATE_*; the pages then fault in as they are used. */
enum { POPULATE_STEP = 64 << 10 };
static void populate_mappings(void) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char maps[64 << 10]; /* a small program: a few dozen lines */
  size_t used = 0;
  ssize_t n;
  while (used < sizeof(maps) - 1 && (n = read(fd, maps + used, sizeof(maps) - 1 - used)) > 0) {
    used += (size_t)n;
  }
  close(fd);
  maps[used] = '\0';
  for (char* line = maps; line != NULL && *line != '\0';) {
    char* next = strchr(line, '\n');
    if (next != NULL) *next++ = '\0';
    unsigned long start = 0, end = 0;
    char perms[5] = "";
    int name = 0;
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &name) == 3) {
      const char* path = line + name;
      const int special = path[0] == '[' && strcmp(path, "[heap]") != 0; /* stack, vdso */
      if (!special && perms[0] == 'r') {
        /* In pieces: the kernel does not preempt a system call (PREEMPT_NONE), and this
         * runs at idle priority while a launch may need the CPU. */
        const int advice = perms[1] == 'w' ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
        for (unsigned long at = start; at < end; at += POPULATE_STEP) {
          const unsigned long size = end - at < POPULATE_STEP ? end - at : POPULATE_STEP;
          (void)madvise((void*)at, size, advice);
        }
      }
    }
    line = next;
  }
}

/* Touches `size` bytes of stack, so that the pages are this process's before it is timed. */
static __attribute__((noinline)) void warm_stack(size_t size) {
  volatile char* area = __builtin_alloca(size);
  for (size_t i = 0; i < size; i += 4096)
    area[i] = 0;
}

void prepare_supervisor(void) {
  static int prepared;
  if (prepared) return;
  prepared = 1;
  /* Signals were reset when the zygote started (reset_signals()); it ignores SIGCHLD, which
   * the wait for the first process needs. */
  signal(SIGCHLD, SIG_DFL);
  setsid();
  /* Every page touched from here on costs a fault: a fork copies no page table entries of
   * code and read-only data, and shares the writable pages until one side writes. Those the
   * launch will touch are touched now, while nobody waits: the mappings of the program and
   * its libraries, the stack, the heap the request is decoded into, the first process's
   * stack. */
  populate_mappings();
  warm_stack(64 << 10);
  /* The first malloc also sets the allocator up (a getrandom, a brk). The barrier keeps the
   * compiler from dropping an allocation nothing reads. */
  void* heap = malloc(64 << 10);
  if (heap != NULL) memset(heap, 0, 64 << 10);
  __asm__ volatile("" : : "r"(heap) : "memory");
  free(heap);
  char* stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) return; /* the first process is forked instead */
  if (mprotect(stack, GUARD_SIZE, PROT_NONE) != 0) {
    munmap(stack, CHILD_STACK_SIZE);
    return;
  }
  memset(stack + CHILD_STACK_SIZE - CHILD_STACK_WARM, 0, CHILD_STACK_WARM);
  child_stack = stack;
}

void supervise(const char* dir, const char* cgroup, struct supervisor_fds given) {
  /* Right after the clone the first process, woken on this CPU, would otherwise run ahead
   * of this process and keep it from reporting "ready" and closing its end of the status
   * pipe, whose end of file tells the launcher of the exec, until the process's slice ran
   * out: 2.5 ms, traced. This also leaves a spare's SCHED_IDLE. */
  const int short_slice = berth_request_short_slice() == 0;
  prepare_supervisor();
  fds = given;
  /* Opened while the host's mounts are still this process's: the container's, which it
   * enters below, may hide the runtime directory (a tmpfs on /dev/shm, where a runtime
   * directory on tmpfs may well be). */
  const int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) fail("open the runtime directory %s: %s", dir, strerror(errno));

  size_t size = 0;
  char* bytes = read_all(fds.request, &size);
  if (bytes == NULL) fail("read the launch request: %s", strerror(errno));
  Berth__V1__LaunchRequest* request =
      berth__v1__launch_request__unpack(NULL, size, (const uint8_t*)bytes);
  if (request == NULL || request->plan == NULL || request->config == NULL) {
    fail("fd %d holds no LaunchRequest", fds.request);
  }
  const Berth__V1__LaunchPlan* plan = request->plan;

  for (size_t i = 0; i < plan->n_enter_namespaces; ++i) {
    int fd = open(plan->enter_namespaces[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0) != 0) {
      fail("join %s: %s", plan->enter_namespaces[i], strerror(errno));
    }
    close(fd);
  }
  int flags = 0;
  for (size_t i = 0; i < plan->n_clone_namespaces; ++i) {
    flags |= namespace_flag(plan->clone_namespaces[i]);
  }
  if (flags != 0 && unshare(flags) != 0) fail("unshare namespaces: %s", strerror(errno));
  const int new_mount_ns = (flags & CLONE_NEWNS) != 0;
  if (new_mount_ns) {
    /* Keep the container's mounts from propagating to the host. */
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
      fail("make / private: %s", strerror(errno));
    }
  } else if (plan->n_mounts > 0 || (plan->rootfs != NULL && plan->rootfs[0] != '\0')) {
    fail("the plan has mounts or a root filesystem but no mount namespace");
  }
  const char* rootfs = plan->rootfs != NULL && plan->rootfs[0] != '\0' ? plan->rootfs : NULL;
  if (rootfs != NULL) {
    /* pivot_root needs the new root to be a mount point; the plan's mounts go under it. */
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) {
      fail("bind the root filesystem %s: %s", rootfs, strerror(errno));
    }
  }
  for (size_t i = 0; i < plan->n_mounts; ++i)
    apply_mount(plan->mounts[i], rootfs);

  const pid_t child =
      start_first_process(request, cgroup, (flags & CLONE_NEWPID) != 0, new_mount_ns);
  if (child < 0) fail("start the first process: %s", strerror(errno));

  close(fds.start);
  report("ready %d", (int)child);
  close(fds.status);
  /* From here it only waits and records; with the default slice again the launcher's
   * thread it wakes with the exit status, queued on this CPU as often as not, preempts it
   * and does not wait for the teardown of its namespaces after it (0.5 ms, traced). */
  /* Only after a request that worked: a failing call sets errno, which the first process
   * may share (start_first_process()). */
  if (short_slice) (void)berth_drop_short_slice();

  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  char text[16];
  const int length = snprintf(text, sizeof(text), "%d\n", status);
  /* The launcher learns of the end now rather than once this process is torn down, and
   * from the pipe rather than the file, which is for an agent restarted since. An agent
   * gone meanwhile leaves no reader, which must not kill this process before it has
   * written the file. */
  signal(SIGPIPE, SIG_IGN);
  (void)!write(fds.exit, text, (size_t)length);
  /* Written atomically: a reader sees no file or the whole status. Not fsync'ed: the
   * runtime directory only has to outlive the agent, not the host, whose crash ends the
   * container too. The launcher may be removing the directory meanwhile, having the
   * status: a file made in a removed directory fails, one made while it goes the removal
   * finds on its next try (destroy()). */
  const int out = openat(dir_fd, "termination.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out >= 0) {
    const int written = write(out, text, (size_t)length) == length;
    close(out);
    if (written) renameat(dir_fd, "termination.tmp", dir_fd, "termination");
  }
  close(fds.exit);
  _exit(0);
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--serve") == 0) return serve(argv);
  if (argc != 2 && argc != 3) {
    fprintf(stderr,
            "usage: berth-supervisor CONTAINER_RUNTIME_DIR [CGROUP] | --serve "
            "(started by linux-launcher)\n");
    return 2;
  }
  reset_signals();
  /* Inherited without close-on-exec: the status pipe must close at the first process's exec,
   * and the exit pipe belongs to this process alone. */
  fcntl(SUPERVISOR_STATUS_FD, F_SETFD, FD_CLOEXEC);
  fcntl(SUPERVISOR_EXIT_FD, F_SETFD, FD_CLOEXEC);
  supervise(argv[1], argc == 3 ? argv[2] : NULL,
            (struct supervisor_fds){SUPERVISOR_STATUS_FD, SUPERVISOR_START_FD,
                                    SUPERVISOR_REQUEST_FD, SUPERVISOR_EXIT_FD});
}
