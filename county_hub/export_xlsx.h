// The `xlsx` export (spec/interfaces.md "Exports"): a report as one Excel
// workbook, made with libxlsxwriter. One worksheet per level present, named
// 县 / 乡镇 / 村, with the Chinese headers of export_table.h in a frozen,
// bold first row and the rows as in the CSV; counts are numbers shown as
// integers, yuan and rates numbers shown with two decimals ("0.00"), and an
// undefined value an empty cell.
//
// libxlsxwriter writes to a file: each call makes its own private file
// (mkstemp) in the given directory, reads it back and removes it. Thread-safe
// (no shared state).
#ifndef SANJI_COUNTY_HUB_EXPORT_XLSX_H_
#define SANJI_COUNTY_HUB_EXPORT_XLSX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "county_hub/report_row.h"

namespace sanji {

// The bytes of the workbook. `scratch_dir` holds the temporary files while it
// is made. Internal or Unavailable (naming the directory) when it cannot be
// written there; Internal for a libxlsxwriter error, with its description.
absl::StatusOr<std::string> RenderXlsx(const std::vector<ReportRow>& rows,
                                       const std::string& scratch_dir);

// $TMPDIR, or /tmp when it is unset or empty.
std::string DefaultScratchDir();

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_XLSX_H_
