#pragma once
// The interface every sampler implements. A sampler is built for one compiled model (and keeps
// whatever it precomputes: fast-path tables, float weight mirrors, colour classes) and advances
// a batch of chains one sweep at a time. Randomness comes from counter-based streams keyed by
// (seed, chain, sweep, draw), so a chain's trajectory never depends on the number of threads
// or on the other chains.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inference/sampling/chains.h"
#include "inference/sampling/sampler_state.h"

namespace dgm::inference {

// Work and outcomes of one sweep, summed over chains.
struct SweepStats {
  std::int64_t site_updates = 0;  // variables resampled or proposals made
  std::int64_t proposals = 0;     // Metropolis–Hastings proposals (0 for Gibbs)
  std::int64_t accepted = 0;      // accepted proposals
  std::int64_t changed = 0;       // variables whose state changed
  // Chains left in a state of probability zero (a violated hard constraint): samplers that
  // do not move from state to state (PMP decodes each sample afresh) can produce them.
  std::int64_t invalid = 0;
  // Work in honest units (inference/sampling/work.h says how each is counted).
  std::int64_t factor_evaluations = 0;
  std::int64_t messages = 0;  // belief-propagation message updates
  std::int64_t flops = 0;     // floating-point operations of dense products

  SweepStats& operator+=(const SweepStats& o) {
    site_updates += o.site_updates;
    proposals += o.proposals;
    accepted += o.accepted;
    changed += o.changed;
    invalid += o.invalid;
    factor_evaluations += o.factor_evaluations;
    messages += o.messages;
    flops += o.flops;
    return *this;
  }
};

// A sampler-specific figure for the run's summary, e.g. PMP's estimate of a log Z bound.
struct SamplerFigure {
  std::string name;  // snake_case, used as the JSON key
  double value = 0.0;
  double standard_error = std::numeric_limits<double>::quiet_NaN();  // NaN: none
  std::string description;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The registry name ("gibbs", "chromatic-gibbs", ...).
  virtual std::string_view name() const = 0;
  // Called before the first sweep, whenever the chains were changed from outside and after
  // refresh_parameters(); samplers that cache per-chain quantities (local fields, scores)
  // rebuild them here. Between sweeps of one run (or of runs continued by a session) it is not
  // called, so caches carry over.
  virtual void reset(const Chains& /*chains*/) {}
  // The model's parameter values changed (its structure and evidence did not): re-derive
  // everything computed from the numbers (fast-path tables, float mirrors, message-graph
  // potentials) in O(parameters), and drop per-chain caches that depend on them (reset()
  // rebuilds those). Structure-dependent precomputation stays. Every sampler implements it, so
  // nothing a sampler derives from the numbers is ever silently stale; Session::set_parameters
  // is the one caller outside tests.
  virtual void refresh_parameters() = 0;
  // What the sampler keeps between sweeps beyond the chains' states (caches kept
  // incrementally, accumulated figures), so that a restored session continues bit-identically.
  // restore_state() is called after reset() with what save_state() wrote for the same chains.
  // Samplers whose sweeps are a function of the states and the sweep index keep nothing.
  virtual void save_state(SamplerStateWriter& /*out*/) const {}
  virtual void restore_state(SamplerStateReader& /*in*/, const Chains& /*chains*/) {}
  // Advances every chain by one sweep. One sweep is N site updates for single-site samplers,
  // or the sampler's equivalent amount of work. `sweep` is the global sweep index (the
  // counter of the random streams).
  virtual SweepStats sweep(Chains& chains, std::int64_t sweep) = 0;
  // Whether stats carry a Metropolis–Hastings acceptance rate.
  virtual bool has_acceptance() const { return false; }
  // Whether the chains' states before a sweep matter. Samplers that draw every sample afresh
  // (PMP) return false, and then no start of positive probability is needed.
  virtual bool needs_valid_start() const { return true; }
  // Figures accumulated over the sweeps so far (none by default).
  virtual std::vector<SamplerFigure> figures() const { return {}; }

  // Shared ownership of the model the sampler was built for: make_sampler() sets it, so a
  // sampler from the registry never outlives its model (samplers keep references into it).
  void keep_model(std::shared_ptr<const engine::CompiledModel> model) {
    model_owner_ = std::move(model);
  }

 private:
  std::shared_ptr<const engine::CompiledModel> model_owner_;
};

}  // namespace dgm::inference
