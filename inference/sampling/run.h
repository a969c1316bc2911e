#pragma once
// The run loop shared by every sampler: burn-in, thinning, observers called per sweep and per
// kept sample, early stop. Printing, files and progress bars live in observers, never in the
// samplers.
#include <cstdint>
#include <span>

#include "inference/sampling/chains.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

struct RunOptions {
  // Total sweeps, burn-in included. One sweep = N site updates (or the sampler's equivalent).
  std::int64_t sweeps = 1000;
  // Sweeps discarded before any sample is kept.
  std::int64_t burn_in = 0;
  // Keep the chains' states after every thin-th sweep past the burn-in.
  std::int64_t thin = 1;
  // Index of the first sweep (the random streams' counter): a run that continues an earlier
  // one passes the number of sweeps already done, so the continuation draws fresh numbers.
  std::int64_t first_sweep = 0;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // After every sweep (burn-in included); `sweep` counts from 0 within this run. Return false
  // to stop the run (early stop, Ctrl-C).
  virtual bool on_sweep(std::int64_t /*sweep*/, const Chains& /*chains*/,
                        const SweepStats& /*stats*/) {
    return true;
  }
  // After every kept sweep: each chain's current state is one sample.
  virtual void on_sample(std::int64_t /*sweep*/, const Chains& /*chains*/) {}
};

struct RunSummary {
  std::int64_t sweeps_done = 0;
  std::int64_t kept_sweeps = 0;  // samples = kept_sweeps × chains
  SweepStats totals;             // over all sweeps, burn-in included
  double seconds = 0.0;
  bool stopped_early = false;
};

// Runs `sampler` on `chains` (already initialised). Calls sampler.reset(chains) first.
RunSummary run_sampler(Sampler& sampler, Chains& chains, const RunOptions& options,
                       std::span<RunObserver* const> observers = {});

}  // namespace dgm::inference
