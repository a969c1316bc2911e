#pragma once
// The run loop shared by every sampler: burn-in, thinning, observers called per sweep and per
// kept sample, early stop. Printing, files and progress bars live in observers, never in the
// samplers.
#include <cstdint>
#include <functional>
#include <limits>
#include <span>

#include "inference/sampling/chains.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

struct RunProgress;

struct RunOptions {
  // Sweeps in this run, burn-in included. One sweep = N site updates (or the sampler's
  // equivalent).
  std::int64_t sweeps = 1000;
  // The keep rule, on global sweep indices g = first_sweep + s: sweep g is kept when
  // g ≥ burn_in and (g − burn_in + 1) is a multiple of thin. Global, so that a run continued
  // from sweep first_sweep keeps exactly the sweeps one uninterrupted run would have kept.
  std::int64_t burn_in = 0;
  std::int64_t thin = 1;
  // Index of the first sweep (the random streams' counter): a run that continues an earlier
  // one passes the number of sweeps already done, so the continuation draws fresh numbers.
  std::int64_t first_sweep = 0;
  // Call sampler.reset(chains) first. A session passes false when the sampler's caches are
  // already those of the chains (a run continuing the previous one).
  bool reset = true;
  // Stop once this many seconds have passed (checked after every sweep).
  double max_seconds = std::numeric_limits<double>::infinity();
  // Called after every sweep; returning true stops the run.
  std::function<bool(const RunProgress&)> stop;
};

// What a stop callback sees after each sweep.
struct RunProgress {
  std::int64_t sweeps_done = 0;  // in this run
  std::int64_t kept_sweeps = 0;  // in this run
  double seconds = 0.0;          // since this run started
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
  bool stopped_early = false;  // by an observer, the stop callback or the time limit
};

// Runs `sampler` on `chains` (already initialised). Calls sampler.reset(chains) first unless
// options.reset is false. inference::Session is the owner of chains and stream positions that
// applications use; this is its loop.
RunSummary run_sampler(Sampler& sampler, Chains& chains, const RunOptions& options,
                       std::span<RunObserver* const> observers = {});

}  // namespace dgm::inference
