#include "village_agent/record_file.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";
// The file is read this much at a time (as DetectEncoding reads it).
constexpr size_t kReadBytes = size_t{256} << 10;

bool IsKnownColumn(absl::string_view name) {
  for (absl::string_view c : KnownColumns()) {
    if (c == name) return true;
  }
  return false;
}

bool IsJsonLinesPath(absl::string_view path) {
  return absl::EndsWithIgnoreCase(path, ".jsonl") ||
         absl::EndsWithIgnoreCase(path, ".ndjson");
}

// The text of a JSON value as a cell, false when it cannot be one (an object,
// an array, a boolean); a null is an empty cell.
bool JsonCellText(const nlohmann::ordered_json& v, std::string* text) {
  text->clear();
  if (v.is_null()) return true;
  if (v.is_string()) {
    *text = std::string(TrimCell(v.get_ref<const std::string&>()));
  } else if (v.is_number_integer()) {
    *text = v.is_number_unsigned() ? std::to_string(v.get<uint64_t>())
                                   : std::to_string(v.get<int64_t>());
  } else if (v.is_number_float()) {
    *text = v.dump();  // shortest form that reads back the same, e.g. 12.5
  } else {
    return false;
  }
  return true;
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

RecordFileReader::RecordFileReader(absl::string_view path,
                                   std::unique_ptr<ByteSource> source,
                                   FileEncoding detected)
    : path_(path),
      json_lines_(IsJsonLinesPath(path)),
      detected_(detected),
      source_(std::move(source)),
      decoder_(detected) {}

absl::StatusOr<std::unique_ptr<RecordFileReader>> RecordFileReader::Open(
    absl::string_view path, std::unique_ptr<ByteSource> source,
    FileEncoding encoding) {
  ASSIGN_OR_RETURN(FileEncoding detected,
                   DetectEncoding(path, encoding, source.get()));
  std::unique_ptr<RecordFileReader> reader(
      new RecordFileReader(path, std::move(source), detected));
  if (!reader->json_lines_) RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

absl::Status RecordFileReader::Fill(size_t pending) {
  text_.erase(0, pos_);
  pos_ = 0;
  ASSIGN_OR_RETURN(absl::string_view piece,
                   source_->Read(std::max(kReadBytes, pending)));
  eof_ = piece.empty();
  absl::Status s = decoder_.Decode(piece, eof_, &text_);
  if (!s.ok())
    return absl::DataLossError(absl::StrCat(path_, ": ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<bool> RecordFileReader::NextCsvRecord(CsvRecord* record) {
  while (true) {
    const absl::string_view rest = absl::string_view(text_).substr(pos_);
    CsvReader reader(rest, line_);
    // A record that reaches the end of the text read so far may go on in the
    // next piece: it is read again, from its start, once that is in.
    if (reader.Next(record) && (reader.position() < rest.size() || eof_)) {
      pos_ += reader.position();
      line_ = reader.line();
      return true;
    }
    if (eof_) return false;
    RETURN_IF_ERROR(Fill(rest.size()));
  }
}

absl::StatusOr<bool> RecordFileReader::NextLine(absl::string_view* line) {
  while (true) {
    const size_t end = text_.find('\n', pos_);
    if (end != std::string::npos || (eof_ && pos_ < text_.size())) {
      const size_t stop = end == std::string::npos ? text_.size() : end;
      *line = absl::string_view(text_).substr(pos_, stop - pos_);
      pos_ = stop + 1;
      return true;
    }
    if (eof_) return false;
    RETURN_IF_ERROR(Fill(text_.size() - pos_));
  }
}

absl::Status RecordFileReader::ReadHeader() {
  // A second byte-order mark (after the one the decoder drops) is skipped as
  // CSV readers skip one.
  while (text_.size() < kBom.size() && !eof_) RETURN_IF_ERROR(Fill(0));
  if (absl::StartsWith(text_, kBom)) pos_ = kBom.size();
  CsvRecord& rec = record_;
  bool have_header = false;
  while (true) {
    ASSIGN_OR_RETURN(bool more, NextCsvRecord(&rec));
    if (!more) break;
    if (rec.error.empty() && IsBlankRecord(rec)) continue;
    if (!rec.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": the header row (line ", rec.line,
                       ") is malformed: ", rec.error));
    }
    have_header = true;
    break;
  }
  if (!have_header) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_,
        ": no header row (the file is empty); the first row must name the "
        "columns, e.g. record_id,kind,occurred_at,..."));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    std::string name(TrimCell(rec.fields[i]));
    if (name.empty()) {
      columns_.emplace_back();
      continue;
    }
    if (!seen.insert(name).second && IsKnownColumn(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": column '", name,
          "' appears more than once in the header (line ", rec.line, ")"));
    }
    if (IsKnownColumn(name)) {
      columns_.push_back(name);
    } else {
      if (unknown_seen_.insert(name).second) header_unknown_.push_back(name);
      columns_.emplace_back();
    }
  }
  header_ = rec.fields;
  return absl::OkStatus();
}

void RecordFileReader::AddUnknown(const std::string& name,
                                  RecordFileChunk* chunk) {
  if (unknown_seen_.insert(name).second) chunk->unknown_columns.push_back(name);
}

void RecordFileReader::AddCsvRecord(const CsvRecord& rec,
                                    RecordFileChunk* chunk) {
  if (!rec.error.empty()) {
    chunk->malformed.push_back(MalformedRow{rec.line, rec.error});
    return;
  }
  if (rec.fields.size() > columns_.size()) {
    chunk->malformed.push_back(MalformedRow{
        rec.line,
        absl::StrCat("the row has ", rec.fields.size(),
                     " fields but the header has ", columns_.size(),
                     " columns (a value containing a comma must be quoted)")});
    return;
  }
  RawRow& row = chunk->rows.emplace_back();
  row.set_source(path_);
  row.set_line(rec.line);
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    absl::string_view value = TrimCell(rec.fields[i]);
    if (value.empty()) continue;
    if (columns_[i].empty()) {
      // An unknown column (already listed), or data under a header cell left
      // empty.
      if (TrimCell(header_[i]).empty()) {
        AddUnknown(absl::StrCat("(unnamed column ", i + 1, ")"), chunk);
      }
      continue;
    }
    (*row.mutable_fields())[columns_[i]] = std::string(value);
  }
}

void RecordFileReader::AddJsonLine(absl::string_view line,
                                   RecordFileChunk* chunk) {
  using json = nlohmann::ordered_json;
  const int64_t line_no = line_++;
  line = absl::StripAsciiWhitespace(line);  // also drops a CR of CRLF
  if (line.empty()) return;
  json value = json::parse(line.begin(), line.end(), nullptr,
                           /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    chunk->malformed.push_back(
        MalformedRow{line_no, "the line is not valid JSON"});
    return;
  }
  if (!value.is_object()) {
    chunk->malformed.push_back(MalformedRow{
        line_no,
        absl::StrCat("the line is a JSON ", value.type_name(),
                     ", not an object like {\"record_id\": \"...\", ...}")});
    return;
  }
  RawRow row;
  row.set_source(path_);
  row.set_line(line_no);
  std::string error, text;
  for (auto it = value.begin(); it != value.end(); ++it) {
    std::string name(TrimCell(it.key()));
    const bool known = IsKnownColumn(name);
    if (!JsonCellText(it.value(), &text)) {
      if (known && error.empty()) {
        error =
            absl::StrCat("field '", name, "' is a JSON ",
                         it.value().type_name(), "; use a string or a number");
      }
      if (!known && !name.empty()) AddUnknown(name, chunk);
      continue;
    }
    if (it.value().is_null()) continue;
    if (!known) {
      AddUnknown(name.empty() ? std::string("(empty name)") : name, chunk);
      continue;
    }
    if (text.empty()) continue;
    (*row.mutable_fields())[name] = std::move(text);
  }
  if (!error.empty()) {
    chunk->malformed.push_back(MalformedRow{line_no, std::move(error)});
    return;
  }
  chunk->rows.push_back(std::move(row));
}

absl::StatusOr<bool> RecordFileReader::Next(size_t max_rows,
                                            RecordFileChunk* chunk) {
  chunk->rows.clear();
  chunk->malformed.clear();
  chunk->unknown_columns.clear();
  chunk->unknown_columns.swap(header_unknown_);  // the first chunk's
  max_rows = std::max<size_t>(max_rows, 1);
  while (chunk->rows.size() + chunk->malformed.size() < max_rows) {
    if (json_lines_) {
      absl::string_view line;
      ASSIGN_OR_RETURN(bool more, NextLine(&line));
      if (!more) return false;
      AddJsonLine(line, chunk);
    } else {
      ASSIGN_OR_RETURN(bool more, NextCsvRecord(&record_));
      if (!more) return false;
      if (record_.error.empty() && IsBlankRecord(record_)) continue;
      AddCsvRecord(record_, chunk);
    }
  }
  return true;
}

namespace {

absl::StatusOr<RecordFileContents> ReadAll(absl::string_view path,
                                           std::unique_ptr<ByteSource> source,
                                           FileEncoding encoding) {
  ASSIGN_OR_RETURN(std::unique_ptr<RecordFileReader> reader,
                   RecordFileReader::Open(path, std::move(source), encoding));
  RecordFileContents out;
  out.detected = reader->detected();
  RecordFileChunk chunk;
  bool more = true;
  while (more) {
    ASSIGN_OR_RETURN(more, reader->Next(size_t{1} << 16, &chunk));
    std::move(chunk.rows.begin(), chunk.rows.end(),
              std::back_inserter(out.rows));
    std::move(chunk.malformed.begin(), chunk.malformed.end(),
              std::back_inserter(out.malformed));
    std::move(chunk.unknown_columns.begin(), chunk.unknown_columns.end(),
              std::back_inserter(out.unknown_columns));
  }
  return out;
}

}  // namespace

absl::StatusOr<RecordFileContents> ParseRecordFile(absl::string_view path,
                                                   absl::string_view bytes,
                                                   FileEncoding encoding) {
  return ReadAll(path, std::make_unique<BufferSource>(bytes), encoding);
}

absl::StatusOr<RecordFileContents> ReadRecordFile(const std::string& path,
                                                  FileEncoding encoding) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path));
  return ReadAll(path, std::move(source), encoding);
}

}  // namespace sanji
