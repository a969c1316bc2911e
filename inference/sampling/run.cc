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
  // The random streams' counters hold the sweep index in 32 bits (engine::sweep_counter).
  if (options.first_sweep + options.sweeps > (std::int64_t{1} << 32))
    throw Error("run options: sweep indices beyond 2^32 are not supported (first sweep " +
                std::to_string(options.first_sweep) + ", sweeps " + std::to_string(options.sweeps) +
                ")");
  RunSummary summary;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (options.reset) sampler.reset(chains);
  for (std::int64_t s = 0; s < options.sweeps; ++s) {
    const std::int64_t g = options.first_sweep + s;
    const SweepStats stats = sampler.sweep(chains, g);
    summary.totals += stats;
    summary.sweeps_done = s + 1;
    const bool keep = g >= options.burn_in && (g - options.burn_in + 1) % options.thin == 0;
    if (keep) {
      ++summary.kept_sweeps;
      for (RunObserver* o : observers) o->on_sample(s, chains);
    }
    bool go_on = true;
    for (RunObserver* o : observers) go_on = o->on_sweep(s, chains, stats) && go_on;
    const double seconds = elapsed();
    if (go_on && seconds >= options.max_seconds) go_on = false;
    if (go_on && options.stop)
      go_on = !options.stop({summary.sweeps_done, summary.kept_sweeps, seconds});
    if (!go_on) {
      summary.stopped_early = s + 1 < options.sweeps;
      break;
    }
  }
  summary.seconds = elapsed();
  return summary;
}

}  // namespace dgm::inference
