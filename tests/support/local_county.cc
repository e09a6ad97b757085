#include "tests/support/local_county.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sanji::test_support {
namespace {

std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }

// Polls `binary status` until it answers, for a server that is starting.
// The child must still be running when it answers: otherwise another process
// holds its address and would take its traffic.
absl::Status WaitServing(const std::string& binary, const std::string& flag,
                         const std::string& addr, ChildProcess& child,
                         const std::vector<std::string>& security = {}) {
  std::vector<std::string> args = {"status", flag + addr};
  args.insert(args.end(), security.begin(), security.end());
  bool up = WaitFor(
      [&] {
        return !child.Running() ||
               RunCommand(BinaryPath(binary), args, absl::Seconds(5))
                       .exit_code == 0;
      },
      absl::Seconds(60));
  if (!child.Running()) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary, " exited at start (address ", addr,
                     " taken?); see ", child.log_path()));
  }
  if (up) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      binary, " did not answer on ", addr, "; see ", child.log_path()));
}

}  // namespace

int64_t StatusField(const std::string& text, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, key + ": ")) {
      int64_t v = 0;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return -1;
}

LocalCounty::LocalCounty(std::string dir, std::vector<std::string> villages)
    : dir_(std::move(dir)), villages_(std::move(villages)) {
  if (!villages_.empty()) county_id_ = villages_[0].substr(0, 6);
  for (const std::string& v : villages_) {
    std::string t = v.substr(0, 9);
    if (std::find(township_ids_.begin(), township_ids_.end(), t) ==
        township_ids_.end()) {
      township_ids_.push_back(t);
    }
  }
}

LocalCounty::~LocalCounty() {
  // Children first, so no process is left talking to a closed proxy.
  agents_.clear();
  townships_.clear();
  hub_.Kill();
}

absl::Status LocalCounty::Init() {
  hub_port_ = PickFreePort();
  if (hub_port_ == 0) return absl::UnavailableError("no free port");
  for (const std::string& t : township_ids_) {
    ports_[t] = PickFreePort();
    townships_[t] = std::make_unique<ChildProcess>();
    absl::StatusOr<std::unique_ptr<TcpProxy>> link = TcpProxy::Start(hub_port_);
    if (!link.ok()) return link.status();
    township_links_[t] = std::move(*link);
  }
  for (const std::string& v : villages_) {
    ports_[v] = PickFreePort();
    agents_[v] = std::make_unique<ChildProcess>();
    absl::StatusOr<std::unique_ptr<TcpProxy>> link =
        TcpProxy::Start(ports_[v.substr(0, 9)]);
    if (!link.ok()) return link.status();
    village_links_[v] = std::move(*link);
  }
  return absl::OkStatus();
}

absl::Status LocalCounty::UseTls(CountyPki* pki) {
  std::vector<std::string> orgs = {county_id_};
  orgs.insert(orgs.end(), township_ids_.begin(), township_ids_.end());
  orgs.insert(orgs.end(), villages_.begin(), villages_.end());
  for (const std::string& org : orgs) {
    if (absl::Status s = pki->Issue(LevelOfCode(org), org); !s.ok()) return s;
  }
  if (absl::Status s = pki->Issue("operator", kOperator); !s.ok()) return s;
  pki_ = pki;
  return absl::OkStatus();
}

std::vector<std::string> LocalCounty::ServeSecurity(
    const std::string& org_id) const {
  if (pki_ == nullptr) return {"--insecure"};
  return pki_->Flags(LevelOfCode(org_id), org_id);
}

std::vector<std::string> LocalCounty::ClientSecurity() const {
  if (pki_ == nullptr) return {};
  return pki_->Flags("operator", kOperator);
}

std::string LocalCounty::hub_addr() const { return Addr(hub_port_); }
std::string LocalCounty::agent_addr(const std::string& village_id) const {
  return Addr(ports_.at(village_id));
}
std::string LocalCounty::township_addr(const std::string& township_id) const {
  return Addr(ports_.at(township_id));
}

std::string LocalCounty::data_dir(const std::string& org_id) const {
  if (auto it = data_dirs_.find(org_id); it != data_dirs_.end())
    return it->second;
  if (org_id == county_id_) return dir_ + "/hub";
  return absl::StrCat(dir_, org_id.size() == 9 ? "/town" : "/agent", org_id);
}

void LocalCounty::set_data_dir(const std::string& org_id, std::string path) {
  data_dirs_[org_id] = std::move(path);
}

void LocalCounty::set_extra_flags(const std::string& org_id,
                                  std::vector<std::string> flags) {
  extra_flags_[org_id] = std::move(flags);
}

absl::Status LocalCounty::StartHub() {
  std::vector<std::string> args = {"serve", "--county_id=" + county_id_,
                                   "--data_dir=" + data_dir(county_id_),
                                   "--listen=" + hub_addr()};
  for (std::string& flag : ServeSecurity(county_id_)) args.push_back(flag);
  if (auto it = extra_flags_.find(county_id_); it != extra_flags_.end())
    args.insert(args.end(), it->second.begin(), it->second.end());
  absl::Status s =
      hub_.Start(BinaryPath("county_hub"), args, dir_ + "/hub.log");
  if (!s.ok()) return s;
  return WaitServing("county_hub", "--hub=", hub_addr(), hub_,
                     ClientSecurity());
}

absl::Status LocalCounty::StartTownship(const std::string& id) {
  ChildProcess& child = *townships_.at(id);
  std::vector<std::string> args = {
      "serve", "--township_id=" + id, "--data_dir=" + data_dir(id),
      "--listen=" + township_addr(id),
      "--county=" + Addr(township_links_.at(id)->port())};
  for (std::string& flag : ServeSecurity(id)) args.push_back(flag);
  if (auto it = extra_flags_.find(id); it != extra_flags_.end())
    args.insert(args.end(), it->second.begin(), it->second.end());
  absl::Status s = child.Start(BinaryPath("township_node"), args,
                               dir_ + "/town" + id + ".log");
  if (!s.ok()) return s;
  return WaitServing("township_node", "--node=", township_addr(id), child,
                     ClientSecurity());
}

absl::Status LocalCounty::StartAgent(const std::string& id) {
  ChildProcess& child = *agents_.at(id);
  std::vector<std::string> args = {
      "serve", "--village_id=" + id, "--data_dir=" + data_dir(id),
      "--township=" + Addr(village_links_.at(id)->port()),
      "--listen=" + agent_addr(id)};
  for (std::string& flag : ServeSecurity(id)) args.push_back(flag);
  if (auto it = extra_flags_.find(id); it != extra_flags_.end())
    args.insert(args.end(), it->second.begin(), it->second.end());
  absl::Status s = child.Start(BinaryPath("village_agent"), args,
                               dir_ + "/agent" + id + ".log");
  if (!s.ok()) return s;
  return WaitServing("village_agent", "--agent=", agent_addr(id), child);
}

absl::Status LocalCounty::StartAll() {
  if (absl::Status s = StartHub(); !s.ok()) return s;
  for (const std::string& t : township_ids_) {
    if (absl::Status s = StartTownship(t); !s.ok()) return s;
  }
  for (const std::string& v : villages_) {
    if (absl::Status s = StartAgent(v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

CommandResult LocalCounty::Import(const std::string& village_id,
                                  const std::vector<std::string>& files) const {
  std::vector<std::string> args = {"import",
                                   "--agent=" + agent_addr(village_id)};
  args.insert(args.end(), files.begin(), files.end());
  return RunCommand(BinaryPath("village_agent"), args, absl::Minutes(5));
}

std::string LocalCounty::AgentStatus(const std::string& village_id) const {
  return RunCommand(
             BinaryPath("village_agent"),
             {"status", "--agent=" + agent_addr(village_id), "--format=text"},
             absl::Seconds(5))
      .output;
}

std::string LocalCounty::TownshipStatus(const std::string& township_id) const {
  std::vector<std::string> args = {
      "status", "--node=" + township_addr(township_id), "--format=text"};
  for (std::string& flag : ClientSecurity()) args.push_back(flag);
  return RunCommand(BinaryPath("township_node"), args, absl::Seconds(5)).output;
}

absl::Status LocalCounty::WaitAgentsSynced(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const std::string& v : villages_) {
    std::string last;
    bool synced = WaitFor(
        [&] {
          last = AgentStatus(v);
          return StatusField(last, "pending_records") == 0 &&
                 StatusField(last, "urgent_pending") == 0;
        },
        std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!synced) {
      return absl::DeadlineExceededError(
          absl::StrCat("village ", v, " still has records to sync:\n", last));
    }
  }
  return absl::OkStatus();
}

absl::Status LocalCounty::WaitTownshipsSynced(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const std::string& t : township_ids_) {
    std::string last;
    bool synced = WaitFor(
        [&] {
          last = TownshipStatus(t);
          return StatusField(last, "cells_pending") == 0 &&
                 StatusField(last, "alerts_pending") == 0 &&
                 StatusField(last, "activity_pending") == 0;
        },
        std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!synced) {
      return absl::DeadlineExceededError(absl::StrCat(
          "township ", t, " still has cells or alerts to forward:\n", last));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReportCsv> LocalCounty::Report(const std::string& period,
                                              const std::string& level) const {
  std::vector<std::string> args = {"report", "--hub=" + hub_addr(),
                                   "--period=" + period, "--level=" + level,
                                   "--format=csv"};
  for (std::string& flag : ClientSecurity()) args.push_back(flag);
  CommandResult r =
      RunCommand(BinaryPath("county_hub"), args, absl::Minutes(2));
  if (r.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("county_hub report failed: ", r.errors));
  }
  return ReportCsv::Parse(r.output);
}

}  // namespace sanji::test_support
