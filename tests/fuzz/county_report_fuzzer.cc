// Fuzz target: what the county hub accepts on CountyHub.Report.
//
// Input: the bytes of one ReportRequest as gRPC would deliver them. They go
// through protobuf parsing, the mapping of county_hub/hub_service.cc (empty
// level and format take their defaults) and ReportEngine::Render over a fixed
// store: cells of three villages in two townships (day cells of counts, sums
// and breakdowns; distinct cells of every calendar period kind), with an org
// directory naming some organisations and giving two villages a population.
// The store is written once per process and only read afterwards.
//
// Invariants checked: Render fails only with InvalidArgument (a bad period,
// level, org, indicator or format, or a range of days for dhis2, adx or
// fhir); a CSV report starts with the header of spec/interfaces.md, a JSON
// report is an array, and each export starts as its format does.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "county_hub/cell_store.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"
#include "proto/rollup_sync.pb.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr char kCounty[] = "640522";

void AddCell(sanji::CellBatch* batch, const std::string& village,
             const std::string& indicator, const std::string& period,
             int64_t value) {
  sanji::Cell* cell = batch->add_cells();
  cell->set_village_id(village);
  cell->set_indicator(indicator);
  cell->set_period(period);
  cell->set_value(value);
  cell->set_version(1);
}

struct Fixture {
  std::unique_ptr<sanji::CountyCellStore> cells;
  sanji::OrgDirectory orgs;
  std::unique_ptr<sanji::ReportEngine> reports;

  Fixture() {
    auto c = sanji::CountyCellStore::Open(
        sanji::fuzz::ProcessTempDir() + "/county_report", kCounty);
    SANJI_FUZZ_CHECK(c.ok(), c.status().ToString());
    cells = std::move(*c);
    const std::vector<std::string> days = {"2024-12-31", "2025-01-01",
                                           "2025-01-05", "2025-02-28",
                                           "2025-06-15", "2025-12-31"};
    const std::vector<std::string> calendar = {
        "2025", "2025-H1", "2025-Q1", "2025-01", "2025-01-05", "2024"};
    const std::vector<std::pair<std::string, std::string>> villages = {
        {"640522100", "640522100201"},
        {"640522100", "640522100202"},
        {"640522101", "640522101201"}};
    int64_t n = 1;
    for (const auto& [township, village] : villages) {
      sanji::CellBatch batch;
      for (const std::string& day : days) {
        for (const char* indicator :
             {"outpatient_visits", "outpatient_cost_yuan",
              "inpatient_admissions", "inpatient_cost_yuan",
              "health_records_created", "death_reports",
              "infectious_disease_reports",
              "infectious_disease_reports.measles",
              "infectious_disease_reports.plague", "referrals",
              "referrals.county", "health_education_participants"}) {
          AddCell(&batch, village, indicator, day, n++ % 97);
        }
      }
      for (const std::string& period : calendar) {
        for (const char* indicator :
             {"hypertension_managed", "hypertension_standardized",
              "hypertension_controlled", "diabetes_managed",
              "diabetes_controlled", "children_managed", "elderly_managed",
              "family_doctor_signed"}) {
          AddCell(&batch, village, indicator, period, n++ % 13);
        }
      }
      absl::Status s = cells->ApplyBatch(township, batch);
      SANJI_FUZZ_CHECK(s.ok(), s.ToString());
    }
    absl::Status s = orgs.ParseNames(
        "orgs.csv",
        "org_id,name\n640522,海原县\n640522100,\"红星乡,东片\"\n"
        "640522101,关桥乡\n640522102,新乡\n640522100201,\"说\"\"好\"\"村\"\n"
        "640522101299,空村\n640523100201,外县村\n");
    SANJI_FUZZ_CHECK(s.ok(), s.ToString());
    s = orgs.ParsePopulation(
        "population.csv",
        "org_id,year,residents,children_0_6,elderly_65plus,"
        "health_records_on_file\n"
        "640522100201,2025,1200,90,180,1000\n"
        "640522100202,2025,0,0,0,0\n"
        "640522101201,2024,800,60,100,700\n");
    SANJI_FUZZ_CHECK(s.ok(), s.ToString());
    reports = std::make_unique<sanji::ReportEngine>(kCounty, cells->store(),
                                                    cells->cells(), &orgs);
  }
};

const Fixture& GetFixture() {
  static auto* fixture = new Fixture();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sanji::ReportRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const Fixture& fixture = GetFixture();

  // As HubService::Report.
  sanji::ReportQuery query;
  query.period = request.period();
  if (!request.level().empty()) query.level = request.level();
  query.org = request.org();
  query.indicators.assign(request.indicators().begin(),
                          request.indicators().end());
  if (!request.format().empty()) query.format = request.format();

  absl::StatusOr<std::string> content = fixture.reports->Render(query);
  if (!content.ok()) {
    SANJI_FUZZ_CHECK(absl::IsInvalidArgument(content.status()),
                     content.status().ToString());
    return 0;
  }
  const std::string& format = query.format;
  const char* start =
      format == "json"    ? "["
      : format == "md"    ? ""
      : format == "xlsx"  ? "PK\x03\x04"
      : format == "dhis2" ? "{\n  \"dataValues\": ["
      : format == "adx"   ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<adx "
      : format == "fhir"
          ? "{\"resourceType\":\"Bundle\",\"type\":\"collection\""
          : "period,level,org_id,org_name,indicator,name_zh,"
            "value\n";
  SANJI_FUZZ_CHECK(absl::StartsWith(*content, start), *content);
  return 0;
}
