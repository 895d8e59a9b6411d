#include "kafka/client.h"

#include <atomic>
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <mutex>

namespace sluice::kafka {

namespace detail {
void HandleDeleter::operator()(rd_kafka_s* handle) const { rd_kafka_destroy(handle); }
void MessageDeleter::operator()(rd_kafka_message_s* message) const { rd_kafka_message_destroy(message); }
}  // namespace detail

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

Result<Conf> make_conf(const ClientSettings& settings, const std::map<std::string, std::string>& defaults) {
  Conf conf(rd_kafka_conf_new());
  char errstr[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      // The value is not echoed: it may be a secret (sasl.password).
      return Error(Errc::invalid_argument, fmt::format("kafka setting {}: {}", k, errstr));
    }
    return {};
  };
  SLUICE_TRY(set("bootstrap.servers", settings.bootstrap_servers));
  for (const auto& [k, v] : defaults) {
    if (settings.properties.find(k) == settings.properties.end()) SLUICE_TRY(set(k, v));
  }
  for (const auto& [k, v] : settings.properties) SLUICE_TRY(set(k, v));
  return conf;
}

Error kafka_error(rd_kafka_resp_err_t err, std::string_view what) {
  Errc code = Errc::server;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
      err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    code = Errc::unavailable;
  }
  return Error(code, fmt::format("{}: {}", what, rd_kafka_err2str(err)), static_cast<int>(err));
}

}  // namespace

bool is_offset_out_of_range(const Error& e) {
  return e.detail() == static_cast<int>(RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) ||
         e.detail() == static_cast<int>(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
}

// ---- Message ----

std::string_view Message::topic() const { return m_->rkt ? rd_kafka_topic_name(m_->rkt) : ""; }
std::int32_t Message::partition() const { return m_->partition; }
std::int64_t Message::offset() const { return m_->offset; }
std::optional<std::string_view> Message::key() const {
  if (m_->key == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(m_->key), m_->key_len);
}
std::optional<std::string_view> Message::value() const {
  if (m_->payload == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(m_->payload), m_->len);
}
std::int64_t Message::timestamp_ms() const {
  rd_kafka_timestamp_type_t type;
  return rd_kafka_message_timestamp(m_.get(), &type);
}
std::vector<Header> Message::headers() const {
  std::vector<Header> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || hdrs == nullptr) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    Header h{name, std::nullopt};
    if (value != nullptr) h.value = std::string_view(static_cast<const char*>(value), size);
    out.push_back(h);
  }
  return out;
}
std::optional<Error> Message::error() const {
  if (m_->err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return kafka_error(m_->err, "consume");
}

// ---- Producer ----

struct Producer::Stats {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex mu;                    // guards first_error (written on librdkafka's poll thread)
  std::string first_error;
};

Producer::Producer(detail::Handle handle, std::unique_ptr<Stats> stats)
    : stats_(std::move(stats)), handle_(std::move(handle)) {}

Producer::~Producer() = default;

Result<std::unique_ptr<Producer>> Producer::create(const ClientSettings& settings) {
  auto conf = make_conf(settings, {{"enable.idempotence", "true"},
                                   {"acks", "all"},
                                   {"linger.ms", "5"},
                                   {"compression.type", "lz4"}});
  if (!conf.ok()) return conf.error();
  auto stats = std::make_unique<Stats>();
  rd_kafka_conf_set_opaque(conf->get(), stats.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* s = static_cast<Stats*>(opaque);
    if (m->_private != nullptr) {  // a record queued with a DeliveryCallback
      std::unique_ptr<DeliveryCallback> cb(static_cast<DeliveryCallback*>(m->_private));
      (*cb)(m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? Status() : Status(kafka_error(m->err, "delivery")));
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      s->delivered.fetch_add(1, std::memory_order_relaxed);
    } else {
      s->failed.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(s->mu);
      if (s->first_error.empty()) s->first_error = rd_kafka_err2str(m->err);
    }
  });
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) return Error(Errc::invalid_argument, fmt::format("kafka producer: {}", errstr));
  (void)conf->release();  // owned by rk now
  return std::unique_ptr<Producer>(new Producer(detail::Handle(rk), std::move(stats)));
}

Status Producer::produce(std::string_view topic, std::optional<std::string_view> key, std::string_view value,
                         std::int32_t partition) {
  std::string topic_name(topic);
  rd_kafka_vu_t fields[5];
  std::size_t n = 0;
  fields[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[n++].u.cstr = topic_name.c_str();
  fields[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  fields[n++].u.i32 = partition < 0 ? RD_KAFKA_PARTITION_UA : partition;
  fields[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[n++].u.i = RD_KAFKA_MSG_F_COPY;
  fields[n].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[n].u.mem.ptr = const_cast<char*>(value.data());
  fields[n++].u.mem.size = value.size();
  if (key) {
    fields[n].vtype = RD_KAFKA_VTYPE_KEY;
    fields[n].u.mem.ptr = const_cast<char*>(key->data());
    fields[n++].u.mem.size = key->size();
  }
  for (;;) {
    std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)> error(
        rd_kafka_produceva(handle_.get(), fields, n), &rd_kafka_error_destroy);
    rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_poll(handle_.get(), 0);
      return {};
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(handle_.get(), 100);  // backpressure: wait for deliveries to free space
      continue;
    }
    return kafka_error(err, fmt::format("produce to {}", topic));
  }
}

Status Producer::produce(std::string_view topic, std::optional<std::string_view> key,
                         std::optional<std::string_view> value,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         DeliveryCallback on_delivery) {
  std::string topic_name(topic);
  std::vector<rd_kafka_vu_t> fields(5 + headers.size());
  std::size_t n = 0;
  fields[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[n++].u.cstr = topic_name.c_str();
  fields[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[n++].u.i = RD_KAFKA_MSG_F_COPY;
  if (value) {
    fields[n].vtype = RD_KAFKA_VTYPE_VALUE;
    fields[n].u.mem.ptr = const_cast<char*>(value->data());
    fields[n++].u.mem.size = value->size();
  }
  if (key) {
    fields[n].vtype = RD_KAFKA_VTYPE_KEY;
    fields[n].u.mem.ptr = const_cast<char*>(key->data());
    fields[n++].u.mem.size = key->size();
  }
  for (const auto& [name, v] : headers) {
    fields[n].vtype = RD_KAFKA_VTYPE_HEADER;
    fields[n].u.header.name = name.c_str();
    fields[n].u.header.val = v.data();
    fields[n++].u.header.size = static_cast<ssize_t>(v.size());
  }
  auto cb = std::make_unique<DeliveryCallback>(std::move(on_delivery));
  fields[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  fields[n++].u.ptr = cb.get();
  for (;;) {
    std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)> error(
        rd_kafka_produceva(handle_.get(), fields.data(), n), &rd_kafka_error_destroy);
    rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)cb.release();  // the delivery report owns it now
      rd_kafka_poll(handle_.get(), 0);
      return {};
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(handle_.get(), 100);
      continue;
    }
    return kafka_error(err, fmt::format("produce to {}", topic));
  }
}

void Producer::poll(std::chrono::milliseconds timeout) { rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count())); }

std::size_t Producer::queued() const { return static_cast<std::size_t>(rd_kafka_outq_len(handle_.get())); }

Status Producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(err, fmt::format("flush ({} records still queued)", rd_kafka_outq_len(handle_.get())));
  }
  std::lock_guard lock(stats_->mu);
  if (stats_->failed.load() != 0) {
    auto message = fmt::format("{} records failed delivery; first: {}", stats_->failed.load(), stats_->first_error);
    return Error(Errc::server, message);
  }
  return {};
}

std::uint64_t Producer::delivered() const { return stats_->delivered.load(); }
std::uint64_t Producer::failed() const { return stats_->failed.load(); }

// ---- Consumer ----

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList make_list(const std::vector<TopicPartition>& parts) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())),
                     &rd_kafka_topic_partition_list_destroy);
  for (const auto& tp : parts) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  return list;
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

struct Consumer::Rebalance {
  ConsumerOptions options;

  // Gives partitions without a committed offset the configured start position.
  void position_new(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts) const {
    PartitionList committed(rd_kafka_topic_partition_list_copy(parts), &rd_kafka_topic_partition_list_destroy);
    if (rd_kafka_committed(rk, committed.get(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return;  // unknown: leave the offsets INVALID, librdkafka fetches the committed offset itself
    }
    PartitionList by_time(rd_kafka_topic_partition_list_new(parts->cnt), &rd_kafka_topic_partition_list_destroy);
    for (int i = 0; i < parts->cnt; ++i) {
      auto* c = rd_kafka_topic_partition_list_find(committed.get(), parts->elems[i].topic, parts->elems[i].partition);
      if (c == nullptr || c->offset >= 0) continue;  // has a committed offset: start there
      switch (options.start) {
        case ConsumerOptions::Start::earliest: parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING; break;
        case ConsumerOptions::Start::latest: parts->elems[i].offset = RD_KAFKA_OFFSET_END; break;
        case ConsumerOptions::Start::time:
          rd_kafka_topic_partition_list_add(by_time.get(), parts->elems[i].topic, parts->elems[i].partition)->offset =
              options.start_time_ms;
          break;
      }
    }
    if (by_time->cnt == 0) return;
    if (rd_kafka_offsets_for_times(rk, by_time.get(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    for (int i = 0; i < by_time->cnt; ++i) {
      auto* p = rd_kafka_topic_partition_list_find(parts, by_time->elems[i].topic, by_time->elems[i].partition);
      // No record at or after the time: start at the end (the next record produced).
      if (p != nullptr) p->offset = by_time->elems[i].offset >= 0 ? by_time->elems[i].offset : RD_KAFKA_OFFSET_END;
    }
  }

  static void callback(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<Rebalance*>(opaque);
    bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->position_new(rk, parts);
      if (cooperative) {
        if (auto* e = rd_kafka_incremental_assign(rk, parts)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, parts);
      }
      if (self->options.listener != nullptr) self->options.listener->on_assigned(to_vector(parts));
      return;
    }
    bool lost = rd_kafka_assignment_lost(rk) != 0;
    if (self->options.listener != nullptr) self->options.listener->on_revoked(to_vector(parts), lost);
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
};

Consumer::Consumer(detail::Handle handle, std::unique_ptr<Rebalance> rebalance)
    : rebalance_(std::move(rebalance)), handle_(std::move(handle)) {}

Result<std::unique_ptr<Consumer>> Consumer::create(const ClientSettings& settings, const std::string& group_id) {
  return create(settings, ConsumerOptions{.group_id = group_id, .fail_on_out_of_range = false});
}

Result<std::unique_ptr<Consumer>> Consumer::create(const ClientSettings& settings, const ConsumerOptions& options) {
  auto conf = make_conf(settings, {{"group.id", options.group_id},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"auto.offset.reset", options.fail_on_out_of_range ? "error" : "earliest"},
                                   {"partition.assignment.strategy", "cooperative-sticky"},
                                   {"enable.partition.eof", "false"}});
  if (!conf.ok()) return conf.error();
  auto rebalance = std::make_unique<Rebalance>(Rebalance{options});
  rd_kafka_conf_set_opaque(conf->get(), rebalance.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), &Rebalance::callback);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) return Error(Errc::invalid_argument, fmt::format("kafka consumer: {}", errstr));
  (void)conf->release();
  rd_kafka_poll_set_consumer(rk);
  return std::unique_ptr<Consumer>(new Consumer(detail::Handle(rk), std::move(rebalance)));
}

Consumer::~Consumer() { close(); }

void Consumer::close() {
  if (closed_ || !handle_) return;
  closed_ = true;
  rd_kafka_consumer_close(handle_.get());
}

Status Consumer::subscribe(const std::vector<std::string>& topics) {
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())), &rd_kafka_topic_partition_list_destroy);
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  auto err = rd_kafka_subscribe(handle_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "subscribe");
  return {};
}

std::optional<Message> Consumer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count()));
  if (m == nullptr) return std::nullopt;
  return Message(m);
}

Status Consumer::commit(const std::map<std::pair<std::string, std::int32_t>, std::int64_t>& last_processed) {
  if (last_processed.empty()) return {};
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(last_processed.size())),
      &rd_kafka_topic_partition_list_destroy);
  for (const auto& [tp, offset] : last_processed) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset + 1;
  }
  auto err = rd_kafka_commit(handle_.get(), list.get(), 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "commit");
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error(list->elems[i].err, fmt::format("commit {}[{}]", list->elems[i].topic, list->elems[i].partition));
    }
  }
  return {};
}

Status Consumer::commit_next(const std::vector<std::pair<TopicPartition, std::int64_t>>& next_offsets, bool async) {
  if (next_offsets.empty()) return {};
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())),
                     &rd_kafka_topic_partition_list_destroy);
  for (const auto& [tp, next] : next_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = next;
  }
  auto err = rd_kafka_commit(handle_.get(), list.get(), async ? 1 : 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "commit");
  if (async) return {};
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error(list->elems[i].err, fmt::format("commit {}[{}]", list->elems[i].topic, list->elems[i].partition));
    }
  }
  return {};
}

Status Consumer::pause(const std::vector<TopicPartition>& partitions) {
  auto list = make_list(partitions);
  auto err = rd_kafka_pause_partitions(handle_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "pause");
  return {};
}

Status Consumer::resume(const std::vector<TopicPartition>& partitions) {
  auto list = make_list(partitions);
  auto err = rd_kafka_resume_partitions(handle_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "resume");
  return {};
}

std::vector<TopicPartition> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(handle_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) return {};
  PartitionList list(raw, &rd_kafka_topic_partition_list_destroy);
  return to_vector(list.get());
}

std::vector<PartitionLag> Consumer::lag() const {
  std::vector<PartitionLag> out;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(handle_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) return out;
  PartitionList list(raw, &rd_kafka_topic_partition_list_destroy);
  rd_kafka_position(handle_.get(), list.get());
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    PartitionLag l{{e.topic, e.partition}, e.offset >= 0 ? e.offset : -1, -1};
    std::int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(handle_.get(), e.topic, e.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      l.high_watermark = high;
    }
    out.push_back(l);
  }
  return out;
}

Result<std::vector<std::int64_t>> Consumer::committed(const std::string& topic, std::int32_t partitions,
                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> list(
      rd_kafka_topic_partition_list_new(partitions), &rd_kafka_topic_partition_list_destroy);
  for (std::int32_t p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  auto err = rd_kafka_committed(handle_.get(), list.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "committed offsets");
  std::vector<std::int64_t> out(static_cast<std::size_t>(partitions), -1);
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(e.err, "committed offset");
    if (e.partition >= 0 && e.partition < partitions) out[static_cast<std::size_t>(e.partition)] = e.offset < 0 ? -1 : e.offset;
  }
  return out;
}

Result<std::int64_t> Consumer::high_watermark(const std::string& topic, std::int32_t partition,
                                              std::chrono::milliseconds timeout) {
  std::int64_t low = 0, high = 0;
  auto err = rd_kafka_query_watermark_offsets(handle_.get(), topic.c_str(), partition, &low, &high,
                                              static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "watermark offsets");
  return high;
}

// ---- Admin ----

Result<std::unique_ptr<Admin>> Admin::create(const ClientSettings& settings) {
  auto conf = make_conf(settings, {});
  if (!conf.ok()) return conf.error();
  char errstr[512];
  // A producer handle is the lightest handle that can send admin and metadata requests.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) return Error(Errc::invalid_argument, fmt::format("kafka admin: {}", errstr));
  (void)conf->release();
  return std::unique_ptr<Admin>(new Admin(detail::Handle(rk)));
}

Admin::~Admin() = default;

Result<ClusterInfo> Admin::metadata(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(handle_.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "metadata request");
  std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> guard(md, &rd_kafka_metadata_destroy);
  ClusterInfo info;
  for (int i = 0; i < md->broker_cnt; ++i) {
    info.brokers.push_back(fmt::format("{}@{}:{}", md->brokers[i].id, md->brokers[i].host, md->brokers[i].port));
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    info.topics.push_back({md->topics[i].topic, md->topics[i].partition_cnt});
  }
  return info;
}

namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};

// Runs one admin call and waits for its result event; returns the topic-level result.
Status await_topic_result(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout, bool create,
                          bool ignore_exists, const std::string& name) {
  std::unique_ptr<rd_kafka_event_t, EventDeleter> ev(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000));
  if (!ev) return Error(Errc::unavailable, fmt::format("no answer to the topic request for {}", name));
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(rd_kafka_event_error(ev.get()), fmt::format("topic request for {}", name));
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results = nullptr;
  if (create) {
    results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  } else {
    results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
  }
  for (size_t i = 0; i < n; ++i) {
    auto err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (ignore_exists && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    return Error(Errc::server, fmt::format("topic {}: {}", name, msg ? msg : rd_kafka_err2str(err)),
                 static_cast<int>(err));
  }
  return {};
}

}  // namespace

Status Admin::create_topic(const std::string& name, std::int32_t partitions, std::int16_t replication,
                           std::chrono::milliseconds timeout, bool if_not_exists) {
  char errstr[512];
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> topic(
      rd_kafka_NewTopic_new(name.c_str(), partitions, replication, errstr, sizeof(errstr)), &rd_kafka_NewTopic_destroy);
  if (!topic) return Error(Errc::invalid_argument, fmt::format("topic {}: {}", name, errstr));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), errstr, sizeof(errstr));
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(handle_.get(), topics, 1, options.get(), queue.get());
  return await_topic_result(queue.get(), timeout, true, if_not_exists, name);
}

Status Admin::delete_topic(const std::string& name, std::chrono::milliseconds timeout) {
  char errstr[512];
  std::unique_ptr<rd_kafka_DeleteTopic_t, decltype(&rd_kafka_DeleteTopic_destroy)> topic(
      rd_kafka_DeleteTopic_new(name.c_str()), &rd_kafka_DeleteTopic_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), errstr, sizeof(errstr));
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_DeleteTopic_t* topics[] = {topic.get()};
  rd_kafka_DeleteTopics(handle_.get(), topics, 1, options.get(), queue.get());
  return await_topic_result(queue.get(), timeout, false, false, name);
}

}  // namespace sluice::kafka
