// The record vocabulary of spec/records.md: kinds, notifiable diseases,
// referral targets. One table each, read by validation, aggregation, reports
// and the workload generator.
#ifndef SANJI_COMMON_VOCABULARY_H_
#define SANJI_COMMON_VOCABULARY_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace sanji {

struct KindInfo {
  absl::string_view code;
  absl::string_view name_zh;
  bool person;  // needs patient_id, sex and birth_date
};

struct DiseaseInfo {
  absl::string_view code;
  absl::string_view name_zh;
  char disease_class;  // 'A', 'B' or 'C'
  bool urgent;         // class A or managed as class A
};

struct ReferralTargetInfo {
  absl::string_view code;
  absl::string_view name_zh;
};

const std::vector<KindInfo>& Kinds();
const std::vector<DiseaseInfo>& Diseases();
const std::vector<ReferralTargetInfo>& ReferralTargets();

// nullptr when unknown.
const KindInfo* FindKind(absl::string_view code);
const DiseaseInfo* FindDisease(absl::string_view code);
const ReferralTargetInfo* FindReferralTarget(absl::string_view code);

}  // namespace sanji

#endif  // SANJI_COMMON_VOCABULARY_H_
