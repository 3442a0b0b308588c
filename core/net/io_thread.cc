#include "core/net/io_thread.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <thread>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

#include "core/net/strand_loop.h"

namespace berth::net {

namespace asio = boost::asio;

struct IoThread::Impl {
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::optional<StrandLoop> loop{std::in_place, io};
  std::atomic<bool> stopping{false};
  std::thread thread;
};

IoThread::IoThread(std::function<void()> on_start) : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([io = &impl_->io, on_start = std::move(on_start)] {
    if (on_start) on_start();
    io->run();
  });
}

IoThread::~IoThread() {
  stop();
  impl_->loop.reset();
}

void IoThread::stop() {
  if (impl_->stopping.exchange(true)) return;
  // Behind the tasks already posted: the watches end, whose waits would keep run() going;
  // then the work guard's end lets run() return.
  impl_->loop->close();
  impl_->loop->post([this] { impl_->work.reset(); });
  impl_->thread.join();
}

void IoThread::post(std::function<void()> task) {
  if (impl_->stopping) return;
  impl_->loop->post(std::move(task));
}

bool IoThread::inLoop() const {
  return impl_->loop->inLoop();
}

bool IoThread::closed() const {
  return impl_->loop->closed();
}

Status IoThread::watch(int fd, uint32_t events, Ready ready) {
  return impl_->loop->watch(fd, events, std::move(ready));
}

void IoThread::unwatch(int fd) {
  impl_->loop->unwatch(fd);
}

}  // namespace berth::net
