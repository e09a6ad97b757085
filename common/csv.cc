#include "common/csv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sanji {

CsvReader::CsvReader(absl::string_view text) : text_(text) {
  absl::ConsumePrefix(&text_, "\xEF\xBB\xBF");
}

bool CsvReader::Next(CsvRecord* rec) {
  if (pos_ >= text_.size()) return false;
  rec->line = line_;
  rec->fields.clear();
  rec->error.clear();
  rec->irregular_quotes = false;
  std::string field;
  bool in_quotes = false;
  bool after_quote = false;    // just past a closing quote
  int64_t quote_line = line_;  // where the last opening quote was
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (in_quotes) {
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
        } else {
          in_quotes = false;
          after_quote = true;
          ++pos_;
        }
      } else if (c == '\r' || c == '\n') {
        field.push_back('\n');
        ConsumeNewline();
      } else {
        field.push_back(c);
        ++pos_;
      }
      continue;
    }
    if (c == ',') {
      rec->fields.push_back(std::move(field));
      field.clear();
      after_quote = false;
      ++pos_;
      continue;
    }
    if (c == '\r' || c == '\n') {
      ConsumeNewline();
      rec->fields.push_back(std::move(field));
      return true;
    }
    if (c == '"' && !after_quote && TrimCell(field).empty()) {
      // Opening quote (spaces before it are tolerated and dropped).
      if (!field.empty()) rec->irregular_quotes = true;
      field.clear();
      in_quotes = true;
      quote_line = line_;
      ++pos_;
      continue;
    }
    if (after_quote && c != ' ' && c != '\t' && rec->error.empty()) {
      rec->error = absl::StrCat(
          "field ", rec->fields.size() + 1,
          " has text after its closing quote (a '\"' inside a quoted "
          "field must be doubled as '\"\"')");
    }
    if (after_quote || c == '"') rec->irregular_quotes = true;
    field.push_back(c);
    ++pos_;
  }
  // End of input.
  if (in_quotes) {
    rec->error = absl::StrCat("a quoted field starting on line ", quote_line,
                              " is never closed (missing '\"'); the rest of "
                              "the file was read as part of this row");
  }
  rec->fields.push_back(std::move(field));
  return true;
}

void CsvReader::ConsumeNewline() {
  if (text_[pos_] == '\r' && pos_ + 1 < text_.size() &&
      text_[pos_ + 1] == '\n') {
    ++pos_;
  }
  ++pos_;
  ++line_;
}

bool IsBlankRecord(const CsvRecord& record) {
  for (const std::string& f : record.fields) {
    if (!TrimCell(f).empty()) return false;
  }
  return true;
}

absl::string_view TrimCell(absl::string_view s) {
  constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";
  while (true) {
    absl::string_view before = s;
    s = absl::StripAsciiWhitespace(s);
    while (absl::ConsumePrefix(&s, kIdeographicSpace)) {
    }
    while (absl::ConsumeSuffix(&s, kIdeographicSpace)) {
    }
    if (s.size() == before.size()) return s;
  }
}

void AppendCsvField(absl::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string CsvField(absl::string_view field) {
  std::string out;
  AppendCsvField(field, &out);
  return out;
}

}  // namespace sanji
