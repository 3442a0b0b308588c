#include "zygote_client.h"

#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "fd_passing.h"
#include "supervisor.h"

extern char** environ;  // NOLINT: POSIX global

namespace linux_launcher {

namespace {

std::string requestMessage(const std::string& dir, const std::string& cgroup) {
  std::string message = dir;
  message.push_back('\0');
  message += cgroup;
  message.push_back('\0');
  return message;
}

// Receives one zygote_message and up to two descriptors (*count of them; more are closed).
// Returns what recvmsg() does.
ssize_t receiveMessage(int socket, int flags, zygote_message* message, int fds[2], int* count) {
  return receive_with_fds(socket, message, sizeof(*message), fds, 2, count, nullptr, flags);
}

void closeAll(const int* fds, int count) {
  for (int i = 0; i < count; ++i)
    ::close(fds[i]);
}

}  // namespace

ZygoteClient::ZygoteClient(std::string supervisor) : supervisor_(std::move(supervisor)) {}

ZygoteClient::~ZygoteClient() {
  std::lock_guard lock(mutex_);
  stopLocked();
  // The spare reads end of file and exits.
  keepOffer(-1, nullptr, 0);
}

std::string ZygoteClient::start() {
  std::lock_guard lock(mutex_);
  return startLocked();
}

std::string ZygoteClient::startLocked() {
  if (socket_ >= 0) return "";
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair for the supervisor zygote: ") + std::strerror(errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], ZYGOTE_SOCKET_FD);
  // Nothing else of the agent's (sockets, files) may reach the zygote or its supervisors.
  posix_spawn_file_actions_addclosefrom_np(&actions, ZYGOTE_SOCKET_FD + 1);
  const char* argv[] = {supervisor_.c_str(), "--serve", nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, supervisor_.c_str(), &actions, nullptr,
                                    const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pair[1]);
  if (spawned != 0) {
    ::close(pair[0]);
    return "start " + supervisor_ + " --serve: " + std::strerror(spawned);
  }
  // A zygote that stops answering (stopped, wedged) must not hold the launch up forever.
  const timeval timeout{static_cast<time_t>(kTimeout.count()), 0};
  ::setsockopt(pair[0], SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  socket_ = pair[0];
  pid_ = pid;
  taken_ = false;  // a new zygote offers a spare by itself
  return "";
}

void ZygoteClient::stopLocked() {
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
  // It would exit at end of file, unless wedged; it holds nothing the supervisors need.
  // It is our child, so it is reaped here. A spare it offered is ours and stays.
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

void ZygoteClient::keepOffer(pid_t pid, const int* fds, int count) {
  // One spare at a time; one more (a zygote restarted meanwhile) exits as its socket closes.
  if (spare_.link >= 0) ::close(spare_.link);
  if (spare_.pidfd >= 0) ::close(spare_.pidfd);
  spare_ = Spare{};
  if (pid <= 0 || count < 1) {
    // An offer whose descriptors did not arrive (this process is out of them): the zygote
    // counts its spare as on offer until it hears otherwise.
    if (pid > 0) taken_ = true;
    return closeAll(fds, count);
  }
  spare_ = Spare{pid, count > 1 ? fds[1] : -1, fds[0]};
}

void ZygoteClient::collectOffersLocked() {
  if (socket_ < 0) return;
  for (;;) {
    zygote_message message{};
    int fds[2];
    int count = 0;
    if (receiveMessage(socket_, MSG_DONTWAIT, &message, fds, &count) !=
        static_cast<ssize_t>(sizeof(message))) {
      closeAll(fds, count);
      return;  // none waiting, or the zygote is gone (fork() restarts it)
    }
    if (message.kind == ZYGOTE_SPARE) {
      keepOffer(message.value, fds, count);
    } else {
      closeAll(fds, count);  // not sent unasked; ignored
    }
  }
}

std::optional<ZygoteClient::Supervisor> ZygoteClient::handToSpare(const std::string& dir,
                                                                  const std::string& cgroup,
                                                                  const int fds[4]) {
  // Before the spare is taken: out of memory here must not lose it.
  const std::string message = requestMessage(dir, cgroup);
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  collectOffersLocked();
  if (spare_.pid <= 0) return std::nullopt;
  const Spare spare = std::exchange(spare_, Spare{});
  taken_ = true;
  // It readied itself at idle priority; the launch waits for it now. Lowering it took no
  // privilege, raising it back takes CAP_SYS_NICE (the zygote lowers it only as root). By
  // pid, so only while its pidfd says it is alive: a dead spare's pid may be another
  // process's already. Without a pidfd it raises itself once it has the request.
  if (::geteuid() == 0 && spare.pidfd >= 0 &&
      ::syscall(SYS_pidfd_send_signal, spare.pidfd, 0, nullptr, 0) == 0) {
    sched_param param{};
    (void)::sched_setscheduler(spare.pid, SCHED_OTHER, &param);
  }
  const ssize_t sent =
      send_with_fds(spare.link, message.data(), message.size(), fds, 4, MSG_DONTWAIT);
  ::close(spare.link);
  if (sent != static_cast<ssize_t>(message.size())) {
    if (spare.pidfd >= 0) ::close(spare.pidfd);
    return std::nullopt;  // it died (killed, out of memory): fork() makes a supervisor
  }
  return Supervisor{spare.pid, spare.pidfd};
}

bool ZygoteClient::tellTakenLocked() {
  if (!taken_ || socket_ < 0) return true;
  if (send_with_fds(socket_, ZYGOTE_SPARE_TAKEN, sizeof(ZYGOTE_SPARE_TAKEN) - 1, nullptr, 0,
                    MSG_DONTWAIT) < 0) {
    return false;
  }
  taken_ = false;
  return true;
}

void ZygoteClient::tryReplenish() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (lock.owns_lock()) (void)tellTakenLocked();
}

void ZygoteClient::replenish() {
  std::lock_guard lock(mutex_);
  if (tellTakenLocked()) return;
  if (errno != EAGAIN) {
    // The zygote is gone (killed, or out of memory): a new one, which offers a spare of its
    // own, rather than a launch without one. One that cannot start is tried again by fork().
    stopLocked();
    (void)startLocked();
  }
  // EAGAIN: its socket is full; the next launch tells it.
}

std::optional<ZygoteClient::Supervisor> ZygoteClient::fork(const std::string& dir,
                                                           const std::string& cgroup,
                                                           const int fds[4], std::string* error) {
  const std::string message = requestMessage(dir, cgroup);
  std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (std::string failed = startLocked(); !failed.empty()) {
      *error = failed;
      return std::nullopt;
    }
    Supervisor supervisor;
    switch (exchange(message, fds, &supervisor, error)) {
      case Exchange::kForked:
        return supervisor;
      case Exchange::kRefused:
        return std::nullopt;
      case Exchange::kNotSent:
        // The zygote is gone (killed, or out of memory): a new one, once.
        stopLocked();
        continue;
      case Exchange::kNoAnswer:
        // It may have forked: asking another zygote could start a second supervisor.
        stopLocked();
        return std::nullopt;
    }
  }
  *error = "the supervisor zygote (" + supervisor_ + " --serve) exits as soon as it starts";
  return std::nullopt;
}

ZygoteClient::Exchange ZygoteClient::exchange(const std::string& message, const int fds[4],
                                              Supervisor* supervisor, std::string* error) {
  // EPIPE: gone; EAGAIN: wedged for kTimeout.
  if (send_with_fds(socket_, message.data(), message.size(), fds, 4, 0) < 0) {
    return Exchange::kNotSent;
  }
  for (;;) {
    zygote_message answer{};
    int received_fds[2];
    int count = 0;
    const ssize_t received = receiveMessage(socket_, 0, &answer, received_fds, &count);
    const int err = errno;
    if (received != static_cast<ssize_t>(sizeof(answer))) {
      closeAll(received_fds, count);
      *error = received < 0 && err == EAGAIN
                   ? "the supervisor zygote did not answer within " +
                         std::to_string(kTimeout.count()) + " s; it is restarted"
                   : "the supervisor zygote ended while forking a supervisor; it is restarted";
      return Exchange::kNoAnswer;
    }
    // A spare offered meanwhile is kept for the next launch.
    if (answer.kind == ZYGOTE_SPARE) {
      keepOffer(answer.value, received_fds, count);
      continue;
    }
    if (answer.kind != ZYGOTE_FORKED) {
      closeAll(received_fds, count);
      *error = "the supervisor zygote answered with a message of unknown kind " +
               std::to_string(answer.kind) + "; it is restarted";
      return Exchange::kNoAnswer;
    }
    if (answer.value <= 0) {
      closeAll(received_fds, count);
      *error = "the supervisor zygote could not fork: " + std::string(std::strerror(-answer.value));
      return Exchange::kRefused;
    }
    supervisor->pid = answer.value;
    supervisor->pidfd = count > 0 ? received_fds[0] : -1;
    closeAll(received_fds + 1, count > 1 ? count - 1 : 0);
    return Exchange::kForked;
  }
}

}  // namespace linux_launcher
