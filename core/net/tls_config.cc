#include "core/net/tls_config.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>

#include "core/common/parse.h"

namespace berth::net {

namespace {

constexpr std::string_view kBerthPrefix = "BERTH_SSL_";
constexpr std::string_view kMesosPrefix = "LIBPROCESS_SSL_";

// One setting: its canonical suffix, the older Mesos suffix that means the same (if any),
// and how to store a value.
struct Setting {
  std::string_view suffix;
  std::string_view alias;
  std::function<Status(TlsConfig&, const std::string&)> apply;
};

Status setBool(bool& field, const std::string& value) {
  auto parsed = parseBool(value);
  if (!parsed) return parsed.error();
  field = *parsed;
  return okStatus();
}

Status refuseLegacy(const std::string& value) {
  if (value == "openssl") return okStatus();
  if (value == "legacy") {
    return Error(ErrorCode::kInvalidArgument,
                 "the 'legacy' scheme is not supported: it matches names by a reverse DNS "
                 "lookup of the peer address after the handshake, which anyone controlling "
                 "DNS can spoof; use 'openssl' (RFC 6125 checks during the handshake)");
  }
  return Error(ErrorCode::kInvalidArgument, "expected 'openssl', got '" + value + "'");
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      {"ENABLED", "", [](TlsConfig& c, const std::string& v) { return setBool(c.enabled, v); }},
      {"CERT_FILE", "",
       [](TlsConfig& c, const std::string& v) { return c.cert_file = v, okStatus(); }},
      {"KEY_FILE", "",
       [](TlsConfig& c, const std::string& v) { return c.key_file = v, okStatus(); }},
      {"CA_FILE", "", [](TlsConfig& c, const std::string& v) { return c.ca_file = v, okStatus(); }},
      {"CA_DIR", "", [](TlsConfig& c, const std::string& v) { return c.ca_dir = v, okStatus(); }},
      {"VERIFY_SERVER_CERT", "VERIFY_CERT",
       [](TlsConfig& c, const std::string& v) { return setBool(c.verify_server_cert, v); }},
      {"REQUIRE_CLIENT_CERT", "REQUIRE_CERT",
       [](TlsConfig& c, const std::string& v) { return setBool(c.require_client_cert, v); }},
      {"VERIFY_IPADD", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.verify_ipadd, v); }},
      {"VERIFICATION_DEPTH", "",
       [](TlsConfig& c, const std::string& v) -> Status {
         auto depth = parseInt(v, 0, 100);
         if (!depth) return depth.error();
         c.verification_depth = static_cast<int>(*depth);
         return okStatus();
       }},
      {"SUPPORT_DOWNGRADE", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.support_downgrade, v); }},
      {"HOSTNAME_VALIDATION_SCHEME", "",
       [](TlsConfig&, const std::string& v) { return refuseLegacy(v); }},
      {"CIPHERS", "", [](TlsConfig& c, const std::string& v) { return c.ciphers = v, okStatus(); }},
      {"CIPHERSUITES", "",
       [](TlsConfig& c, const std::string& v) { return c.ciphersuites = v, okStatus(); }},
      {"ECDH_CURVES", "",
       [](TlsConfig& c, const std::string& v) {
         return c.ecdh_curves = (v == "auto" ? "" : v), okStatus();
       }},
      {"ENABLE_SSL_V3", "",
       [](TlsConfig&, const std::string& v) -> Status {
         auto on = parseBool(v);
         if (!on) return on.error();
         if (*on) return Error(ErrorCode::kInvalidArgument, "SSLv3 is insecure and unsupported");
         return okStatus();
       }},
      {"ENABLE_TLS_V1_0", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.enable_tls_v1_0, v); }},
      {"ENABLE_TLS_V1_1", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.enable_tls_v1_1, v); }},
      {"ENABLE_TLS_V1_2", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.enable_tls_v1_2, v); }},
      {"ENABLE_TLS_V1_3", "",
       [](TlsConfig& c, const std::string& v) { return setBool(c.enable_tls_v1_3, v); }},
  };
  return kSettings;
}

struct Found {
  std::string variable;
  std::string value;
};

// Looks a setting up under every accepted name, most authoritative first. The first one
// set wins; others set to a different value are reported as a conflict.
std::optional<Found> lookup(const Environment& env, const Setting& setting,
                            std::vector<std::string>& warnings) {
  std::vector<std::string> names;
  for (std::string_view prefix : {kBerthPrefix, kMesosPrefix}) {
    names.push_back(std::string(prefix) + std::string(setting.suffix));
    if (!setting.alias.empty()) names.push_back(std::string(prefix) + std::string(setting.alias));
  }
  std::optional<Found> winner;
  for (const std::string& name : names) {
    auto value = env.get(name);
    if (!value) continue;
    if (!winner) {
      winner = Found{name, *value};
    } else if (*value != winner->value) {
      warnings.push_back(name + "='" + *value + "' conflicts with " + winner->variable + "='" +
                         winner->value + "'; using " + winner->variable);
    }
  }
  return winner;
}

bool knownSuffix(std::string_view suffix) {
  return std::any_of(settings().begin(), settings().end(), [&](const Setting& s) {
    return s.suffix == suffix || (!s.alias.empty() && s.alias == suffix);
  });
}

}  // namespace

std::string TlsConfig::variableFor(const std::string& suffix) const {
  for (const auto& [key, variable] : sources) {
    if (key == suffix) return variable;
  }
  return std::string(kBerthPrefix) + suffix;
}

Result<TlsConfig> TlsConfig::fromEnvironment(const Environment& env) {
  TlsConfig config;

  // A misspelt BERTH_SSL_ variable would otherwise be ignored silently (Mesos ignores
  // LIBPROCESS_SSL_VERIFY_DEPTH, its own documented name, this way). Mesos's prefix is
  // shared with settings of libprocess we do not have, so only ours is checked.
  for (const std::string& name : env.namesWithPrefix(kBerthPrefix)) {
    if (!knownSuffix(std::string_view(name).substr(kBerthPrefix.size()))) {
      return Error(ErrorCode::kInvalidArgument, name + ": unknown TLS setting");
    }
  }

  for (const Setting& setting : settings()) {
    auto found = lookup(env, setting, config.warnings);
    if (!found) continue;
    config.sources.emplace_back(std::string(setting.suffix), found->variable);
    Status applied = setting.apply(config, found->value);
    if (!applied) return applied.error().withContext(found->variable);
  }

  if (!config.enabled) return config;

  // A process that only connects out may go without a certificate; a server cannot, and
  // HttpServer::start() says so. Half a pair is always a mistake.
  if (config.cert_file.empty() && !config.key_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 config.variableFor("CERT_FILE") + ": a private key is set (" +
                     config.variableFor("KEY_FILE") + ") but no certificate");
  }
  if (!config.cert_file.empty() && config.key_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 config.variableFor("KEY_FILE") + ": a certificate is set (" +
                     config.variableFor("CERT_FILE") + ") but no private key");
  }
  if (!config.enable_tls_v1_0 && !config.enable_tls_v1_1 && !config.enable_tls_v1_2 &&
      !config.enable_tls_v1_3) {
    return Error(ErrorCode::kInvalidArgument, config.variableFor("ENABLE_TLS_V1_2") +
                                                  ": every TLS protocol version is disabled");
  }
  if (config.support_downgrade && (config.require_client_cert || config.verify_server_cert)) {
    config.warnings.push_back(config.variableFor("SUPPORT_DOWNGRADE") +
                              " is on: clients may connect without TLS, bypassing certificate "
                              "verification");
  }
  return config;
}

}  // namespace berth::net
