// A bare TCP connection to a local port, for tests that must send what no well-behaved
// client would: malformed requests, oversized headers, silence, garbage on a TLS port.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; throws on failure.
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends all of `data`; returns false if the peer has closed.
  bool send(std::string_view data);

  // Reads until the peer closes the connection or `timeout` passes; returns what arrived.
  std::string readUntilClosed(std::chrono::milliseconds timeout);
  // Reads until `marker` has arrived, the peer closes, or `timeout` passes.
  std::string readUntil(std::string_view marker, std::chrono::milliseconds timeout);

  // Whether the peer closed the connection (seen by a read returning 0 or an error).
  bool closedByPeer() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

}  // namespace berth::testing
