#include "sink/offsets.h"

#include <gtest/gtest.h>

namespace sluice::sink {
namespace {

const kafka::TopicPartition kP0{"t", 0};
const kafka::TopicPartition kP1{"t", 1};

TEST(OffsetTracker, NothingIsCommittableUntilTheChunkIsSealedAndDone) {
  OffsetTracker t;
  auto c = t.open();
  t.record(c, kP0, 10, 1);
  t.add_pending(c, 2);
  EXPECT_TRUE(t.take_finished().empty());  // not sealed
  t.seal(c);
  t.done(c);
  EXPECT_TRUE(t.take_finished().empty());  // one write still pending
  t.done(c);
  auto f = t.take_finished();
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[kP0].offset, 11);
  EXPECT_EQ(f[kP0].epoch, 1U);
  EXPECT_EQ(t.chunks(), 0U);
  EXPECT_EQ(t.buffered_records(), 0U);
}

TEST(OffsetTracker, ALaterChunkFinishingFirstIsHeldBackByAnEarlierOne) {
  OffsetTracker t;
  auto a = t.open();
  t.record(a, kP0, 1, 1);
  t.add_pending(a);
  t.seal(a);
  auto b = t.open();
  t.record(b, kP0, 2, 1);
  t.record(b, kP1, 7, 1);
  t.add_pending(b);
  t.seal(b);
  t.done(b);
  EXPECT_TRUE(t.take_finished().empty());
  EXPECT_EQ(t.buffered_records(), 3U);
  t.done(a);
  auto f = t.take_finished();
  EXPECT_EQ(f[kP0].offset, 3);  // the newest of the finished chunks
  EXPECT_EQ(f[kP1].offset, 8);
  EXPECT_TRUE(t.all_finished());
}

TEST(OffsetTracker, ARecordWithNoWritesFinishesWithItsChunk) {
  OffsetTracker t;
  auto a = t.open();
  t.record(a, kP0, 5, 3);
  t.seal(a);
  auto f = t.take_finished();
  EXPECT_EQ(f[kP0].offset, 6);
  EXPECT_EQ(f[kP0].epoch, 3U);
}

TEST(OffsetTracker, OldestIsTheFrontChunkOrTheNextId) {
  OffsetTracker t;
  EXPECT_EQ(t.oldest(), 1U);
  auto a = t.open();
  EXPECT_EQ(t.oldest(), a);
  t.seal(a);
  (void)t.take_finished();
  EXPECT_EQ(t.oldest(), a + 1);
}

}  // namespace
}  // namespace sluice::sink
