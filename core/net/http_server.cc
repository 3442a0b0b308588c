// The server side of the transport: accept loop, TLS and downgrade detection, the HTTP/1.1
// session state machine, chunked streams and graceful shutdown.
//
// Threading: every connection runs on its own strand, so a session's state is touched by
// one thread at a time; Responder and ResponseStream calls from other threads are posted
// onto that strand. The registry of live connections is the only state shared between
// strands and is guarded by a mutex.

#include "core/net/http_server.h"

#include <glog/logging.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.
#include <vector>

#include "core/net/strand_loop.h"
#include "core/net/tls_context_impl.h"

namespace berth::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

namespace detail {

// Anything the server must be able to wind down on stop(): sessions and the short-lived
// objects that sniff for TLS.
class Connection {
 public:
  virtual ~Connection() = default;
  // Finish what is in flight, then close.
  virtual void shutdown() = 0;
  // Close now.
  virtual void forceClose() = 0;
};

// What a Responder and a ResponseStream talk to. `seq` names the request an answer belongs
// to, so that a late answer to an earlier request on a keep-alive connection is dropped.
class SessionBase : public Connection {
 public:
  virtual void respond(uint64_t seq, Response response) = 0;
  virtual std::shared_ptr<ResponseStream> startStream(uint64_t seq, int status,
                                                      Headers headers) = 0;
  virtual void queueChunk(std::string data) = 0;
  virtual void finishStream() = 0;
};

class Exchange {
 public:
  Exchange(std::shared_ptr<SessionBase> session, uint64_t seq)
      : session_(std::move(session)), seq_(seq) {}

  // True exactly once: for the first answer.
  bool claim() { return !answered_.exchange(true); }
  SessionBase& session() { return *session_; }
  uint64_t seq() const { return seq_; }

 private:
  std::shared_ptr<SessionBase> session_;
  uint64_t seq_;
  std::atomic<bool> answered_{false};
};

// The producer's handle on a chunked response. Holds the session while open; the session
// calls markClosed() when the stream ends for any reason, which drops that reference and
// breaks the cycle.
class StreamState final : public ResponseStream {
 public:
  StreamState(std::shared_ptr<SessionBase> session, size_t max_buffered)
      : session_(std::move(session)), max_buffered_(max_buffered) {}

  bool write(std::string data) override {
    std::shared_ptr<SessionBase> session;
    bool overflow = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || closing_) return false;
      session = session_;
      if (buffered_ + data.size() > max_buffered_) {
        closing_ = true;
        overflow = true;
      } else {
        buffered_ += data.size();
      }
    }
    if (overflow) {
      LOG(WARNING) << "closing a response stream: its client is more than " << max_buffered_
                   << " bytes behind";
      session->forceClose();
      return false;
    }
    session->queueChunk(std::move(data));
    return true;
  }

  void close() override {
    std::shared_ptr<SessionBase> session;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || closing_) return;
      closing_ = true;
      session = session_;
    }
    session->finishStream();
  }

  bool closed() const override {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  void onClose(std::function<void()> callback) override {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    callback();
  }

  // Called by the session, on its strand, as chunks leave.
  void sent(size_t bytes) {
    std::lock_guard lock(mutex_);
    buffered_ -= std::min(bytes, buffered_);
  }

  void markClosed() {
    std::vector<std::function<void()>> callbacks;
    std::shared_ptr<SessionBase> session;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      callbacks.swap(callbacks_);
      session.swap(session_);
    }
    for (auto& callback : callbacks)
      callback();
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<SessionBase> session_;
  const size_t max_buffered_;
  size_t buffered_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  std::vector<std::function<void()>> callbacks_;
};

// The answer to a second startStream() on the same Responder: already closed.
class ClosedStream final : public ResponseStream {
 public:
  bool write(std::string) override { return false; }
  void close() override {}
  bool closed() const override { return true; }
  void onClose(std::function<void()> callback) override { callback(); }
};

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(ServerOptions options, std::shared_ptr<const TlsContext> tls)
      : options(std::move(options)), tls(std::move(tls)) {}

  const ServerOptions options;
  const std::shared_ptr<const TlsContext> tls;
  std::map<std::string, Handler> routes;

  void dispatch(Request request, Responder responder) {
    auto route = routes.find(request.path);
    if (route == routes.end()) {
      responder.respond(Response::text(404, "No endpoint at '" + request.path + "'"));
      return;
    }
    try {
      route->second(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      // The responder, if the handler still held it, answers 500 as it unwinds.
      LOG(ERROR) << "handler for '" << route->first << "' threw: " << e.what();
    }
  }

  void add(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex);
    connections.emplace(connection.get(), connection);
  }

  void remove(Connection* connection) {
    std::lock_guard lock(mutex);
    connections.erase(connection);
    if (connections.empty()) drained.notify_all();
  }

  std::vector<std::shared_ptr<Connection>> liveConnections() {
    std::vector<std::shared_ptr<Connection>> live;
    std::lock_guard lock(mutex);
    for (auto& [raw, weak] : connections) {
      if (auto strong = weak.lock()) live.push_back(std::move(strong));
    }
    return live;
  }

  void accept();

  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  std::condition_variable drained;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

  // Declared last so that it is destroyed first: destroying queued handlers may destroy
  // sessions, which unregister from the members above.
  asio::io_context io{1};
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // HttpServer::executor(): a strand, so that its tasks run one at a time whatever the
  // number of I/O threads.
  StrandLoop tasks{io};
};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, SslStream>;

  template <class... StreamArgs>
  Session(std::shared_ptr<ServerCore> core, beast::flat_buffer buffer, std::string peer,
          StreamArgs&&... stream_args)
      : core_(std::move(core)),
        options_(core_->options),
        stream_(std::forward<StreamArgs>(stream_args)...),
        buffer_(std::move(buffer)),
        peer_(std::move(peer)) {}

  ~Session() override {
    if (stream_state_) stream_state_->markClosed();
    core_->remove(this);
  }

  void start() {
    core_->add(this->shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  // --- Connection -------------------------------------------------------------------

  void shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->shutting_down_ = true;
      switch (self->phase_) {
        case Phase::kHandshake:
        case Phase::kReading:
          self->abort();
          break;
        case Phase::kStreaming:
          self->doFinishStream();
          break;
        case Phase::kHandling:  // answered, then closed: keep_alive is off from now on
        case Phase::kWriting:
        case Phase::kClosed:
          break;
      }
    });
  }

  void forceClose() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->abort(); });
  }

  // --- SessionBase ------------------------------------------------------------------

  void respond(uint64_t seq, Response response) override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this(), seq, response = std::move(response)]() mutable {
                 self->doRespond(seq, std::move(response));
               });
  }

  std::shared_ptr<ResponseStream> startStream(uint64_t seq, int status, Headers headers) override {
    auto stream =
        std::make_shared<StreamState>(this->shared_from_this(), options_.max_stream_buffer_bytes);
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), seq, status,
                                        headers = std::move(headers), stream]() mutable {
      self->doStartStream(seq, status, std::move(headers), std::move(stream));
    });
    return stream;
  }

  void queueChunk(std::string data) override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this(), data = std::move(data)]() mutable {
                 if (self->phase_ != Phase::kStreaming) return;
                 self->pending_chunks_.push_back(std::move(data));
                 self->pumpStream();
               });
  }

  void finishStream() override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this()] { self->doFinishStream(); });
  }

 private:
  enum class Phase { kHandshake, kReading, kHandling, kWriting, kStreaming, kClosed };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      lowest().expires_after(options_.handshake_timeout);
      // Bytes already read while sniffing for TLS are handed to the handshake.
      stream_.async_handshake(
          asio::ssl::stream_base::server, buffer_.data(),
          beast::bind_front_handler(&Session::onHandshake, this->shared_from_this()));
    } else {
      readRequest();
    }
  }

  void onHandshake(beast::error_code ec, size_t used) {
    if (ec) {
      if (!shutting_down_)
        LOG(WARNING) << "TLS handshake with " << peer_ << " failed: " << ec.message();
      return abort();
    }
    buffer_.consume(used);
    readRequest();
  }

  void readRequest() {
    if (shutting_down_) return closeGracefully();
    phase_ = Phase::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    lowest().expires_after(options_.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::onHeader, this->shared_from_this()));
  }

  void onHeader(beast::error_code ec, size_t) {
    if (ec) return onReadError(ec);
    const auto& header = parser_->get();
    // curl and others wait for this before sending a larger body.
    if (!parser_->is_done() && beast::iequals(header[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, header.version());
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](beast::error_code write_ec, size_t) {
                          self->continue_.reset();
                          if (write_ec) return self->abort();
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    if (parser_->is_done()) return handleRequest();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->onReadError(ec);
                       self->handleRequest();
                     });
  }

  void onReadError(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return sendError(431, "Request header fields exceed " +
                                std::to_string(options_.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
      return sendError(
          413, "Request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    }
    // A parse error is the client's fault and worth telling it; a closed, reset or
    // timed-out connection has nobody left to tell.
    if (ec.category() == beast::error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return sendError(400, "Malformed HTTP request: " + ec.message());
    }
    abort();
  }

  void handleRequest() {
    phase_ = Phase::kHandling;
    lowest().expires_never();
    http::request<http::string_body> message = parser_->release();
    parser_.reset();

    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.keep_alive = message.keep_alive();
    request.peer = peer_;
    request.secure = kTls;
    keep_alive_ = request.keep_alive;
    http_version_ = message.version();

    auto exchange = std::make_shared<Exchange>(this->shared_from_this(), ++seq_);
    core_->dispatch(std::move(request), Responder(std::move(exchange)));
  }

  void sendError(int status, std::string message) {
    phase_ = Phase::kHandling;
    keep_alive_ = false;
    doRespond(seq_, Response::text(status, std::move(message)));
  }

  void doRespond(uint64_t seq, Response response) {
    if (seq != seq_ || phase_ != Phase::kHandling) return;
    phase_ = Phase::kWriting;
    keep_alive_ = keep_alive_ && !shutting_down_;

    auto message = std::make_unique<http::response<http::string_body>>(
        static_cast<http::status>(response.status), http_version_);
    for (const auto& [name, value] : response.headers)
      message->insert(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive_);
    message->prepare_payload();
    response_ = std::move(message);

    lowest().expires_after(options_.write_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->response_.reset();
                        if (ec) return self->abort();
                        if (self->keep_alive_ && !self->shutting_down_) return self->readRequest();
                        self->closeGracefully();
                      });
  }

  // --- Streams ----------------------------------------------------------------------

  void doStartStream(uint64_t seq, int status, Headers headers,
                     std::shared_ptr<StreamState> stream) {
    if (seq != seq_ || phase_ != Phase::kHandling) return stream->markClosed();
    phase_ = Phase::kStreaming;
    stream_state_ = std::move(stream);

    stream_header_.emplace(static_cast<http::status>(status), http_version_);
    for (const auto& [name, value] : headers)
      stream_header_->insert(name, value);
    stream_header_->chunked(true);
    stream_header_->keep_alive(false);
    serializer_.emplace(*stream_header_);

    writing_ = true;
    lowest().expires_after(options_.write_timeout);
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->writing_ = false;
                               if (ec) return self->abort();
                               self->watchPeer();
                               self->pumpStream();
                             });
  }

  // While streaming, a read is kept pending so that a client going away is noticed even
  // when there is nothing to write.
  void watchPeer() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->abort();
                              self->watchPeer();
                            });
  }

  void pumpStream() {
    if (writing_ || phase_ != Phase::kStreaming || !serializer_ || !serializer_->is_header_done()) {
      return;
    }
    if (!pending_chunks_.empty()) {
      writing_ = true;
      current_chunk_ = std::move(pending_chunks_.front());
      pending_chunks_.pop_front();
      lowest().expires_after(options_.write_timeout);
      asio::async_write(stream_, http::make_chunk(asio::buffer(current_chunk_)),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          if (ec) return self->abort();
                          self->stream_state_->sent(self->current_chunk_.size());
                          self->current_chunk_.clear();
                          self->pumpStream();
                        });
    } else if (finish_requested_) {
      writing_ = true;
      lowest().expires_after(options_.write_timeout);
      asio::async_write(stream_, http::make_chunk_last(),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          if (ec) return self->abort();
                          self->closeGracefully();
                        });
    }
  }

  void doFinishStream() {
    if (phase_ != Phase::kStreaming) return;
    finish_requested_ = true;
    pumpStream();
  }

  // --- Closing ----------------------------------------------------------------------

  void closeStreamState() {
    if (stream_state_) {
      stream_state_->markClosed();
      stream_state_.reset();
    }
  }

  void closeGracefully() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    closeStreamState();
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().close();
    }
  }

  void abort() {
    phase_ = Phase::kClosed;
    closeStreamState();
    lowest().close();
  }

  std::shared_ptr<ServerCore> core_;
  const ServerOptions& options_;
  Stream stream_;
  beast::flat_buffer buffer_;
  const std::string peer_;

  Phase phase_ = Phase::kReading;
  bool keep_alive_ = false;
  bool shutting_down_ = false;
  unsigned http_version_ = 11;
  uint64_t seq_ = 0;

  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::unique_ptr<http::response<http::string_body>> response_;

  std::shared_ptr<StreamState> stream_state_;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::deque<std::string> pending_chunks_;
  std::string current_chunk_;
  bool writing_ = false;
  bool finish_requested_ = false;
  std::array<char, 512> scratch_{};
};

// With SUPPORT_DOWNGRADE, looks at the first bytes of a connection to tell a TLS
// ClientHello from plain text, then hands the connection (and those bytes) to a session
// of the right kind.
class Detector final : public Connection, public std::enable_shared_from_this<Detector> {
 public:
  Detector(std::shared_ptr<ServerCore> core, beast::tcp_stream stream, std::string peer)
      : core_(std::move(core)), stream_(std::move(stream)), peer_(std::move(peer)) {}
  ~Detector() override { core_->remove(this); }

  void start() {
    core_->add(shared_from_this());
    stream_.expires_after(core_->options.handshake_timeout);
    beast::async_detect_ssl(stream_, buffer_,
                            beast::bind_front_handler(&Detector::onDetect, shared_from_this()));
  }

  void shutdown() override { forceClose(); }
  void forceClose() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }

 private:
  void onDetect(beast::error_code ec, bool is_tls) {
    if (ec || core_->stopping) return stream_.close();
    if (is_tls) {
      std::make_shared<Session<SslStream>>(core_, std::move(buffer_), peer_, std::move(stream_),
                                           core_->tls->impl().server)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(core_, std::move(buffer_), peer_,
                                                   std::move(stream_))
          ->start();
    }
  }

  std::shared_ptr<ServerCore> core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const std::string peer_;
};

void ServerCore::accept() {
  acceptor->async_accept(
      asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopping || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Typically EMFILE: back off briefly instead of spinning on the error.
          LOG(WARNING) << "accept failed: " << ec.message();
          self->accept_retry->expires_after(std::chrono::milliseconds(50));
          self->accept_retry->async_wait([self](beast::error_code wait_ec) {
            if (!wait_ec) self->accept();
          });
          return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        const auto endpoint = socket.remote_endpoint(ignored);
        std::string peer = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
        beast::tcp_stream stream(std::move(socket));
        if (!self->tls) {
          std::make_shared<Session<beast::tcp_stream>>(self, beast::flat_buffer(), std::move(peer),
                                                       std::move(stream))
              ->start();
        } else if (self->tls->config().support_downgrade) {
          std::make_shared<Detector>(self, std::move(stream), std::move(peer))->start();
        } else {
          std::make_shared<Session<SslStream>>(self, beast::flat_buffer(), std::move(peer),
                                               std::move(stream), self->tls->impl().server)
              ->start();
        }
        self->accept();
      });
}

}  // namespace detail

// --- Responder ----------------------------------------------------------------------

Responder::Responder(std::shared_ptr<detail::Exchange> exchange) : exchange_(std::move(exchange)) {}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    Responder dropped(std::move(*this));
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

Responder::~Responder() {
  if (exchange_ && exchange_->claim()) {
    exchange_->session().respond(exchange_->seq(),
                                 Response::text(500, "The request was dropped by its handler"));
  }
}

void Responder::respond(Response response) {
  if (exchange_ && exchange_->claim()) {
    exchange_->session().respond(exchange_->seq(), std::move(response));
  }
}

std::shared_ptr<ResponseStream> Responder::startStream(int status, Headers headers) {
  if (!exchange_ || !exchange_->claim()) return std::make_shared<detail::ClosedStream>();
  return exchange_->session().startStream(exchange_->seq(), status, std::move(headers));
}

// --- HttpServer ---------------------------------------------------------------------

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<const TlsContext> tls)
    : core_(std::make_shared<detail::ServerCore>(std::move(options), std::move(tls))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::route(std::string path, Handler handler) {
  CHECK(!core_->acceptor) << "HttpServer::route() after start()";
  core_->routes[std::move(path)] = std::move(handler);
}

Status HttpServer::start() {
  auto& core = *core_;
  CHECK(!core.acceptor) << "HttpServer::start() twice";
  if (core.tls && core.tls->config().cert_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 core.tls->config().variableFor("CERT_FILE") +
                     ": TLS is enabled but no certificate is set; a server needs one");
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(core.options.address, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "'" + core.options.address + "' is not an IP address: " + ec.message());
  }
  const tcp::endpoint endpoint(address, core.options.port);
  const std::string where = core.options.address + ":" + std::to_string(core.options.port);

  core.acceptor.emplace(asio::make_strand(core.io));
  core.accept_retry.emplace(core.acceptor->get_executor());
  auto& acceptor = *core.acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    core.acceptor.reset();
    return Error(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  core.work.emplace(core.io.get_executor());
  core.accept();
  const int threads = std::max(1, core.options.threads);
  for (int i = 0; i < threads; ++i) {
    core.threads.emplace_back([&core] {
      if (core.options.on_io_thread_start) core.options.on_io_thread_start();
      core.io.run();
    });
  }
  return okStatus();
}

EventLoop& HttpServer::executor() {
  return core_->tasks;
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return core_->acceptor ? core_->acceptor->local_endpoint(ec).port() : 0;
}

size_t HttpServer::connectionCount() const {
  std::lock_guard lock(core_->mutex);
  return core_->connections.size();
}

void HttpServer::stop() {
  auto& core = *core_;
  if (!core.acceptor || core.stopping.exchange(true)) return;

  asio::post(core.acceptor->get_executor(), [&core] {
    beast::error_code ignored;
    core.acceptor->close(ignored);
    core.accept_retry->cancel();
  });
  for (auto& connection : core.liveConnections())
    connection->shutdown();
  {
    std::unique_lock lock(core.mutex);
    core.drained.wait_for(lock, core.options.shutdown_grace,
                          [&core] { return core.connections.empty(); });
  }
  for (auto& connection : core.liveConnections())
    connection->forceClose();

  // With the acceptor and every socket closed and no descriptor watched, run() returns
  // once the last completion handler has run, which also releases every session those
  // handlers held.
  core.tasks.close();
  core.work.reset();
  for (auto& thread : core.threads)
    thread.join();
  core.threads.clear();
}

}  // namespace berth::net
