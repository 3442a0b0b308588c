// Cost of one request through the transport on loopback, plain and TLS, with our own
// client and server in one process: a latency floor for everything built on top. Load
// throughput with a separate load generator is measured by scripts/bench-http.sh.
//
//   build/bin/berth_http_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <benchmark/benchmark.h>

#include "core/net/http_client.h"
#include "tests/core/net/tls_test_env.h"

namespace berth::net {
namespace {

using testing::Env;
using testing::TestPki;

Env serverEnv() {
  const TestPki& pki = TestPki::get();
  return {{"BERTH_SSL_ENABLED", "true"},
          {"BERTH_SSL_CERT_FILE", pki.server.cert_file},
          {"BERTH_SSL_KEY_FILE", pki.server.key_file},
          {"BERTH_SSL_CA_FILE", pki.ca->caFile()}};
}

Env clientEnv() {
  return {{"BERTH_SSL_ENABLED", "true"},
          {"BERTH_SSL_CA_FILE", TestPki::get().ca->caFile()},
          {"BERTH_SSL_VERIFY_SERVER_CERT", "true"}};
}

Request ping() {
  Request r;
  r.method = "GET";
  r.target = "/ping";
  return r;
}

// One keep-alive request/response per iteration.
void BM_KeepAliveRequest(benchmark::State& state) {
  const bool tls = state.range(0) != 0;
  auto server = testing::startPingServer(tls ? testing::tlsContext(serverEnv()) : nullptr);
  const std::string url =
      std::string(tls ? "https" : "http") + "://localhost:" + std::to_string(server->port());
  auto client = HttpClient::connect(url, {.tls = tls ? testing::tlsContext(clientEnv()) : nullptr});
  if (!client) return state.SkipWithError(client.error().message().c_str());
  const Request request = ping();
  for (auto _ : state) {
    auto response = (*client)->send(request);
    if (!response || response->status != 200) return state.SkipWithError("request failed");
  }
  state.SetLabel(tls ? "tls" : "plain");
}
BENCHMARK(BM_KeepAliveRequest)->Arg(0)->Arg(1)->UseRealTime();

// A new connection (TCP, and the full TLS handshake with certificate verification) and one
// request per iteration.
void BM_ConnectAndRequest(benchmark::State& state) {
  const bool tls = state.range(0) != 0;
  auto server = testing::startPingServer(tls ? testing::tlsContext(serverEnv()) : nullptr);
  const std::string url =
      std::string(tls ? "https" : "http") + "://localhost:" + std::to_string(server->port());
  auto client_tls = tls ? testing::tlsContext(clientEnv()) : nullptr;
  const Request request = ping();
  for (auto _ : state) {
    auto client = HttpClient::connect(url, {.tls = client_tls});
    if (!client) return state.SkipWithError(client.error().message().c_str());
    auto response = (*client)->send(request);
    if (!response || response->status != 200) return state.SkipWithError("request failed");
  }
  state.SetLabel(tls ? "tls" : "plain");
}
BENCHMARK(BM_ConnectAndRequest)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace berth::net

BENCHMARK_MAIN();
