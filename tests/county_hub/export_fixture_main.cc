// export_fixture FORMAT FILE: writes the export (md, xlsx, dhis2, adx or
// fhir) of tests/county_hub/export_fixture.h to FILE, for the checks that
// read it with other tools (validate_fhir.py, check_xlsx_fixture.py).
// Exit 0 on success, 1 on a failed export, 2 on bad usage.
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "county_hub/export_adx.h"
#include "county_hub/export_dhis2.h"
#include "county_hub/export_fhir.h"
#include "county_hub/export_markdown.h"
#include "county_hub/export_xlsx.h"
#include "tests/county_hub/export_fixture.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: export_fixture md|xlsx|dhis2|adx|fhir FILE\n");
    return 2;
  }
  const std::string format = argv[1];
  const auto rows = sanji::test_support::ExportFixtureRows();
  const auto period = sanji::test_support::ExportFixturePeriod();
  absl::StatusOr<std::string> out;
  if (format == "md") {
    out = sanji::RenderMarkdown(rows);
  } else if (format == "xlsx") {
    out = sanji::RenderXlsx(rows, sanji::DefaultScratchDir());
  } else if (format == "dhis2") {
    out = sanji::RenderDhis2(period, rows);
  } else if (format == "adx") {
    out = sanji::RenderAdx(
        period, rows,
        absl::FromCivil(absl::CivilSecond(2025, 4, 2, 9, 30, 0),
                        absl::FixedTimeZone(8 * 3600)));
  } else if (format == "fhir") {
    out = sanji::RenderFhir(period, rows);
  } else {
    std::fprintf(stderr, "export_fixture: unknown format %s\n", argv[1]);
    return 2;
  }
  if (!out.ok()) {
    std::fprintf(stderr, "export_fixture: %s\n",
                 out.status().ToString().c_str());
    return 1;
  }
  std::ofstream file(argv[2], std::ios::binary | std::ios::trunc);
  file << *out;
  file.close();
  if (!file) {
    std::fprintf(stderr, "export_fixture: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}
