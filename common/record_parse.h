// Turning a raw row into a validated Record (spec/records.md "Columns", "Kinds"
// and the validation rules of spec/indicators.md), and re-validating a Record
// that arrives from a peer. One set of rules, used by the village agent's
// intake and by the township.
#ifndef SANJI_COMMON_RECORD_PARSE_H_
#define SANJI_COMMON_RECORD_PARSE_H_

#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "proto/records.pb.h"

namespace sanji {

// Parses and validates one row. On error the status is InvalidArgument with a
// reason a clinic worker can act on (e.g. "'2025-02-30' is not a valid date
// (YYYY-MM-DD)"), and
// `*bad_column` names the column at fault (empty when the row as a whole is
// wrong). `now` bounds occurred_at (at most one day after it). The status also
// carries the reason's code (ReasonCode), for the messages in other languages.
absl::StatusOr<Record> ParseRow(const RawRow& row, absl::CivilSecond now,
                                std::string* bad_column);

// A row's cells as (column, text) views, as a RawRow's map or a TableRow with
// its table's columns holds them (proto/records.proto); column names are
// distinct.
using RowCellList =
    absl::InlinedVector<std::pair<absl::string_view, absl::string_view>, 20>;

// ParseRow of the row these cells are.
absl::StatusOr<Record> ParseCells(const RowCellList& cells,
                                  absl::CivilSecond now,
                                  std::string* bad_column);

// Checks every rule on an already-parsed Record (what ParseRow enforces after
// conversion): required fields per kind, ranges, codes, the age rules, the
// resident-ID refusal, the date bounds. Used on records received from peers,
// which must not be trusted.
absl::Status ValidateRecord(const Record& record, absl::CivilSecond now,
                            std::string* bad_column);

// True when `text` is a valid 18-character Chinese resident identity number (GB
// 11643, with its ISO 7064 MOD 11-2 check character).
bool IsResidentIdNumber(absl::string_view text);

// Reason codes. Every refusal of ParseRow and ValidateRecord carries a short
// stable code in its status's payload kReasonCodePayload (e.g. "missing",
// "bad_number", "resident_id_number"); the agent's intake passes it on in
// RowOutcome.reason_code, with its own codes for what only it can judge
// ("nothing_to_void", "void_kind_mismatch", "record_id_conflict"). The English
// reasons stay as they are (clients print them); the zh-CN sentences for the
// clinic page are one table keyed by (code, column), in record_parse.cc beside
// the English ones.
inline constexpr char kReasonCodePayload[] = "type.sanji/reason-code";

// The code `status` carries; empty when it has none.
std::string ReasonCode(const absl::Status& status);

// The zh-CN sentence for a refusal of `column` with `code`, e.g.
// ("bad_number", "systolic") -> "收缩压须为 40-300 的整数 (mmHg)". A code
// without one (or no code) gets a generic sentence that ends with the English
// `reason`, so nothing is ever left unsaid.
std::string ReasonZh(absl::string_view code, absl::string_view column,
                     absl::string_view reason);

// The zh-CN name of a column of spec/records.md (e.g. systolic -> 收缩压), or
// the column itself when it is not one.
absl::string_view ColumnNameZh(absl::string_view column);

}  // namespace sanji

#endif  // SANJI_COMMON_RECORD_PARSE_H_
