// `sluice run pipeline.yaml`, `sluice check pipeline.yaml`, `sluice dlq list|redrive pipeline.yaml` and
// `sluice import-connect connector.json`.
//
// run: starts the sink pipeline (src/sink) and the admin endpoints (/metrics, /health, /ready),
// runs until SIGINT or SIGTERM, then drains, commits and leaves the group. Exit 0 after a clean
// stop; 1 on a start-up error or a fatal pipeline error (nothing after the failed record is
// committed).
// check: parses the file, connects to Cassandra and validates every sink against the live
// schema (prepares nothing, writes nothing). Prints every problem; exit 0 only when none.
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "app/commands.h"
#include "config/pipeline.h"
#include "connect/import.h"
#include "http/admin.h"
#include "http/server.h"
#include "metrics/registry.h"
#include "sink/connections.h"
#include "sink/pipeline.h"
#include "sink/redrive.h"

namespace sluice::app {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int /*sig*/) { g_stop.store(true); }

int check(const std::string& file) {
  auto pipeline = config::load_pipeline(file);
  if (!pipeline.ok()) {
    std::cerr << pipeline.error().message() << "\n";
    return 1;
  }
  auto options = sink::session_options(*pipeline);
  if (!options.ok()) {
    std::cerr << options.error().message() << "\n";
    return 1;
  }
  auto session = cql::Session::connect(std::move(*options));
  if (!session.ok()) {
    std::cerr << "cassandra: " << session.error().message() << "\n";
    return 1;
  }
  auto sinks = sink::compile_sinks(*pipeline, **session, true);
  (*session)->close();
  if (!sinks.ok()) {
    std::cerr << sinks.error().message() << "\n";
    return 1;
  }
  std::cout << fmt::format("{}: ok ({} source(s), {} sink(s))\n", file, pipeline->sources.size(), sinks->size());
  for (const auto& s : *sinks) std::cout << "  " << s->upsert_cql() << "\n";
  return 0;
}

int run(const std::string& file) {
  auto pipeline = config::load_pipeline(file);
  if (!pipeline.ok()) {
    std::cerr << pipeline.error().message() << "\n";
    return 1;
  }
  const auto admin = pipeline->admin;
  metrics::Registry registry;
  registry.with_process_metrics();
  auto p = sink::SinkPipeline::start(std::move(*pipeline), &registry);
  if (!p.ok()) {
    std::cerr << "sluice run: " << p.error().message() << "\n";
    return 1;
  }
  std::unique_ptr<http::Server> server;
  if (admin.enabled) {
    http::Router router;
    auto* pipe = p->get();
    http::AdminEndpoints{registry, {},
                         [pipe] {
                           return pipe->ready() ? http::Probe{true, "partitions assigned"}
                                                : http::Probe{false, "waiting for partitions"};
                         }}
        .add_to(router);
    auto started = http::Server::start({.address = admin.address, .port = admin.port}, std::move(router));
    if (!started.ok()) {
      std::cerr << "sluice run: admin endpoints on " << admin.address << ":" << admin.port << ": "
                << started.error().message() << "\n";
      return 1;
    }
    server = std::move(*started);
    std::cerr << fmt::format("admin endpoints on http://{}:{}/metrics\n", admin.address, server->port());
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto st = (*p)->run(g_stop);
  const auto& s = (*p)->stats();
  std::cerr << fmt::format("stopped: {} records, {} rows written, {} skipped, {} dead letters, {} commits\n", s.records,
                           s.rows_written, s.skipped, s.dead_letters, s.commits);
  if (!st.ok()) {
    std::cerr << "sluice run: " << st.error().message() << "\n";
    return 1;
  }
  return 0;
}

// Connects to the pipeline's Cassandra for the dlq commands.
Result<std::pair<config::Pipeline, std::shared_ptr<cql::Session>>> open_pipeline(const std::string& file) {
  auto pipeline = config::load_pipeline(file);
  if (!pipeline.ok()) return pipeline.error();
  auto options = sink::session_options(*pipeline);
  if (!options.ok()) return options.error();
  auto session = cql::Session::connect(std::move(*options));
  if (!session.ok()) return Error(session.error().code(), "cassandra: " + session.error().message());
  return std::make_pair(std::move(*pipeline), std::move(*session));
}

int dlq_list(const std::string& file, const std::string& error_class, std::size_t limit) {
  auto opened = open_pipeline(file);
  if (!opened.ok()) {
    std::cerr << opened.error().message() << "\n";
    return 1;
  }
  auto& [pipeline, session] = *opened;
  auto rows = sink::list_dead_letters(pipeline, *session, error_class, limit);
  if (!rows.ok()) {
    std::cerr << rows.error().message() << "\n";
    return 1;
  }
  for (const auto& r : *rows) {
    std::cout << fmt::format("{}\t{}[{}]@{}\t{}\n", r.error_class, r.topic, r.partition, r.offset, r.error_message);
  }
  std::cerr << fmt::format("{} dead letter(s){}\n", rows->size(), rows->size() == limit ? " (limit reached)" : "");
  return 0;
}

int dlq_redrive(const std::string& file, const std::string& error_class) {
  auto opened = open_pipeline(file);
  if (!opened.ok()) {
    std::cerr << opened.error().message() << "\n";
    return 1;
  }
  auto& [pipeline, session] = *opened;
  auto report = sink::redrive_dead_letters(pipeline, *session, error_class);
  if (!report.ok()) {
    std::cerr << report.error().message() << "\n";
    return 1;
  }
  for (const auto& f : report->failures) std::cerr << "still failing: " << f << "\n";
  std::cout << fmt::format("redrive {}: {} landed, {} still failing\n", error_class, report->landed,
                           report->failed_again);
  return report->failed_again == 0 ? 0 : 2;
}

int import_connect(const std::string& file, const std::string& out_file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << file << "\n";
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto result = connect::import_connector_config(text, file);
  if (!result.ok()) {
    std::cerr << result.error().message() << "\n";
    return 1;
  }
  if (out_file.empty()) {
    std::cout << result->pipeline_yaml;
  } else {
    std::ofstream(out_file, std::ios::binary) << result->pipeline_yaml;
    std::cerr << "wrote " << out_file << "\n";
  }
  for (const auto& n : result->notes) std::cerr << "note: " << n << "\n";
  for (const auto& u : result->untranslated) std::cerr << "not translated: " << u << "\n";
  return 0;
}

}  // namespace

void add_run_commands(CLI::App& app, int& exit_code) {
  static std::string run_file, check_file;
  auto* r = app.add_subcommand("run", "Run a pipeline file until SIGINT/SIGTERM (docs/pipeline.md)");
  r->add_option("pipeline", run_file, "The pipeline file (YAML)")->required();
  r->callback([&exit_code] { exit_code = run(run_file); });
  auto* c = app.add_subcommand("check", "Validate a pipeline file against the live Cassandra schema");
  c->add_option("pipeline", check_file, "The pipeline file (YAML)")->required();
  c->callback([&exit_code] { exit_code = check(check_file); });
  static std::string connect_file, connect_out;
  auto* i = app.add_subcommand("import-connect",
                               "Turn a Kafka Connect Cassandra-sink configuration (DataStax or Lenses; .properties "
                               "or .json) into a pipeline file, and say what could not be translated");
  i->add_option("connector", connect_file, "The connector configuration")->required();
  i->add_option("-o,--output", connect_out, "Write the pipeline file here (default: standard output)");
  i->callback([&exit_code] { exit_code = import_connect(connect_file, connect_out); });

  static std::string dlq_file, dlq_class;
  static std::size_t dlq_limit = 1000;
  auto* dlq = app.add_subcommand("dlq", "Dead letters in the pipeline's dead-letter table");
  dlq->require_subcommand(1);
  auto* list = dlq->add_subcommand("list", "List dead letters (class, source, reason)");
  list->add_option("pipeline", dlq_file, "The pipeline file")->required();
  list->add_option("--error", dlq_class, "Only this class: decode, convert, mapping, write");
  list->add_option("--limit", dlq_limit, "At most this many")->capture_default_str();
  list->callback([&exit_code] { exit_code = dlq_list(dlq_file, dlq_class, dlq_limit); });
  auto* redrive = dlq->add_subcommand("redrive",
                                      "Re-process the dead letters of one class with the pipeline file as it is now; "
                                      "those that land are removed (exit 2 if some still fail)");
  redrive->add_option("pipeline", dlq_file, "The pipeline file")->required();
  redrive->add_option("--error", dlq_class, "The class: decode, convert, mapping, write")->required();
  redrive->callback([&exit_code] { exit_code = dlq_redrive(dlq_file, dlq_class); });
}

}  // namespace sluice::app
