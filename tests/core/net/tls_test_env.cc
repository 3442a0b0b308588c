#include "tests/core/net/tls_test_env.h"

namespace berth::net::testing {

TestPki::TestPki() {
  const std::string path = dir.path().string();
  ca = std::make_unique<berth::testing::TestCa>(path, "trusted");
  other_ca = std::make_unique<berth::testing::TestCa>(path, "other");
  server = ca->issue(
      "server",
      {.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
  wrong_host = ca->issue("wrong-host",
                         {.common_name = "wrong.example.org", .dns_names = {"wrong.example.org"}});
  client = ca->issue("client", {.common_name = "client", .dns_names = {"client"}});
  untrusted = other_ca->issue("untrusted", {.common_name = "client", .dns_names = {"client"}});
  expired = ca->issue("expired", {.common_name = "client",
                                  .dns_names = {"client"},
                                  .valid_from_days = -10,
                                  .valid_until_days = -1});
}

const TestPki& TestPki::get() {
  static const TestPki pki;
  return pki;
}

std::shared_ptr<const TlsContext> tlsContext(const Env& env) {
  auto config = TlsConfig::fromEnvironment(Environment(env));
  EXPECT_TRUE(config) << config.error().message();
  if (!config) return nullptr;
  auto context = TlsContext::create(*config);
  EXPECT_TRUE(context) << context.error().message();
  return context ? *context : nullptr;
}

std::unique_ptr<HttpServer> startPingServer(std::shared_ptr<const TlsContext> tls,
                                            ServerOptions options) {
  auto server = std::make_unique<HttpServer>(options, std::move(tls));
  server->route("/ping", [](Request, Responder responder) {
    responder.respond(Response::text(200, "pong"));
  });
  Status started = server->start();
  EXPECT_TRUE(started) << started.error().message();
  return server;
}

}  // namespace berth::net::testing
