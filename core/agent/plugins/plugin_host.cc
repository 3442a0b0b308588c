#include "core/agent/plugins/plugin_host.h"

#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/common/build_info.h"

namespace berth::agent {

namespace {

PluginInstance::Context& context(const berth_host* host) {
  return *static_cast<PluginInstance::Context*>(host->host_data);
}

uint64_t opId(berth_op* op) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(op));
}
berth_op* opHandle(uint64_t id) {
  return reinterpret_cast<berth_op*>(static_cast<uintptr_t>(id));
}

bool validCounterName(const char* name) {
  if (name == nullptr) return false;
  const size_t length = std::strlen(name);
  return length > 0 && length <= 64 && std::all_of(name, name + length, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// --- The services, as C functions (see berth/host.h for their contracts) --------------

void hostLog(const berth_host* host, berth_log_level level, const char* message) {
  const std::string& name = context(host).name;
  const char* text = message == nullptr ? "" : message;
  switch (level) {
    case BERTH_LOG_DEBUG:
      VLOG(1) << "[" << name << "] " << text;
      break;
    case BERTH_LOG_INFO:
      LOG(INFO) << "[" << name << "] " << text;
      break;
    case BERTH_LOG_WARNING:
      LOG(WARNING) << "[" << name << "] " << text;
      break;
    default:
      LOG(ERROR) << "[" << name << "] " << text;
      break;
  }
}

void hostCounterAdd(const berth_host* host, const char* name, uint64_t delta) {
  auto& ctx = context(host);
  if (!validCounterName(name)) {
    LOG(WARNING) << "[" << ctx.name << "] counter_add with an invalid name was ignored";
    return;
  }
  ctx.host->metrics().addCounter(ctx.name, name, delta);
}

const char* hostConfigGet(const berth_host* host, const char* key) {
  if (key == nullptr) return nullptr;
  for (const auto& [k, v] : context(host).config) {
    if (k == key) return v.c_str();
  }
  return nullptr;
}

const char* hostConfigKeyAt(const berth_host* host, uint32_t index) {
  const auto& config = context(host).config;
  return index < config.size() ? config[index].first.c_str() : nullptr;
}

void hostReportError(const berth_host* host, const char* message) {
  auto& ctx = context(host);
  if (!ctx.creating) {
    LOG(WARNING) << "[" << ctx.name << "] report_error outside create() was ignored: "
                 << (message == nullptr ? "" : message);
    return;
  }
  ctx.error = message == nullptr ? "" : message;
}

void hostComplete(const berth_host* host, berth_op* op, berth_status status, const char* message,
                  berth_bytes result) {
  auto& ctx = context(host);
  std::string payload;
  if (result.data != nullptr && result.size > 0) {
    payload.assign(reinterpret_cast<const char*>(result.data), result.size);
  }
  if (!ctx.host->tracker().complete(opId(op), status, message == nullptr ? "" : message,
                                    std::move(payload))) {
    LOG(WARNING) << "[" << ctx.name << "] completed operation #" << opId(op)
                 << ", which is not pending (a second completion?); ignored";
  }
}

int32_t hostIsCancelled(const berth_host* host, berth_op* op) {
  return context(host).host->tracker().cancelled(opId(op)) ? 1 : 0;
}

int64_t hostDeadlineNs(const berth_host* host, berth_op* op) {
  return context(host).host->tracker().deadlineNs(opId(op));
}

berth_status hostWatchFd(const berth_host* host, int32_t fd, berth_fd_events events,
                         berth_fd_ready_fn ready, void* context_arg) {
  auto& ctx = context(host);
  EventLoop* loop = ctx.host->eventLoop();
  if (loop == nullptr) return BERTH_ERROR_UNAVAILABLE;
  if (ready == nullptr) return BERTH_ERROR_INVALID_ARGUMENT;
  uint32_t wanted = 0;
  if ((events & BERTH_FD_READABLE) != 0) wanted |= EventLoop::kReadable;
  if ((events & BERTH_FD_WRITABLE) != 0) wanted |= EventLoop::kWritable;
  // The loop checks the rest (its thread, the descriptor, the events, a watch already
  // there, its own state). Nothing may be thrown into the plugin: out of memory is
  // UNAVAILABLE, as host.h says.
  bool watching = false;
  try {
    const Status watched = loop->watch(fd, wanted, [ready, context_arg, fd](uint32_t ready_for) {
      berth_fd_events bits = 0;
      if ((ready_for & EventLoop::kReadable) != 0) bits |= BERTH_FD_READABLE;
      if ((ready_for & EventLoop::kWritable) != 0) bits |= BERTH_FD_WRITABLE;
      ready(context_arg, fd, bits);
    });
    if (!watched) {
      VLOG(1) << "[" << ctx.name << "] " << watched.error().message();
      switch (watched.error().code()) {
        case ErrorCode::kFailedPrecondition:
          LOG(ERROR) << "[" << ctx.name << "] watch_fd() called off the plugin thread; refused";
          return BERTH_ERROR_INTERNAL;
        case ErrorCode::kAlreadyExists:  // by this instance or another
        case ErrorCode::kInvalidArgument:
          return BERTH_ERROR_INVALID_ARGUMENT;
        default:
          return BERTH_ERROR_UNAVAILABLE;
      }
    }
    watching = true;
    ctx.watched.insert(fd);  // on the loop's thread, as the watch succeeded there
    return BERTH_OK;
  } catch (const std::exception&) {
    if (watching) loop->unwatch(fd);
    return BERTH_ERROR_UNAVAILABLE;
  }
}

void hostUnwatchFd(const berth_host* host, int32_t fd) {
  auto& ctx = context(host);
  EventLoop* loop = ctx.host->eventLoop();
  if (loop == nullptr) return;
  // From another thread while the loop runs, it would race the loop's own use of the
  // watch; the plugin then closing the descriptor is its bug to find in this line.
  if (!loop->inLoop() && !loop->closed()) {
    LOG(ERROR) << "[" << ctx.name << "] unwatch_fd(" << fd
               << ") called off the plugin thread while the event loop runs; ignored";
    return;
  }
  if (ctx.watched.erase(fd) == 0) return;
  loop->unwatch(fd);
}

}  // namespace

PluginHost::PluginHost(TimeoutPolicy timeouts)
    : timeouts_(std::move(timeouts)), tracker_(metrics_) {}

PluginHost::~PluginHost() {
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) {
    PluginInstance& instance = **it;
    instance.plugin_->destroy(instance.plugin_);
    // Against the contract, but the loop must not go on watching a descriptor whose
    // number the process may reuse.
    for (int fd : instance.context_.watched) {
      LOG(ERROR) << "[" << instance.name() << "] destroyed with descriptor " << fd
                 << " still watched; the watch ends now";
      if (loop_ != nullptr) loop_->unwatch(fd);
    }
  }
  instances_.clear();
}

Status PluginHost::scan(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    if (file.path().extension() == ".so") paths.push_back(file.path().string());
  }
  if (ec) return errnoError("cannot read plugins directory '" + dir + "'", ec.value());
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    auto added = add(path);
    if (!added) {
      if (added.error().code() == ErrorCode::kAlreadyExists) return added.error();
      load_failures_.push_back(added.error().message());
    }
  }
  return okStatus();
}

Result<const PluginInfo*> PluginHost::add(const std::string& path) {
  auto library = PluginLibrary::load(path);
  if (!library) return library.error();
  const std::string name = (*library)->info().name;
  auto existing = libraries_.find(name);
  if (existing != libraries_.end()) {
    if (std::filesystem::equivalent(existing->second->info().path, path)) {
      return &existing->second->info();
    }
    return Error(ErrorCode::kAlreadyExists, "two plugins are named '" + name + "': " +
                                                existing->second->info().path + " and " + path);
  }
  const PluginInfo* info = &(*library)->info();
  libraries_.emplace(name, std::move(*library));
  return info;
}

std::vector<const PluginInfo*> PluginHost::plugins() const {
  std::vector<const PluginInfo*> infos;
  for (const auto& [name, library] : libraries_)
    infos.push_back(&library->info());
  return infos;
}

void PluginHost::unloadUnused() {
  std::set<std::string> used;
  for (const auto& instance : instances_)
    used.insert(instance->name());
  std::erase_if(libraries_, [&used](const auto& entry) { return used.count(entry.first) == 0; });
}

Result<std::vector<std::string>> PluginHost::resolve(const std::string& value) {
  if (value.ends_with(".so")) {
    auto info = add(value);
    if (!info) return info.error();
    return std::vector<std::string>{(*info)->name};
  }
  if (libraries_.count(value) != 0) return std::vector<std::string>{value};
  std::vector<std::string> names;
  for (const auto& [name, library] : libraries_) {
    const auto& aliases = library->info().aliases;
    if (std::find(aliases.begin(), aliases.end(), value) != aliases.end()) names.push_back(name);
  }
  if (!names.empty()) return names;

  std::string message = "no plugin named '" + value + "'";
  std::vector<std::string> known;
  for (const auto& [name, library] : libraries_)
    known.push_back(name);
  message += known.empty() ? " (no plugins are loaded)" : " (loaded: ";
  for (size_t i = 0; i < known.size(); ++i)
    message += (i ? ", " : "") + known[i];
  if (!known.empty()) message += ")";
  for (const std::string& failure : load_failures_)
    message += "; " + failure;
  return Error(ErrorCode::kNotFound, message);
}

void PluginHost::fillHostTable(PluginInstance& instance, uint32_t minor) {
  berth_host& table = instance.host_table_;
  table.struct_size = sizeof(berth_host);
  table.abi_minor = minor;
  table.host_data = &instance.context_;
  table.host_name = "berth-agent";
  table.host_version = BERTH_VERSION;
  table.log = &hostLog;
  table.counter_add = &hostCounterAdd;
  table.config_get = &hostConfigGet;
  table.config_key_at = &hostConfigKeyAt;
  table.report_error = &hostReportError;
  table.complete = &hostComplete;
  table.is_cancelled = &hostIsCancelled;
  table.deadline_ns = &hostDeadlineNs;
  table.watch_fd = &hostWatchFd;
  table.unwatch_fd = &hostUnwatchFd;
}

Result<PluginInstance*> PluginHost::instantiate(const std::string& name, PluginConfig config,
                                                uint64_t required_kinds) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) {
    return Error(ErrorCode::kNotFound, "no plugin named '" + name + "'");
  }
  PluginLibrary& library = *it->second;
  const std::string who = "plugin '" + name + "' (" + library.info().path + ")";
  if ((library.info().kinds & required_kinds) != required_kinds) {
    return Error(ErrorCode::kInvalidArgument, who + " is not of the kind this flag needs");
  }

  if (negotiated_.count(name) == 0) {
    auto minor = library.initialize();
    if (!minor) return minor.error();
    negotiated_[name] = *minor;
  }

  auto instance = std::make_unique<PluginInstance>();
  instance->library_ = &library;
  instance->context_.host = this;
  instance->context_.name = name;
  instance->context_.config = std::move(config);
  fillHostTable(*instance, negotiated_[name]);

  instance->context_.creating = true;
  berth_plugin* plugin = nullptr;
  const berth_status status = library.entry().create(&instance->host_table_, &plugin);
  instance->context_.creating = false;
  if (status != BERTH_OK || plugin == nullptr) {
    const std::string& why = instance->context_.error;
    return Error(ErrorCode::kFailedPrecondition,
                 who + " failed to start: " +
                     (why.empty() ? "create() returned status " + std::to_string(status) : why));
  }
  instance->plugin_ = plugin;
  if (plugin->struct_size < offsetof(berth_plugin, destroy) + sizeof(void*) ||
      plugin->get_interface == nullptr || plugin->destroy == nullptr) {
    // Cannot call destroy() safely on a malformed table; leaking it is the lesser harm.
    return Error(ErrorCode::kInvalidArgument, who + " returned a malformed instance table");
  }

  const auto lookup = [&](const char* id, size_t min_size) -> const void* {
    const void* table = plugin->get_interface(plugin, id);
    if (table == nullptr) return nullptr;
    // Every interface table starts with its size.
    if (*static_cast<const uint32_t*>(table) < min_size) return nullptr;
    return table;
  };
  instance->isolator_ = static_cast<const berth_isolator*>(
      lookup(BERTH_ISOLATOR_ID, offsetof(berth_isolator, cleanup) + sizeof(void*)));
  instance->launcher_ = static_cast<const berth_launcher*>(
      lookup(BERTH_LAUNCHER_ID, offsetof(berth_launcher, status) + sizeof(void*)));
  instance->estimator_ = static_cast<const berth_resource_estimator*>(
      lookup(BERTH_RESOURCE_ESTIMATOR_ID,
             offsetof(berth_resource_estimator, oversubscribable) + sizeof(void*)));

  std::string missing;
  if ((required_kinds & BERTH_KIND_ISOLATOR) && instance->isolator_ == nullptr) {
    missing = BERTH_ISOLATOR_ID;
  } else if ((required_kinds & BERTH_KIND_LAUNCHER) && instance->launcher_ == nullptr) {
    missing = BERTH_LAUNCHER_ID;
  } else if ((required_kinds & BERTH_KIND_RESOURCE_ESTIMATOR) && instance->estimator_ == nullptr) {
    missing = BERTH_RESOURCE_ESTIMATOR_ID;
  }
  constexpr uint64_t kKnownIsolatorCaps =
      BERTH_ISOLATOR_SUPPORTS_NESTING | BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_NO_HOLD;
  if (missing.empty() && instance->isolator_ != nullptr &&
      (instance->isolator_->capabilities & ~kKnownIsolatorCaps) != 0) {
    missing = "an isolator table without unknown capability bits";
  }
  if (!missing.empty()) {
    plugin->destroy(plugin);
    return Error(ErrorCode::kInvalidArgument,
                 who + " does not provide " + missing + " (or its table is too small)");
  }

  LOG(INFO) << "Loaded plugin '" << name << "' " << library.info().version << " from "
            << library.info().path << " (ABI " << BERTH_ABI_MAJOR << "." << negotiated_[name]
            << ")";
  instances_.push_back(std::move(instance));
  return instances_.back().get();
}

void PluginHost::call(PluginInstance& instance, const char* hook, HookFn fn,
                      const std::string& container_id, const std::string& request, bool deadline,
                      OperationTracker::Completion done) {
  if (fn == nullptr) {
    done(OperationOutcome{});
    return;
  }
  const auto timeout =
      deadline ? timeouts_.lookup(instance.name(), hook) : std::chrono::nanoseconds(0);
  const uint64_t id = tracker_.begin(instance.name(), hook, container_id, timeout, std::move(done));
  fn(instance.plugin_, opHandle(id),
     berth_bytes{reinterpret_cast<const uint8_t*>(request.data()), request.size()});
}

}  // namespace berth::agent
