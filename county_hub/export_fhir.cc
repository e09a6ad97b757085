#include "county_hub/export_fhir.h"

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kMeasureBase[] = "https://sanji.example/Measure/";
constexpr char kOrgSystem[] = "https://sanji.example/org";
constexpr char kPopulationSystem[] =
    "http://terminology.hl7.org/CodeSystem/measure-population";
constexpr char kUcum[] = "http://unitsofmeasure.org";
constexpr char kIso4217[] = "urn:iso:std:iso:4217";

uint64_t Fnv1a(absl::string_view text, uint64_t hash) {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// An integer as a JSON integer.
absl::StatusOr<Json> Count(const std::string& text, absl::string_view what) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n)) {
    return absl::OutOfRangeError(
        absl::StrCat("fhir: ", what, " ", text, " is not a 64-bit integer"));
  }
  return Json(n);
}

// A report value (integer, or two decimals) as a JSON number, exactly.
absl::StatusOr<Json> Number(const ReportRow& row) {
  const std::string what = absl::StrCat(row.org_id, " ", row.indicator);
  if (row.unit == ValueUnit::kCount) return Count(row.value, what);
  double d = 0;
  if (!absl::SimpleAtod(row.value, &d) ||
      absl::StrFormat("%.2f", d) != row.value) {
    return absl::OutOfRangeError(absl::StrCat("fhir: ", what, " ", row.value,
                                              " has more digits than a JSON "
                                              "number keeps exactly here"));
  }
  return Json(d);
}

Json Quantity(Json value, ValueUnit unit) {
  Json q;
  q["value"] = std::move(value);
  switch (unit) {
    case ValueUnit::kCount:
      break;
    case ValueUnit::kYuan:
      q["unit"] = "元";
      q["system"] = kIso4217;
      q["code"] = "CNY";
      break;
    case ValueUnit::kPercent:
      q["unit"] = "%";
      q["system"] = kUcum;
      q["code"] = "%";
      break;
    case ValueUnit::kPerMille:
      q["unit"] = "‰";
      q["system"] = kUcum;
      q["code"] = "[ppth]";
      break;
  }
  return q;
}

absl::StatusOr<Json> Population(const char* code, const std::string& count,
                                const ReportRow& row) {
  Json p;
  p["code"]["coding"] =
      Json::array({Json{{"system", kPopulationSystem}, {"code", code}}});
  ASSIGN_OR_RETURN(
      p["count"],
      Count(count, absl::StrCat(row.org_id, " ", row.indicator, " ", code)));
  return p;
}

// group[0] of the row's MeasureReport; nullopt when it has nothing to say.
absl::StatusOr<std::optional<Json>> Group(const ReportRow& row) {
  Json group = Json::object();
  if (!row.denominator.empty()) {
    Json population = Json::array();
    ASSIGN_OR_RETURN(population.emplace_back(),
                     Population("numerator", row.numerator, row));
    ASSIGN_OR_RETURN(population.emplace_back(),
                     Population("denominator", row.denominator, row));
    group["population"] = std::move(population);
  }
  if (!row.value.empty()) {
    ASSIGN_OR_RETURN(Json value, Number(row));
    group["measureScore"] = Quantity(std::move(value), row.unit);
  }
  if (group.empty()) return std::nullopt;
  return group;
}

absl::StatusOr<Json> Entry(const ExchangePeriod& period, const ReportRow& row) {
  Json report;
  report["resourceType"] = "MeasureReport";
  report["status"] = "complete";
  report["type"] = "summary";
  report["measure"] = absl::StrCat(kMeasureBase, row.indicator);
  report["reporter"]["identifier"] = {{"system", kOrgSystem},
                                      {"value", row.org_id}};
  report["period"] = {{"start", period.start}, {"end", period.end}};
  ASSIGN_OR_RETURN(std::optional<Json> group, Group(row));
  if (group.has_value()) report["group"] = Json::array({std::move(*group)});
  Json entry;
  entry["fullUrl"] = absl::StrCat(
      "urn:uuid:",
      NameUuid(absl::StrCat(period.adx, "|", row.org_id, "|", row.indicator)));
  entry["resource"] = std::move(report);
  return entry;
}

}  // namespace

std::string NameUuid(absl::string_view name) {
  uint64_t hi = Fnv1a(name, 0xcbf29ce484222325ULL);
  uint64_t lo = Fnv1a(name, hi ^ 0x9e3779b97f4a7c15ULL);
  hi = (hi & ~0xf000ULL) | 0x8000ULL;        // version 8
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffULL);
}

absl::StatusOr<std::string> RenderFhir(const ExchangePeriod& period,
                                       const std::vector<ReportRow>& rows) {
  Json entries = Json::array();
  for (const ReportRow& row : rows) {
    ASSIGN_OR_RETURN(entries.emplace_back(), Entry(period, row));
  }
  Json bundle;
  bundle["resourceType"] = "Bundle";
  bundle["type"] = "collection";
  if (!entries.empty()) bundle["entry"] = std::move(entries);
  // Compact: a village-level Bundle of a large county stays well within a
  // gRPC message.
  return bundle.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace sanji
