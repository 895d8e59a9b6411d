// OffsetTracker: which offsets may be committed.
//
// Records are taken from Kafka in chunks (what one pass of the poll loop read). Every write,
// dead letter or skip a chunk's records cause is counted as pending on the chunk; a chunk is
// finished when it is sealed and nothing is pending. Offsets advance only over finished chunks,
// in poll order, so a committed offset never passes a record whose effect is not durable — even
// when later chunks finish first.
//
// Each partition's entry carries the assignment epoch it was read under: after a partition is
// lost and assigned again, offsets read under the old epoch are never committed.
//
// Single-threaded: owned by the pipeline's loop.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "kafka/client.h"

namespace sluice::sink {

class OffsetTracker {
 public:
  struct Next {
    std::uint64_t epoch = 0;
    std::int64_t offset = 0;  // next offset to read = last finished record + 1
  };

  // Opens a chunk after the previous ones; returns its id.
  std::uint64_t open();
  // A record of the chunk (offsets of one partition arrive in order).
  void record(std::uint64_t chunk, const kafka::TopicPartition& tp, std::int64_t offset, std::uint64_t epoch);
  void add_pending(std::uint64_t chunk, std::size_t n = 1);
  void done(std::uint64_t chunk, std::size_t n = 1);
  // No more records or pending work will be added to the chunk.
  void seal(std::uint64_t chunk);

  // Removes the finished chunks at the front and returns, per partition, the next offset to
  // commit they allow (the newest). Empty when the front chunk is not finished.
  std::map<kafka::TopicPartition, Next> take_finished();

  std::size_t buffered_records() const { return buffered_; }
  // The id of the oldest chunk still held (the next id to be opened when none is).
  std::uint64_t oldest() const { return chunks_.empty() ? next_id_ : chunks_.front().id; }
  std::size_t chunks() const { return chunks_.size(); }
  bool all_finished() const;

 private:
  struct Chunk {
    std::uint64_t id = 0;
    std::size_t pending = 0;
    std::size_t records = 0;
    bool sealed = false;
    std::map<kafka::TopicPartition, Next> last;
  };
  Chunk* find(std::uint64_t id);

  std::deque<Chunk> chunks_;
  std::uint64_t next_id_ = 1;
  std::size_t buffered_ = 0;
};

}  // namespace sluice::sink
