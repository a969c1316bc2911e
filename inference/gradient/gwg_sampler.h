#pragma once
// Gibbs-with-gradients on any factor graph (Grathwohl et al. 2021, "Oops I Took A Gradient",
// Alg. 1), binary and categorical, with the Metropolis–Hastings correction.
//
// Proposal: q(s | x) = softmax_s(Δ_s(x)/2) over every slot s (flip_scores.h: one per binary free
// variable, one per state ≠ x_v of a categorical one), Δ_s(x) = f(x after move s) − f(x) the
// exact flip difference. Accept with probability
//   min(1, exp(f(x') − f(x) + log q(s | x') − log q(s | x))).
//
// Incremental scores (what makes a step O(degree · log N) instead of O(edges)): each chain
// keeps its Δ's and a sum tree (sum_tree.h) of the weights exp(Δ_s/2 − shift). A move of
// variable v changes only the Δ's of v and of its neighbours in the interaction graph, so only
// those are rescored and only their leaves updated. The shift keeps the weights in range: it is
// reset to max Δ/2 (an O(N) rebuild) when a new weight would exceed e^200 or the total falls
// below e^−200; log q itself is computed from Δ, never from a leaf, so tiny weights lose no
// precision. A Δ of −∞ (a move into a zero-probability state, hard constraints) has weight 0
// and the tree never samples it.
//
// The reverse term needs q(· | x'), whose normaliser is the total weight *at x'*. The move is
// applied to the scores and the tree (as an accepted move would be), the reverse term read off,
// and on rejection every touched value is put back from a saved copy: the Δ's, the fields of
// the fast path and the leaves bit for bit, the tree's inner nodes by recomputation (exact: the
// tree is a function of its leaves), so a rejected step leaves no trace.
//
// Multi-flip (GWG-n, `num_flips` n > 1): n slots drawn with replacement from q(· | x); each
// drawn variable takes the state of its last draw (for binary variables: the distinct drawn
// variables flip). Forward: Σ_j log q(s_j | x). Reverse: the same draws at x' with each drawn
// state k of variable v relabelled by the transposition (x_v x'_v): a drawn k ≠ x_v becomes a
// k' ≠ x'_v and the last draw (k = x'_v) becomes x_v, so the reverse draws are possible at x'
// and move x' back to x, and applying the map twice gives the original draws (an involution on
// (state, draws), which is what makes the MH ratio with the draws as auxiliary variables exact).
// For binary variables the relabelling is the identity: the reverse flips the same variables.
// f(x') − f(x) of several moves is ½ Σ_v d_v (L_v(x) + L_v(x')) on the fast path (f is
// quadratic) and a sum over the touched factors otherwise (LocalDifference; −∞ rejects).
//
// Sweeps: one sweep is max(1, N/n) proposals per chain (N free variables), so `--sweeps`
// buys about N proposed variable moves per chain, as a Gibbs sweep does N site updates. Every
// sweep starts by computing each chain's scores from its state (O(edges), amortised O(degree)
// per proposal): the fast path's fields, which are moved by additions, never drift by more than
// one sweep's rounding, and chains changed from outside need no reset.
//
// Random numbers: step t of sweep s of chain b reads CounterRng(seed, stream_id(kSweep, b)) at
// sweep_counter(s, t·⌈(n + 1)/2⌉ + j), two 64-bit uniforms per draw j: the n slot draws, then
// the acceptance uniform. A chain's trajectory is a function of (seed, chain) alone, whatever the
// number of threads or of other chains; the chains run in parallel on oneTBB.
//
// Stats: proposals and accepted per step; changed = variables moved by accepted proposals;
// site_updates = variables proposed to move.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"
#include "engine/random.h"
#include "inference/gradient/flip_scores.h"
#include "inference/gradient/gradient_params.h"
#include "inference/gradient/sum_tree.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

class GwgSampler final : public Sampler {
 public:
  // The model must outlive the sampler. Throws dgm::Error when num_flips < 1.
  GwgSampler(const engine::CompiledModel& model, const GwgParams& params, std::uint64_t seed);

  std::string_view name() const override { return "gwg"; }
  // Checks that every chain has positive probability and drops the per-chain scores (every
  // sweep recomputes them from the states first, so nothing else is kept between sweeps).
  void reset(const Chains& chains) override;
  // Rebuilds the flip scores' parameter tables.
  void refresh_parameters() override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool has_acceptance() const override { return true; }

  // `steps` proposals on every chain, the t-th drawing its numbers at (sweep, t) as above.
  // `rescore`: first compute every score from the chains' states (what sweep() does); false
  // continues from the scores the previous call left, which requires that the chains were not
  // changed in between (benchmarks time steps alone this way).
  SweepStats advance(Chains& chains, std::int64_t sweep, std::int64_t steps, bool rescore);

  // Proposals per chain per sweep: max(1, N / n), 0 without free variables.
  std::int64_t steps_per_sweep() const { return steps_per_sweep_; }
  bool fast_path() const { return scores_.fast(); }
  const FlipScores& flip_scores() const { return scores_; }

  // For tests: chain b's stored scores (one per slot) and proposal weights' total, and the
  // scores recomputed from scratch for a state.
  std::span<const double> scores(std::int32_t b) const { return chains_[b].delta; }
  double proposal_total(std::int32_t b) const { return chains_[b].tree.total(); }
  double proposal_shift(std::int32_t b) const { return chains_[b].shift; }
  std::vector<double> recomputed_scores(std::span<const std::int32_t> x) const;

 private:
  struct SavedSlot {
    std::int64_t slot;
    double delta, leaf;
  };
  // Everything one chain keeps, and its scratch (sized once; no allocation per step).
  struct ChainState {
    std::vector<double> field, delta;  // fast-path fields (per variable), Δ per slot
    SumTree tree;
    double shift = 0.0;
    // full_recompute: the scores at the proposed state, swapped in on acceptance.
    std::vector<double> field_next, delta_next;
    SumTree tree_next;
    double shift_next = 0.0;
    std::vector<double> scratch;
    std::vector<std::uint32_t> mark;  // per variable: epoch when touched
    std::uint32_t epoch = 0;
    std::vector<std::int32_t> touched;
    std::vector<std::int64_t> draws;
    std::vector<std::pair<std::int32_t, std::int32_t>> changes;  // (variable, old state)
    std::vector<std::int32_t> new_states;
    std::vector<double> old_field;  // fast path: L_v(x) of each changed variable
    std::vector<std::pair<std::int32_t, double>> saved_field;
    std::vector<SavedSlot> saved_slots;
    std::optional<LocalDifference> local;
  };
  enum class Outcome { kNone, kRejected, kAccepted };

  void prepare(std::int32_t num_chains);
  // Δ's, fields and tree of `c` from the state x.
  void rescore_all(ChainState& c, std::span<const std::int32_t> x) const;
  // Sets the shift to max Δ/2 and every leaf from `delta`.
  static void rebuild(std::span<const double> delta, SumTree& tree, double& shift);
  Outcome step(ChainState& c, std::span<std::int32_t> x, const engine::CounterRng& rng,
               std::uint64_t sweep, std::uint64_t t) const;
  // f(x') − f(x) of the pending changes (x already holds x'); fast path only.
  double fast_difference(const ChainState& c) const;

  const engine::CompiledModel* model_;
  GwgParams params_;
  std::uint64_t seed_;
  FlipScores scores_;
  std::int64_t steps_per_sweep_ = 0;
  // Work (inference/sampling/work.h): all scores at the start of a sweep, and per moved
  // variable its own and its neighbours' scores (the average over free variables).
  std::int64_t rescore_all_cost_ = 0;
  double rescore_cost_ = 0.0;
  std::uint64_t words_per_step_ = 1;
  std::vector<ChainState> chains_;
  std::vector<SweepStats> chain_stats_;
};

}  // namespace dgm::inference
