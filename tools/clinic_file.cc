#include "tools/clinic_file.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/csv.h"

namespace sanji {
namespace {

constexpr std::array<const char*, kNumCols> kColumnNames = {
    "record_id",    "action",      "kind",      "occurred_at",     "patient_id",
    "sex",          "birth_date",  "cost_yuan", "icd10",           "vaccine",
    "dose",         "systolic",    "diastolic", "fasting_glucose", "disease",
    "participants", "referred_to", "备注"};

bool IsIntegerColumn(int c) {
  return c == kDose || c == kSystolic || c == kDiastolic || c == kParticipants;
}

std::string JsonString(absl::string_view v) {
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// A row as one JSON object: empty cells left out, integer columns as numbers.
std::string JsonLine(const Row& row, const std::vector<int>& columns) {
  std::vector<std::string> members;
  for (int c : columns) {
    const std::string& v = row[c];
    if (v.empty()) continue;
    bool number = IsIntegerColumn(c) &&
                  std::all_of(v.begin(), v.end(),
                              [](char ch) { return ch >= '0' && ch <= '9'; });
    members.push_back(absl::StrCat(JsonString(kColumnNames[c]), ":",
                                   number ? v : JsonString(v)));
  }
  return absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

std::string CsvLine(const Row& row, const std::vector<int>& columns) {
  std::vector<std::string> fields;
  for (int c : columns) fields.push_back(CsvField(row[c]));
  return absl::StrJoin(fields, ",");
}

bool Utf8ToGb18030(const std::string& in, std::string* out,
                   std::string* error) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    *error = absl::StrCat("iconv_open(GB18030): ", std::strerror(errno));
    return false;
  }
  // GB18030 never needs more bytes than UTF-8.
  out->assign(in.size() + 16, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out->data();
  size_t dst_left = out->size();
  size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
  int saved = errno;
  iconv_close(cd);
  if (r == static_cast<size_t>(-1)) {
    *error = absl::StrCat("converting to GB18030: ", std::strerror(saved));
    return false;
  }
  out->resize(out->size() - dst_left);
  return true;
}

}  // namespace

std::string FormatFen(int64_t fen) {
  return absl::StrFormat("%d.%02d", fen / 100, fen % 100);
}

const char* FormatName(FileFormat f) {
  switch (f) {
    case FileFormat::kUtf8:
      return "CSV, UTF-8";
    case FileFormat::kUtf8Bom:
      return "CSV, UTF-8 with BOM";
    case FileFormat::kGb18030:
      return "CSV, GB18030, CRLF";
    case FileFormat::kJsonl:
      return "JSON Lines, UTF-8";
  }
  return "";
}

FileStyle StyleFor(int village_index, bool encoding_mix, SeededRng& rng) {
  static constexpr FileFormat kPattern[] = {
      FileFormat::kUtf8,    FileFormat::kGb18030, FileFormat::kJsonl,
      FileFormat::kUtf8Bom, FileFormat::kGb18030, FileFormat::kUtf8,
      FileFormat::kUtf8Bom, FileFormat::kGb18030, FileFormat::kUtf8};
  static constexpr FileFormat kLater[] = {
      FileFormat::kUtf8, FileFormat::kGb18030, FileFormat::kUtf8Bom};
  FileStyle s;
  if (encoding_mix) {
    s.format =
        village_index < 9 ? kPattern[village_index] : kLater[village_index % 3];
  }
  s.sex = village_index % 3 == 1   ? SexStyle::kChinese
          : village_index % 6 == 5 ? SexStyle::kDigits
                                   : SexStyle::kLatin;
  s.action_column = village_index % 2 == 0;
  s.shuffle_columns = village_index % 3 == 1;
  s.pad_spaces = village_index % 4 == 3;
  s.date_only_share = rng.Uniform(0.15, 0.55);
  for (int c = 0; c < kNumCols; ++c) {
    if (c != kAction || s.action_column) s.columns.push_back(c);
  }
  if (s.shuffle_columns) rng.Shuffle(s.columns);
  return s;
}

std::string Render(const std::vector<Row>& rows,
                   const std::vector<int>& columns, bool jsonl, bool crlf,
                   std::vector<int>* first_line) {
  const char* eol = crlf ? "\r\n" : "\n";
  std::string out;
  int line = 1;
  if (!jsonl) {
    std::vector<std::string> names;
    for (int c : columns) names.push_back(kColumnNames[c]);
    absl::StrAppend(&out, absl::StrJoin(names, ","), eol);
    ++line;
  }
  for (const Row& row : rows) {
    first_line->push_back(line);
    std::string text = jsonl ? JsonLine(row, columns) : CsvLine(row, columns);
    line += 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    absl::StrAppend(&out, text, eol);
  }
  return out;
}

bool WriteClinicFile(const std::string& path, const std::string& utf8,
                     FileFormat format, std::string* error) {
  std::string bytes;
  if (format == FileFormat::kGb18030) {
    if (!Utf8ToGb18030(utf8, &bytes, error)) {
      *error = absl::StrCat(path, ": ", *error);
      return false;
    }
  } else if (format == FileFormat::kUtf8Bom) {
    bytes = absl::StrCat("\xEF\xBB\xBF", utf8);
  } else {
    bytes = utf8;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    *error = absl::StrCat("cannot write ", path, ": ", std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace sanji
