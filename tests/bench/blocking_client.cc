#include "tests/bench/blocking_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

namespace berth::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A connected socket as Beast's synchronous stream: each read_some one readv(2), each
// write_some one sendmsg(2), blocking, a receive timing out by SO_RCVTIMEO. Not Asio's
// blocking tcp::socket: its synchronous receive answers EAGAIN by polling without a
// timeout, which would wait forever for an agent that never answers.
class FdStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}

  template <class Buffers>
  size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    std::array<iovec, 16> iov;
    const size_t n = gather(buffers, iov);
    for (;;) {
      const ssize_t got = ::readv(fd_, iov.data(), static_cast<int>(n));
      if (got > 0) {
        ec = {};
        return static_cast<size_t>(got);
      }
      if (got < 0 && errno == EINTR) continue;
      ec = got == 0 ? beast::error_code(asio::error::eof)
           : errno == EAGAIN || errno == EWOULDBLOCK
               ? beast::error_code(beast::error::timeout)
               : beast::error_code(errno, beast::system_category());
      return 0;
    }
  }

  template <class Buffers>
  size_t write_some(const Buffers& buffers, beast::error_code& ec) {
    std::array<iovec, 16> iov;
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = gather(buffers, iov);
    for (;;) {
      const ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
      if (sent >= 0) {
        ec = {};
        return static_cast<size_t>(sent);
      }
      if (errno == EINTR) continue;
      ec = beast::error_code(errno, beast::system_category());
      return 0;
    }
  }

  // The throwing forms Beast's stream concepts ask for.
  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return read_some(buffers, ec); });
  }
  template <class Buffers>
  size_t write_some(const Buffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  template <class Op>
  static size_t orThrow(const Op& op) {
    beast::error_code ec;
    const size_t n = op(ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

  template <class Buffers>
  static size_t gather(const Buffers& buffers, std::array<iovec, 16>& iov) {
    size_t n = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && n < iov.size(); ++it) {
      const auto buffer = *it;
      iov[n++] = {const_cast<void*>(static_cast<const void*>(buffer.data())), buffer.size()};
    }
    return n;
  }

  int fd_;
};

}  // namespace

std::unique_ptr<BlockingClient> BlockingClient::connect(uint16_t port,
                                                        std::chrono::seconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  const timeval wait{.tv_sec = static_cast<time_t>(timeout.count()), .tv_usec = 0};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<BlockingClient>(new BlockingClient(fd));
}

BlockingClient::~BlockingClient() {
  if (fd_ >= 0) ::close(fd_);
}

void BlockingClient::fail() {
  ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

int BlockingClient::post(const std::string& json, std::string* body) {
  if (fd_ < 0) {
    *body = "the connection was closed after an earlier failure";
    return -1;
  }
  http::request<http::string_body> request{http::verb::post, "/api/v1", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  request.body() = json;
  request.prepare_payload();
  FdStream stream(fd_);
  beast::error_code ec;
  http::write(stream, request, ec);
  if (ec) {
    *body = "send: " + ec.message();
    fail();
    return -1;
  }
  // Room for a whole answer in one receive: the agent's are a few hundred bytes.
  beast::flat_buffer buffer;
  buffer.reserve(std::max<size_t>(4096, pending_.size()));
  buffer.commit(asio::buffer_copy(buffer.prepare(pending_.size()), asio::buffer(pending_)));
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  if (ec) {
    *body = "receive: " + ec.message();
    fail();  // a late answer must not pass for the next call's
    return -1;
  }
  pending_ = beast::buffers_to_string(buffer.data());
  *body = std::move(response.body());
  return static_cast<int>(response.result_int());
}

}  // namespace berth::bench
