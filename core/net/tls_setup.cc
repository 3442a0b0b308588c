#include "core/net/tls_setup.h"

#include <glog/logging.h>

namespace berth::net {

Result<std::shared_ptr<const TlsContext>> tlsFromEnvironment(const Environment& env) {
  auto config = TlsConfig::fromEnvironment(env);
  if (!config) return config.error();
  for (const std::string& warning : config->warnings)
    LOG(WARNING) << warning;
  if (!config->enabled) return std::shared_ptr<const TlsContext>();
  return TlsContext::create(*config);
}

}  // namespace berth::net
