#include "sink/offsets.h"

#include "base/check.h"

namespace sluice::sink {

std::uint64_t OffsetTracker::open() {
  chunks_.push_back(Chunk{.id = next_id_++});
  return chunks_.back().id;
}

OffsetTracker::Chunk* OffsetTracker::find(std::uint64_t id) {
  // Chunk ids are consecutive from the front's.
  if (chunks_.empty() || id < chunks_.front().id) return nullptr;
  auto index = id - chunks_.front().id;
  if (index >= chunks_.size()) return nullptr;
  return &chunks_[index];
}

void OffsetTracker::record(std::uint64_t chunk, const kafka::TopicPartition& tp, std::int64_t offset,
                           std::uint64_t epoch) {
  Chunk* c = find(chunk);
  SLUICE_CHECK(c != nullptr && !c->sealed, "record() on an unknown or sealed chunk");
  c->last[tp] = Next{epoch, offset + 1};
  ++c->records;
  ++buffered_;
}

void OffsetTracker::add_pending(std::uint64_t chunk, std::size_t n) {
  Chunk* c = find(chunk);
  SLUICE_CHECK(c != nullptr, "add_pending() on an unknown chunk");
  c->pending += n;
}

void OffsetTracker::done(std::uint64_t chunk, std::size_t n) {
  Chunk* c = find(chunk);
  SLUICE_CHECK(c != nullptr && c->pending >= n, "done() more often than add_pending()");
  c->pending -= n;
}

void OffsetTracker::seal(std::uint64_t chunk) {
  Chunk* c = find(chunk);
  SLUICE_CHECK(c != nullptr, "seal() on an unknown chunk");
  c->sealed = true;
}

std::map<kafka::TopicPartition, OffsetTracker::Next> OffsetTracker::take_finished() {
  std::map<kafka::TopicPartition, Next> out;
  while (!chunks_.empty() && chunks_.front().sealed && chunks_.front().pending == 0) {
    for (const auto& [tp, next] : chunks_.front().last) out[tp] = next;
    buffered_ -= chunks_.front().records;
    chunks_.pop_front();
  }
  return out;
}

bool OffsetTracker::all_finished() const {
  for (const auto& c : chunks_) {
    if (!c.sealed || c.pending != 0) return false;
  }
  return true;
}

}  // namespace sluice::sink
