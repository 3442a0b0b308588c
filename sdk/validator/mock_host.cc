#include "mock_host.h"

namespace berth::validator {

namespace {
uint64_t idOf(berth_op* op) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(op));
}
}  // namespace

MockHost& MockHost::self(const berth_host* host) {
  return *static_cast<MockHost*>(host->host_data);
}

MockHost::MockHost(std::vector<std::pair<std::string, std::string>> config)
    : config_(std::move(config)) {
  table_.struct_size = sizeof(berth_host);
  table_.abi_minor = BERTH_ABI_MINOR;
  table_.host_data = this;
  table_.host_name = "berth-plugin-check";
  table_.host_version = "1.0";
  table_.log = [](const berth_host* host, berth_log_level, const char* message) {
    if (message == nullptr) self(host).violation("log() with a NULL message");
    std::lock_guard lock(self(host).mutex_);
    if (self(host).destroyed_) self(host).violations_.push_back("log() after destroy()");
  };
  table_.counter_add = [](const berth_host* host, const char* name, uint64_t) {
    if (name == nullptr) self(host).violation("counter_add() with a NULL name");
  };
  table_.config_get = [](const berth_host* host, const char* key) -> const char* {
    if (key == nullptr) return nullptr;
    for (const auto& [k, v] : self(host).config_) {
      if (k == key) return v.c_str();
    }
    return nullptr;
  };
  table_.config_key_at = [](const berth_host* host, uint32_t index) -> const char* {
    const auto& config = self(host).config_;
    return index < config.size() ? config[index].first.c_str() : nullptr;
  };
  table_.report_error = [](const berth_host* host, const char* message) {
    MockHost& h = self(host);
    std::lock_guard lock(h.mutex_);
    if (!h.creating_) {
      h.violations_.push_back("report_error() outside create() (it is [create-only])");
    }
    h.last_error_ = message == nullptr ? "" : message;
  };
  table_.complete = [](const berth_host* host, berth_op* op, berth_status status,
                       const char* message, berth_bytes) {
    MockHost& h = self(host);
    std::lock_guard lock(h.mutex_);
    if (h.destroyed_) h.violations_.push_back("complete() after destroy()");
    auto it = h.ops_.find(idOf(op));
    if (it == h.ops_.end()) {
      h.violations_.push_back("complete() of an operation the host never started");
      return;
    }
    if (++it->second.completions == 2) {
      h.violations_.push_back(it->second.what + " was completed twice");
    }
    if (it->second.completions == 1) {
      it->second.status = status;
      it->second.message = message == nullptr ? "" : message;
    }
    h.completed_.notify_all();
  };
  table_.is_cancelled = [](const berth_host* host, berth_op* op) -> int32_t {
    MockHost& h = self(host);
    std::lock_guard lock(h.mutex_);
    auto it = h.ops_.find(idOf(op));
    return it == h.ops_.end() || it->second.cancelled ? 1 : 0;
  };
  table_.deadline_ns = [](const berth_host*, berth_op*) -> int64_t { return 0; };
}

berth_op* MockHost::begin(const std::string& what, bool cancelled) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_++;
  ops_[id] = Op{what, cancelled, 0, BERTH_OK, {}};
  return reinterpret_cast<berth_op*>(static_cast<uintptr_t>(id));
}

bool MockHost::waitCompleted(berth_op* op, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return completed_.wait_for(lock, timeout, [&] { return ops_[idOf(op)].completions > 0; });
}

int MockHost::completions(berth_op* op) const {
  std::lock_guard lock(mutex_);
  auto it = ops_.find(idOf(op));
  return it == ops_.end() ? 0 : it->second.completions;
}

berth_status MockHost::status(berth_op* op) const {
  std::lock_guard lock(mutex_);
  auto it = ops_.find(idOf(op));
  return it == ops_.end() ? BERTH_ERROR_INTERNAL : it->second.status;
}

std::string MockHost::message(berth_op* op) const {
  std::lock_guard lock(mutex_);
  auto it = ops_.find(idOf(op));
  return it == ops_.end() ? "" : it->second.message;
}

void MockHost::setCreating(bool creating) {
  std::lock_guard lock(mutex_);
  creating_ = creating;
}

void MockHost::markDestroyed() {
  std::lock_guard lock(mutex_);
  destroyed_ = true;
  // destroy() is the last moment a plugin may complete what it holds.
  for (const auto& [id, op] : ops_) {
    if (op.completions == 0) {
      violations_.push_back(op.what + " was never completed, not even by destroy()");
    }
  }
}

void MockHost::violation(std::string text) {
  std::lock_guard lock(mutex_);
  violations_.push_back(std::move(text));
}

std::vector<std::string> MockHost::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

}  // namespace berth::validator
