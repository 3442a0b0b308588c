// Internal to core/net: the Asio side of TlsContext. Including this pulls in Asio and
// OpenSSL headers, so only the few translation units that do I/O include it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>
#include <utility>  // Boost 1.74 Asio misses this include under GCC 12 in C++20 mode.

#include "core/common/result.h"
#include "core/net/tls_context.h"

namespace berth::net {

struct TlsContext::Impl {
  TlsConfig config;
  // Incoming connections: presents our certificate; verifies clients only with
  // REQUIRE_CLIENT_CERT.
  boost::asio::ssl::context server{boost::asio::ssl::context::tls_server};
  // Outgoing connections: presents our certificate when asked; verifies servers only with
  // VERIFY_SERVER_CERT.
  boost::asio::ssl::context client{boost::asio::ssl::context::tls_client};
};

// Prepares one outgoing TLS connection (an SSL* from ssl::stream::native_handle()) for
// `host`: SNI for DNS names and, with VERIFY_SERVER_CERT, the RFC 6125 name check that
// OpenSSL runs inside the handshake. Connecting to an IP address with verification on
// needs VERIFY_IPADD, as in Mesos; otherwise this fails.
Status configureClientSession(const TlsConfig& config, void* ssl, const std::string& host);

// The last OpenSSL error queue entry as text, or `fallback` when the queue is empty.
std::string opensslErrorText(const std::string& fallback);

}  // namespace berth::net
