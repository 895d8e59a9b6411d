#include "sink/redrive.h"

#include <algorithm>
#include <map>
#include <regex>

#include <fmt/format.h>

#include "sink/decoder.h"
#include "sink/pipeline.h"
#include "sink/table_sink.h"

namespace sluice::sink {

namespace {

constexpr std::string_view kClasses[] = {"decode", "convert", "mapping", "write"};

Status require_table(const config::Pipeline& p) {
  if (p.dead_letters.table.empty()) {
    return Error(Errc::invalid_argument,
                 fmt::format("{}: dead_letters.table is not set: sluice dlq reads the dead-letter table", p.file));
  }
  return {};
}

// A dead letter row, with what redrive needs to rebuild the record.
struct StoredLetter {
  DeadLetterRow row;
  std::int64_t timestamp_ms = -1;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::string>> headers;
};

template <class F>
Status for_each_letter(const config::Pipeline& p, cql::Session& session, const std::string& error_class, F&& f) {
  SLUICE_TRY(require_table(p));
  std::vector<std::string> classes;
  if (error_class.empty()) {
    classes.assign(std::begin(kClasses), std::end(kClasses));
  } else {
    classes.push_back(error_class);
  }
  for (const auto& c : classes) {
    cql::Statement query(fmt::format("SELECT error_class, topic, partition, offset, error_message, statement, "
                                     "record_timestamp, key, value, headers FROM {} WHERE pipeline = ? AND "
                                     "error_class = ?",
                                     p.dead_letters.table),
                         {p.name, c});
    Status inner;
    auto st = session.pages(std::move(query)).for_each([&](const cql::Row& r) {
      if (!inner.ok()) return;
      StoredLetter l;
      l.row.error_class = r.get<std::string>(0).value();
      l.row.topic = r.get<std::string>(1).value();
      l.row.partition = r.get<std::int32_t>(2).value();
      l.row.offset = r.get<std::int64_t>(3).value();
      if (auto m = r.get<std::string>(4); m.ok()) l.row.error_message = *m;
      if (auto s = r.get<std::string>(5); s.ok()) l.row.statement = *s;
      if (auto t = r.get<cql::Timestamp>(6); t.ok()) l.timestamp_ms = t->millis;
      if (auto k = r.get<cql::Blob>(7); k.ok()) l.key = k->bytes;
      if (auto v = r.get<cql::Blob>(8); v.ok()) l.value = v->bytes;
      if (auto h = r.get<cql::Map>(9); h.ok()) {
        for (const auto& [name, value] : h->entries) {
          if (std::holds_alternative<std::string>(name) && std::holds_alternative<cql::Blob>(value)) {
            l.headers.emplace_back(std::get<std::string>(name), std::get<cql::Blob>(value).bytes);
          }
        }
      }
      inner = f(std::move(l));
    });
    SLUICE_TRY(st);
    SLUICE_TRY(inner);
  }
  return {};
}

}  // namespace

Result<std::vector<DeadLetterRow>> list_dead_letters(const config::Pipeline& pipeline, cql::Session& session,
                                                     const std::string& error_class, std::size_t limit) {
  std::vector<DeadLetterRow> out;
  SLUICE_TRY(for_each_letter(pipeline, session, error_class, [&](StoredLetter l) -> Status {
    if (out.size() < limit) out.push_back(std::move(l.row));
    return {};
  }));
  return out;
}

Result<RedriveReport> redrive_dead_letters(const config::Pipeline& pipeline, cql::Session& session,
                                           const std::string& error_class) {
  if (error_class.empty()) return Error(Errc::invalid_argument, "redrive needs an error class (--error)");
  auto sinks = compile_sinks(pipeline, session, true);
  if (!sinks.ok()) return sinks.error();
  std::map<std::string, std::unique_ptr<SourceDecoder>> decoders;
  for (const auto& s : pipeline.sources) {
    auto d = SourceDecoder::make(s);
    if (!d.ok()) return d.error();
    decoders[s.name] = std::move(*d);
  }
  auto remove = session.prepare(fmt::format(
      "DELETE FROM {} WHERE pipeline = ? AND error_class = ? AND topic = ? AND partition = ? AND offset = ?",
      pipeline.dead_letters.table));
  if (!remove.ok()) return remove.error();

  RedriveReport report;
  auto failed = [&](const DeadLetterRow& row, const std::string& why) {
    ++report.failed_again;
    if (report.failures.size() < 20) {
      report.failures.push_back(fmt::format("{}[{}]@{}: {}", row.topic, row.partition, row.offset, why));
    }
  };
  // Collected first: deleting while paging the same partition would move the pages.
  std::vector<StoredLetter> letters;
  SLUICE_TRY(for_each_letter(pipeline, session, error_class, [&](StoredLetter l) -> Status {
    letters.push_back(std::move(l));
    return {};
  }));
  for (auto& l : letters) {
    const config::SourceConfig* source = nullptr;
    for (const auto& s : pipeline.sources) {
      bool named = std::find(s.topics.begin(), s.topics.end(), l.row.topic) != s.topics.end();
      bool matched = !s.topic_pattern.empty() &&
                     std::regex_search(l.row.topic, std::regex(s.topic_pattern.starts_with("^") ? s.topic_pattern.substr(1)
                                                                                              : s.topic_pattern),
                                       std::regex_constants::match_continuous);
      if (named || matched) source = &s;
    }
    if (source == nullptr) {
      failed(l.row, "no source of the pipeline reads this topic");
      continue;
    }
    RecordView record{l.row.topic, l.row.partition, l.row.offset, l.timestamp_ms, std::nullopt, std::nullopt, {}};
    if (l.key) record.key = *l.key;
    if (l.value) record.value = *l.value;
    for (const auto& [name, value] : l.headers) record.headers.push_back(kafka::Header{name, value});
    auto& decoder = *decoders[source->name];
    if (auto st = decoder.decode(record, true, true); !st.ok()) {
      failed(l.row, st.error().message());
      continue;
    }
    std::string problem;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const auto& sink : *sinks) {
      if (sink->config().from != source->name || !problem.empty()) continue;
      auto row = sink->build(decoder, record, now);
      if (!row.ok()) {
        problem = row.error().message();
        break;
      }
      if (row->kind == RowWrite::Kind::skip) continue;
      const auto& stmt = row->kind == RowWrite::Kind::remove ? sink->delete_statement() : sink->upsert_statement();
      auto written = session.execute(cql::Statement(stmt, std::move(row->values))
                                         .set_consistency(sink->config().consistency)
                                         .set_idempotent(!sink->config().counters_at_least_once));
      if (!written.ok()) problem = fmt::format("table {}: {}", sink->config().qualified_table(), written.error().message());
    }
    if (!problem.empty()) {
      failed(l.row, problem);
      continue;
    }
    auto deleted = session.execute(cql::Statement(*remove, {pipeline.name, l.row.error_class, l.row.topic,
                                                            l.row.partition, l.row.offset})
                                       .set_idempotent());
    if (!deleted.ok()) return deleted.error();
    ++report.landed;
  }
  return report;
}

}  // namespace sluice::sink
