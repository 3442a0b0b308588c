// TLS behaviour outside the policy matrix: loading and rejecting settings, hostile input
// on the TLS port, protocol switches, and real `curl` and `openssl s_client` clients.

#include <gtest/gtest.h>

#include <fstream>

#include "core/net/http_client.h"
#include "tests/core/net/tls_test_env.h"
#include "tests/support/raw_connection.h"
#include "tests/support/subprocess.h"

namespace berth::net::testing {
namespace {

using namespace std::chrono_literals;
using berth::testing::haveProgram;
using berth::testing::RawConnection;
using berth::testing::runProcess;

Env serverEnv(const berth::testing::IssuedCert& cert = TestPki::get().server) {
  return {{"BERTH_SSL_ENABLED", "true"},
          {"BERTH_SSL_CERT_FILE", cert.cert_file},
          {"BERTH_SSL_KEY_FILE", cert.key_file},
          {"BERTH_SSL_CA_FILE", TestPki::get().ca->caFile()}};
}

Env verifyingClientEnv() {
  return {{"BERTH_SSL_ENABLED", "true"},
          {"BERTH_SSL_CA_FILE", TestPki::get().ca->caFile()},
          {"BERTH_SSL_VERIFY_SERVER_CERT", "true"}};
}

Result<Response> ping(const std::string& url, std::shared_ptr<const TlsContext> tls) {
  auto client = HttpClient::connect(url, {.tls = std::move(tls), .timeout = 5s});
  if (!client) return client.error();
  Request request;
  request.method = "GET";
  request.target = "/ping";
  return (*client)->send(request);
}

std::string createError(const Env& env) {
  auto config = TlsConfig::fromEnvironment(Environment(env));
  if (!config) return config.error().message();
  auto context = TlsContext::create(*config);
  return context ? "" : context.error().message();
}

// --- Settings that must stop a process at start ---------------------------------------

TEST(TlsContextTest, MissingFilesNameTheVariable) {
  Env env = serverEnv();
  env["BERTH_SSL_KEY_FILE"] = "/nonexistent/key.pem";
  EXPECT_EQ(createError(env),
            "BERTH_SSL_KEY_FILE: cannot read '/nonexistent/key.pem': No such file or directory");

  env = serverEnv();
  env.erase("BERTH_SSL_CA_FILE");
  env["LIBPROCESS_SSL_CA_FILE"] = "/nonexistent/ca.pem";
  EXPECT_EQ(createError(env),
            "LIBPROCESS_SSL_CA_FILE: cannot read '/nonexistent/ca.pem': No such file or directory");

  env = serverEnv();
  env["BERTH_SSL_CA_DIR"] = TestPki::get().ca->caFile();
  EXPECT_NE(createError(env).find("BERTH_SSL_CA_DIR: '"), std::string::npos);
}

TEST(TlsContextTest, KeyNotMatchingCertificate) {
  Env env = serverEnv();
  env["BERTH_SSL_KEY_FILE"] = TestPki::get().client.key_file;
  const std::string error = createError(env);
  EXPECT_NE(error.find("BERTH_SSL_KEY_FILE: the key in"), std::string::npos) << error;
  EXPECT_NE(error.find("does not match the certificate"), std::string::npos) << error;
}

TEST(TlsContextTest, FilesThatAreNotPem) {
  berth::testing::TempDir dir;
  berth::testing::writeFile(dir.file("junk"), "this is not a certificate\n");
  Env env = serverEnv();
  env["BERTH_SSL_CERT_FILE"] = dir.file("junk");
  EXPECT_NE(createError(env).find("BERTH_SSL_CERT_FILE: '" + dir.file("junk") +
                                  "' is not a PEM certificate"),
            std::string::npos);
  env = serverEnv();
  env["BERTH_SSL_CA_FILE"] = dir.file("junk");
  EXPECT_NE(createError(env).find("BERTH_SSL_CA_FILE: cannot load trusted CAs"), std::string::npos)
      << createError(env);
}

TEST(TlsContextTest, CipherListOpenSslRejects) {
  Env env = serverEnv();
  env["BERTH_SSL_CIPHERS"] = "NO-SUCH-CIPHER";
  EXPECT_NE(createError(env).find("BERTH_SSL_CIPHERS: OpenSSL accepts none of 'NO-SUCH-CIPHER'"),
            std::string::npos)
      << createError(env);
}

TEST(TlsContextTest, ServerWithoutCertificateRefusesToStart) {
  auto tls = tlsContext({{"BERTH_SSL_ENABLED", "true"}});
  ASSERT_TRUE(tls);
  HttpServer server({}, tls);
  Status started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message(),
            "BERTH_SSL_CERT_FILE: TLS is enabled but no certificate is set; a server needs one");
}

TEST(TlsContextTest, HttpsWithoutTlsIsRefused) {
  auto result = HttpClient::connect("https://localhost:1", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("TLS is not enabled"), std::string::npos);
}

// --- Hostile input ------------------------------------------------------------------

TEST(TlsServerTest, GarbageAndSilenceDoNotStopOthersBeingServed) {
  ServerOptions options;
  options.handshake_timeout = 300ms;
  auto server = startPingServer(tlsContext(serverEnv()), options);
  const std::string url = "https://localhost:" + std::to_string(server->port());

  RawConnection silent(server->port());
  RawConnection garbage(server->port());
  std::string noise(2048, '\0');
  for (size_t i = 0; i < noise.size(); ++i)
    noise[i] = static_cast<char>((i * 7919) & 0xff);
  garbage.send(noise);
  RawConnection plain(server->port());
  plain.send("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");

  auto result = ping(url, tlsContext(verifyingClientEnv()));
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->body, "pong");

  garbage.readUntilClosed(5s);
  EXPECT_TRUE(garbage.closedByPeer());
  EXPECT_EQ(plain.readUntilClosed(5s).find("pong"), std::string::npos);
  EXPECT_TRUE(plain.closedByPeer());
  silent.readUntilClosed(5s);
  EXPECT_TRUE(silent.closedByPeer()) << "a client that never starts its handshake is cut off";

  auto again = ping(url, tlsContext(verifyingClientEnv()));
  ASSERT_TRUE(again) << again.error().message();
}

TEST(TlsServerTest, DowngradeServerCutsOffSilentClients) {
  ServerOptions options;
  options.handshake_timeout = 300ms;
  Env env = serverEnv();
  env["BERTH_SSL_SUPPORT_DOWNGRADE"] = "true";
  auto server = startPingServer(tlsContext(env), options);
  RawConnection silent(server->port());
  silent.readUntilClosed(5s);
  EXPECT_TRUE(silent.closedByPeer());
}

// --- Protocol switches ----------------------------------------------------------------

TEST(TlsServerTest, NegotiatesTls13ByDefaultAnd12WhenAsked) {
  auto server = startPingServer(tlsContext(serverEnv()));
  const std::string url = "https://localhost:" + std::to_string(server->port());
  auto client = HttpClient::connect(url, {.tls = tlsContext(verifyingClientEnv())});
  ASSERT_TRUE(client);
  EXPECT_EQ((*client)->tlsProtocol(), "TLSv1.3");

  Env only12 = serverEnv();
  only12["BERTH_SSL_ENABLE_TLS_V1_3"] = "false";
  auto server12 = startPingServer(tlsContext(only12));
  auto client12 = HttpClient::connect("https://localhost:" + std::to_string(server12->port()),
                                      {.tls = tlsContext(verifyingClientEnv())});
  ASSERT_TRUE(client12);
  EXPECT_EQ((*client12)->tlsProtocol(), "TLSv1.2");
}

TEST(TlsServerTest, NoCommonProtocolFails) {
  Env only13 = serverEnv();
  only13["BERTH_SSL_ENABLE_TLS_V1_2"] = "false";
  auto server = startPingServer(tlsContext(only13));
  Env client12 = verifyingClientEnv();
  client12["BERTH_SSL_ENABLE_TLS_V1_3"] = "false";
  auto result = ping("https://localhost:" + std::to_string(server->port()), tlsContext(client12));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("TLS handshake with localhost"), std::string::npos)
      << result.error().message();
}

TEST(TlsServerTest, ExpiredServerCertificateIsRejectedWhenVerifying) {
  const TestPki& pki = TestPki::get();
  berth::testing::TempDir dir;
  berth::testing::TestCa ca(dir.path().string(), "expiry");
  auto expired_server = ca.issue("srv", {.common_name = "localhost",
                                         .dns_names = {"localhost"},
                                         .valid_from_days = -10,
                                         .valid_until_days = -1});
  auto server = startPingServer(tlsContext(serverEnv(expired_server)));
  Env client = verifyingClientEnv();
  client["BERTH_SSL_CA_FILE"] = ca.caFile();
  auto result = ping("https://localhost:" + std::to_string(server->port()), tlsContext(client));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(result.error().message().find("certificate has expired"), std::string::npos)
      << result.error().message();
  (void)pki;
}

// --- Real clients ---------------------------------------------------------------------

class RealClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveProgram("curl") || !haveProgram("openssl")) {
      GTEST_SKIP() << "curl and openssl are needed (scripts/install-deps.sh installs them)";
    }
  }
};

TEST_F(RealClientTest, CurlVerifiesTheServerByNameAndByIp) {
  const TestPki& pki = TestPki::get();
  auto server = startPingServer(tlsContext(serverEnv()));
  const std::string port = std::to_string(server->port());

  auto by_name = runProcess(
      {"curl", "-sS", "--cacert", pki.ca->caFile(), "https://localhost:" + port + "/ping"});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, "pong");

  auto by_ip = runProcess(
      {"curl", "-sS", "--cacert", pki.ca->caFile(), "https://127.0.0.1:" + port + "/ping"});
  EXPECT_EQ(by_ip.exit_code, 0) << by_ip.err;
  EXPECT_EQ(by_ip.out, "pong");
}

TEST_F(RealClientTest, CurlRejectsAServerWithTheWrongName) {
  const TestPki& pki = TestPki::get();
  auto server = startPingServer(tlsContext(serverEnv(pki.wrong_host)));
  auto result = runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(),
                            "https://localhost:" + std::to_string(server->port()) + "/ping"});
  EXPECT_EQ(result.exit_code, 60) << result.err;  // CURLE_PEER_FAILED_VERIFICATION
  EXPECT_EQ(result.out, "");
}

TEST_F(RealClientTest, CurlClientCertificatesAgainstRequireClientCert) {
  const TestPki& pki = TestPki::get();
  Env env = serverEnv();
  env["BERTH_SSL_REQUIRE_CLIENT_CERT"] = "true";
  auto server = startPingServer(tlsContext(env));
  const std::string url = "https://localhost:" + std::to_string(server->port()) + "/ping";

  auto valid = runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(), "--cert",
                           pki.client.cert_file, "--key", pki.client.key_file, url});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_EQ(valid.out, "pong");

  for (const auto* cert : {&pki.untrusted, &pki.expired}) {
    auto refused = runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(), "--cert",
                               cert->cert_file, "--key", cert->key_file, url});
    EXPECT_NE(refused.exit_code, 0) << cert->cert_file;
    EXPECT_EQ(refused.out, "") << cert->cert_file;
  }
  auto none = runProcess({"curl", "-sS", "--cacert", pki.ca->caFile(), url});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_NE(none.err.find("alert certificate required"), std::string::npos) << none.err;
}

TEST_F(RealClientTest, CurlPlainHttpOnlyWithDowngrade) {
  for (bool downgrade : {false, true}) {
    Env env = serverEnv();
    env["BERTH_SSL_SUPPORT_DOWNGRADE"] = downgrade ? "true" : "false";
    auto server = startPingServer(tlsContext(env));
    auto result = runProcess({"curl", "-sS", "--max-time", "5",
                              "http://127.0.0.1:" + std::to_string(server->port()) + "/ping"});
    if (downgrade) {
      EXPECT_EQ(result.exit_code, 0) << result.err;
      EXPECT_EQ(result.out, "pong");
    } else {
      EXPECT_NE(result.exit_code, 0);
      EXPECT_EQ(result.out, "");
    }
  }
}

TEST_F(RealClientTest, OpensslSClientChecksTheHostname) {
  const TestPki& pki = TestPki::get();
  const std::string request = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  for (bool wrong : {false, true}) {
    auto server = startPingServer(tlsContext(serverEnv(wrong ? pki.wrong_host : pki.server)));
    auto result = runProcess(
        {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server->port()),
         "-servername", "localhost", "-verify_hostname", "localhost", "-CAfile", pki.ca->caFile(),
         "-verify_return_error", "-quiet"},
        request, 10s);
    if (wrong) {
      EXPECT_NE(result.exit_code, 0);
      EXPECT_EQ(result.out.find("pong"), std::string::npos);
      EXPECT_NE(result.err.find("hostname mismatch"), std::string::npos) << result.err;
    } else {
      EXPECT_EQ(result.exit_code, 0) << result.err;
      EXPECT_NE(result.out.find("HTTP/1.1 200 OK"), std::string::npos) << result.out;
      EXPECT_NE(result.out.find("pong"), std::string::npos) << result.out;
    }
  }
}

TEST_F(RealClientTest, OpensslSClientWithExpiredClientCertificateIsRefused) {
  const TestPki& pki = TestPki::get();
  Env env = serverEnv();
  env["BERTH_SSL_REQUIRE_CLIENT_CERT"] = "true";
  auto server = startPingServer(tlsContext(env));
  const std::string request = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  const std::string target = "127.0.0.1:" + std::to_string(server->port());

  auto expired =
      runProcess({"openssl", "s_client", "-connect", target, "-CAfile", pki.ca->caFile(), "-cert",
                  pki.expired.cert_file, "-key", pki.expired.key_file, "-quiet"},
                 request, 10s);
  EXPECT_EQ(expired.out.find("pong"), std::string::npos) << expired.out;
  EXPECT_NE(expired.err.find("certificate expired"), std::string::npos) << expired.err;

  auto valid = runProcess({"openssl", "s_client", "-connect", target, "-CAfile", pki.ca->caFile(),
                           "-cert", pki.client.cert_file, "-key", pki.client.key_file, "-quiet"},
                          request, 10s);
  EXPECT_NE(valid.out.find("pong"), std::string::npos) << valid.err;
}

}  // namespace
}  // namespace berth::net::testing
