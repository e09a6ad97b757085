#include "tests/support/county_pki.h"

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"

namespace sanji::test_support {

absl::Status CountyPki::Run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {SANJI_SOURCE_DIR "/deploy/pki.sh",
                                   "--dir=" + dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand("/bin/bash", argv, absl::Seconds(60));
  if (r.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      "deploy/pki.sh ", args.at(0), " exited ", r.exit_code, ": ", r.errors));
}

absl::Status CountyPki::Init(const std::string& county) {
  return Run({"init", "--county=" + county});
}

absl::Status CountyPki::Issue(const std::string& level, const std::string& id,
                              const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"issue", level, id};
  args.insert(args.end(), extra.begin(), extra.end());
  return Run(args);
}

std::string CountyPki::cert(const std::string& level,
                            const std::string& id) const {
  return absl::StrCat(dir_, "/issued/", level, "-", id, "/cert.pem");
}

std::string CountyPki::key(const std::string& level,
                           const std::string& id) const {
  return absl::StrCat(dir_, "/issued/", level, "-", id, "/key.pem");
}

std::vector<std::string> CountyPki::Flags(const std::string& level,
                                          const std::string& id) const {
  return {"--tls_cert=" + cert(level, id), "--tls_key=" + key(level, id),
          "--tls_ca=" + ca()};
}

std::string LevelOfCode(const std::string& code) {
  switch (code.size()) {
    case 6:
      return "county";
    case 9:
      return "township";
    default:
      return "village";
  }
}

}  // namespace sanji::test_support
