#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstdio>

#include "core/net/tls_context_impl.h"

namespace berth::net {

namespace ssl = boost::asio::ssl;

std::string opensslErrorText(const std::string& fallback) {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error())
    last = e;
  if (last == 0) return fallback;
  char buffer[256];
  ERR_error_string_n(last, buffer, sizeof(buffer));
  return buffer;
}

namespace {

// Checks the file is there and readable before OpenSSL sees it, because OpenSSL's own
// message for a missing file ("system lib") does not say which.
Status checkReadable(const std::string& path, const std::string& variable) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return errnoError("cannot read '" + path + "'", errno).withContext(variable);
  std::fclose(f);
  return okStatus();
}

Status loadTrust(SSL_CTX* ctx, const TlsConfig& config);

Status configure(ssl::context& context, const TlsConfig& config) {
  SSL_CTX* ctx = context.native_handle();
  ERR_clear_error();

  long options =
      SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (!config.enable_tls_v1_0) options |= SSL_OP_NO_TLSv1;
  if (!config.enable_tls_v1_1) options |= SSL_OP_NO_TLSv1_1;
  if (!config.enable_tls_v1_2) options |= SSL_OP_NO_TLSv1_2;
  if (!config.enable_tls_v1_3) options |= SSL_OP_NO_TLSv1_3;
  SSL_CTX_set_options(ctx, options);

  // Anonymous and null ciphers would let a peer skip its certificate; they are never
  // offered, whatever CIPHERS says (Mesos had to learn this in MESOS-9810).
  const std::string ciphers =
      (config.ciphers.empty() ? std::string("DEFAULT") : config.ciphers) + ":!aNULL:!eNULL";
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    return Error(ErrorCode::kInvalidArgument, config.variableFor("CIPHERS") +
                                                  ": OpenSSL accepts none of '" + config.ciphers +
                                                  "': " + opensslErrorText("no usable cipher"));
  }
  if (!config.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, config.ciphersuites.c_str()) != 1) {
    return Error(ErrorCode::kInvalidArgument, config.variableFor("CIPHERSUITES") +
                                                  ": OpenSSL rejects '" + config.ciphersuites +
                                                  "': " + opensslErrorText("invalid list"));
  }
  if (!config.ecdh_curves.empty() &&
      SSL_CTX_set1_groups_list(ctx, config.ecdh_curves.c_str()) != 1) {
    return Error(ErrorCode::kInvalidArgument, config.variableFor("ECDH_CURVES") +
                                                  ": OpenSSL rejects '" + config.ecdh_curves +
                                                  "': " + opensslErrorText("invalid list"));
  }

  if (config.cert_file.empty()) return loadTrust(ctx, config);
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 config.variableFor("CERT_FILE") + ": '" + config.cert_file +
                     "' is not a PEM certificate: " + opensslErrorText("unreadable"));
  }
  // The key is parsed apart from installing it, so that "not a key" and "not this
  // certificate's key" get different messages.
  FILE* key_file = std::fopen(config.key_file.c_str(), "r");
  EVP_PKEY* key = key_file ? PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr) : nullptr;
  if (key_file != nullptr) std::fclose(key_file);
  if (key == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 config.variableFor("KEY_FILE") + ": '" + config.key_file +
                     "' is not a PEM private key: " + opensslErrorText("unreadable"));
  }
  const bool installed =
      SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!installed) {
    ERR_clear_error();
    return Error(ErrorCode::kInvalidArgument,
                 config.variableFor("KEY_FILE") + ": the key in '" + config.key_file +
                     "' does not match the certificate in '" + config.cert_file + "'");
  }
  return loadTrust(ctx, config);
}

Status loadTrust(SSL_CTX* ctx, const TlsConfig& config) {
  const char* ca_file = config.ca_file.empty() ? nullptr : config.ca_file.c_str();
  const char* ca_dir = config.ca_dir.empty() ? nullptr : config.ca_dir.c_str();
  if (ca_file != nullptr || ca_dir != nullptr) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file, ca_dir) != 1) {
      const std::string variable = config.variableFor(ca_file != nullptr ? "CA_FILE" : "CA_DIR");
      return Error(ErrorCode::kInvalidArgument,
                   variable + ": cannot load trusted CAs: " + opensslErrorText("unreadable"));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot load OpenSSL's default trusted CAs: " + opensslErrorText("unknown"));
  }
  SSL_CTX_set_verify_depth(ctx, config.verification_depth);
  return okStatus();
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsConfig& config) {
  if (!config.enabled) {
    return Error(ErrorCode::kFailedPrecondition, "TLS context requested while TLS is disabled");
  }
  if (!config.cert_file.empty()) {
    if (Status s = checkReadable(config.cert_file, config.variableFor("CERT_FILE")); !s) {
      return s.error();
    }
    if (Status s = checkReadable(config.key_file, config.variableFor("KEY_FILE")); !s) {
      return s.error();
    }
  }
  if (!config.ca_file.empty()) {
    if (Status s = checkReadable(config.ca_file, config.variableFor("CA_FILE")); !s) {
      return s.error();
    }
  }
  if (!config.ca_dir.empty()) {
    struct stat st {};
    if (::stat(config.ca_dir.c_str(), &st) != 0) {
      return errnoError("cannot open '" + config.ca_dir + "'", errno)
          .withContext(config.variableFor("CA_DIR"));
    }
    if (!S_ISDIR(st.st_mode)) {
      return Error(ErrorCode::kInvalidArgument,
                   config.variableFor("CA_DIR") + ": '" + config.ca_dir + "' is not a directory");
    }
  }

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  if (Status s = configure(impl->server, config); !s) return s.error();
  if (Status s = configure(impl->client, config); !s) return s.error();

  if (config.require_client_cert) {
    impl->server.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    impl->server.set_verify_mode(ssl::verify_none);
  }
  impl->client.set_verify_mode(config.verify_server_cert ? ssl::verify_peer : ssl::verify_none);

  return std::shared_ptr<const TlsContext>(new TlsContext(std::move(impl)));
}

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

const TlsConfig& TlsContext::config() const {
  return impl_->config;
}

Status configureClientSession(const TlsConfig& config, void* native, const std::string& host) {
  SSL* ssl = static_cast<SSL*>(native);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;

  // SNI carries DNS names only (RFC 6066).
  if (!is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Error(ErrorCode::kInvalidArgument, "cannot set TLS server name '" + host + "'");
  }
  if (!config.verify_server_cert) return okStatus();

  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip) {
    if (!config.verify_ipadd) {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot verify the certificate of " + host +
                       ": no DNS name given and IP address verification is disabled (set " +
                       config.variableFor("VERIFY_IPADD") + "=true or connect by name)");
    }
    if (X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str()) != 1) {
      return Error(ErrorCode::kInvalidArgument, "cannot verify IP address " + host);
    }
  } else if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) {
    return Error(ErrorCode::kInvalidArgument, "cannot verify host name '" + host + "'");
  }
  return okStatus();
}

}  // namespace berth::net
