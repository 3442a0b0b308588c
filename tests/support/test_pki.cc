#include "tests/support/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace berth::testing {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("test PKI: " + what);
}

EVP_PKEY* newKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("cannot generate a key");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) fail("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* newCert(const std::string& common_name, EVP_PKEY* key, int from_days, int until_days) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(until_days) * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

void writePem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || PEM_write_X509(f, cert) != 1) fail("cannot write " + path);
  std::fclose(f);
}

void writePem(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot write " + path);
  }
  std::fclose(f);
}

}  // namespace

struct TestCa::State {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~State() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestCa::TestCa(const std::string& dir, const std::string& name)
    : state_(std::make_unique<State>()), dir_(dir), ca_file_(dir + "/" + name + "-ca.pem") {
  state_->key = newKey();
  state_->cert = newCert(name + " test CA", state_->key, -1, 365);
  X509_set_issuer_name(state_->cert, X509_get_subject_name(state_->cert));
  addExtension(state_->cert, state_->cert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(state_->cert, state_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(state_->cert, state_->cert, NID_subject_key_identifier, "hash");
  if (X509_sign(state_->cert, state_->key, EVP_sha256()) == 0) fail("cannot sign the CA");
  writePem(ca_file_, state_->cert);
}

TestCa::~TestCa() = default;

IssuedCert TestCa::issue(const std::string& file_stem, const CertSpec& spec) {
  EVP_PKEY* key = newKey();
  X509* cert = newCert(spec.common_name, key, spec.valid_from_days, spec.valid_until_days);
  X509_set_issuer_name(cert, X509_get_subject_name(state_->cert));
  addExtension(cert, state_->cert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, state_->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExtension(cert, state_->cert, NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(cert, state_->cert, NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& dns : spec.dns_names)
    san += (san.empty() ? "" : ",") + ("DNS:" + dns);
  for (const auto& ip : spec.ip_addresses)
    san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) addExtension(cert, state_->cert, NID_subject_alt_name, san);
  if (X509_sign(cert, state_->key, EVP_sha256()) == 0) fail("cannot sign " + file_stem);

  IssuedCert issued{dir_ + "/" + file_stem + ".pem", dir_ + "/" + file_stem + ".key"};
  writePem(issued.cert_file, cert);
  writePem(issued.key_file, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return issued;
}

}  // namespace berth::testing
