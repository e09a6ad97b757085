// Rollup cells: (village, indicator, period) -> (value, version), as the
// township computes them and the county stores them. See catalogue.h for which
// periods each indicator keeps.
//
// Key: "<village_id>|<indicator>|<period key>", so that one village's cells,
// and one indicator's days in date order, are contiguous ranges. Value: 8-byte
// value then 8-byte version, both big-endian (value as two's complement).
#ifndef SANJI_COMMON_CELL_KEY_H_
#define SANJI_COMMON_CELL_KEY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji {

struct CellKey {
  std::string village_id;
  std::string indicator;
  std::string period;
};

struct CellValue {
  int64_t value = 0;
  uint64_t version = 0;
};

std::string EncodeCellKey(absl::string_view village_id,
                          absl::string_view indicator,
                          absl::string_view period);
bool DecodeCellKey(absl::string_view key, CellKey* out);
std::string EncodeCellValue(const CellValue& value);
bool DecodeCellValue(absl::string_view bytes, CellValue* out);

}  // namespace sanji

#endif  // SANJI_COMMON_CELL_KEY_H_
