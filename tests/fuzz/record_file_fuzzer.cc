// Fuzz target: a clinic record file, as `village_agent import` reads it.
//
// Input: one mode byte, then the file's bytes. Mode bit 0 picks the format
// (0: CSV, "fuzz.csv"; 1: JSON Lines, "fuzz.jsonl"); bits 1-2 the encoding
// (0, 3: auto; 1: utf-8; 2: gb18030). Every row ParseRecordFile yields then
// goes through ParseRow (which ends in ValidateRecord), as the agent's intake
// does.
//
// Invariants checked besides "no crash, no UB, no leak": rows only name known
// columns, line numbers are positive and in file order, an accepted row's
// Record passes ValidateRecord, and a refused row names a known column (or
// none).
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/record_parse.h"
#include "tests/fuzz/fuzz_util.h"
#include "village_agent/record_file.h"

namespace {

bool IsKnown(absl::string_view column) {
  for (absl::string_view c : sanji::KnownColumns()) {
    if (c == column) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const bool jsonl = (mode & 1) != 0;
  sanji::FileEncoding encoding = sanji::FileEncoding::kAuto;
  switch ((mode >> 1) & 3) {
    case 1:
      encoding = sanji::FileEncoding::kUtf8;
      break;
    case 2:
      encoding = sanji::FileEncoding::kGb18030;
      break;
    default:
      break;
  }
  const std::string path = jsonl ? "fuzz.jsonl" : "fuzz.csv";
  absl::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  absl::StatusOr<sanji::RecordFileContents> contents =
      sanji::ParseRecordFile(path, bytes, encoding);
  if (!contents.ok()) return 0;
  SANJI_FUZZ_CHECK(contents->detected != sanji::FileEncoding::kAuto,
                   "detected encoding");
  if (encoding != sanji::FileEncoding::kAuto) {
    SANJI_FUZZ_CHECK(contents->detected == encoding, "forced encoding");
  }

  // A fixed clock, so that a crash reproduces whatever the date.
  const absl::CivilSecond now(2025, 6, 30, 12, 0, 0);
  int64_t last_line = 0;
  for (const sanji::RawRow& row : contents->rows) {
    SANJI_FUZZ_CHECK(row.source() == path, row.source());
    SANJI_FUZZ_CHECK(row.line() > last_line, std::to_string(row.line()));
    last_line = row.line();
    for (const auto& [column, value] : row.fields()) {
      SANJI_FUZZ_CHECK(IsKnown(column), column);
      SANJI_FUZZ_CHECK(!value.empty(), column);
    }
    std::string bad_column;
    absl::StatusOr<sanji::Record> record =
        sanji::ParseRow(row, now, &bad_column);
    if (record.ok()) {
      std::string column;
      absl::Status valid = sanji::ValidateRecord(*record, now, &column);
      SANJI_FUZZ_CHECK(valid.ok(), valid.ToString());
    } else {
      SANJI_FUZZ_CHECK(absl::IsInvalidArgument(record.status()),
                       record.status().ToString());
      SANJI_FUZZ_CHECK(bad_column.empty() || IsKnown(bad_column), bad_column);
    }
  }
  for (const sanji::MalformedRow& m : contents->malformed) {
    SANJI_FUZZ_CHECK(m.line >= 1, std::to_string(m.line));
    SANJI_FUZZ_CHECK(!m.reason.empty(), "malformed row without a reason");
  }
  return 0;
}
