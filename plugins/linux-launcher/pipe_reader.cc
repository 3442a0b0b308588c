#include "pipe_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace linux_launcher {

namespace {

// Reads what `fd` has (a read costs several microseconds on a virtual machine: never a
// byte at a time). False at its end or on an error; true with nothing read when a
// non-blocking descriptor has nothing after all.
bool readSome(int fd, std::string* text) {
  char chunk[512];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    text->append(chunk, static_cast<size_t>(n));
    return true;
  }
}

}  // namespace

PipeReader::PipeReader(const berth_host* host, WorkerPool& workers)
    : host_(host), workers_(workers) {}

PipeReader::~PipeReader() {
  stop();
}

void PipeReader::read(int fd, std::string text, bool plugin_thread, Enough enough, Done done) {
  if (enough(text)) return done(std::move(text), End::kEnough, plugin_thread);
  if (stopping_) return done(std::move(text), End::kStopped, plugin_thread);
  if (plugin_thread && BERTH_HOST_HAS(host_, watch_fd) && BERTH_HOST_HAS(host_, unwatch_fd) &&
      watches_.count(fd) == 0) {
    auto watch = std::make_unique<Watch>(
        Watch{this, fd, std::move(text), std::move(enough), std::move(done)});
    if (host_->watch_fd(host_, fd, BERTH_FD_READABLE, &PipeReader::onReady, watch.get()) ==
        BERTH_OK) {
      watches_[fd] = std::move(watch);
      return;
    }
    // Refused (an older host, no event loop, a descriptor it cannot watch): a worker waits.
    text = std::move(watch->text);
    enough = std::move(watch->enough);
    done = std::move(watch->done);
  }
  readOnWorker(fd, std::move(text), std::move(enough), std::move(done));
}

void PipeReader::onReady(void* context, int32_t fd, berth_fd_events) {
  Watch& watch = *static_cast<Watch*>(context);
  PipeReader& reader = *watch.reader;
  // Nothing may be thrown into the host (a `done` out of threads or memory): logged; the
  // operation it would have completed fails as dropped (berth/cpp/operation.h).
  try {
    // Level-triggered: what one read leaves, the next call takes.
    if (!readSome(fd, &watch.text)) return reader.finish(fd, End::kClosed);
    if (watch.enough(watch.text)) reader.finish(fd, End::kEnough);
  } catch (const std::exception& e) {
    reader.host_->log(reader.host_, BERTH_LOG_ERROR,
                      ("reading descriptor " + std::to_string(fd) + ": " + e.what()).c_str());
  }
}

void PipeReader::finish(int fd, End end) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  std::unique_ptr<Watch> watch = std::move(it->second);
  watches_.erase(it);
  // Before `done`, which may close the descriptor.
  host_->unwatch_fd(host_, fd);
  watch->done(std::move(watch->text), end, true);
}

void PipeReader::readOnWorker(int fd, std::string text, Enough enough, Done done) {
  workers_.run([this, fd, text = std::move(text), enough = std::move(enough),
                done = std::move(done)]() mutable {
    End end = End::kStopped;
    while (!stopping_) {
      // Woken now and then to see whether the launcher is stopping.
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (!readSome(fd, &text)) {
        end = End::kClosed;
        break;
      }
      if (enough(text)) {
        end = End::kEnough;
        break;
      }
    }
    done(std::move(text), end, false);
  });
}

void PipeReader::stop() {
  stopping_ = true;
  while (!watches_.empty())
    finish(watches_.begin()->first, End::kStopped);
}

}  // namespace linux_launcher
