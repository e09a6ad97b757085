// A full disk at a village and at a township, with the real binaries (issue
// "Prove the promises": "a village and a township whose data directories sit
// on a tiny tmpfs"). The data directory of one node sits on a SmallDisk that
// the test fills; the node must refuse new work with a reason a person can act
// on, stay up, lose nothing it acknowledged, and carry on by itself once space
// is freed, with the county's numbers exact at the end. Mounting a tmpfs needs
// root; without it the tests skip and say why.
//
// These tests found that RocksDB 7.8 (Debian 12) aborted the village agent on
// a full disk: its own diagnostic LOG file asserted when written again after
// a failed write. Store now writes that log through a logger of its own
// (common/storage.cc).
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"
#include "tests/support/small_disk.h"

namespace sanji::test_support {
namespace {

constexpr char kVillageA[] = "640522100201";
constexpr char kVillageB[] = "640522100202";
constexpr char kTownship[] = "640522100";
constexpr char kCounty[] = "640522";
constexpr absl::Duration kWait = absl::Seconds(120);

// A record file of `rows` outpatient visits spread over 2025 with record ids
// PREFIX0000000...; returns its path.
std::string WriteVisits(const TempDir& dir, const std::string& name,
                        const std::string& prefix, int first, int rows) {
  std::string path = dir.Sub(name);
  std::ofstream out(path);
  out << "record_id,action,kind,occurred_at,patient_id,sex,birth_date,"
         "cost_yuan,icd10\n";
  for (int i = first; i < first + rows; ++i) {
    out << absl::StrFormat(
        "%s%07d,new,outpatient_visit,2025-%02d-%02dT08:00,P%d,%s,1970-01-01,"
        "12.50,J06.9\n",
        prefix, i, 1 + i / 28 % 12, 1 + i % 28, i % 5000, i % 2 ? "M" : "F");
  }
  return path;
}

// "accepted=A duplicate=D rejected=R" of an import's output, summed.
int64_t Stored(const CommandResult& r) {
  int64_t accepted = 0, duplicate = 0, rejected = 0;
  for (size_t pos = r.output.find("accepted="); pos != std::string::npos;
       pos = r.output.find("accepted=", pos + 1)) {
    long long a = 0, d = 0, x = 0;
    if (std::sscanf(r.output.c_str() + pos,
                    "accepted=%lld duplicate=%lld rejected=%lld", &a, &d,
                    &x) == 3) {
      accepted = a;
      duplicate = d;
      rejected = x;
    }
  }
  return rejected == 0 ? accepted + duplicate : -1;
}

// The last lines of the log file that `status` names ("see FILE"), if any.
std::string LogTail(const absl::Status& status) {
  std::string text(status.message());
  size_t at = text.rfind("see ");
  if (at == std::string::npos) return "";
  std::ifstream in(text.substr(at + 4));
  std::string log((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  return log.substr(log.size() > 1500 ? log.size() - 1500 : 0);
}

class FullDiskTest : public ::testing::Test {
 protected:
  // Puts `org`'s data directory on a fresh small disk of `bytes`; skips the
  // test when a tmpfs cannot be mounted.
  void SetUpCounty(const std::string& org, uint64_t bytes,
                   std::vector<std::string> flags) {
    ASSERT_TRUE(dir_.ok());
    absl::StatusOr<std::unique_ptr<SmallDisk>> disk =
        SmallDisk::Mount(dir_.Sub("disk"), bytes);
    if (!disk.ok()) GTEST_SKIP() << disk.status().message();
    disk_ = std::move(*disk);
    county_ = std::make_unique<LocalCounty>(
        dir_.path(), std::vector<std::string>{kVillageA, kVillageB});
    county_->set_data_dir(org, disk_->path() + "/data");
    county_->set_extra_flags(org, std::move(flags));
    ASSERT_TRUE(county_->Init().ok());
    absl::Status started = county_->StartAll();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    county_.reset();  // processes first, then the file system under them
    disk_.reset();
  }

  int64_t VillageValue(const ReportCsv& report, const std::string& village) {
    std::optional<std::string> v =
        report.Value("village", village, "outpatient_visits");
    return v.has_value() ? std::stoll(*v) : -1;
  }

  void ExpectCounty(int64_t a, int64_t b) {
    absl::Status synced = county_->WaitAgentsSynced(kWait);
    ASSERT_TRUE(synced.ok()) << synced;
    synced = county_->WaitTownshipsSynced(kWait);
    ASSERT_TRUE(synced.ok()) << synced;
    absl::StatusOr<ReportCsv> villages = county_->Report("2025", "village");
    ASSERT_TRUE(villages.ok()) << villages.status();
    EXPECT_EQ(VillageValue(*villages, kVillageA), a);
    EXPECT_EQ(VillageValue(*villages, kVillageB), b);
    absl::StatusOr<ReportCsv> county = county_->Report("2025", "county");
    ASSERT_TRUE(county.ok()) << county.status();
    EXPECT_EQ(county->Value("county", "640522", "outpatient_visits"),
              std::to_string(a + b));
  }

  // The process of a village, township or county code.
  ChildProcess& Node(const std::string& org) {
    return org.size() == 6   ? county_->hub()
           : org.size() == 9 ? county_->township(org)
                             : county_->agent(org);
  }

  // Stops `org` (SIGTERM), leaves `leave_free` bytes on its disk and starts
  // it again: it opens with no room for a write-ahead log, so its first
  // writes fail, and a recovery follows each fill: the sequence on which
  // RocksDB 7.8 aborted the node (issue 14).
  void RestartOnNearlyFullDisk(const std::string& org, uint64_t leave_free) {
    ASSERT_TRUE(Node(org).Terminate().has_value()) << org << " did not stop";
    ASSERT_TRUE(disk_->Fill(leave_free).ok());
    absl::Status started = org.size() == 6   ? county_->StartHub()
                           : org.size() == 9 ? county_->StartTownship(org)
                                             : county_->StartAgent(org);
    ASSERT_TRUE(started.ok())
        << org << " did not start on a nearly full disk: " << started << "\n"
        << LogTail(started);
    // Opening deleted the last run's write-ahead log (and the room RocksDB
    // had reserved for it): take that too.
    ASSERT_TRUE(disk_->Fill(leave_free).ok());
  }

  TempDir dir_;
  std::unique_ptr<SmallDisk> disk_;
  std::unique_ptr<LocalCounty> county_;
};

// The village's disk fills up in the middle of an import. With no free-space
// margin (--min_free_disk_mb=0) the write reaches RocksDB and fails there with
// ENOSPC: the import is refused from that row on with "the disk is full", the
// agent stays up and the other village is not affected; once space is freed
// the same agent takes the rest, and every row is counted exactly once.
TEST_F(FullDiskTest, VillageRefusesWhileFullThenTakesTheRest) {
  SetUpCounty(kVillageA, 256 << 20, {"--min_free_disk_mb=0"});
  if (IsSkipped() || HasFatalFailure()) return;
  constexpr int kFiles = 4, kRows = 50000;
  std::vector<std::string> files;
  for (int f = 0; f < kFiles; ++f) {
    files.push_back(
        WriteVisits(dir_, absl::StrCat("a", f, ".csv"), "A", f * kRows, kRows));
  }
  // Not one byte left: only the room RocksDB reserved for its write-ahead log
  // when it started (about 17 MB) takes writes, and when that runs out not
  // even RocksDB's own diagnostic log can be written.
  ASSERT_TRUE(disk_->Fill(0).ok());

  // Import until the disk refuses.
  int refused_file = -1;
  CommandResult refusal;
  for (int f = 0; f < kFiles && refused_file < 0; ++f) {
    CommandResult r = county_->Import(kVillageA, {files[f]});
    if (r.exit_code != 0) {
      refused_file = f;
      refusal = r;
    } else {
      ASSERT_EQ(Stored(r), kRows) << r.output;
    }
  }
  ASSERT_GE(refused_file, 0) << "200,000 rows fit: the disk never filled, so "
                                "the test tested nothing";
  EXPECT_EQ(refusal.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(refusal.errors, "disk is full"))
      << refusal.errors;
  EXPECT_TRUE(
      absl::StrContains(refusal.errors, "rows before that line are stored"))
      << refusal.errors;
  // Still full: refused again, and the agent is still there to say so.
  CommandResult again = county_->Import(kVillageA, {files[refused_file]});
  EXPECT_EQ(again.exit_code, 1) << again.output << again.errors;
  EXPECT_TRUE(county_->agent(kVillageA).Running())
      << "the agent died on a full disk; see " << dir_.Sub("agent") << kVillageA
      << ".log";
  // The other village, on another disk, goes on.
  std::string b = WriteVisits(dir_, "b.csv", "B", 0, 1000);
  CommandResult rb = county_->Import(kVillageB, {b});
  EXPECT_EQ(rb.exit_code, 0) << rb.errors;

  // Space is freed; the same agent (no restart) takes the refused file and the
  // rest. RocksDB clears its no-space error by itself within seconds.
  disk_->Free();
  CommandResult retry;
  ASSERT_TRUE(WaitFor(
      [&] {
        retry = county_->Import(kVillageA, {files[refused_file]});
        return retry.exit_code == 0;
      },
      absl::Seconds(60), absl::Milliseconds(500)))
      << retry.errors;
  EXPECT_EQ(Stored(retry), kRows) << retry.output;
  for (int f = refused_file + 1; f < kFiles; ++f) {
    CommandResult r = county_->Import(kVillageA, {files[f]});
    ASSERT_EQ(r.exit_code, 0) << r.errors;
    EXPECT_EQ(Stored(r), kRows) << r.output;
  }
  EXPECT_TRUE(county_->agent(kVillageA).Running());
  EXPECT_EQ(StatusField(county_->AgentStatus(kVillageA), "last_seq"),
            kFiles * kRows)
      << "a row was accepted twice or lost at the agent";
  ExpectCounty(kFiles * kRows, 1000);
}

// The township's disk is nearly full: it refuses the villages' batches with
// a reason the village shows in its status (disk nearly full under ...), the
// records wait at the villages, nothing reaches the county twice or not at
// all, and once space is freed everything flows with no restart. The
// village's last_error is cleared by the acknowledgement that follows.
TEST_F(FullDiskTest, TownshipRefusesWhileFullThenCatchesUp) {
  SetUpCounty(kTownship, 256 << 20, {});  // default 16 MB margin
  if (IsSkipped() || HasFatalFailure()) return;
  // A first file goes through, so the township has state to keep.
  CommandResult first =
      county_->Import(kVillageA, {WriteVisits(dir_, "a0.csv", "A", 0, 2000)});
  ASSERT_EQ(first.exit_code, 0) << first.errors;
  ASSERT_TRUE(county_->WaitAgentsSynced(kWait).ok());

  ASSERT_TRUE(disk_->Fill(4 << 20).ok());
  CommandResult a = county_->Import(
      kVillageA, {WriteVisits(dir_, "a1.csv", "A", 2000, 3000)});
  ASSERT_EQ(a.exit_code, 0) << a.errors;  // the village's own disk is fine
  CommandResult b =
      county_->Import(kVillageB, {WriteVisits(dir_, "b.csv", "B", 0, 500)});
  ASSERT_EQ(b.exit_code, 0) << b.errors;
  std::string status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = county_->AgentStatus(kVillageA);
        return absl::StrContains(status, "disk nearly full");
      },
      kWait))
      << "the village never learned why the township refused:\n"
      << status;
  EXPECT_EQ(StatusField(status, "pending_records"), 3000) << status;
  EXPECT_TRUE(county_->township(kTownship).Running());

  disk_->Free();
  ExpectCounty(5000, 500);
  status = county_->AgentStatus(kVillageA);
  EXPECT_TRUE(absl::StrContains(status, "last_error: \n")) << status;
}

// The full-disk cycle at each tier, three times over, each time starting
// with the node restarted on a disk with no room for its write-ahead log:
// its first writes are refused with "the disk is full", many times (imports
// at the village; the villages' syncs at the township; the township's pushes
// at the hub), the node never exits, takes work again by itself once space is
// freed, and the county's numbers are exact. With RocksDB's recovery as it
// was (Store::Write calling DB::Resume) the second refused write after such
// a start aborted the node.
class FullDiskCycleTest : public FullDiskTest,
                          public ::testing::WithParamInterface<const char*> {};

TEST_P(FullDiskCycleTest, RefusesWhileFullThenRecoversExactly) {
  const std::string org = GetParam();
  // The hub keeps no free-disk margin of its own (it has no such flag).
  SetUpCounty(org, 256 << 20,
              org == std::string(kCounty)
                  ? std::vector<std::string>{}
                  : std::vector<std::string>{"--min_free_disk_mb=0"});
  if (IsSkipped() || HasFatalFailure()) return;
  ChildProcess& node = Node(org);
  int64_t a = 0, b = 0;  // rows stored at each village so far
  int next_id = 0;       // record ids are never reused
  // Imports a new file of `rows` visits; they count once an import says so.
  auto import = [&](const std::string& village, int rows) {
    std::string file =
        WriteVisits(dir_, absl::StrCat("f", next_id, ".csv"),
                    village == kVillageA ? "A" : "B", next_id, rows);
    next_id += rows;
    CommandResult r = county_->Import(village, {file});
    if (r.exit_code == 0) (village == kVillageA ? a : b) += rows;
    r.output = file + "\n" + r.output;  // for a retry: the file's path first
    return r;
  };
  ASSERT_EQ(import(kVillageA, 500).exit_code, 0);
  ASSERT_EQ(import(kVillageB, 500).exit_code, 0);
  ExpectCounty(a, b);

  for (int cycle = 0; cycle < 3; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    // The hub's writes are small (a few hundred cells): leave it less, but
    // room for its open (a new MANIFEST and the recovery flush of each of its
    // families with data: cells, activity, arrivals, alerts).
    RestartOnNearlyFullDisk(org, org.size() == 6 ? 128 << 10 : 256 << 10);
    if (HasFatalFailure()) return;
    std::vector<std::string> refused;
    if (org == kVillageA) {
      for (int i = 0; i < 10; ++i) {
        CommandResult r = import(kVillageA, 2000);
        ASSERT_EQ(r.exit_code, 1) << "imported onto a full disk: " << r.output;
        EXPECT_TRUE(absl::StrContains(r.errors, "disk is full")) << r.errors;
        refused.push_back(r.output.substr(0, r.output.find('\n')));
      }
    } else {
      // Records wait at the villages, whose own disks are fine; their syncs
      // (or the township's pushes) are refused until space is freed.
      ASSERT_EQ(import(kVillageA, 2000).exit_code, 0);
      ASSERT_EQ(import(kVillageB, 1000).exit_code, 0);
      std::string status;
      ASSERT_TRUE(WaitFor(
          [&] {
            status = org.size() == 9 ? county_->AgentStatus(kVillageA)
                                     : county_->TownshipStatus(kTownship);
            return absl::StrContains(status, "disk is full");
          },
          kWait))
          << "nobody was told the disk is full:\n"
          << status;
      ASSERT_EQ(import(kVillageA, 1000).exit_code, 0);
    }
    EXPECT_TRUE(node.Running()) << org << " exited on a full disk";
    disk_->Free();
    // The clinic imports its refused files again: the same agent (no
    // restart) takes them once RocksDB has resumed, and rows that were
    // stored before a refusal count once.
    for (const std::string& file : refused) {
      CommandResult r;
      ASSERT_TRUE(WaitFor(
          [&] {
            r = county_->Import(kVillageA, {file});
            return r.exit_code == 0;
          },
          absl::Seconds(60), absl::Milliseconds(250)))
          << r.errors;
      a += 2000;
    }
    ExpectCounty(a, b);
    EXPECT_TRUE(node.Running()) << org << " exited";
  }
  if (org == kVillageA) {
    EXPECT_EQ(StatusField(county_->AgentStatus(kVillageA), "last_seq"), a);
  }
}

INSTANTIATE_TEST_SUITE_P(EachTier, FullDiskCycleTest,
                         ::testing::Values(kVillageA, kTownship, kCounty),
                         [](const auto& info) {
                           std::string org = info.param;
                           return org.size() == 6   ? std::string("Hub")
                                  : org.size() == 9 ? std::string("Township")
                                                    : std::string("Village");
                         });

}  // namespace
}  // namespace sanji::test_support
