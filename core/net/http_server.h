// The HTTP/1.1 server every Berth endpoint is served by (agent API, master API, metrics).
//
// One server owns a listening socket and a pool of I/O threads. Requests are routed by
// exact path to handlers; a handler answers through its Responder, either at once or later
// from any thread (long polls), or opens a chunked ResponseStream (RecordIO event streams).
// TLS, downgrade detection and every limit live here, so no endpoint can get them wrong.
//
//   HttpServer server(options, tls);          // tls may be null: plain HTTP
//   server.route("/health", [](Request request, Responder responder) {
//     responder.respond(Response::text(200));
//   });
//   if (Status s = server.start(); !s) die(s.error());
//   ... server.port() ...
//   server.stop();                            // also done by the destructor
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/common/event_loop.h"
#include "core/common/result.h"
#include "core/net/http_message.h"

namespace berth::net {

class TlsContext;

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal to bind
  uint16_t port = 0;                  // 0: any free port; see HttpServer::port()
  int threads = 1;                    // I/O threads; handlers run on them

  size_t max_header_bytes = 64 * 1024;                // request line + headers; else 431
  size_t max_body_bytes = 16 * 1024 * 1024;           // request body; else 413
  size_t max_stream_buffer_bytes = 16 * 1024 * 1024;  // unsent stream data; else stream closed

  // Reading one request, from the moment the server waits for it (idle keep-alive time
  // included) to its last body byte. Bounds slow or silent clients.
  std::chrono::milliseconds read_timeout{30'000};
  // Writing one response or one stream chunk to a client that stopped reading.
  std::chrono::milliseconds write_timeout{30'000};
  // TLS handshake, including the first bytes that tell TLS from plain text.
  std::chrono::milliseconds handshake_timeout{10'000};
  // stop(): how long in-flight requests may take to finish before connections are cut.
  std::chrono::milliseconds shutdown_grace{5'000};

  // Called first on each I/O thread, e.g. to set its scheduling. May be empty.
  std::function<void()> on_io_thread_start;
};

// A chunked response body that stays open while its owner writes to it. Every method may
// be called from any thread.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;

  // Queues `data` as one chunk. Returns false, and drops the data, once the stream is
  // closed: by close(), by the client going away, by a write error or timeout, or when more
  // than max_stream_buffer_bytes are waiting to be sent.
  virtual bool write(std::string data) = 0;
  // Sends the terminating chunk after the queued data and closes the connection.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  // Runs `callback` once when the stream closes for any reason (at once if it already
  // has), on an I/O thread; it must not block.
  virtual void onClose(std::function<void()> callback) = 0;
};

namespace detail {
class Exchange;
class ServerCore;
}  // namespace detail

// The right and the duty to answer one request. Move-only. Exactly one of respond() or
// startStream() takes effect; later calls are ignored. A Responder destroyed without
// answering sends "500 Internal Server Error", so a forgotten path never hangs a client.
class Responder {
 public:
  explicit Responder(std::shared_ptr<detail::Exchange> exchange);
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  // Sends a complete response. Any thread.
  void respond(Response response);
  // Sends the status and headers of a chunked response and returns its body stream. The
  // connection closes when the stream does. Any thread.
  std::shared_ptr<ResponseStream> startStream(int status, Headers headers);

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

// Handles one request. Runs on an I/O thread, possibly several at once when
// ServerOptions::threads > 1: it must not block; slow work answers later.
using Handler = std::function<void(Request request, Responder responder)>;

class HttpServer {
 public:
  // `tls` null: plain HTTP. Otherwise every connection is TLS, except that with
  // SUPPORT_DOWNGRADE plain-text clients are also accepted on the same port.
  HttpServer(ServerOptions options, std::shared_ptr<const TlsContext> tls);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `path` (exact match, query ignored) with `handler`. Only before start().
  void route(std::string path, Handler handler);

  // Binds, listens and starts the I/O threads. Fails if the address cannot be bound.
  Status start();

  // The bound port; valid after a successful start().
  uint16_t port() const;

  // Stops accepting, lets requests in flight finish for up to shutdown_grace, closes open
  // streams, then closes every connection and joins the threads. Idempotent.
  void stop();

  // Connections currently open (for tests and metrics).
  size_t connectionCount() const;

  // Runs tasks on the I/O threads, one at a time and in order (not in order with the
  // handlers, unless options.threads is 1), from start() until stop(); tasks posted before
  // start() wait for it. Lives as long as this server.
  // Descriptors can be watched in it (EventLoop), by tasks it runs.
  EventLoop& executor();

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace berth::net
