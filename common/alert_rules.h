// Which records become notifiable-disease alerts, and what of them leaves the
// township (spec/records.md "Notifiable diseases", DESIGN.md promises 4 and 6).
//
// Every infectious_disease_report of a notifiable disease becomes an alert;
// those of class A or managed as class A are urgent and take the fast lane
// from the village. An alert is de-identified: it carries the village, the
// village's record_id, disease, class, time, sex and age in full years, never
// the patient id or birth date.
//
// Thread-safety: pure functions.
#ifndef SANJI_COMMON_ALERT_RULES_H_
#define SANJI_COMMON_ALERT_RULES_H_

#include <string>

#include "common/vocabulary.h"
#include "proto/records.pb.h"
#include "proto/rollup_sync.pb.h"

namespace sanji {

// The notifiable disease `record` reports; nullptr if it is not an
// infectious_disease_report of a known disease.
const DiseaseInfo* ReportedDisease(const Record& record);

// True for a new (not void) report of an urgent disease.
bool IsUrgentReport(const Record& record);

// The de-identified alert of `record` (ReportedDisease must be non-null);
// version and withdrawn are left unset.
Alert DeidentifiedAlert(const std::string& village_id, const Record& record,
                        const DiseaseInfo& disease);

// "A", "B" or "C".
std::string DiseaseClassName(const DiseaseInfo& disease);

}  // namespace sanji

#endif  // SANJI_COMMON_ALERT_RULES_H_
