// The containerizer's pipeline and failure paths with fixture plugins (a configurable
// isolator and a launcher that runs nothing): no root, no processes.

#include "core/agent/containerizer/containerizer.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <future>
#include <regex>
#include <thread>

#include "container_state.pb.h"
#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

using namespace std::chrono_literals;

std::string fixture(const std::string& name) {
  return std::string(BERTH_FIXTURES_DIR) + "/" + name;
}

berth::v1::ContainerConfig config(const std::string& id) {
  berth::v1::ContainerConfig c;
  c.set_container_id(id);
  c.mutable_command()->set_value("true");
  return c;
}

template <class T>
T await(std::future<T> future) {
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

class ContainerizerTest : public ::testing::Test {
 protected:
  void start(PluginConfig launcher_config = {}, PluginConfig probe_config = {},
             const std::string& timeouts = "") {
    containerizer_.reset();
    plugins_.host = std::make_unique<PluginHost>(*TimeoutPolicy::parse(timeouts));
    for (const char* file : {"berth-probe.so", "berth-frozen-c.so", "berth-fake-launcher.so"}) {
      ASSERT_TRUE(plugins_.host->add(fixture(file)));
    }
    auto probe = plugins_.host->instantiate("probe", probe_config, BERTH_KIND_ISOLATOR);
    auto frozen = plugins_.host->instantiate("frozen-c", {}, BERTH_KIND_ISOLATOR);
    auto launcher =
        plugins_.host->instantiate("fake-launcher", launcher_config, BERTH_KIND_LAUNCHER);
    ASSERT_TRUE(probe && frozen && launcher);
    plugins_.isolators = {*probe, *frozen};
    plugins_.launcher = *launcher;
    containerizer_ = std::make_unique<Containerizer>(plugins_, dir_.file("work"));
    std::promise<Status> recovered;
    containerizer_->recover([&](Status s) { recovered.set_value(s); });
    Status s = await(recovered.get_future());
    ASSERT_TRUE(s) << s.error().message();
  }

  // Tears down containerizer and plugins, as when the agent dies.
  void stop() {
    containerizer_.reset();
    plugins_ = LoadedPlugins{};
  }

  Result<LaunchOutcome> launch(const berth::v1::ContainerConfig& c) {
    std::promise<Result<LaunchOutcome>> done;
    containerizer_->launch(c, [&](Result<LaunchOutcome> r) { done.set_value(std::move(r)); });
    return await(done.get_future());
  }

  std::optional<Termination> wait(const std::string& id) {
    std::promise<std::optional<Termination>> done;
    containerizer_->wait(id, [&](std::optional<Termination> t) { done.set_value(t); });
    return await(done.get_future());
  }

  bool kill(const std::string& id, int signal) {
    std::promise<bool> done;
    containerizer_->kill(id, signal, [&](bool found) { done.set_value(found); });
    return await(done.get_future());
  }

  Status remove(const std::string& id) {
    std::promise<Status> done;
    containerizer_->remove(id, [&](Status s) { done.set_value(s); });
    return await(done.get_future());
  }

  // Writes `state` to the journal, as an agent that stopped would have left it.
  void checkpointed(const ContainerState& state) {
    Journal journal(dir_.file("work/meta/containers.journal"));
    ASSERT_TRUE(journal.open());
    ASSERT_TRUE(journal.put(state.config().container_id(), state.SerializeAsString()));
  }

  // The record of container `id` whose first process (pid 40000) ended with `wait_status`.
  static ContainerState ended(const std::string& id, int wait_status) {
    ContainerState state;
    *state.mutable_config() = config(id);
    state.set_pid(40000);
    state.set_terminated(true);
    state.set_wait_status(wait_status);
    return state;
  }

  // How many operations of `hook` the fake launcher has completed.
  int launcherCalls(const std::string& hook) {
    const std::string metrics = plugins_.host->metrics().prometheus();
    std::smatch match;
    const std::regex line(R"(berth_plugin_operations_total\{plugin="fake-launcher",hook=")" + hook +
                          R"("\} ([0-9]+))");
    return std::regex_search(metrics, match, line) ? std::stoi(match[1]) : 0;
  }

  // A counter the probe keeps about its own calls.
  int probeCalls(const std::string& hook) {
    const std::string metrics = plugins_.host->metrics().prometheus();
    std::smatch match;
    const std::regex line("berth_plugin_counter\\{plugin=\"probe\",name=\"calls_" + hook +
                          "\"\\} ([0-9]+)");
    return std::regex_search(metrics, match, line) ? std::stoi(match[1]) : 0;
  }

  testing::TempDir dir_;
  LoadedPlugins plugins_;
  std::unique_ptr<Containerizer> containerizer_;
};

TEST_F(ContainerizerTest, PipelineRunsEveryStepInOrderAndCleansUpOnKill) {
  start();
  auto launched = launch(config("c1"));
  ASSERT_TRUE(launched) << launched.error().message();
  EXPECT_EQ(*launched, LaunchOutcome::kLaunched);
  EXPECT_EQ(probeCalls("prepare"), 1);
  EXPECT_EQ(probeCalls("isolate"), 1);
  EXPECT_EQ(probeCalls("watch"), 1);
  EXPECT_EQ(probeCalls("cleanup"), 0);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.file("work/containers/c1")));

  EXPECT_TRUE(kill("c1", SIGKILL));
  auto termination = wait("c1");
  ASSERT_TRUE(termination);
  ASSERT_TRUE(termination->wait_status);
  EXPECT_EQ(*termination->wait_status, SIGKILL);
  EXPECT_EQ(probeCalls("cleanup"), 1);
  EXPECT_FALSE(kill("c1", SIGKILL)) << "an ended container cannot be killed again";
}

TEST_F(ContainerizerTest, StateIsCheckpointedBeforeLaunchReturns) {
  start();
  ASSERT_TRUE(launch(config("c1")));
  auto journal = Journal::read(dir_.file("work/meta/containers.journal"));
  ASSERT_TRUE(journal) << journal.error().message();
  ASSERT_EQ(journal->records.count("c1"), 1u);
  ContainerState state;
  ASSERT_TRUE(state.ParseFromString(journal->records.at("c1")));
  EXPECT_EQ(state.config().container_id(), "c1");
  EXPECT_EQ(state.pid(), 40000);
  EXPECT_EQ(state.isolator_checkpoints().at("probe"), "c1");
  EXPECT_FALSE(state.terminated());
}

// The first process is held before exec only for an isolator that acts on its pid: the
// probe's isolate hook does, unless it says it only learns the pid (BERTH_ISOLATOR_NO_HOLD);
// the frozen C isolator has no isolate hook. The fake launcher's checkpoint says which.
TEST_F(ContainerizerTest, TheProcessIsHeldOnlyForIsolatorsThatNeedIt) {
  const auto held = [this](const std::string& id) {
    auto journal = Journal::read(dir_.file("work/meta/containers.journal"));
    ContainerState state;
    EXPECT_TRUE(journal && state.ParseFromString(journal->records.at(id)));
    return state.launcher_checkpoint();
  };
  start();
  ASSERT_TRUE(launch(config("held")));
  EXPECT_EQ(held("held"), "held");
  EXPECT_EQ(probeCalls("isolate"), 1);
  stop();
  start({}, {{"no_hold", "true"}});
  ASSERT_TRUE(launch(config("free")));
  EXPECT_EQ(held("free"), "not held");
  EXPECT_EQ(probeCalls("isolate"), 1) << "isolate still learns the pid";
}

// A process not held can run to its end while the isolators still learn its pid, before
// start() is even asked: the launch still succeeds, and the exit is reported after it.
TEST_F(ContainerizerTest, AnExitBeforeStartEndsTheContainerAfterTheLaunch) {
  start({{"exit", "3"}, {"exit_before_start", "true"}}, {{"mode.isolate", "thread"}});
  ASSERT_TRUE(launch(config("quick")));
  auto termination = wait("quick");
  ASSERT_TRUE(termination && termination->wait_status);
  EXPECT_EQ(*termination->wait_status, 3 << 8);
  EXPECT_EQ(probeCalls("cleanup"), 1);
}

// WAIT does not wait for the launcher to remove what it kept of an ended container; REMOVE
// does, so that the same id launched again never has its new files removed.
TEST_F(ContainerizerTest, RemoveWaitsForTheLauncherToCleanUp) {
  start({{"exit", "0"}, {"destroy_ms", "300"}});
  ASSERT_TRUE(launch(config("again")));
  const auto destroys = [this] { return launcherCalls("destroy"); };
  ASSERT_TRUE(wait("again"));
  EXPECT_EQ(destroys(), 0) << "WAIT answered before the launcher's destroy";
  ASSERT_TRUE(remove("again"));
  EXPECT_EQ(destroys(), 1) << "REMOVE answered before the launcher's destroy";
  EXPECT_TRUE(launch(config("again"))) << "the id can be launched again";
}

// A launch whose operation times out may still be starting a process: the launcher is
// asked to destroy what it has of the container, and the isolators clean up.
TEST_F(ContainerizerTest, ALaunchThatTimesOutIsDestroyedByTheLauncherToo) {
  start({{"launch", "never"}}, {}, "launch=100ms");
  auto launched = launch(config("stuck"));
  ASSERT_FALSE(launched);
  auto termination = wait("stuck");
  ASSERT_TRUE(termination);
  EXPECT_EQ(probeCalls("cleanup"), 1);
  const std::string metrics = plugins_.host->metrics().prometheus();
  EXPECT_NE(
      metrics.find(R"(berth_plugin_operations_total{plugin="fake-launcher",hook="destroy"} 1)"),
      std::string::npos)
      << metrics;
}

// A kill while the isolators still prepare fails the launch, which is answered.
TEST_F(ContainerizerTest, AKillDuringPrepareFailsTheLaunch) {
  start({}, {{"mode.prepare", "never"}});
  std::promise<Result<LaunchOutcome>> launched;
  containerizer_->launch(config("preparing"),
                         [&](Result<LaunchOutcome> r) { launched.set_value(std::move(r)); });
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(kill("preparing", SIGKILL));
  auto outcome = await(launched.get_future());
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message(), "the container was killed before it started");
  EXPECT_TRUE(wait("preparing"));
}

TEST_F(ContainerizerTest, ExitStatusIsReportedAndKept) {
  start({{"exit", "3"}});
  ASSERT_TRUE(launch(config("c1")));
  auto termination = wait("c1");
  ASSERT_TRUE(termination && termination->wait_status);
  EXPECT_EQ(*termination->wait_status, 3 << 8);
  // Waiting again after the end answers at once, with the same status.
  EXPECT_EQ(*wait("c1")->wait_status, 3 << 8);
  EXPECT_EQ(probeCalls("cleanup"), 1);
}

TEST_F(ContainerizerTest, PrepareFailureNamesTheIsolatorAndCleansUpWhatPrepared) {
  start({}, {{"mode.prepare", "fail"}});
  auto launched = launch(config("c1"));
  ASSERT_FALSE(launched);
  EXPECT_EQ(launched.error().message(),
            "isolator 'probe' failed to prepare: prepare fails as configured");
  auto termination = wait("c1");
  ASSERT_TRUE(termination);
  EXPECT_FALSE(termination->wait_status) << "nothing ran";
  EXPECT_EQ(termination->message, launched.error().message());
  EXPECT_EQ(probeCalls("cleanup"), 1) << "the isolator that prepared cleans up";
  EXPECT_EQ(probeCalls("isolate"), 0);
}

TEST_F(ContainerizerTest, IsolateFailureDestroysTheProcess) {
  start({}, {{"mode.isolate", "fail"}});
  auto launched = launch(config("c1"));
  ASSERT_FALSE(launched);
  EXPECT_EQ(launched.error().message(),
            "isolator 'probe' failed to isolate: isolate fails as configured");
  auto termination = wait("c1");
  ASSERT_TRUE(termination && termination->wait_status);
  EXPECT_EQ(*termination->wait_status, SIGKILL);
  EXPECT_EQ(probeCalls("cleanup"), 1);
}

TEST_F(ContainerizerTest, LauncherFailuresAreReported) {
  start({{"launch", "fail"}});
  auto launched = launch(config("c1"));
  ASSERT_FALSE(launched);
  EXPECT_EQ(launched.error().message(), "launch fails as configured");
  ASSERT_TRUE(wait("c1")) << "the failed container ends, after its cleanup";
  EXPECT_EQ(probeCalls("cleanup"), 1);

  start({{"start", "fail"}});
  auto started = launch(config("c2"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message(), "exec failed as configured");
  EXPECT_TRUE(wait("c2"));
}

TEST_F(ContainerizerTest, LimitationFromAWatchDestroysTheContainer) {
  start({}, {{"mode.watch", "ok"}});
  ASSERT_TRUE(launch(config("c1")));
  auto termination = wait("c1");
  ASSERT_TRUE(termination && termination->wait_status);
  EXPECT_EQ(*termination->wait_status, SIGKILL);
  EXPECT_EQ(termination->message, "the probe's disk limit");
  ASSERT_TRUE(termination->limitation);
  EXPECT_EQ(termination->limitation->reason(), "REASON_CONTAINER_LIMITATION_DISK");
  ASSERT_EQ(termination->limitation->resources_size(), 1);
  EXPECT_EQ(termination->limitation->resources(0).scalar(), 10);
  EXPECT_EQ(probeCalls("cleanup"), 1);
}

TEST_F(ContainerizerTest, IdsAreValidatedAndUnique) {
  start();
  for (const char* bad : {"", "a/b", ".", "..", "tab\there"}) {
    auto launched = launch(config(bad));
    ASSERT_FALSE(launched) << bad;
    EXPECT_NE(launched.error().message().find("'container_id.value'"), std::string::npos);
  }
  ASSERT_TRUE(launch(config("c1")));
  auto again = launch(config("c1"));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, LaunchOutcome::kAlreadyLaunched);
}

TEST_F(ContainerizerTest, RemoveOnlyEndedContainers) {
  start();
  ASSERT_TRUE(launch(config("c1")));
  Status running = remove("c1");
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().message(), "Container 'c1' is still running; kill it first");
  EXPECT_TRUE(kill("c1", SIGTERM));
  ASSERT_TRUE(wait("c1"));
  ASSERT_TRUE(std::filesystem::exists(dir_.file("work/containers/c1/stdout")) ||
              std::filesystem::create_directories(dir_.file("work/containers/c1/deep/tree")));
  ASSERT_TRUE(remove("c1"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("work/containers/c1")));
  // Deleted from the trash in the background.
  const std::string trash = dir_.file("work/trash");
  for (int i = 0; i < 200 && !std::filesystem::is_empty(trash); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(std::filesystem::is_empty(trash));
  EXPECT_EQ(Journal::read(dir_.file("work/meta/containers.journal"))->records.count("c1"), 0u);
  EXPECT_FALSE(wait("c1"));
  EXPECT_EQ(remove("c1").error().code(), ErrorCode::kNotFound);
}

// A sandbox whose deletion an agent did not finish (it stopped) is deleted by the next one.
TEST_F(ContainerizerTest, RecoveryEmptiesTheTrash) {
  const std::string left = dir_.file("work/trash/123-1/deep/tree");
  ASSERT_TRUE(std::filesystem::create_directories(left));
  testing::writeFile(left + "/file", "data");
  start();
  const std::string trash = dir_.file("work/trash");
  for (int i = 0; i < 200 && !std::filesystem::is_empty(trash); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(std::filesystem::is_empty(trash));
}

TEST_F(ContainerizerTest, RecoveryRestoresRunningAndEndedContainersAndSkipsTornOnes) {
  start({{"exit", "5"}});
  ASSERT_TRUE(launch(config("ended")));
  ASSERT_TRUE(wait("ended"));
  stop();

  start();
  ASSERT_TRUE(launch(config("running")));
  ASSERT_TRUE(launch(config("torn")));
  stop();
  // Damage in the checkpoint of "torn" only: its sandbox path is in no other record.
  ASSERT_GT(testing::damageFile(dir_.file("work/meta/containers.journal"), "containers/torn"), 0);

  start();
  ASSERT_EQ(containerizer_->recoveryErrors().size(), 1u);
  EXPECT_NE(containerizer_->recoveryErrors()[0].find("'torn'"), std::string::npos)
      << containerizer_->recoveryErrors()[0];
  EXPECT_FALSE(kill("torn", SIGKILL)) << "a container with a damaged checkpoint is left out";
  auto ended = wait("ended");
  ASSERT_TRUE(ended && ended->wait_status);
  EXPECT_EQ(*ended->wait_status, 5 << 8);
  EXPECT_TRUE(kill("running", SIGKILL)) << "the running container is known again";
  auto killed = wait("running");
  ASSERT_TRUE(killed && killed->wait_status);
  EXPECT_EQ(*killed->wait_status, SIGKILL);
}

// An agent that stopped after recording a container's end but before the isolators had
// cleaned up has them clean up at recovery, once.
TEST_F(ContainerizerTest, CleanupInterruptedByARestartRunsAtRecovery) {
  ContainerState state = ended("ended", 7 << 8);
  state.set_message("why it ended");
  ASSERT_NO_FATAL_FAILURE(checkpointed(state));
  start();
  auto termination = wait("ended");
  ASSERT_TRUE(termination && termination->wait_status);
  EXPECT_EQ(*termination->wait_status, 7 << 8);
  EXPECT_FALSE(kill("ended", SIGKILL)) << "it has ended; a kill starts no second cleanup";
  for (int i = 0; i < 100 && probeCalls("cleanup") == 0; ++i)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(probeCalls("cleanup"), 1);
  EXPECT_EQ(wait("ended")->message, "why it ended");
  stop();

  start();
  EXPECT_EQ(*wait("ended")->wait_status, 7 << 8);
  EXPECT_EQ(probeCalls("cleanup"), 0) << "cleaned up already";
}

// A container checkpointed before the launcher reported its process (the agent died while
// it started) is destroyed at recovery: by the launcher first, which may hold a process or
// a cgroup of it, then by the isolators.
TEST_F(ContainerizerTest, AContainerCheckpointedBeforeItsProcessIsDestroyedAtRecovery) {
  ContainerState state;
  *state.mutable_config() = config("starting");
  ASSERT_NO_FATAL_FAILURE(checkpointed(state));
  start();
  auto termination = wait("starting");
  ASSERT_TRUE(termination);
  EXPECT_FALSE(termination->wait_status);
  EXPECT_EQ(termination->message, "the agent restarted before the container was launched");
  EXPECT_EQ(probeCalls("cleanup"), 1);
  const std::string metrics = plugins_.host->metrics().prometheus();
  EXPECT_NE(
      metrics.find("berth_plugin_operations_total{plugin=\"fake-launcher\",hook=\"destroy\"} 1"),
      std::string::npos)
      << metrics;
}

// The launcher forgets an ended container after WAIT is answered; an agent stopped before
// finds it among the launcher's orphans at recovery, and has the launcher forget it then,
// as one of the container's launcher calls, which REMOVE waits for.
TEST_F(ContainerizerTest, AnEndedContainerTheLauncherStillKnowsIsForgottenAtRecovery) {
  ContainerState state = ended("ended", 0);
  state.set_cleaned_up(true);
  ASSERT_NO_FATAL_FAILURE(checkpointed(state));
  start({{"orphans", "ended,stray"}, {"destroy_ms", "300"}});
  const auto destroys = [this] { return launcherCalls("destroy"); };
  ASSERT_TRUE(remove("ended"));
  EXPECT_GE(destroys(), 1) << "REMOVE answered before the launcher forgot the container";
  for (int i = 0; i < 100 && destroys() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(destroys(), 2) << "the orphan no checkpoint knows is destroyed too";
}

// Isolators watch recovered containers again: a limitation still ends them.
TEST_F(ContainerizerTest, RecoveredContainersAreWatchedAgain) {
  start();
  ASSERT_TRUE(launch(config("watched")));
  stop();

  start({}, {{"mode.watch", "ok"}});
  auto termination = wait("watched");
  ASSERT_TRUE(termination);
  ASSERT_TRUE(termination->limitation);
  EXPECT_EQ(termination->limitation->reason(), "REASON_CONTAINER_LIMITATION_DISK");
}

}  // namespace
}  // namespace berth::agent
