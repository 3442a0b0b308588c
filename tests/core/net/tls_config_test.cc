#include "core/net/tls_config.h"

#include <gtest/gtest.h>

namespace berth::net {
namespace {

Result<TlsConfig> parse(std::map<std::string, std::string> vars) {
  return TlsConfig::fromEnvironment(Environment(std::move(vars)));
}

std::string failure(std::map<std::string, std::string> vars) {
  auto config = parse(std::move(vars));
  EXPECT_FALSE(config) << "expected a failure";
  return config ? "" : config.error().message();
}

TEST(TlsConfigTest, DefaultsFollowMesosExceptTls13AndScheme) {
  auto config = parse({});
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->enabled);
  EXPECT_FALSE(config->verify_server_cert);
  EXPECT_FALSE(config->require_client_cert);
  EXPECT_EQ(config->verification_depth, 4);
  EXPECT_TRUE(config->enable_tls_v1_2);
  EXPECT_TRUE(config->enable_tls_v1_3);
  EXPECT_FALSE(config->enable_tls_v1_0);
}

TEST(TlsConfigTest, ReadsEverySetting) {
  auto config = parse({{"BERTH_SSL_ENABLED", "true"},
                       {"BERTH_SSL_CERT_FILE", "/c.pem"},
                       {"BERTH_SSL_KEY_FILE", "/k.pem"},
                       {"BERTH_SSL_CA_FILE", "/ca.pem"},
                       {"BERTH_SSL_CA_DIR", "/cas"},
                       {"BERTH_SSL_VERIFY_SERVER_CERT", "1"},
                       {"BERTH_SSL_REQUIRE_CLIENT_CERT", "yes"},
                       {"BERTH_SSL_VERIFY_IPADD", "true"},
                       {"BERTH_SSL_VERIFICATION_DEPTH", "7"},
                       {"BERTH_SSL_CIPHERS", "ECDHE-ECDSA-AES128-GCM-SHA256"},
                       {"BERTH_SSL_ECDH_CURVES", "auto"},
                       {"BERTH_SSL_HOSTNAME_VALIDATION_SCHEME", "openssl"},
                       {"BERTH_SSL_ENABLE_TLS_V1_3", "false"}});
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_TRUE(config->enabled);
  EXPECT_EQ(config->cert_file, "/c.pem");
  EXPECT_EQ(config->key_file, "/k.pem");
  EXPECT_EQ(config->ca_file, "/ca.pem");
  EXPECT_EQ(config->ca_dir, "/cas");
  EXPECT_TRUE(config->verify_server_cert);
  EXPECT_TRUE(config->require_client_cert);
  EXPECT_TRUE(config->verify_ipadd);
  EXPECT_EQ(config->verification_depth, 7);
  EXPECT_EQ(config->ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(config->ecdh_curves, "");
  EXPECT_FALSE(config->enable_tls_v1_3);
}

TEST(TlsConfigTest, MesosNamesAreAliases) {
  auto config = parse({{"LIBPROCESS_SSL_ENABLED", "true"},
                       {"LIBPROCESS_SSL_CERT_FILE", "/c.pem"},
                       {"LIBPROCESS_SSL_KEY_FILE", "/k.pem"},
                       {"LIBPROCESS_SSL_VERIFY_CERT", "true"},
                       {"LIBPROCESS_SSL_REQUIRE_CERT", "true"}});
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_TRUE(config->enabled);
  EXPECT_TRUE(config->verify_server_cert);
  EXPECT_TRUE(config->require_client_cert);
  EXPECT_EQ(config->variableFor("KEY_FILE"), "LIBPROCESS_SSL_KEY_FILE");
  EXPECT_EQ(config->variableFor("VERIFY_SERVER_CERT"), "LIBPROCESS_SSL_VERIFY_CERT");
  EXPECT_TRUE(config->warnings.empty());
}

TEST(TlsConfigTest, BerthNameWinsAndConflictIsReported) {
  auto config = parse({{"BERTH_SSL_VERIFY_SERVER_CERT", "false"},
                       {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "true"},
                       {"LIBPROCESS_SSL_VERIFY_CERT", "false"}});
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->verify_server_cert);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_EQ(config->warnings[0],
            "LIBPROCESS_SSL_VERIFY_SERVER_CERT='true' conflicts with "
            "BERTH_SSL_VERIFY_SERVER_CERT='false'; using BERTH_SSL_VERIFY_SERVER_CERT");
}

TEST(TlsConfigTest, RequireClientCertDoesNotImplyVerifyServerCert) {
  auto config = parse({{"BERTH_SSL_REQUIRE_CLIENT_CERT", "true"}});
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->require_client_cert);
  EXPECT_FALSE(config->verify_server_cert);
}

TEST(TlsConfigTest, BadValuesNameTheVariable) {
  EXPECT_EQ(failure({{"BERTH_SSL_ENABLED", "sure"}}),
            "BERTH_SSL_ENABLED: expected true or false, got 'sure'");
  EXPECT_EQ(failure({{"LIBPROCESS_SSL_VERIFICATION_DEPTH", "deep"}}),
            "LIBPROCESS_SSL_VERIFICATION_DEPTH: expected an integer, got 'deep'");
  EXPECT_EQ(failure({{"BERTH_SSL_VERIFICATION_DEPTH", "1000"}}),
            "BERTH_SSL_VERIFICATION_DEPTH: '1000' is outside [0, 100]");
  EXPECT_EQ(failure({{"BERTH_SSL_HOSTNAME_VALIDATION_SCHEME", "fancy"}}),
            "BERTH_SSL_HOSTNAME_VALIDATION_SCHEME: expected 'openssl', got 'fancy'");
  EXPECT_EQ(failure({{"BERTH_SSL_ENABLE_SSL_V3", "true"}}),
            "BERTH_SSL_ENABLE_SSL_V3: SSLv3 is insecure and unsupported");
}

TEST(TlsConfigTest, LegacySchemeIsRefusedWithTheReason) {
  const std::string message = failure({{"LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "legacy"}});
  EXPECT_NE(message.find("LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: the 'legacy' scheme is not "
                         "supported"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("reverse DNS"), std::string::npos) << message;
}

TEST(TlsConfigTest, UnknownBerthVariableIsAnError) {
  EXPECT_EQ(failure({{"BERTH_SSL_VERIFY_DEPTH", "3"}}),
            "BERTH_SSL_VERIFY_DEPTH: unknown TLS setting");
  // Mesos's prefix is shared with libprocess settings we do not implement.
  EXPECT_TRUE(parse({{"LIBPROCESS_SSL_SOMETHING_ELSE", "x"}}));
}

TEST(TlsConfigTest, CertificateAndKeyComeTogether) {
  EXPECT_EQ(failure({{"BERTH_SSL_ENABLED", "true"}, {"BERTH_SSL_KEY_FILE", "/k"}}),
            "BERTH_SSL_CERT_FILE: a private key is set (BERTH_SSL_KEY_FILE) but no certificate");
  EXPECT_EQ(failure({{"BERTH_SSL_ENABLED", "true"}, {"LIBPROCESS_SSL_CERT_FILE", "/c"}}),
            "BERTH_SSL_KEY_FILE: a certificate is set (LIBPROCESS_SSL_CERT_FILE) but no private "
            "key");
  // A client-only process may have neither.
  EXPECT_TRUE(parse({{"BERTH_SSL_ENABLED", "true"}}));
}

TEST(TlsConfigTest, NoProtocolLeftIsAnError) {
  EXPECT_EQ(failure({{"BERTH_SSL_ENABLED", "true"},
                     {"BERTH_SSL_CERT_FILE", "/c"},
                     {"BERTH_SSL_KEY_FILE", "/k"},
                     {"BERTH_SSL_ENABLE_TLS_V1_2", "false"},
                     {"BERTH_SSL_ENABLE_TLS_V1_3", "false"}}),
            "BERTH_SSL_ENABLE_TLS_V1_2: every TLS protocol version is disabled");
}

TEST(TlsConfigTest, DowngradeWithVerificationWarns) {
  auto config = parse({{"BERTH_SSL_ENABLED", "true"},
                       {"BERTH_SSL_CERT_FILE", "/c"},
                       {"BERTH_SSL_KEY_FILE", "/k"},
                       {"BERTH_SSL_REQUIRE_CLIENT_CERT", "true"},
                       {"BERTH_SSL_SUPPORT_DOWNGRADE", "true"}});
  ASSERT_TRUE(config);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_NE(config->warnings[0].find("bypassing certificate verification"), std::string::npos);
}

}  // namespace
}  // namespace berth::net
