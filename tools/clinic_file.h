// How a clinic's software writes its record files, for gen_workload: the
// columns of spec/records.md plus a free-text 备注 column, a row as one string
// per column, the per-village styles (encoding, BOM, JSON Lines, how sex is
// written, column order, padded cells) and the rendering of rows as CSV or
// JSON Lines in UTF-8 or GB18030.
//
// Thread-safety: plain functions and values; nothing shared.
#ifndef SANJI_TOOLS_CLINIC_FILE_H_
#define SANJI_TOOLS_CLINIC_FILE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/seeded_rng.h"

namespace sanji {

enum Col {
  kRecordId,
  kAction,
  kKind,
  kOccurredAt,
  kPatientId,
  kSex,
  kBirthDate,
  kCost,
  kIcd10,
  kVaccine,
  kDose,
  kSystolic,
  kDiastolic,
  kGlucose,
  kDisease,
  kParticipants,
  kReferredTo,
  kNote,  // 备注: free text, not a spec column (the importer must ignore it
          // with a warning)
  kNumCols
};

using Row = std::array<std::string, kNumCols>;

enum class FileFormat { kUtf8, kUtf8Bom, kGb18030, kJsonl };
enum class SexStyle { kLatin, kChinese, kDigits };

// An amount in fen as cost_yuan writes it: "12.05".
std::string FormatFen(int64_t fen);

// "CSV, UTF-8", ...: for the manifest.
const char* FormatName(FileFormat f);

// How one clinic's software writes its files.
struct FileStyle {
  FileFormat format = FileFormat::kUtf8;
  SexStyle sex = SexStyle::kLatin;
  bool action_column = false;  // the main file has an `action` column ("new")
  bool shuffle_columns = false;
  // A few cells with spaces around them (trimmed by the importer).
  bool pad_spaces = false;
  double date_only_share = 0.3;
  std::vector<int> columns;  // column order of the main file
};

// The style of the village_index-th village (0-based, in county order):
// formats by a fixed pattern (all UTF-8 CSV without `encoding_mix`), the rest
// by the index and a few draws.
FileStyle StyleFor(int village_index, bool encoding_mix, SeededRng& rng);

// Renders rows as CSV (header first) or JSON Lines; `first_line[i]` is the
// line row i starts on, counted as an editor counts them (the CSV header is
// line 1).
std::string Render(const std::vector<Row>& rows,
                   const std::vector<int>& columns, bool jsonl, bool crlf,
                   std::vector<int>* first_line);

// Writes `utf8` to `path` in `format`'s encoding (GB18030; a BOM before
// UTF-8). False, with `error` set, on failure.
bool WriteClinicFile(const std::string& path, const std::string& utf8,
                     FileFormat format, std::string* error);

}  // namespace sanji

#endif  // SANJI_TOOLS_CLINIC_FILE_H_
