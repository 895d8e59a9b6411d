// DeadLetters: where records that cannot be written go, with everything needed to act on them
// later: the raw key, value and headers, where they came from, and why they failed.
//
// A dead letter is "done" only when every destination configured (a Kafka topic, a Cassandra
// table) acknowledged it; until then its record's offset is not committed. A destination that
// fails is tried again after a pause, for ever: a dead letter is never dropped.
//
// The table (created if missing):
//   CREATE TABLE <ks>.<table> (pipeline text, error_class text, topic text, partition int,
//     offset bigint, key blob, value blob, headers map<text, blob>, record_timestamp timestamp,
//     error_message text, statement text, failed_at timestamp,
//     PRIMARY KEY ((pipeline, error_class), topic, partition, offset))
// so `sluice dlq list` and `redrive --error <class>` read one partition per class.
//
// Threads: send() and poll() run on the pipeline's thread; done callbacks run inside poll().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "cql/client/session.h"
#include "kafka/client.h"
#include "sink/record.h"

namespace sluice::sink {

// A record copied out of Kafka's buffers, for a dead letter.
struct DeadRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  static DeadRecord of(const RecordView& r);
};

class DeadLetters {
 public:
  // Connects what the configuration names: a producer for the topic, the table (made if missing).
  static Result<std::unique_ptr<DeadLetters>> open(const config::Pipeline& pipeline,
                                                   const kafka::ClientSettings& kafka_settings,
                                                   std::shared_ptr<cql::Session> session);
  ~DeadLetters();

  // Sends one dead letter; `done` runs (inside poll) once every destination acknowledged it.
  void send(DeadRecord record, Failure failure, std::function<void()> done);
  // Serves acknowledgements and retries that are due.
  void poll();
  std::size_t pending() const { return pending_; }
  std::uint64_t sent() const { return sent_; }

  static std::string create_table_cql(const std::string& qualified_table);

 private:
  struct Letter;
  DeadLetters() = default;
  void send_topic(const std::shared_ptr<Letter>& letter);
  void send_table(const std::shared_ptr<Letter>& letter);

  std::string pipeline_;
  std::string topic_;
  std::unique_ptr<kafka::Producer> producer_;
  std::shared_ptr<cql::Session> session_;
  cql::PreparedStatement insert_;
  struct Inbox {
    std::mutex mu;
    std::vector<std::function<void()>> items;  // run on the pipeline thread
  };
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> retries_;
  std::size_t pending_ = 0;
  std::uint64_t sent_ = 0;
};

}  // namespace sluice::sink
