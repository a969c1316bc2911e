#include "tools/dgm/sampling_options.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dgm/session.pb.h"
#include "tools/dgm/convergence_summary.h"
#include "tools/dgm/progress.h"
#include "tools/dgm/text_config.h"

namespace dgm::cli {

void SamplingOptions::add_to(CLI::App& cmd, bool with_sampler_flag) {
  if (with_sampler_flag)
    sampler_flag = cmd.add_option("--sampler", sampler,
                                  "sampler name (see `dgm samplers`); default: the backend "
                                  "--config selects, else gibbs");
  config_flag = cmd.add_option(
      "--config", config,
      "sampler settings: a SamplerConfig in protobuf text (proto/dgm/sampler.proto); flags "
      "given on the command line override its run settings; --sampler must agree with its "
      "backend");
  chains_flag =
      cmd.add_option("--chains", chains, "number of chains run together")->capture_default_str();
  sweeps_flag = cmd.add_option("--sweeps", sweeps,
                               "sweeps to run, burn-in included (one sweep = N site updates); "
                               "with --resume, sweeps to run on top of the saved ones")
                    ->capture_default_str();
  burn_in_flag = cmd.add_option("--burn-in", burn_in, "sweeps discarded before samples are kept")
                     ->capture_default_str();
  thin_flag = cmd.add_option("--thin", thin, "keep every thin-th sweep")->capture_default_str();
  seed_flag = cmd.add_option("--seed", seed, "seed of the random streams")->capture_default_str();
  threads_flag = cmd.add_option("--threads", threads,
                                "worker threads (0: all cores); results do not depend on it")
                     ->capture_default_str();
  min_ess_flag =
      cmd.add_option("--min-ess", min_ess,
                     "warn when the effective sample size of f(x) (the log-potential) is below "
                     "this (Geyer's estimator over all chains; docs/evaluation.md)")
          ->capture_default_str();
  cmd.add_option("--init-rows", init_rows,
                 ".npy of initial states, one row per state; chain b starts from row b mod rows");
  cmd.add_option("--resume", resume,
                 "continue a saved session: a samples file written by dgm sample --out (its "
                 "session is FILE.session beside it; new samples are appended to it unless "
                 "--out names another file) or a .session file; the run draws exactly what one "
                 "uninterrupted run would have drawn");
}

SamplingOptions SamplingOptions::merged_with(const proto::RunConfig& config) const {
  SamplingOptions o = *this;
  if (config.chains() != 0 && !given(chains_flag)) o.chains = config.chains();
  if (config.sweeps() != 0 && !given(sweeps_flag)) o.sweeps = config.sweeps();
  if (config.burn_in() != 0 && !given(burn_in_flag)) o.burn_in = config.burn_in();
  if (config.thin() != 0 && !given(thin_flag)) o.thin = config.thin();
  if (config.seed() != 0 && !given(seed_flag)) o.seed = config.seed();
  if (config.threads() != 0 && !given(threads_flag)) o.threads = config.threads();
  return o;
}

std::string session_path_for(const std::string& samples_path) { return samples_path + ".session"; }

namespace {

proto::SamplerConfig read_config(const std::string& path) {
  return read_text_config<proto::SamplerConfig>(path, "sampler configuration");
}

std::vector<std::int32_t> read_states(const std::string& file, std::int64_t n, std::int64_t& rows) {
  const engine::NpyArray array = engine::read_npy(file, /*allow_integers=*/true);
  if (array.shape.size() != 2 || array.shape[1] != n)
    throw Error(file + ": expected states of shape [rows, " + std::to_string(n) + "]");
  rows = array.shape[0];
  std::vector<std::int32_t> states(array.values.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    const double v = array.values[i];
    if (v != static_cast<double>(static_cast<std::int32_t>(v)))
      throw Error(file + ": value " + std::to_string(v) + " is not a state");
    states[i] = static_cast<std::int32_t>(v);
  }
  return states;
}

// A flag given on the command line that the saved session fixes must agree with it.
template <typename T>
void require_same(bool given, const char* flag, const T& value, const T& saved,
                  const std::string& file) {
  if (given && value != saved) {
    std::ostringstream a, b;
    a << value;
    b << saved;
    throw Error(std::string(flag) + " " + a.str() + " disagrees with the saved session " + file +
                " (" + b.str() + "); a --resume run keeps the saved settings (omit the flag)");
  }
}

PreparedSession restore_session(const engine::CompiledModel& model, const SamplingOptions& o) {
  PreparedSession p;
  std::string file = o.resume;
  if (!file.ends_with(".session")) {
    p.resumed_samples = file;
    file = session_path_for(file);
    if (!std::filesystem::exists(file))
      throw Error(o.resume + ": no saved session beside it (" + file +
                  "); dgm sample --out FILE writes one. To start new chains from its rows, use "
                  "--init-rows");
  }
  if (!o.init_rows.empty()) throw Error("give at most one of --init-rows and --resume");
  if (o.given(o.config_flag))
    throw Error("--config with --resume: a resumed run keeps the saved session's settings");
  const proto::SessionCheckpoint checkpoint = inference::Session::read_checkpoint(file);
  // --sampler (or dgm marginals --method) names the sampler; it must be the saved one.
  if (!o.sampler.empty() && o.sampler != checkpoint.sampler())
    throw Error("sampler '" + o.sampler + "' disagrees with the saved session " + file + " ('" +
                checkpoint.sampler() + "'); a --resume run keeps its sampler");
  require_same(o.given(o.chains_flag), "--chains", o.chains, checkpoint.num_chains(), file);
  require_same(o.given(o.seed_flag), "--seed", o.seed, checkpoint.seed(), file);
  require_same(o.given(o.burn_in_flag), "--burn-in", o.burn_in, checkpoint.burn_in(), file);
  require_same(o.given(o.thin_flag), "--thin", o.thin, checkpoint.thin(), file);
  p.session = std::make_unique<inference::Session>(
      inference::Session::restore(checkpoint, model, o.threads, file));
  p.resumed_from = file;
  p.resumed_rows = checkpoint.output_rows();
  p.sweeps = o.sweeps;
  return p;
}

}  // namespace

PreparedSession prepare_session(const engine::CompiledModel& model, const SamplingOptions& flags) {
  if (flags.threads < 0)
    throw Error("--threads must be ≥ 0 (0: all cores; got " + std::to_string(flags.threads) + ")");
  if (flags.sweeps < 0)
    throw Error("--sweeps must be ≥ 0 (got " + std::to_string(flags.sweeps) + ")");
  if (!(flags.min_ess >= 0) || std::isinf(flags.min_ess))
    throw Error("--min-ess must be a number ≥ 0 (got " + std::to_string(flags.min_ess) + ")");
  if (!flags.resume.empty()) return restore_session(model, flags);

  inference::SessionOptions s;
  if (!flags.config.empty()) s.config = read_config(flags.config);
  const SamplingOptions o = flags.merged_with(s.config.run());
  if (o.chains < 1)
    throw Error("--chains must be at least 1 (got " + std::to_string(o.chains) + ")");
  if (o.sweeps < 0 || o.burn_in < 0 || o.thin < 1)
    throw Error("--sweeps and --burn-in must be ≥ 0 and --thin ≥ 1 (got sweeps " +
                std::to_string(o.sweeps) + ", burn-in " + std::to_string(o.burn_in) + ", thin " +
                std::to_string(o.thin) + ")");
  s.sampler = o.sampler;
  s.chains = o.chains;
  s.seed = o.seed;
  s.threads = o.threads;
  s.burn_in = o.burn_in;
  s.thin = o.thin;
  s.limits = flags.limits;
  if (!o.init_rows.empty()) {
    s.start = inference::StartPolicy::kRows;
    s.start_rows = read_states(o.init_rows, model.graph->num_variables(), s.num_start_rows);
    s.start_source = o.init_rows;
  }
  PreparedSession p;
  p.session = std::make_unique<inference::Session>(model, std::move(s));
  p.sweeps = o.sweeps;
  return p;
}

namespace {

// Saves the session every minute of a long run, after the sweep's samples were written, so a
// killed run can be resumed from at most a minute back.
class PeriodicCheckpoint : public inference::RunObserver {
 public:
  PeriodicCheckpoint(const inference::Session& session, std::string path,
                     std::function<std::int64_t()> rows)
      : session_(session), path_(std::move(path)), rows_(std::move(rows)) {}
  bool on_sweep(std::int64_t, const inference::Chains&, const inference::SweepStats&) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ >= std::chrono::seconds(60)) {
      session_.save(path_, rows_());
      last_ = now;
    }
    return true;
  }

 private:
  const inference::Session& session_;
  std::string path_;
  std::function<std::int64_t()> rows_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

inference::RunSummary run_session(inference::Session& session, std::int64_t sweeps,
                                  std::span<inference::RunObserver* const> observers,
                                  const std::string& checkpoint,
                                  const std::function<std::int64_t()>& output_rows) {
  for (const std::string& note : session.notes())
    std::fprintf(stderr, "dgm: note: %s\n", note.c_str());
  InterruptGuard interrupt;
  ProgressObserver progress(session.sampler_name(), sweeps);
  std::vector<inference::RunObserver*> all(observers.begin(), observers.end());
  all.push_back(&progress);
  std::unique_ptr<PeriodicCheckpoint> periodic;
  const auto rows = output_rows ? output_rows : [] { return std::int64_t{0}; };
  if (!checkpoint.empty()) {
    // Saved before the first sweep too, so that a run killed at any moment can be resumed
    // (from its start, at worst; the rows written since are drawn again identically).
    session.save(checkpoint, rows());
    periodic = std::make_unique<PeriodicCheckpoint>(session, checkpoint, rows);
    all.push_back(periodic.get());
  }
  inference::Budget budget;
  budget.sweeps = sweeps;
  const inference::RunSummary summary = session.run(budget, all);
  if (!checkpoint.empty()) session.save(checkpoint, rows());
  return summary;
}

SamplingRun describe_run(const inference::Session& session, const inference::RunSummary& summary,
                         std::int64_t sweeps) {
  SamplingRun run;
  run.config = session.config();
  auto* rc = run.config.mutable_run();  // what was actually run, for reports
  rc->set_chains(session.num_chains());
  rc->set_sweeps(sweeps);
  rc->set_burn_in(session.burn_in());
  rc->set_thin(session.thin());
  rc->set_seed(session.seed());
  rc->set_threads(session.threads());
  run.sampler_name = session.sampler_name();
  run.has_acceptance = session.sampler().has_acceptance();
  run.figures = session.sampler().figures();
  run.chains = session.chains();
  run.summary = summary;
  return run;
}

SamplingRun run_sampling(const engine::CompiledModel& model, const SamplingOptions& options,
                         std::span<inference::RunObserver* const> observers) {
  // A resumed session is only read: these commands write no samples, so the session file
  // stays with the samples file it belongs to.
  PreparedSession p = prepare_session(model, options);
  inference::ConvergenceMonitor monitor(model, p.session->num_chains(), monitor_options(model));
  std::vector<inference::RunObserver*> all(observers.begin(), observers.end());
  all.push_back(&monitor);
  const inference::RunSummary summary = run_session(*p.session, p.sweeps, all);
  SamplingRun run = describe_run(*p.session, summary, p.sweeps);
  run.convergence = monitor.report();
  return run;
}

}  // namespace dgm::cli
