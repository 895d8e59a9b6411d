#include "sink/dead_letters.h"

#include <fmt/format.h>

#include <spdlog/spdlog.h>

namespace sluice::sink {

namespace {
constexpr auto kRetryDelay = std::chrono::seconds(1);
}

struct DeadLetters::Letter {
  DeadRecord record;
  Failure failure;
  std::function<void()> done;
  int outstanding = 0;  // destinations not yet acknowledged
  std::int64_t failed_at_ms = 0;
};

DeadRecord DeadRecord::of(const RecordView& r) {
  DeadRecord d{std::string(r.topic), r.partition, r.offset, r.timestamp_ms, std::nullopt, std::nullopt, {}};
  if (r.key) d.key = std::string(*r.key);
  if (r.value) d.value = std::string(*r.value);
  for (const auto& h : r.headers) d.headers.emplace_back(std::string(h.name), h.value ? std::string(*h.value) : "");
  return d;
}

std::string DeadLetters::create_table_cql(const std::string& qualified_table) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (pipeline text, error_class text, topic text, partition int, offset bigint, "
      "key blob, value blob, headers map<text, blob>, record_timestamp timestamp, error_message text, "
      "statement text, failed_at timestamp, PRIMARY KEY ((pipeline, error_class), topic, partition, offset))",
      qualified_table);
}

Result<std::unique_ptr<DeadLetters>> DeadLetters::open(const config::Pipeline& pipeline,
                                                       const kafka::ClientSettings& kafka_settings,
                                                       std::shared_ptr<cql::Session> session) {
  std::unique_ptr<DeadLetters> d(new DeadLetters());
  d->pipeline_ = pipeline.name;
  d->topic_ = pipeline.dead_letters.topic;
  if (!d->topic_.empty()) {
    auto producer = kafka::Producer::create(kafka_settings);
    if (!producer.ok()) return producer.error();
    d->producer_ = std::move(*producer);
  }
  if (!pipeline.dead_letters.table.empty()) {
    d->session_ = std::move(session);
    auto created = d->session_->execute(cql::Statement(create_table_cql(pipeline.dead_letters.table)));
    if (!created.ok()) {
      return Error(created.error().code(), fmt::format("dead-letter table {}: {}", pipeline.dead_letters.table,
                                                       created.error().message()));
    }
    auto insert = d->session_->prepare(fmt::format(
        "INSERT INTO {} (pipeline, error_class, topic, partition, offset, key, value, headers, record_timestamp, "
        "error_message, statement, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        pipeline.dead_letters.table));
    if (!insert.ok()) return insert.error();
    d->insert_ = *insert;
  }
  return d;
}

DeadLetters::~DeadLetters() {
  if (producer_) (void)producer_->flush(std::chrono::seconds(10));
}

void DeadLetters::send(DeadRecord record, Failure failure, std::function<void()> done) {
  auto letter = std::make_shared<Letter>(Letter{std::move(record), std::move(failure), std::move(done), 0,
                                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count()});
  spdlog::warn("dead letter: {}[{}]@{}: {}: {}", letter->record.topic, letter->record.partition, letter->record.offset,
            failure_class_name(letter->failure.kind), letter->failure.message);
  ++pending_;
  letter->outstanding = (producer_ ? 1 : 0) + (session_ ? 1 : 0);
  if (producer_) send_topic(letter);
  if (session_) send_table(letter);
}

void DeadLetters::send_topic(const std::shared_ptr<Letter>& letter) {
  const auto& r = letter->record;
  auto headers = r.headers;
  headers.emplace_back("sluice.error.class", std::string(failure_class_name(letter->failure.kind)));
  headers.emplace_back("sluice.error.message", letter->failure.message);
  headers.emplace_back("sluice.source.topic", r.topic);
  headers.emplace_back("sluice.source.partition", std::to_string(r.partition));
  headers.emplace_back("sluice.source.offset", std::to_string(r.offset));
  headers.emplace_back("sluice.pipeline", pipeline_);
  if (!letter->failure.statement.empty()) headers.emplace_back("sluice.statement", letter->failure.statement);
  std::optional<std::string_view> key, value;
  if (r.key) key = *r.key;
  if (r.value) value = *r.value;
  auto on_delivery = [this, letter](Status st) {
    // Runs inside producer_->poll(), on the pipeline thread.
    if (st.ok()) {
      if (--letter->outstanding == 0) {
        --pending_;
        ++sent_;
        letter->done();
      }
      return;
    }
    spdlog::warn("dead letter to topic {} failed ({}); trying again", topic_, st.error().message());
    retries_.emplace_back(std::chrono::steady_clock::now() + kRetryDelay, [this, letter] { send_topic(letter); });
  };
  auto st = producer_->produce(topic_, key, value, headers, on_delivery);
  if (!st.ok()) {
    spdlog::warn("dead letter to topic {} not queued ({}); trying again", topic_, st.error().message());
    retries_.emplace_back(std::chrono::steady_clock::now() + kRetryDelay, [this, letter] { send_topic(letter); });
  }
}

void DeadLetters::send_table(const std::shared_ptr<Letter>& letter) {
  const auto& r = letter->record;
  cql::Map headers;
  for (const auto& [name, value] : r.headers) headers.entries.emplace_back(name, cql::Blob{value});
  auto opt_blob = [](const std::optional<std::string>& s) -> cql::Value {
    return s ? cql::Value(cql::Blob{*s}) : cql::Value(cql::Null{});
  };
  std::vector<cql::Value> values{pipeline_,
                                 std::string(failure_class_name(letter->failure.kind)),
                                 r.topic,
                                 r.partition,
                                 r.offset,
                                 opt_blob(r.key),
                                 opt_blob(r.value),
                                 std::move(headers),
                                 r.timestamp_ms >= 0 ? cql::Value(cql::Timestamp{r.timestamp_ms}) : cql::Value(cql::Null{}),
                                 letter->failure.message,
                                 letter->failure.statement,
                                 cql::Timestamp{letter->failed_at_ms}};
  auto future = session_->execute_async(cql::Statement(insert_, std::move(values)).set_idempotent());
  std::weak_ptr<Inbox> inbox = inbox_;
  future.then([this, inbox, letter](const Result<cql::ResultSet>& result) {
    auto box = inbox.lock();
    if (!box) return;
    std::function<void()> next;
    if (result.ok()) {
      next = [this, letter] {
        if (--letter->outstanding == 0) {
          --pending_;
          ++sent_;
          letter->done();
        }
      };
    } else {
      auto message = result.error().message();
      next = [this, letter, message] {
        spdlog::warn("dead letter to the table failed ({}); trying again", message);
        retries_.emplace_back(std::chrono::steady_clock::now() + kRetryDelay, [this, letter] { send_table(letter); });
      };
    }
    std::lock_guard lock(box->mu);
    box->items.push_back(std::move(next));
  });
}

void DeadLetters::poll() {
  if (producer_) producer_->poll(std::chrono::milliseconds(0));
  std::vector<std::function<void()>> items;
  {
    std::lock_guard lock(inbox_->mu);
    items.swap(inbox_->items);
  }
  for (auto& f : items) f();
  auto now = std::chrono::steady_clock::now();
  std::vector<std::function<void()>> due;
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->first <= now) {
      due.push_back(std::move(it->second));
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& f : due) f();
}

}  // namespace sluice::sink
