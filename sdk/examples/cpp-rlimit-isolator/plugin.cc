// Example: an isolator in C++ that sets resource limits for every container, with the
// SDK's C++ helpers. Configuration maps limit names to "SOFT" or "SOFT:HARD":
//   {"example-rlimit": {"RLIMIT_NOFILE": "1024:4096"}}
#include "berth/cpp/plugin.h"

#include <memory>
#include <string>
#include <vector>

#include "berth/cpp/payload.h"
#include "berth/v1/isolator.pb-c.h"
#include "rlimit_policy.h"

namespace {

class RlimitIsolator : public berth::cpp::IsolatorPlugin {
 public:
  using IsolatorPlugin::IsolatorPlugin;

  static std::unique_ptr<RlimitIsolator> create(const berth_host* host, std::string* error) {
    auto isolator = std::make_unique<RlimitIsolator>(host);
    for (const std::string& key : isolator->configKeys()) {
      auto limit = example::parseLimit(key, *isolator->config(key.c_str()), error);
      if (!limit) return nullptr;
      isolator->limits_.push_back(*limit);
    }
    return isolator;
  }

  uint64_t isolatorCapabilities() const override {
    return BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING;
  }

  void prepare(berth::cpp::Operation op, berth_bytes request) override {
    berth::cpp::Decoded<Berth__V1__PrepareRequest> decoded(&berth__v1__prepare_request__descriptor,
                                                           request);
    if (!decoded) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a PrepareRequest");

    std::vector<Berth__V1__Rlimit> rlimits(limits_.size());
    std::vector<Berth__V1__Rlimit*> pointers;
    for (size_t i = 0; i < limits_.size(); ++i) {
      rlimits[i] = BERTH__V1__RLIMIT__INIT;
      rlimits[i].name = limits_[i].name.data();
      rlimits[i].has_soft = 1;
      rlimits[i].soft = limits_[i].soft;
      rlimits[i].has_hard = 1;
      rlimits[i].hard = limits_[i].hard;
      pointers.push_back(&rlimits[i]);
    }
    Berth__V1__LaunchPlan plan = BERTH__V1__LAUNCH_PLAN__INIT;
    plan.n_rlimits = pointers.size();
    plan.rlimits = pointers.data();
    Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
    result.plan = &plan;
    op.succeed(berth::cpp::encode(&result.base));
  }

 private:
  std::vector<example::Limit> limits_;
};

const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "example-rlimit",
    "1.0.0",
    "Berth SDK examples",
    "sets configured resource limits for every container",
    nullptr,
    BERTH_KIND_ISOLATOR,
    nullptr,  // flags
};

}  // namespace

BERTH_CPP_PLUGIN(RlimitIsolator, kDescriptor)
