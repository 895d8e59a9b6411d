// Subcommand registration. Each add_*_command adds its subcommand(s) to the CLI app and returns
// the exit code of the run through `exit_code` once CLI11 has parsed and called back.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::app {

void add_local_command(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_run_commands(CLI::App& app, int& exit_code);  // run, check, dlq, import-connect

}  // namespace sluice::app
