// Kafka clients: owned wrappers over librdkafka's C API.
//
// Each object owns its rd_kafka_t handle and is used from one thread at a time (librdkafka is
// internally threaded; these wrappers add no locking of their own). Errors are Results: Errc::
// unavailable when the cluster cannot be reached in time, Errc::server when the broker refused
// (the Kafka error code as Error::detail()), Errc::invalid_argument for bad settings.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace sluice::kafka {

struct ClientSettings {
  std::string bootstrap_servers = "127.0.0.1:9092";
  // Any librdkafka property ("security.protocol", "sasl.mechanism", ...), applied last.
  std::map<std::string, std::string> properties;
};

namespace detail {
struct HandleDeleter {
  void operator()(rd_kafka_s* handle) const;
};
struct MessageDeleter {
  void operator()(rd_kafka_message_s* message) const;
};
using Handle = std::unique_ptr<rd_kafka_s, HandleDeleter>;
}  // namespace detail

// True for the error a consumer reports when its position is out of range (records deleted by
// retention before they were read) and auto.offset.reset is "error".
bool is_offset_out_of_range(const Error& e);

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct Header {
  std::string_view name;
  std::optional<std::string_view> value;  // nullopt: a null header value
};

// One consumed record (or a consumer-side error). Owns librdkafka's message until destroyed.
class Message {
 public:
  explicit Message(rd_kafka_message_s* m) : m_(m) {}
  std::string_view topic() const;
  std::int32_t partition() const;
  std::int64_t offset() const;
  std::optional<std::string_view> key() const;    // nullopt: null key
  std::optional<std::string_view> value() const;  // nullopt: tombstone
  std::int64_t timestamp_ms() const;              // -1 if not available
  std::vector<Header> headers() const;            // in record order; views valid while the Message lives
  // Errors delivered as messages (partition EOF is filtered out by the consumer).
  std::optional<Error> error() const;

 private:
  std::unique_ptr<rd_kafka_message_s, detail::MessageDeleter> m_;
};

class Producer {
 public:
  // Idempotent (enable.idempotence=true, acks=all) unless the properties say otherwise.
  static Result<std::unique_ptr<Producer>> create(const ClientSettings& settings);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one record. partition < 0: chosen by librdkafka's partitioner from the key.
  // Blocks (serving delivery reports) while the local queue is full.
  Status produce(std::string_view topic, std::optional<std::string_view> key, std::string_view value,
                 std::int32_t partition = -1);
  // Waits until every queued record is acknowledged or failed. Errors if any failed since the
  // last flush (how many, and the first reason), or if the timeout passed first.
  Status flush(std::chrono::milliseconds timeout);

  // Queues one record with headers; `on_delivery` runs once with its outcome, on the thread that
  // calls poll(), flush() or produce(). Returns an error (and never calls on_delivery) when the
  // record could not be queued.
  using DeliveryCallback = std::function<void(Status)>;
  Status produce(std::string_view topic, std::optional<std::string_view> key, std::optional<std::string_view> value,
                 const std::vector<std::pair<std::string, std::string>>& headers, DeliveryCallback on_delivery);
  // Serves delivery reports for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);
  std::size_t queued() const;  // records not yet acknowledged or failed

  std::uint64_t delivered() const;
  std::uint64_t failed() const;

 private:
  struct Stats;
  Producer(detail::Handle handle, std::unique_ptr<Stats> stats);
  std::unique_ptr<Stats> stats_;
  detail::Handle handle_;
};

// Told about partitions a consumer gains and loses. Runs inside Consumer::poll, on its thread.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Partitions newly assigned (already positioned: their committed offset, or the start position).
  virtual void on_assigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions about to be taken away. Not lost: the listener may still commit their offsets
  // (flush, then commit, then return). Lost: another member may own them already; commit nothing.
  virtual void on_revoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
};

struct ConsumerOptions {
  std::string group_id;
  RebalanceListener* listener = nullptr;  // not owned; must outlive the consumer
  // Where a partition starts when the group has no committed offset for it.
  enum class Start { earliest, latest, time } start = Start::earliest;
  std::int64_t start_time_ms = 0;  // Start::time: the first record at or after it
  // An offset that is out of range (deleted by retention) stops consumption with an error
  // instead of jumping silently (auto.offset.reset=error). false: earliest.
  bool fail_on_out_of_range = true;
};

struct PartitionLag {
  TopicPartition partition;
  std::int64_t position = -1;        // next offset to read; -1 unknown
  std::int64_t high_watermark = -1;  // -1 unknown
};

class Consumer {
 public:
  // A member of a consumer group with cooperative-sticky assignment. Offsets are committed only
  // by commit().
  static Result<std::unique_ptr<Consumer>> create(const ClientSettings& settings, const ConsumerOptions& options);
  // A member of consumer group `group_id`; offsets are committed only by commit().
  // auto.offset.reset defaults to earliest.
  static Result<std::unique_ptr<Consumer>> create(const ClientSettings& settings, const std::string& group_id);
  ~Consumer();  // leaves the group
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Topic names, or regular expressions starting with ^ (librdkafka matches them against every
  // topic and follows new ones).
  Status subscribe(const std::vector<std::string>& topics);
  // The next record, or nullopt when none arrived within the timeout.
  std::optional<Message> poll(std::chrono::milliseconds timeout);
  // Commits "next offset to read" = offset + 1 for each (topic, partition) given, synchronously.
  Status commit(const std::map<std::pair<std::string, std::int32_t>, std::int64_t>& last_processed);
  // Commits "next offset to read" for each partition given; async: returns before the broker answers.
  Status commit_next(const std::vector<std::pair<TopicPartition, std::int64_t>>& next_offsets, bool async);
  Status pause(const std::vector<TopicPartition>& partitions);
  Status resume(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> assignment() const;
  // Positions and high watermarks as librdkafka last saw them (no request).
  std::vector<PartitionLag> lag() const;
  // The group's committed offsets ("next offset to read") for partitions 0..partitions-1 of
  // `topic`; -1 for a partition with no committed offset.
  Result<std::vector<std::int64_t>> committed(const std::string& topic, std::int32_t partitions,
                                              std::chrono::milliseconds timeout);
  // The offset the next record produced to the partition will get (the high watermark).
  Result<std::int64_t> high_watermark(const std::string& topic, std::int32_t partition,
                                      std::chrono::milliseconds timeout);
  // Leaves the group (idempotent).
  void close();

 private:
  struct Rebalance;
  explicit Consumer(detail::Handle handle, std::unique_ptr<Rebalance> rebalance);
  std::unique_ptr<Rebalance> rebalance_;
  detail::Handle handle_;
  bool closed_ = false;
};

struct TopicInfo {
  std::string name;
  std::int32_t partitions = 0;
};

struct ClusterInfo {
  std::vector<std::string> brokers;  // "id@host:port"
  std::vector<TopicInfo> topics;
};

class Admin {
 public:
  static Result<std::unique_ptr<Admin>> create(const ClientSettings& settings);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // A metadata request answered by a broker: the readiness check of the local stack.
  Result<ClusterInfo> metadata(std::chrono::milliseconds timeout);
  // Creates a topic; an existing topic with this name is an error unless `if_not_exists`.
  Status create_topic(const std::string& name, std::int32_t partitions, std::int16_t replication,
                      std::chrono::milliseconds timeout, bool if_not_exists = false);
  Status delete_topic(const std::string& name, std::chrono::milliseconds timeout);

 private:
  explicit Admin(detail::Handle handle) : handle_(std::move(handle)) {}
  detail::Handle handle_;
};

}  // namespace sluice::kafka
