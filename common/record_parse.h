// Turning a raw row into a validated Record (spec/records.md "Columns", "Kinds"
// and the validation rules of spec/indicators.md), and re-validating a Record
// that arrives from a peer. One set of rules, used by the village agent's
// intake and by the township.
#ifndef SANJI_COMMON_RECORD_PARSE_H_
#define SANJI_COMMON_RECORD_PARSE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "proto/records.pb.h"

namespace sanji {

// Parses and validates one row. On error the status is InvalidArgument with a
// reason a clinic worker can act on (e.g. "'2025-02-30' is not a valid date
// (YYYY-MM-DD)"), and
// `*bad_column` names the column at fault (empty when the row as a whole is
// wrong). `now` bounds occurred_at (at most one day after it).
absl::StatusOr<Record> ParseRow(const RawRow& row, absl::CivilSecond now,
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

}  // namespace sanji

#endif  // SANJI_COMMON_RECORD_PARSE_H_
