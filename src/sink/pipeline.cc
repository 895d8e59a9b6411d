#include "sink/pipeline.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "metrics/registry.h"
#include "sink/connections.h"

namespace sluice::sink {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kMaxChunkRecords = 5000;
constexpr auto kMaxChunkTime = std::chrono::milliseconds(5);
constexpr auto kRevokeDrainLimit = std::chrono::seconds(120);
constexpr auto kStopDrainLimit = std::chrono::seconds(60);

}  // namespace

// The pipeline's metric children, looked up once (registry.h: the hot path is one atomic add).
struct SinkPipeline::Metrics {
  struct Table {
    metrics::Counter* rows = nullptr;
    metrics::Histogram* latency = nullptr;
    metrics::Histogram* batch_rows = nullptr;
  };
  metrics::Registry* registry = nullptr;
  std::map<std::string, metrics::Counter*, std::less<>> records;  // by topic
  std::map<const TableSink*, Table> tables;
  std::map<std::pair<const TableSink*, std::string_view>, metrics::Counter*> skipped;
  metrics::Counter* failures[4] = {};
  metrics::Counter* dead_letters = nullptr;
  metrics::Counter* commits = nullptr;
  metrics::Gauge* buffered = nullptr;
  metrics::Gauge* in_flight = nullptr;
  metrics::Gauge* window = nullptr;
  metrics::Gauge* paused = nullptr;
  metrics::GaugeFamily* lag = nullptr;
  metrics::Histogram* end_to_end = nullptr;
  metrics::Counter* retries = nullptr;
  metrics::Counter* splits = nullptr;
  WriterStats reported;  // the writer's counts already added to the counters above

  metrics::Counter& records_of(std::string_view topic) {
    auto it = records.find(topic);
    if (it == records.end()) {
      auto& c = registry->counter_family("sluice_records_total", "Records read from Kafka", {"topic"}).with({std::string(topic)});
      it = records.emplace(std::string(topic), &c).first;
    }
    return *it->second;
  }
};

Result<std::vector<std::unique_ptr<TableSink>>> compile_sinks(const config::Pipeline& pipeline, cql::Session& session,
                                                              bool prepare) {
  std::vector<std::unique_ptr<TableSink>> out;
  std::vector<std::string> errors;
  for (const auto& sink : pipeline.sinks) {
    const auto* source = pipeline.source(sink.from);
    if (source == nullptr) continue;  // parse_pipeline refused it already
    auto ks = session.keyspace(sink.keyspace);
    if (!ks) {
      errors.push_back(fmt::format("{}: table {}: keyspace {} does not exist", sink.at.to_string(),
                                   sink.qualified_table(), sink.keyspace));
      continue;
    }
    const cql::TableMetadata* table = nullptr;
    for (const auto& t : ks->tables) {
      if (t.name == sink.table) table = &t;
    }
    auto planned = TableSink::plan(sink, *source, table);
    if (!planned.ok()) {
      errors.push_back(planned.error().message());
      continue;
    }
    auto t = std::make_unique<TableSink>(std::move(*planned));
    if (prepare) {
      if (auto st = t->prepare(session); !st.ok()) {
        errors.push_back(st.error().message());
        continue;
      }
    }
    out.push_back(std::move(t));
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Error(Errc::invalid_argument, all);
  }
  return out;
}

Result<std::unique_ptr<SinkPipeline>> SinkPipeline::start(config::Pipeline pipeline, metrics::Registry* registry) {
  std::unique_ptr<SinkPipeline> p(new SinkPipeline());
  p->config_ = std::move(pipeline);
  const auto& cfg = p->config_;

  auto options = session_options(cfg);
  if (!options.ok()) return options.error();
  auto session = cql::Session::connect(std::move(*options));
  if (!session.ok()) return Error(session.error().code(), fmt::format("cassandra: {}", session.error().message()));
  p->session_ = std::move(*session);

  auto sinks = compile_sinks(cfg, *p->session_, true);
  if (!sinks.ok()) return sinks.error();
  p->sinks_ = std::move(*sinks);

  p->sources_.reserve(cfg.sources.size());
  std::vector<std::string> subscription;
  for (const auto& sc : cfg.sources) {
    Source s;
    s.config = &sc;
    auto decoder = SourceDecoder::make(sc);
    if (!decoder.ok()) return decoder.error();
    s.decoder = std::move(*decoder);
    for (const auto& t : p->sinks_) {
      if (t->config().from != sc.name) continue;
      s.sinks.push_back(t.get());
      s.needs_key = s.needs_key || t->needs_key();
      s.needs_value = s.needs_value || t->needs_value();
    }
    for (const auto& topic : sc.topics) subscription.push_back(topic);
    if (!sc.topic_pattern.empty()) {
      auto pattern = sc.topic_pattern.starts_with("^") ? sc.topic_pattern : "^" + sc.topic_pattern;
      try {
        s.pattern = std::regex(pattern.substr(1), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(Errc::invalid_argument, fmt::format("{}: topic_pattern '{}': {}", sc.at.to_string(), sc.topic_pattern, e.what()));
      }
      subscription.push_back(pattern);
    }
    if (sc.start.kind != cfg.sources.front().start.kind || sc.start.time_ms != cfg.sources.front().start.time_ms) {
      return Error(Errc::invalid_argument,
                   fmt::format("{}: every source of one pipeline starts at the same position (one consumer group)",
                               sc.at.to_string()));
    }
    p->sources_.push_back(std::move(s));
  }
  for (auto& s : p->sources_) {
    for (const auto& topic : s.config->topics) p->topic_sources_[topic] = &s;
  }

  auto kafka = kafka_settings(cfg);
  if (!kafka.ok()) return kafka.error();
  if (!cfg.dead_letters.topic.empty() || !cfg.dead_letters.table.empty()) {
    auto dl = DeadLetters::open(cfg, *kafka, p->session_);
    if (!dl.ok()) return dl.error();
    p->dead_letters_ = std::move(*dl);
  }
  p->writer_ = std::make_unique<Writer>(p->session_, cfg.write);

  if (registry != nullptr) {
    auto m = std::make_unique<Metrics>();
    m->registry = registry;
    auto& rows = registry->counter_family("sluice_rows_written_total", "Rows (upserts and deletes) acknowledged by Cassandra", {"table"});
    auto& latency = registry->histogram_family("sluice_write_latency_seconds", "Time from sending a write to its acknowledgement", {"table"},
                                               {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    auto& batch = registry->histogram_family("sluice_batch_rows", "Rows per write request", {"table"}, {1, 2, 4, 8, 16, 32, 64, 128});
    for (const auto& t : p->sinks_) {
      auto name = t->config().qualified_table();
      m->tables[t.get()] = {&rows.with({name}), &latency.with({name}), &batch.with({name})};
    }
    auto& failures = registry->counter_family("sluice_record_failures_total", "Records that failed, by class", {"class"});
    for (int c = 0; c < 4; ++c) m->failures[c] = &failures.with({std::string(failure_class_name(static_cast<FailureClass>(c)))});
    m->dead_letters = &registry->counter("sluice_dead_letters_total", "Dead letters acknowledged by every destination");
    m->commits = &registry->counter("sluice_offset_commits_total", "Offset commits");
    m->buffered = &registry->gauge("sluice_buffered_records", "Records read and not yet finished");
    m->in_flight = &registry->gauge("sluice_write_requests_in_flight", "Write requests outstanding to Cassandra");
    m->window = &registry->gauge("sluice_write_window", "The adaptive limit on write requests in flight");
    m->paused = &registry->gauge("sluice_consumption_paused", "1 while consumption is paused for backpressure");
    m->end_to_end = &registry->histogram(
        "sluice_end_to_end_latency_seconds",
        "From a record's Kafka timestamp to Cassandra acknowledging its row (produce, broker, poll, write)", {},
        {0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
         0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30, 60});
    m->retries = &registry->counter("sluice_write_retries_total", "Write requests sent again after a passing failure");
    m->splits = &registry->counter("sluice_write_batch_splits_total",
                                   "Batches split into single rows to find the row Cassandra refused");
    m->lag = &registry->gauge_family("sluice_consumer_lag", "Records in Kafka not yet read, per assigned partition", {"topic", "partition"});
    p->metrics_ = std::move(m);
  }

  kafka::ConsumerOptions consumer_options{.group_id = cfg.kafka.group_id, .listener = p.get()};
  if (!cfg.sources.empty()) {
    const auto& start = cfg.sources.front().start;
    consumer_options.start = start.kind == config::StartPosition::Kind::earliest ? kafka::ConsumerOptions::Start::earliest
                             : start.kind == config::StartPosition::Kind::latest ? kafka::ConsumerOptions::Start::latest
                                                                                 : kafka::ConsumerOptions::Start::time;
    consumer_options.start_time_ms = start.time_ms;
  }
  auto consumer = kafka::Consumer::create(*kafka, consumer_options);
  if (!consumer.ok()) return consumer.error();
  p->consumer_ = std::move(*consumer);
  if (auto st = p->consumer_->subscribe(subscription); !st.ok()) return st.error();
  spdlog::info("pipeline {}: {} source(s), {} sink(s), group {}", cfg.name, p->sources_.size(), p->sinks_.size(),
               cfg.kafka.group_id);
  return p;
}

SinkPipeline::~SinkPipeline() {
  if (consumer_) consumer_->close();
  writer_.reset();
  dead_letters_.reset();
  if (session_) session_->close();
}

SinkPipeline::Source* SinkPipeline::source_for(std::string_view topic) {
  if (auto it = topic_sources_.find(topic); it != topic_sources_.end()) return it->second;
  for (auto& s : sources_) {
    if (s.pattern && std::regex_search(std::string(topic), *s.pattern, std::regex_constants::match_continuous)) {
      topic_sources_[std::string(topic)] = &s;
      return &s;
    }
  }
  return nullptr;
}

void SinkPipeline::fail(std::uint64_t chunk, const RecordView& record, Failure failure) {
  ++stats_.failures[static_cast<int>(failure.kind)];
  if (metrics_) metrics_->failures[static_cast<int>(failure.kind)]->inc();
  // The record stays pending until its dead letter is acknowledged; when the policy stops the
  // pipeline it stays pending for ever, so no commit passes it.
  tracker_.add_pending(chunk);
  const auto policy = config_.error_policy;
  const bool tolerated = policy == config::ErrorPolicy::all ||
                         (policy == config::ErrorPolicy::driver && failure.kind == FailureClass::write);
  if (!tolerated || !dead_letters_) {
    if (!fatal_) {
      fatal_ = Error(Errc::invalid_argument,
                     fmt::format("{}[{}]@{}: {} failure: {} (error_policy {} stops the pipeline here; nothing after "
                                 "this record is committed)",
                                 record.topic, record.partition, record.offset, failure_class_name(failure.kind),
                                 failure.message, config::error_policy_name(policy)));
    }
    return;
  }
  dead_letters_->send(DeadRecord::of(record), std::move(failure), [this, chunk] {
    tracker_.done(chunk);
    ++stats_.dead_letters;
    if (metrics_) metrics_->dead_letters->inc();
  });
}

void SinkPipeline::process(kafka::Message message) {
  kafka::TopicPartition tp{std::string(message.topic()), message.partition()};
  auto owner = assigned_.find(tp);
  if (owner == assigned_.end()) return;  // a record of a partition already given away: not ours to write
  if (open_chunk_ == 0) {
    open_chunk_ = tracker_.open();
    chunk_records_.push_back(ChunkRecords{open_chunk_, {}});
  }
  const std::uint64_t chunk = open_chunk_;
  auto& records = chunk_records_.back().messages;
  tracker_.record(chunk, tp, message.offset(), owner->second);
  delivered_.insert(tp);
  ++stats_.records;
  const auto index = static_cast<std::uint32_t>(records.size());
  records.push_back(std::move(message));
  const RecordView record = RecordView::of(records.back());
  if (metrics_) metrics_->records_of(record.topic).inc();

  Source* source = source_for(record.topic);
  if (source == nullptr) {
    fail(chunk, record, Failure{FailureClass::mapping, "no source reads this topic", ""});
    return;
  }
  if (auto st = source->decoder->decode(record, source->needs_key, source->needs_value); !st.ok()) {
    fail(chunk, record, Failure{FailureClass::decode, st.error().message(), ""});
    return;
  }
  const auto now = now_ms();
  for (const TableSink* sink : source->sinks) {
    auto row = sink->build(*source->decoder, record, now);
    if (!row.ok()) {
      fail(chunk, record,
           Failure{static_cast<FailureClass>(row.error().detail()),
                   fmt::format("table {}: {}", sink->config().qualified_table(), row.error().message()),
                   sink->upsert_cql()});
      continue;
    }
    if (row->kind == RowWrite::Kind::skip) {
      ++stats_.skipped;
      if (metrics_) {
        auto key = std::make_pair(sink, row->skip_reason);
        auto it = metrics_->skipped.find(key);
        if (it == metrics_->skipped.end()) {
          auto& c = metrics_->registry
                        ->counter_family("sluice_rows_skipped_total", "Rows not written: expired, or tombstones with deletes off",
                                         {"table", "reason"})
                        .with({sink->config().qualified_table(), std::string(row->skip_reason)});
          it = metrics_->skipped.emplace(key, &c).first;
        }
        it->second->inc();
      }
      continue;
    }
    if (row->kind == RowWrite::Kind::remove) ++stats_.rows_deleted;
    tracker_.add_pending(chunk);
    writer_->add(*sink, std::move(*row), RowRef{chunk, index});
  }
}

const kafka::Message* SinkPipeline::message_of(const RowRef& ref) const {
  if (chunk_records_.empty() || ref.chunk < chunk_records_.front().chunk) return nullptr;
  const auto& c = chunk_records_[ref.chunk - chunk_records_.front().chunk];
  return ref.record < c.messages.size() ? &c.messages[ref.record] : nullptr;
}

void SinkPipeline::handle(std::vector<Writer::Outcome>& outcomes) {
  for (auto& o : outcomes) {
    if (!o.error) {
      stats_.rows_written += o.rows.size();
      if (metrics_) {
        auto& t = metrics_->tables[o.sink];
        t.rows->inc(o.rows.size());
        t.latency->observe(std::chrono::duration<double>(o.latency).count());
        t.batch_rows->observe(static_cast<double>(o.batch_rows));
        const auto now = now_ms();
        for (const auto& ref : o.rows) {
          const kafka::Message* m = message_of(ref);
          if (m != nullptr && m->timestamp_ms() > 0) {
            metrics_->end_to_end->observe(static_cast<double>(now - m->timestamp_ms()) / 1000.0);
          }
        }
      }
      for (const auto& ref : o.rows) tracker_.done(ref.chunk);
      continue;
    }
    for (const auto& ref : o.rows) {
      const kafka::Message* m = message_of(ref);
      if (o.fatal) {
        if (!fatal_) {
          fatal_ = Error(o.error->code(), fmt::format("table {}: {} (\"{}\"); the pipeline stops",
                                                      o.sink->config().qualified_table(), o.error->message(), o.statement));
        }
        continue;  // stays pending: nothing past it is committed
      }
      if (m != nullptr) {
        fail(ref.chunk, RecordView::of(*m),
             Failure{FailureClass::write,
                     fmt::format("table {}: {}", o.sink->config().qualified_table(), o.error->message()), o.statement});
      }
      tracker_.done(ref.chunk);
    }
  }
  outcomes.clear();
}

void SinkPipeline::seal_chunk() {
  if (open_chunk_ == 0) return;
  tracker_.seal(open_chunk_);
  open_chunk_ = 0;
  writer_->flush();
}

void SinkPipeline::service() {
  writer_->pump(outcomes_);
  handle(outcomes_);
  if (dead_letters_) dead_letters_->poll();
  if (auto st = commit(false); !st.ok()) spdlog::warn("offset commit failed ({}); will try again", st.error().message());
  if (metrics_) {
    metrics_->buffered->set(static_cast<double>(tracker_.buffered_records()));
    metrics_->in_flight->set(static_cast<double>(writer_->in_flight()));
    metrics_->window->set(static_cast<double>(writer_->stats().window));
    metrics_->paused->set(paused_ ? 1 : 0);
    const auto& w = writer_->stats();
    metrics_->retries->inc(w.retries - metrics_->reported.retries);
    metrics_->splits->inc(w.splits - metrics_->reported.splits);
    metrics_->reported = w;
  }
}

Status SinkPipeline::commit(bool force) {
  for (const auto& [tp, next] : tracker_.take_finished()) committable_[tp] = next;
  while (!chunk_records_.empty() && chunk_records_.front().chunk < tracker_.oldest()) chunk_records_.pop_front();
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_commit_ < std::chrono::milliseconds(config_.write.commit_interval_ms)) return {};
  last_commit_ = now;
  std::vector<std::pair<kafka::TopicPartition, std::int64_t>> list;
  for (auto it = committable_.begin(); it != committable_.end();) {
    auto owner = assigned_.find(it->first);
    if (owner == assigned_.end() || owner->second != it->second.epoch) {
      it = committable_.erase(it);  // read under an assignment we no longer hold: never commit it
      continue;
    }
    // Periodic commits send only what moved; a forced one (revoke, stop) sends everything, so an
    // asynchronous commit that failed unseen is made good.
    if (force || it->second.offset > committed_[it->first]) list.emplace_back(it->first, it->second.offset);
    ++it;
  }
  if (metrics_) {
    for (const auto& l : consumer_->lag()) {
      if (l.position >= 0 && l.high_watermark >= 0) {
        metrics_->lag->with({l.partition.topic, std::to_string(l.partition.partition)})
            .set(static_cast<double>(l.high_watermark - l.position));
      }
    }
  }
  if (list.empty()) return {};
  // Periodic commits are asynchronous: the loop does not wait for the coordinator's answer.
  SLUICE_TRY(consumer_->commit_next(list, /*async=*/!force));
  for (const auto& [tp, offset] : list) committed_[tp] = offset;
  ++stats_.commits;
  if (metrics_) metrics_->commits->inc();
  return {};
}

void SinkPipeline::drain(std::chrono::milliseconds limit) {
  seal_chunk();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!tracker_.all_finished() && !fatal_ && std::chrono::steady_clock::now() < deadline) {
    service();
    if (!tracker_.all_finished()) writer_->wait(std::chrono::milliseconds(5));
  }
  service();
}

void SinkPipeline::on_assigned(const std::vector<kafka::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    assigned_[tp] = next_epoch_++;
    committed_.erase(tp);
  }
  spdlog::info("assigned {} partition(s); {} in all", partitions.size(), assigned_.size());
  ready_ = true;
}

// Pauses only partitions that have delivered a record under this assignment, and resumes exactly
// those it paused: librdkafka 2.0 (Debian 12) resumes a partition paused before its first record
// from auto.offset.reset (which is "error" here: the pipeline would stop), and resuming one that
// was not paused can rewind it (librdkafka issues 1307, 4637). A partition that delivers its first
// record while the pipeline is paused is paused on the next pass.
void SinkPipeline::apply_backpressure(std::size_t max_buffered) {
  const auto buffered = tracker_.buffered_records();
  if (!paused_ && buffered >= max_buffered) {
    paused_ = true;
    ++stats_.pauses;
    spdlog::info("{} records read and not yet written: consumption paused", buffered);
  } else if (paused_ && buffered < max_buffered / 2) {
    paused_ = false;
    std::vector<kafka::TopicPartition> resume(paused_partitions_.begin(), paused_partitions_.end());
    if (auto st = consumer_->resume(resume); !st.ok()) spdlog::warn("resume: {}", st.error().message());
    paused_partitions_.clear();
    spdlog::info("consumption resumed");
    return;
  }
  if (!paused_) return;
  std::vector<kafka::TopicPartition> more;
  for (const auto& tp : delivered_) {
    if (paused_partitions_.insert(tp).second) more.push_back(tp);
  }
  if (!more.empty()) {
    if (auto st = consumer_->pause(more); !st.ok()) spdlog::warn("pause: {}", st.error().message());
  }
}

void SinkPipeline::on_revoked(const std::vector<kafka::TopicPartition>& partitions, bool lost) {
  if (!lost) {
    // Finish what was read from them and commit it before another member takes over.
    drain(kRevokeDrainLimit);
    if (auto st = commit(true); !st.ok()) spdlog::warn("commit on revoke failed: {}", st.error().message());
  }
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    committable_.erase(tp);
    committed_.erase(tp);
    delivered_.erase(tp);
    paused_partitions_.erase(tp);
  }
  spdlog::info("{} {} partition(s); {} left", lost ? "lost" : "revoked", partitions.size(), assigned_.size());
}

Status SinkPipeline::run(const std::atomic<bool>& stop) {
  last_commit_ = std::chrono::steady_clock::now();
  const std::size_t max_buffered = config_.write.max_buffered_records;
  while (!stop.load() && !fatal_) {
    service();
    apply_backpressure(max_buffered);
    const bool busy = !writer_->idle() || (dead_letters_ && dead_letters_->pending() > 0);
    auto started = std::chrono::steady_clock::now();
    std::size_t n = 0;
    while (n < kMaxChunkRecords) {
      auto timeout = n == 0 && !busy ? std::chrono::milliseconds(100) : std::chrono::milliseconds(0);
      auto message = consumer_->poll(timeout);
      if (!message) break;
      if (auto error = message->error()) {
        if (kafka::is_offset_out_of_range(*error)) {
          fatal_ = Error(Errc::invalid_argument,
                         fmt::format("{}[{}]: {}: the offset to read is out of range (records were deleted by "
                                     "retention before they were read?). sluice does not skip silently: reset the "
                                     "group's offsets deliberately (kafka-consumer-groups --reset-offsets) and restart",
                                     message->topic(), message->partition(), error->message()));
          break;
        }
        spdlog::warn("kafka: {}", error->message());
        continue;
      }
      process(std::move(*message));
      ++n;
      if (std::chrono::steady_clock::now() - started > kMaxChunkTime) break;
    }
    seal_chunk();
    if (n == 0 && busy) {
      writer_->pump(outcomes_);
      handle(outcomes_);
      writer_->wait(std::chrono::milliseconds(2));
    }
  }
  // Stopping: finish what was read, commit it, leave the group.
  if (!fatal_) drain(kStopDrainLimit);
  if (auto st = commit(true); !st.ok()) spdlog::warn("final commit failed: {}", st.error().message());
  consumer_->close();
  if (fatal_) return *fatal_;
  return {};
}

}  // namespace sluice::sink
