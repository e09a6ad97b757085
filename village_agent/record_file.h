// Reading clinic record files (spec/records.md "Encoding and shape") into raw
// rows.
//
// Handles CSV per RFC 4180 (quoted commas, quotes and newlines) and JSON Lines,
// in UTF-8 (with or without BOM) or GB18030/GBK, detected or forced
// (village_agent/text_decoder.h). It only splits the file into rows of column
// -> text; parsing and validating a row's values is record_parse.h's job, so
// that the agent applies the same rules to every client.
//
// RecordFileReader is the one implementation: it reads a file piece by piece
// in constant memory (the import command); ParseRecordFile and ReadRecordFile
// collect all of its rows (the clinic page, tests).
#ifndef SANJI_VILLAGE_AGENT_RECORD_FILE_H_
#define SANJI_VILLAGE_AGENT_RECORD_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/csv.h"
#include "proto/records.pb.h"
#include "village_agent/byte_source.h"
#include "village_agent/text_decoder.h"

namespace sanji {

// Parses "auto", "utf-8"/"utf8", "gb18030"/"gbk" (case-insensitive).
absl::StatusOr<FileEncoding> ParseFileEncoding(absl::string_view name);

// A row that could not be split into fields (bad quoting, a JSON line that is
// not an object).
struct MalformedRow {
  int64_t line;
  std::string reason;
};

struct RecordFileContents {
  std::vector<RawRow>
      rows;  // source = the path given, line = first line of the row
  std::vector<MalformedRow> malformed;
  std::vector<std::string>
      unknown_columns;  // columns not in spec/records.md, in file order
  FileEncoding detected = FileEncoding::kUtf8;
};

// What one RecordFileReader::Next read, in file order within each list.
struct RecordFileChunk {
  std::vector<RawRow> rows;
  std::vector<MalformedRow> malformed;
  std::vector<std::string> unknown_columns;  // first seen in this chunk
};

// Splits a record file into rows, a chunk at a time. JSON Lines when `path`
// ends in ".jsonl" (or ".ndjson"), CSV otherwise.
//
// Thread-safety: used by one thread. Owns its source.
class RecordFileReader {
 public:
  // Judges the encoding over the whole file and reads the CSV header. Fails
  // only when the file as a whole cannot be read (invalid in the forced
  // encoding, a CSV without a header row...), before any row is read; a bad
  // row is reported in a chunk's `malformed` and never stops the rest.
  static absl::StatusOr<std::unique_ptr<RecordFileReader>> Open(
      absl::string_view path, std::unique_ptr<ByteSource> source,
      FileEncoding encoding);

  // Replaces `chunk` with the next rows: at least one row or malformed row
  // unless the file is done, at most `max_rows` of both. False once the file
  // has no more (the chunk may still hold the last ones). DATA_LOSS when the
  // file cannot be read any more or changed since Open judged it.
  absl::StatusOr<bool> Next(size_t max_rows, RecordFileChunk* chunk);

  FileEncoding detected() const { return detected_; }

 private:
  RecordFileReader(absl::string_view path, std::unique_ptr<ByteSource> source,
                   FileEncoding detected);
  // Reads and decodes the next piece of the file onto the text; at least
  // `pending` bytes, so that a long record is re-read from its start only a
  // few times.
  absl::Status Fill(size_t pending);
  absl::StatusOr<bool> NextCsvRecord(CsvRecord* record);
  absl::StatusOr<bool> NextLine(absl::string_view* line);
  absl::Status ReadHeader();
  // One CSV record or JSON line into `chunk`.
  void AddCsvRecord(const CsvRecord& record, RecordFileChunk* chunk);
  void AddJsonLine(absl::string_view line, RecordFileChunk* chunk);
  void AddUnknown(const std::string& name, RecordFileChunk* chunk);

  const std::string path_;
  const bool json_lines_;
  const FileEncoding detected_;
  std::unique_ptr<ByteSource> source_;
  TextDecoder decoder_;
  std::string text_;  // decoded, not yet split from pos_ on
  size_t pos_ = 0;
  int64_t line_ = 1;  // the line text_[pos_] is on
  bool eof_ = false;  // all of the file is in text_
  // CSV: column index -> known column name, or "" when the column is ignored;
  // and the header's cells.
  std::vector<std::string> columns_;
  std::vector<std::string> header_;
  absl::flat_hash_set<std::string> unknown_seen_;
  std::vector<std::string> header_unknown_;  // until the first chunk
  CsvRecord record_;  // reused, so that its fields keep their capacity
};

// Decodes `bytes` (the whole file) to UTF-8 and splits it into rows; fails as
// RecordFileReader::Open does.
absl::StatusOr<RecordFileContents> ParseRecordFile(absl::string_view path,
                                                   absl::string_view bytes,
                                                   FileEncoding encoding);

// Reads the whole file at `path` as ParseRecordFile does.
absl::StatusOr<RecordFileContents> ReadRecordFile(const std::string& path,
                                                  FileEncoding encoding);

// The columns of spec/records.md.
const std::vector<absl::string_view>& KnownColumns();

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_RECORD_FILE_H_
