// SinkPipeline: `sluice run` for the sink — Kafka topics into Cassandra tables, as a pipeline
// file says, with an exactly-once effect.
//
// One thread runs the loop: poll a chunk of records (up to a few ms or a few thousand records),
// decode each once, build its row writes, hand them to the Writer, seal the chunk; handle what
// finished; commit what the OffsetTracker allows. librdkafka and the CQL session have their own
// threads; everything of the pipeline's own state is touched by the loop thread only.
//
// The guarantees, and where they come from:
// - an offset is committed only when every row, skip and dead letter of every record before it
//   is acknowledged (OffsetTracker, commit());
// - rows are idempotent and deterministic (TableSink: writetime from the record, tie-broken by
//   offset), so what a crash makes us read again is written again identically;
// - when partitions are revoked the loop finishes their writes and commits before letting go;
//   when they are lost it commits nothing of theirs (assignment epochs);
// - a record that cannot be written goes to the dead letters and the partition moves on, or the
//   pipeline stops, as error_policy says; passing failures are retried for ever;
// - past max_buffered_records every partition is paused: memory is bounded, never the input.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "cql/client/session.h"
#include "kafka/client.h"
#include "sink/dead_letters.h"
#include "sink/decoder.h"
#include "sink/offsets.h"
#include "sink/table_sink.h"
#include "sink/writer.h"

namespace sluice::metrics {
class Registry;
}

namespace sluice::sink {

struct PipelineStats {
  std::uint64_t records = 0;       // records read from Kafka
  std::uint64_t rows_written = 0;  // rows acknowledged by Cassandra
  std::uint64_t rows_deleted = 0;  // of which deletes
  std::uint64_t skipped = 0;       // expired rows, tombstones with deletes off
  std::uint64_t dead_letters = 0;  // dead letters acknowledged
  std::uint64_t failures[4] = {};  // by FailureClass
  std::uint64_t commits = 0;
  std::uint64_t pauses = 0;
};

// Compiles every sink of the pipeline against the live schema, reporting all problems at once
// (what `sluice check` prints). With prepare, also prepares the statements.
Result<std::vector<std::unique_ptr<TableSink>>> compile_sinks(const config::Pipeline& pipeline, cql::Session& session,
                                                              bool prepare);

class SinkPipeline : public kafka::RebalanceListener {
 public:
  // Connects to Cassandra and Kafka, checks and prepares every sink, subscribes.
  static Result<std::unique_ptr<SinkPipeline>> start(config::Pipeline pipeline, metrics::Registry* registry = nullptr);
  ~SinkPipeline() override;

  // Runs until `stop` becomes true (then drains, commits and leaves the group) or a fatal error
  // (returned; nothing past the failed record is committed).
  Status run(const std::atomic<bool>& stop);

  const PipelineStats& stats() const { return stats_; }
  bool ready() const { return ready_.load(); }

  void on_assigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) override;

 private:
  struct Source {
    const config::SourceConfig* config = nullptr;
    std::unique_ptr<SourceDecoder> decoder;
    std::vector<const TableSink*> sinks;
    bool needs_key = false, needs_value = false;
    std::optional<std::regex> pattern;
  };
  struct ChunkRecords {
    std::uint64_t chunk = 0;
    std::vector<kafka::Message> messages;
  };
  struct Metrics;

  SinkPipeline() = default;
  Source* source_for(std::string_view topic);
  void process(kafka::Message message);
  void fail(std::uint64_t chunk, const RecordView& record, Failure failure);
  void handle(std::vector<Writer::Outcome>& outcomes);
  void seal_chunk();
  void service();  // writer, dead letters, commits: everything but polling
  Status commit(bool force);
  void drain(std::chrono::milliseconds limit);
  void apply_backpressure(std::size_t max_buffered);
  const kafka::Message* message_of(const RowRef& ref) const;

  config::Pipeline config_;
  std::shared_ptr<cql::Session> session_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::vector<std::unique_ptr<TableSink>> sinks_;
  std::vector<Source> sources_;
  std::map<std::string, Source*, std::less<>> topic_sources_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<DeadLetters> dead_letters_;
  OffsetTracker tracker_;
  std::deque<ChunkRecords> chunk_records_;
  std::uint64_t open_chunk_ = 0;
  std::map<kafka::TopicPartition, std::uint64_t> assigned_;  // partition -> assignment epoch
  std::map<kafka::TopicPartition, OffsetTracker::Next> committable_;  // newest finished, per partition
  std::map<kafka::TopicPartition, std::int64_t> committed_;           // last sent for commit
  std::uint64_t next_epoch_ = 1;
  bool paused_ = false;
  std::set<kafka::TopicPartition> delivered_;         // delivered a record under this assignment
  std::set<kafka::TopicPartition> paused_partitions_;  // what consumer_->pause() was given
  std::optional<Error> fatal_;
  std::chrono::steady_clock::time_point last_commit_{};
  std::vector<Writer::Outcome> outcomes_;
  PipelineStats stats_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace sluice::sink
