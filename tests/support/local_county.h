// LocalCounty: a county of real Sanji processes on loopback, for integration
// and fault tests.
//
// One county_hub, one township_node per township and one village_agent per
// village, each with its own RocksDB directory under `dir`. Every child ->
// parent link goes through its own TcpProxy, so a test can cut, slow or reset
// one village's link or one township's link to the county without touching
// the processes. Processes can be killed (SIGKILL) and started again on the
// same ports and directories.
//
// Thread-safety: use from the test's main thread (children get
// PR_SET_PDEATHSIG tied to the thread that started them). Owns the processes
// and proxies; `dir` must outlive it.
#ifndef SANJI_TESTS_SUPPORT_LOCAL_COUNTY_H_
#define SANJI_TESTS_SUPPORT_LOCAL_COUNTY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"
#include "tests/support/tcp_proxy.h"

namespace sanji::test_support {

// The integer after "key: " in `key: value` status text; -1 if absent.
int64_t StatusField(const std::string& text, const std::string& key);

class LocalCounty {
 public:
  // `villages` are 12-digit codes of one county; their townships (first 9
  // digits) and the county (first 6) follow from them.
  LocalCounty(std::string dir, std::vector<std::string> villages);
  ~LocalCounty();
  LocalCounty(const LocalCounty&) = delete;
  LocalCounty& operator=(const LocalCounty&) = delete;

  // Picks ports and starts the proxies; no process yet.
  absl::Status Init();

  // Each starts the process and waits until it answers `status`; the error
  // names the log file.
  absl::Status StartHub();
  absl::Status StartTownship(const std::string& township_id);
  absl::Status StartAgent(const std::string& village_id);
  absl::Status StartAll();

  ChildProcess& hub() { return hub_; }
  ChildProcess& township(const std::string& id) { return *townships_.at(id); }
  ChildProcess& agent(const std::string& id) { return *agents_.at(id); }
  // village -> its township, and township -> county.
  TcpProxy& village_link(const std::string& id) {
    return *village_links_.at(id);
  }
  TcpProxy& township_link(const std::string& id) {
    return *township_links_.at(id);
  }

  const std::string& county_id() const { return county_id_; }
  const std::vector<std::string>& villages() const { return villages_; }
  const std::vector<std::string>& townships() const { return township_ids_; }
  std::string hub_addr() const;
  std::string agent_addr(const std::string& village_id) const;
  std::string township_addr(const std::string& township_id) const;

  // A process's data directory (default: DIR/agentID, DIR/townID, DIR/hub).
  // Set before its start, e.g. to put it on a file system of its own.
  std::string data_dir(const std::string& org_id) const;
  void set_data_dir(const std::string& org_id, std::string path);
  // Flags added to a township's or village's `serve` command line.
  void set_extra_flags(const std::string& org_id,
                       std::vector<std::string> flags);
  // Flags added to the hub's `serve` command line.
  void set_hub_flags(std::vector<std::string> flags) {
    hub_flags_ = std::move(flags);
  }

  // `village_agent import` of `files` into the village's agent.
  CommandResult Import(const std::string& village_id,
                       const std::vector<std::string>& files) const;
  // `status --format=text` output; empty if the process does not answer.
  std::string AgentStatus(const std::string& village_id) const;
  std::string TownshipStatus(const std::string& township_id) const;

  // Waits until every agent has nothing pending (records or urgent reports).
  absl::Status WaitAgentsSynced(absl::Duration timeout) const;
  // Waits until every township has forwarded every cell and alert.
  absl::Status WaitTownshipsSynced(absl::Duration timeout) const;

  // `county_hub report --format=csv`.
  absl::StatusOr<ReportCsv> Report(const std::string& period,
                                   const std::string& level) const;

 private:
  std::string dir_;
  std::string county_id_;
  std::vector<std::string> villages_;
  std::vector<std::string> township_ids_;
  int hub_port_ = 0;
  std::map<std::string, int> ports_;  // township or village id -> its port
  std::map<std::string, std::string> data_dirs_;  // overrides, by org id
  std::map<std::string, std::vector<std::string>> extra_flags_;
  std::vector<std::string> hub_flags_;
  ChildProcess hub_;
  std::map<std::string, std::unique_ptr<ChildProcess>> townships_;
  std::map<std::string, std::unique_ptr<ChildProcess>> agents_;
  std::map<std::string, std::unique_ptr<TcpProxy>> village_links_;
  std::map<std::string, std::unique_ptr<TcpProxy>> township_links_;
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_LOCAL_COUNTY_H_
