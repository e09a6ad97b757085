#include "tests/support/report_csv.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/csv.h"

namespace sanji::test_support {

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(
    absl::string_view text) {
  std::vector<std::vector<std::string>> records;
  CsvReader reader(text);
  CsvRecord record;
  while (reader.Next(&record)) {
    if (!record.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CSV line ", record.line, ": ", record.error));
    }
    // What a report writer must never produce (AppendCsvField doesn't).
    if (record.irregular_quotes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CSV line ", record.line,
          ": a quote inside an unquoted field, or spaces around a quoted one"));
    }
    records.push_back(std::move(record.fields));
  }
  return records;
}

absl::StatusOr<ReportCsv> ReportCsv::Parse(absl::string_view text) {
  absl::StatusOr<std::vector<std::vector<std::string>>> records =
      ParseCsv(text);
  if (!records.ok()) return records.status();
  if (records->empty())
    return absl::InvalidArgumentError("report CSV is empty (no header)");
  const std::vector<std::string>& header = records->front();
  static const char* const kColumns[] = {
      "period", "level", "org_id", "org_name", "indicator", "name_zh", "value"};
  int column_of[7];
  for (int c = 0; c < 7; ++c) {
    column_of[c] = -1;
    for (size_t h = 0; h < header.size(); ++h) {
      if (header[h] == kColumns[c]) column_of[c] = static_cast<int>(h);
    }
    if (column_of[c] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("report CSV header lacks column '", kColumns[c], "'"));
    }
  }
  ReportCsv report;
  for (size_t n = 1; n < records->size(); ++n) {
    std::vector<std::string>& fields = (*records)[n];
    if (fields.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("report CSV record ", n + 1, " has ", fields.size(),
                       " fields, the header ", header.size()));
    }
    ReportCsvRow row;
    std::string* targets[7] = {&row.period,   &row.level,     &row.org_id,
                               &row.org_name, &row.indicator, &row.name_zh,
                               &row.value};
    for (int c = 0; c < 7; ++c) *targets[c] = std::move(fields[column_of[c]]);
    for (size_t h = 0; h < header.size(); ++h) {
      bool known = false;
      for (int c = 0; c < 7; ++c)
        known = known || column_of[c] == static_cast<int>(h);
      if (!known) row.extra[header[h]] = std::move(fields[h]);
    }
    auto key = std::make_tuple(row.level, row.org_id, row.indicator);
    if (!report.index_.emplace(key, report.rows_.size()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "report CSV record ", n + 1, " repeats level=", row.level,
          " org_id=", row.org_id, " indicator=", row.indicator));
    }
    report.rows_.push_back(std::move(row));
  }
  return report;
}

const ReportCsvRow* ReportCsv::Find(absl::string_view level,
                                    absl::string_view org_id,
                                    absl::string_view indicator) const {
  auto it = index_.find(std::make_tuple(std::string(level), std::string(org_id),
                                        std::string(indicator)));
  return it == index_.end() ? nullptr : &rows_[it->second];
}

std::optional<std::string> ReportCsv::Value(absl::string_view level,
                                            absl::string_view org_id,
                                            absl::string_view indicator) const {
  const ReportCsvRow* row = Find(level, org_id, indicator);
  if (row == nullptr) return std::nullopt;
  return row->value;
}

}  // namespace sanji::test_support
