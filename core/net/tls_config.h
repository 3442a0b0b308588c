// TLS settings of a Berth process, read from BERTH_SSL_* environment variables.
//
// Every process (agent, master, tools) reads the same variables, so one cluster-wide
// policy is set in one place. Mesos's LIBPROCESS_SSL_* names are accepted as aliases, so
// an existing Mesos deployment's environment works unchanged; when both are set the
// BERTH_SSL_* value wins and the conflict is reported in `warnings`.
//
// Semantics (Mesos 1.9 after the VERIFY_SERVER_CERT / REQUIRE_CLIENT_CERT split):
//   VERIFY_SERVER_CERT   outgoing connections only: the server's chain and name are
//                        verified. When false the server still has to present a
//                        certificate (anonymous ciphers are never offered), unverified.
//   REQUIRE_CLIENT_CERT  incoming connections only: each client must present a certificate
//                        that verifies against the CA. When false client certificates
//                        are neither requested nor verified.
//   Unlike Mesos, REQUIRE_CLIENT_CERT does not turn on VERIFY_SERVER_CERT: each switch
//   governs exactly one direction.
//   Hostnames are checked by OpenSSL inside the handshake (RFC 6125, the `openssl`
//   scheme): DNS names against DNS SANs (or the CN when there are none), IP addresses
//   against IP SANs and only with VERIFY_IPADD. There is never a reverse DNS lookup; the
//   `legacy` scheme, which relies on one, is refused.
#pragma once

#include <string>
#include <vector>

#include "core/common/environment.h"
#include "core/common/result.h"

namespace berth::net {

struct TlsConfig {
  bool enabled = false;
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key matching cert_file
  std::string ca_file;    // PEM bundle of trusted CAs
  std::string ca_dir;     // OpenSSL hashed directory of trusted CAs
  bool verify_server_cert = false;
  bool require_client_cert = false;
  bool verify_ipadd = false;
  int verification_depth = 4;
  bool support_downgrade = false;
  std::string ciphers;       // OpenSSL cipher list for TLS <= 1.2; empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 cipher suites; empty: OpenSSL's default
  std::string ecdh_curves;   // groups list; empty: OpenSSL's default
  bool enable_tls_v1_0 = false;
  bool enable_tls_v1_1 = false;
  bool enable_tls_v1_2 = true;
  bool enable_tls_v1_3 = true;

  // For error messages: the variable each non-default setting came from, keyed by the
  // canonical suffix ("KEY_FILE" -> "LIBPROCESS_SSL_KEY_FILE").
  std::vector<std::pair<std::string, std::string>> sources;
  // Things worth logging once at start: alias conflicts, downgrade with verification.
  std::vector<std::string> warnings;

  // The variable that set `suffix`, or "BERTH_SSL_<suffix>" when it was not set.
  std::string variableFor(const std::string& suffix) const;

  // Reads and checks the variables. Fails, naming the variable and the reason, on an
  // unparsable value, an unknown BERTH_SSL_* variable, the `legacy` hostname scheme, a
  // protocol OpenSSL 3 cannot speak, or a certificate without its key (or the reverse).
  // A certificate is optional for a process that only makes outgoing connections; a
  // server refuses to start without one. TlsContext::create loads and checks the files.
  static Result<TlsConfig> fromEnvironment(const Environment& env);
};

}  // namespace berth::net
