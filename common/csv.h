// CSV as RFC 4180 has it, the one reader and writer of every CSV file Sanji
// reads (clinic record files, the county's org and population files) or
// writes (reports).
//
// The reader is lenient where clinic spreadsheets are sloppy and says so
// where they are wrong: fields are separated by commas and may be quoted with
// '"' (a quote inside doubled, line breaks inside kept as "\n"); records end
// in CRLF, LF or CR; spaces before an opening quote are dropped; a leading
// UTF-8 byte-order mark is skipped. A malformed record (text after a closing
// quote, a quote never closed) is returned with an error, and reading goes
// on, so that one bad row costs only itself. A quote inside an unquoted field,
// and spaces before an opening or after a closing quote, are kept or dropped
// as said, and marked, for callers that refuse them.
//
// Thread-safety: a CsvReader is used by one thread; the functions are pure.
#ifndef SANJI_COMMON_CSV_H_
#define SANJI_COMMON_CSV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji {

struct CsvRecord {
  int64_t line = 0;  // physical line where the record starts, from 1
  std::vector<std::string> fields;
  std::string error;  // non-empty when the record is malformed
  // A '"' inside an unquoted field, or spaces around a quoted one.
  bool irregular_quotes = false;
};

class CsvReader {
 public:
  // `text` must outlive the reader.
  explicit CsvReader(absl::string_view text);
  // Reads `text` as the part of a longer text that starts on line
  // `first_line`, for a caller that reads a file piece by piece: no byte-order
  // mark is skipped.
  CsvReader(absl::string_view text, int64_t first_line)
      : text_(text), line_(first_line) {}
  // Reads the next record; false at the end of the text.
  bool Next(CsvRecord* record);
  // How far the records read so far reach into the text, and the line the
  // next one starts on. A record that reaches the end of the text may go on in
  // the text that follows it (a quoted line break, the LF of a CRLF).
  size_t position() const { return pos_; }
  int64_t line() const { return line_; }

 private:
  void ConsumeNewline();

  absl::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

// True when every field is empty after TrimCell (a blank line).
bool IsBlankRecord(const CsvRecord& record);

// Strips ASCII whitespace and the ideographic space U+3000 from both ends.
absl::string_view TrimCell(absl::string_view s);

// Appends `field`, quoted when it holds a comma, a quote or a line break.
void AppendCsvField(absl::string_view field, std::string* out);
std::string CsvField(absl::string_view field);

}  // namespace sanji

#endif  // SANJI_COMMON_CSV_H_
