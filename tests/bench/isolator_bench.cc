// What each isolator Berth ships adds to a launch: one prepare operation through the
// agent's plugin host (request encoding, the plugin's decoding and decision, the plan it
// encodes, the host's tracking), for a container asking for what the plugin isolates.
// isolate and cleanup of these plugins only record or forget a pid; they are measured too.
//
//   build/bin/berth_isolator_bench

#include <benchmark/benchmark.h>

#include "tests/support/isolator_driver.h"

namespace berth {
namespace {

struct Case {
  const char* plugin;
  std::vector<std::pair<std::string, std::string>> config;
};

const Case kCases[] = {
    {"ipc", {}},
    {"shm", {{"default_container_shm_size", "64MB"}}},
    {"nnp", {{"bounding_capabilities", R"({"capabilities":["CHOWN","NET_RAW","KILL"]})"}}},
};

berth::v1::ContainerConfig privateContainer() {
  berth::v1::ContainerConfig config;
  config.set_container_id("bench");
  auto* linux_info = config.mutable_linux_info();
  linux_info->set_ipc_mode(berth::v1::LinuxInfo::PRIVATE);
  linux_info->set_has_effective_capabilities(true);
  linux_info->add_effective_capabilities("CAP_NET_RAW");
  return config;
}

void BM_IsolatorPrepare(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  state.SetLabel(c.plugin);
  auto driver = testing::IsolatorDriver::create(c.plugin, c.config);
  if (!driver) return state.SkipWithError(driver.error().message().c_str());
  const berth::v1::ContainerConfig config = privateContainer();
  for (auto _ : state) {
    auto plan = (*driver)->prepare(config);
    if (!plan) return state.SkipWithError(plan.error().message().c_str());
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_IsolatorPrepare)->DenseRange(0, 2);

void BM_IsolatorIsolateAndCleanup(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  state.SetLabel(c.plugin);
  auto driver = testing::IsolatorDriver::create(c.plugin, c.config);
  if (!driver) return state.SkipWithError(driver.error().message().c_str());
  for (auto _ : state) {
    if (!(*driver)->isolate("bench", 4242) || !(*driver)->cleanup("bench")) {
      return state.SkipWithError("isolate or cleanup failed");
    }
  }
}
BENCHMARK(BM_IsolatorIsolateAndCleanup)->DenseRange(0, 2);

}  // namespace
}  // namespace berth

BENCHMARK_MAIN();
