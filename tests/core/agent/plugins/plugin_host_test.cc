// The plugin host with real plugin libraries: instances, configuration, every way an
// operation can end, the debug listing and the metrics.

#include "core/agent/plugins/plugin_host.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "berth/v1/isolator.pb.h"
#include "core/agent/http/debug_endpoints.h"
#include "core/net/io_thread.h"
#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

using namespace std::chrono_literals;

std::string fixture(const std::string& name) {
  return std::string(BERTH_FIXTURES_DIR) + "/" + name;
}

std::string prepareRequest(const std::string& container_id) {
  berth::v1::PrepareRequest request;
  request.mutable_config()->set_container_id(container_id);
  return request.SerializeAsString();
}

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override { makeHost(""); }

  void makeHost(const std::string& timeouts) {
    auto policy = TimeoutPolicy::parse(timeouts);
    ASSERT_TRUE(policy);
    host_ = std::make_unique<PluginHost>(*policy);
  }

  PluginInstance* instance(const std::string& file, PluginConfig config = {}) {
    auto info = host_->add(fixture(file));
    EXPECT_TRUE(info) << info.error().message();
    if (!info) return nullptr;
    auto created = host_->instantiate((*info)->name, std::move(config), BERTH_KIND_ISOLATOR);
    EXPECT_TRUE(created) << created.error().message();
    return created ? *created : nullptr;
  }

  // Called from this thread, or as a task of `on`.
  std::future<OperationOutcome> prepare(PluginInstance& plugin, const std::string& container,
                                        Executor* on = nullptr) {
    auto promise = std::make_shared<std::promise<OperationOutcome>>();
    auto call = [this, &plugin, container, promise] {
      host_->call(plugin, "prepare", plugin.isolator()->prepare, container,
                  prepareRequest(container), true,
                  [promise](OperationOutcome outcome) { promise->set_value(std::move(outcome)); });
    };
    if (on != nullptr) {
      on->post(call);
    } else {
      call();
    }
    return promise->get_future();
  }

  OperationOutcome prepareNow(PluginInstance& plugin, const std::string& container,
                              Executor* on = nullptr) {
    auto future = prepare(plugin, container, on);
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  // Gives the host an event loop for its plugin thread.
  net::IoThread& useEventLoop() {
    loop_ = std::make_unique<net::IoThread>();
    host_->setEventLoop(loop_.get());
    return *loop_;
  }

  // The loop stops before the plugins go, as in the agent.
  void TearDown() override {
    if (loop_) loop_->stop();
    host_.reset();
  }

  std::unique_ptr<net::IoThread> loop_;
  std::unique_ptr<PluginHost> host_;
};

TEST_F(PluginHostTest, SynchronousCompletionCarriesTheResult) {
  PluginInstance* probe = instance("berth-probe.so");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->isolator()->capabilities,
            BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING);
  OperationOutcome outcome = prepareNow(*probe, "c-1");
  ASSERT_EQ(outcome.status, BERTH_OK) << outcome.message;
  berth::v1::PrepareResult result;
  ASSERT_TRUE(result.ParseFromString(outcome.payload));
  ASSERT_EQ(result.plan().environment_size(), 1);
  EXPECT_EQ(result.plan().environment(0).name(), "PROBE");
  EXPECT_EQ(result.plan().environment(0).value(), "c-1");
  EXPECT_EQ(result.checkpoint(), "c-1");
  EXPECT_TRUE(host_->tracker().snapshot().empty());
}

// Libraries loaded only to be listed leave the address space; the ones in use stay.
TEST_F(PluginHostTest, UnusedLibrariesAreUnloaded) {
  PluginInstance* probe = instance("berth-probe.so");
  ASSERT_NE(probe, nullptr);
  ASSERT_TRUE(host_->add(fixture("berth-frozen-c.so")));
  const auto mapped = [](const std::string& file) {
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), {});
    return text.find(file) != std::string::npos;
  };
  ASSERT_TRUE(mapped("berth-frozen-c.so"));
  host_->unloadUnused();
  ASSERT_EQ(host_->plugins().size(), 1u);
  EXPECT_EQ(host_->plugins()[0]->name, "probe");
  EXPECT_FALSE(mapped("berth-frozen-c.so"));
  EXPECT_TRUE(mapped("berth-probe.so"));
  EXPECT_EQ(prepareNow(*probe, "c1").status, BERTH_OK) << "the instance in use still works";
}

TEST_F(PluginHostTest, CompletionFromAnotherThread) {
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "thread"}});
  ASSERT_TRUE(probe);
  OperationOutcome outcome = prepareNow(*probe, "c-2");
  EXPECT_EQ(outcome.status, BERTH_OK) << outcome.message;
  berth::v1::PrepareResult result;
  ASSERT_TRUE(result.ParseFromString(outcome.payload));
  EXPECT_EQ(result.checkpoint(), "c-2");
}

TEST_F(PluginHostTest, FailureCarriesThePluginsMessage) {
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "fail"}});
  ASSERT_TRUE(probe);
  OperationOutcome outcome = prepareNow(*probe, "c-3");
  EXPECT_EQ(outcome.status, BERTH_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome.message, "prepare fails as configured");
}

TEST_F(PluginHostTest, ExceptionInACppPluginBecomesAnInternalError) {
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "throw"}});
  ASSERT_TRUE(probe);
  OperationOutcome outcome = prepareNow(*probe, "c-4");
  EXPECT_EQ(outcome.status, BERTH_ERROR_INTERNAL);
  EXPECT_EQ(outcome.message, "uncaught exception: prepare throws as configured");
}

TEST_F(PluginHostTest, NeverCompletingOperationTimesOutAndStaysListed) {
  makeHost("probe.prepare=100ms");
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "never"}});
  ASSERT_TRUE(probe);
  auto future = prepare(*probe, "c-5");
  // While pending it is listed, in Mesos's shape.
  auto pending = host_->tracker().snapshot();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].plugin, "probe");
  EXPECT_EQ(pending[0].hook, "prepare");
  EXPECT_EQ(pending[0].container_id, "c-5");
  const std::string json = containerizerDebugJson(host_->tracker());
  EXPECT_NE(json.find(R"("operation":"probe::prepare")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("args":{"containerId":"c-5"})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("state":"pending")"), std::string::npos) << json;

  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  OperationOutcome outcome = future.get();
  EXPECT_EQ(outcome.status, BERTH_ERROR_TIMEOUT);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_NE(outcome.message.find("plugin 'probe' did not complete prepare within"),
            std::string::npos);
  // Given up on, but still visible until the plugin answers.
  EXPECT_NE(containerizerDebugJson(host_->tracker()).find(R"("state":"abandoned")"),
            std::string::npos);
  const std::string metrics = host_->metrics().prometheus();
  EXPECT_NE(
      metrics.find(R"(berth_plugin_operation_timeouts_total{plugin="probe",hook="prepare"} 1)"),
      std::string::npos)
      << metrics;
}

TEST_F(PluginHostTest, LateCompletionIsDropped) {
  makeHost("50ms");
  PluginInstance* late = instance("berth-rogue-late.so");
  ASSERT_TRUE(late);
  OperationOutcome outcome = prepareNow(*late, "c-6");
  EXPECT_EQ(outcome.status, BERTH_ERROR_TIMEOUT);
  EXPECT_EQ(host_->tracker().snapshot().size(), 1u);
  // The plugin answers 500 ms in; the record goes, nothing else happens.
  for (int i = 0; i < 200 && !host_->tracker().snapshot().empty(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(host_->tracker().snapshot().empty());
}

TEST_F(PluginHostTest, SecondCompletionIsDropped) {
  PluginInstance* twice = instance("berth-rogue-twice.so");
  ASSERT_TRUE(twice);
  OperationOutcome outcome = prepareNow(*twice, "c-7");
  EXPECT_EQ(outcome.status, BERTH_OK) << "the first completion counts";
  // The host keeps serving the same plugin.
  EXPECT_EQ(prepareNow(*twice, "c-8").status, BERTH_OK);
}

// berth_host.watch_fd: the probe writes to a pipe, watches it and completes from the
// callback, which runs on the plugin thread, the event loop's.
TEST_F(PluginHostTest, AWatchedDescriptorCallsBackInTheEventLoop) {
  net::IoThread& loop = useEventLoop();
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "pipe"}});
  ASSERT_NE(probe, nullptr);
  const OperationOutcome outcome = prepareNow(*probe, "c1", &loop);
  EXPECT_EQ(outcome.status, BERTH_OK) << outcome.message;
  berth::v1::PrepareResult result;
  ASSERT_TRUE(result.ParseFromString(outcome.payload));
  EXPECT_EQ(result.checkpoint(), "c1");
}

TEST_F(PluginHostTest, WatchingWithoutAnEventLoopIsUnavailable) {
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "pipe"}});
  ASSERT_NE(probe, nullptr);
  const OperationOutcome outcome = prepareNow(*probe, "c1");
  EXPECT_EQ(outcome.status, BERTH_ERROR_UNAVAILABLE);
  EXPECT_EQ(outcome.message, "watch_fd refused the pipe");
}

TEST_F(PluginHostTest, WatchingOffThePluginThreadIsRefused) {
  useEventLoop();
  PluginInstance* probe = instance("berth-probe.so", {{"mode.prepare", "pipe"}});
  ASSERT_NE(probe, nullptr);
  const OperationOutcome outcome = prepareNow(*probe, "c1");  // from this thread
  EXPECT_EQ(outcome.status, BERTH_ERROR_INTERNAL);
}

TEST_F(PluginHostTest, MissingHookCompletesAtOnce) {
  PluginInstance* frozen = instance("berth-frozen-c.so");
  ASSERT_TRUE(frozen);
  ASSERT_EQ(frozen->isolator()->cleanup, nullptr);
  std::promise<OperationOutcome> done;
  host_->call(*frozen, "cleanup", frozen->isolator()->cleanup, "c-9", "", true,
              [&](OperationOutcome o) { done.set_value(std::move(o)); });
  EXPECT_EQ(done.get_future().get().status, BERTH_OK);
}

TEST_F(PluginHostTest, PluginBuiltAgainstFrozenSdk10Works) {
  PluginInstance* frozen = instance("berth-frozen-c.so");
  ASSERT_TRUE(frozen);
  EXPECT_EQ(frozen->abiMinor(), 0u);
  OperationOutcome outcome = prepareNow(*frozen, "c-10");
  ASSERT_EQ(outcome.status, BERTH_OK);
  berth::v1::PrepareResult result;
  ASSERT_TRUE(result.ParseFromString(outcome.payload));
  ASSERT_EQ(result.plan().environment_size(), 1);
  EXPECT_EQ(result.plan().environment(0).name(), "FROZEN");
  EXPECT_EQ(result.plan().environment(0).value(), "1");
}

TEST_F(PluginHostTest, ConfigurationIsValidatedByThePlugin) {
  ASSERT_TRUE(host_->add(fixture("berth-probe.so")));
  auto unknown = host_->instantiate("probe", {{"mode.prepair", "ok"}}, BERTH_KIND_ISOLATOR);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "plugin 'probe' (" + fixture("berth-probe.so") +
                                           ") failed to start: unknown setting 'mode.prepair'");

  auto thrown = host_->instantiate("probe", {{"create", "throw"}}, BERTH_KIND_ISOLATOR);
  ASSERT_FALSE(thrown);
  EXPECT_NE(thrown.error().message().find("failed to start: create=throw: thrown as configured"),
            std::string::npos)
      << thrown.error().message();
}

TEST_F(PluginHostTest, CreateFailureCarriesThePluginsReason) {
  ASSERT_TRUE(host_->add(fixture("berth-rogue-create-fails.so")));
  auto created = host_->instantiate("rogue-create-fails", {}, BERTH_KIND_ISOLATOR);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message().find("failed to start: setting 'answer' is required"),
            std::string::npos);
}

TEST_F(PluginHostTest, MissingInterfaceIsRefused) {
  ASSERT_TRUE(host_->add(fixture("berth-rogue-no-interface.so")));
  auto created = host_->instantiate("rogue-no-interface", {}, BERTH_KIND_ISOLATOR);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message().find("does not provide berth.isolator/1"), std::string::npos);
}

TEST_F(PluginHostTest, WrongKindForTheFlagIsRefused) {
  ASSERT_TRUE(host_->add(fixture("berth-probe.so")));
  auto created = host_->instantiate("probe", {}, BERTH_KIND_LAUNCHER);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message().find("is not of the kind this flag needs"),
            std::string::npos);
}

TEST_F(PluginHostTest, ScanResolveAndDuplicates) {
  ASSERT_TRUE(host_->scan(BERTH_FIXTURES_DIR));
  EXPECT_EQ(*host_->resolve("probe"), std::vector<std::string>{"probe"});
  EXPECT_EQ(*host_->resolve("test/group"), std::vector<std::string>{"probe"});
  EXPECT_EQ(*host_->resolve(fixture("berth-probe.so")), std::vector<std::string>{"probe"});
  auto unknown = host_->resolve("nope");
  ASSERT_FALSE(unknown);
  // Names what is loaded and why the broken fixtures are not.
  EXPECT_NE(unknown.error().message().find("no plugin named 'nope' (loaded: "), std::string::npos);
  EXPECT_NE(unknown.error().message().find("berth-rogue-major2.so"), std::string::npos);

  // A second library claiming an existing name.
  testing::TempDir dir;
  const std::string copy = dir.file("probe-copy.so");
  std::filesystem::copy_file(fixture("berth-probe.so"), copy);
  auto duplicate = host_->add(copy);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().message(),
            "two plugins are named 'probe': " + fixture("berth-probe.so") + " and " + copy);
}

TEST_F(PluginHostTest, PluginCountersAndOperationMetrics) {
  PluginInstance* probe = instance("berth-probe.so");
  ASSERT_TRUE(probe);
  prepareNow(*probe, "a");
  prepareNow(*probe, "b");
  const std::string metrics = host_->metrics().prometheus();
  EXPECT_NE(metrics.find(R"(berth_plugin_operations_total{plugin="probe",hook="prepare"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(berth_plugin_counter{plugin="probe",name="calls_prepare"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find(
          R"(berth_plugin_operation_duration_seconds_count{plugin="probe",hook="prepare"} 2)"),
      std::string::npos);
}

}  // namespace
}  // namespace berth::agent
