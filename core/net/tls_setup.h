// Process start-up for TLS: one call that reads BERTH_SSL_* (and LIBPROCESS_SSL_*), logs
// the warnings, and loads the context. Every Berth program calls it before serving or
// connecting, and stops with the error's message when it fails.
#pragma once

#include <memory>

#include "core/common/environment.h"
#include "core/common/result.h"
#include "core/net/tls_context.h"

namespace berth::net {

// Null when TLS is disabled. The error names the variable at fault.
Result<std::shared_ptr<const TlsContext>> tlsFromEnvironment(const Environment& env);

}  // namespace berth::net
