#include "tests/support/report_csv.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sanji::test_support {

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(
    absl::string_view text) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  size_t i = 0;
  int line = 1;
  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    records.push_back(std::move(record));
    record.clear();
  };
  while (i < text.size()) {
    // At the start of a field.
    if (text[i] == '"') {
      int start_line = line;
      ++i;
      while (true) {
        if (i >= text.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "CSV line ", start_line, ": quoted field is not terminated"));
        }
        char c = text[i++];
        if (c == '"') {
          if (i < text.size() && text[i] == '"') {
            field.push_back('"');
            ++i;
          } else {
            break;
          }
        } else {
          if (c == '\n') ++line;
          field.push_back(c);
        }
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' &&
          !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
        return absl::InvalidArgumentError(
            absl::StrCat("CSV line ", line, ": text after a closing quote"));
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n' &&
             !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
        if (text[i] == '"') {
          return absl::InvalidArgumentError(absl::StrCat(
              "CSV line ", line, ": quote inside an unquoted field"));
        }
        field.push_back(text[i++]);
      }
    }
    // After a field: a comma, a line end or the end of the text.
    if (i >= text.size()) break;
    if (text[i] == ',') {
      record.push_back(std::move(field));
      field.clear();
      ++i;
      if (i >= text.size()) break;  // "a,": the last field is empty
      continue;
    }
    i += text[i] == '\r' ? 2 : 1;
    ++line;
    end_record();
  }
  // The last record when the text does not end with a line break.
  if (!record.empty() || !field.empty()) end_record();
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
