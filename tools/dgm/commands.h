#pragma once
// The subcommands of the dgm program. Each registers itself on the CLI11 app; the program
// touches the library only through dgm.h, as an embedding application would.
#include <CLI/CLI.hpp>

namespace dgm::cli {

void register_check(CLI::App& app);
void register_exact_commands(CLI::App& app);  // marginals, map, logz
void register_convert(CLI::App& app);
void register_sample(CLI::App& app);    // sample
void register_samplers(CLI::App& app);  // samplers: list the registry
void register_learn(CLI::App& app);     // learn: maximum-likelihood training
void register_data(CLI::App& app);      // data mnist|fashion-mnist: prepare datasets
void register_plot(CLI::App& app);      // plot curves|grid: figures (tools/plot/dgm_plot.py)
void register_score(CLI::App& app);     // score: log-likelihood of data, parameter RMSE
void register_compare(CLI::App& app);   // compare: samplers under one budget, ranked

}  // namespace dgm::cli
