#include "inference/sampling/run.h"

#include <chrono>

#include "engine/error.h"

namespace dgm::inference {

RunSummary run_sampler(Sampler& sampler, Chains& chains, const RunOptions& options,
                       std::span<RunObserver* const> observers) {
  if (options.sweeps < 0 || options.burn_in < 0 || options.thin < 1 || options.first_sweep < 0)
    throw Error("run options: sweeps and burn-in must be ≥ 0 and thin ≥ 1 (got sweeps " +
                std::to_string(options.sweeps) + ", burn-in " + std::to_string(options.burn_in) +
                ", thin " + std::to_string(options.thin) + ")");
  RunSummary summary;
  const auto start = std::chrono::steady_clock::now();
  sampler.reset(chains);
  for (std::int64_t s = 0; s < options.sweeps; ++s) {
    const SweepStats stats = sampler.sweep(chains, options.first_sweep + s);
    summary.totals += stats;
    summary.sweeps_done = s + 1;
    const bool keep = s >= options.burn_in && (s - options.burn_in + 1) % options.thin == 0;
    if (keep) {
      ++summary.kept_sweeps;
      for (RunObserver* o : observers) o->on_sample(s, chains);
    }
    bool go_on = true;
    for (RunObserver* o : observers) go_on = o->on_sweep(s, chains, stats) && go_on;
    if (!go_on) {
      summary.stopped_early = s + 1 < options.sweeps;
      break;
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace dgm::inference
