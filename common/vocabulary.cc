#include "common/vocabulary.h"

namespace sanji {
namespace {

template <typename T>
const T* FindByCode(const std::vector<T>& table, absl::string_view code) {
  for (const T& entry : table) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

}  // namespace

const std::vector<KindInfo>& Kinds() {
  static const auto* kinds = new std::vector<KindInfo>{
      {"outpatient_visit", "门急诊", true},
      {"inpatient_admission", "住院", true},
      {"health_record_created", "建立居民健康档案", true},
      {"vaccination", "预防接种", true},
      {"child_health_check", "0-6岁儿童健康检查", true},
      {"prenatal_visit", "产前检查", true},
      {"postpartum_visit", "产后访视", true},
      {"elderly_health_check", "65岁及以上老年人健康体检", true},
      {"hypertension_followup", "高血压患者随访", true},
      {"diabetes_followup", "2型糖尿病患者随访", true},
      {"smi_followup", "严重精神障碍患者随访", true},
      {"tb_followup", "肺结核患者随访", true},
      {"family_doctor_signing", "家庭医生签约", true},
      {"infectious_disease_report", "传染病报告", true},
      {"death_report", "死亡报告", true},
      {"referral", "转诊", true},
      {"health_education", "健康教育活动", false},
      {"supervision_patrol", "卫生监督协管巡查", false},
  };
  return *kinds;
}

const std::vector<DiseaseInfo>& Diseases() {
  static const auto* diseases = new std::vector<DiseaseInfo>{
      {"plague", "鼠疫", 'A', true},
      {"cholera", "霍乱", 'A', true},
      {"sars", "传染性非典型肺炎", 'B', true},
      {"anthrax_pulmonary", "肺炭疽", 'B', true},
      {"hiv_aids", "艾滋病", 'B', false},
      {"viral_hepatitis", "病毒性肝炎", 'B', false},
      {"polio", "脊髓灰质炎", 'B', false},
      {"measles", "麻疹", 'B', false},
      {"hfrs", "流行性出血热", 'B', false},
      {"rabies", "狂犬病", 'B', false},
      {"japanese_encephalitis", "流行性乙型脑炎", 'B', false},
      {"dengue", "登革热", 'B', false},
      {"anthrax", "炭疽", 'B', false},
      {"dysentery", "细菌性和阿米巴性痢疾", 'B', false},
      {"tuberculosis", "肺结核", 'B', false},
      {"typhoid", "伤寒和副伤寒", 'B', false},
      {"meningococcal", "流行性脑脊髓膜炎", 'B', false},
      {"pertussis", "百日咳", 'B', false},
      {"diphtheria", "白喉", 'B', false},
      {"neonatal_tetanus", "新生儿破伤风", 'B', false},
      {"scarlet_fever", "猩红热", 'B', false},
      {"brucellosis", "布鲁氏菌病", 'B', false},
      {"gonorrhea", "淋病", 'B', false},
      {"syphilis", "梅毒", 'B', false},
      {"leptospirosis", "钩端螺旋体病", 'B', false},
      {"schistosomiasis", "血吸虫病", 'B', false},
      {"malaria", "疟疾", 'B', false},
      {"h7n9", "人感染H7N9禽流感", 'B', false},
      {"covid19", "新型冠状病毒感染", 'B', false},
      {"mpox", "猴痘", 'B', false},
      {"influenza", "流行性感冒", 'C', false},
      {"mumps", "流行性腮腺炎", 'C', false},
      {"rubella", "风疹", 'C', false},
      {"hand_foot_mouth", "手足口病", 'C', false},
      {"infectious_diarrhea", "其他感染性腹泻病", 'C', false},
      {"acute_hemorrhagic_conjunctivitis", "急性出血性结膜炎", 'C', false},
      {"leprosy", "麻风病", 'C', false},
      {"typhus", "流行性和地方性斑疹伤寒", 'C', false},
      {"kala_azar", "黑热病", 'C', false},
      {"echinococcosis", "包虫病", 'C', false},
      {"filariasis", "丝虫病", 'C', false},
  };
  return *diseases;
}

const std::vector<ReferralTargetInfo>& ReferralTargets() {
  static const auto* targets = new std::vector<ReferralTargetInfo>{
      {"township", "乡镇卫生院"},
      {"county", "县级医院"},
      {"outside", "县外"},
  };
  return *targets;
}

const KindInfo* FindKind(absl::string_view code) {
  return FindByCode(Kinds(), code);
}
const DiseaseInfo* FindDisease(absl::string_view code) {
  return FindByCode(Diseases(), code);
}
const ReferralTargetInfo* FindReferralTarget(absl::string_view code) {
  return FindByCode(ReferralTargets(), code);
}

}  // namespace sanji
