#include "village_agent/record_file.h"

#include <errno.h>
#include <iconv.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/csv.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

// Length of the valid UTF-8 sequence at bytes[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(absl::string_view bytes, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > bytes.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// Offset of the first byte that is not valid UTF-8, or npos.
size_t FirstInvalidUtf8(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) return i;
    i += n;
  }
  return absl::string_view::npos;
}

// True when valid UTF-8 `bytes` are more likely GB18030 that happens to be
// valid UTF-8: they hold two-byte UTF-8 sequences (U+0080..U+07FF: Latin,
// Greek, Cyrillic...) but not one character of three or four bytes (every
// Chinese character, and the BOM). GB18030 text with few Chinese characters
// often looks like that (女 is C5 AE, which UTF-8 reads as U+016E), while a
// UTF-8 clinic file without a single Chinese character but with such letters is
// unlikely. The caller still requires the bytes to be valid GB18030.
bool LooksLikeGb18030(absl::string_view bytes) {
  bool two_byte = false;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0 || n > 2) return false;
    if (n == 2) two_byte = true;
    i += n;
  }
  return two_byte;
}

int64_t LineOfOffset(absl::string_view bytes, size_t offset) {
  int64_t line = 1;
  for (size_t i = 0; i < offset && i < bytes.size(); ++i) {
    if (bytes[i] == '\n') ++line;
  }
  return line;
}

// Converts GB18030 (a superset of GBK and GB2312) to UTF-8 with glibc iconv. On
// failure
// `*bad_offset` is the offset of the first byte that could not be converted.
bool Gb18030ToUtf8(absl::string_view in, std::string* out, size_t* bad_offset) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  // iconv's documented error value.
  if (cd ==
      reinterpret_cast<iconv_t>(-1)) {  // NOLINT(performance-no-int-to-ptr)
    *bad_offset = absl::string_view::npos;
    return false;
  }
  out->clear();
  char* inbuf = const_cast<char*>(in.data());
  size_t inleft = in.size();
  std::string chunk(4096, '\0');
  bool ok = true;
  while (inleft > 0) {
    char* outbuf = chunk.data();
    size_t outleft = chunk.size();
    size_t r = iconv(cd, &inbuf, &inleft, &outbuf, &outleft);
    out->append(chunk.data(), chunk.size() - outleft);
    if (r == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ (invalid sequence) or EINVAL (truncated sequence at the end).
      *bad_offset = static_cast<size_t>(inbuf - in.data());
      ok = false;
      break;
    }
  }
  if (ok) {
    // Flush any shift state (none for GB18030, but harmless).
    char* outbuf = chunk.data();
    size_t outleft = chunk.size();
    iconv(cd, nullptr, nullptr, &outbuf, &outleft);
    out->append(chunk.data(), chunk.size() - outleft);
  }
  iconv_close(cd);
  return ok;
}

std::string HexByte(unsigned char c) {
  static const char kHex[] = "0123456789ABCDEF";
  return std::string{'0', 'x', kHex[c >> 4], kHex[c & 15]};
}

absl::StatusOr<std::string> DecodeToUtf8(absl::string_view path,
                                         absl::string_view bytes,
                                         FileEncoding encoding,
                                         FileEncoding* detected) {
  std::string text;
  if (encoding == FileEncoding::kAuto) {
    encoding = FirstInvalidUtf8(bytes) == absl::string_view::npos
                   ? FileEncoding::kUtf8
                   : FileEncoding::kGb18030;
    if (encoding == FileEncoding::kUtf8 && LooksLikeGb18030(bytes)) {
      size_t bad = 0;
      if (Gb18030ToUtf8(bytes, &text, &bad)) {
        encoding = FileEncoding::kGb18030;
      } else {
        text.assign(bytes.data(), bytes.size());
      }
    } else if (encoding == FileEncoding::kGb18030) {
      size_t bad = 0;
      if (!Gb18030ToUtf8(bytes, &text, &bad)) {
        if (bad == absl::string_view::npos) {
          return absl::InternalError(
              "iconv cannot convert GB18030 to UTF-8 on this system");
        }
        size_t utf8_bad = FirstInvalidUtf8(bytes);
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": the file is neither valid UTF-8 (byte ", utf8_bad,
            " on line ", LineOfOffset(bytes, utf8_bad),
            ") nor valid GB18030 (byte ", bad, " on line ",
            LineOfOffset(bytes, bad), "); save it as UTF-8 or GB18030"));
      }
    } else {
      text.assign(bytes.data(), bytes.size());
    }
  } else if (encoding == FileEncoding::kUtf8) {
    size_t bad = FirstInvalidUtf8(bytes);
    if (bad != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": not valid UTF-8 at byte offset ", bad, " (line ",
          LineOfOffset(bytes, bad), ", byte ",
          HexByte(static_cast<unsigned char>(bytes[bad])),
          "); if the file was saved by Excel on a Chinese Windows PC, use "
          "--encoding=gb18030"));
    }
    text.assign(bytes.data(), bytes.size());
  } else {
    size_t bad = 0;
    if (!Gb18030ToUtf8(bytes, &text, &bad)) {
      if (bad == absl::string_view::npos) {
        return absl::InternalError(
            "iconv cannot convert GB18030 to UTF-8 on this system");
      }
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not valid GB18030 at byte offset ", bad,
                       " (line ", LineOfOffset(bytes, bad), ")"));
    }
  }
  *detected = encoding;
  // A byte-order mark (UTF-8's EF BB BF, or GB18030's 84 31 95 33, which
  // converts to it).
  if (absl::StartsWith(text, kBom)) text.erase(0, kBom.size());
  return text;
}

bool IsKnownColumn(absl::string_view name) {
  for (absl::string_view c : KnownColumns()) {
    if (c == name) return true;
  }
  return false;
}

class UnknownColumns {
 public:
  explicit UnknownColumns(std::vector<std::string>* out) : out_(out) {}
  void Add(const std::string& name) {
    if (seen_.insert(name).second) out_->push_back(name);
  }

 private:
  std::vector<std::string>* out_;
  absl::flat_hash_set<std::string> seen_;
};

// -----------------------------------------------------------------------------
// CSV (common/csv.h).

absl::Status SplitCsv(absl::string_view path, absl::string_view text,
                      RecordFileContents* out) {
  CsvReader reader(text);
  CsvRecord rec;
  bool have_header = false;
  while (reader.Next(&rec)) {
    if (rec.error.empty() && IsBlankRecord(rec)) continue;
    if (!rec.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the header row (line ", rec.line,
                       ") is malformed: ", rec.error));
    }
    have_header = true;
    break;
  }
  if (!have_header) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": no header row (the file is empty); the first row must name the "
        "columns, e.g. record_id,kind,occurred_at,..."));
  }
  // Column index -> known column name, or "" when the column is ignored.
  std::vector<std::string> columns;
  UnknownColumns unknown(&out->unknown_columns);
  std::set<std::string> seen;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    std::string name(TrimCell(rec.fields[i]));
    if (name.empty()) {
      columns.emplace_back();
      continue;
    }
    if (!seen.insert(name).second && IsKnownColumn(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": column '", name,
          "' appears more than once in the header (line ", rec.line, ")"));
    }
    if (IsKnownColumn(name)) {
      columns.push_back(name);
    } else {
      unknown.Add(name);
      columns.emplace_back();
    }
  }
  const std::vector<std::string> header = rec.fields;
  while (reader.Next(&rec)) {
    if (rec.error.empty() && IsBlankRecord(rec)) continue;
    if (!rec.error.empty()) {
      out->malformed.push_back(MalformedRow{rec.line, rec.error});
      continue;
    }
    if (rec.fields.size() > columns.size()) {
      out->malformed.push_back(MalformedRow{
          rec.line,
          absl::StrCat(
              "the row has ", rec.fields.size(), " fields but the header has ",
              columns.size(),
              " columns (a value containing a comma must be quoted)")});
      continue;
    }
    RawRow row;
    row.set_source(std::string(path));
    row.set_line(rec.line);
    for (size_t i = 0; i < rec.fields.size(); ++i) {
      absl::string_view value = TrimCell(rec.fields[i]);
      if (value.empty()) continue;
      if (columns[i].empty()) {
        // An unknown column (already listed), or data under a header cell left
        // empty.
        if (TrimCell(header[i]).empty()) {
          unknown.Add(absl::StrCat("(unnamed column ", i + 1, ")"));
        }
        continue;
      }
      (*row.mutable_fields())[columns[i]] = std::string(value);
    }
    out->rows.push_back(std::move(row));
  }
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// JSON Lines.

void SplitJsonLines(absl::string_view path, absl::string_view text,
                    RecordFileContents* out) {
  using json = nlohmann::ordered_json;
  UnknownColumns unknown(&out->unknown_columns);
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    line = absl::StripAsciiWhitespace(line);  // also drops a CR of CRLF
    if (line.empty()) continue;
    json value = json::parse(line.begin(), line.end(), nullptr,
                             /*allow_exceptions=*/false);
    if (value.is_discarded()) {
      out->malformed.push_back(
          MalformedRow{line_no, "the line is not valid JSON"});
      continue;
    }
    if (!value.is_object()) {
      out->malformed.push_back(MalformedRow{
          line_no,
          absl::StrCat("the line is a JSON ", value.type_name(),
                       ", not an object like {\"record_id\": \"...\", ...}")});
      continue;
    }
    RawRow row;
    row.set_source(std::string(path));
    row.set_line(line_no);
    std::string error;
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string name(TrimCell(it.key()));
      const json& v = it.value();
      std::string text_value;
      if (v.is_null()) {
        continue;
      } else if (v.is_string()) {
        text_value = std::string(TrimCell(v.get_ref<const std::string&>()));
      } else if (v.is_number_integer()) {
        text_value = v.is_number_unsigned() ? std::to_string(v.get<uint64_t>())
                                            : std::to_string(v.get<int64_t>());
      } else if (v.is_number_float()) {
        text_value =
            v.dump();  // shortest form that reads back the same, e.g. 12.5
      } else {
        if (IsKnownColumn(name) && error.empty()) {
          error = absl::StrCat("field '", name, "' is a JSON ", v.type_name(),
                               "; use a string or a number");
        }
        if (!IsKnownColumn(name) && !name.empty()) unknown.Add(name);
        continue;
      }
      if (name.empty() || !IsKnownColumn(name)) {
        unknown.Add(name.empty() ? std::string("(empty name)") : name);
        continue;
      }
      if (text_value.empty()) continue;
      (*row.mutable_fields())[name] = std::move(text_value);
    }
    if (!error.empty()) {
      out->malformed.push_back(MalformedRow{line_no, std::move(error)});
      continue;
    }
    out->rows.push_back(std::move(row));
  }
}

}  // namespace

absl::StatusOr<FileEncoding> ParseFileEncoding(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  if (n == "auto") return FileEncoding::kAuto;
  if (n == "utf-8" || n == "utf8") return FileEncoding::kUtf8;
  if (n == "gb18030" || n == "gbk") return FileEncoding::kGb18030;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown encoding '", name, "'; use auto, utf-8 or gb18030"));
}

const std::vector<absl::string_view>& KnownColumns() {
  static const auto* const kColumns =
      new std::vector<absl::string_view>{"record_id",  "action",
                                         "kind",       "occurred_at",
                                         "patient_id", "sex",
                                         "birth_date", "cost_yuan",
                                         "icd10",      "vaccine",
                                         "dose",       "systolic",
                                         "diastolic",  "fasting_glucose",
                                         "disease",    "participants",
                                         "referred_to"};
  return *kColumns;
}

absl::StatusOr<RecordFileContents> ParseRecordFile(absl::string_view path,
                                                   absl::string_view bytes,
                                                   FileEncoding encoding) {
  RecordFileContents out;
  FileEncoding detected = FileEncoding::kUtf8;
  absl::StatusOr<std::string> text =
      DecodeToUtf8(path, bytes, encoding, &detected);
  if (!text.ok()) return text.status();
  out.detected = detected;
  if (absl::EndsWithIgnoreCase(path, ".jsonl") ||
      absl::EndsWithIgnoreCase(path, ".ndjson")) {
    SplitJsonLines(path, *text, &out);
  } else {
    absl::Status s = SplitCsv(path, *text, &out);
    if (!s.ok()) return s;
  }
  return out;
}

absl::StatusOr<RecordFileContents> ReadRecordFile(const std::string& path,
                                                  FileEncoding encoding) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string why = err != 0 ? std::strerror(err) : "cannot open";
    if (err == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, ": ", why));
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", why));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  return ParseRecordFile(path, buf.str(), encoding);
}

}  // namespace sanji
