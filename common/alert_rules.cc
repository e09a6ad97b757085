#include "common/alert_rules.h"

#include "common/period.h"

namespace sanji {

const DiseaseInfo* ReportedDisease(const Record& record) {
  if (record.kind() != "infectious_disease_report") return nullptr;
  return FindDisease(record.disease());
}

bool IsUrgentReport(const Record& record) {
  const DiseaseInfo* disease = ReportedDisease(record);
  return !record.is_void() && disease != nullptr && disease->urgent;
}

std::string DiseaseClassName(const DiseaseInfo& disease) {
  return std::string(1, disease.disease_class);
}

Alert DeidentifiedAlert(const std::string& village_id, const Record& record,
                        const DiseaseInfo& disease) {
  Alert alert;
  alert.set_village_id(village_id);
  alert.set_record_id(record.record_id());
  alert.set_disease(std::string(disease.code));
  alert.set_disease_class(DiseaseClassName(disease));
  alert.set_urgent(disease.urgent);
  alert.set_occurred_at(record.occurred_at());
  alert.set_sex(record.sex());
  alert.set_age_years(
      record.has_birth_date()
          ? AgeInFullYears(DayFromEpochDays(record.birth_date()),
                           DayOfLocalSeconds(record.occurred_at()))
          : -1);
  return alert;
}

}  // namespace sanji
