// Reading clinic record files (spec/records.md "Encoding and shape") into raw
// rows.
//
// Handles CSV per RFC 4180 (quoted commas, quotes and newlines) and JSON Lines,
// in UTF-8 (with or without BOM) or GB18030/GBK, detected or forced. It only
// splits the file into rows of column -> text; parsing and validating a row's
// values is record_parse.h's job, so that the agent applies the same rules to
// every client.
#ifndef SANJI_VILLAGE_AGENT_RECORD_FILE_H_
#define SANJI_VILLAGE_AGENT_RECORD_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace sanji {

enum class FileEncoding { kAuto, kUtf8, kGb18030 };

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

// Decodes `bytes` (the whole file) to UTF-8 and splits it into rows. JSON Lines
// when `path` ends in ".jsonl" (or ".ndjson"), CSV otherwise. Fails only when
// the file as a whole cannot be read (e.g. invalid in the forced encoding, or a
// CSV without a header row); a bad row is reported in `malformed` and never
// stops the rest.
absl::StatusOr<RecordFileContents> ParseRecordFile(absl::string_view path,
                                                   absl::string_view bytes,
                                                   FileEncoding encoding);

// Reads the file at `path` and calls ParseRecordFile.
absl::StatusOr<RecordFileContents> ReadRecordFile(const std::string& path,
                                                  FileEncoding encoding);

// The columns of spec/records.md.
const std::vector<absl::string_view>& KnownColumns();

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_RECORD_FILE_H_
