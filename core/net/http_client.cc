// The client side of the transport. Blocking calls are built from Asio's asynchronous
// operations run on a private io_context in the caller's thread, because only the
// asynchronous forms can be bounded by a deadline.

#include "core/net/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <optional>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

#include "core/net/tls_context_impl.h"

namespace berth::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

Result<Url> Url::parse(std::string_view text) {
  const auto invalid = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "invalid URL '" + std::string(text) + "': " + why);
  };
  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return invalid("expected http:// or https://");
  url.scheme = std::string(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return invalid("unsupported scheme '" + url.scheme + "'");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) url.target = std::string(rest.substr(slash));

  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return invalid("no host");
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return invalid("bad port '" + std::string(port_text) + "'");
    }
    url.port = static_cast<uint16_t>(value);
  }
  return url;
}

struct HttpClient::Impl {
  Url url;
  ClientOptions options;
  std::string where;  // "host:port", for messages

  asio::io_context io{1};
  std::optional<beast::tcp_stream> plain;
  std::optional<SslStream> tls;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void close() {
    if (tls) beast::get_lowest_layer(*tls).close();
    if (plain) plain->close();
    tls.reset();
    plain.reset();
    buffer.clear();
    connected = false;
  }

  // Runs the loop until `done` is set by a completion handler or `deadline` passes. On
  // timeout `cancel` aborts the operation and its handler is still run to completion,
  // so nothing refers to this frame's locals afterwards.
  bool runUntil(const bool& done, Clock::time_point deadline, const std::function<void()>& cancel) {
    io.restart();
    while (!done && io.run_one_until(deadline) > 0) {
    }
    if (done) return true;
    cancel();
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    return false;
  }

  Error timeoutError(const std::string& what) const {
    return Error(ErrorCode::kTimeout, what + " " + where + " timed out after " +
                                          std::to_string(options.timeout.count()) + " ms");
  }

  Status connect() {
    close();
    const Clock::time_point deadline = Clock::now() + options.timeout;
    const bool https = url.scheme == "https";
    if (https) {
      if (!options.tls) {
        return Error(ErrorCode::kInvalidArgument, "cannot connect to https://" + where +
                                                      ": TLS is not enabled (BERTH_SSL_ENABLED)");
      }
      tls.emplace(io, options.tls->impl().client);
      // Name checks are armed before the first byte is sent.
      if (Status s = configureClientSession(options.tls->config(), tls->native_handle(), url.host);
          !s) {
        close();
        return s;
      }
    } else {
      plain.emplace(io);
    }

    bool done = false;
    beast::error_code ec;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             done = true;
                           });
    if (!runUntil(done, deadline, [&] { resolver.cancel(); })) {
      close();
      return timeoutError("resolving");
    }
    if (ec) {
      close();
      return Error(ErrorCode::kUnavailable, "cannot resolve '" + url.host + "': " + ec.message());
    }

    done = false;
    lowest().async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!runUntil(done, deadline, [&] { lowest().close(); })) {
      close();
      return timeoutError("connecting to");
    }
    if (ec) {
      close();
      return Error(ErrorCode::kUnavailable, "cannot connect to " + where + ": " + ec.message());
    }
    lowest().socket().set_option(tcp::no_delay(true), ec);

    if (https) {
      done = false;
      tls->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
      if (!runUntil(done, deadline, [&] { lowest().close(); })) {
        close();
        return timeoutError("TLS handshake with");
      }
      if (ec) {
        Error error = handshakeError(ec);
        close();
        return error;
      }
    }
    connected = true;
    return okStatus();
  }

  Error handshakeError(const beast::error_code& ec) {
    if (options.tls->config().verify_server_cert) {
      const long result = SSL_get_verify_result(tls->native_handle());
      if (result != X509_V_OK) {
        return Error(ErrorCode::kPermissionDenied,
                     "TLS: the certificate of " + where +
                         " was rejected: " + X509_verify_cert_error_string(result));
      }
    }
    return ioError("TLS handshake with", ec);
  }

  Error ioError(const std::string& what, const beast::error_code& ec) const {
    if (ec == beast::error::timeout) return timeoutError(what);
    if (ec.category() == asio::error::get_ssl_category() &&
        ec.message().find("alert") != std::string::npos) {
      // The peer sent a TLS alert: with TLS 1.3 this is how a server that rejects our
      // certificate (or its absence) answers, after our side of the handshake is done.
      return Error(ErrorCode::kPermissionDenied,
                   what + " " + where + ": refused by the server: " + ec.message());
    }
    return Error(ErrorCode::kUnavailable, what + " " + where + ": " + ec.message());
  }

  template <class Fn>
  void withStream(Fn&& fn) {
    if (tls) {
      fn(*tls);
    } else {
      fn(*plain);
    }
  }

  // One request/response on the current connection. `fresh` is set when the failure
  // happened before any byte of a response arrived, so the request may be resent.
  Result<Response> once(const Request& request,
                        const std::function<bool(std::string_view)>* on_data, bool& fresh) {
    fresh = false;
    http::request<http::string_body> message;
    message.version(11);
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      message.method_string(request.method);
    } else {
      message.method(verb);
    }
    message.target(request.target.empty() ? "/" : request.target);
    for (const auto& [name, value] : request.headers)
      message.insert(name, value);
    if (!request.headers.contains("Host")) {
      const bool ipv6 = url.host.find(':') != std::string::npos;
      message.set(http::field::host,
                  (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
    }
    message.body() = request.body;
    message.keep_alive(true);
    message.prepare_payload();

    bool done = false;
    beast::error_code ec;
    lowest().expires_after(options.timeout);
    withStream([&](auto& stream) {
      http::async_write(stream, message, [&](beast::error_code e, size_t) {
        ec = e;
        done = true;
      });
    });
    const Clock::time_point far = Clock::now() + options.timeout + std::chrono::seconds(1);
    runUntil(done, far, [&] { lowest().close(); });
    if (ec) {
      fresh = true;
      connected = false;
      return ioError("sending to", ec);
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    bool stopped_by_caller = false;
    auto on_chunk = [&](uint64_t, beast::string_view data, beast::error_code& chunk_ec) {
      // Every piece of the body restarts the silence timer.
      lowest().expires_after(options.timeout);
      if (!(*on_data)(std::string_view(data.data(), data.size()))) {
        stopped_by_caller = true;
        chunk_ec = asio::error::operation_aborted;
      }
      return data.size();
    };
    if (on_data != nullptr) parser.on_chunk_body(on_chunk);
    done = false;
    lowest().expires_after(options.timeout);
    withStream([&](auto& stream) {
      http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) {
        ec = e;
        done = true;
      });
    });
    // The stream's own timer bounds the read; the loop needs no deadline of its own.
    runUntil(done, Clock::time_point::max(), [&] { lowest().close(); });
    if (stopped_by_caller) {
      close();
      Response partial;
      partial.status = static_cast<int>(parser.get().result_int());
      for (const auto& field : parser.get()) {
        partial.headers.add(std::string(field.name_string()), std::string(field.value()));
      }
      return partial;
    }
    if (ec) {
      fresh = !parser.got_some();
      close();
      if (ec == http::error::body_limit) {
        return Error(ErrorCode::kIo, "the response from " + where + " exceeds " +
                                         std::to_string(options.max_body_bytes) + " bytes");
      }
      return ioError("reading from", ec);
    }

    auto& received = parser.get();
    Response response;
    response.status = static_cast<int>(received.result_int());
    for (const auto& field : received) {
      response.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(received.body());
    if (!received.keep_alive()) close();
    return response;
  }

  Result<Response> exchange(const Request& request,
                            const std::function<bool(std::string_view)>* on_data) {
    const bool reused = connected;
    if (!connected) {
      if (Status s = connect(); !s) return s.error();
    }
    bool fresh = false;
    auto result = once(request, on_data, fresh);
    // A keep-alive connection the server closed while idle fails before any byte of the
    // response; that, and only that, is safe to retry on a new connection.
    if (!result && reused && fresh && result.error().code() == ErrorCode::kUnavailable) {
      if (Status s = connect(); !s) return s.error();
      result = once(request, on_data, fresh);
    }
    return result;
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::connect(std::string_view base_url,
                                                        ClientOptions options) {
  auto url = Url::parse(base_url);
  if (!url) return url.error();
  auto impl = std::make_unique<Impl>();
  impl->url = std::move(*url);
  impl->options = std::move(options);
  impl->where = impl->url.host + ":" + std::to_string(impl->url.port);
  if (Status s = impl->connect(); !s) return s.error();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  impl_->close();
}

Result<Response> HttpClient::send(const Request& request) {
  return impl_->exchange(request, nullptr);
}

Result<Response> HttpClient::stream(const Request& request,
                                    const std::function<bool(std::string_view)>& on_data) {
  return impl_->exchange(request, &on_data);
}

std::string HttpClient::tlsProtocol() const {
  if (!impl_->tls) return "";
  return SSL_get_version(impl_->tls->native_handle());
}

}  // namespace berth::net
