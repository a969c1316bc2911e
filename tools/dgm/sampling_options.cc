#include "tools/dgm/sampling_options.h"

#include <tbb/global_control.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/dgm/progress.h"

namespace dgm::cli {

void SamplingOptions::add_to(CLI::App& cmd, bool with_sampler_flag) {
  if (with_sampler_flag)
    cmd.add_option("--sampler", sampler, "sampler name (see `dgm samplers`)")
        ->capture_default_str();
  cmd.add_option("--config", config,
                 "sampler settings: a SamplerConfig in protobuf text (proto/dgm/sampler.proto); "
                 "flags given on the command line override its run settings");
  chains_flag_ =
      cmd.add_option("--chains", chains, "number of chains run together")->capture_default_str();
  sweeps_flag_ = cmd.add_option("--sweeps", sweeps,
                                "sweeps in all, burn-in included (one sweep = N site updates)")
                     ->capture_default_str();
  burn_in_flag_ = cmd.add_option("--burn-in", burn_in, "sweeps discarded before samples are kept")
                      ->capture_default_str();
  thin_flag_ = cmd.add_option("--thin", thin, "keep every thin-th sweep")->capture_default_str();
  seed_flag_ = cmd.add_option("--seed", seed, "seed of the random streams")->capture_default_str();
  threads_flag_ = cmd.add_option("--threads", threads,
                                 "worker threads (0: all cores); results do not depend on it")
                      ->capture_default_str();
  cmd.add_option("--init-rows", init_rows,
                 ".npy of initial states, one row per state; chain b starts from row b mod rows");
  cmd.add_option("--resume", resume,
                 "samples .npy written by an earlier dgm sample with the same number of chains: "
                 "each chain continues from its last sample");
}

SamplingOptions SamplingOptions::merged_with(const proto::RunConfig& config) const {
  SamplingOptions o = *this;
  auto unset = [](const CLI::Option* flag) { return flag == nullptr || flag->count() == 0; };
  if (config.chains() != 0 && unset(chains_flag_)) o.chains = config.chains();
  if (config.sweeps() != 0 && unset(sweeps_flag_)) o.sweeps = config.sweeps();
  if (config.burn_in() != 0 && unset(burn_in_flag_)) o.burn_in = config.burn_in();
  if (config.thin() != 0 && unset(thin_flag_)) o.thin = config.thin();
  if (config.seed() != 0 && unset(seed_flag_)) o.seed = config.seed();
  if (config.threads() != 0 && unset(threads_flag_)) o.threads = config.threads();
  return o;
}

namespace {

proto::SamplerConfig read_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the sampler configuration");
  std::stringstream text;
  text << in.rdbuf();
  proto::SamplerConfig config;
  engine::parse_text_message(text.str(), path, config);
  return config;
}

std::string backend_sampler_name(const proto::SamplerConfig& config) {
  switch (config.backend_case()) {
    case proto::SamplerConfig::kGibbs:
      return config.gibbs().scan() == proto::GibbsConfig::RANDOM ? "random-scan-gibbs" : "gibbs";
    case proto::SamplerConfig::kChromaticGibbs:
      return "chromatic-gibbs";
    case proto::SamplerConfig::kBlockGibbs:
      return "block-gibbs";
    case proto::SamplerConfig::kPmp:
      return "pmp";
    case proto::SamplerConfig::kGwg:
      return "gwg";
    case proto::SamplerConfig::kDula:
      return "dula";
    case proto::SamplerConfig::kDmala:
      return "dmala";
    case proto::SamplerConfig::BACKEND_NOT_SET:
      break;
  }
  return "";
}

void initialise(inference::Chains& chains, const engine::CompiledModel& model,
                const SamplingOptions& o, bool needs_valid_start) {
  if (!o.init_rows.empty() && !o.resume.empty())
    throw Error("give at most one of --init-rows and --resume");
  const std::string& file = o.init_rows.empty() ? o.resume : o.init_rows;
  if (file.empty()) {
    inference::init_uniform(chains, model, o.seed);
    if (!needs_valid_start) return;  // e.g. PMP: every sample is drawn afresh
    // With hard constraints a uniform start is often impossible. Where exact inference is
    // affordable, such chains start from the MAP state instead (said on stderr); otherwise
    // require_positive_probability below explains how to give valid starts.
    bool impossible = false;
    for (std::int32_t b = 0; b < chains.num_chains() && !impossible; ++b)
      impossible = !inference::zero_probability_reason(model, chains.chain(b)).empty();
    if (impossible) {
      try {
        const inference::ExactResult map = inference::exact_map(model);
        const std::int32_t n = inference::replace_impossible_starts(chains, model, map.map_state);
        std::fprintf(stderr,
                     "dgm: note: %d of %d uniform starts had probability zero; they start from "
                     "the MAP state\n",
                     n, chains.num_chains());
      } catch (const Error&) {
        // Too wide for exact MAP (or no valid state): reported below.
      }
    }
  } else {
    const engine::NpyArray array = engine::read_npy(file, /*allow_integers=*/true);
    const std::int64_t n = model.graph->num_variables();
    if (array.shape.size() != 2 || array.shape[1] != n)
      throw Error(file + ": expected states of shape [rows, " + std::to_string(n) + "]");
    std::int64_t rows = array.shape[0];
    std::int64_t first = 0;
    if (!o.resume.empty()) {
      // A samples file is sweep-major: its last `chains` rows are each chain's last state.
      if (rows < o.chains || rows % o.chains != 0)
        throw Error(file + ": " + std::to_string(rows) +
                    " rows is not a whole number of sweeps "
                    "of " +
                    std::to_string(o.chains) + " chains; use the same --chains");
      first = rows - o.chains;
      rows = o.chains;
    }
    std::vector<std::int32_t> states(static_cast<std::size_t>(rows * n));
    for (std::size_t i = 0; i < states.size(); ++i) {
      const double v = array.values[first * n + static_cast<std::int64_t>(i)];
      if (v != static_cast<double>(static_cast<std::int32_t>(v)))
        throw Error(file + ": value " + std::to_string(v) + " is not a state");
      states[i] = static_cast<std::int32_t>(v);
    }
    inference::init_from_rows(chains, model, states, rows, file);
  }
  if (needs_valid_start) inference::require_positive_probability(chains, model);
}

}  // namespace

SamplingRun run_sampling(const engine::CompiledModel& model, const SamplingOptions& flags,
                         std::span<inference::RunObserver* const> observers) {
  SamplingRun run;
  std::string name = flags.sampler;
  if (!flags.config.empty()) {
    run.config = read_config(flags.config);
    const std::string from_config = backend_sampler_name(run.config);
    if (!from_config.empty()) name = from_config;
  }
  const SamplingOptions o = flags.merged_with(run.config.run());
  if (o.chains < 1)
    throw Error("--chains must be at least 1 (got " + std::to_string(o.chains) + ")");
  if (o.threads < 0)
    throw Error("--threads must be ≥ 0 (0: all cores; got " + std::to_string(o.threads) + ")");
  if (o.sweeps < 0 || o.burn_in < 0 || o.thin < 1)
    throw Error("--sweeps and --burn-in must be ≥ 0 and --thin ≥ 1");
  const std::size_t state_count =
      static_cast<std::size_t>(o.chains) * static_cast<std::size_t>(model.graph->num_variables());
  if (state_count > (std::size_t{1} << 32))
    throw Error(std::to_string(o.chains) + " chains of " +
                std::to_string(model.graph->num_variables()) +
                " variables are too many states to hold; use fewer chains");
  std::unique_ptr<tbb::global_control> threads;
  if (o.threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(o.threads));
  auto sampler = inference::make_sampler(name, model, run.config, o.seed);
  run.chains = inference::Chains(o.chains, model.graph->num_variables());
  initialise(run.chains, model, o, sampler->needs_valid_start());

  InterruptGuard interrupt;
  ProgressObserver progress(std::string(sampler->name()), o.sweeps);
  std::vector<inference::RunObserver*> all(observers.begin(), observers.end());
  all.push_back(&progress);
  inference::RunOptions ro;
  ro.sweeps = o.sweeps;
  ro.burn_in = o.burn_in;
  ro.thin = o.thin;
  run.summary = inference::run_sampler(*sampler, run.chains, ro, all);
  auto* rc = run.config.mutable_run();  // what was actually run, for reports
  rc->set_chains(o.chains);
  rc->set_sweeps(o.sweeps);
  rc->set_burn_in(o.burn_in);
  rc->set_thin(o.thin);
  rc->set_seed(o.seed);
  rc->set_threads(o.threads);
  run.sampler_name = std::string(sampler->name());
  run.has_acceptance = sampler->has_acceptance();
  run.figures = sampler->figures();
  return run;
}

}  // namespace dgm::cli
