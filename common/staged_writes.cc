#include "common/staged_writes.h"

namespace sanji {

void StagedWrites::Put(rocksdb::ColumnFamilyHandle* family,
                       absl::string_view key, absl::string_view value) {
  ops_.insert_or_assign({family->GetID(), std::string(key)},
                        Op{family, std::string(value)});
}

void StagedWrites::Delete(rocksdb::ColumnFamilyHandle* family,
                          absl::string_view key) {
  ops_.insert_or_assign({family->GetID(), std::string(key)},
                        Op{family, std::nullopt});
}

rocksdb::WriteBatch StagedWrites::ToWriteBatch() const {
  rocksdb::WriteBatch batch;
  for (const auto& [id_key, op] : ops_) {
    const std::string& key = id_key.second;
    // Put and Delete fail only past a batch's size limit, which is unset.
    if (op.value.has_value()) {
      batch.Put(op.family, key, *op.value).PermitUncheckedError();
    } else {
      batch.Delete(op.family, key).PermitUncheckedError();
    }
  }
  return batch;
}

}  // namespace sanji
