// The launch benchmark's HTTP client: plain HTTP/1.1 over one keep-alive TCP connection,
// each call one send and, once the answer is there, one receive, in the calling thread.
//
// The benchmark's client shares the machine's two CPUs with the containers it times, as a
// framework on another host would not, so it does as little as a client can: the process
// that times crun or the floor only waits in waitpid(2). core/net's HttpClient runs each
// call on an event loop (for its TLS and deadlines), seven system calls where this makes
// two, and the launches it timed measured 1.02 of these (docs/benchmarks.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace berth::bench {

class BlockingClient {
 public:
  // Connects to 127.0.0.1:`port`; null if that fails. Each receive gives up after
  // `timeout` without a byte, failing the call.
  static std::unique_ptr<BlockingClient> connect(uint16_t port, std::chrono::seconds timeout);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // POSTs `json` to /api/v1 (Content-Type: application/json) and reads the answer: its
  // status, or -1 when the connection failed or timed out (`*body` then says why). After
  // a failure the connection is closed, and every later call fails.
  int post(const std::string& json, std::string* body);

 private:
  explicit BlockingClient(int fd) : fd_(fd) {}
  void fail();           // closes the connection
  int fd_;               // -1 once closed
  std::string pending_;  // bytes received past the last answer (none, from a server that
                         // answers one request at a time)
};

}  // namespace berth::bench
