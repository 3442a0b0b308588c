// A blocking HTTP/1.1 client over one keep-alive connection, plain or TLS.
//
// Used by tools, tests and the agent's link to the master. Each call blocks the calling
// thread until the response arrives or the deadline passes; one HttpClient must not be
// used by two threads at once. TLS follows the process's TlsContext: the server's
// certificate and name are verified only with VERIFY_SERVER_CERT (see tls_config.h).
//
//   auto client = HttpClient::connect("https://master.example:5050", {.tls = tls});
//   if (!client) return client.error();
//   auto response = (*client)->send(request);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/result.h"
#include "core/net/http_message.h"

namespace berth::net {

class TlsContext;

// scheme://host:port/target, scheme http or https. IPv6 hosts in brackets.
struct Url {
  std::string scheme;
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string target = "/";

  // Fails, quoting the text, on anything but http(s) with a host; the port defaults to
  // 80/443.
  static Result<Url> parse(std::string_view text);
};

struct ClientOptions {
  // Required for https URLs: the process's TLS context.
  std::shared_ptr<const TlsContext> tls;
  // Connect + TLS handshake, and each send() from write to last byte; for stream(), the
  // longest silence between two pieces of the body.
  std::chrono::milliseconds timeout{30'000};
  size_t max_body_bytes = 64 * 1024 * 1024;
};

// Failures say what failed and where. Their codes:
//   kUnavailable       the server cannot be reached, or closed the connection;
//   kTimeout           the deadline passed;
//   kPermissionDenied  TLS trust failed: the server's certificate was rejected by us, or
//                      ours (or its absence) by the server;
//   kInvalidArgument   the URL or the TLS settings cannot work (an IP address with
//                      VERIFY_SERVER_CERT but without VERIFY_IPADD, https without TLS).
class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> connect(std::string_view base_url,
                                                     ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (method, target, headers, body; Host and Content-Length are filled in)
  // and reads the whole response. If the server had closed the idle keep-alive connection,
  // reconnects once and resends.
  Result<Response> send(const Request& request);

  // Like send(), but hands each piece of a chunked body to `on_data` as it arrives;
  // returning false from it stops reading and closes the connection. The returned
  // Response carries status and headers; its body holds a non-chunked body.
  Result<Response> stream(const Request& request,
                          const std::function<bool(std::string_view data)>& on_data);

  // What the peer presented during the TLS handshake, for tests and diagnostics: the
  // negotiated protocol ("TLSv1.3"), empty for plain connections.
  std::string tlsProtocol() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::net
