// CountyPki: a county's certificates for a test, made by the real
// deploy/pki.sh (the tool a county uses) in a directory of the test's.
//
// Thread-compatible; the directory must outlive it.
#ifndef SANJI_TESTS_SUPPORT_COUNTY_PKI_H_
#define SANJI_TESTS_SUPPORT_COUNTY_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sanji::test_support {

class CountyPki {
 public:
  explicit CountyPki(std::string dir) : dir_(std::move(dir)) {}

  // deploy/pki.sh init: the county's CA.
  absl::Status Init(const std::string& county);
  // deploy/pki.sh issue LEVEL ID [extra...] (e.g. --days=1): a key and a
  // certificate for "county", "township", "village" or "operator" ID.
  absl::Status Issue(const std::string& level, const std::string& id,
                     const std::vector<std::string>& extra = {});
  // Runs deploy/pki.sh with `args` after --dir; its output or the error.
  absl::Status Run(const std::vector<std::string>& args) const;

  std::string ca() const { return dir_ + "/ca.pem"; }
  std::string cert(const std::string& level, const std::string& id) const;
  std::string key(const std::string& level, const std::string& id) const;
  // --tls_cert=, --tls_key=, --tls_ca= for LEVEL ID's certificate.
  std::vector<std::string> Flags(const std::string& level,
                                 const std::string& id) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The level whose code has `code`'s length: county, township or village.
std::string LevelOfCode(const std::string& code);

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_COUNTY_PKI_H_
