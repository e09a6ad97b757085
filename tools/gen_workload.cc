// gen_workload: writes a demo county's year of village clinic records
// (spec/records.md), with the organisation and population files the county hub
// reads and a manifest for people.
//
// Every village gets a resident panel and a year of service events drawn from
// it, then the realistic mess: GB18030 and BOM files, one JSON Lines file, a
// free-text 备注 column, bad rows, exact duplicates, and a corrections file of
// voids and replacements (tools/village_generator.h). The county's files and
// the manifest are tools/county_files.h; how a clinic's file is written,
// tools/clinic_file.h.
//
// Output is a function of the flags alone: each village draws from its own
// SeededRng (tools/seeded_rng.h) seeded with (--seed, village code), so adding
// villages never changes the existing ones, and the draws are our own, so the
// files do not depend on the standard library.
//
// This file: the flags and main.

#include <errno.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/county_files.h"
#include "tools/village_generator.h"

ABSL_FLAG(std::string, out_dir, "",
          "Directory to write the workload into (required).");
ABSL_FLAG(std::string, county, "640522", "6-digit county code.");
ABSL_FLAG(int, townships, 3,
          "Townships in the county (1-900); codes 100, 101, ...");
ABSL_FLAG(int, villages_per_township, 3,
          "Villages per township (1-799); codes 201, 202, ...");
ABSL_FLAG(int, year, 2025, "Calendar year of the records (2000-9999).");
ABSL_FLAG(int, records_per_village, 3000,
          "Valid records in each village's main file (100-10000000), besides "
          "bad rows and "
          "duplicates.");
ABSL_FLAG(uint64_t, seed, 1,
          "Random seed; the same flags always give the same files.");
ABSL_FLAG(bool, bad_rows, true,
          "Add a handful of bad rows per file (refused at import) and bad "
          "corrections.");
ABSL_FLAG(bool, encoding_mix, true,
          "Write some villages in GB18030, one with a BOM and one as JSON "
          "Lines; otherwise "
          "every file is UTF-8 CSV.");

namespace sanji {
namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "gen_workload: %s\nRun gen_workload --help for the flags.\n",
               message.c_str());
  return 2;
}

// Abseil exits 1 on an unknown flag or a bad value; bad usage is exit 2 here,
// so check every
// --flag against the registry first.
int CheckArgs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return Usage(absl::StrCat("unexpected argument '", argv[i],
                                "': all options are --name=value"));
    }
    size_t eq = arg.find('=');
    absl::string_view name = arg.substr(0, eq);
    if (name == "help" || name == "helpfull" || name == "helpshort" ||
        name == "version" || absl::StartsWith(name, "helpon") ||
        absl::StartsWith(name, "helpmatch") || name == "flagfile" ||
        name == "fromenv" || name == "tryfromenv" || name == "undefok") {
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::ConsumePrefix(&name, "no")) {
      flag = absl::FindCommandLineFlag(name);
      negated = true;
    }
    if (flag == nullptr) return Usage(absl::StrCat("unknown flag --", name));
    bool is_bool = flag->IsOfType<bool>();
    if (eq == absl::string_view::npos && !is_bool) {
      if (i + 1 >= argc)
        return Usage(absl::StrCat("--", name, " needs a value"));
      ++i;  // "--flag value"
      continue;
    }
    if (negated && eq != absl::string_view::npos) {
      return Usage(absl::StrCat("--no", name, " takes no value"));
    }
    if (eq != absl::string_view::npos) {
      std::string parse_error;
      std::string old = flag->CurrentValue();
      if (!flag->ParseFrom(arg.substr(eq + 1), &parse_error)) {
        return Usage(absl::StrCat("bad value for --", name, ": ", parse_error));
      }
      flag->ParseFrom(old, &parse_error);
    }
  }
  return 0;
}

// Reads and checks the flags into `config`; a non-zero exit status on bad
// usage (after saying why).
int ReadConfig(Config* config, int* townships, int* villages) {
  config->county = absl::GetFlag(FLAGS_county);
  *townships = absl::GetFlag(FLAGS_townships);
  *villages = absl::GetFlag(FLAGS_villages_per_township);
  config->year = absl::GetFlag(FLAGS_year);
  config->records = absl::GetFlag(FLAGS_records_per_village);
  config->seed = absl::GetFlag(FLAGS_seed);
  config->bad_rows = absl::GetFlag(FLAGS_bad_rows);
  config->encoding_mix = absl::GetFlag(FLAGS_encoding_mix);
  if (absl::GetFlag(FLAGS_out_dir).empty())
    return Usage("--out_dir is required: the directory to write into");
  if (config->county.size() != 6 ||
      !std::all_of(config->county.begin(), config->county.end(),
                   absl::ascii_isdigit)) {
    return Usage(absl::StrCat("--county='", config->county,
                              "' must be a 6-digit county code"));
  }
  if (*townships < 1 || *townships > 900) {
    return Usage(absl::StrCat("--townships=", *townships,
                              " must be 1-900 (township codes 100-999)"));
  }
  if (*villages < 1 || *villages > 799) {
    return Usage(absl::StrCat("--villages_per_township=", *villages,
                              " must be 1-799 (village codes 201-999)"));
  }
  if (config->year < 2000 || config->year > 9999) {
    return Usage(
        absl::StrCat("--year=", config->year,
                     " must be 2000-9999 (records before 2000 are refused)"));
  }
  if (config->records < 100 || config->records > 10000000) {
    return Usage(absl::StrCat(
        "--records_per_village=", config->records,
        " must be 100-10000000 (100 is the least that fits every kind)"));
  }
  return 0;
}

// Generates every village into `out_dir`, then the county's files.
int Generate(const Config& config, int townships, int villages,
             const std::string& out_dir) {
  CountyFiles county(config, townships, villages);
  std::string error;
  int village_index = 0;
  for (int t = 0; t < townships; ++t) {
    std::string township_id = absl::StrFormat("%s%03d", config.county, 100 + t);
    county.AddTownship(township_id, t);
    for (int v = 0; v < villages; ++v, ++village_index) {
      std::string village_id = absl::StrFormat("%s%03d", township_id, 201 + v);
      VillageGenerator generator(config, village_id, village_index);
      VillageResult r;
      if (!generator.Run(out_dir, &r, &error)) {
        std::fprintf(stderr, "gen_workload: %s\n", error.c_str());
        return 1;
      }
      county.AddVillage(village_id, village_index, township_id, t, r);
    }
  }
  if (!county.Finish(out_dir, &error)) {
    std::fprintf(stderr, "gen_workload: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  if (!VillageGenerator::VocabularyOk()) {
    std::fprintf(
        stderr,
        "gen_workload: internal error: a disease or referral code here is "
        "missing from common/vocabulary.cc\n");
    return 1;
  }
  if (int rc = CheckArgs(argc, argv); rc != 0) return rc;
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1)
    return Usage(absl::StrCat("unexpected argument '", rest[1], "'"));
  Config config;
  int townships = 0, villages = 0;
  if (int rc = ReadConfig(&config, &townships, &villages); rc != 0) return rc;
  absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  if (absl::CivilDay(config.year, 12, 31) > today + 1) {
    std::fprintf(stderr,
                 "gen_workload: warning: --year=%d is not over yet; rows dated "
                 "after tomorrow "
                 "will be refused at import\n",
                 config.year);
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "gen_workload: cannot create --out_dir=%s: %s\n",
                 out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  return Generate(config, townships, villages, out_dir);
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) { return sanji::Main(argc, argv); }
