#pragma once
// Options shared by every command that runs a sampler (dgm sample, dgm marginals --method
// SAMPLER): the sampler and its configuration file, the run's size, the initial states, threads,
// resuming. A thin shell over inference::Session, which owns the sampler, the chains and the
// random streams' positions.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dgm.h"
#include "inference/metrics/convergence_monitor.h"
#include "inference/session/session.h"

namespace dgm::cli {

struct SamplingOptions {
  // Empty: the backend --config selects, else gibbs.
  std::string sampler;
  std::string config;  // SamplerConfig in protobuf text
  std::int32_t chains = 64;
  std::int64_t sweeps = 1000;
  std::int64_t burn_in = 0;
  std::int64_t thin = 1;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string init_rows;  // .npy of states: chain b starts from row b mod rows
  // Caps on chains × variables and memory: the command copies them from its model flags.
  engine::ResourceLimits limits;
  // A saved session (SESSION file, or a samples file with SAMPLES.session beside it): the run
  // continues it.
  std::string resume;
  // The floor under which the effective sample size of f(x) draws a warning (docs/evaluation.md).
  double min_ess = 100;

  // Adds the options; `with_sampler_flag` adds --sampler (dgm marginals uses --method).
  void add_to(CLI::App& cmd, bool with_sampler_flag);

  // These options with the run settings of `config` filled in where no flag was given.
  SamplingOptions merged_with(const proto::RunConfig& config) const;

  // Which run-setting flags were given on the command line.
  bool given(const CLI::Option* flag) const { return flag != nullptr && flag->count() > 0; }

  CLI::Option *chains_flag = nullptr, *sweeps_flag = nullptr, *burn_in_flag = nullptr,
              *thin_flag = nullptr, *seed_flag = nullptr, *threads_flag = nullptr,
              *config_flag = nullptr, *sampler_flag = nullptr, *min_ess_flag = nullptr;
};

// The session file kept beside a samples file.
std::string session_path_for(const std::string& samples_path);

// A session ready to run: every input read and every flag checked, nothing written yet.
struct PreparedSession {
  std::unique_ptr<inference::Session> session;
  std::int64_t sweeps = 0;  // to run now
  // When resuming: the saved session's file, and the samples file it belongs to ("" when the
  // resume argument was a session file) with the rows it held when saved.
  std::string resumed_from;
  std::string resumed_samples;
  std::int64_t resumed_rows = 0;
};

PreparedSession prepare_session(const engine::CompiledModel& model, const SamplingOptions& options);

// Runs the session with `observers`, a progress bar and Ctrl-C handling. `checkpoint` (may be
// empty) is where the session is saved: before the first sweep, every minute, and at the end
// (also after Ctrl-C).
// `output_rows` reports the rows of the samples file, recorded in the checkpoint.
inference::RunSummary run_session(inference::Session& session, std::int64_t sweeps,
                                  std::span<inference::RunObserver* const> observers,
                                  const std::string& checkpoint = "",
                                  const std::function<std::int64_t()>& output_rows = {});

struct SamplingRun {
  proto::SamplerConfig config;  // with the run settings actually used
  std::string sampler_name;
  bool has_acceptance = false;
  std::vector<inference::SamplerFigure> figures;  // the sampler's own, at the end of the run
  inference::Chains chains;
  inference::RunSummary summary;
  // Split-R̂ and ESS of this run's kept samples (run_sampling fills it; dgm sample runs its own
  // monitor).
  inference::ConvergenceReport convergence;
};

// prepare_session + run_session, for commands that keep no files (dgm marginals --method),
// with a ConvergenceMonitor beside `observers`.
SamplingRun run_sampling(const engine::CompiledModel& model, const SamplingOptions& options,
                         std::span<inference::RunObserver* const> observers);

// What a finished session ran with, for reports.
SamplingRun describe_run(const inference::Session& session, const inference::RunSummary& summary,
                         std::int64_t sweeps);

}  // namespace dgm::cli
