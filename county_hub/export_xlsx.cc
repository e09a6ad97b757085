#include "county_hub/export_xlsx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "county_hub/export_table.h"
#include "xlsxwriter.h"

namespace sanji {
namespace {

// Column widths in Excel's character units; a Chinese character takes about
// two. 1.1.4 has no autofit.
constexpr double kColumnWidths[7] = {24, 10, 14, 28, 36, 32, 14};

absl::Status Check(lxw_error error, absl::string_view what) {
  if (error == LXW_NO_ERROR) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("xlsx: ", what, ": ", lxw_strerror(error)));
}

// The formats of one workbook (owned by it).
struct Formats {
  lxw_format* header = nullptr;
  lxw_format* integer = nullptr;
  lxw_format* decimal = nullptr;
};

Formats AddFormats(lxw_workbook* workbook) {
  Formats f;
  f.header = workbook_add_format(workbook);
  format_set_bold(f.header);
  f.integer = workbook_add_format(workbook);
  format_set_num_format(f.integer, "0");
  f.decimal = workbook_add_format(workbook);
  format_set_num_format(f.decimal, "0.00");
  return f;
}

absl::Status WriteValue(lxw_worksheet* sheet, lxw_row_t r, const ReportRow& row,
                        const Formats& formats) {
  if (row.value.empty()) return absl::OkStatus();  // undefined: empty cell
  double number = 0;
  if (!absl::SimpleAtod(row.value, &number)) {
    return absl::InternalError(absl::StrCat("xlsx: value '", row.value, "' of ",
                                            row.org_id, " ", row.indicator,
                                            " is not a number"));
  }
  lxw_format* format =
      row.unit == ValueUnit::kCount ? formats.integer : formats.decimal;
  return Check(worksheet_write_number(sheet, r, 6, number, format),
               "writing a value");
}

absl::Status WriteSheet(lxw_workbook* workbook, const LevelTable& table,
                        const Formats& formats) {
  const std::string name = LevelNameZh(table.level);
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, name.c_str());
  if (sheet == nullptr) {
    return absl::InternalError(
        absl::StrCat("xlsx: cannot add the worksheet ", name));
  }
  for (lxw_col_t c = 0; c < 7; ++c) {
    RETURN_IF_ERROR(
        Check(worksheet_set_column(sheet, c, c, kColumnWidths[c], nullptr),
              "setting a column width"));
    const std::string header(kZhColumnHeaders[c]);
    RETURN_IF_ERROR(Check(
        worksheet_write_string(sheet, 0, c, header.c_str(), formats.header),
        "writing a header"));
  }
  worksheet_freeze_panes(sheet, 1, 0);
  lxw_row_t r = 1;
  for (const ReportRow& row : table.rows) {
    const auto fields = RowFields(row);
    for (lxw_col_t c = 0; c < 6; ++c) {
      if (fields[c]->empty()) continue;
      RETURN_IF_ERROR(Check(
          worksheet_write_string(sheet, r, c, fields[c]->c_str(), nullptr),
          absl::StrCat("writing row ", r + 1, " of sheet ", name)));
    }
    RETURN_IF_ERROR(WriteValue(sheet, r, row, formats));
    ++r;
  }
  return absl::OkStatus();
}

// Writes the workbook to `path`.
absl::Status WriteWorkbook(const std::vector<ReportRow>& rows,
                           const std::string& path, std::string scratch_dir) {
  lxw_workbook_options options = {};
  options.constant_memory = LXW_FALSE;
  options.tmpdir = scratch_dir.data();
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    return absl::InternalError("xlsx: cannot create a workbook");
  }
  const Formats formats = AddFormats(workbook);
  absl::Status status;
  for (const LevelTable& table : TablesByLevel(rows)) {
    status = WriteSheet(workbook, table, formats);
    if (!status.ok()) break;
  }
  if (status.ok() && rows.empty()) {
    // A workbook needs a sheet: an empty report is an empty county sheet.
    status = WriteSheet(workbook, LevelTable{"county", {}}, formats);
  }
  // workbook_close frees the workbook whatever happens.
  absl::Status closed = Check(workbook_close(workbook), "writing the file");
  return status.ok() ? closed : status;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return absl::InternalError(absl::StrCat("xlsx: cannot read ", path));
  return bytes.str();
}

}  // namespace

std::string DefaultScratchDir() {
  const char* tmp = getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? std::string(tmp) : "/tmp";
}

absl::StatusOr<std::string> RenderXlsx(const std::vector<ReportRow>& rows,
                                       const std::string& scratch_dir) {
  std::string path = absl::StrCat(scratch_dir, "/sanji-report-XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "xlsx: cannot make a temporary file in ", scratch_dir, ": ",
        strerror(errno), " (set TMPDIR to a writable directory)"));
  }
  close(fd);
  absl::Cleanup remove = [&path] { unlink(path.c_str()); };
  RETURN_IF_ERROR(WriteWorkbook(rows, path, scratch_dir));
  return ReadAll(path);
}

}  // namespace sanji
