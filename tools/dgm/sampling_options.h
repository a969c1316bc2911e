#pragma once
// Options shared by every command that runs a sampler (dgm sample, dgm marginals --method
// SAMPLER): the sampler and its configuration file, the run's size, the initial states, threads.
#include <CLI/CLI.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dgm.h"

namespace dgm::cli {

struct SamplingOptions {
  std::string sampler = "gibbs";
  std::string config;  // SamplerConfig in protobuf text
  std::int32_t chains = 64;
  std::int64_t sweeps = 1000;
  std::int64_t burn_in = 0;
  std::int64_t thin = 1;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string init_rows;  // .npy of states: chain b starts from row b mod rows
  std::string resume;     // samples .npy of an earlier run: each chain continues from its last row

  // Adds the options; `with_sampler_flag` adds --sampler (dgm marginals uses --method).
  void add_to(CLI::App& cmd, bool with_sampler_flag);

  // These options with the run settings of `config` filled in where no flag was given.
  SamplingOptions merged_with(const proto::RunConfig& config) const;

 private:
  CLI::Option *chains_flag_ = nullptr, *sweeps_flag_ = nullptr, *burn_in_flag_ = nullptr,
              *thin_flag_ = nullptr, *seed_flag_ = nullptr, *threads_flag_ = nullptr;
};

struct SamplingRun {
  proto::SamplerConfig config;  // with the run settings actually used
  std::string sampler_name;
  bool has_acceptance = false;
  std::vector<inference::SamplerFigure> figures;  // the sampler's own, at the end of the run
  inference::Chains chains;
  inference::RunSummary summary;
};

// Builds the sampler (flags override the configuration file), initialises the chains, and runs
// them with `observers` plus a progress bar and Ctrl-C handling.
SamplingRun run_sampling(const engine::CompiledModel& model, const SamplingOptions& options,
                         std::span<inference::RunObserver* const> observers);

}  // namespace dgm::cli
