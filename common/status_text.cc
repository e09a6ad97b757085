#include "common/status_text.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace sanji {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

std::string ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index)
                              : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index)
                              : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index)
                              : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index)
                              : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return std::string(rep ? r->GetRepeatedEnum(m, f, index)->name()
                             : r->GetEnum(m, f)->name());
    default:
      return "";
  }
}

void AppendText(const Message& m, const std::string& prefix, std::string* out) {
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          // One line per element: "villages: village_id=... epoch=...
          // watermark=..."
          std::string line;
          const Message& sub = r->GetRepeatedMessage(m, f, j);
          const google::protobuf::Descriptor* sd = sub.GetDescriptor();
          for (int k = 0; k < sd->field_count(); ++k) {
            if (sd->field(k)->is_repeated() ||
                sd->field(k)->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
              continue;
            }
            absl::StrAppend(&line, line.empty() ? "" : " ",
                            sd->field(k)->name(), "=",
                            ScalarText(sub, sd->field(k), 0));
          }
          absl::StrAppend(out, prefix, f->name(), ": ", line, "\n");
        } else {
          absl::StrAppend(out, prefix, f->name(), ": ", ScalarText(m, f, j),
                          "\n");
        }
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      AppendText(r->GetMessage(m, f), absl::StrCat(prefix, f->name(), "."),
                 out);
    } else {
      absl::StrAppend(out, prefix, f->name(), ": ", ScalarText(m, f, 0), "\n");
    }
  }
}

}  // namespace

std::string FormatStatusText(const Message& message) {
  std::string out;
  AppendText(message, "", &out);
  return out;
}

std::string FormatStatusJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out + "\n";
}

}  // namespace sanji
