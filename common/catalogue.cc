#include "common/catalogue.h"

#include "absl/strings/str_cat.h"
#include "common/period.h"
#include "common/vocabulary.h"

namespace sanji {
namespace {

constexpr char kDiseaseReports[] = "infectious_disease_reports";
constexpr char kReferrals[] = "referrals";

// kind -> the count indicator every record of that kind adds one to.
struct KindCount {
  absl::string_view kind;
  absl::string_view count;
};
constexpr KindCount kKindCounts[] = {
    {"outpatient_visit", "outpatient_visits"},
    {"inpatient_admission", "inpatient_admissions"},
    {"health_record_created", "health_records_created"},
    {"vaccination", "vaccination_doses"},
    {"child_health_check", "child_health_checks"},
    {"prenatal_visit", "prenatal_visits"},
    {"postpartum_visit", "postpartum_visits"},
    {"elderly_health_check", "elderly_health_checks"},
    {"hypertension_followup", "hypertension_followups"},
    {"diabetes_followup", "diabetes_followups"},
    {"smi_followup", "smi_followups"},
    {"tb_followup", "tb_followups"},
    {"family_doctor_signing", "family_doctor_signings"},
    {"infectious_disease_report", kDiseaseReports},
    {"death_report", "death_reports"},
    {"referral", kReferrals},
    {"health_education", "health_education_sessions"},
    {"supervision_patrol", "supervision_patrols"},
};

}  // namespace

const std::vector<IndicatorDef>& Indicators() {
  using T = IndicatorType;
  using P = PopulationField;
  static const auto* defs = new std::vector<IndicatorDef>{
      {"outpatient_visits", "门急诊人次", T::kCount},
      {"outpatient_cost_yuan", "门急诊总费用(元)", T::kSumYuan},
      {"outpatient_cost_avg_yuan", "门诊次均费用(元)", T::kAverageYuan,
       "outpatient_cost_yuan", "outpatient_visits"},
      {"inpatient_admissions", "住院人次", T::kCount},
      {"inpatient_cost_yuan", "住院总费用(元)", T::kSumYuan},
      {"health_records_created", "新建居民健康档案数", T::kCount},
      {"vaccination_doses", "预防接种剂次", T::kCount},
      {"child_health_checks", "0-6岁儿童健康检查人次", T::kCount},
      {"prenatal_visits", "产前检查人次", T::kCount},
      {"postpartum_visits", "产后访视人次", T::kCount},
      {"elderly_health_checks", "老年人健康体检人次", T::kCount},
      {"hypertension_followups", "高血压患者随访人次", T::kCount},
      {"diabetes_followups", "糖尿病患者随访人次", T::kCount},
      {"smi_followups", "严重精神障碍患者随访人次", T::kCount},
      {"tb_followups", "肺结核患者随访人次", T::kCount},
      {"family_doctor_signings", "家庭医生签约人次", T::kCount},
      {kDiseaseReports, "传染病报告例数", T::kCount, "", "", P::kNone, true},
      {"death_reports", "死亡报告例数", T::kCount},
      {kReferrals, "转诊人次", T::kCount, "", "", P::kNone, true},
      {"health_education_sessions", "健康教育活动次数", T::kCount},
      {"health_education_participants", "健康教育参加人次", T::kSum},
      {"supervision_patrols", "卫生监督协管巡查次数", T::kCount},
      {"children_managed", "0-6岁儿童健康管理人数", T::kDistinct},
      {"pregnant_women_managed", "孕产妇健康管理人数", T::kDistinct},
      {"elderly_managed", "老年人健康管理人数", T::kDistinct},
      {"family_doctor_signed", "家庭医生签约人数", T::kDistinct},
      {"hypertension_managed", "高血压患者管理人数", T::kDistinct},
      {"hypertension_standardized", "高血压患者规范管理人数", T::kDistinct},
      {"hypertension_controlled", "管理人群血压达标人数", T::kDistinct},
      {"diabetes_managed", "糖尿病患者管理人数", T::kDistinct},
      {"diabetes_standardized", "糖尿病患者规范管理人数", T::kDistinct},
      {"diabetes_controlled", "管理人群血糖达标人数", T::kDistinct},
      {"smi_managed", "严重精神障碍患者管理人数", T::kDistinct},
      {"tb_managed", "肺结核患者管理人数", T::kDistinct},
      {"hypertension_standardized_rate", "高血压患者规范管理率", T::kRate,
       "hypertension_standardized", "hypertension_managed"},
      {"hypertension_control_rate", "管理人群血压控制率", T::kRate,
       "hypertension_controlled", "hypertension_managed"},
      {"diabetes_standardized_rate", "糖尿病患者规范管理率", T::kRate,
       "diabetes_standardized", "diabetes_managed"},
      {"diabetes_control_rate", "管理人群血糖控制率", T::kRate,
       "diabetes_controlled", "diabetes_managed"},
      {"child_management_rate", "0-6岁儿童健康管理率", T::kRate,
       "children_managed", "", P::kChildren06},
      {"elderly_management_rate", "老年人健康管理率", T::kRate,
       "elderly_managed", "", P::kElderly65},
      {"family_doctor_sign_rate", "家庭医生签约率", T::kRate,
       "family_doctor_signed", "", P::kResidents},
      {"health_record_rate", "居民健康档案建档率", T::kRate,
       "health_records_created", "", P::kResidents},
      {"death_rate_permille", "报告死亡率(‰)", T::kRate, "death_reports", "",
       P::kResidents, false, /*per_mille=*/true},
  };
  return *defs;
}

bool LookupIndicator(absl::string_view code, IndicatorDef* def,
                     std::string* name_zh) {
  size_t dot = code.find('.');
  absl::string_view base = code.substr(0, dot);
  for (const IndicatorDef& d : Indicators()) {
    if (d.code != base) continue;
    if (dot == absl::string_view::npos) {
      *def = d;
      *name_zh = std::string(d.name_zh);
      return true;
    }
    if (!d.has_breakdown) return false;
    absl::string_view value = code.substr(dot + 1);
    if (base == kDiseaseReports) {
      const DiseaseInfo* disease = FindDisease(value);
      if (disease == nullptr) return false;
      *name_zh = absl::StrCat(disease->name_zh, "报告例数");
    } else {
      const ReferralTargetInfo* target = FindReferralTarget(value);
      if (target == nullptr) return false;
      *name_zh = absl::StrCat("转往", target->name_zh, "人次");
    }
    *def = d;
    def->code = code;
    def->has_breakdown = false;
    return true;
  }
  return false;
}

ValueUnit UnitOf(const IndicatorDef& def) {
  switch (def.type) {
    case IndicatorType::kCount:
    case IndicatorType::kSum:
    case IndicatorType::kDistinct:
      return ValueUnit::kCount;
    case IndicatorType::kSumYuan:
    case IndicatorType::kAverageYuan:
      return ValueUnit::kYuan;
    case IndicatorType::kRate:
      return def.per_mille ? ValueUnit::kPerMille : ValueUnit::kPercent;
  }
  return ValueUnit::kCount;
}

bool IsCellIndicator(IndicatorType type) {
  return type == IndicatorType::kCount || type == IndicatorType::kSum ||
         type == IndicatorType::kSumYuan || type == IndicatorType::kDistinct;
}

std::vector<DayContribution> DayContributions(const Record& record) {
  std::vector<DayContribution> out;
  for (const KindCount& kc : kKindCounts) {
    if (kc.kind == record.kind()) {
      out.emplace_back(std::string(kc.count), 1);
      break;
    }
  }
  const std::string& kind = record.kind();
  if (kind == "outpatient_visit") {
    out.emplace_back("outpatient_cost_yuan", record.cost_fen());
  } else if (kind == "inpatient_admission") {
    out.emplace_back("inpatient_cost_yuan", record.cost_fen());
  } else if (kind == "infectious_disease_report") {
    out.emplace_back(absl::StrCat(kDiseaseReports, ".", record.disease()), 1);
  } else if (kind == "referral") {
    out.emplace_back(absl::StrCat(kReferrals, ".", record.referred_to()), 1);
  } else if (kind == "health_education") {
    out.emplace_back("health_education_participants", record.participants());
  }
  return out;
}

const std::vector<DistinctFamily>& DistinctFamilies() {
  static const auto* families = new std::vector<DistinctFamily>{
      {"child_health_check", "children_managed", "", ""},
      {"prenatal_visit", "pregnant_women_managed", "", ""},
      {"elderly_health_check", "elderly_managed", "", ""},
      {"family_doctor_signing", "family_doctor_signed", "", ""},
      {"hypertension_followup", "hypertension_managed",
       "hypertension_standardized", "hypertension_controlled"},
      {"diabetes_followup", "diabetes_managed", "diabetes_standardized",
       "diabetes_controlled"},
      {"smi_followup", "smi_managed", "", ""},
      {"tb_followup", "tb_managed", "", ""},
  };
  return *families;
}

const DistinctFamily* FindDistinctFamily(absl::string_view kind) {
  for (const DistinctFamily& f : DistinctFamilies()) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

bool IsOnTarget(const Record& record) {
  if (record.kind() == "hypertension_followup") {
    absl::CivilDay day = DayOfLocalSeconds(record.occurred_at());
    bool elderly =
        AgeInFullYears(DayFromEpochDays(record.birth_date()), day) >= 65;
    int systolic_limit = elderly ? 150 : 140;
    return record.systolic() < systolic_limit && record.diastolic() < 90;
  }
  if (record.kind() == "diabetes_followup") {
    return record.fasting_glucose_centi() < 700;
  }
  return false;
}

}  // namespace sanji
