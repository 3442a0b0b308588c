#include "core/net/strand_loop.h"

#include <glog/logging.h>
#include <sys/stat.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

namespace berth::net {

namespace asio = boost::asio;

struct StrandLoop::Watch {
  Watch(asio::io_context& io, int fd, Ready ready) : descriptor(io), ready(std::move(ready)) {
    descriptor.assign(fd);
  }
  asio::posix::stream_descriptor descriptor;
  Ready ready;
  bool active = true;
};

StrandLoop::StrandLoop(asio::io_context& io) : io_(io), strand_(asio::make_strand(io)) {}

StrandLoop::~StrandLoop() {
  for (auto& [fd, watch] : watches_) {
    watch->active = false;
    watch->descriptor.release();
  }
}

void StrandLoop::close() {
  post([this] {
    closed_ = true;
    for (auto& [fd, watch] : watches_) {
      watch->active = false;
      watch->descriptor.release();
    }
    watches_.clear();
  });
}

void StrandLoop::post(std::function<void()> task) {
  asio::post(strand_, std::move(task));
}

bool StrandLoop::inLoop() const {
  return strand_.running_in_this_thread();
}

Status StrandLoop::watch(int fd, uint32_t events, Ready ready) {
  CHECK(inLoop()) << "EventLoop::watch() outside its loop";
  const std::string what = "watch descriptor " + std::to_string(fd);
  if (fd < 0 || (events & (kReadable | kWritable)) == 0 || !ready) {
    return Error(ErrorCode::kInvalidArgument,
                 what + ": needs a descriptor, events to wait for and a callback");
  }
  if (closed_) return Error(ErrorCode::kUnavailable, what + ": the event loop is stopping");
  if (watches_.count(fd) != 0) {
    return Error(ErrorCode::kAlreadyExists, what + ": it is watched already");
  }
  // epoll refuses regular files and directories (EPERM), which are always ready anyway.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errnoError(what, errno);
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    return Error(ErrorCode::kUnavailable, what + ": a file is always ready, there is no waiting");
  }
  std::shared_ptr<Watch> watch;
  try {
    watch = std::make_shared<Watch>(io_, fd, std::move(ready));
  } catch (const boost::system::system_error& e) {
    return Error(ErrorCode::kUnavailable, what + ": " + e.code().message());
  }
  watches_[fd] = watch;
  if ((events & kReadable) != 0) arm(watch, kReadable);
  if ((events & kWritable) != 0) arm(watch, kWritable);
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
  it->second->active = false;
  // Deregisters it from epoll and ends its waits (operation_aborted); the descriptor stays
  // open, its owner's.
  it->second->descriptor.release();
  watches_.erase(it);
}

}  // namespace berth::net
