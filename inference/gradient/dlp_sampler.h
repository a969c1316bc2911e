#pragma once
// The discrete Langevin proposal on any factor graph (Zhang et al. 2022, "A Langevin-like
// Sampler for Discrete Distributions", Alg. 1–2): `dula` (every proposal accepted: fast, but an
// APPROXIMATE sampler: with no Metropolis–Hastings correction its stationary distribution is
// not the model for any step size α > 0; the bias vanishes only as α → 0) and `dmala` (with the
// MH test: the chains target the model exactly).
//
// One step moves every free variable at once, independently given x:
//   binary v:       flip with probability σ(Δ_v(x)/2 − 1/(2α));
//   categorical v:  state k with logit Δ_{v,k}(x)/2 − 1/α for k ≠ x_v, and 0 for k = x_v,
// where Δ is the exact flip difference (flip_scores.h), which in a factor graph is what the
// paper's gradient term ∇f(x)ᵀ(x' − x) evaluates to. The two penalties are the paper's
// ‖x' − x‖²/(2α) for a bit (distance 1) and for a one-hot vector (distance 2), so a binary
// variable in a model with categorical ones is treated as binary. Δ = −∞ (a move into a
// zero-probability state) gives probability 0.
// DMALA accepts with probability min(1, exp(f(x') − f(x) + log q(x | x') − log q(x' | x))),
// the reverse computed at x' with the same set of moved variables; f(x') − f(x) comes from the
// fast path's fields (½ Σ_v d_v (L_v(x) + L_v(x'))) or from the touched factors
// (LocalDifference), so a proposal into a zero-probability state is always rejected.
//
// DULA has no MH test (hence approximate), but a proposal into a state of probability zero
// (several moves that are each possible but together violate a hard constraint) is rejected all
// the same.
//
// One sweep is one such step per chain (what the papers call one step): B proposals, each
// moving any number of variables. The scores at the proposed state, computed for the reverse
// term, are kept as the next step's forward scores when the proposal is accepted, so a step
// costs one full computation of the scores (O(edges)) plus the per-variable draws. Each chain
// keeps a copy of the state its scores belong to and recomputes them when the chain differs
// (changed from outside).
//
// Random numbers: free variable j (in id order) of chain b in sweep s uses the 64-bit uniform
// of words 2(j mod 2), 2(j mod 2) + 1 of CounterRng(seed, stream_id(kSweep, b)) at
// sweep_counter(s, j / 2); the acceptance uniform is draw ⌈N/2⌉. Chains in parallel on oneTBB;
// results independent of the number of threads.
//
// Stats: one proposal per chain and sweep, accepted unless rejected by the MH test (DMALA) or
// by a hard constraint;
// changed = variables moved by accepted proposals; site_updates = free variables × chains.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/gradient/flip_scores.h"
#include "inference/gradient/gradient_params.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

class DlpSampler final : public Sampler {
 public:
  // The model must outlive the sampler. Throws dgm::Error unless step_size > 0.
  DlpSampler(const engine::CompiledModel& model, const DlpParams& params, std::uint64_t seed);

  // "dmala" or "dula".
  std::string_view name() const override { return params_.metropolis ? "dmala" : "dula"; }
  // Checks that every chain has positive probability and forgets the cached scores. The scores
  // kept between sweeps are always those compute_all() gives for the chain's state, so a
  // restored session recomputes them exactly and nothing needs saving.
  void reset(const Chains& chains) override;
  // Rebuilds the flip scores' parameter tables and forgets the cached scores.
  void refresh_parameters() override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool has_acceptance() const override { return params_.metropolis; }

  bool fast_path() const { return scores_.fast(); }

 private:
  struct ChainState {
    std::vector<std::int32_t> x;  // the state `delta` belongs to (empty: none yet)
    std::vector<double> field, delta, field_next, delta_next, scratch, logits;
    std::vector<double> uniforms;                                // the step's (step())
    std::vector<std::pair<std::int32_t, std::int32_t>> changes;  // (variable, old state)
    std::optional<LocalDifference> local;
  };
  void prepare(std::int32_t num_chains);
  // One step of chain b; returns whether the proposal was accepted.
  bool step(ChainState& c, std::span<std::int32_t> x, std::int32_t b, std::uint64_t sweep);
  // log q of moving (or not) every free variable from `from` to `to`, given the scores at `from`.
  double log_proposal(std::span<const std::int32_t> from, std::span<const std::int32_t> to,
                      std::span<const double> delta, std::vector<double>& logits) const;

  const engine::CompiledModel* model_;
  DlpParams params_;
  std::uint64_t seed_;
  FlipScores scores_;
  std::int64_t step_evaluations_ = 0;  // per chain and step: every free variable's scores
  std::vector<ChainState> chains_;
  std::vector<SweepStats> chain_stats_;
};

}  // namespace dgm::inference
