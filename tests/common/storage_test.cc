// Tests of common/storage.h: the RocksDB wrapper shared by all three programs.
#include "common/storage.h"

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "common/key_codec.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

StoreOptions Families() {
  StoreOptions options;
  options.column_families = {"records", "state", "cells", "outbox"};
  return options;
}

std::optional<std::string> MustGet(const Store& store, absl::string_view family,
                                   absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> v =
      store.Get(store.Family(family), key);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::nullopt;
}

TEST(StoreTest, WriteGetAcrossColumnFamilies) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(dir.Sub("db"), Families());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  EXPECT_EQ(store.dir(), dir.Sub("db"));
  ASSERT_NE(store.Family("default"), nullptr);
  for (const char* name : {"records", "state", "cells", "outbox"}) {
    EXPECT_NE(store.Family(name), nullptr) << name;
  }
  EXPECT_EQ(store.Family("nope"), nullptr);

  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(store.Family("records"), "k", "record").ok());
  ASSERT_TRUE(batch.Put(store.Family("state"), "k", "state").ok());
  ASSERT_TRUE(batch.Put(store.Family("default"), "k", "default").ok());
  ASSERT_TRUE(store.Write(&batch).ok());

  EXPECT_EQ(MustGet(store, "records", "k"), "record");
  EXPECT_EQ(MustGet(store, "state", "k"), "state");
  EXPECT_EQ(MustGet(store, "default", "k"), "default");
  EXPECT_EQ(MustGet(store, "cells", "k"),
            std::nullopt);  // absent is not an error
  EXPECT_EQ(MustGet(store, "records", "other"), std::nullopt);

  rocksdb::WriteBatch unsynced;
  ASSERT_TRUE(unsynced.Delete(store.Family("records"), "k").ok());
  ASSERT_TRUE(
      unsynced.Put(store.Family("outbox"), std::string("a\0b", 3), "x").ok());
  ASSERT_TRUE(store.Write(&unsynced, /*sync=*/false).ok());
  EXPECT_EQ(MustGet(store, "records", "k"), std::nullopt);
  EXPECT_EQ(MustGet(store, "outbox", std::string("a\0b", 3)), "x");

  EXPECT_GT(store.ApproximateBytes(), 0u);
  absl::StatusOr<uint64_t> free_bytes = store.FreeDiskBytes();
  ASSERT_TRUE(free_bytes.ok()) << free_bytes.status();
  EXPECT_GT(*free_bytes, 0u);
}

TEST(StoreTest, IteratorScansInEncodedKeyOrder) {
  TempDir dir;
  auto opened = Store::Open(dir.Sub("db"), Families());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  rocksdb::WriteBatch batch;
  for (int64_t seq : {300, -2, 1, 70000, 0}) {
    std::string key;
    PutLengthPrefixed(&key, "640522100201");
    PutOrderedInt64(&key, seq);
    ASSERT_TRUE(
        batch.Put(store.Family("records"), key, std::to_string(seq)).ok());
  }
  ASSERT_TRUE(store.Write(&batch).ok());
  std::vector<std::string> seen;
  std::unique_ptr<rocksdb::Iterator> it =
      store.NewIterator(store.Family("records"));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    seen.push_back(it->value().ToString());
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"-2", "0", "1", "300", "70000"}));
}

TEST(StoreTest, ReopenKeepsData) {
  TempDir dir;
  {
    auto opened = Store::Open(dir.Sub("db"), Families());
    ASSERT_TRUE(opened.ok()) << opened.status();
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put((*opened)->Family("cells"), "cell", "42").ok());
    ASSERT_TRUE((*opened)->Write(&batch).ok());
  }
  {
    auto reopened = Store::Open(dir.Sub("db"), Families());
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    EXPECT_EQ(MustGet(**reopened, "cells", "cell"), "42");
  }
  // A later version may add a column family; the data stays.
  StoreOptions more = Families();
  more.column_families.push_back("alerts");
  auto grown = Store::Open(dir.Sub("db"), more);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_NE((*grown)->Family("alerts"), nullptr);
  EXPECT_EQ(MustGet(**grown, "cells", "cell"), "42");
}

TEST(StoreTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir dir;
  auto first = Store::Open(dir.Sub("db"), Families());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Store::Open(dir.Sub("db"), Families());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  EXPECT_TRUE(absl::StrContains(second.status().message(), dir.Sub("db")))
      << second.status();
  first->reset();  // closing the first releases the lock
  auto third = Store::Open(dir.Sub("db"), Families());
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST(StoreTest, OpenOnAFileFails) {
  TempDir dir;
  std::ofstream(dir.Sub("file")) << "not a directory";
  auto opened = Store::Open(dir.Sub("file"), Families());
  EXPECT_FALSE(opened.ok());
}

// RocksDB's diagnostic log goes through Store's own logger (RocksDB 7.8's
// aborted the process on a full disk): a timestamp before each message, one
// newline after it.
TEST(StoreTest, WritesRocksDbDiagnosticLog) {
  TempDir dir;
  { ASSERT_TRUE(Store::Open(dir.Sub("db"), Families()).ok()); }
  std::ifstream log(dir.Sub("db") + "/LOG");
  ASSERT_TRUE(log.good());
  std::string text((std::istreambuf_iterator<char>(log)),
                   std::istreambuf_iterator<char>());
  // 2026/11/23-16:59:14.764135 RocksDB version: 7.8.3
  ASSERT_GE(text.size(), 27u) << text;
  EXPECT_EQ(text[4], '/');
  EXPECT_EQ(text[10], '-');
  EXPECT_EQ(text[19], '.');
  EXPECT_EQ(text.substr(26, 17), " RocksDB version:") << text.substr(0, 80);
  EXPECT_FALSE(absl::StrContains(text, "\n\n"));
  EXPECT_GT(text.size(), 1000u);
}

TEST(FromRocksTest, MapsCodes) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK(), "x").ok());
  absl::Status no_space =
      FromRocks(rocksdb::Status::NoSpace("disk"), "writing to /d");
  EXPECT_EQ(no_space.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(no_space.message(), "writing to /d"))
      << no_space;
  EXPECT_EQ(FromRocks(rocksdb::Status::NotFound("k"), "x").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocks(rocksdb::Status::InvalidArgument("a"), "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption("c"), "x").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("io"), "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::Busy("b"), "x").code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace sanji
