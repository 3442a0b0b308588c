#include "core/net/strand_loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

namespace berth::net {

namespace asio = boost::asio;

struct StrandLoop::Watch {
  Watch(asio::io_context& io, Ready ready, int flags)
      : descriptor(io), ready(std::move(ready)), flags(flags) {}
  // Ends the waits and deregisters the descriptor from epoll, leaving it open (it is its
  // owner's), with the flags it had: Asio makes a descriptor non-blocking once it waits.
  void end() {
    active = false;
    const int fd = descriptor.release();
    if (fd >= 0 && (flags & O_NONBLOCK) == 0) (void)::fcntl(fd, F_SETFL, flags);
  }
  asio::posix::stream_descriptor descriptor;
  Ready ready;
  const int flags;  // its file status flags before the watch
  bool active = true;
};

StrandLoop::StrandLoop(asio::io_context& io)
    : io_(io), strand_(asio::make_strand(io)), probe_(::epoll_create1(EPOLL_CLOEXEC)) {}

StrandLoop::~StrandLoop() {
  for (auto& [fd, watch] : watches_)
    watch->end();
  if (probe_ >= 0) ::close(probe_);
}

void StrandLoop::close() {
  post([this] {
    for (auto& [fd, watch] : watches_)
      watch->end();
    watches_.clear();
    // Only now: closed() lets other threads unwatch, which must find nothing left to race.
    closed_ = true;
  });
}

void StrandLoop::post(std::function<void()> task) {
  asio::post(strand_, std::move(task));
}

bool StrandLoop::inLoop() const {
  return strand_.running_in_this_thread();
}

Status StrandLoop::watch(int fd, uint32_t events, Ready ready) {
  const std::string what = "watch descriptor " + std::to_string(fd);
  if (closed_) return Error(ErrorCode::kUnavailable, what + ": the event loop has stopped");
  if (!inLoop()) {
    return Error(ErrorCode::kFailedPrecondition, what + ": called outside the event loop");
  }
  if (fd < 0 || (events & (kReadable | kWritable)) == 0 || !ready) {
    return Error(ErrorCode::kInvalidArgument,
                 what + ": needs a descriptor, events to wait for and a callback");
  }
  if (watches_.count(fd) != 0) {
    return Error(ErrorCode::kAlreadyExists, what + ": it is watched already");
  }
  struct stat st {};
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fstat(fd, &st) != 0) {
    return Error(ErrorCode::kInvalidArgument, what + ": " + std::strerror(errno));
  }
  // Asio takes epoll's refusal (EPERM: regular files, directories, /dev/null) quietly and
  // fails the first wait instead. Pipes and sockets, which it always takes, skip the
  // question, which costs two system calls.
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
    epoll_event probe{};
    probe.events = EPOLLIN;
    if (probe_ < 0 || ::epoll_ctl(probe_, EPOLL_CTL_ADD, fd, &probe) != 0) {
      return Error(ErrorCode::kUnavailable,
                   what + ": epoll cannot wait for it: " + std::strerror(errno));
    }
    ::epoll_ctl(probe_, EPOLL_CTL_DEL, fd, nullptr);
  }
  std::shared_ptr<Watch> watch;
  try {
    watch = std::make_shared<Watch>(io_, std::move(ready), flags);
    watch->descriptor.assign(fd);
  } catch (const std::exception& e) {
    // Not assigned, so not closed by the descriptor's destructor.
    return Error(ErrorCode::kUnavailable, what + ": " + e.what());
  }
  try {
    watches_[fd] = watch;
    if ((events & kReadable) != 0) arm(watch, kReadable);
    if ((events & kWritable) != 0) arm(watch, kWritable);
  } catch (const std::exception& e) {
    watch->end();
    watches_.erase(fd);
    return Error(ErrorCode::kUnavailable, what + ": " + e.what());
  }
  return okStatus();
}

void StrandLoop::arm(const std::shared_ptr<Watch>& watch, uint32_t event) {
  // Each async_wait re-registers the descriptor with epoll (EPOLL_CTL_MOD), which reports
  // it again if it is still ready: Asio's edge-triggered reactor gives level-triggered
  // waits this way, which is what the contract promises.
  const auto type = event == kReadable ? asio::posix::stream_descriptor::wait_read
                                       : asio::posix::stream_descriptor::wait_write;
  watch->descriptor.async_wait(
      type, asio::bind_executor(strand_, [this, watch, event](boost::system::error_code ec) {
        if (!watch->active || ec == asio::error::operation_aborted) return;
        // Any other error (the descriptor closed under the watch, against the contract):
        // reported as ready once, so that the owner's read finds it, and not waited on
        // again, which would spin.
        watch->ready(event);
        if (watch->active && !ec) arm(watch, event);
      }));
}

void StrandLoop::unwatch(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  it->second->end();
  watches_.erase(it);
}

}  // namespace berth::net
