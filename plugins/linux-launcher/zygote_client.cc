#include "zygote_client.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "supervisor.h"

extern char** environ;  // NOLINT: POSIX global

namespace linux_launcher {

ZygoteClient::ZygoteClient(std::string supervisor) : supervisor_(std::move(supervisor)) {}

ZygoteClient::~ZygoteClient() {
  std::lock_guard lock(mutex_);
  stopLocked();
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
  return "";
}

void ZygoteClient::stopLocked() {
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
  // It would exit at end of file, unless wedged; it holds nothing the supervisors need.
  // It is our child, so it is reaped here.
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

std::optional<ZygoteClient::Supervisor> ZygoteClient::fork(const std::string& dir,
                                                           const std::string& cgroup,
                                                           const int fds[4], std::string* error) {
  std::string message = dir;
  message.push_back('\0');
  message += cgroup;
  message.push_back('\0');
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
  union {
    char buffer[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control{};
  iovec iov{const_cast<char*>(message.data()), message.size()};
  msghdr request{};
  request.msg_iov = &iov;
  request.msg_iovlen = 1;
  request.msg_control = control.buffer;
  request.msg_controllen = sizeof(control.buffer);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&request);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(4 * sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), fds, 4 * sizeof(int));
  ssize_t sent;
  do {
    sent = ::sendmsg(socket_, &request, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Exchange::kNotSent;  // EPIPE: gone; EAGAIN: wedged for kTimeout

  int32_t result = 0;
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } answer_control{};
  iovec answer_iov{&result, sizeof(result)};
  msghdr answer{};
  answer.msg_iov = &answer_iov;
  answer.msg_iovlen = 1;
  answer.msg_control = answer_control.buffer;
  answer.msg_controllen = sizeof(answer_control.buffer);
  ssize_t received;
  do {
    received = ::recvmsg(socket_, &answer, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  const int err = errno;
  int pidfd = -1;
  if (received > 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&answer); c != nullptr; c = CMSG_NXTHDR(&answer, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
      }
    }
  }
  if (received != static_cast<ssize_t>(sizeof(result))) {
    if (pidfd >= 0) ::close(pidfd);
    *error = received < 0 && err == EAGAIN
                 ? "the supervisor zygote did not answer within " +
                       std::to_string(kTimeout.count()) + " s; it is restarted"
                 : "the supervisor zygote ended while forking a supervisor; it is restarted";
    return Exchange::kNoAnswer;
  }
  if (result <= 0) {
    if (pidfd >= 0) ::close(pidfd);
    *error = "the supervisor zygote could not fork: " + std::string(std::strerror(-result));
    return Exchange::kRefused;
  }
  supervisor->pid = result;
  supervisor->pidfd = pidfd;
  return Exchange::kForked;
}

}  // namespace linux_launcher
