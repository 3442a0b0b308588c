#include "core/agent/plugin_recovery.h"

#include <atomic>
#include <mutex>

#include "berth/v1/isolator.pb.h"
#include "berth/v1/launcher.pb.h"

namespace berth::agent {

namespace {

// Counts answers down and keeps the first failure.
struct Join {
  std::atomic<int> remaining;
  std::mutex mutex;
  std::optional<Error> failure;
  std::function<void(Status)> done;

  void answer(const std::string& plugin, const OperationOutcome& outcome) {
    if (outcome.status != BERTH_OK) {
      std::lock_guard lock(mutex);
      if (!failure) {
        failure = Error(ErrorCode::kFailedPrecondition,
                        "plugin '" + plugin + "' failed to recover: " + outcome.message);
      }
    }
    if (--remaining == 0) {
      if (failure) {
        done(*failure);
      } else {
        done(okStatus());
      }
    }
  }
};

}  // namespace

void recoverPlugins(LoadedPlugins& plugins, std::function<void(Status)> done) {
  std::vector<PluginInstance*> targets = plugins.isolators;
  if (plugins.launcher != nullptr) targets.push_back(plugins.launcher);
  if (targets.empty()) return done(okStatus());

  auto join = std::make_shared<Join>();
  join->remaining = static_cast<int>(targets.size());
  join->done = std::move(done);
  const std::string isolator_request = berth::v1::RecoverRequest().SerializeAsString();
  const std::string launcher_request = berth::v1::LauncherRecoverRequest().SerializeAsString();
  for (PluginInstance* plugin : targets) {
    const bool is_launcher = plugin == plugins.launcher;
    HookFn hook = is_launcher ? plugin->launcher()->recover : plugin->isolator()->recover;
    plugins.host->call(
        *plugin, "recover", hook, "", is_launcher ? launcher_request : isolator_request, true,
        [join, name = plugin->name()](OperationOutcome outcome) { join->answer(name, outcome); });
  }
}

}  // namespace berth::agent
