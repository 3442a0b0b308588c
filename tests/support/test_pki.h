// Certificates made by the tests themselves, with OpenSSL: a CA, leaf certificates with
// chosen names and validity, written as PEM files. Nothing is checked in, nothing expires
// in the repository.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace berth::testing {

struct CertSpec {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  int valid_from_days = -1;               // relative to now; negative is in the past
  int valid_until_days = 30;              // negative: already expired
};

struct IssuedCert {
  std::string cert_file;  // PEM certificate
  std::string key_file;   // PEM private key (EC P-256)
};

class TestCa {
 public:
  // A self-signed CA; its certificate is written to `dir`/`name`-ca.pem.
  TestCa(const std::string& dir, const std::string& name);
  ~TestCa();

  const std::string& caFile() const { return ca_file_; }

  // A leaf certificate for server and client use, signed by this CA, written to
  // `dir`/`file_stem`.pem and `dir`/`file_stem`.key.
  IssuedCert issue(const std::string& file_stem, const CertSpec& spec);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string dir_;
  std::string ca_file_;
};

}  // namespace berth::testing
