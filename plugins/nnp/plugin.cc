// The ABI entry of the nnp isolator; the logic is in nnp.cc and capabilities.cc.
#include "berth/cpp/plugin.h"

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "berth/cpp/payload.h"
#include "berth/v1/isolator.pb-c.h"
#include "nnp.h"

namespace {

using berth::cpp::Decoded;
using berth::cpp::Operation;

// The names of a decided set, as the launch plan carries them, kept alive for encoding.
struct Names {
  explicit Names(const nnp::CapabilitySet& set) : strings(set.begin(), set.end()) {
    for (std::string& name : strings)
      pointers.push_back(name.data());
  }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

std::optional<nnp::CapabilitySet> requested(protobuf_c_boolean given, size_t count, char** names,
                                            std::string* error) {
  if (!given) return std::nullopt;
  return nnp::capabilitySet(std::vector<std::string>(names, names + count), error);
}

class NnpIsolator : public berth::cpp::IsolatorPlugin {
 public:
  NnpIsolator(const berth_host* host, nnp::Settings settings)
      : IsolatorPlugin(host), settings_(std::move(settings)) {}

  static std::unique_ptr<NnpIsolator> create(const berth_host* host, std::string* error) {
    // PR_GET_NO_NEW_PRIVS exists from Linux 3.5, with the flag itself.
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) < 0) {
      *error = std::string("this kernel cannot set no_new_privs (PR_GET_NO_NEW_PRIVS: ") +
               std::strerror(errno) + "); Linux 3.5 or newer is required";
      return nullptr;
    }
    auto settings = nnp::parseSettings(berth::cpp::configEntries(host), error);
    if (!settings) return nullptr;
    return std::make_unique<NnpIsolator>(host, std::move(*settings));
  }

  uint64_t isolatorCapabilities() const override {
    return BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING;
  }

  void prepare(Operation op, berth_bytes request) override {
    Decoded<Berth__V1__PrepareRequest> decoded(&berth__v1__prepare_request__descriptor, request);
    if (!decoded || decoded->config == nullptr) {
      return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "not a PrepareRequest");
    }
    nnp::Container container;
    std::string error;
    if (const Berth__V1__LinuxInfo* info = decoded->config->linux_info; info != nullptr) {
      container.effective =
          requested(info->has_effective_capabilities, info->n_effective_capabilities,
                    info->effective_capabilities, &error);
      if (!error.empty()) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, error);
      container.bounding = requested(info->has_bounding_capabilities, info->n_bounding_capabilities,
                                     info->bounding_capabilities, &error);
      if (!error.empty()) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, error);
    }
    auto decision = nnp::decide(settings_, container, &error);
    if (!decision) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, error);

    // Mesos's nnp: every container, no opting out. The launcher sets it right before exec.
    Berth__V1__LaunchPlan plan = BERTH__V1__LAUNCH_PLAN__INIT;
    plan.has_no_new_privileges = 1;
    plan.no_new_privileges = 1;
    Berth__V1__Capabilities capabilities = BERTH__V1__CAPABILITIES__INIT;
    Names effective(decision->effective.value_or(nnp::CapabilitySet{}));
    Names bounding(decision->bounding.value_or(nnp::CapabilitySet{}));
    if (decision->effective) {
      capabilities.has_set_effective = capabilities.set_effective = 1;
      capabilities.n_effective = effective.pointers.size();
      capabilities.effective = effective.pointers.data();
    }
    if (decision->bounding) {
      capabilities.has_set_bounding = capabilities.set_bounding = 1;
      capabilities.n_bounding = bounding.pointers.size();
      capabilities.bounding = bounding.pointers.data();
    }
    if (decision->effective || decision->bounding) plan.capabilities = &capabilities;

    Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
    result.plan = &plan;
    op.succeed(berth::cpp::encode(&result.base));
  }

 private:
  const nnp::Settings settings_;
};

const char* const kAliases[] = {"linux/nnp", nullptr};
const berth_flag kEffective = {sizeof(berth_flag), BERTH_FLAG_STRING, "effective_capabilities",
                               "capabilities a container gets unless it asks for its own, as JSON "
                               "{\"capabilities\": [\"NET_RAW\"]} or file://path"};
const berth_flag kBounding = {
    sizeof(berth_flag), BERTH_FLAG_STRING, "bounding_capabilities",
    "the most capabilities any container may have, as JSON {\"capabilities\": [...]} or "
    "file://path"};
const berth_flag* const kFlags[] = {&kEffective, &kBounding, nullptr};
const berth_plugin_descriptor kDescriptor = {
    sizeof(berth_plugin_descriptor),
    0,
    "nnp",
    "1.0.0",
    "Berth",
    "no_new_privs for every container, and its capability sets (Mesos linux/nnp)",
    kAliases,
    BERTH_KIND_ISOLATOR,
    kFlags,
};

}  // namespace

BERTH_CPP_PLUGIN(NnpIsolator, kDescriptor)
