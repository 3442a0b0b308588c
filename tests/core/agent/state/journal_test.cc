#include "core/agent/state/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  std::string raw() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void overwrite(const std::string& bytes) const { testing::writeFile(path_, bytes); }

  // What a fresh open finds (the agent restarting).
  Journal::Contents reopen() {
    journal_ = std::make_unique<Journal>(path_);
    auto contents = journal_->open();
    EXPECT_TRUE(contents) << contents.error().message();
    return contents ? *contents : Journal::Contents{};
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.file("meta/containers.journal");
  std::unique_ptr<Journal> journal_ = std::make_unique<Journal>(path_);
};

TEST_F(JournalTest, PutsAndErasesSurviveReopening) {
  ASSERT_TRUE(journal_->open());
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(journal_->put("c-1", binary));
  ASSERT_TRUE(journal_->put("c-2", "first"));
  ASSERT_TRUE(journal_->put("c-2", "second"));
  ASSERT_TRUE(journal_->put("c-3", ""));
  ASSERT_TRUE(journal_->erase("c-1"));
  ASSERT_TRUE(journal_->erase("never-there"));

  // read() sees the file as written, without the owner closing it.
  auto read = Journal::read(path_);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->records, (std::map<std::string, std::string>{{"c-2", "second"}, {"c-3", ""}}));

  const auto contents = reopen();
  EXPECT_EQ(contents.records, (std::map<std::string, std::string>{{"c-2", "second"}, {"c-3", ""}}));
  EXPECT_TRUE(contents.damaged.empty());
  EXPECT_TRUE(contents.problems.empty());
  ASSERT_TRUE(journal_->put("c-1", binary));
  EXPECT_EQ(reopen().records.at("c-1"), binary);
}

// Flushes `journal` and waits for the answer.
Status flushed(Journal& journal) {
  std::promise<Status> answer;
  journal.flush([&answer](Status s) { answer.set_value(std::move(s)); });
  return answer.get_future().get();
}

// write() then flush(): what is written is read back before and after the flush.
TEST_F(JournalTest, WrittenRecordsAreReadBeforeTheyAreFlushed) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->write("k", "written"));
  EXPECT_EQ(Journal::read(path_)->records.at("k"), "written") << "as after a kill of the agent";
  ASSERT_TRUE(flushed(*journal_));
  ASSERT_TRUE(journal_->write("k", "again"));
  ASSERT_TRUE(flushed(*journal_));
  EXPECT_EQ(reopen().records.at("k"), "again");
  ASSERT_TRUE(journal_->writeErase("k"));
  EXPECT_EQ(Journal::read(path_)->records.count("k"), 0u) << "as after a kill of the agent";
  ASSERT_TRUE(flushed(*journal_));
  EXPECT_EQ(reopen().records.count("k"), 0u);
  Journal closed(dir_.file("other.journal"));
  EXPECT_EQ(flushed(closed).error().code(), ErrorCode::kFailedPrecondition);
}

// Flushes run on the journal's thread, never the caller's; every one asked for is answered,
// the last ones at the latest when the journal is destroyed.
TEST_F(JournalTest, EveryFlushIsAnsweredOnTheJournalsThread) {
  ASSERT_TRUE(journal_->open());
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  int failures = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(journal_->write("k" + std::to_string(i), "v"));
    journal_->flush([&](Status s) {
      std::lock_guard lock(mutex);
      threads.push_back(std::this_thread::get_id());
      if (!s) ++failures;
    });
  }
  journal_.reset();
  EXPECT_EQ(threads.size(), 100u);
  EXPECT_EQ(failures, 0);
  for (const auto& id : threads)
    EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(reopen().records.size(), 100u);
}

TEST_F(JournalTest, AMissingJournalIsEmptyAndCreated) {
  auto contents = journal_->open();
  ASSERT_TRUE(contents) << contents.error().message();
  EXPECT_TRUE(contents->records.empty());
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(journal_->open().error().code(), ErrorCode::kFailedPrecondition) << "opened once";
}

TEST_F(JournalTest, UseBeforeOpenAndBadKeysAreRefused) {
  EXPECT_EQ(journal_->put("k", "v").error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(journal_->open());
  EXPECT_EQ(journal_->put("", "v").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(journal_->put(std::string(5000, 'k'), "v").error().code(), ErrorCode::kInvalidArgument);
}

// The agent died in the middle of an append: that change never happened, and the key's
// record before it stands.
TEST_F(JournalTest, ATornLastRecordIsDroppedAndTheOneBeforeStands) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("a", "1"));
  ASSERT_TRUE(journal_->put("b", "old"));
  const size_t before = raw().size();
  ASSERT_TRUE(journal_->put("b", "a new value, cut short"));
  for (size_t keep : {before + 10, before + 30}) {  // inside the header; inside the value
    SCOPED_TRACE(keep);
    std::string bytes = raw();
    ASSERT_GT(bytes.size(), keep);
    overwrite(bytes.substr(0, keep));
    const auto contents = reopen();
    EXPECT_EQ(contents.records, (std::map<std::string, std::string>{{"a", "1"}, {"b", "old"}}));
    EXPECT_TRUE(contents.damaged.empty());
    ASSERT_EQ(contents.problems.size(), 1u);
    EXPECT_NE(contents.problems[0].find("incomplete"), std::string::npos) << contents.problems[0];
    EXPECT_FALSE(std::filesystem::exists(path_ + ".damaged")) << "a torn end is no damage";
    ASSERT_TRUE(journal_->put("b", "a new value, cut short"));  // for the next round
  }
  // The rewrite dropped the torn bytes: appends after it are read back.
  ASSERT_TRUE(journal_->put("c", "after"));
  EXPECT_EQ(reopen().records.at("c"), "after");
}

// Damage in the middle of the file names the key when the header is intact, and costs no
// other key its record.
TEST_F(JournalTest, ADamagedValueNamesItsKeyAndSparesTheOthers) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("first", "one"));
  ASSERT_TRUE(journal_->put("victim", "VALUE-TO-DAMAGE"));
  ASSERT_TRUE(journal_->put("last", "three"));
  std::string bytes = raw();
  const size_t at = bytes.find("VALUE-TO-DAMAGE");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] ^= 0x20;
  overwrite(bytes);

  const auto contents = reopen();
  EXPECT_EQ(contents.records,
            (std::map<std::string, std::string>{{"first", "one"}, {"last", "three"}}));
  ASSERT_EQ(contents.damaged.count("victim"), 1u);
  EXPECT_NE(contents.damaged.at("victim").find("checksum"), std::string::npos);
  EXPECT_EQ(contents.problems.size(), 0u);
  EXPECT_EQ(std::filesystem::file_size(path_ + ".damaged"), bytes.size())
      << "the damaged file is kept for inspection";
  // Reopening again finds the rewritten journal clean.
  const auto again = reopen();
  EXPECT_TRUE(again.damaged.empty());
  EXPECT_EQ(again.records.size(), 2u);
}

TEST_F(JournalTest, ALaterIntactRecordSupersedesADamagedOne) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("k", "DAMAGED-ONE"));
  ASSERT_TRUE(journal_->put("k", "fine"));
  std::string bytes = raw();
  bytes[bytes.find("DAMAGED-ONE")] ^= 1;
  overwrite(bytes);
  const auto contents = reopen();
  EXPECT_EQ(contents.records.at("k"), "fine");
  EXPECT_TRUE(contents.damaged.empty());
}

TEST_F(JournalTest, ADamagedHeaderIsSkippedUpToTheNextRecord) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("first", "one"));
  const size_t second = raw().size();
  ASSERT_TRUE(journal_->put("second", "two"));
  ASSERT_TRUE(journal_->put("third", "three"));
  std::string bytes = raw();
  bytes[second + 10] ^= 0x7f;  // the key length of "second"
  overwrite(bytes);

  const auto contents = reopen();
  EXPECT_EQ(contents.records,
            (std::map<std::string, std::string>{{"first", "one"}, {"third", "three"}}));
  ASSERT_EQ(contents.problems.size(), 1u);
  EXPECT_NE(contents.problems[0].find("damaged and skipped"), std::string::npos)
      << contents.problems[0];
}

// A last record that is complete but fails its check is damage, not a torn write: the
// change it made was acknowledged.
TEST_F(JournalTest, ADamagedLastHeaderIsDamageNotATornWrite) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("k", "old"));
  const size_t last = raw().size();
  ASSERT_TRUE(journal_->erase("k"));
  std::string bytes = raw();
  bytes[last + 8] ^= 0x01;  // the erase record's type byte, covered by the header check
  overwrite(bytes);
  const auto contents = reopen();
  EXPECT_EQ(contents.records.at("k"), "old");
  ASSERT_EQ(contents.problems.size(), 1u);
  EXPECT_NE(contents.problems[0].find("damaged"), std::string::npos) << contents.problems[0];
  EXPECT_TRUE(std::filesystem::exists(path_ + ".damaged"));
}

TEST_F(JournalTest, ForeignBytesAreReportedNotMisread) {
  std::filesystem::create_directories(dir_.file("meta"));
  overwrite("not a journal at all, but long enough to look at");
  const auto contents = reopen();
  EXPECT_TRUE(contents.records.empty());
  ASSERT_EQ(contents.problems.size(), 1u);
  EXPECT_NE(contents.problems[0].find("bytes 0 to 48 are damaged"), std::string::npos)
      << contents.problems[0];
  EXPECT_TRUE(std::filesystem::exists(path_ + ".damaged"));
  ASSERT_TRUE(journal_->put("k", "v"));
  EXPECT_EQ(reopen().records.at("k"), "v");
}

// Dead records are dropped once they outweigh the live ones: the file stays proportional
// to what is live.
TEST_F(JournalTest, TheFileIsCompactedAsRecordsDie) {
  ASSERT_TRUE(journal_->open());
  ASSERT_TRUE(journal_->put("keeper", "kept"));
  const std::string value(1000, 'x');
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "c-" + std::to_string(i);
    ASSERT_TRUE(journal_->put(key, value));
    ASSERT_TRUE(journal_->erase(key));
  }
  EXPECT_LT(std::filesystem::file_size(path_), 2u << 20) << "3 MB were written";
  const auto contents = reopen();
  EXPECT_EQ(contents.records, (std::map<std::string, std::string>{{"keeper", "kept"}}));
}

TEST_F(JournalTest, AnUnwritableDirectoryIsAnError) {
  testing::writeFile(dir_.file("file"), "x");
  Journal blocked(dir_.file("file") + "/meta/containers.journal");
  auto opened = blocked.open();
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find("file"), std::string::npos);
}

}  // namespace
}  // namespace berth::agent
