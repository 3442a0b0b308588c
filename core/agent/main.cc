// berth-agent: parses flags and TLS settings, prepares its directories, serves the agent
// API until SIGINT or SIGTERM, then shuts down gracefully.

#include <glog/logging.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "berth/cpp/short_slice.h"
#include "core/agent/agent_flags.h"
#include "core/agent/agent_resources.h"
#include "core/agent/containerizer/containerizer.h"
#include "core/agent/http/agent_api.h"
#include "core/agent/http/debug_endpoints.h"
#include "core/agent/plugin_recovery.h"
#include "core/agent/plugin_setup.h"
#include "core/common/build_info.h"
#include "core/net/http_server.h"
#include "core/net/tls_setup.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "berth-agent: " << message << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::string plugins_dir = berth::agent::AgentFlags::defaultPluginsDir();
      for (const std::string& other : args) {
        if (other.starts_with("--plugins_dir=")) plugins_dir = other.substr(14);
      }
      std::cout << berth::agent::AgentFlags::usage() << berth::agent::pluginFlagsUsage(plugins_dir);
      return 0;
    }
    if (arg == "--version") {
      std::cout << "berth-agent " << BERTH_VERSION << std::endl;
      return 0;
    }
  }

  // Block the stop signals before any thread starts, so that every thread inherits the
  // mask and only sigwait() below receives them.
  // A parent may have set them to "ignore" (shells do for background jobs), and an
  // ignored signal is discarded even while blocked: restore the defaults first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  // A write to a pipe or socket whose reader is gone (a container that died before its
  // start barrier, a client that hung up) is an error to handle, not a reason to die.
  // Processes the agent starts get the default back (the supervisor zygote resets it).
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const berth::Environment env = berth::Environment::process();
  auto flags = berth::agent::AgentFlags::parse(args, env);
  if (!flags) return fail(flags.error().message() + " (see berth-agent --help)");

  auto tls = berth::net::tlsFromEnvironment(env);
  if (!tls) return fail(tls.error().message());

  for (const std::string& dir : {flags->work_dir, flags->runtime_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail("cannot create '" + dir + "': " + ec.message());
  }

  auto resources = berth::agent::agentResources(flags->resources, flags->work_dir);
  if (!resources) return fail(resources.error().message());

  auto plugins = berth::agent::loadPlugins(*flags);
  if (!plugins) return fail(plugins.error().message());

  berth::net::ServerOptions options;
  options.address = flags->ip;
  options.port = flags->port;
  // The containerizer runs on the I/O thread, and launches and exits wait on it
  // (docs/benchmarks.md).
  options.on_io_thread_start = [] { berth::cpp::requestShortSlice(); };
  berth::net::HttpServer server(options, *tls);
  // The plugin thread is the I/O thread: plugins wait for their descriptors in its loop.
  plugins->host->setEventLoop(&server.executor());
  std::unique_ptr<berth::agent::Containerizer> containerizer;
  if (plugins->launcher != nullptr) {
    // On the server's I/O thread: an API call and the container work it starts need no hop.
    containerizer = std::make_unique<berth::agent::Containerizer>(*plugins, flags->work_dir,
                                                                  &server.executor());
  }
  berth::agent::AgentApi api(*flags, containerizer.get(), std::move(*resources));
  api.install(server);
  berth::agent::installDebugEndpoints(server, *plugins->host);
  if (berth::Status started = server.start(); !started) return fail(started.error().message());

  const std::string scheme = *tls ? "https" : "http";
  const bool ipv6 = flags->ip.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + flags->ip + "]" : flags->ip;
  LOG(INFO) << "berth-agent " << BERTH_VERSION << " serving the agent API at " << scheme << "://"
            << host << ":" << server.port() << "/api/v1 (work_dir " << flags->work_dir << ")";

  // Recovery failing is fatal, as in Mesos: a SIGTERM to this process wakes sigwait()
  // below, which then reports the failure instead of a signal.
  std::atomic<bool> recovery_failed{false};
  std::atomic<bool> shutting_down{false};
  const auto recovered_callback = [&](berth::Status recovered) {
    if (shutting_down) return;  // operations cut short by the shutdown itself
    if (recovered && containerizer && flags->recover == "cleanup") {
      // Mesos's --recover=cleanup: end what the previous agent left running, then exit.
      containerizer->destroyAll([&](size_t count) {
        LOG(INFO) << "Destroyed " << count << " containers; exiting as --recover=cleanup asks";
        kill(getpid(), SIGTERM);
      });
      return;
    }
    if (recovered) {
      LOG(INFO) << "Plugins recovered";
      api.markRecovered();
      return;
    }
    LOG(ERROR) << "Agent recovery failed: " << recovered.error().message();
    recovery_failed = true;
    kill(getpid(), SIGTERM);
  };
  if (containerizer) {
    containerizer->recover(recovered_callback);
  } else {
    // On the plugin thread, where hooks run.
    server.executor().post([&] { berth::agent::recoverPlugins(*plugins, recovered_callback); });
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  shutting_down = true;
  const int status = recovery_failed ? 1 : 0;
  if (!recovery_failed) LOG(INFO) << "Received " << strsignal(signal) << "; shutting down";
  server.stop();
  // The containerizer and then the plugins go before the objects their completions refer
  // to.
  containerizer.reset();
  plugins->host.reset();
  return status;
}
