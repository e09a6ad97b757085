// Reads the county report CSV (spec/interfaces.md "Report CSV") back into rows,
// so that tests can compare what `county_hub report` printed with the oracle.
//
// The header must hold period,level,org_id,org_name,indicator,name_zh,value (in
// any order; extra columns are kept in `extra`). Fields follow RFC 4180: quoted
// fields may hold commas, doubled quotes and line breaks; CRLF or LF line ends;
// a UTF-8 byte-order mark is skipped.
//
// Thread-safety: a parsed ReportCsv is immutable; const methods are safe from
// any thread.
#ifndef SANJI_TESTS_SUPPORT_REPORT_CSV_H_
#define SANJI_TESTS_SUPPORT_REPORT_CSV_H_

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji::test_support {

// RFC 4180 records (header included) of `text`. InvalidArgument for an
// unterminated quoted field or a quote inside an unquoted field. A trailing
// line break does not make an empty record; an empty line in the middle is a
// record with one empty field.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(
    absl::string_view text);

struct ReportCsvRow {
  std::string period;
  std::string level;
  std::string org_id;
  std::string org_name;
  std::string indicator;
  std::string name_zh;
  std::string value;
  std::map<std::string, std::string> extra;  // further columns: header -> cell
};

class ReportCsv {
 public:
  // InvalidArgument for bad CSV, a missing column, a row whose field count
  // differs from the header's, or two rows with the same (level, org_id,
  // indicator).
  static absl::StatusOr<ReportCsv> Parse(absl::string_view text);

  // Rows in file order.
  const std::vector<ReportCsvRow>& rows() const { return rows_; }
  // The value cell of (level, org_id, indicator); nullopt when there is no such
  // row.
  std::optional<std::string> Value(absl::string_view level,
                                   absl::string_view org_id,
                                   absl::string_view indicator) const;
  // The row itself; nullptr when there is none.
  const ReportCsvRow* Find(absl::string_view level, absl::string_view org_id,
                           absl::string_view indicator) const;

 private:
  std::vector<ReportCsvRow> rows_;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index_;
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_REPORT_CSV_H_
