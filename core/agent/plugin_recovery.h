// The first thing an agent does with its plugins: recover. Every isolator and the launcher
// get their recover() hook (with the checkpoints of the containers the agent still knows;
// none until the containerizer checkpoints any), all at once; `done` runs once when all
// have answered, with the first failure if any. Like Mesos, an agent whose recovery fails
// must not serve: the caller stops it (fail closed).
#pragma once

#include <functional>

#include "core/agent/plugin_setup.h"
#include "core/common/result.h"

namespace berth::agent {

// Call from the plugin thread. `done` runs on the thread of the last completion.
void recoverPlugins(LoadedPlugins& plugins, std::function<void(Status)> done);

}  // namespace berth::agent
