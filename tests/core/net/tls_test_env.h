// Shared by the TLS tests: one set of certificates per test program, and a server that
// answers GET /ping with "pong" under a TLS environment given as a map.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "core/net/http_server.h"
#include "core/net/tls_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace berth::net::testing {

using Env = std::map<std::string, std::string>;

// Everything is issued once, into one temporary directory, on first use.
struct TestPki {
  berth::testing::TempDir dir;
  std::unique_ptr<berth::testing::TestCa> ca;
  std::unique_ptr<berth::testing::TestCa> other_ca;
  berth::testing::IssuedCert server;      // localhost, 127.0.0.1; from `ca`
  berth::testing::IssuedCert wrong_host;  // wrong.example.org only; from `ca`
  berth::testing::IssuedCert client;      // valid client; from `ca`
  berth::testing::IssuedCert untrusted;   // client from `other_ca`
  berth::testing::IssuedCert expired;     // client from `ca`, expired yesterday

  // Issued on first use; the directory goes when the test program exits.
  static const TestPki& get();

 private:
  TestPki();
};

// The TLS context for a variable map; fails the test on error.
std::shared_ptr<const TlsContext> tlsContext(const Env& env);

// A started server on 127.0.0.1, any port, with /ping.
std::unique_ptr<HttpServer> startPingServer(std::shared_ptr<const TlsContext> tls,
                                            ServerOptions options = {});

}  // namespace berth::net::testing
