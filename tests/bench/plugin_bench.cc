// Cost of the plugin ABI as the agent pays it: one operation through PluginHost (tracking,
// deadline bookkeeping, the call into the plugin, its completion, metrics), completed
// synchronously or from the plugin's worker thread; and loading a plugin library
// (dlopen, checks, negotiation, create).
//
//   build/bin/berth_plugin_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <future>

#include "core/agent/plugins/plugin_host.h"
#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

const std::string kProbe = std::string(BERTH_FIXTURES_DIR) + "/berth-probe.so";

struct Harness {
  explicit Harness(const std::string& mode) : host(*TimeoutPolicy::parse("")) {
    auto info = host.add(kProbe);
    auto created = host.instantiate((*info)->name, {{"mode.cleanup", mode}}, BERTH_KIND_ISOLATOR);
    instance = *created;
  }
  PluginHost host;
  PluginInstance* instance = nullptr;
};

// A cleanup that the probe completes inside the call: the fixed cost of the ABI path.
void BM_OperationCompletedInline(benchmark::State& state) {
  Harness harness("ok");
  std::atomic<int64_t> done{0};
  for (auto _ : state) {
    harness.host.call(*harness.instance, "cleanup", harness.instance->isolator()->cleanup, "c", "",
                      true, [&](OperationOutcome) { ++done; });
  }
  if (done != static_cast<int64_t>(state.iterations())) state.SkipWithError("lost completions");
}
BENCHMARK(BM_OperationCompletedInline);

// The same, completed from the plugin's worker thread; the caller waits for each one, so
// this is the round-trip latency including two thread wake-ups.
void BM_OperationCompletedFromWorker(benchmark::State& state) {
  Harness harness("worker");
  for (auto _ : state) {
    std::promise<void> done;
    harness.host.call(*harness.instance, "cleanup", harness.instance->isolator()->cleanup, "c", "",
                      true, [&](OperationOutcome) { done.set_value(); });
    done.get_future().wait();
  }
}
BENCHMARK(BM_OperationCompletedFromWorker)->UseRealTime();

// Throughput of operations completed from the worker thread: batches of 1,000 in flight,
// reported per operation.
void BM_OperationsPipelinedThroughWorker(benchmark::State& state) {
  Harness harness("worker");
  constexpr int kBatch = 1000;
  for (auto _ : state) {
    std::atomic<int> left{kBatch};
    std::promise<void> drained;
    for (int i = 0; i < kBatch; ++i) {
      harness.host.call(*harness.instance, "cleanup", harness.instance->isolator()->cleanup, "c",
                        "", true, [&](OperationOutcome) {
                          if (--left == 0) drained.set_value();
                        });
    }
    drained.get_future().wait();
  }
  state.counters["per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kBatch,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_OperationsPipelinedThroughWorker)->UseRealTime();

// Load, check, negotiate and create, from a fresh copy of the library each time so that
// the dynamic loader really maps it.
void BM_PluginLoadAndCreate(benchmark::State& state) {
  testing::TempDir dir;
  int copy = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = dir.file("probe-" + std::to_string(copy++) + ".so");
    std::filesystem::copy_file(kProbe, path);
    auto host = std::make_unique<PluginHost>(*TimeoutPolicy::parse(""));
    state.ResumeTiming();
    auto info = host->add(path);
    auto created = host->instantiate((*info)->name, {}, BERTH_KIND_ISOLATOR);
    if (!created) return state.SkipWithError(created.error().message().c_str());
    state.PauseTiming();
    host.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_PluginLoadAndCreate)->Iterations(100)->UseRealTime();

}  // namespace
}  // namespace berth::agent

BENCHMARK_MAIN();
