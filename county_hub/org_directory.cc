#include "county_hub/org_directory.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/csv.h"
#include "common/org_code.h"

namespace sanji {
namespace {

// The records of `text`, blank lines left out; the first malformed record
// fails the whole file (these files are small and made by the county office,
// which must fix them before the hub starts).
absl::Status ParseCsv(absl::string_view source, absl::string_view text,
                      std::vector<CsvRecord>* out) {
  CsvReader reader(text);
  CsvRecord record;
  while (reader.Next(&record)) {
    if (!record.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", record.line, ": ", record.error));
    }
    // A blank line is no record; a row of empty fields (",,") is one, and is
    // refused for its empty org_id.
    if (record.fields.size() != 1 || !IsBlankRecord(record)) {
      out->push_back(std::move(record));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadFile(const std::string& path, absl::string_view what,
                      std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open ", what, " file ",
                                            path, ": ", std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", what, " file ", path));
  }
  *contents = std::move(buffer).str();
  return absl::OkStatus();
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == s.npos;
}

// Checks that the header's first columns are `expected` (later columns are
// allowed and ignored).
absl::Status CheckHeader(absl::string_view source, const CsvRecord& header,
                         const std::vector<absl::string_view>& expected) {
  bool ok = header.fields.size() >= expected.size();
  for (size_t i = 0; ok && i < expected.size(); ++i) {
    ok = absl::StripAsciiWhitespace(header.fields[i]) == expected[i];
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", header.line, ": the header row must be ",
                   absl::StrJoin(expected, ","), ", got ",
                   absl::StrJoin(header.fields, ",")));
}

absl::Status CheckFieldCount(absl::string_view source, const CsvRecord& header,
                             const CsvRecord& row) {
  if (row.fields.size() == header.fields.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", row.line, ": expected ", header.fields.size(),
                   " fields as in the header, got ", row.fields.size(),
                   " (quote a field that contains a comma)"));
}

absl::Status ParseCount(absl::string_view source, int64_t line,
                        absl::string_view column, absl::string_view text,
                        int64_t* out) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (!AllDigits(s) || s.size() > 18 || !absl::SimpleAtoi(s, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", line, ": ", column, ": '", text,
                     "' is not a whole number >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OrgDirectory::LoadNames(const std::string& path) {
  std::string contents;
  absl::Status s = ReadFile(path, "orgs", &contents);
  if (!s.ok()) return s;
  return ParseNames(path, contents);
}

absl::Status OrgDirectory::LoadPopulation(const std::string& path) {
  std::string contents;
  absl::Status s = ReadFile(path, "population", &contents);
  if (!s.ok()) return s;
  return ParsePopulation(path, contents);
}

absl::Status OrgDirectory::ParseNames(absl::string_view source,
                                      absl::string_view csv) {
  std::vector<CsvRecord> records;
  absl::Status s = ParseCsv(source, csv, &records);
  if (!s.ok()) return s;
  if (records.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": the file is empty; it needs the header row org_id,name"));
  }
  s = CheckHeader(source, records[0], {"org_id", "name"});
  if (!s.ok()) return s;
  std::map<std::string, std::string> parsed;
  std::map<std::string, int> line_of;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& row = records[r];
    s = CheckFieldCount(source, records[0], row);
    if (!s.ok()) return s;
    std::string id(absl::StripAsciiWhitespace(row.fields[0]));
    if (!LevelOfCode(id).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", row.line, ": org_id: '", row.fields[0],
          "' is not an organisation code (must be 6, 9 or 12 digits)"));
    }
    std::string name(absl::StripAsciiWhitespace(row.fields[1]));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", row.line, ": name: empty name for ", id));
    }
    auto [it, inserted] = line_of.emplace(id, row.line);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", row.line, ": org_id: ", id,
                       " is already named on line ", it->second));
    }
    parsed[id] = std::move(name);
  }
  // Only a file that parsed as a whole changes the directory.
  for (auto& [id, name] : parsed) names_[id] = std::move(name);
  return absl::OkStatus();
}

absl::Status OrgDirectory::ParsePopulation(absl::string_view source,
                                           absl::string_view csv) {
  std::vector<CsvRecord> records;
  absl::Status s = ParseCsv(source, csv, &records);
  if (!s.ok()) return s;
  const std::vector<absl::string_view> columns = {
      "org_id",       "year",           "residents",
      "children_0_6", "elderly_65plus", "health_records_on_file"};
  if (records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the file is empty; it needs the header row ",
                     absl::StrJoin(columns, ",")));
  }
  s = CheckHeader(source, records[0], columns);
  if (!s.ok()) return s;
  std::map<std::pair<std::string, int>, Population> parsed;
  std::map<std::pair<std::string, int>, int> line_of;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& row = records[r];
    s = CheckFieldCount(source, records[0], row);
    if (!s.ok()) return s;
    std::string id(absl::StripAsciiWhitespace(row.fields[0]));
    if (!IsCodeAt(id, OrgLevel::kVillage)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", row.line, ": org_id: '", row.fields[0],
          "' is not a village code (population rows are per village: 12 "
          "digits)"));
    }
    absl::string_view year_text = absl::StripAsciiWhitespace(row.fields[1]);
    int year = 0;
    if (year_text.size() != 4 || !AllDigits(year_text) ||
        !absl::SimpleAtoi(year_text, &year) || year < 1900) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", row.line,
                                                     ": year: '", row.fields[1],
                                                     "' is not a year (YYYY)"));
    }
    Population p;
    int64_t* targets[] = {&p.residents, &p.children_0_6, &p.elderly_65plus,
                          &p.health_records_on_file};
    for (int c = 0; c < 4; ++c) {
      s = ParseCount(source, row.line, columns[c + 2], row.fields[c + 2],
                     targets[c]);
      if (!s.ok()) return s;
    }
    auto key = std::make_pair(id, year);
    auto [it, inserted] = line_of.emplace(key, row.line);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", row.line, ": org_id: ", id, " year ", year,
                       " is already given on line ", it->second));
    }
    parsed[key] = p;
  }
  for (auto& [key, p] : parsed) population_[key] = p;
  return absl::OkStatus();
}

std::string OrgDirectory::Name(absl::string_view org_id) const {
  auto it = names_.find(std::string(org_id));
  return it == names_.end() ? std::string() : it->second;
}

std::optional<Population> OrgDirectory::PopulationOf(
    absl::string_view village_id, int year) const {
  auto it = population_.find(std::make_pair(std::string(village_id), year));
  if (it == population_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> OrgDirectory::PopulationVillages() const {
  std::vector<std::string> out;
  for (const auto& [key, p] : population_) {
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  }
  return out;
}

}  // namespace sanji
