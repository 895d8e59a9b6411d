#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "base/log.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "dev"
#endif

namespace {

int run(int argc, char** argv) {
  CLI::App app{"sluice: real-time event pipelines from Apache Kafka into Apache Cassandra"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::printf("sluice %s\n", SLUICE_VERSION); });
  sluice::app::add_local_command(app, exit_code);
  sluice::app::add_demo_command(app, exit_code);
  sluice::app::add_bench_command(app, exit_code);
  sluice::app::add_run_commands(app, exit_code);

  app.parse_complete_callback([&] { sluice::init_logging(log_level); });
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // start-up problems only: expected failures are Results
    std::fprintf(stderr, "sluice: %s\n", e.what());
    return 1;
  }
}
