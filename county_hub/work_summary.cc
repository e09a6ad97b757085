#include "county_hub/work_summary.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/catalogue.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"

namespace sanji {
namespace {

constexpr char kDiseasePrefix[] = "infectious_disease_reports.";
constexpr char kReferralPrefix[] = "referrals.";

// One organisation's values of one period, as the report's CSV has them.
struct Figures {
  std::map<std::string, std::string, std::less<>> values;  // code -> value

  // Nullptr when the report has no value for `code` (absent or empty).
  const std::string* Find(absl::string_view code) const {
    auto it = values.find(code);
    return it == values.end() || it->second.empty() ? nullptr : &it->second;
  }
};

// "123" or "123.45" as hundredths.
bool ParseHundredths(absl::string_view text, int64_t* out) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('.', 1));
  int64_t whole = 0;
  int64_t cents = 0;
  if (!absl::SimpleAtoi(parts.first, &whole)) return false;
  if (text.find('.') != absl::string_view::npos &&
      (parts.second.size() != 2 || !absl::SimpleAtoi(parts.second, &cents))) {
    return false;
  }
  *out = whole * 100 + (whole < 0 ? -cents : cents);
  return true;
}

bool IsRate(absl::string_view code) {
  IndicatorDef def;
  std::string name;
  return LookupIndicator(code, &def, &name) && def.type == IndicatorType::kRate;
}

// The change of `code` against a year earlier, as a clause starting with
// "，"; empty when either period has no value.
std::string Change(const Figures& now, const Figures* then,
                   absl::string_view code) {
  if (then == nullptr) return "";
  const std::string* a = now.Find(code);
  const std::string* b = then->Find(code);
  int64_t x = 0;
  int64_t y = 0;
  if (a == nullptr || b == nullptr || !ParseHundredths(*a, &x) ||
      !ParseHundredths(*b, &y)) {
    return "";
  }
  const int64_t d = x - y;
  if (IsRate(code)) {
    if (d == 0) return "，与去年同期持平";
    const char* unit = code == "death_rate_permille" ? "个千分点" : "个百分点";
    return absl::StrFormat("，较去年同期%s%d.%02d%s", d > 0 ? "提高" : "降低",
                           std::llabs(d) / 100, std::llabs(d) % 100, unit);
  }
  if (y <= 0) return "";
  if (d == 0) return "，与去年同期持平";
  // Tenths of a percent, rounded half up.
  const int64_t tenths = (std::llabs(d) * 2000 + y) / (2 * y);
  return absl::StrFormat("，同比%s%d.%d%%", d > 0 ? "增长" : "下降",
                         tenths / 10, tenths % 10);
}

// "<label><value><unit>" and its change; empty when there is no value.
std::string Figure(const Figures& now, const Figures* then,
                   absl::string_view code, absl::string_view label,
                   absl::string_view unit) {
  const std::string* value = now.Find(code);
  if (value == nullptr) return "";
  return absl::StrCat(label, *value, unit, Change(now, then, code));
}

// The non-empty `parts` joined with "；" and ended with "。"; empty if none.
std::string Sentence(const std::vector<std::string>& parts) {
  std::vector<std::string> kept;
  for (const std::string& p : parts) {
    if (!p.empty()) kept.push_back(p);
  }
  return kept.empty() ? "" : absl::StrCat(absl::StrJoin(kept, "；"), "。");
}

std::string Section(absl::string_view title,
                    const std::vector<std::string>& lines, bool bullets) {
  std::string out = absl::StrCat("## ", title, "\n\n");
  bool any = false;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    any = true;
    absl::StrAppend(&out, bullets ? "- " : "", line, bullets ? "\n" : "\n\n");
  }
  if (!any) absl::StrAppend(&out, "本期无相关数据。\n\n");
  if (bullets && any) out.push_back('\n');
  return out;
}

std::string MedicalServices(const Figures& f, const Figures* then) {
  std::vector<std::string> targets;
  for (const ReferralTargetInfo& t : ReferralTargets()) {
    const std::string code = absl::StrCat(kReferralPrefix, t.code);
    if (const std::string* v = f.Find(code)) {
      targets.push_back(absl::StrCat("转往", t.name_zh, *v, "人次"));
    }
  }
  std::string referrals = Figure(f, then, "referrals", "转诊", "人次");
  if (!referrals.empty() && !targets.empty()) {
    absl::StrAppend(&referrals, "（", absl::StrJoin(targets, "、"), "）");
  }
  return Section(
      "一、医疗服务",
      {Sentence(
          {Figure(f, then, "outpatient_visits", "门急诊", "人次"),
           Figure(f, then, "outpatient_cost_yuan", "门急诊总费用", "元"),
           Figure(f, then, "outpatient_cost_avg_yuan", "门诊次均费用", "元"),
           Figure(f, then, "inpatient_admissions", "住院", "人次"),
           Figure(f, then, "inpatient_cost_yuan", "住院总费用", "元"),
           referrals})},
      /*bullets=*/false);
}

std::string PublicHealth(const Figures& f, const Figures* then) {
  auto fig = [&](absl::string_view code, absl::string_view label,
                 absl::string_view unit) {
    return Figure(f, then, code, label, unit);
  };
  std::vector<std::string> lines = {
      Sentence({fig("health_records_created", "新建居民健康档案", "份"),
                fig("health_record_rate", "居民健康档案建档率", "%")}),
      Sentence({fig("vaccination_doses", "预防接种", "剂次")}),
      Sentence({fig("elderly_health_checks", "老年人健康体检", "人次"),
                fig("elderly_managed", "老年人健康管理", "人"),
                fig("elderly_management_rate", "老年人健康管理率", "%")}),
      Sentence(
          {fig("hypertension_managed", "管理高血压患者", "人"),
           fig("hypertension_standardized", "规范管理", "人"),
           fig("hypertension_standardized_rate", "高血压患者规范管理率", "%"),
           fig("hypertension_control_rate", "管理人群血压控制率", "%"),
           fig("hypertension_followups", "随访", "人次")}),
      Sentence({fig("diabetes_managed", "管理2型糖尿病患者", "人"),
                fig("diabetes_standardized", "规范管理", "人"),
                fig("diabetes_standardized_rate", "糖尿病患者规范管理率", "%"),
                fig("diabetes_control_rate", "管理人群血糖控制率", "%"),
                fig("diabetes_followups", "随访", "人次")}),
      Sentence({fig("smi_managed", "管理严重精神障碍患者", "人"),
                fig("smi_followups", "随访", "人次")}),
      Sentence({fig("tb_managed", "管理肺结核患者", "人"),
                fig("tb_followups", "随访", "人次")}),
      Sentence({fig("family_doctor_signed", "家庭医生签约", "人"),
                fig("family_doctor_sign_rate", "家庭医生签约率", "%"),
                fig("family_doctor_signings", "签约服务", "人次")}),
      Sentence({fig("health_education_sessions", "开展健康教育活动", "次"),
                fig("health_education_participants", "参加", "人次"),
                fig("supervision_patrols", "卫生监督协管巡查", "次")})};
  const std::string* ht = f.Find("hypertension_standardized_rate");
  const std::string* dm = f.Find("diabetes_standardized_rate");
  if (ht != nullptr && dm != nullptr) {
    lines.push_back(absl::StrCat("高血压、糖尿病患者规范管理率分别达到", *ht,
                                 "%和", *dm, "%。"));
  }
  return Section("二、基本公共卫生服务", lines, /*bullets=*/true);
}

// "霍乱1例（山门村1例）" for each urgent disease reported in the scope.
std::string UrgentCases(const Figures& f,
                        const std::vector<ReportRow>& village_rows) {
  std::vector<std::string> cases;
  for (const DiseaseInfo& d : Diseases()) {
    const std::string code = absl::StrCat(kDiseasePrefix, d.code);
    const std::string* n = f.Find(code);
    if (!d.urgent || n == nullptr) continue;
    std::vector<std::string> where;
    for (const ReportRow& r : village_rows) {
      if (r.indicator == code && !r.value.empty()) {
        where.push_back(absl::StrCat(r.org_name.empty() ? r.org_id : r.org_name,
                                     r.value, "例"));
      }
    }
    std::string text = absl::StrCat(d.name_zh, *n, "例");
    if (!where.empty()) {
      absl::StrAppend(&text, "（", absl::StrJoin(where, "、"), "）");
    }
    cases.push_back(std::move(text));
  }
  if (cases.empty()) return "未报告甲类及按甲类管理的传染病。";
  return absl::StrCat("报告甲类及按甲类管理的传染病：",
                      absl::StrJoin(cases, "、"), "，均已按紧急疫情上报。");
}

std::string InfectiousDiseases(const Figures& f, const Figures* then,
                               const std::vector<ReportRow>& village_rows) {
  std::vector<std::string> lines;
  std::string total =
      Figure(f, then, "infectious_disease_reports", "报告法定传染病", "例");
  if (!total.empty()) {
    std::map<char, std::vector<std::pair<int64_t, std::string>>> by_class;
    std::map<char, int64_t> sums = {{'A', 0}, {'B', 0}, {'C', 0}};
    for (const DiseaseInfo& d : Diseases()) {
      const std::string* n = f.Find(absl::StrCat(kDiseasePrefix, d.code));
      int64_t count = 0;
      if (n == nullptr || !absl::SimpleAtoi(*n, &count)) continue;
      sums[d.disease_class] += count;
      by_class[d.disease_class].emplace_back(
          count, absl::StrCat(d.name_zh, count, "例"));
    }
    absl::StrAppend(&total, "，其中甲类", sums['A'], "例、乙类", sums['B'],
                    "例、丙类", sums['C'], "例。");
    lines.push_back(total);
    const std::map<char, const char*> names = {
        {'A', "甲类"}, {'B', "乙类"}, {'C', "丙类"}};
    for (auto& [cls, diseases] : by_class) {
      // Most cases first; ties in the order of spec/records.md.
      std::stable_sort(
          diseases.begin(), diseases.end(),
          [](const auto& a, const auto& b) { return a.first > b.first; });
      std::vector<std::string> texts;
      for (const auto& d : diseases) texts.push_back(d.second);
      lines.push_back(
          absl::StrCat(names.at(cls), "：", absl::StrJoin(texts, "、"), "。"));
    }
    lines.push_back(UrgentCases(f, village_rows));
  }
  lines.push_back(
      Sentence({Figure(f, then, "death_reports", "报告死亡", "例"),
                Figure(f, then, "death_rate_permille", "报告死亡率", "‰")}));
  return Section("三、传染病报告", lines, /*bullets=*/false);
}

std::string MaternalAndChild(const Figures& f, const Figures* then) {
  return Section(
      "四、妇幼健康",
      {Sentence(
           {Figure(f, then, "pregnant_women_managed", "孕产妇健康管理", "人"),
            Figure(f, then, "prenatal_visits", "产前检查", "人次"),
            Figure(f, then, "postpartum_visits", "产后访视", "人次")}),
       Sentence(
           {Figure(f, then, "child_health_checks", "0-6岁儿童健康检查", "人次"),
            Figure(f, then, "children_managed", "0-6岁儿童健康管理", "人"),
            Figure(f, then, "child_management_rate", "0-6岁儿童健康管理率",
                   "%")})},
      /*bullets=*/false);
}

std::string Reporting(const std::vector<CompletenessRow>& rows) {
  if (rows.empty() || rows[0].counts.expected == 0) {
    return Section("五、数据上报", {}, /*bullets=*/false);
  }
  const CompletenessRow& scope = rows[0];
  std::string line = absl::StrCat(
      "应上报村卫生室", scope.counts.expected, "个，已上报",
      scope.counts.reported, "个，上报率", scope.reporting_rate, "%；按时上报",
      scope.counts.on_time, "个，及时率", scope.timely_rate, "%。");
  std::vector<std::string> missing;
  for (const CompletenessRow& r : rows) {
    if (r.level == "village" && r.counts.expected == 1 &&
        r.counts.reported == 0) {
      missing.push_back(r.org_name.empty() ? r.org_id : r.org_name);
    }
  }
  std::string missing_line =
      missing.empty()
          ? "应上报的村卫生室均已上报。"
          : absl::StrCat("未上报的村卫生室（", missing.size(), "个）：",
                         absl::StrJoin(missing, "、"), "。");
  return Section("五、数据上报", {line, missing_line}, /*bullets=*/false);
}

}  // namespace

std::string PeriodAYearEarlier(const Period& period) {
  const int64_t year = period.first.year() - 1;
  if (year < 1) return "";
  auto shift = [](absl::CivilDay d) {
    absl::CivilDay s(d.year() - 1, d.month(), d.day());
    // 29 February of a year without one: its last day of February.
    return s.month() == d.month() ? s : s - s.day();
  };
  if (period.kind == PeriodKind::kRange) {
    return absl::StrCat(FormatDay(shift(period.first)), "..",
                        FormatDay(shift(period.last)));
  }
  if (period.kind == PeriodKind::kDay) return FormatDay(shift(period.first));
  return absl::StrCat(absl::StrFormat("%04d", year), period.Key().substr(4));
}

std::string PeriodInChinese(const Period& period) {
  const absl::CivilDay f = period.first;
  auto day = [](absl::CivilDay d) {
    return absl::StrFormat("%d年%d月%d日", d.year(), d.month(), d.day());
  };
  switch (period.kind) {
    case PeriodKind::kYear:
      return absl::StrFormat("%d年", f.year());
    case PeriodKind::kHalf:
      return absl::StrFormat("%d年%s", f.year(),
                             f.month() == 1 ? "上半年" : "下半年");
    case PeriodKind::kQuarter: {
      const char* names[] = {"一", "二", "三", "四"};
      return absl::StrFormat("%d年第%s季度", f.year(),
                             names[(f.month() - 1) / 3]);
    }
    case PeriodKind::kMonth:
      return absl::StrFormat("%d年%d月", f.year(), f.month());
    case PeriodKind::kDay:
      return day(f);
    case PeriodKind::kRange:
      return absl::StrCat(day(f), "至", day(period.last));
  }
  return period.Key();
}

absl::StatusOr<std::string> WorkSummary::Render(const std::string& period_text,
                                                const std::string& org) const {
  ASSIGN_OR_RETURN(const Period period, ParsePeriod(period_text));
  const std::string scope = org.empty() ? county_id_ : org;
  ReportQuery query;
  query.period = period_text;
  query.level = "village";
  query.org = org;
  ASSIGN_OR_RETURN(std::vector<ReportRow> rows, reports_->Rows(query));
  Figures now;
  std::vector<ReportRow> village_rows;
  for (ReportRow& r : rows) {
    if (r.org_id == scope) {
      now.values[r.indicator] = r.value;
    } else if (r.level == "village") {
      village_rows.push_back(std::move(r));
    }
  }
  std::optional<Figures> then;
  if (std::string earlier = PeriodAYearEarlier(period); !earlier.empty()) {
    query.period = earlier;
    query.level = std::string(LevelName(*LevelOfCode(scope)));
    absl::StatusOr<std::vector<ReportRow>> old = reports_->Rows(query);
    if (old.ok()) {
      then.emplace();
      for (const ReportRow& r : *old) {
        if (r.org_id == scope) then->values[r.indicator] = r.value;
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<CompletenessRow> reporting,
                   completeness_->Rows(period_text, org));
  const Figures* before = then.has_value() ? &*then : nullptr;
  std::string name = orgs_ != nullptr ? orgs_->Name(scope) : "";
  if (name.empty()) name = scope;
  std::string out = absl::StrCat(
      "# ", name, PeriodInChinese(period), "卫生健康工作总结（数据部分·草稿）",
      "\n\n> 本稿数字取自 Sanji 同期报表（统计期 ", period.Key(), "，机构 ",
      scope, "），同比为与上年同期报表相比；请核对后使用。\n\n");
  absl::StrAppend(&out, MedicalServices(now, before), PublicHealth(now, before),
                  InfectiousDiseases(now, before, village_rows),
                  MaternalAndChild(now, before), Reporting(reporting));
  out.pop_back();  // one newline at the end
  return out;
}

}  // namespace sanji
