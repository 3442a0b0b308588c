// The TLS policy matrix, with our own client and server on loopback:
//   VERIFY_SERVER_CERT (client) x REQUIRE_CLIENT_CERT (server)
//   x client certificate {none, valid, untrusted CA, expired}
//   x how the server is named {right name, wrong name, IP without VERIFY_IPADD, IP with it}
//   x SUPPORT_DOWNGRADE on the server.
// The expected outcome of each cell comes from the rules in tls_config.h, written out
// independently of the implementation in expectedOutcome() below.

#include <gtest/gtest.h>

#include "core/net/http_client.h"
#include "tests/core/net/tls_test_env.h"
#include "tests/support/raw_connection.h"

namespace berth::net::testing {
namespace {

using namespace std::chrono_literals;

enum class ClientCert { kNone, kValid, kUntrusted, kExpired };
enum class ServerName { kRight, kWrong, kIpWithoutVerifyIpadd, kIpWithVerifyIpadd };
enum class Outcome { kOk, kClientRefusesToConnect, kServerCertRejected, kClientCertRejected };

struct Cell {
  bool verify_server_cert;
  bool require_client_cert;
  ClientCert client_cert;
  ServerName name;
  bool downgrade;
};

Outcome expectedOutcome(const Cell& c) {
  // The client checks its own settings before connecting, then the server's certificate
  // during the handshake; the server judges the client's certificate last.
  if (c.verify_server_cert && c.name == ServerName::kIpWithoutVerifyIpadd) {
    return Outcome::kClientRefusesToConnect;
  }
  if (c.verify_server_cert && c.name == ServerName::kWrong) return Outcome::kServerCertRejected;
  if (c.require_client_cert && c.client_cert != ClientCert::kValid) {
    return Outcome::kClientCertRejected;
  }
  return Outcome::kOk;
}

std::string describe(const Cell& c) {
  static const char* certs[] = {"NoClientCert", "ValidClientCert", "UntrustedClientCert",
                                "ExpiredClientCert"};
  static const char* names[] = {"RightName", "WrongName", "IpNoVerifyIpadd", "IpVerifyIpadd"};
  return std::string(c.verify_server_cert ? "Verify" : "NoVerify") +
         (c.require_client_cert ? "_Require_" : "_NoRequire_") +
         certs[static_cast<int>(c.client_cert)] + "_" + names[static_cast<int>(c.name)] +
         (c.downgrade ? "_Downgrade" : "_NoDowngrade");
}

class TlsMatrixTest : public ::testing::TestWithParam<Cell> {};

TEST_P(TlsMatrixTest, ConnectsOrFailsAsThePolicySays) {
  const Cell cell = GetParam();
  const TestPki& pki = TestPki::get();

  const auto& server_cert = cell.name == ServerName::kWrong ? pki.wrong_host : pki.server;
  auto server = startPingServer(tlsContext({
      {"BERTH_SSL_ENABLED", "true"},
      {"BERTH_SSL_CERT_FILE", server_cert.cert_file},
      {"BERTH_SSL_KEY_FILE", server_cert.key_file},
      {"BERTH_SSL_CA_FILE", pki.ca->caFile()},
      {"BERTH_SSL_REQUIRE_CLIENT_CERT", cell.require_client_cert ? "true" : "false"},
      {"BERTH_SSL_SUPPORT_DOWNGRADE", cell.downgrade ? "true" : "false"},
  }));
  ASSERT_TRUE(server);

  Env client_env = {
      {"BERTH_SSL_ENABLED", "true"},
      {"BERTH_SSL_CA_FILE", pki.ca->caFile()},
      {"BERTH_SSL_VERIFY_SERVER_CERT", cell.verify_server_cert ? "true" : "false"},
      {"BERTH_SSL_VERIFY_IPADD", cell.name == ServerName::kIpWithVerifyIpadd ? "true" : "false"},
  };
  const berth::testing::IssuedCert* client_cert = nullptr;
  if (cell.client_cert == ClientCert::kValid) client_cert = &pki.client;
  if (cell.client_cert == ClientCert::kUntrusted) client_cert = &pki.untrusted;
  if (cell.client_cert == ClientCert::kExpired) client_cert = &pki.expired;
  if (client_cert != nullptr) {
    client_env["BERTH_SSL_CERT_FILE"] = client_cert->cert_file;
    client_env["BERTH_SSL_KEY_FILE"] = client_cert->key_file;
  }
  auto client_tls = tlsContext(client_env);
  ASSERT_TRUE(client_tls);

  const bool by_ip =
      cell.name == ServerName::kIpWithoutVerifyIpadd || cell.name == ServerName::kIpWithVerifyIpadd;
  const std::string url = std::string("https://") + (by_ip ? "127.0.0.1" : "localhost") + ":" +
                          std::to_string(server->port());

  Result<Response> result = Error(ErrorCode::kInternal, "not run");
  auto client = HttpClient::connect(url, {.tls = client_tls, .timeout = 5s});
  if (client) {
    Request ping;
    ping.method = "GET";
    ping.target = "/ping";
    result = (*client)->send(ping);
  } else {
    result = client.error();
  }

  switch (expectedOutcome(cell)) {
    case Outcome::kOk:
      ASSERT_TRUE(result) << result.error().message();
      EXPECT_EQ(result->status, 200);
      EXPECT_EQ(result->body, "pong");
      break;
    case Outcome::kClientRefusesToConnect:
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument) << result.error().message();
      EXPECT_NE(result.error().message().find("IP address verification is disabled"),
                std::string::npos)
          << result.error().message();
      EXPECT_EQ(server->connectionCount(), 0u) << "no connection should have been attempted";
      break;
    case Outcome::kServerCertRejected:
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code(), ErrorCode::kPermissionDenied) << result.error().message();
      EXPECT_NE(result.error().message().find("was rejected: hostname mismatch"), std::string::npos)
          << result.error().message();
      break;
    case Outcome::kClientCertRejected:
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code(), ErrorCode::kPermissionDenied) << result.error().message();
      EXPECT_NE(result.error().message().find("refused by the server"), std::string::npos)
          << result.error().message();
      break;
  }
}

std::vector<Cell> allCells() {
  std::vector<Cell> cells;
  for (bool verify : {false, true}) {
    for (bool require : {false, true}) {
      for (ClientCert cert :
           {ClientCert::kNone, ClientCert::kValid, ClientCert::kUntrusted, ClientCert::kExpired}) {
        for (ServerName name :
             {ServerName::kRight, ServerName::kWrong, ServerName::kIpWithoutVerifyIpadd,
              ServerName::kIpWithVerifyIpadd}) {
          for (bool downgrade : {false, true}) {
            cells.push_back({verify, require, cert, name, downgrade});
          }
        }
      }
    }
  }
  return cells;
}

INSTANTIATE_TEST_SUITE_P(AllCells, TlsMatrixTest, ::testing::ValuesIn(allCells()),
                         [](const ::testing::TestParamInfo<Cell>& param_info) {
                           return describe(param_info.param);
                         });

// A client speaking plain HTTP to a TLS port: served only with SUPPORT_DOWNGRADE, whatever
// REQUIRE_CLIENT_CERT says (which is why downgrade with verification logs a warning).
class TlsDowngradeTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(TlsDowngradeTest, PlainClient) {
  const auto [require, downgrade] = GetParam();
  const TestPki& pki = TestPki::get();
  auto server = startPingServer(tlsContext({
      {"BERTH_SSL_ENABLED", "true"},
      {"BERTH_SSL_CERT_FILE", pki.server.cert_file},
      {"BERTH_SSL_KEY_FILE", pki.server.key_file},
      {"BERTH_SSL_CA_FILE", pki.ca->caFile()},
      {"BERTH_SSL_REQUIRE_CLIENT_CERT", require ? "true" : "false"},
      {"BERTH_SSL_SUPPORT_DOWNGRADE", downgrade ? "true" : "false"},
  }));
  auto client =
      HttpClient::connect("http://127.0.0.1:" + std::to_string(server->port()), {.timeout = 5s});
  ASSERT_TRUE(client);
  Request ping;
  ping.method = "GET";
  ping.target = "/ping";
  auto result = (*client)->send(ping);
  if (downgrade) {
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->body, "pong");
  } else {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable) << result.error().message();
  }
}

INSTANTIATE_TEST_SUITE_P(RequireXDowngrade, TlsDowngradeTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<bool, bool>>& param_info) {
                           return std::string(std::get<0>(param_info.param) ? "Require"
                                                                            : "NoRequire") +
                                  (std::get<1>(param_info.param) ? "_Downgrade" : "_NoDowngrade");
                         });

}  // namespace
}  // namespace berth::net::testing
