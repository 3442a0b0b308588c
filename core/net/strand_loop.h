// An EventLoop (core/common/event_loop.h) on a strand of an Asio io_context: its tasks and
// descriptor callbacks run one at a time on whichever of the context's threads runs the
// strand. HttpServer::executor() and IoThread are each one. Heavy (Asio): include it only
// from the .cc files of core/net that already use Asio.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <unordered_map>

#include "core/common/event_loop.h"

namespace berth::net {

class StrandLoop final : public EventLoop {
 public:
  explicit StrandLoop(boost::asio::io_context& io);
  // Stops the watches left; only once the context runs no more (tasks and callbacks still
  // queued are destroyed with it).
  ~StrandLoop() override;

  // Thread-safe. Behind the tasks posted so far: ends every watch, and refuses new ones
  // from then on (kUnavailable). For the owner of the context about to let it run out of
  // work: an outstanding wait would keep run() from returning.
  void close();
  StrandLoop(const StrandLoop&) = delete;
  StrandLoop& operator=(const StrandLoop&) = delete;

  void post(std::function<void()> task) override;
  bool inLoop() const override;
  bool closed() const override { return closed_; }
  Status watch(int fd, uint32_t events, Ready ready) override;
  void unwatch(int fd) override;

 private:
  struct Watch;
  void arm(const std::shared_ptr<Watch>& watch, uint32_t event);

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  // Touched in the loop only.
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::atomic<bool> closed_{false};  // set in the loop
  int probe_ = -1;  // an epoll instance of its own, to ask whether epoll takes a descriptor
};

}  // namespace berth::net
