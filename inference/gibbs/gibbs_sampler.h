#pragma once
// Single-site Gibbs sampling (Geman & Geman 1984), systematic or random scan: within a chain
// the variables are updated one after another, so every update sees the latest state; the
// chains run in parallel (oneTBB, one task per range of chains).
//
// Random numbers (inference/gibbs/site_uniforms.h): chain b reads the stream
// (seed, stream_id(kSweep, b)). Systematic scan: variable v in sweep s uses word v mod 4 of
// the draw sweep_counter(s, v / 4). Random scan: the t-th update of sweep s uses the draw
// sweep_counter(s, t), whose first two words pick the variable (64-bit multiply-shift onto the
// free variables) and whose last two give a 64-bit uniform. A chain's trajectory is a function
// of (seed, chain) alone: the same for any number of threads and any number of other chains.
//
// Clamped variables (evidence) are never updated; a sweep is one update per free variable.
#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/gibbs/gibbs_params.h"
#include "inference/gibbs/site_update.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

class GibbsSampler final : public Sampler {
 public:
  // The model must outlive the sampler.
  GibbsSampler(const engine::CompiledModel& model, const GibbsParams& params, std::uint64_t seed);

  // "gibbs" (systematic scan) or "random-scan-gibbs".
  std::string_view name() const override;
  // The chains hold no cache: checks their shape only.
  void reset(const Chains& chains) override;
  // Rebuilds the fast path's tables (the generic path reads the parameters as it goes).
  void refresh_parameters() override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;

  // Whether updates take the binary pairwise fast path.
  bool fast_path() const { return updater_.fast(); }

 private:
  const engine::CompiledModel* model_;
  GibbsParams params_;
  std::uint64_t seed_;
  SiteUpdater updater_;
  std::vector<std::int32_t> free_;
  std::int64_t sweep_evaluations_ = 0;  // factor evaluations per chain and sweep (work.h)
  std::vector<std::int64_t> changed_;   // per chain, for the sweep's stats
  tbb::enumerable_thread_specific<std::vector<double>> scratch_;
};

}  // namespace dgm::inference
