#include "common/staged_writes.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace sanji {
namespace {

// Records the operations of a WriteBatch in order.
class Recorder : public rocksdb::WriteBatch::Handler {
 public:
  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    ops.push_back(std::to_string(id) + " put " + key.ToString() + "=" +
                  value.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
    ops.push_back(std::to_string(id) + " delete " + key.ToString());
    return rocksdb::Status::OK();
  }
  std::vector<std::string> ops;
};

class FakeFamily : public rocksdb::ColumnFamilyHandle {
 public:
  explicit FakeFamily(uint32_t id) : id_(id) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override {
    return rocksdb::Status::NotSupported();
  }
  const rocksdb::Comparator* GetComparator() const override {
    return rocksdb::BytewiseComparator();
  }

 private:
  uint32_t id_;
  std::string name_ = "fake";
};

std::vector<std::string> OpsOf(const StagedWrites& staged) {
  rocksdb::WriteBatch batch = staged.ToWriteBatch();
  Recorder recorder;
  EXPECT_TRUE(batch.Iterate(&recorder).ok());
  return recorder.ops;
}

TEST(StagedWritesTest, SortedByFamilyThenKeyAsBytes) {
  FakeFamily one(1), two(2);
  StagedWrites staged;
  staged.Put(&two, "b", "1");
  staged.Put(&one, "z", "2");
  staged.Put(&two, "a", "3");
  staged.Put(&one, std::string("\xff", 1), "4");  // after 'z' as a byte
  staged.Delete(&one, "m");
  EXPECT_EQ(OpsOf(staged),
            (std::vector<std::string>{"1 delete m", "1 put z=2", "1 put \xff=4",
                                      "2 put a=3", "2 put b=1"}));
}

TEST(StagedWritesTest, TheLastOperationOnAKeyIsTheOneWritten) {
  FakeFamily one(1), two(2);
  StagedWrites staged;
  EXPECT_TRUE(staged.empty());
  staged.Put(&one, "k", "first");
  staged.Put(&one, "k", "second");
  staged.Put(&two, "k", "other family");
  staged.Put(&one, "gone", "x");
  staged.Delete(&one, "gone");
  staged.Delete(&one, "back");
  staged.Put(&one, "back", "again");
  EXPECT_FALSE(staged.empty());
  EXPECT_EQ(OpsOf(staged), (std::vector<std::string>{
                               "1 put back=again", "1 delete gone",
                               "1 put k=second", "2 put k=other family"}));
}

}  // namespace
}  // namespace sanji
