// Writes the seed corpora of tests/fuzz/corpus/ (checked in; rerun only to
// change them): fuzz_corpus_gen OUT_DIR writes OUT_DIR/<target>/<name> for
// every target. Records come from the sample rows below through the real
// parser, so the seeds are what the programs send each other.
#include <iconv.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/csv.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "proto/rollup_sync.pb.h"
#include "proto/village_sync.pb.h"
#include "village_agent/record_file.h"

namespace sanji {
namespace {

namespace fs = std::filesystem;

std::string out_dir;
int written = 0;

void Write(const std::string& target, const std::string& name,
           const std::string& bytes) {
  fs::path dir = fs::path(out_dir) / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
  ++written;
}

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) std::exit(1);
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t inleft = utf8.size();
  char* o = out.data();
  size_t outleft = out.size();
  if (iconv(cd, &in, &inleft, &o, &outleft) == static_cast<size_t>(-1)) {
    std::exit(1);
  }
  iconv_close(cd);
  out.resize(out.size() - outleft);
  return out;
}

using Row = std::vector<std::pair<std::string, std::string>>;

// One valid row of every kind (spec/records.md), occurring in 2025.
std::vector<Row> AllKinds() {
  return {
      {{"record_id", "ov-1"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-03-14T09:30"},
       {"patient_id", "HR0001"},
       {"sex", "M"},
       {"birth_date", "1958-03-21"},
       {"cost_yuan", "12.50"},
       {"icd10", "J06.9"}},
      {{"record_id", "ia-1"},
       {"kind", "inpatient_admission"},
       {"occurred_at", "2025-03-15"},
       {"patient_id", "HR0002"},
       {"sex", "F"},
       {"birth_date", "1970-01-01"},
       {"cost_yuan", "3200"},
       {"icd10", "I63.9"}},
      {{"record_id", "hr-1"},
       {"kind", "health_record_created"},
       {"occurred_at", "2025-01-02"},
       {"patient_id", "HR0003"},
       {"sex", "男"},
       {"birth_date", "1990-05-05"}},
      {{"record_id", "vac-1"},
       {"kind", "vaccination"},
       {"occurred_at", "2025-02-01 10:00"},
       {"patient_id", "HR0004"},
       {"sex", "2"},
       {"birth_date", "2024-12-01"},
       {"vaccine", "HepB"},
       {"dose", "2"}},
      {{"record_id", "chc-1"},
       {"kind", "child_health_check"},
       {"occurred_at", "2025-04-01"},
       {"patient_id", "HR0004"},
       {"sex", "F"},
       {"birth_date", "2024-12-01"}},
      {{"record_id", "pre-1"},
       {"kind", "prenatal_visit"},
       {"occurred_at", "2025-04-02"},
       {"patient_id", "HR0005"},
       {"sex", "女"},
       {"birth_date", "1995-07-07"}},
      {{"record_id", "post-1"},
       {"kind", "postpartum_visit"},
       {"occurred_at", "2025-05-02"},
       {"patient_id", "HR0005"},
       {"sex", "F"},
       {"birth_date", "1995-07-07"}},
      {{"record_id", "eld-1"},
       {"kind", "elderly_health_check"},
       {"occurred_at", "2025-05-01"},
       {"patient_id", "HR0006"},
       {"sex", "M"},
       {"birth_date", "1950-01-01"}},
      {{"record_id", "ht-1"},
       {"kind", "hypertension_followup"},
       {"occurred_at", "2025-01-10"},
       {"patient_id", "HR0007"},
       {"sex", "M"},
       {"birth_date", "1955-02-02"},
       {"icd10", "I10"},
       {"systolic", "135"},
       {"diastolic", "85"}},
      {{"record_id", "dm-1"},
       {"kind", "diabetes_followup"},
       {"occurred_at", "2025-02-10"},
       {"patient_id", "HR0008"},
       {"sex", "F"},
       {"birth_date", "1960-03-03"},
       {"icd10", "E11"},
       {"fasting_glucose", "6.1"}},
      {{"record_id", "smi-1"},
       {"kind", "smi_followup"},
       {"occurred_at", "2025-03-03"},
       {"patient_id", "HR0009"},
       {"sex", "M"},
       {"birth_date", "1980-08-08"}},
      {{"record_id", "tb-1"},
       {"kind", "tb_followup"},
       {"occurred_at", "2025-03-04"},
       {"patient_id", "HR0010"},
       {"sex", "F"},
       {"birth_date", "1975-09-09"}},
      {{"record_id", "fd-1"},
       {"kind", "family_doctor_signing"},
       {"occurred_at", "2025-01-05"},
       {"patient_id", "HR0011"},
       {"sex", "M"},
       {"birth_date", "1966-06-06"}},
      {{"record_id", "idr-1"},
       {"kind", "infectious_disease_report"},
       {"occurred_at", "2025-03-01T08:00:00"},
       {"patient_id", "HR0012"},
       {"sex", "M"},
       {"birth_date", "1980-01-01"},
       {"disease", "measles"}},
      {{"record_id", "idr-2"},
       {"kind", "infectious_disease_report"},
       {"occurred_at", "2025-03-02"},
       {"patient_id", "HR0013"},
       {"sex", "F"},
       {"birth_date", "1988-02-02"},
       {"disease", "cholera"}},
      {{"record_id", "dr-1"},
       {"kind", "death_report"},
       {"occurred_at", "2025-06-01"},
       {"patient_id", "HR0014"},
       {"sex", "M"},
       {"birth_date", "1930-01-01"},
       {"icd10", "I21"}},
      {{"record_id", "ref-1"},
       {"kind", "referral"},
       {"occurred_at", "2025-06-02"},
       {"patient_id", "HR0015"},
       {"sex", "F"},
       {"birth_date", "1999-09-09"},
       {"referred_to", "county"}},
      {{"record_id", "he-1"},
       {"kind", "health_education"},
       {"occurred_at", "2025-03-20"},
       {"participants", "35"}},
      {{"record_id", "sp-1"},
       {"kind", "supervision_patrol"},
       {"occurred_at", "2025-03-21"}},
  };
}

// Rows each of which is refused for one reason.
std::vector<Row> BadRows() {
  return {
      {{"record_id", "bad date"},
       {"kind", "supervision_patrol"},
       {"occurred_at", "2025-03-21"}},
      {{"record_id", "b2"}, {"kind", "walk_in"}, {"occurred_at", "2025-03-21"}},
      {{"record_id", "b3"},
       {"kind", "supervision_patrol"},
       {"occurred_at", "2025-02-30"}},
      {{"record_id", "b4"},
       {"kind", "supervision_patrol"},
       {"occurred_at", "1999-12-31"}},
      {{"record_id", "b5"},
       {"kind", "supervision_patrol"},
       {"occurred_at", "2099-01-01T00:00"}},
      {{"record_id", "b6"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "11010519491231002X"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"cost_yuan", "1"}},
      {{"record_id", "b7"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "X"},
       {"birth_date", "1949-12-31"},
       {"cost_yuan", "1"}},
      {{"record_id", "b8"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"cost_yuan", "1.005"}},
      {{"record_id", "b9"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"cost_yuan", "99999999999999999999"}},
      {{"record_id", "b10"},
       {"kind", "hypertension_followup"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"systolic", "301"},
       {"diastolic", "-5"}},
      {{"record_id", "b11"},
       {"kind", "diabetes_followup"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"fasting_glucose", "0.99"}},
      {{"record_id", "b12"},
       {"kind", "child_health_check"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "2015-01-01"}},
      {{"record_id", "b13"},
       {"kind", "elderly_health_check"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1990-01-01"}},
      {{"record_id", "b14"},
       {"kind", "infectious_disease_report"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "1949-12-31"},
       {"disease", "cold"}},
      {{"record_id", "b15"},
       {"kind", "referral"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "2026-01-01"},
       {"referred_to", "moon"}},
      {{"record_id", "b16"},
       {"kind", "vaccination"},
       {"occurred_at", "2025-03-14"},
       {"patient_id", "HR1"},
       {"sex", "M"},
       {"birth_date", "2024-01-01"},
       {"vaccine", "Hep B"},
       {"dose", "0"}},
      {{"record_id", "b17"}, {"action", "undo"}, {"kind", "referral"}},
      {{"record_id", "b18"},
       {"kind", "health_education"},
       {"occurred_at", "2025-03-14"},
       {"participants", "1.5"}},
      {{"kind", "supervision_patrol"}, {"occurred_at", "2025-03-14"}},
  };
}

std::vector<std::string> Columns(const std::vector<Row>& rows) {
  std::vector<std::string> columns;
  for (const Row& row : rows) {
    for (const auto& [c, v] : row) {
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) {
        columns.push_back(c);
      }
    }
  }
  return columns;
}

std::string Csv(const std::vector<Row>& rows, const std::string& eol = "\n") {
  std::vector<std::string> columns = Columns(rows);
  std::string out = absl::StrJoin(columns, ",") + eol;
  for (const Row& row : rows) {
    std::vector<std::string> cells;
    for (const std::string& c : columns) {
      std::string v;
      for (const auto& [k, x] : row) {
        if (k == c) v = x;
      }
      cells.push_back(sanji::CsvField(v));
    }
    out += absl::StrJoin(cells, ",") + eol;
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Jsonl(const std::vector<Row>& rows) {
  static const std::vector<std::string> numeric = {
      "dose",         "systolic",  "diastolic",
      "participants", "cost_yuan", "fasting_glucose"};
  std::string out;
  for (const Row& row : rows) {
    std::vector<std::string> members;
    for (const auto& [k, v] : row) {
      bool number =
          std::find(numeric.begin(), numeric.end(), k) != numeric.end() &&
          v.find_first_not_of("0123456789.") == std::string::npos &&
          !v.empty() && v[0] != '.' && v.back() != '.';
      members.push_back(
          absl::StrCat(JsonString(k), ":", number ? v : JsonString(v)));
    }
    out += "{" + absl::StrJoin(members, ",") + "}\n";
  }
  return out;
}

RawRow ToRawRow(const Row& row, int line) {
  RawRow raw;
  raw.set_source("import.csv");
  raw.set_line(line);
  for (const auto& [k, v] : row) (*raw.mutable_fields())[k] = v;
  return raw;
}

// Records must be valid at the township whenever the seeds run, so only
// dates in the past are used.
const absl::CivilSecond kNow = NowLocal();

Record MustParse(const Row& row) {
  std::string column;
  absl::StatusOr<Record> r = ParseRow(ToRawRow(row, 1), kNow, &column);
  if (!r.ok()) {
    std::fprintf(stderr, "sample row refused: %s\n",
                 r.status().ToString().c_str());
    std::exit(1);
  }
  return *r;
}

Row Void(const std::string& id, const std::string& kind) {
  return {{"record_id", id}, {"action", "void"}, {"kind", kind}};
}

Row Followup(const std::string& id, const std::string& kind,
             const std::string& patient, const std::string& at, int value) {
  Row row = {{"record_id", id},   {"kind", kind},
             {"occurred_at", at}, {"patient_id", patient},
             {"sex", "F"},        {"birth_date", "1950-04-04"}};
  if (kind == "hypertension_followup") {
    row.push_back({"systolic", std::to_string(value)});
    row.push_back({"diastolic", "80"});
  } else if (kind == "diabetes_followup") {
    row.push_back(
        {"fasting_glucose", absl::StrCat(value / 10, ".", value % 10)});
  }
  return row;
}

// -----------------------------------------------------------------------------

// One request of a multi-call input (fuzz_util.h SplitCalls); a plain string
// is call 1 (the stream of the target).
struct F {
  F(std::string b) : call(1), bytes(std::move(b)) {}  // NOLINT: implicit
  F(int c, std::string b) : call(c), bytes(std::move(b)) {}
  int call;
  std::string bytes;
};

std::string Delimited(const std::vector<F>& messages) {
  std::string out;
  for (const F& m : messages) {
    out.push_back(static_cast<char>((m.call << 3) | 2));
    uint64_t n = m.bytes.size();
    while (n >= 0x80) {
      out.push_back(static_cast<char>((n & 0x7F) | 0x80));
      n >>= 7;
    }
    out.push_back(static_cast<char>(n));
    out += m.bytes;
  }
  return out;
}

std::string Hello(const std::string& village, uint64_t epoch) {
  VillageMessage m;
  m.mutable_hello()->set_village_id(village);
  m.mutable_hello()->set_epoch(epoch);
  return m.SerializeAsString();
}

std::string Batch(const std::vector<Record>& records, uint64_t first_seq) {
  VillageMessage m;
  for (const Record& r : records) {
    SeqRecord* s = m.mutable_batch()->add_records();
    s->set_seq(first_seq++);
    *s->mutable_record() = r;
  }
  return m.SerializeAsString();
}

// A SendUrgent call (call 2 of township_sync).
F Urgent(const std::string& village,
         const std::vector<std::pair<uint64_t, Record>>& records) {
  UrgentReports m;
  m.set_village_id(village);
  for (const auto& [seq, r] : records) {
    SeqRecord* s = m.mutable_records()->add_records();
    s->set_seq(seq);
    *s->mutable_record() = r;
  }
  return F(2, m.SerializeAsString());
}

std::vector<Record> Records(const std::vector<Row>& rows) {
  std::vector<Record> out;
  for (const Row& r : rows) out.push_back(MustParse(r));
  return out;
}

void RecordFileSeeds() {
  const std::string t = "record_file";
  // Mode byte: '0' CSV auto, '1' JSONL auto, '2' CSV utf-8, '3' JSONL utf-8,
  // '4' CSV gb18030, '5' JSONL gb18030.
  std::vector<Row> all = AllKinds();
  std::vector<Row> bad = BadRows();
  std::string csv = Csv(all);
  Write(t, "csv_utf8_all_kinds", "0" + csv);
  Write(t, "csv_utf8_forced", "2" + csv);
  Write(t, "csv_utf8_bom_crlf", "0\xEF\xBB\xBF" + Csv(all, "\r\n"));
  Write(t, "csv_gb18030_auto", "0" + ToGb18030(csv));
  Write(t, "csv_gb18030_forced", "4" + ToGb18030(csv));
  Write(t, "csv_gb18030_bom", "4" + ToGb18030("\xEF\xBB\xBF" + csv));
  Write(t, "csv_gb18030_as_utf8", "2" + ToGb18030(csv));
  Write(t, "csv_bad_rows", "0" + Csv(bad));
  std::vector<Row> voids = {all[0], Void("ov-1", "outpatient_visit"),
                            Void("nope", "referral"),
                            Void("ia-1", "outpatient_visit")};
  Write(t, "csv_voids", "0" + Csv(voids));
  Write(t, "csv_quoting",
        "0record_id,kind,occurred_at,participants,comment\n"
        "\"q-1\",health_education,2025-03-20,\"12\",\"a, b\"\"c\"\"\nd\"\n"
        "  \"q-2\" ,health_education,2025-03-20,3,x\"y\n"
        "q-3,health_education,2025-03-20,4,\"unterminated\"tail\n"
        "\n,,,,\n"
        "q-4,health_education,2025-03-20,5,too,many,fields\n"
        "q-5,health_education,2025-03-20,6,\"never closed\n");
  Write(
      t, "csv_spaces_and_case",
      "0 record_id , KIND ,kind,occurred_at,sex,patient_id,birth_date,,extra\n"
      "\xE3\x80\x80s-1\xE3\x80\x80,x,Outpatient_Visit, 2025-03-14 ,m,"
      "HR9,1958-03-21,orphan,\n");
  Write(t, "csv_cr_only",
        "0record_id,kind,occurred_at\rcr-1,supervision_patrol,2025-03-21\r");
  Write(t, "csv_duplicate_header",
        "0record_id,kind,kind\nd-1,supervision_patrol,supervision_patrol\n");
  Write(t, "csv_header_only", "0record_id,kind,occurred_at\n");
  Write(t, "csv_empty", "0");
  Write(t, "csv_blank_lines", "0\n\r\n , \n");
  Write(t, "csv_bad_header", "0\"record_id,kind\n");
  Write(t, "csv_invalid_bytes", "2record_id,kind\n\xFF\xFE,\xC0\xAF\n");
  Write(t, "csv_invalid_both", "0record_id,kind\n\x80\xFF\xFF\n");
  Write(t, "csv_latin_like_gbk",
        "0record_id,kind,occurred_at,patient_id,sex,birth_date\n"
        "g-1,health_record_created,2025-01-02,HR1," +
            ToGb18030("女") + ",1990-01-01\n");
  Write(t, "csv_numbers",
        "0record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n"
        "n-1,outpatient_visit,2025-01-01,HR1,M,1950-01-01,0012.5\n"
        "n-2,outpatient_visit,2025-01-01,HR1,M,1950-01-01,-0\n"
        "n-3,outpatient_visit,2025-01-01,HR1,M,1950-01-01,1e3\n"
        "n-4,outpatient_visit,2025-01-01,HR1,M,1950-01-01,.5\n"
        "n-5,outpatient_visit,2025-01-01,HR1,M,1950-01-01,100000000.00\n"
        "n-6,outpatient_visit,2025-01-01,HR1,M,1950-01-01,"
        "0000000000000000000000001\n");
  std::string jsonl = Jsonl(all);
  Write(t, "jsonl_utf8_all_kinds", "1" + jsonl);
  Write(t, "jsonl_utf8_forced", "3" + jsonl);
  Write(t, "jsonl_gb18030", "5" + ToGb18030(jsonl));
  Write(t, "jsonl_gb18030_auto", "1" + ToGb18030(jsonl));
  Write(t, "jsonl_bad_rows", "1" + Jsonl(bad));
  Write(t, "jsonl_voids", "1" + Jsonl(voids));
  Write(
      t, "jsonl_odd_values",
      "1{\"record_id\":\"j-1\",\"kind\":\"health_education\","
      "\"occurred_at\":\"2025-03-20\",\"participants\":12.0}\n"
      "{\"record_id\":\"j-2\",\"kind\":\"health_education\","
      "\"occurred_at\":\"2025-03-20\",\"participants\":18446744073709551615}\n"
      "{\"record_id\":null,\"kind\":[1],\"x\":{\"y\":true},\"\":1}\r\n"
      "[1,2]\n\"text\"\n{bad json\n\n   \n"
      "{\"record_id\":\"j-3\",\"kind\":\"supervision_patrol\","
      "\"occurred_at\":\"2025-03-21\",\"occurred_at\":\"2025-03-22\"}\n"
      "{\"record_id\":\"j-4\",\"kind\":\"supervision_patrol\","
      "\"occurred_at\":\"2025-03-21\",\"participants\":-1e308,"
      "\"dose\":false}\n");
  Write(t, "jsonl_bom", "1\xEF\xBB\xBF" + Jsonl({all[17]}));
  Write(t, "jsonl_empty", "1");
}

void IntakeSeeds() {
  const std::string t = "intake_submit";
  auto request = [](const std::vector<Row>& rows) {
    SubmitRequest r;
    int line = 2;
    for (const Row& row : rows) *r.add_rows() = ToRawRow(row, line++);
    return r.SerializeAsString();
  };
  std::vector<Row> all = AllKinds();
  Write(t, "all_kinds", request(all));
  Write(t, "bad_rows", request(BadRows()));
  Write(t, "voids",
        request({all[0], all[1], Void("ov-1", "outpatient_visit"),
                 Void("ov-1", "outpatient_visit"), Void("ia-1", "referral"),
                 Void("never", "referral")}));
  Row changed = all[0];
  changed[6].second = "13.00";
  Write(t, "duplicate_and_conflict", request({all[0], all[0], changed}));
  Write(t, "void_then_new",
        request({Void("vn-1", "supervision_patrol"),
                 {{"record_id", "vn-1"},
                  {"kind", "supervision_patrol"},
                  {"occurred_at", "2025-03-21"}}}));
  Write(t, "followups",
        request(
            {Followup("f-1", "hypertension_followup", "P1", "2025-01-10", 120),
             Followup("f-2", "hypertension_followup", "P1", "2025-04-10", 160),
             Followup("f-3", "diabetes_followup", "P2", "2025-02-10", 65),
             Followup("f-4", "diabetes_followup", "P2", "2025-02-10", 81)}));
  Write(t, "odd_cells",
        request({{{"record_id", " \xE3\x80\x80x-1 "},
                  {"kind", " REFERRAL"},
                  {"occurred_at", "2025-06-02"},
                  {"patient_id", "病历0001"},
                  {"sex", "女"},
                  {"birth_date", "1999-09-09"},
                  {"referred_to", "Township"},
                  {"unknown", "ignored"}},
                 {{"record_id", "x-2"},
                  {"kind", "supervision_patrol"},
                  {"occurred_at", "2025-06-02T24:00"}},
                 {{"record_id", "x-3"},
                  {"kind", "outpatient_visit"},
                  {"occurred_at", "2025-06-02"},
                  {"patient_id", "a\x01z"},
                  {"sex", "1"},
                  {"birth_date", "1999-09-09"},
                  {"cost_yuan", "0"}}}));
  // proto3 strings must be UTF-8: protobuf refuses the whole request.
  Write(t, "invalid_utf8_request",
        request({{{"record_id", "x-4"}, {"patient_id", "\xFF\xFE"}}}));
  Write(t, "empty_request", "");
  Write(t, "empty_row", request({{}}));
}

void TownshipSeeds() {
  const std::string t = "township_sync";
  const std::string v1 = "640522100201", v2 = "640522100202";
  std::vector<Record> all = Records(AllKinds());
  Write(t, "one_batch", Delimited({Hello(v1, 7), Batch(all, 1)}));
  Write(t, "overlapping_batches",
        Delimited({Hello(v1, 7), Batch({all.begin(), all.begin() + 5}, 1),
                   Batch({all.begin() + 2, all.begin() + 9}, 3),
                   Batch({all.begin() + 9, all.begin() + 12}, 10),
                   Batch({all.begin(), all.begin() + 3}, 1)}));
  std::vector<Record> voids = Records(
      {Void("ov-1", "outpatient_visit"), Void("ht-1", "hypertension_followup"),
       Void("ov-1", "outpatient_visit"), Void("unknown", "referral"),
       Void("dm-1", "outpatient_visit")});
  Write(t, "voids",
        Delimited({Hello(v1, 7), Batch(all, 1), Batch(voids, all.size() + 1)}));
  std::vector<Record> followups = Records({
      Followup("h-1", "hypertension_followup", "P1", "2025-01-10", 120),
      Followup("h-2", "hypertension_followup", "P1", "2025-04-10", 150),
      Followup("h-3", "hypertension_followup", "P1", "2025-07-10", 139),
      Followup("h-4", "hypertension_followup", "P1", "2025-10-10", 120),
      Followup("h-5", "hypertension_followup", "P1", "2025-10-10", 145),
      Followup("d-1", "diabetes_followup", "P2", "2025-02-10", 65),
      Followup("d-2", "diabetes_followup", "P2", "2025-05-10", 72),
      Followup("d-3", "diabetes_followup", "P2", "2024-12-31", 60),
  });
  // Now-relative dates would make the seed change meaning over time; these
  // are all in 2024/2025 and the validation allows anything up to now.
  Write(t, "followups",
        Delimited({Hello(v1, 9), Batch(followups, 1),
                   Batch(Records({Void("h-3", "hypertension_followup"),
                                  Void("h-5", "hypertension_followup"),
                                  Void("d-2", "diabetes_followup")}),
                         followups.size() + 1)}));
  Write(
      t, "gap_then_reconnect",
      Delimited({Hello(v1, 11), Batch({all[0], all[1]}, 1), Batch({all[3]}, 4),
                 Hello(v1, 11), Batch({all[2], all[3]}, 3)}));
  Record conflict = all[0];
  conflict.set_cost_fen(999);
  Write(t, "new_epoch_duplicates",
        Delimited({Hello(v1, 1), Batch({all[0], all[1], all[2]}, 1),
                   Hello(v1, 2), Batch({all[0], all[1], conflict}, 1)}));
  Write(t, "refused_hellos",
        Delimited({Batch({all[0]}, 1), Hello("640522101201", 1),
                   Hello("64052210020x", 1), Hello(v1, 0), Hello(v2, 3),
                   Hello(v2, 3), Batch({all[4], all[5]}, 1)}));
  Write(t, "two_villages",
        Delimited({Hello(v1, 5), Batch(all, 1), Hello(v2, 5), Batch(all, 1)}));
  Record future = all[17];
  future.set_occurred_at(future.occurred_at() + int64_t{86400} * 365 * 80);
  Record unchecked;
  unchecked.set_record_id("raw-1");
  unchecked.set_kind("outpatient_visit");
  unchecked.set_occurred_at(1);
  Record void_extra = Records({Void("ov-1", "outpatient_visit")})[0];
  void_extra.set_patient_id("HR0001");
  Write(t, "invalid_records",
        Delimited({Hello(v1, 13), Batch({future, unchecked, void_extra}, 1)}));
  // all[14] is idr-2, a cholera report: urgent.
  Write(t, "urgent_then_batch",
        Delimited({Urgent(v1, {{15, all[14]}, {14, all[13]}}), Hello(v1, 17),
                   Batch({all.begin(), all.begin() + 10}, 1),
                   Urgent(v1, {{15, all[14]}}),
                   Batch({all.begin() + 10, all.end()}, 11),
                   Batch(Records({Void("idr-2", "infectious_disease_report"),
                                  Void("idr-1", "infectious_disease_report")}),
                         all.size() + 1)}));
  Write(t, "urgent_only",
        Delimited({Urgent(v2, {{3, all[14]}, {4, future}, {5, all[0]}}),
                   Urgent("640522101201", {{1, all[14]}}),
                   Urgent(v1, {{1, all[14]}}), Urgent(v1, {})}));
  Write(t, "garbage_message",
        Delimited({Hello(v1, 15), std::string("\xFF\xFF\xFF", 3), Hello(v1, 15),
                   Batch({all[6]}, 1)}));
}

std::string Up(const std::string& township) {
  RollupUp up;
  up.mutable_hello()->set_township_id(township);
  return up.SerializeAsString();
}

struct C {
  std::string village, indicator, period;
  int64_t value;
  uint64_t version;
};

void AddCells(const std::vector<C>& cells, RollupUp* up) {
  for (const C& c : cells) {
    Cell* cell = up->mutable_batch()->add_cells();
    cell->set_village_id(c.village);
    cell->set_indicator(c.indicator);
    cell->set_period(c.period);
    cell->set_value(c.value);
    cell->set_version(c.version);
  }
}

std::string Cells(uint64_t batch_id, const std::vector<C>& cells) {
  RollupUp up;
  up.mutable_batch()->set_batch_id(batch_id);
  AddCells(cells, &up);
  return up.SerializeAsString();
}

struct A {
  std::string village, record_id, disease, disease_class;
  bool urgent;
  std::string sex;
  int age;
  bool withdrawn;
  uint64_t version;
};

std::string Alerts(uint64_t batch_id, const std::vector<A>& alerts,
                   const std::vector<C>& cells = {}) {
  RollupUp up;
  up.mutable_batch()->set_batch_id(batch_id);
  for (const A& a : alerts) {
    Alert* alert = up.mutable_batch()->add_alerts();
    alert->set_village_id(a.village);
    alert->set_record_id(a.record_id);
    alert->set_disease(a.disease);
    alert->set_disease_class(a.disease_class);
    alert->set_urgent(a.urgent);
    alert->set_occurred_at(1740816000);  // 2025-03-01T08:00 local
    alert->set_sex(a.sex);
    alert->set_age_years(a.age);
    alert->set_withdrawn(a.withdrawn);
    alert->set_version(a.version);
  }
  AddCells(cells, &up);
  return up.SerializeAsString();
}

F Review(uint64_t id, const std::string& by) {
  ReviewAlertRequest r;
  r.set_id(id);
  r.set_by(by);
  return F(2, r.SerializeAsString());
}

F Watch(int64_t since) {
  WatchAlertsRequest r;
  r.set_since(since);
  return F(3, r.SerializeAsString());
}

void CountyPushSeeds() {
  const std::string t = "county_push";
  const std::string town = "640522100", v1 = "640522100201",
                    v2 = "640522100202";
  std::vector<C> good = {
      {v1, "outpatient_visits", "2025-03-14", 3, 1},
      {v1, "outpatient_cost_yuan", "2025-03-14", 3750, 1},
      {v1, "infectious_disease_reports", "2025-03-01", 1, 1},
      {v1, "infectious_disease_reports.measles", "2025-03-01", 1, 1},
      {v1, "referrals.county", "2025-06-02", 1, 1},
      {v1, "health_education_participants", "2025-03-20", 35, 1},
      {v1, "health_records_created", "2025-01-02", 4, 1},
      {v1, "death_reports", "2025-06-01", 1, 1},
      {v1, "hypertension_managed", "2025", 2, 1},
      {v1, "hypertension_standardized", "2025-H1", 1, 1},
      {v1, "hypertension_controlled", "2025-Q1", 1, 1},
      {v1, "diabetes_managed", "2025-02", 1, 1},
      {v1, "children_managed", "2025-04-01", 1, 1},
      {v2, "outpatient_visits", "2024-12-31", 7, 2},
  };
  Write(t, "one_batch", Delimited({Up(town), Cells(1, good)}));
  Write(t, "versions",
        Delimited({Up(town),
                   Cells(1, {{v1, "outpatient_visits", "2025-03-14", 5, 3}}),
                   Cells(2, {{v1, "outpatient_visits", "2025-03-14", 9, 2}}),
                   Cells(3, {{v1, "outpatient_visits", "2025-03-14", 4, 4},
                             {v1, "outpatient_visits", "2025-03-14", 6, 4}}),
                   Cells(3, {})}));
  Write(
      t, "refused_cells",
      Delimited(
          {Up(town),
           Cells(1,
                 {{"640522101201", "outpatient_visits", "2025-03-14", 1, 1}}),
           Up(town),
           Cells(2, {{v1, "outpatient_cost_avg_yuan", "2025-03-14", 1, 1}}),
           Up(town), Cells(3, {{v1, "outpatient_visits", "2025-3-14", 1, 1}}),
           Up(town), Cells(4, {{v1, "outpatient_visits", "2025-03", 1, 1}}),
           Up(town),
           Cells(5, {{v1, "hypertension_managed", "2025-01-01..2025-01-31", 1,
                      1}}),
           Up(town), Cells(6, {{v1, "outpatient_visits", "2025-03-14", 1, 0}}),
           Up(town), Cells(7, {{v1, "referrals.moon", "2025-03-14", 1, 1}}),
           Up(town), Cells(8, {{v1, "no_such", "2025-03-14", 1, 1}})}));
  Write(
      t, "refused_hellos",
      Delimited({Cells(1, good), Up("640523100"), Up("64052210"),
                 Up("64052210x"), Up("640522101"),
                 Cells(2, {{"640522101201", "tb_managed", "2025-Q2", 1, 1}})}));
  Write(
      t, "two_townships",
      Delimited(
          {Up(town), Cells(1, good), Up("640522101"),
           Cells(1, {{"640522101201", "outpatient_visits", "2025-01-01", 2, 1},
                     {"640522101201", "smi_managed", "2025-Q1", 1, 1}})}));
  Write(
      t, "alerts",
      Delimited(
          {Up(town),
           Alerts(1, {{v1, "idr-2", "cholera", "A", true, "F", 37, false, 3},
                      {v1, "idr-1", "measles", "B", false, "M", -1, false, 4}}),
           Alerts(2,
                  {{v1, "idr-2", "cholera", "A", true, "F", 37, true, 5},
                   {v1, "idr-1", "measles", "B", false, "M", -1, false, 2}},
                  {good[2], good[3]}),
           Alerts(3,
                  {{v2, "x:1", "influenza", "C", false, "F", 150, false, 6}}),
           Review(1, "王医生"), Review(2, ""), Review(9, "x"), Watch(0),
           Watch(1740816001), Review(1, "李")}));
  Write(t, "refused_alerts",
        Delimited(
            {Up(town),
             Alerts(1, {{v1, "a", "cholera", "B", true, "F", 3, false, 1}}),
             Up(town),
             Alerts(2, {{v1, "a", "cold", "C", false, "F", 3, false, 1}}),
             Up(town),
             Alerts(3, {{v1, "a b", "mumps", "C", false, "F", 3, false, 1}}),
             Up(town),
             Alerts(4, {{v1, "a", "mumps", "C", false, "X", 3, false, 1}}),
             Up(town),
             Alerts(5, {{v1, "a", "mumps", "C", false, "M", 151, false, 1}}),
             Up(town),
             Alerts(6, {{v1, "a", "mumps", "C", false, "M", 3, false, 0}}),
             Up(town),
             Alerts(7, {{"640522101201", "a", "mumps", "C", false, "M", 3,
                         false, 1}})}));
  Write(t, "garbage_message",
        Delimited({Up(town), std::string("\x12\xFF", 2), Up(town),
                   Cells(1, {good[0]})}));
}

std::string Report(const std::string& period, const std::string& level,
                   const std::string& org,
                   const std::vector<std::string>& indicators,
                   const std::string& format) {
  ReportRequest r;
  r.set_period(period);
  r.set_level(level);
  r.set_org(org);
  for (const std::string& i : indicators) r.add_indicators(i);
  r.set_format(format);
  return r.SerializeAsString();
}

void CountyReportSeeds() {
  const std::string t = "county_report";
  Write(t, "year_county", Report("2025", "", "", {}, ""));
  Write(t, "year_json", Report("2025", "county", "", {}, "json"));
  Write(t, "half_township", Report("2025-H1", "township", "", {}, "csv"));
  Write(t, "quarter_village", Report("2025-Q1", "village", "", {}, ""));
  Write(t, "month_org_township",
        Report("2025-01", "village", "640522100", {}, ""));
  Write(t, "day_org_village",
        Report("2025-01-05", "village", "640522100201", {}, "json"));
  Write(t, "range_counts",
        Report("2024-12-01..2025-02-28", "township", "", {}, ""));
  Write(t, "range_distinct_refused",
        Report("2025-01-01..2025-01-31", "", "",
               {"hypertension_managed", "diabetes_control_rate"}, ""));
  Write(t, "indicators",
        Report("2025", "village", "",
               {"outpatient_cost_avg_yuan", "health_record_rate",
                "death_rate_permille", " family_doctor_sign_rate ",
                "infectious_disease_reports.measles", "referrals.county"},
               ""));
  Write(t, "unknown_indicators",
        Report("2025", "", "",
               {"nope", "referrals.moon", "outpatient_visits.x", ""}, ""));
  Write(t, "bad_period", Report("2025-Q5", "", "", {}, ""));
  Write(t, "bad_level", Report("2025", "province", "", {}, ""));
  Write(t, "org_above_level", Report("2025", "county", "640522100", {}, ""));
  Write(t, "org_other_county",
        Report("2025", "village", "640523100201", {}, ""));
  Write(t, "org_unknown_village",
        Report("2024", "village", "640522101299", {}, "json"));
  Write(t, "format_md", Report("2025", "", "", {}, "md"));
  Write(t, "format_xlsx", Report("2025-Q1", "village", "", {}, "xlsx"));
  Write(t, "format_dhis2", Report("2025-H1", "township", "", {}, "dhis2"));
  Write(t, "format_adx", Report("2025-01", "village", "640522100", {}, "adx"));
  Write(t, "format_fhir",
        Report("2025", "village", "",
               {"health_record_rate", "death_rate_permille",
                "outpatient_cost_avg_yuan", "referrals.county"},
               "fhir"));
  Write(t, "format_fhir_range_refused",
        Report("2025-01-01..2025-01-31", "", "", {}, "fhir"));
  Write(t, "format_bad", Report("2025", "", "", {}, "pdf"));
  Write(t, "empty", "");
  Write(t, "year_bounds", Report("9999-12-31..9999-12-31", "", "", {}, ""));
  Write(t, "year_zero",
        Report("0000-01-01..0001-01-01", "village", "", {}, ""));
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  sanji::out_dir = argv[1];
  sanji::RecordFileSeeds();
  sanji::IntakeSeeds();
  sanji::TownshipSeeds();
  sanji::CountyPushSeeds();
  sanji::CountyReportSeeds();
  std::printf("wrote %d files under %s\n", sanji::written, argv[1]);
  return 0;
}
