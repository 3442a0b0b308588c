// The loaded, checked TLS state of a process: certificate, key, trust store and protocol
// policy, ready for the server and the client to use.
//
// Create one at process start from TlsConfig::fromEnvironment(); any failure there names
// the variable and the reason and should stop the process. The context is immutable and
// shared by every connection, from any thread.
#pragma once

#include <memory>
#include <string>

#include "core/common/result.h"
#include "core/net/tls_config.h"

namespace berth::net {

class TlsContext {
 public:
  // Loads certificate, key and trust store and applies the policy. Fails with the
  // variable's name when a file is missing or unreadable, is not PEM, when the key does
  // not match the certificate, or when OpenSSL rejects the cipher, suite or group list.
  // `config.enabled` must be true.
  static Result<std::shared_ptr<const TlsContext>> create(const TlsConfig& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsConfig& config() const;

  // Asio state; defined in tls_context_impl.h, used only inside core/net.
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::net
